#include "sluice/ledger/request_query.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "sluice/ledger/ledger.h"
#include "temp_dir.h"

namespace sluice::ledger {
namespace {

using testing::ledger_config;
using testing::make_record;
using testing::TempDir;

constexpr int64_t kT0 = 1'795'305'600'000;  // 2026-11-22T00:00:00Z

class RequestQueryTest : public ::testing::Test {
 protected:
  void SetUp() override { ledger_ = std::make_unique<Ledger>(ledger_config(dir_.file("l.db")), 1); }
  void submit(Record r) { ledger_->queue(0).submit(std::move(r)); }
  void flush() { ASSERT_TRUE(ledger_->flush()); }
  RequestQuery& query() {
    if (!query_) query_ = std::make_unique<RequestQuery>(dir_.file("l.db"));
    return *query_;
  }
  static rapidjson::Document parse(const RequestAnswer& a) {
    EXPECT_TRUE(a.ok()) << a.error;
    rapidjson::Document doc;
    doc.Parse(a.json.c_str(), a.json.size());
    EXPECT_FALSE(doc.HasParseError()) << a.json;
    return doc;
  }
  std::vector<std::string> ids(const RequestPageQuery& q, std::string* next = nullptr) {
    const auto doc = parse(query().requests(q));
    std::vector<std::string> out;
    for (const auto& row : doc["rows"].GetArray()) out.emplace_back(row["request_id"].GetString());
    if (next) *next = doc["next"].IsNull() ? "" : doc["next"].GetString();
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<RequestQuery> query_;
};

TEST_F(RequestQueryTest, RowCarriesEveryColumnAndExactMoney) {
  Record r = make_record("req-1", kT0 + 5, "support", "gpt-4o-mini");
  r.key_id = "bot";
  r.stream = true;
  r.status = 200;
  r.outcome = Outcome::ok;
  r.input_tokens = 1234;
  r.output_tokens = 56;
  r.cached_tokens = 1000;
  r.reasoning_tokens = 7;
  r.usage_source = UsageSource::provider;
  r.cost_nusd = 100'000'001;  // $0.100000001: a double would round it
  r.latency_ms = 812;
  r.ttft_ms = 95;
  r.attempts = 2;
  r.upstream_request_id = "chatcmpl-abc";
  r.overhead_us = 4;
  submit(std::move(r));
  Record refused = make_record("req-2", kT0 + 6);
  refused.status = 429;
  refused.outcome = Outcome::rejected;
  refused.error_class = "rate_limited";
  submit(std::move(refused));
  flush();

  RequestAnswer a = query().requests({});
  const auto doc = parse(a);
  ASSERT_EQ(doc["rows"].Size(), 2u);
  EXPECT_TRUE(doc["next"].IsNull());
  const auto& row = doc["rows"][1];  // newest first
  EXPECT_STREQ(row["request_id"].GetString(), "req-1");
  EXPECT_EQ(row["ts_ms"].GetInt64(), kT0 + 5);
  EXPECT_STREQ(row["key_id"].GetString(), "bot");
  EXPECT_STREQ(row["project"].GetString(), "support");
  EXPECT_STREQ(row["model"].GetString(), "gpt-4o-mini");
  EXPECT_STREQ(row["provider"].GetString(), "openai");
  EXPECT_STREQ(row["upstream_model"].GetString(), "gpt-4o-2024-08-06");
  EXPECT_TRUE(row["stream"].GetBool());
  EXPECT_EQ(row["status"].GetInt(), 200);
  EXPECT_STREQ(row["outcome"].GetString(), "ok");
  EXPECT_EQ(row["input_tokens"].GetInt(), 1234);
  EXPECT_EQ(row["output_tokens"].GetInt(), 56);
  EXPECT_EQ(row["cached_tokens"].GetInt(), 1000);
  EXPECT_EQ(row["reasoning_tokens"].GetInt(), 7);
  EXPECT_STREQ(row["usage_source"].GetString(), "provider");
  EXPECT_EQ(row["cost_nusd"].GetInt64(), 100'000'001);
  EXPECT_EQ(row["latency_ms"].GetInt(), 812);
  EXPECT_EQ(row["ttft_ms"].GetInt(), 95);
  EXPECT_EQ(row["attempts"].GetInt(), 2);
  EXPECT_STREQ(row["error_class"].GetString(), "");
  EXPECT_STREQ(row["upstream_request_id"].GetString(), "chatcmpl-abc");
  EXPECT_EQ(row["overhead_us"].GetInt(), 4);
  EXPECT_STREQ(row["instance"].GetString(), "");  // no fleet
  // The decimal is printed from the integer, digit for digit.
  EXPECT_NE(a.json.find("\"cost_usd\":0.100000001"), std::string::npos) << a.json;
  EXPECT_TRUE(doc["rows"][0]["ttft_ms"].IsNull());
  EXPECT_TRUE(doc["rows"][0]["overhead_us"].IsNull());
  EXPECT_STREQ(doc["rows"][0]["error_class"].GetString(), "rate_limited");
}

TEST_F(RequestQueryTest, FiltersNarrowTheRows) {
  for (int i = 0; i < 6; ++i) {
    Record r =
        make_record("r" + std::to_string(i), kT0 + i, i % 2 ? "a" : "b", i % 3 ? "gpt" : "claude");
    r.key_id = i < 3 ? "k1" : "k2";
    r.status = i == 4 ? 429 : 200;
    r.outcome = i == 4 ? Outcome::rejected : Outcome::ok;
    r.error_class = i == 4 ? "rate_limited" : "";
    submit(std::move(r));
  }
  flush();
  RequestPageQuery q;
  q.filter.project = "a";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"r5", "r3", "r1"}));
  q.filter.model = "gpt";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"r5", "r1"}));
  q.filter.key = "k2";
  EXPECT_EQ(ids(q), (std::vector<std::string>{"r5"}));
  RequestPageQuery refused;
  refused.filter.status = 429;
  EXPECT_EQ(ids(refused), (std::vector<std::string>{"r4"}));
  refused.filter = {};
  refused.filter.outcome = "rejected";
  refused.filter.error_class = "rate_limited";
  EXPECT_EQ(ids(refused), (std::vector<std::string>{"r4"}));
  RequestPageQuery window;
  window.filter.from_ms = kT0 + 2;
  window.filter.to_ms = kT0 + 4;  // end excluded
  EXPECT_EQ(ids(window), (std::vector<std::string>{"r3", "r2"}));
  RequestPageQuery by_id;
  by_id.filter.request_id = "r2";
  EXPECT_EQ(ids(by_id), (std::vector<std::string>{"r2"}));
}

