// The source's counters (source_counters.h) reach the three places an operator reads them with the
// same values: the status file's "counters" object, the control plane's ConnectorStatus and /metrics.
// The expected mapping is written out here by hand (an independent oracle of the declaration).

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "source-connector/source_counters.h"
#include "source-connector/source_status.h"

namespace tweetstream::source {
namespace {

SourceCounters Distinct() {
  SourceCounters c;
  c.read = 101;
  c.produced = 102;
  c.delivered = 103;
  c.delivery_failed = 104;
  c.skipped = 105;
  c.too_large = 106;
  c.api_problems = 107;
  c.requests = 108;
  c.polls = 109;
  return c;
}

TEST(SourceStatusTest, EveryCounterIsInTheStatusFileUnderItsName) {
  SourceStatus status;
  status.SetCounters(Distinct());
  rapidjson::Document doc;
  doc.Parse(status.ToJson("s").c_str());
  ASSERT_TRUE(doc.IsObject() && doc.HasMember("counters") && doc["counters"].IsObject());
  std::map<std::string, int64_t> counters;
  for (const auto& m : doc["counters"].GetObject()) counters[m.name.GetString()] = m.value.GetInt64();
  const std::map<std::string, int64_t> expected = {
      {"read", 101},    {"produced", 102},     {"delivered", 103}, {"delivery_failed", 104}, {"skipped", 105},
      {"too_large", 106}, {"api_problems", 107}, {"requests", 108}, {"polls", 109}};
  EXPECT_EQ(counters, expected);
}

TEST(SourceStatusTest, TheControlPlaneCarriesEachCounterWhereItsContractSays) {
  SourceStatus status;
  status.SetCounters(Distinct());
  connector::v1::ConnectorStatus proto;
  status.FillProto(&proto);
  EXPECT_EQ(proto.counters().read(), 101);
  EXPECT_EQ(proto.counters().produced(), 103);  // the contract's "produced" is Kafka-confirmed: delivered
  EXPECT_EQ(proto.counters().failed(), 104);
  EXPECT_EQ(proto.counters().skipped(), 105);
  EXPECT_EQ(proto.counters().requests(), 108);
  EXPECT_EQ(proto.source().too_large(), 106);
  EXPECT_EQ(proto.source().api_problems(), 107);
  EXPECT_EQ(proto.source().polls(), 109);
}

}  // namespace
}  // namespace tweetstream::source
