#pragma once
// A recent-search index for the fake X API: a set of tweets served the way
// GET /2/tweets/search/recent pages them, so that tests of the search poller assert on what a real
// index would have answered rather than on a fixed script of pages.
//
// What it does like X (../shared/X-API-V2.md §2.1, §7):
//   * newest first, `max_results` per page, `meta.next_token` while more match (opaque; reusing one
//     returns the same page), `meta.newest_id`/`oldest_id`/`result_count`; an empty result is
//     exactly {"meta":{"result_count":0}};
//   * `since_id` / `until_id` exclusive, `start_time` inclusive, `end_time` exclusive (default: 30 s
//     before the request); only tweets of the last `window` (7 days) are in the index;
//   * 400 invalid-request (errors[].parameters names the parameter) for a since_id, until_id,
//     start_time or end_time older than the window, and for since_id/until_id mixed with
//     start_time/end_time ("Invalid use of ... in conjunction with ...").
// `includes.users` holds the authors of the page's tweets.
//
// Misbehaviour is added around it: `set_hook` may replace any answer (an HTML page, a delay...).
// Thread-safety: every method may be called from any thread while the server serves.

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/fake_x_api/fake_x_api_server.h"

namespace tweetstream::testing {

struct IndexedTweet {
  std::string id;          // decimal tweet id
  absl::Time created_at;
  std::string json;        // the whole data[] object, e.g. {"id":"1","text":"...","author_id":"7",...}
  std::string author_id;   // joined with the users given to AddUser
};

// X's tweet ids are snowflakes: milliseconds since 2010-11-04T01:42:54.657Z in the bits above 22.
std::string SnowflakeId(absl::Time t, int sequence);
absl::Time SnowflakeTime(const std::string& id);

// The tweets (and users) of a recorded search page, with their ids and created_at.
struct RecordedTweets {
  std::vector<IndexedTweet> tweets;
  std::map<std::string, std::string> users;  // id -> the user object's JSON
};
RecordedTweets TweetsOfRecordedPage(const std::string& body);

class FakeSearchIndex {
 public:
  // `now` is the index's clock (a test's FakeClock, or absl::Now).
  explicit FakeSearchIndex(std::function<absl::Time()> now, absl::Duration window = absl::Hours(24 * 7));

  void Add(IndexedTweet tweet);
  void Add(const RecordedTweets& recorded);
  void AddUser(const std::string& id, const std::string& json);

  // Called with every request and the index's answer; may change the answer (for one page, a few
  // attempts...). Runs on the server's thread, outside the index's lock.
  using Hook = std::function<void(const RecordedRequest&, ScriptedResponse*)>;
  void set_hook(Hook hook);

  // The route's handler (FakeXApiServer::Route("GET", "/2/tweets/search/recent", index.Handler())).
  Handler MakeHandler();
  ScriptedResponse Answer(const RecordedRequest& request);

  // How often each tweet id went out in a 200 page (after the hook: a page the hook replaced does not count).
  std::map<std::string, int> Served() const;
  // Ids of the tweets the index holds whose created_at is in [from, to).
  std::set<std::string> IdsBetween(absl::Time from, absl::Time to) const;

 private:
  ScriptedResponse Compute(const RecordedRequest& request);
  std::function<absl::Time()> now_;
  const absl::Duration window_;
  mutable absl::Mutex mu_;
  std::map<uint64_t, IndexedTweet, std::greater<uint64_t>> tweets_ ABSL_GUARDED_BY(mu_);  // newest first
  std::map<std::string, std::string> users_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> served_ ABSL_GUARDED_BY(mu_);
  Hook hook_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tweetstream::testing
