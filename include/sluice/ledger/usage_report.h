#pragma once
// The ledger's read side: usage reports for the admin API and the spend that budgets are
// rebuilt from at start. Runs on the control thread over its own connection, so reports
// never wait for, or hold up, the writer: a read-only SQLite one (WAL readers see the
// last commit), or a PostgreSQL one, where every instance writing the same database is
// seen (fleet-wide reports and budgets).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct sqlite3;
struct pg_conn;

namespace sluice::ledger {

// Equality filters on the report; an empty field does not filter.
struct UsageFilter {
  std::string project;
  std::string model;
  std::string key;  // key_id
  std::string provider;
};

struct UsageReport {
  enum class Status : uint8_t {
    ok,
    invalid_query,  // the caller's fault (unknown group_by, from after to): a 400
    failed,         // the database failed: a 500
  };
  Status status = Status::failed;
  std::string json;   // when ok: {"from":..,"to":..,"group_by":[..],"rows":[..]}
  std::string error;  // otherwise: what went wrong, fit for the response body
  bool ok() const { return status == Status::ok; }
};

// Nano-USD spent since a point in time, summed two ways.
struct Spend {
  bool ok = false;
  std::string error;
  std::map<std::string, int64_t> by_project;
  std::map<std::string, int64_t> by_key;  // by key_id
};

class UsageReader {
 public:
  // Opens `path` read-only; the schema must already exist (the Ledger creates it).
  // Throws std::runtime_error on failure.
  explicit UsageReader(const std::string& path);
  // Reads PostgreSQL at `url`; connects on first use and again after a broken
  // connection, so a server that is down at start does not stop sluice starting.
  struct Postgres {
    std::string url;
  };
  explicit UsageReader(Postgres postgres);
  ~UsageReader();
  UsageReader(const UsageReader&) = delete;
  UsageReader& operator=(const UsageReader&) = delete;

  // Requests with from_ms <= ts_ms < to_ms, grouped by any of "project", "model", "key",
  // "provider", "day" (UTC, YYYY-MM-DD), "hour" (YYYY-MM-DDTHH:00Z), "minute"
  // (YYYY-MM-DDTHH:MMZ), "outcome" and "error_class" ("" when none), in the order given; rows are
  // sorted by the same columns. No group_by: one row of totals. Each row has its group columns,
  // then requests, input_tokens, output_tokens, cached_tokens, reasoning_tokens, cost_nusd (an
  // integer) and cost_usd (the same amount as an exact decimal number).
  UsageReport usage_report(int64_t from_ms, int64_t to_ms, const std::vector<std::string>& group_by,
                           const UsageFilter& filter = {}) const;

  // cost_nusd summed per project and per key over ts_ms >= since_ms; with `instance`
  // non-empty, over the rows of that fleet instance only (and those naming none, with
  // `with_unnamed`).
  Spend spend_since(int64_t since_ms, const std::string& instance = {},
                    bool with_unnamed = false) const;

 private:
  // Runs `sql` on PostgreSQL with text parameters; rows as text. false and `error`.
  bool pg_query(const std::string& sql, const std::vector<std::string>& params,
                std::vector<std::vector<std::string>>& rows, std::string& error) const;

  mutable std::mutex mu_;  // one statement at a time on the connection
  sqlite3* db_ = nullptr;  // sqlite
  std::string pg_url_;     // postgres
  mutable pg_conn* pg_ = nullptr;
};

// Start of the UTC day and of the UTC month holding `ts_ms` (Unix milliseconds): the
// windows of `usd_per_day` and `usd_per_month` budgets.
int64_t utc_day_start_ms(int64_t ts_ms);
int64_t utc_month_start_ms(int64_t ts_ms);

}  // namespace sluice::ledger
