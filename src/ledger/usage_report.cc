#include "sluice/ledger/usage_report.h"

#include <libpq-fe.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <string_view>

#include "pg_conn.h"
#include "sluice/core/money.h"
#include "sqlite_db.h"

namespace sluice::ledger {
namespace {

struct GroupColumn {
  std::string_view name;  // in group_by and as the row's JSON key
  const char* sql;        // expression over `requests` (SQLite)
  const char* pg_sql;     // the same in PostgreSQL
};

#define SLUICE_PG_UTC(fmt) "to_char(to_timestamp(ts_ms / 1000) AT TIME ZONE 'UTC', '" fmt "')"
constexpr GroupColumn kGroupColumns[] = {
    {"project", "project", "project"},
    {"model", "model", "model"},
    {"key", "key_id", "key_id"},
    {"provider", "provider", "provider"},
    {"day", "strftime('%Y-%m-%d', ts_ms / 1000, 'unixepoch')", SLUICE_PG_UTC("YYYY-MM-DD")},
    {"hour", "strftime('%Y-%m-%dT%H:00Z', ts_ms / 1000, 'unixepoch')",
     SLUICE_PG_UTC("YYYY-MM-DD\"T\"HH24\":00Z\"")},
    {"minute", "strftime('%Y-%m-%dT%H:%MZ', ts_ms / 1000, 'unixepoch')",
     SLUICE_PG_UTC("YYYY-MM-DD\"T\"HH24:MI\"Z\"")},
    {"outcome", "outcome", "outcome"},
    {"error_class", "COALESCE(error_class, '')", "COALESCE(error_class, '')"},
};
#undef SLUICE_PG_UTC

const GroupColumn* find_group_column(std::string_view name) {
  for (const GroupColumn& column : kGroupColumns) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

UsageReport report_error(UsageReport::Status status, std::string message) {
  UsageReport report;
  report.status = status;
  report.error = std::move(message);
  return report;
}

std::string_view column_text(sqlite3_stmt* stmt, int index) {
  const unsigned char* text = sqlite3_column_text(stmt, index);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<size_t>(sqlite3_column_bytes(stmt, index))};
}

// One report row as the JSON writer wants it, whatever the database.
struct ReportRow {
  std::vector<std::string_view> groups;
  int64_t sums[6];  // requests, input, output, cached, reasoning tokens, cost_nusd
};

class ReportJson {
 public:
  ReportJson(int64_t from_ms, int64_t to_ms, const std::vector<const GroupColumn*>& columns)
      : columns_(columns), json_(buffer_) {
    json_.StartObject();
    json_.Key("from");
    json_.Int64(from_ms);
    json_.Key("to");
    json_.Int64(to_ms);
    json_.Key("group_by");
    json_.StartArray();
    for (const GroupColumn* column : columns_)
      json_.String(column->name.data(), static_cast<rapidjson::SizeType>(column->name.size()));
    json_.EndArray();
    json_.Key("rows");
    json_.StartArray();
  }

  void row(const ReportRow& r) {
    json_.StartObject();
    for (size_t i = 0; i < columns_.size(); ++i) {
      json_.Key(columns_[i]->name.data(),
                static_cast<rapidjson::SizeType>(columns_[i]->name.size()));
      json_.String(r.groups[i].data(), static_cast<rapidjson::SizeType>(r.groups[i].size()));
    }
    int i = 0;
    for (const char* name :
         {"requests", "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens"}) {
      json_.Key(name);
      json_.Int64(r.sums[i++]);
    }
    // The sum is an integer (SQLite refuses, rather than rounds, an overflowing SUM;
    // PostgreSQL sums BIGINT as NUMERIC), and cost_usd is that integer as an exact
    // decimal, never a double.
    json_.Key("cost_nusd");
    json_.Int64(r.sums[5]);
    json_.Key("cost_usd");
    const std::string usd = money::format_nano(r.sums[5]);
    json_.RawValue(usd.data(), usd.size(), rapidjson::kNumberType);
    json_.EndObject();
  }

  UsageReport finish() {
    json_.EndArray();
    json_.EndObject();
    UsageReport report;
    report.status = UsageReport::Status::ok;
    report.json.assign(buffer_.GetString(), buffer_.GetSize());
    return report;
  }

