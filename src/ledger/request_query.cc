#include "sluice/ledger/request_query.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <utility>
#include <vector>

#include "pg_conn.h"
#include "sluice/core/money.h"
#include "sqlite_db.h"

namespace sluice::ledger {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Every column of a row, in the order write_row() reads them; the first is the row's
// key (the cursor's tie-break).
constexpr const char* kRowTail =
    "request_id, ts_ms, key_id, project, model, provider, upstream_model, stream, "
    "status, outcome, input_tokens, output_tokens, cached_tokens, reasoning_tokens, "
    "usage_source, cost_nusd, latency_ms, ttft_ms, attempts, error_class, upstream_request_id, "
    "overhead_us, instance";

std::string row_columns(bool pg) { return std::string(pg ? "row_id, " : "rowid, ") + kRowTail; }

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

// One result row, read by column index, from either backend.
class SqliteRow {
 public:
  explicit SqliteRow(sqlite3_stmt* stmt) : stmt_(stmt) {}
  std::string_view text(int i) const {
    const unsigned char* t = sqlite3_column_text(stmt_, i);
    const int size = sqlite3_column_bytes(stmt_, i);
    return t ? std::string_view(reinterpret_cast<const char*>(t), static_cast<size_t>(size))
             : std::string_view();
  }
  int64_t int64(int i) const { return sqlite3_column_int64(stmt_, i); }
  bool null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_;
};

// PostgreSQL returns every value as text (integers in decimal).
class PgRow {
 public:
  PgRow(const PGresult* result, int row) : result_(result), row_(row) {}
  std::string_view text(int i) const {
    return {PQgetvalue(result_, row_, i), static_cast<size_t>(PQgetlength(result_, row_, i))};
  }
  int64_t int64(int i) const { return std::strtoll(PQgetvalue(result_, row_, i), nullptr, 10); }
  bool null(int i) const { return PQgetisnull(result_, row_, i) != 0; }

