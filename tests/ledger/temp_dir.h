#pragma once
// A fresh directory under $TMPDIR for one test's database, removed afterwards.

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "sluice/config/config.h"
#include "sluice/ledger/record.h"

namespace sluice::ledger::testing {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/sluice-ledger-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline config::Ledger ledger_config(const std::string& path, uint32_t flush_ms = 100,
                                    uint32_t queue_capacity = 1024) {
  config::Ledger config;
  config.path = path;
  config.flush_ms = flush_ms;
  config.queue_capacity = queue_capacity;
  return config;
}

// A writer flush interval no test waits out: only flush()/stop() make it write.
inline constexpr uint32_t kNeverMs = 3'600'000;

inline Record make_record(std::string request_id, int64_t ts_ms = 1'000, std::string project = "p",
                          std::string model = "m") {
  Record r;
  r.request_id = std::move(request_id);
  r.ts_ms = ts_ms;
  r.key_id = "k";
  r.project = std::move(project);
  r.model = std::move(model);
  r.provider = "openai";
  r.upstream_model = "gpt-4o-2024-08-06";
  r.status = 200;
  return r;
}

// Independent read access to the database file, as an operator's sqlite3 shell has.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      throw std::runtime_error("open " + path);
    }
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  sqlite3* get() const { return db_; }

  // First column of the first row, as text ("" when no row).
  std::string text(const std::string& sql) const {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(sqlite3_errmsg(db_));
    }
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }
  int64_t integer(const std::string& sql) const { return std::stoll(text(sql)); }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace sluice::ledger::testing