 private:
  const std::vector<const GroupColumn*>& columns_;
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> json_;
};

std::string placeholder(bool pg, int n) { return (pg ? "$" : "?") + std::to_string(n); }

}  // namespace

UsageReader::UsageReader(const std::string& path) {
  db_ = sqlite::open(path, /*read_only=*/true, /*busy_timeout_ms=*/5000).release();
}

UsageReader::UsageReader(Postgres postgres) : pg_url_(std::move(postgres.url)) {}

UsageReader::~UsageReader() {
  sqlite3_close_v2(db_);
  PQfinish(pg_);
}

bool UsageReader::pg_query(const std::string& sql, const std::vector<std::string>& params,
                           std::vector<std::vector<std::string>>& rows, std::string& error) const {
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  // A connection the server dropped (a restart, an outage) is replaced once.
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (pg_ == nullptr || PQstatus(pg_) != CONNECTION_OK) {
      PQfinish(pg_);
      pg_ = pg::connect(pg_url_, &error).release();
      if (pg_ == nullptr) return false;
    }
    pg::Result result(PQexecParams(pg_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                   values.data(), nullptr, nullptr, 0));
    if (pg::ok(result.get())) {
      rows.clear();
      const int n = PQntuples(result.get());
      const int fields = PQnfields(result.get());
      for (int r = 0; r < n; ++r) {
        std::vector<std::string>& row = rows.emplace_back();
        for (int f = 0; f < fields; ++f) {
          row.emplace_back(PQgetvalue(result.get(), r, f),
                           static_cast<size_t>(PQgetlength(result.get(), r, f)));
        }
      }
      return true;
    }
    error = pg::error_of(pg_);
    if (PQstatus(pg_) == CONNECTION_OK) return false;  // the query itself failed
  }
  return false;
}

UsageReport UsageReader::usage_report(int64_t from_ms, int64_t to_ms,
                                      const std::vector<std::string>& group_by,
                                      const UsageFilter& filter) const {
  if (from_ms > to_ms) return report_error(UsageReport::Status::invalid_query, "from is after to");
  std::vector<const GroupColumn*> columns;
  for (const std::string& name : group_by) {
    const GroupColumn* column = find_group_column(name);
    if (column == nullptr) {
      return report_error(
          UsageReport::Status::invalid_query,
          "unknown group_by \"" + name +
              "\": expected project, model, key, provider, day, hour, minute, outcome or "
              "error_class");
    }
    for (const GroupColumn* seen : columns) {
      if (seen == column)
        return report_error(UsageReport::Status::invalid_query,
                            "group_by \"" + name + "\" given twice");
    }
    columns.push_back(column);
  }

  // Only whitelisted expressions reach the SQL text; values are bound.
  const bool pg = !pg_url_.empty();
  std::string sql = "SELECT ";
  for (const GroupColumn* column : columns)
    sql += std::string(pg ? column->pg_sql : column->sql) + ", ";
  sql +=
      "COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
      "COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(reasoning_tokens), 0), "
      "COALESCE(SUM(cost_nusd), 0) "
      "FROM requests WHERE ts_ms >= " +
      placeholder(pg, 1) + " AND ts_ms < " + placeholder(pg, 2);
  const std::pair<const char*, const std::string*> filters[] = {
      {"project", &filter.project},
      {"model", &filter.model},
      {"key_id", &filter.key},
      {"provider", &filter.provider},
  };
  int next_param = 3;
  for (const auto& [column, value] : filters) {
    if (!value->empty())
      sql += std::string(" AND ") + column + " = " + placeholder(pg, next_param++);
  }
  if (!columns.empty()) {
    std::string list;
    for (size_t i = 0; i < columns.size(); ++i) list += (i ? ", " : "") + std::to_string(i + 1);
    sql += " GROUP BY " + list + " ORDER BY " + list;
  }

  std::lock_guard lock(mu_);
  ReportJson json(from_ms, to_ms, columns);
  ReportRow row;
  row.groups.resize(columns.size());
  if (pg) {
    std::vector<std::string> params = {std::to_string(from_ms), std::to_string(to_ms)};
    for (const auto& [column, value] : filters)
      if (!value->empty()) params.push_back(*value);
    std::vector<std::vector<std::string>> rows;
    std::string error;
    if (!pg_query(sql, params, rows, error))
      return report_error(UsageReport::Status::failed, "ledger query failed: " + error);
    for (const std::vector<std::string>& r : rows) {
      for (size_t i = 0; i < columns.size(); ++i) row.groups[i] = r[i];
      for (size_t i = 0; i < 6; ++i)
        row.sums[i] = std::strtoll(r[columns.size() + i].c_str(), nullptr, 10);
      json.row(row);
    }
    return json.finish();
  }

  std::string error;
  sqlite::Stmt stmt = sqlite::prepare(db_, sql, &error);
  if (!stmt) return report_error(UsageReport::Status::failed, "ledger query failed: " + error);
  sqlite3_bind_int64(stmt.get(), 1, from_ms);
  sqlite3_bind_int64(stmt.get(), 2, to_ms);
  int param = 3;
  for (const auto& [column, value] : filters) {
    if (!value->empty()) {
      sqlite3_bind_text(stmt.get(), param++, value->data(), static_cast<int>(value->size()),
                        SQLITE_STATIC);
    }
  }
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    int i = 0;
    for (; i < static_cast<int>(columns.size()); ++i) row.groups[i] = column_text(stmt.get(), i);
    for (int k = 0; k < 6; ++k) row.sums[k] = sqlite3_column_int64(stmt.get(), i + k);
    json.row(row);
  }
  if (rc != SQLITE_DONE)
    return report_error(UsageReport::Status::failed,
                        "ledger query failed: " + sqlite::last_error(db_));
  return json.finish();
}