 private:
  const PGresult* result_;
  int row_;
};

template <typename Row>
void put_text(JsonWriter& json, const char* key, const Row& row, int index) {
  json.Key(key);
  const std::string_view text = row.text(index);
  json.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

template <typename Row>
void put_int(JsonWriter& json, const char* key, const Row& row, int index) {
  json.Key(key);
  json.Int64(row.int64(index));
}

// One row as a JSON object; money both as the stored integer and as the exact decimal
// it stands for (a number printed from the integer, never a double).
template <typename Row>
void write_row(JsonWriter& json, const Row& row) {
  json.StartObject();
  put_text(json, "request_id", row, 1);
  put_int(json, "ts_ms", row, 2);
  put_text(json, "key_id", row, 3);
  put_text(json, "project", row, 4);
  put_text(json, "model", row, 5);
  put_text(json, "provider", row, 6);
  put_text(json, "upstream_model", row, 7);
  json.Key("stream");
  json.Bool(row.int64(8) != 0);
  put_int(json, "status", row, 9);
  put_text(json, "outcome", row, 10);
  put_int(json, "input_tokens", row, 11);
  put_int(json, "output_tokens", row, 12);
  put_int(json, "cached_tokens", row, 13);
  put_int(json, "reasoning_tokens", row, 14);
  put_text(json, "usage_source", row, 15);
  const int64_t nusd = row.int64(16);
  json.Key("cost_nusd");
  json.Int64(nusd);
  json.Key("cost_usd");
  const std::string usd = money::format_nano(nusd);
  json.RawValue(usd.data(), usd.size(), rapidjson::kNumberType);
  put_int(json, "latency_ms", row, 17);
  json.Key("ttft_ms");
  if (row.null(18))
    json.Null();
  else
    json.Int64(row.int64(18));
  put_int(json, "attempts", row, 19);
  put_text(json, "error_class", row, 20);
  put_text(json, "upstream_request_id", row, 21);
  json.Key("overhead_us");
  if (row.null(22))
    json.Null();
  else
    json.Int64(row.int64(22));
  put_text(json, "instance", row, 23);
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

// A decimal rowid, the key of a SQLite cursor.
bool parse_rowid(std::string_view text, int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  out = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

RequestAnswer check_page_query(const RequestPageQuery& query) {
  if (query.filter.from_ms > query.filter.to_ms)
    return answer_error(RequestAnswer::Status::invalid_query, "from is after to");
  if (query.limit < 1 || query.limit > kMaxRequestPage)
    return answer_error(RequestAnswer::Status::invalid_query,
                        "limit must be 1 to " + std::to_string(kMaxRequestPage));
  if (query.before && (query.before->key.empty() || query.before->key.size() > kMaxCursorKeyBytes))
    return answer_error(RequestAnswer::Status::invalid_query,
                        "before must be the `next` of a previous page");
  RequestAnswer ok;
  ok.status = RequestAnswer::Status::ok;
  return ok;
}

// The WHERE clause of a page, with placeholders "?n" (SQLite) or "$n" (PostgreSQL):
// 1 and 2 the window, 3 to 8 the text filters, 9 the status; with a cursor, 10 and 11
// its two parts. The text is fixed; what the client sent is bound.
std::string page_sql(bool pg, bool cursor) {
  std::string sql = "SELECT " + row_columns(pg);
  if (pg) {
    sql +=
        " FROM requests WHERE ts_ms >= $1::bigint AND ts_ms < $2::bigint"
        " AND ($3::text = '' OR project = $3::text) AND ($4::text = '' OR key_id = $4::text)"
        " AND ($5::text = '' OR model = $5::text) AND ($6::text = '' OR outcome = $6::text)"
        " AND ($7::text = '' OR error_class = $7::text)"
        " AND ($8::text = '' OR request_id = $8::text)"
        " AND ($9::integer = 0 OR status = $9::integer)";
    // row_id compared bytewise, whatever the database's collation: a total order.
    if (cursor)
      sql +=
          " AND (ts_ms < $10::bigint OR (ts_ms = $10::bigint AND row_id COLLATE \"C\" < "
          "$11::text))";
    sql += " ORDER BY ts_ms DESC, row_id COLLATE \"C\" DESC LIMIT ";
    sql += cursor ? "$12::bigint" : "$10::bigint";
    return sql;
  }
  sql +=
      " FROM requests WHERE ts_ms >= ?1 AND ts_ms < ?2"
      " AND (?3 = '' OR project = ?3) AND (?4 = '' OR key_id = ?4)"
      " AND (?5 = '' OR model = ?5) AND (?6 = '' OR outcome = ?6)"
      " AND (?7 = '' OR error_class = ?7) AND (?8 = '' OR request_id = ?8)"
      " AND (?9 = 0 OR status = ?9)";
  if (cursor) sql += " AND (ts_ms, rowid) < (?10, ?11)";
  sql += " ORDER BY ts_ms DESC, rowid DESC LIMIT ?12";
  return sql;
}

// A page's JSON, one row at a time; asked for one row more than the page holds, which
// tells whether another page follows.
class PageJson {
 public:
  explicit PageJson(uint32_t limit) : json_(buffer_), limit_(limit) {
    json_.StartObject();
    json_.Key("rows");
    json_.StartArray();
  }
  // False once the page is full (the row is the next page's first).
  template <typename Row>
  bool add(const Row& row) {
    if (shown_ == limit_) {
      more_ = true;
      return false;
    }
    write_row(json_, row);
    last_ts_ = row.int64(2);
    last_key_ = row.text(0);
    ++shown_;
    return true;
  }
  RequestAnswer finish() {
    json_.EndArray();
    json_.Key("next");
    if (more_) {
      const std::string cursor = std::to_string(last_ts_) + ":" + last_key_;
      json_.String(cursor.data(), static_cast<rapidjson::SizeType>(cursor.size()));
    } else {
      json_.Null();
    }
    json_.EndObject();
    return answer_ok(buffer_);
  }

 private:
  rapidjson::StringBuffer buffer_;
  JsonWriter json_;
  uint32_t limit_;
  uint32_t shown_ = 0;
  bool more_ = false;
  int64_t last_ts_ = 0;
  std::string last_key_;
};

// The rows of one request id, oldest first.
class RequestJson {
 public:
  explicit RequestJson(std::string_view request_id) : json_(buffer_) {
    json_.StartObject();
    json_.Key("request_id");
    json_.String(request_id.data(), static_cast<rapidjson::SizeType>(request_id.size()));
    json_.Key("rows");
    json_.StartArray();
  }
  template <typename Row>
  void add(const Row& row) {
    write_row(json_, row);
    ++rows_;
  }
  RequestAnswer finish() {
    if (rows_ == 0)
      return answer_error(RequestAnswer::Status::not_found,
                          "no request with that id in the ledger");
    json_.EndArray();
    json_.EndObject();
    return answer_ok(buffer_);
  }

 private:
  rapidjson::StringBuffer buffer_;
  JsonWriter json_;
  size_t rows_ = 0;
};

RequestAnswer check_latency_query(const LatencyQuery& query) {
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
  RequestAnswer ok;
  ok.status = RequestAnswer::Status::ok;
  return ok;
}

// Newest first, so that when the window holds more than the cap, the recent part is
// the one shown. Columns: model, ts_ms, ttft_ms, latency_ms, overhead_us.
std::string latency_sql(bool pg) {
  if (pg) {
    return "SELECT model, ts_ms, ttft_ms, latency_ms, overhead_us FROM requests"
           " WHERE ts_ms >= $1::bigint AND ts_ms < $2::bigint AND attempts > 0"
           " AND ($3::text = '' OR model = $3::text) ORDER BY ts_ms DESC LIMIT $4::bigint";
  }
  return "SELECT model, ts_ms, ttft_ms, latency_ms, overhead_us FROM requests"
         " WHERE ts_ms >= ?1 AND ts_ms < ?2 AND attempts > 0 AND (?3 = '' OR model = ?3)"
         " ORDER BY ts_ms DESC LIMIT ?4";
}

// Samples per model and bucket, then percentiles over them.
class LatencyJson {
 public:
  explicit LatencyJson(const LatencyQuery& query) : query_(query) {}
  // False once the cap is reached (the row is one past it).
  template <typename Row>
  bool add(const Row& row) {
    if (scanned_ == kLatencyRowCap) {
      truncated_ = true;
      return false;
    }
    ++scanned_;
    const int64_t ts = row.int64(1);
    const int64_t start =
        query_.from_ms + (ts - query_.from_ms) / query_.bucket_ms * query_.bucket_ms;
    Samples& samples = buckets_[{std::string(row.text(0)), start}];
    if (!row.null(2)) samples.ttft.push_back(row.int64(2));
    samples.latency.push_back(row.int64(3));
    if (!row.null(4)) samples.overhead.push_back(row.int64(4));
    return true;
  }
  RequestAnswer finish() {
    rapidjson::StringBuffer buffer;
    JsonWriter json(buffer);
    json.StartObject();
    json.Key("from");
    json.Int64(query_.from_ms);
    json.Key("to");
    json.Int64(query_.to_ms);
    json.Key("bucket_ms");
    json.Int64(query_.bucket_ms);
    json.Key("overhead_source");
    json.String("overhead_us");
    json.Key("rows_scanned");
    json.Uint(scanned_);
    json.Key("row_cap");
    json.Uint(kLatencyRowCap);
    json.Key("truncated");
    json.Bool(truncated_);
    json.Key("rows");
    json.StartArray();
    for (auto& [where, samples] : buckets_) {
      std::sort(samples.ttft.begin(), samples.ttft.end());
      std::sort(samples.latency.begin(), samples.latency.end());
      std::sort(samples.overhead.begin(), samples.overhead.end());
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
      json.Key("overhead_count");
      json.Uint64(samples.overhead.size());
      for (const auto& [key, p] :
           {std::pair{"overhead_p50_us", 50}, std::pair{"overhead_p99_us", 99}}) {
        json.Key(key);
        if (samples.overhead.empty())
          json.Null();
        else
          json.Int64(percentile(samples.overhead, p));
      }
      json.EndObject();
    }
    json.EndArray();
    json.EndObject();
    return answer_ok(buffer);
  }

 private:
  struct Samples {
    std::vector<int64_t> ttft;
    std::vector<int64_t> latency;
    std::vector<int64_t> overhead;
  };
  const LatencyQuery& query_;
  std::map<std::pair<std::string, int64_t>, Samples> buckets_;
  uint32_t scanned_ = 0;
  bool truncated_ = false;
};

// Runs `sql` with `params` bound (as text) on `conn`, connecting first when there is no
// connection; a connection the server dropped (a restart, an outage) is replaced once.
// Null with `error` set on failure.
pg::Result pg_run(pg_conn*& conn, const std::string& url, const std::string& sql,
                  const std::vector<std::string>& params, std::string& error) {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
      PQfinish(conn);
      conn = pg::connect(url, &error).release();
      if (conn == nullptr) return nullptr;
      // A server that accepts the connection but stalls does not hold the admin worker
      // for long.
      pg::Result set(PQexec(conn, "SET statement_timeout = 10000"));
    }
    pg::Result result(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                   values.data(), nullptr, nullptr, 0));
    if (pg::ok(result.get())) return result;
    error = pg::error_of(conn);
    if (PQstatus(conn) == CONNECTION_OK) return nullptr;  // the query itself failed
  }
  return nullptr;
}

}  // namespace

