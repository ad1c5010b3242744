// The sink's counters (sink_counters.h) reach the status file's "counters" object and the control
// plane's ConnectorStatus with the same values. The expected mapping is written out here by hand (an
// independent oracle of the declaration).

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "sink-connector/sink_counters.h"
#include "sink-connector/sink_status.h"

namespace tweetstream::sink {
namespace {

void SetDistinct(SinkCounters& c) {
  c.consumed = 201;
  c.indexed = 202;
  c.deleted = 203;
  c.dead_lettered = 204;
  c.rejected = 205;
  c.undecodable = 206;
  c.retried = 207;
  c.bulks = 208;
  c.commits = 209;
  c.rebalances = 210;
}

TEST(SinkStatusTest, EveryCounterIsInTheStatusFileUnderItsName) {
  SinkStatus status;
  SetDistinct(status.counters());
  rapidjson::Document doc;
  doc.Parse(status.ToJson("k").c_str());
  ASSERT_TRUE(doc.IsObject() && doc.HasMember("counters") && doc["counters"].IsObject());
  std::map<std::string, int64_t> counters;
  for (const auto& m : doc["counters"].GetObject()) counters[m.name.GetString()] = m.value.GetInt64();
  const std::map<std::string, int64_t> expected = {
      {"consumed", 201}, {"indexed", 202}, {"deleted", 203}, {"dead_lettered", 204}, {"rejected", 205},
      {"undecodable", 206}, {"retried", 207}, {"bulks", 208}, {"commits", 209}, {"rebalances", 210}};
  EXPECT_EQ(counters, expected);
}

TEST(SinkStatusTest, TheControlPlaneCarriesEachCounterWhereItsContractSays) {
  SinkStatus status;
  SetDistinct(status.counters());
  connector::v1::ConnectorStatus proto;
  status.FillProto(&proto);
  EXPECT_EQ(proto.counters().read(), 201);
  EXPECT_EQ(proto.counters().indexed(), 202);
  EXPECT_EQ(proto.counters().deleted(), 203);
  EXPECT_EQ(proto.counters().dead_lettered(), 204);
  EXPECT_EQ(proto.counters().failed(), 205);
  EXPECT_EQ(proto.counters().skipped(), 206);
  EXPECT_EQ(proto.counters().retried(), 207);
  EXPECT_EQ(proto.counters().requests(), 208);
}

}  // namespace
}  // namespace tweetstream::sink
