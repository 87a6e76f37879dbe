#include "sluice/admin/pg_key_store.h"

#include <libpq-fe.h>

#include <algorithm>
#include <string>

#include "sluice/core/clock.h"

namespace sluice::admin {
namespace {

// Same columns as the SQLite table. Two instances may start at once: the advisory lock
// keeps their CREATE TABLE IF NOT EXISTS from racing on the catalog.
constexpr const char* kCreateSql = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock(7337001);
CREATE TABLE IF NOT EXISTS virtual_keys (
  id         TEXT   NOT NULL PRIMARY KEY,
  project    TEXT   NOT NULL,
  sha256     TEXT   NOT NULL UNIQUE,
  models     TEXT   NOT NULL DEFAULT '[]',
  created_ms BIGINT NOT NULL,
  revoked_ms BIGINT NOT NULL DEFAULT 0
);
COMMIT;
)sql";

// The NOTIFY rides in the writing statement: sent at its commit, never without it.
constexpr const char* kInsertSql =
    "WITH row AS (INSERT INTO virtual_keys (id, project, sha256, models, created_ms, revoked_ms) "
    "VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint) RETURNING id) "
    "SELECT pg_notify('sluice_virtual_keys', id) FROM row";
constexpr const char* kRevokeSql =
    "WITH row AS (UPDATE virtual_keys SET revoked_ms = $2::bigint WHERE id = $1 AND "
    "revoked_ms = 0 RETURNING id) SELECT pg_notify('sluice_virtual_keys', id) FROM row";
constexpr const char* kLoadSql =
    "SELECT id, project, sha256, models, created_ms, revoked_ms FROM virtual_keys "
    "ORDER BY created_ms, id";

constexpr uint32_t kFirstBackoffMs = 500;
constexpr uint32_t kMaxBackoffMs = 10000;

uint64_t mono_ms() { return core::mono_ns() / 1000000; }

// libpq's messages end in a newline; logs and answers read better without it.
std::string message(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown error" : s;
}

struct Result {
  PGresult* r;
  explicit Result(PGresult* res) : r(res) {}
  ~Result() { PQclear(r); }
  ExecStatusType status() const { return PQresultStatus(r); }
};

}  // namespace

pg_conn* connect_postgres(const std::string& url, std::string& error) {
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {url.c_str(), "3", "sluice", nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (c == nullptr) {
    error = "out of memory";
    return nullptr;
  }
  if (PQstatus(c) != CONNECTION_OK) {
    error = message(PQerrorMessage(c));
    PQfinish(c);
    return nullptr;
  }
  return c;
}

PgKeyStore::PgKeyStore(std::string url) : url_(std::move(url)) {}

PgKeyStore::~PgKeyStore() { drop(); }

void PgKeyStore::drop() {
  if (conn_) PQfinish(conn_);
  conn_ = nullptr;
}

bool PgKeyStore::ready(std::string& error) {
  if (conn_ && PQstatus(conn_) == CONNECTION_OK) return true;
  drop();
  uint64_t now = mono_ms();
  if (now < next_try_ms_) {
    error = "PostgreSQL cannot be reached: " + last_error_;
    return false;
  }
  std::string why;
  conn_ = connect_postgres(url_, why);
  if (conn_) {
    Result r(PQexec(conn_, kCreateSql));
    if (r.status() != PGRES_COMMAND_OK) {
      why = "creating table virtual_keys: " + message(PQerrorMessage(conn_));
      drop();
    }
  }
  if (conn_ == nullptr) {
    backoff_ms_ = std::min(kMaxBackoffMs, backoff_ms_ ? backoff_ms_ * 2 : kFirstBackoffMs);
    next_try_ms_ = now + backoff_ms_;
    last_error_ = why;
    error = "PostgreSQL cannot be reached: " + why;
    return false;
  }
  backoff_ms_ = 0;
  next_try_ms_ = 0;
  return true;
}

std::vector<StoredKey> PgKeyStore::load() {
  // Twice at most: a connection that died since the last call (a server restart) is
  // noticed by the first query, and one fresh connection is worth a try.
  for (int attempt = 0;; ++attempt) {
    std::string error;
    if (!ready(error)) throw StoreUnreachable("key store: " + error);
    Result r(PQexec(conn_, kLoadSql));
    if (r.status() == PGRES_TUPLES_OK) {
      std::vector<StoredKey> out;
      int n = PQntuples(r.r);
      out.reserve(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        StoredKey k;
        k.id = PQgetvalue(r.r, i, 0);
        k.project = PQgetvalue(r.r, i, 1);
        k.sha256_hex = PQgetvalue(r.r, i, 2);
        k.models = models_from_json(PQgetvalue(r.r, i, 3));
        k.created_ms = std::stoll(PQgetvalue(r.r, i, 4));
        k.revoked_ms = std::stoll(PQgetvalue(r.r, i, 5));
        out.push_back(std::move(k));
      }
      return out;
    }
    std::string why = message(PQresultErrorMessage(r.r));
    if (PQstatus(conn_) != CONNECTION_BAD) throw std::runtime_error("key store: " + why);
    drop();
    if (attempt == 1) throw StoreUnreachable("key store: PostgreSQL cannot be reached: " + why);
  }
}

namespace {

// Runs a writing statement; `rows` gets how many rows it returned.
StoreResult run_write(PGconn* conn, const char* sql, const char* const* params, int count,
                      int& rows, std::string& error) {
  Result r(PQexecParams(conn, sql, count, nullptr, params, nullptr, nullptr, 0));
  if (r.status() == PGRES_TUPLES_OK) {
    rows = PQntuples(r.r);
    return StoreResult::ok;
  }
  error = message(PQresultErrorMessage(r.r));
  return PQstatus(conn) == CONNECTION_BAD ? StoreResult::unreachable : StoreResult::refused;
}

}  // namespace

StoreResult PgKeyStore::insert(const StoredKey& key, std::string& error) {
  std::string models = models_json(key.models);
  std::string created = std::to_string(key.created_ms);
  std::string revoked = std::to_string(key.revoked_ms);
  const char* params[] = {key.id.c_str(), key.project.c_str(), key.sha256_hex.c_str(),
                          models.c_str(), created.c_str(),     revoked.c_str()};
  for (int attempt = 0;; ++attempt) {
    if (!ready(error)) return StoreResult::unreachable;
    int rows = 0;
    StoreResult res = run_write(conn_, kInsertSql, params, 6, rows, error);
    if (res != StoreResult::unreachable) return res;
    drop();
    if (attempt == 1) return res;
  }
}

StoreResult PgKeyStore::revoke(std::string_view id, int64_t revoked_ms, std::string& error) {
  std::string id_text(id);
  std::string when = std::to_string(revoked_ms);
  const char* params[] = {id_text.c_str(), when.c_str()};
  for (int attempt = 0;; ++attempt) {
    if (!ready(error)) return StoreResult::unreachable;
    int rows = 0;
    StoreResult res = run_write(conn_, kRevokeSql, params, 2, rows, error);
    if (res == StoreResult::ok && rows != 1) {
      error = "no active key with this id";
      return StoreResult::refused;
    }
    if (res != StoreResult::unreachable) return res;
    drop();
    if (attempt == 1) return res;
  }
}

}  // namespace sluice::admin