RequestQuery::RequestQuery(const std::string& path) {
  db_ = sqlite::open(path, /*read_only=*/true, /*busy_timeout_ms=*/5000).release();
}

RequestQuery::RequestQuery(Postgres postgres) : pg_url_(std::move(postgres.url)) {}

RequestQuery::~RequestQuery() {
  sqlite3_close_v2(db_);
  PQfinish(pg_);
}

RequestAnswer RequestQuery::requests(const RequestPageQuery& query) const {
  if (RequestAnswer bad = check_page_query(query); !bad.ok()) return bad;
  const RequestFilter& f = query.filter;
  const bool pg = db_ == nullptr;
  const std::string sql = page_sql(pg, query.before.has_value());
  PageJson page(query.limit);
  std::lock_guard lock(mu_);
  std::string error;

  if (pg) {
    std::vector<std::string> params = {std::to_string(f.from_ms),
                                       std::to_string(f.to_ms),
                                       f.project,
                                       f.key,
                                       f.model,
                                       f.outcome,
                                       f.error_class,
                                       f.request_id,
                                       std::to_string(f.status)};
    if (query.before) {
      params.push_back(std::to_string(query.before->ts_ms));
      params.push_back(query.before->key);
    }
    params.push_back(std::to_string(static_cast<int64_t>(query.limit) + 1));
    pg::Result result = pg_run(pg_, pg_url_, sql, params, error);
    if (!result)
      return answer_error(RequestAnswer::Status::failed, "ledger query failed: " + error);
    const int n = PQntuples(result.get());
    for (int r = 0; r < n && page.add(PgRow(result.get(), r)); ++r) {
    }
    return page.finish();
  }

  int64_t before_rowid = 0;
  if (query.before && !parse_rowid(query.before->key, before_rowid))
    return answer_error(RequestAnswer::Status::invalid_query,
                        "before must be the `next` of a previous page");
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
    sqlite3_bind_int64(s, 11, before_rowid);
  }
  sqlite3_bind_int64(s, 12, static_cast<int64_t>(query.limit) + 1);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW && page.add(SqliteRow(s))) {
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return answer_error(RequestAnswer::Status::failed,
                        "ledger query failed: " + sqlite::last_error(db_));
  return page.finish();
}

