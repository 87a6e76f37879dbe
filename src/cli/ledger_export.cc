// `sluice ledger export`: reads the ledger the config names and streams its rows out.

#include "sluice/cli/ledger_export.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>

#include "sluice/admin/pg_key_store.h"
#include "sluice/config/ledger_url.h"
#include "sluice/config/loader.h"

namespace sluice::cli {
namespace {

constexpr const char* kDefaultConfig = "configs/sluice.json";  // as the gateway's
constexpr size_t kFlushBytes = 1 << 16;

void print_usage(FILE* to) {
  std::fprintf(to,
               "usage: sluice ledger export [--from T] [--to T] [--format csv|jsonl]\n"
               "                            [--config FILE] [--output FILE]\n\n"
               "Writes the ledger's requests with from <= ts_ms < to, in ts_ms order, every\n"
               "column plus cost_usd (an exact decimal of cost_nusd). T: Unix milliseconds or\n"
               "an ISO-8601 UTC date or time (2026-12-01, 2026-12-01T10:00:00Z). Default: every\n"
               "row, CSV (RFC 4180), to stdout; the ledger of %s.\n",
               kDefaultConfig);
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "sluice ledger: %s (see sluice ledger export --help)\n", msg.c_str());
  return 2;
}

int failure(const std::string& msg) {
  std::fprintf(stderr, "sluice ledger export: %s\n", msg.c_str());
  return 1;
}

// Where rows go: a buffer written out every 64 KiB, so memory stays flat.
class Sink {
 public:
  explicit Sink(FILE* f) : f_(f) {}
  std::string& buf() { return buf_; }
  bool maybe_flush() { return buf_.size() < kFlushBytes || flush(); }
  bool flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) return false;
    buf_.clear();
    return true;
  }

 private:
  FILE* f_;
  std::string buf_;
};

// Calls `row` for every row in order; empty or the error.
using RowFn = std::function<bool(const Row&)>;

std::string read_sqlite(const std::string& path, const ExportOptions& o, const RowFn& row) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return "ledger " + path + " does not exist (" + std::strerror(errno) + ")";
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  std::string error;
  sqlite3_stmt* st_rows = nullptr;
  if (rc == SQLITE_OK) {
    // The gateway may be writing (WAL): readers do not block it, a checkpoint may.
    sqlite3_busy_timeout(db, 5000);
    std::string sql = "SELECT " + select_list() +
                      " FROM requests WHERE ts_ms >= ?1 AND ts_ms < ?2 ORDER BY ts_ms, rowid";
    rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &st_rows, nullptr);
  }
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(st_rows, 1, o.from_ms);
    sqlite3_bind_int64(st_rows, 2, o.to_ms);
    size_t n = export_columns().size() - 1;
    Row r(n);
    while ((rc = sqlite3_step(st_rows)) == SQLITE_ROW) {
      for (size_t i = 0; i < n; ++i) {
        int col = static_cast<int>(i);
        if (sqlite3_column_type(st_rows, col) == SQLITE_NULL) {
          r[i].reset();
        } else {
          const char* t = reinterpret_cast<const char*>(sqlite3_column_text(st_rows, col));
          r[i].emplace(t ? t : "", static_cast<size_t>(sqlite3_column_bytes(st_rows, col)));
        }
      }
      if (!row(r)) {
        error = "writing the output failed: " + std::string(std::strerror(errno));
        break;
      }
    }
    if (error.empty() && rc != SQLITE_DONE) error = "ledger " + path + ": " + sqlite3_errmsg(db);
  } else {
    error = "ledger " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  }
  sqlite3_finalize(st_rows);
  sqlite3_close_v2(db);
  return error;
}

