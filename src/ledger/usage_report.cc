#include "sluice/ledger/usage_report.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sqlite3.h>

#include <chrono>
#include <string_view>

#include "sluice/core/money.h"
#include "sqlite_db.h"

namespace sluice::ledger {
namespace {

struct GroupColumn {
  std::string_view name;  // in group_by and as the row's JSON key
  const char* sql;        // expression over `requests`
};

constexpr GroupColumn kGroupColumns[] = {
    {"project", "project"},
    {"model", "model"},
    {"key", "key_id"},
    {"provider", "provider"},
    {"day", "strftime('%Y-%m-%d', ts_ms / 1000, 'unixepoch')"},
    {"hour", "strftime('%Y-%m-%dT%H:00Z', ts_ms / 1000, 'unixepoch')"},
    {"minute", "strftime('%Y-%m-%dT%H:%MZ', ts_ms / 1000, 'unixepoch')"},
    {"outcome", "outcome"},
    {"error_class", "COALESCE(error_class, '')"},
};

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

}  // namespace

UsageReader::UsageReader(const std::string& path) {
  db_ = sqlite::open(path, /*read_only=*/true, /*busy_timeout_ms=*/5000).release();
}

UsageReader::~UsageReader() { sqlite3_close_v2(db_); }

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
  std::string sql = "SELECT ";
  for (const GroupColumn* column : columns) sql += std::string(column->sql) + ", ";
  sql +=
      "COUNT(*), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
      "COALESCE(SUM(cached_tokens), 0), COALESCE(SUM(reasoning_tokens), 0), "
      "COALESCE(SUM(cost_nusd), 0) "
      "FROM requests WHERE ts_ms >= ?1 AND ts_ms < ?2";
  const std::pair<const char*, const std::string*> filters[] = {
      {"project", &filter.project},
      {"model", &filter.model},
      {"key_id", &filter.key},
      {"provider", &filter.provider},
  };
  int next_param = 3;
  for (const auto& [column, value] : filters) {
    if (!value->empty())
      sql += std::string(" AND ") + column + " = ?" + std::to_string(next_param++);
  }
  if (!columns.empty()) {
    std::string list;
    for (size_t i = 0; i < columns.size(); ++i) list += (i ? ", " : "") + std::to_string(i + 1);
    sql += " GROUP BY " + list + " ORDER BY " + list;
  }

  std::lock_guard lock(mu_);
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

  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> json(buffer);
  json.StartObject();
  json.Key("from");
  json.Int64(from_ms);
  json.Key("to");
  json.Int64(to_ms);
  json.Key("group_by");
  json.StartArray();
  for (const GroupColumn* column : columns) {
    json.String(column->name.data(), static_cast<rapidjson::SizeType>(column->name.size()));
  }
  json.EndArray();
  json.Key("rows");
  json.StartArray();
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    json.StartObject();
    int i = 0;
    for (const GroupColumn* column : columns) {
      json.Key(column->name.data(), static_cast<rapidjson::SizeType>(column->name.size()));
      const std::string_view text = column_text(stmt.get(), i++);
      json.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
    }
    for (const char* name :
         {"requests", "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens"}) {
      json.Key(name);
      json.Int64(sqlite3_column_int64(stmt.get(), i++));
    }
    // The sum is an integer (SQLite refuses, rather than rounds, an overflowing SUM), and
    // cost_usd is that integer as an exact decimal, never a double.
    const int64_t nusd = sqlite3_column_int64(stmt.get(), i);
    json.Key("cost_nusd");
    json.Int64(nusd);
    json.Key("cost_usd");
    const std::string usd = money::format_nano(nusd);
    json.RawValue(usd.data(), usd.size(), rapidjson::kNumberType);
    json.EndObject();
  }
  if (rc != SQLITE_DONE)
    return report_error(UsageReport::Status::failed,
                        "ledger query failed: " + sqlite::last_error(db_));
  json.EndArray();
  json.EndObject();

  UsageReport report;
  report.status = UsageReport::Status::ok;
  report.json.assign(buffer.GetString(), buffer.GetSize());
  return report;
}

Spend UsageReader::spend_since(int64_t since_ms) const {
  Spend spend;
  std::lock_guard lock(mu_);
  const std::pair<const char*, std::map<std::string, int64_t>*> groups[] = {
      {"project", &spend.by_project},
      {"key_id", &spend.by_key},
  };
  for (const auto& [column, sums] : groups) {
    const std::string sql = std::string("SELECT ") + column +
                            ", SUM(cost_nusd) FROM requests WHERE ts_ms >= ?1 GROUP BY 1";
    sqlite::Stmt stmt = sqlite::prepare(db_, sql, &spend.error);
    if (!stmt) return spend;
    sqlite3_bind_int64(stmt.get(), 1, since_ms);
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