Spend UsageReader::spend_since(int64_t since_ms, const std::string& instance,
                               bool with_unnamed) const {
  Spend spend;
  std::lock_guard lock(mu_);
  const std::pair<const char*, std::map<std::string, int64_t>*> groups[] = {
      {"project", &spend.by_project},
      {"key_id", &spend.by_key},
  };
  const bool pg = !pg_url_.empty();
  for (const auto& [column, sums] : groups) {
    std::string sql = std::string("SELECT ") + column +
                      ", SUM(cost_nusd) FROM requests WHERE ts_ms >= " + placeholder(pg, 1);
    if (!instance.empty())
      sql += std::string(" AND (instance = ") + placeholder(pg, 2) +
             (with_unnamed ? " OR instance = '')" : ")");
    sql += " GROUP BY 1";
    if (pg) {
      std::vector<std::vector<std::string>> rows;
      std::vector<std::string> params = {std::to_string(since_ms)};
      if (!instance.empty()) params.push_back(instance);
      if (!pg_query(sql, params, rows, spend.error)) return spend;
      for (const std::vector<std::string>& r : rows)
        (*sums)[r[0]] = std::strtoll(r[1].c_str(), nullptr, 10);
      continue;
    }
    sqlite::Stmt stmt = sqlite::prepare(db_, sql, &spend.error);
    if (!stmt) return spend;
    sqlite3_bind_int64(stmt.get(), 1, since_ms);
    if (!instance.empty())
      sqlite3_bind_text(stmt.get(), 2, instance.data(), static_cast<int>(instance.size()),
                        SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      (*sums)[std::string(column_text(stmt.get(), 0))] = sqlite3_column_int64(stmt.get(), 1);
    }
    if (rc != SQLITE_DONE) {
      spend.error = sqlite::last_error(db_);
      return spend;
    }
  }
  spend.ok = true;
  return spend;
}

int64_t utc_day_start_ms(int64_t ts_ms) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(ts_ms)));
  return duration_cast<milliseconds>(day.time_since_epoch()).count();
}

int64_t utc_month_start_ms(int64_t ts_ms) {
  using namespace std::chrono;
  const year_month_day date(floor<days>(sys_time<milliseconds>(milliseconds(ts_ms))));
  const sys_days first = date.year() / date.month() / day(1);
  return duration_cast<milliseconds>(first.time_since_epoch()).count();
}

}  // namespace sluice::ledger
