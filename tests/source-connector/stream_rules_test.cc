// Stream rules against the fake X API with the real libcurl client: listing with paging, syncing
// exactly the difference of the source's own rules (the POST bodies are asserted), foreign rules left
// alone, add before delete, dry runs, rejected rules changing nothing; the foreign rules in the
// source's status; and the rules-file format.

#include "source-connector/stream_rules.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/http_client.h"
#include "source-connector/source_app.h"
#include "tests/fakes/fake_producer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"
#include "tests/fake_x_api/fake_x_api_server.h"

namespace tweetstream::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using source::ActiveRule;
using source::StreamRule;
using source::StreamRulesClient;

constexpr char kRulesPath[] = "/2/tweets/search/stream/rules";
constexpr char kToken[] = "rules-test-token-SECRET-42";
// The source's --name: its rules are tagged "src-a:<tag>".
constexpr char kOwner[] = "src-a";
// The rules of the recorded GET (fixture rules-get-twittered-2020-08-26.json).
constexpr char kAlgerieId[] = "1298705840506118146";
constexpr char kSuperId[] = "1298706201161728002";

std::vector<std::pair<std::string, std::string>> Pairs(const std::vector<ActiveRule>& rules) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : rules) out.emplace_back(r.rule.value, r.rule.tag);
  return out;
}

std::vector<std::string> RuleIds(const std::vector<ActiveRule>& rules) {
  std::vector<std::string> out;
  for (const auto& r : rules) out.push_back(r.id);
  return out;
}

class StreamRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = FakeXApiServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto http = common::CurlHttpClient::Create();
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = std::move(*http);
    source::XApiOptions options;
    options.base_url = server_->base_url();
    options.bearer_token = kToken;
    options.timeout = std::chrono::milliseconds(5000);
    client_ = std::make_unique<StreamRulesClient>(http_.get(), options, kOwner);
  }

  // One page of active rules, as X lists them.
  void ServeRules(const std::vector<ActiveRule>& rules) {
    std::string data;
    for (const auto& r : rules) {
      absl::StrAppend(&data, data.empty() ? "" : ",", R"({"id":")", r.id, R"(","value":")", r.rule.value,
                      R"(","tag":")", r.rule.tag, R"("})");
    }
    const std::string body = absl::StrCat(R"({"data":[)", data, R"(],"meta":{"sent":"2026-11-25T00:00:00.000Z",)",
                                          R"("result_count":)", rules.size(), "}}");
    server_->RouteSequence("GET", kRulesPath, {ScriptedResponse{.body = body}});
  }

  // The recorded GET, plus one more rule whose id is a bare JSON number (as 2021 recordings send ids).
  void ServeCurrentRules() {
    auto recorded = ReadFile(FixturePath("rules-get-twittered-2020-08-26.json"));
    ASSERT_TRUE(recorded.ok()) << recorded.status();
    std::string first = *recorded;
    // Page 1 is the recording with a next_token added to its meta; page 2 holds the third rule.
    const size_t meta = first.find("\"sent\"");
    ASSERT_NE(meta, std::string::npos);
    first.insert(meta, "\"next_token\": \"page2token\", ");
    server_->Route("GET", kRulesPath, [first](const RecordedRequest& r) {
      if (r.Param("pagination_token") == "page2token") {
        return ScriptedResponse{.body = R"({"data":[{"id":1377649934414049282,"value":"cats","tag":"x"}],)"
                                        R"("meta":{"sent":"2021-04-01T15:52:00.000Z","result_count":1}})"};
      }
      return ScriptedResponse{.body = first};
    });
  }

  std::vector<RecordedRequest> Posts() {
    std::vector<RecordedRequest> out;
    for (const auto& r : server_->RequestsTo(kRulesPath)) {
      if (r.method == "POST") out.push_back(r);
    }
    return out;
  }

  std::unique_ptr<FakeXApiServer> server_;
  std::unique_ptr<common::CurlHttpClient> http_;
  std::unique_ptr<StreamRulesClient> client_;
};