RequestAnswer RequestQuery::request(std::string_view request_id) const {
  if (request_id.empty())
    return answer_error(RequestAnswer::Status::invalid_query, "request id is empty");
  const bool pg = db_ == nullptr;
  RequestJson json(request_id);
  std::lock_guard lock(mu_);
  std::string error;

  if (pg) {
    const std::string sql = "SELECT " + row_columns(true) +
                            " FROM requests WHERE request_id = $1::text"
                            " ORDER BY ts_ms, row_id COLLATE \"C\"";
    pg::Result result = pg_run(pg_, pg_url_, sql, {std::string(request_id)}, error);
    if (!result)
      return answer_error(RequestAnswer::Status::failed, "ledger query failed: " + error);
    const int n = PQntuples(result.get());
    for (int r = 0; r < n; ++r) json.add(PgRow(result.get(), r));
    return json.finish();
  }

  const std::string sql =
      "SELECT " + row_columns(false) + " FROM requests WHERE request_id = ?1 ORDER BY ts_ms, rowid";
  sqlite::Stmt stmt = sqlite::prepare(db_, sql, &error);
  if (!stmt) return answer_error(RequestAnswer::Status::failed, "ledger query failed: " + error);
  sqlite3_bind_text(stmt.get(), 1, request_id.data(), static_cast<int>(request_id.size()),
                    SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) json.add(SqliteRow(stmt.get()));
  if (rc != SQLITE_DONE)
    return answer_error(RequestAnswer::Status::failed,
                        "ledger query failed: " + sqlite::last_error(db_));
  return json.finish();
}

RequestAnswer RequestQuery::latency(const LatencyQuery& query) const {
  if (RequestAnswer bad = check_latency_query(query); !bad.ok()) return bad;
  const bool pg = db_ == nullptr;
  const std::string sql = latency_sql(pg);
  LatencyJson json(query);
  std::lock_guard lock(mu_);
  std::string error;

  if (pg) {
    pg::Result result =
        pg_run(pg_, pg_url_, sql,
               {std::to_string(query.from_ms), std::to_string(query.to_ms), query.model,
                std::to_string(static_cast<int64_t>(kLatencyRowCap) + 1)},
               error);
    if (!result)
      return answer_error(RequestAnswer::Status::failed, "ledger query failed: " + error);
    const int n = PQntuples(result.get());
    for (int r = 0; r < n && json.add(PgRow(result.get(), r)); ++r) {
    }
    return json.finish();
  }

  sqlite::Stmt stmt = sqlite::prepare(db_, sql, &error);
  if (!stmt) return answer_error(RequestAnswer::Status::failed, "ledger query failed: " + error);
  sqlite3_stmt* s = stmt.get();
  sqlite3_bind_int64(s, 1, query.from_ms);
  sqlite3_bind_int64(s, 2, query.to_ms);
  bind_text(s, 3, query.model);
  sqlite3_bind_int64(s, 4, static_cast<int64_t>(kLatencyRowCap) + 1);
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW && json.add(SqliteRow(s))) {
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return answer_error(RequestAnswer::Status::failed,
                        "ledger query failed: " + sqlite::last_error(db_));
  return json.finish();
}

}  // namespace sluice::ledger
