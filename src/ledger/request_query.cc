#include "sluice/ledger/request_query.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "sluice/core/money.h"
#include "sqlite_db.h"

namespace sluice::ledger {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Every column of a row, in the order write_row() reads them.
constexpr const char* kRowColumns =
    "rowid, request_id, ts_ms, key_id, project, model, provider, upstream_model, stream, "
    "status, outcome, input_tokens, output_tokens, cached_tokens, reasoning_tokens, "
    "usage_source, cost_nusd, latency_ms, ttft_ms, attempts, error_class, upstream_request_id";

RequestAnswer answer_error(RequestAnswer::Status status, std::string message) {
  RequestAnswer answer;
  answer.status = status;
  answer.error = std::move(message);
  return answer;
}

RequestAnswer answer_ok(const rapidjson::StringBuffer& buffer) {
  RequestAnswer answer;
  answer.status = RequestAnswer::Status::ok;
  answer.json.assign(buffer.GetString(), buffer.GetSize());
  return answer;
}

void put_text(JsonWriter& json, const char* key, sqlite3_stmt* stmt, int index) {
  json.Key(key);
  const unsigned char* text = sqlite3_column_text(stmt, index);
  const int size = sqlite3_column_bytes(stmt, index);
  json.String(text ? reinterpret_cast<const char*>(text) : "",
              static_cast<rapidjson::SizeType>(text ? size : 0));
}

void put_int(JsonWriter& json, const char* key, sqlite3_stmt* stmt, int index) {
  json.Key(key);
  json.Int64(sqlite3_column_int64(stmt, index));
}

// One row as a JSON object; money both as the stored integer and as the exact decimal
// it stands for (a number printed from the integer, never a double).
void write_row(JsonWriter& json, sqlite3_stmt* stmt) {
  json.StartObject();
  put_text(json, "request_id", stmt, 1);
  put_int(json, "ts_ms", stmt, 2);
  put_text(json, "key_id", stmt, 3);
  put_text(json, "project", stmt, 4);
  put_text(json, "model", stmt, 5);
  put_text(json, "provider", stmt, 6);
  put_text(json, "upstream_model", stmt, 7);
  json.Key("stream");
  json.Bool(sqlite3_column_int64(stmt, 8) != 0);
  put_int(json, "status", stmt, 9);
  put_text(json, "outcome", stmt, 10);
  put_int(json, "input_tokens", stmt, 11);
  put_int(json, "output_tokens", stmt, 12);
  put_int(json, "cached_tokens", stmt, 13);
  put_int(json, "reasoning_tokens", stmt, 14);
  put_text(json, "usage_source", stmt, 15);
  const int64_t nusd = sqlite3_column_int64(stmt, 16);
  json.Key("cost_nusd");
  json.Int64(nusd);
  json.Key("cost_usd");
  const std::string usd = money::format_nano(nusd);
  json.RawValue(usd.data(), usd.size(), rapidjson::kNumberType);
  put_int(json, "latency_ms", stmt, 17);
  json.Key("ttft_ms");
  if (sqlite3_column_type(stmt, 18) == SQLITE_NULL)
    json.Null();
  else
    json.Int64(sqlite3_column_int64(stmt, 18));
  put_int(json, "attempts", stmt, 19);
  put_text(json, "error_class", stmt, 20);
  put_text(json, "upstream_request_id", stmt, 21);
  json.EndObject();
}

void bind_text(sqlite3_stmt* stmt, int index, const std::string& value) {
  sqlite3_bind_text(stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}

// Nearest rank: the smallest value with at least p% of the values at or below it.
int64_t percentile(const std::vector<int64_t>& sorted, int p) {
  const size_t n = sorted.size();
  size_t rank = (static_cast<size_t>(p) * n + 99) / 100;
  if (rank == 0) rank = 1;
  return sorted[rank - 1];
}

}  // namespace

RequestQuery::RequestQuery(const std::string& path) {
  db_ = sqlite::open(path, /*read_only=*/true, /*busy_timeout_ms=*/5000).release();
}

RequestQuery::~RequestQuery() { sqlite3_close_v2(db_); }

RequestAnswer RequestQuery::requests(const RequestPageQuery& query) const {
  const RequestFilter& f = query.filter;
  if (f.from_ms > f.to_ms)
    return answer_error(RequestAnswer::Status::invalid_query, "from is after to");
  if (query.limit < 1 || query.limit > kMaxRequestPage)
    return answer_error(RequestAnswer::Status::invalid_query,
                        "limit must be 1 to " + std::to_string(kMaxRequestPage));

  // The text is built from this fixed list only; what the client sent is bound.
  std::string sql = std::string("SELECT ") + kRowColumns +
                    " FROM requests WHERE ts_ms >= ?1 AND ts_ms < ?2"
                    " AND (?3 = '' OR project = ?3) AND (?4 = '' OR key_id = ?4)"
                    " AND (?5 = '' OR model = ?5) AND (?6 = '' OR outcome = ?6)"
                    " AND (?7 = '' OR error_class = ?7) AND (?8 = '' OR request_id = ?8)"
                    " AND (?9 = 0 OR status = ?9)";
  if (query.before) sql += " AND (ts_ms, rowid) < (?10, ?11)";
  sql += " ORDER BY ts_ms DESC, rowid DESC LIMIT ?12";

  std::lock_guard lock(mu_);
  std::string error;
  sqlite::Stmt stmt = sqlite::prepare(db_, sql, &error);
  if (!stmt) return answer_error(RequestAnswer::Status::failed, "ledger query failed: " + error);
  sqlite3_stmt* s = stmt.get();
  sqlite3_bind_int64(s, 1, f.from_ms);
  sqlite3_bind_int64(s, 2, f.to_ms);
  bind_text(s, 3, f.project);
  bind_text(s, 4, f.key);
  bind_text(s, 5, f.model);
  bind_text(s, 6, f.outcome);
  bind_text(s, 7, f.error_class);
  bind_text(s, 8, f.request_id);
  sqlite3_bind_int(s, 9, f.status);
  if (query.before) {
    sqlite3_bind_int64(s, 10, query.before->ts_ms);
    sqlite3_bind_int64(s, 11, query.before->rowid);
  }
  // One row more than asked tells whether another page follows.
  sqlite3_bind_int64(s, 12, static_cast<int64_t>(query.limit) + 1);

  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  json.Key("rows");
  json.StartArray();
  uint32_t shown = 0;
  RequestCursor last;
  bool more = false;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (shown == query.limit) {
      more = true;
      break;
    }
    write_row(json, s);
    last = {sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 0)};
    ++shown;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return answer_error(RequestAnswer::Status::failed,
                        "ledger query failed: " + sqlite::last_error(db_));
  json.EndArray();
  json.Key("next");
  if (more) {
    const std::string cursor = std::to_string(last.ts_ms) + ":" + std::to_string(last.rowid);
    json.String(cursor.data(), static_cast<rapidjson::SizeType>(cursor.size()));
  } else {
    json.Null();
  }
  json.EndObject();
  return answer_ok(buffer);
}

