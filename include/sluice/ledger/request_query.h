#pragma once
// The ledger's rows one by one, for the admin API's request explorer (GET /admin/requests,
// GET /admin/requests/<id>) and its latency view (GET /admin/latency). Like UsageReader it
// reads over a connection of its own, so it never waits for, or holds up, the writer:
// a read-only SQLite connection, or a PostgreSQL one (the shared ledger, every instance's
// rows). Every value from the client is bound as a parameter; the SQL text is fixed.

#include <cstdint>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct pg_conn;

namespace sluice::ledger {

// Equality filters on rows in from_ms <= ts_ms < to_ms; an empty string or 0 does not
// filter.
struct RequestFilter {
  int64_t from_ms = 0;
  int64_t to_ms = std::numeric_limits<int64_t>::max();
  std::string project;
  std::string key;  // key_id
  std::string model;
  std::string outcome;
  std::string error_class;
  std::string request_id;
  int status = 0;  // HTTP status the client got
};

// Where a page ends: the last row shown. Rows are ordered by ts_ms, then a per-row key,
// newest first: SQLite's rowid, PostgreSQL's row_id (text, compared bytewise). Written as
// "<ts_ms>:<key>" in the API; `key` is opaque to the client (the decimal rowid, or the
// row_id), and a key of the other backend's shape is an invalid query.
struct RequestCursor {
  int64_t ts_ms = 0;
  std::string key;
};

// The longest cursor key accepted; row ids are far shorter.
inline constexpr size_t kMaxCursorKeyBytes = 64;

struct RequestPageQuery {
  RequestFilter filter;
  uint32_t limit = 100;                 // 1 to kMaxRequestPage
  std::optional<RequestCursor> before;  // rows strictly older than this
};

struct LatencyQuery {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  int64_t bucket_ms = 60'000;
  std::string model;  // empty: every model
};

inline constexpr uint32_t kMaxRequestPage = 1000;
// /admin/latency reads at most this many rows (the newest in the window) into memory to
// sort them; the answer says when the window held more.
inline constexpr uint32_t kLatencyRowCap = 200'000;
// and draws at most this many buckets.
inline constexpr int64_t kMaxLatencyBuckets = 2'000;

struct RequestAnswer {
  enum class Status : uint8_t {
    ok,
    invalid_query,  // the caller's fault: a 400
    not_found,      // no row with that request id: a 404
    failed,         // the ledger database failed or cannot be reached: a 500
  };
  Status status = Status::failed;
  std::string json;   // when ok
  std::string error;  // otherwise, fit for the response body
  bool ok() const { return status == Status::ok; }
};

class RequestQuery {
 public:
  // Opens `path` read-only; the Ledger has created the schema. Throws
  // std::runtime_error on failure.
  explicit RequestQuery(const std::string& path);
  // Reads the PostgreSQL ledger at `url`. Connects on first use, with a short connect
  // timeout, and replaces a dropped connection once per call; a server that cannot be
  // reached makes that call `failed`.
  struct Postgres {
    std::string url;
  };
  explicit RequestQuery(Postgres postgres);
  ~RequestQuery();
  RequestQuery(const RequestQuery&) = delete;
  RequestQuery& operator=(const RequestQuery&) = delete;

  // {"rows":[..], "next": "<ts_ms>:<key>" or null}: newest first, at most `limit`
  // rows; `next` is the `before` of the following page, null on the last one. Each row
  // has every ledger column; cost_usd is cost_nusd as an exact decimal number.
  RequestAnswer requests(const RequestPageQuery& query) const;

  // {"request_id": .., "rows":[..]}: every row with that id (a client may reuse an id),
  // oldest first. not_found when there is none. Scans the table: there is no index on
  // request_id.
  RequestAnswer request(std::string_view request_id) const;

  // {"from","to","bucket_ms","overhead_source":"overhead_us","rows_scanned","truncated",
  //  "rows":[{"model","ts_ms","requests","ttft_count","ttft_p50_ms","ttft_p99_ms",
  //  "latency_p50_ms","latency_p99_ms","overhead_count","overhead_p50_us",
  //  "overhead_p99_us"}]}, per model and bucket (buckets start at from + k * bucket_ms),
  // over rows that reached a provider (attempts > 0). Percentiles are nearest-rank over
  // the rows; ttft ones over rows with a ttft, overhead ones over rows with an
  // overhead_us (null when none: rows written before the column existed have none).
  RequestAnswer latency(const LatencyQuery& query) const;

 private:
  mutable std::mutex mu_;  // one statement at a time on the connection
  sqlite3* db_ = nullptr;  // sqlite
  std::string pg_url_;     // postgres
  mutable pg_conn* pg_ = nullptr;
};

}  // namespace sluice::ledger