TEST_F(StreamRulesTest, ListRulesFollowsNextTokenAndReadsNumericIds) {
  ServeCurrentRules();
  auto rules = client_->ListRules();
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_THAT(Pairs(*rules), ElementsAre(std::pair<std::string, std::string>{"algerie", "1"},
                                         std::pair<std::string, std::string>{"super", "2"},
                                         std::pair<std::string, std::string>{"cats", "x"}));
  EXPECT_THAT(RuleIds(*rules), ElementsAre(kAlgerieId, kSuperId, "1377649934414049282"));
  auto gets = server_->RequestsTo(kRulesPath);
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[0].params.count("pagination_token"), 0u);
  EXPECT_EQ(gets[1].Param("pagination_token"), "page2token");
  EXPECT_EQ(gets[0].headers["authorization"], absl::StrCat("Bearer ", kToken));
}

TEST_F(StreamRulesTest, NoDataMeansNoRules) {
  server_->RouteSequence("GET", kRulesPath,
                         {ScriptedResponse{.body = R"({"meta":{"sent":"2021-04-01T15:52:00.000Z","result_count":0}})"}});
  auto rules = client_->ListRules();
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_THAT(*rules, IsEmpty());
}

TEST_F(StreamRulesTest, SyncTouchesOnlyItsOwnRulesAndAddsBeforeItDeletes) {
  ServeRules({
      {kAlgerieId, {"algerie", "1"}},                             // another app's; its value is configured
      {"1500000000000000001", {"dogs has:images", "src-a:pets"}},  // ours, as configured
      {"1500000000000000002", {"birds", "src-a:"}},                // ours, no longer configured
      {"1500000000000000003", {"super cats", "src-b:x"}},          // another tweet-source instance's
      {"1500000000000000004", {"kpop", "src-a:k"}},                // ours, re-tagged k -> kpop
      {"1500000000000000005", {"manual rule", "added by hand"}},  // added through AddRules
  });
  server_->Route("POST", kRulesPath, [](const RecordedRequest& r) {
    if (absl::StrContains(r.body, "\"delete\"")) {
      return ScriptedResponse{.body = R"({"meta":{"sent":"2026-11-25T00:00:01.000Z",)"
                                      R"("summary":{"deleted":2,"not_deleted":0}}})"};
    }
    if (r.Param("dry_run") == "true") {
      // "kpop" still exists until the delete: the re-tag is a duplicate in the validation. Expected.
      return ScriptedResponse{.body = R"({"meta":{"sent":"2026-11-25T00:00:01.000Z","summary":{"created":1,)"
                                      R"("not_created":1,"valid":1,"invalid":1}},"errors":[{"value":"kpop",)"
                                      R"("id":"1500000000000000004","title":"DuplicateRule",)"
                                      R"("type":"https://api.twitter.com/2/problems/duplicate-rules"}]})"};
    }
    if (absl::StrContains(r.body, "#brexit")) {
      return ScriptedResponse{.status = 201,
                              .body = R"({"data":[{"value":"#brexit lang:en","tag":"src-a:","id":"1600000000000000001"}],)"
                                      R"("meta":{"sent":"2026-11-25T00:00:02.000Z","summary":{"created":1}}})"};
    }
    return ScriptedResponse{.status = 201,
                            .body = R"({"data":[{"value":"kpop","tag":"src-a:kpop","id":"1600000000000000002"}],)"
                                    R"("meta":{"sent":"2026-11-25T00:00:03.000Z","summary":{"created":1}}})"};
  });

  const std::vector<StreamRule> desired = {
      {"dogs has:images", "pets"}, {"kpop", "kpop"}, {"#brexit lang:en", ""}, {"algerie", "mine"}};
  auto result = client_->SyncRules(desired, /*dry_run=*/false);
  ASSERT_TRUE(result.ok()) << result.status();

  const auto posts = Posts();
  ASSERT_EQ(posts.size(), 4u);
  EXPECT_EQ(posts[0].Param("dry_run"), "true");  // 1. validate everything that will be added
  EXPECT_EQ(posts[0].body,
            R"({"add":[{"value":"#brexit lang:en","tag":"src-a:"},{"value":"kpop","tag":"src-a:kpop"}]})");
  EXPECT_EQ(posts[1].params.count("dry_run"), 0u);  // 2. add the new value first
  EXPECT_EQ(posts[1].body, R"({"add":[{"value":"#brexit lang:en","tag":"src-a:"}]})");
  EXPECT_EQ(posts[2].params.count("dry_run"), 0u);  // 3. then delete: only our own stale and re-tagged rules
  EXPECT_EQ(posts[2].body, R"({"delete":{"ids":["1500000000000000002","1500000000000000004"]}})");
  EXPECT_EQ(posts[3].body, R"({"add":[{"value":"kpop","tag":"src-a:kpop"}]})");  // 4. the re-tag
  for (const auto& p : posts) {
    EXPECT_THAT(p.headers.at("content-type"), HasSubstr("application/json"));
    for (const char* foreign : {kAlgerieId, "1500000000000000003", "1500000000000000005"}) {
      EXPECT_THAT(p.body, Not(HasSubstr(foreign)));
    }
  }

  using P = std::pair<std::string, std::string>;
  EXPECT_THAT(Pairs(result->kept), ElementsAre(P{"dogs has:images", "src-a:pets"}));
  EXPECT_THAT(Pairs(result->shared), ElementsAre(P{"algerie", "1"}));
  EXPECT_THAT(Pairs(result->foreign), ElementsAre(P{"super cats", "src-b:x"}, P{"manual rule", "added by hand"}));
  EXPECT_THAT(Pairs(result->deleted), ElementsAre(P{"birds", "src-a:"}, P{"kpop", "src-a:k"}));
  EXPECT_THAT(Pairs(result->added), ElementsAre(P{"#brexit lang:en", "src-a:"}, P{"kpop", "src-a:kpop"}));
  EXPECT_THAT(RuleIds(result->added), ElementsAre("1600000000000000001", "1600000000000000002"));
}

TEST_F(StreamRulesTest, ARuleWithoutThePrefixWhoseValueIsConfiguredIsKeptNotDuplicated) {
  // The recorded rules have no owner prefix: made by an older tweet-source, or by someone else.
  ServeCurrentRules();  // algerie/1, super/2, cats/x
  server_->Route("POST", kRulesPath, [](const RecordedRequest& r) {
    if (r.Param("dry_run") == "true") return ScriptedResponse{.body = R"({"meta":{"summary":{"valid":1}}})"};
    return ScriptedResponse{.status = 201, .body = R"({"data":[{"value":"dogs","tag":"src-a:","id":"17"}],)"
                                                   R"("meta":{"summary":{"created":1}}})"};
  });
  // "super" is configured with another tag now: it is not ours to re-tag, so it stays as it is.
  auto result = client_->SyncRules({{"algerie", "1"}, {"super", "two"}, {"dogs", ""}}, /*dry_run=*/false);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto posts = Posts();
  ASSERT_EQ(posts.size(), 2u);  // validation and add of "dogs"; no delete, no second "algerie"/"super"
  EXPECT_EQ(posts[0].body, R"({"add":[{"value":"dogs","tag":"src-a:"}]})");
  EXPECT_EQ(posts[1].body, R"({"add":[{"value":"dogs","tag":"src-a:"}]})");
  using P = std::pair<std::string, std::string>;
  EXPECT_THAT(Pairs(result->shared), ElementsAre(P{"algerie", "1"}, P{"super", "2"}));
  EXPECT_THAT(Pairs(result->foreign), ElementsAre(P{"cats", "x"}));
  EXPECT_THAT(result->deleted, IsEmpty());
  EXPECT_THAT(result->kept, IsEmpty());
}

TEST_F(StreamRulesTest, AddRulesSendsTagsAsGivenAndRefusesTheOwnerPrefix) {
  auto claimed = client_->AddRules({{"cats", "ok"}, {"dogs", "src-a:pets"}}, /*dry_run=*/false);
  ASSERT_EQ(claimed.status().code(), absl::StatusCode::kInvalidArgument) << claimed.status();
  EXPECT_THAT(std::string(claimed.status().message()), HasSubstr("src-a:"));
  EXPECT_THAT(server_->Requests(), IsEmpty());

  server_->Route("POST", kRulesPath, [](const RecordedRequest&) {
    return ScriptedResponse{.status = 201, .body = R"({"data":[{"value":"cats","tag":"by hand","id":"21"}],)"
                                                   R"("meta":{"summary":{"created":1}}})"};
  });
  auto added = client_->AddRules({{"cats", "by hand"}}, /*dry_run=*/false);
  ASSERT_TRUE(added.ok()) << added.status();
  ASSERT_EQ(Posts().size(), 1u);
  EXPECT_EQ(Posts()[0].body, R"({"add":[{"value":"cats","tag":"by hand"}]})");  // foreign to every sync
}

TEST_F(StreamRulesTest, TheSourceStatusCountsAndListsTheForeignRules) {
  ServeRules({{"1500000000000000001", {"#kafka", "src-a:k"}},
              {"1500000000000000003", {"super cats", "src-b:x"}},
              {"1500000000000000005", {"manual rule", "added by hand"}}});
  server_->Route("POST", kRulesPath, [](const RecordedRequest&) {
    ADD_FAILURE() << "nothing to change";
    return ScriptedResponse{.status = 500};
  });
  ScriptedResponse keep_alives;
  for (int i = 0; i < 100; ++i) keep_alives.chunks.push_back("\r\n");
  keep_alives.chunk_delay = std::chrono::milliseconds(100);
  server_->RouteSequence("GET", "/2/tweets/search/stream", {keep_alives});

  source::SourceConfig config;
  config.name = kOwner;
  config.mode = "stream";
  config.rules = {{"#kafka", "k"}};
  config.x_api.base_url = server_->base_url();
  config.x_api.bearer_token = kToken;
  config.x_api.timeout = std::chrono::milliseconds(5000);
  FakeProducer::Shared produced;
  auto http = common::CurlHttpClient::Create();
  ASSERT_TRUE(http.ok());
  auto app = source::SourceApp::CreateWith(config, std::make_unique<FakeProducer>(&produced), std::move(*http));
  ASSERT_TRUE(app.ok()) << app.status();
  absl::Status run_status;
  std::thread runner([&] {
    source::SourceSummary summary;
    run_status = (*app)->Run(&summary);
  });
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (server_->RequestsTo("/2/tweets/search/stream").empty() && absl::Now() < deadline) {
    server_->WaitForRequests(server_->Requests().size() + 1, std::chrono::milliseconds(200));
  }
  const std::string json = (*app)->status().ToJson(kOwner);
  connector::v1::ConnectorStatus proto;
  (*app)->status().FillProto(&proto);
  (*app)->RequestStop();
  runner.join();
  EXPECT_TRUE(run_status.ok()) << run_status;
  EXPECT_THAT(json, HasSubstr(R"("rules":{"owned":1,"shared":0,"foreign":2,)"));
  EXPECT_THAT(json, HasSubstr(R"({"id":"1500000000000000003","value":"super cats","tag":"src-b:x"})"));
  EXPECT_THAT(json, HasSubstr(R"({"id":"1500000000000000005","value":"manual rule","tag":"added by hand"})"));
  EXPECT_EQ(proto.source().rules_owned(), 1);
  EXPECT_EQ(proto.source().rules_foreign(), 2);
  EXPECT_THAT(proto.source().foreign_rules(), ElementsAre("1500000000000000003 \"super cats\" [src-b:x]",
                                                         "1500000000000000005 \"manual rule\" [added by hand]"));
}

TEST_F(StreamRulesTest, DryRunSendsTheDryRunFlagAndAppliesNothing) {
  ServeCurrentRules();
  server_->Route("POST", kRulesPath, [](const RecordedRequest&) {
    return ScriptedResponse{.body = R"({"meta":{"sent":"2021-04-01T15:52:01.000Z","summary":{}}})"};
  });
  ServeRules({{"1500000000000000002", {"birds", "src-a:"}}, {kAlgerieId, {"algerie", "1"}}});
  auto result = client_->SyncRules({{"algerie", "1"}, {"#brexit lang:en", ""}}, /*dry_run=*/true);
  ASSERT_TRUE(result.ok()) << result.status();
  const auto posts = Posts();
  ASSERT_EQ(posts.size(), 2u);
  for (const auto& p : posts) EXPECT_EQ(p.Param("dry_run"), "true") << p.body;
  EXPECT_EQ(posts[0].body, R"({"add":[{"value":"#brexit lang:en","tag":"src-a:"}]})");  // no tag: the prefix alone
  EXPECT_EQ(posts[1].body, R"({"delete":{"ids":["1500000000000000002"]}})");
  EXPECT_TRUE(result->dry_run);
  EXPECT_THAT(Pairs(result->added), ElementsAre(std::pair<std::string, std::string>{"#brexit lang:en", "src-a:"}));
  EXPECT_THAT(RuleIds(result->added), ElementsAre(""));
  EXPECT_EQ(result->deleted.size(), 1u);
}

TEST_F(StreamRulesTest, AnInvalidRuleIsReportedWithTheApiReasonAndNothingChanges) {
  ServeCurrentRules();
  // The validation rejects "from:" (invalid) and "dogs" (someone added it since the listing), and
  // flags "birds" as a duplicate: a re-tag of our own "birds", which is expected and ignored.
  ServeRules({{"1500000000000000002", {"birds", "src-a:old"}}});
  server_->Route("POST", kRulesPath, [](const RecordedRequest&) {
    return ScriptedResponse{.body = R"({"meta":{"sent":"2021-04-01T15:52:01.000Z","summary":{"created":0,)"
                                    R"("not_created":3,"valid":0,"invalid":3}},"errors":[)"
                                    R"({"value":"from:","title":"UnprocessableEntity","detail":"Rule is invalid",)"
                                    R"("type":"https://api.x.com/2/problems/invalid-rules"},)"
                                    R"({"value":"dogs","id":"1500000000000000000","title":"DuplicateRule",)"
                                    R"("type":"https://api.twitter.com/2/problems/duplicate-rules"},)"
                                    R"({"value":"birds","id":"1500000000000000002","title":"DuplicateRule",)"
                                    R"("type":"https://api.twitter.com/2/problems/duplicate-rules"}]})"};
  });
  auto result =
      client_->SyncRules({{"from:", "bad"}, {"dogs", ""}, {"birds", "new"}}, /*dry_run=*/false);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  const std::string message(result.status().message());
  EXPECT_THAT(message, HasSubstr("\"from:\": UnprocessableEntity: Rule is invalid"));
  EXPECT_THAT(message, HasSubstr("\"dogs\" (duplicate of rule 1500000000000000000)"));
  EXPECT_THAT(message, Not(HasSubstr("\"birds\"")));
  EXPECT_THAT(message, HasSubstr("nothing was changed"));
  // Only the validation was sent: no delete, no apply.
  const auto posts = Posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].Param("dry_run"), "true");
  EXPECT_EQ(posts[0].body, R"({"add":[{"value":"from:","tag":"src-a:bad"},{"value":"dogs","tag":"src-a:"},)"
                           R"({"value":"birds","tag":"src-a:new"}]})");
}

TEST_F(StreamRulesTest, InvalidRuleDetailsArrayIsTheReasonWhenThereIsNoDetail) {
  ServeCurrentRules();
  server_->Route("POST", kRulesPath, [](const RecordedRequest&) {
    return ScriptedResponse{.body = R"({"errors":[{"value":"lang:","title":"Invalid Rule",)"
                                    R"("details":["Reference to invalid field 'lang:'"],)"
                                    R"("type":"https://api.twitter.com/2/problems/invalid-rules"}]})"};
  });
  auto result = client_->SyncRules({{"lang:", ""}}, /*dry_run=*/true);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("\"lang:\": Invalid Rule: Reference to invalid field 'lang:'"));
  EXPECT_EQ(Posts().size(), 1u);  // not even the dry-run delete
}

TEST_F(StreamRulesTest, RuleCapIsReported) {
  ServeCurrentRules();
  server_->Route("POST", kRulesPath, [](const RecordedRequest&) {
    return ScriptedResponse{.body = R"({"errors":[{"title":"RulesCapExceeded","detail":"Rule cap of 1000 reached",)"
                                    R"("type":"https://api.twitter.com/2/problems/rule-cap"}]})"};
  });
  auto result = client_->SyncRules({{"algerie", "1"}, {"super", "2"}, {"cats", "x"}, {"more", ""}}, false);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("Rule cap of 1000 reached"));
  EXPECT_EQ(Posts().size(), 1u);
}

TEST_F(StreamRulesTest, NothingToDoSendsNoPost) {
  ServeCurrentRules();
  auto result = client_->SyncRules({{"cats", "x"}, {"super", "2"}, {"algerie", "1"}}, false);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->shared.size(), 3u);  // not ours (no prefix), but with the configured values
  EXPECT_THAT(result->added, IsEmpty());
  EXPECT_THAT(result->deleted, IsEmpty());
  EXPECT_THAT(Posts(), IsEmpty());
}

TEST_F(StreamRulesTest, UnauthorizedSaysWhatIsWrongWithoutTheToken) {
  server_->RouteSequence("GET", kRulesPath,
                         {ScriptedResponse{.status = 401, .body = R"({"title":"Unauthorized","type":"about:blank",)"
                                                                  R"("status":401,"detail":"Unauthorized"})"}});
  auto result = client_->SyncRules({{"cats", ""}}, false);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << result.status();
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("X_BEARER_TOKEN"));
  EXPECT_THAT(std::string(result.status().message()), Not(HasSubstr(kToken)));
  EXPECT_THAT(Posts(), IsEmpty());
}

TEST_F(StreamRulesTest, LocalChecksComeBeforeAnyRequest) {
  EXPECT_EQ(client_->SyncRules({}, false).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->SyncRules({{"cats", "a"}, {"cats", "b"}}, false).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client_->SyncRules({{"  ", "a"}}, false).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(server_->Requests(), IsEmpty());
}

TEST(RulesFileTest, ParsesValuesTagsCommentsAndHashtagRules) {
  const std::string text =
      "# stream rules for the demo\r\n"
      "\r\n"
      "cat has:images\tcats with images\r\n"
      "#brexit lang:en\n"
      "   #\n"
      "  (dog OR puppy) -is:retweet  \t  dogs \n"
      "\n";
  auto rules = source::ParseRulesText(text, "rules.txt");
  ASSERT_TRUE(rules.ok()) << rules.status();
  ASSERT_EQ(rules->size(), 3u);
  EXPECT_EQ((*rules)[0], (StreamRule{"cat has:images", "cats with images"}));
  EXPECT_EQ((*rules)[1], (StreamRule{"#brexit lang:en", ""}));  // a hashtag rule, not a comment
  EXPECT_EQ((*rules)[2], (StreamRule{"(dog OR puppy) -is:retweet", "dogs"}));
}

TEST(RulesFileTest, ErrorsNameTheLine) {
  auto empty_value = source::ParseRulesText("cats\n\tonly a tag\n", "r.txt");
  EXPECT_EQ(empty_value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(empty_value.status().message()), HasSubstr("r.txt:2"));
  auto two_tabs = source::ParseRulesText("a\tb\tc\n", "r.txt");
  EXPECT_THAT(std::string(two_tabs.status().message()), HasSubstr("r.txt:1: more than one TAB"));
  auto twice = source::ParseRulesText("cats\tx\n# c\ncats\ty\n", "r.txt");
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("r.txt:3"));
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("line 1"));
}

TEST(RulesFileTest, LoadsAFileAndReportsAMissingOne) {
  const std::string path = ::testing::TempDir() + "/stream_rules_test_rules.txt";
  {
    std::ofstream out(path, std::ios::binary);
    out << "\xEF\xBB\xBF# two rules, after a byte-order mark\nkpop\tk\nbrexit\n";
  }
  auto rules = source::LoadRulesFile(path);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_THAT(*rules, ElementsAre(StreamRule{"kpop", "k"}, StreamRule{"brexit", ""}));
  std::remove(path.c_str());
  EXPECT_EQ(source::LoadRulesFile(path).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tweetstream::testing