RequestAnswer RequestQuery::request(std::string_view request_id) const {
  if (request_id.empty())
    return answer_error(RequestAnswer::Status::invalid_query, "request id is empty");
  const std::string sql = std::string("SELECT ") + kRowColumns +
                          " FROM requests WHERE request_id = ?1 ORDER BY ts_ms, rowid";
  std::lock_guard lock(mu_);
  std::string error;
  sqlite::Stmt stmt = sqlite::prepare(db_, sql, &error);
  if (!stmt) return answer_error(RequestAnswer::Status::failed, "ledger query failed: " + error);
  sqlite3_bind_text(stmt.get(), 1, request_id.data(), static_cast<int>(request_id.size()),
                    SQLITE_STATIC);

  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  json.Key("request_id");
  json.String(request_id.data(), static_cast<rapidjson::SizeType>(request_id.size()));
  json.Key("rows");
  json.StartArray();
  size_t rows = 0;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    write_row(json, stmt.get());
    ++rows;
  }
  if (rc != SQLITE_DONE)
    return answer_error(RequestAnswer::Status::failed,
                        "ledger query failed: " + sqlite::last_error(db_));
  if (rows == 0)
    return answer_error(RequestAnswer::Status::not_found, "no request with that id in the ledger");
  json.EndArray();
  json.EndObject();
  return answer_ok(buffer);
}