TEST_F(RequestQueryTest, FilterTextIsBoundNotSpliced) {
  submit(make_record("r0", kT0, "p"));
  flush();
  RequestPageQuery q;
  q.filter.project = "' OR 1=1 --";
  EXPECT_TRUE(ids(q).empty());
}

TEST_F(RequestQueryTest, PagesWalkEveryRowOnceEvenWithTiedTimestamps) {
  // Ten rows in the same millisecond: only the rowid orders them.
  for (int i = 0; i < 10; ++i) submit(make_record("r" + std::to_string(i), kT0));
  submit(make_record("later", kT0 + 1));
  flush();
  RequestPageQuery q;
  q.limit = 4;
  std::vector<std::string> all;
  std::string next;
  int pages = 0;
  do {
    ++pages;
    std::vector<std::string> page = ids(q, &next);
    EXPECT_LE(page.size(), 4u);
    all.insert(all.end(), page.begin(), page.end());
    if (!next.empty()) {
      const size_t colon = next.find(':');
      q.before = RequestCursor{std::stoll(next.substr(0, colon)), next.substr(colon + 1)};
    }
  } while (!next.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(all.size(), 11u);
  EXPECT_EQ(all[0], "later");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(all[1 + i], "r" + std::to_string(9 - i));
}

TEST_F(RequestQueryTest, CursorKeyOfAnotherLedgerIsInvalid) {
  // A PostgreSQL row_id is not a rowid: the SQLite reader refuses it rather than
  // guessing.
  submit(make_record("r0", kT0));
  flush();
  RequestPageQuery q;
  q.before = RequestCursor{kT0 + 1, "9f3a0c1e22b4d5e6-17"};
  EXPECT_EQ(query().requests(q).status, RequestAnswer::Status::invalid_query);
  q.before = RequestCursor{kT0 + 1, ""};
  EXPECT_EQ(query().requests(q).status, RequestAnswer::Status::invalid_query);
  q.before = RequestCursor{kT0 + 1, "99"};
  EXPECT_EQ(ids(q), std::vector<std::string>{"r0"});
}

TEST_F(RequestQueryTest, LimitOutOfRangeIsInvalid) {
  RequestPageQuery q;
  q.limit = 0;
  EXPECT_EQ(query().requests(q).status, RequestAnswer::Status::invalid_query);
  q.limit = kMaxRequestPage + 1;
  EXPECT_EQ(query().requests(q).status, RequestAnswer::Status::invalid_query);
  q.limit = 10;
  q.filter.from_ms = 5;
  q.filter.to_ms = 4;
  EXPECT_EQ(query().requests(q).status, RequestAnswer::Status::invalid_query);
}

TEST_F(RequestQueryTest, LookupByIdReturnsEveryRowWithThatId) {
  submit(make_record("dup", kT0 + 1, "p1"));
  submit(make_record("other", kT0 + 2));
  submit(make_record("dup", kT0 + 3, "p2"));
  flush();
  const auto doc = parse(query().request("dup"));
  EXPECT_STREQ(doc["request_id"].GetString(), "dup");
  ASSERT_EQ(doc["rows"].Size(), 2u);
  EXPECT_STREQ(doc["rows"][0]["project"].GetString(), "p1");  // oldest first
  EXPECT_STREQ(doc["rows"][1]["project"].GetString(), "p2");
  EXPECT_EQ(query().request("missing").status, RequestAnswer::Status::not_found);
  EXPECT_EQ(query().request("").status, RequestAnswer::Status::invalid_query);
}

TEST_F(RequestQueryTest, LatencyPercentilesPerModelAndBucket) {
  // Bucket 0 of model m: latencies 1..100 ms, ttft 1..100 on even ones only, overhead
  // i / 2 on those not a multiple of 5 (the others, NULL, are left out).
  for (int i = 1; i <= 100; ++i) {
    Record r = make_record("m" + std::to_string(i), kT0 + i, "p", "m");
    r.attempts = 1;
    r.latency_ms = static_cast<uint32_t>(i);
    r.ttft_ms = i % 2 == 0 ? i : -1;
    r.overhead_us = i % 5 == 0 ? -1 : i / 2;
    submit(std::move(r));
  }
  // Bucket 1 of model n: one row. A refusal that never reached a provider is left out.
  Record one = make_record("n1", kT0 + 60'000 + 5, "p", "n");
  one.attempts = 1;
  one.latency_ms = 40;
  submit(std::move(one));
  Record refused = make_record("n2", kT0 + 60'000 + 6, "p", "n");
  refused.attempts = 0;
  refused.latency_ms = 9999;
  submit(std::move(refused));
  flush();

  LatencyQuery q{kT0, kT0 + 120'000, 60'000, ""};
  const auto doc = parse(query().latency(q));
  EXPECT_STREQ(doc["overhead_source"].GetString(), "overhead_us");
  EXPECT_EQ(doc["rows_scanned"].GetInt(), 101);
  EXPECT_FALSE(doc["truncated"].GetBool());
  ASSERT_EQ(doc["rows"].Size(), 2u);
  const auto& m = doc["rows"][0];
  EXPECT_STREQ(m["model"].GetString(), "m");
  EXPECT_EQ(m["ts_ms"].GetInt64(), kT0);
  EXPECT_EQ(m["requests"].GetInt(), 100);
  EXPECT_EQ(m["latency_p50_ms"].GetInt(), 50);
  EXPECT_EQ(m["latency_p99_ms"].GetInt(), 99);
  EXPECT_EQ(m["ttft_count"].GetInt(), 50);
  EXPECT_EQ(m["ttft_p50_ms"].GetInt(), 50);   // 25th of 2,4,..,100
  EXPECT_EQ(m["ttft_p99_ms"].GetInt(), 100);  // 50th (rank ceil(49.5))
  EXPECT_EQ(m["overhead_count"].GetInt(), 80);
  EXPECT_EQ(m["overhead_p50_us"].GetInt(), 24);  // 40th: i = 49
  EXPECT_EQ(m["overhead_p99_us"].GetInt(), 49);  // 80th (rank ceil(79.2)): i = 99
  const auto& n = doc["rows"][1];
  EXPECT_STREQ(n["model"].GetString(), "n");
  EXPECT_EQ(n["ts_ms"].GetInt64(), kT0 + 60'000);
  EXPECT_EQ(n["requests"].GetInt(), 1);
  EXPECT_EQ(n["latency_p99_ms"].GetInt(), 40);
  EXPECT_TRUE(n["ttft_p50_ms"].IsNull());
  EXPECT_EQ(n["overhead_count"].GetInt(), 0);
  EXPECT_TRUE(n["overhead_p50_us"].IsNull());
  EXPECT_TRUE(n["overhead_p99_us"].IsNull());

  LatencyQuery only_n{kT0, kT0 + 120'000, 60'000, "n"};
  EXPECT_EQ(parse(query().latency(only_n))["rows"].Size(), 1u);
  LatencyQuery too_fine{kT0, kT0 + 120'000'000, 1, ""};
  EXPECT_EQ(query().latency(too_fine).status, RequestAnswer::Status::invalid_query);
}

TEST_F(RequestQueryTest, LatencyReadsAtMostTheCapAndSaysSo) {
  flush();  // the Ledger has made the schema
  // Rows straight into the file, past the cap: the newest kLatencyRowCap are read.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.file("l.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_stmt* insert = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "INSERT INTO requests (request_id, ts_ms, key_id, project, model, "
                               "provider, upstream_model, stream, status, outcome, input_tokens, "
                               "output_tokens, cached_tokens, reasoning_tokens, usage_source, "
                               "cost_nusd, latency_ms, ttft_ms, attempts) VALUES ('r', ?1, 'k', "
                               "'p', 'm', 'o', 'u', 0, 200, 'ok', 0, 0, 0, 0, 'provider', 0, ?2, "
                               "NULL, 1)",
                               -1, &insert, nullptr),
            SQLITE_OK);
  const int64_t total = kLatencyRowCap + 10;
  for (int64_t i = 0; i < total; ++i) {
    sqlite3_bind_int64(insert, 1, kT0 + i);
    // The 10 oldest rows are slow: left out, they cannot raise the p99.
    sqlite3_bind_int64(insert, 2, i < 10 ? 100'000 : 5);
    ASSERT_EQ(sqlite3_step(insert), SQLITE_DONE);
    sqlite3_reset(insert);
  }
  sqlite3_finalize(insert);
  ASSERT_EQ(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);

  LatencyQuery q{kT0, kT0 + total, total, ""};
  const auto doc = parse(query().latency(q));
  EXPECT_TRUE(doc["truncated"].GetBool());
  EXPECT_EQ(doc["rows_scanned"].GetInt64(), kLatencyRowCap);
  EXPECT_EQ(doc["row_cap"].GetInt64(), kLatencyRowCap);
  ASSERT_EQ(doc["rows"].Size(), 1u);
  EXPECT_EQ(doc["rows"][0]["requests"].GetInt64(), kLatencyRowCap);
  EXPECT_EQ(doc["rows"][0]["latency_p99_ms"].GetInt64(), 5);
}

}  // namespace
}  // namespace sluice::ledger
