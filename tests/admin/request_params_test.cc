#include "sluice/admin/request_params.h"

#include <gtest/gtest.h>

namespace sluice::admin {
namespace {

constexpr int64_t kNow = 1'795'305'600'000;  // 2026-11-22T00:00:00Z

TEST(RequestsParams, DefaultsCoverEverythingUpToNow) {
  RequestsParams p = parse_requests_params("", kNow);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.query.filter.from_ms, 0);
  EXPECT_EQ(p.query.filter.to_ms, kNow + 1);
  EXPECT_EQ(p.query.limit, 100u);
  EXPECT_FALSE(p.query.before);
}

TEST(RequestsParams, ReadsEveryFilterDecoded) {
  RequestsParams p = parse_requests_params(
      "from=2026-11-21&to=1795305600000&project=customer%20support&key=bot-1&model=gpt-4o+mini"
      "&status=429&outcome=rejected&error_class=rate_limited&request_id=a%2Fb&limit=25"
      "&before=1795305599000:42",
      kNow);
  ASSERT_EQ(p.error, "");
  const ledger::RequestFilter& f = p.query.filter;
  EXPECT_EQ(f.from_ms, kNow - 86'400'000);
  EXPECT_EQ(f.to_ms, kNow);
  EXPECT_EQ(f.project, "customer support");
  EXPECT_EQ(f.key, "bot-1");
  EXPECT_EQ(f.model, "gpt-4o mini");
  EXPECT_EQ(f.status, 429);
  EXPECT_EQ(f.outcome, "rejected");
  EXPECT_EQ(f.error_class, "rate_limited");
  EXPECT_EQ(f.request_id, "a/b");
  EXPECT_EQ(p.query.limit, 25u);
  ASSERT_TRUE(p.query.before);
  EXPECT_EQ(p.query.before->ts_ms, 1'795'305'599'000);
  EXPECT_EQ(p.query.before->key, "42");
}

TEST(RequestsParams, EmptyValuesDoNotFilter) {
  RequestsParams p = parse_requests_params("project=&status=&before=&model=", kNow);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.query.filter.status, 0);
  EXPECT_FALSE(p.query.before);
}

TEST(RequestsParams, BadValuesNameTheParameter) {
  const std::pair<std::string, const char*> cases[] = {
      {"limit=0", "limit must be 1 to 1000"},
      {"limit=1001", "limit must be 1 to 1000"},
      {"limit=ten", "limit must be 1 to 1000"},
      {"status=99", "status must be an HTTP status"},
      {"status=600", "status must be an HTTP status"},
      {"status=2xx", "status must be an HTTP status"},
      {"from=yesterday", "from must be Unix milliseconds"},
      {"to=2026-13-01", "to must be Unix milliseconds"},
      {"before=12", "before must be the `next`"},
      {"before=-1:3", "before must be the `next`"},
      {"before=1:2:3", "before must be the `next`"},
      {"before=1:", "before must be the `next`"},
      {"before=:abc", "before must be the `next`"},
      {"before=1:a%20b", "before must be the `next`"},
      {"before=1:a'b", "before must be the `next`"},
      {"before=1:" + std::string(65, 'a'), "before must be the `next`"},
      {"sort=ts_ms", "unknown parameter sort"},
      {"project=a&project=b", "parameter project given twice"},
      {"from=10&to=5", "from is after to"},
  };
  for (const auto& [query, message] : cases) {
    RequestsParams p = parse_requests_params(query, kNow);
    EXPECT_EQ(p.error.rfind(message, 0), 0u) << query << " -> " << p.error;
  }
  EXPECT_NE(parse_requests_params("model=" + std::string(300, 'x'), kNow).error, "");
}

TEST(RequestsParams, CursorKeyIsOpaque) {
  // A SQLite rowid and a PostgreSQL row_id ("<16 hex digits>-<sequence>") both parse,
  // and the key comes through as written.
  ledger::RequestCursor cursor;
  ASSERT_TRUE(parse_request_cursor("1795305599000:42", cursor));
  EXPECT_EQ(cursor.ts_ms, 1'795'305'599'000);
  EXPECT_EQ(cursor.key, "42");
  ASSERT_TRUE(parse_request_cursor("1795305599000:9f3a0c1e22b4d5e6-17", cursor));
  EXPECT_EQ(cursor.ts_ms, 1'795'305'599'000);
  EXPECT_EQ(cursor.key, "9f3a0c1e22b4d5e6-17");
  ASSERT_TRUE(parse_request_cursor("0:" + std::string(64, 'f'), cursor));
  EXPECT_EQ(cursor.key.size(), 64u);
  EXPECT_FALSE(parse_request_cursor("0:" + std::string(65, 'f'), cursor));
  EXPECT_FALSE(parse_request_cursor("x:42", cursor));
  EXPECT_FALSE(parse_request_cursor("12:4;2", cursor));

  RequestsParams p = parse_requests_params("before=7:9f3a0c1e22b4d5e6-17", kNow);
  ASSERT_EQ(p.error, "");
  ASSERT_TRUE(p.query.before);
  EXPECT_EQ(p.query.before->ts_ms, 7);
  EXPECT_EQ(p.query.before->key, "9f3a0c1e22b4d5e6-17");
}

TEST(LatencyParams, DefaultIsTheLastHourInSixtyBuckets) {
  LatencyParams p = parse_latency_params("", kNow);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.query.to_ms, kNow + 1);
  EXPECT_EQ(p.query.from_ms, kNow + 1 - 3'600'000);
  EXPECT_EQ(p.query.bucket_ms, 60'000);
  EXPECT_EQ(p.query.model, "");
}

TEST(LatencyParams, ReadsWindowBucketAndModel) {
  LatencyParams p = parse_latency_params("from=1000&to=601000&bucket_ms=5000&model=m1", kNow);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.query.from_ms, 1000);
  EXPECT_EQ(p.query.to_ms, 601000);
  EXPECT_EQ(p.query.bucket_ms, 5000);
  EXPECT_EQ(p.query.model, "m1");
}

TEST(LatencyParams, RefusesTooManyBucketsAndBadValues) {
  EXPECT_EQ(parse_latency_params("from=0&to=100000000&bucket_ms=1000", kNow)
                .error.rfind("bucket_ms too small", 0),
            0u);
  EXPECT_EQ(parse_latency_params("bucket_ms=999", kNow).error.rfind("bucket_ms must be", 0), 0u);
  EXPECT_EQ(parse_latency_params("bucket=60", kNow).error.rfind("unknown parameter bucket", 0), 0u);
  EXPECT_EQ(parse_latency_params("from=5&to=4", kNow).error, "from is after to");
}

}  // namespace
}  // namespace sluice::admin