std::string read_postgres(const std::string& url, const ExportOptions& o, const RowFn& row) {
  std::string error;
  PGconn* conn = admin::connect_postgres(url, error);
  if (conn == nullptr) return "ledger (PostgreSQL): " + error;
  std::string sql = "SELECT " + select_list() +
                    " FROM requests WHERE ts_ms >= $1::bigint AND ts_ms < $2::bigint "
                    "ORDER BY ts_ms";
  std::string from = std::to_string(o.from_ms), to = std::to_string(o.to_ms);
  const char* params[] = {from.c_str(), to.c_str()};
  // Single-row mode: libpq hands over one row at a time instead of the whole result.
  if (!PQsendQueryParams(conn, sql.c_str(), 2, nullptr, params, nullptr, nullptr, 0) ||
      !PQsetSingleRowMode(conn)) {
    error = "ledger (PostgreSQL): " + std::string(PQerrorMessage(conn));
  } else {
    size_t n = export_columns().size() - 1;
    Row r(n);
    bool writing = true;
    while (PGresult* res = PQgetResult(conn)) {
      ExecStatusType status = PQresultStatus(res);
      if (status == PGRES_SINGLE_TUPLE && writing && error.empty()) {
        for (size_t i = 0; i < n; ++i) {
          int col = static_cast<int>(i);
          if (PQgetisnull(res, 0, col))
            r[i].reset();
          else
            r[i].emplace(PQgetvalue(res, 0, col), static_cast<size_t>(PQgetlength(res, 0, col)));
        }
        if (!row(r)) {
          error = "writing the output failed: " + std::string(std::strerror(errno));
          writing = false;
        }
      } else if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK && error.empty()) {
        error = "ledger (PostgreSQL): " + std::string(PQresultErrorMessage(res));
      }
      PQclear(res);
    }
  }
  PQfinish(conn);
  while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
  return error;
}

int run_export(const ExportOptions& o) {
  config::LoadResult loaded;
  struct stat st;
  if (o.config_path.empty() && stat(kDefaultConfig, &st) != 0)
    loaded = config::load_text(config::default_config_text(), "<embedded>");
  else
    loaded = config::load_file(o.config_path.empty() ? kDefaultConfig : o.config_path);
  if (!loaded.errors.empty()) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return 1;
  }
  const config::Ledger& ledger = loaded.config->ledger;
  std::string url;
  if (ledger.kind == config::LedgerKind::postgres) {
    std::string error;
    url = config::resolve_ledger_url(ledger, error);
    if (url.empty()) return failure(error);
  }

  // To a file: written beside it and renamed at the end, so a failed export never
  // leaves a partial file under the name asked for.
  std::string partial = o.output.empty() ? std::string() : o.output + ".partial";
  FILE* f = o.output.empty() ? stdout : std::fopen(partial.c_str(), "w");
  if (f == nullptr) return failure("cannot write " + partial + ": " + std::strerror(errno));
  Sink sink(f);
  append_header(sink.buf(), o.format);
  RowFn row = [&](const Row& r) {
    append_row(sink.buf(), o.format, r);
    return sink.maybe_flush();
  };
  std::string error = ledger.kind == config::LedgerKind::postgres
                          ? read_postgres(url, o, row)
                          : read_sqlite(ledger.path, o, row);
  if (error.empty() && (!sink.flush() || std::fflush(f) != 0))
    error = "writing the output failed: " + std::string(std::strerror(errno));
  if (f != stdout) {
    if (std::fclose(f) != 0 && error.empty())
      error = "writing " + partial + " failed: " + std::strerror(errno);
    if (error.empty() && std::rename(partial.c_str(), o.output.c_str()) != 0)
      error = "cannot rename " + partial + " to " + o.output + ": " + std::strerror(errno);
    if (!error.empty()) std::remove(partial.c_str());
  }
  return error.empty() ? 0 : failure(error);
}

}  // namespace

int ledger_command(int argc, char** argv) {
  if (argc < 3 || std::strcmp(argv[2], "--help") == 0 || std::strcmp(argv[2], "-h") == 0) {
    print_usage(argc < 3 ? stderr : stdout);
    return argc < 3 ? 2 : 0;
  }
  if (std::strcmp(argv[2], "export") != 0)
    return usage_error(std::string("unknown ledger command: ") + argv[2]);
  std::vector<std::string_view> args(argv + 3, argv + argc);
  ExportOptions o;
  std::string err = parse_export_args(args, o);
  if (!err.empty()) return usage_error("export: " + err);
  if (o.help) {
    print_usage(stdout);
    return 0;
  }
  return run_export(o);
}

}  // namespace sluice::cli