RequestAnswer RequestQuery::latency(const LatencyQuery& query) const {
  if (query.from_ms > query.to_ms)
    return answer_error(RequestAnswer::Status::invalid_query, "from is after to");
  if (query.bucket_ms < 1)
    return answer_error(RequestAnswer::Status::invalid_query, "bucket_ms must be positive");
  // Written to avoid overflow: (to - from) / bucket may not exceed the cap.
  const int64_t span = query.to_ms - query.from_ms;
  if (span / query.bucket_ms >= kMaxLatencyBuckets)
    return answer_error(RequestAnswer::Status::invalid_query,
                        "bucket_ms too small for this range: at most " +
                            std::to_string(kMaxLatencyBuckets) + " buckets");

  // Newest first, so that when the window holds more than the cap, the recent part is
  // the one shown.
  const std::string sql =
      "SELECT model, ts_ms, ttft_ms, latency_ms FROM requests"
      " WHERE ts_ms >= ?1 AND ts_ms < ?2 AND attempts > 0 AND (?3 = '' OR model = ?3)"
      " ORDER BY ts_ms DESC LIMIT ?4";
  struct Samples {
    std::vector<int64_t> ttft;
    std::vector<int64_t> latency;
  };
  std::map<std::pair<std::string, int64_t>, Samples> buckets;
  uint32_t scanned = 0;
  bool truncated = false;
  {
    std::lock_guard lock(mu_);
    std::string error;
    sqlite::Stmt stmt = sqlite::prepare(db_, sql, &error);
    if (!stmt) return answer_error(RequestAnswer::Status::failed, "ledger query failed: " + error);
    sqlite3_stmt* s = stmt.get();
    sqlite3_bind_int64(s, 1, query.from_ms);
    sqlite3_bind_int64(s, 2, query.to_ms);
    bind_text(s, 3, query.model);
    sqlite3_bind_int64(s, 4, static_cast<int64_t>(kLatencyRowCap) + 1);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      if (scanned == kLatencyRowCap) {
        truncated = true;
        break;
      }
      ++scanned;
      const unsigned char* model = sqlite3_column_text(s, 0);
      const int64_t ts = sqlite3_column_int64(s, 1);
      const int64_t start =
          query.from_ms + (ts - query.from_ms) / query.bucket_ms * query.bucket_ms;
      Samples& samples = buckets[{model ? reinterpret_cast<const char*>(model) : "", start}];
      if (sqlite3_column_type(s, 2) != SQLITE_NULL)
        samples.ttft.push_back(sqlite3_column_int64(s, 2));
      samples.latency.push_back(sqlite3_column_int64(s, 3));
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return answer_error(RequestAnswer::Status::failed,
                          "ledger query failed: " + sqlite::last_error(db_));
  }

  rapidjson::StringBuffer buffer;
  JsonWriter json(buffer);
  json.StartObject();
  json.Key("from");
  json.Int64(query.from_ms);
  json.Key("to");
  json.Int64(query.to_ms);
  json.Key("bucket_ms");
  json.Int64(query.bucket_ms);
  json.Key("overhead_source");
  json.String("latency_ms");
  json.Key("rows_scanned");
  json.Uint(scanned);
  json.Key("row_cap");
  json.Uint(kLatencyRowCap);
  json.Key("truncated");
  json.Bool(truncated);
  json.Key("rows");
  json.StartArray();
  for (auto& [where, samples] : buckets) {
    std::sort(samples.ttft.begin(), samples.ttft.end());
    std::sort(samples.latency.begin(), samples.latency.end());
    json.StartObject();
    json.Key("model");
    json.String(where.first.data(), static_cast<rapidjson::SizeType>(where.first.size()));
    json.Key("ts_ms");
    json.Int64(where.second);
    json.Key("requests");
    json.Uint64(samples.latency.size());
    json.Key("ttft_count");
    json.Uint64(samples.ttft.size());
    for (const auto& [key, p] : {std::pair{"ttft_p50_ms", 50}, std::pair{"ttft_p99_ms", 99}}) {
      json.Key(key);
      if (samples.ttft.empty())
        json.Null();
      else
        json.Int64(percentile(samples.ttft, p));
    }
    json.Key("latency_p50_ms");
    json.Int64(percentile(samples.latency, 50));
    json.Key("latency_p99_ms");
    json.Int64(percentile(samples.latency, 99));
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return answer_ok(buffer);
}

}  // namespace sluice::ledger
