#include "sluice/admin/key_store.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sqlite3.h>

#include <stdexcept>

#include "sluice/admin/pg_key_store.h"
#include "sluice/config/config.h"
#include "sluice/config/ledger_url.h"

namespace sluice::admin {
namespace {

// Revoked rows stay: their ids and digests are never handed out again, and a gateway
// that ever had run-time keys keeps requiring a key (see docs/OPERATIONS.md).
constexpr const char* kCreateSql = R"sql(
CREATE TABLE IF NOT EXISTS virtual_keys (
  id         TEXT    NOT NULL PRIMARY KEY,
  project    TEXT    NOT NULL,
  sha256     TEXT    NOT NULL UNIQUE,
  models     TEXT    NOT NULL DEFAULT '[]',
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER NOT NULL DEFAULT 0
);
)sql";

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

std::string column_text(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}

}  // namespace

std::string models_json(const std::vector<std::string>& models) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartArray();
  for (const std::string& m : models)
    w.String(m.data(), static_cast<rapidjson::SizeType>(m.size()));
  w.EndArray();
  return std::string(buf.GetString(), buf.GetSize());
}

std::vector<std::string> models_from_json(const char* text) {
  std::vector<std::string> out;
  rapidjson::Document d;
  if (text == nullptr || d.Parse(text).HasParseError() || !d.IsArray()) return out;
  for (const auto& v : d.GetArray())
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

std::unique_ptr<KeyStore> open_key_store(const config::Ledger& ledger) {
  if (ledger.kind != config::LedgerKind::postgres)
    return std::make_unique<SqliteKeyStore>(ledger.path);
  std::string error;
  std::string url = config::resolve_ledger_url(ledger, error);
  if (url.empty()) throw std::runtime_error("key store: " + error);
  return std::make_unique<PgKeyStore>(url);
}

SqliteKeyStore::SqliteKeyStore(const std::string& path) : path_(path) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw std::runtime_error("key store " + path + ": " + why);
  }
  // The ledger writer shares the file (WAL); a short wait covers its commits.
  sqlite3_busy_timeout(db_, 5000);
  char* msg = nullptr;
  if (sqlite3_exec(db_, kCreateSql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string why = msg ? msg : "unknown error";
    sqlite3_free(msg);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw std::runtime_error("key store " + path + ": " + why);
  }
}

SqliteKeyStore::~SqliteKeyStore() { sqlite3_close_v2(db_); }

std::vector<StoredKey> SqliteKeyStore::load() {
  Stmt st;
  const char* sql =
      "SELECT id, project, sha256, models, created_ms, revoked_ms FROM virtual_keys "
      "ORDER BY created_ms, rowid";
  if (sqlite3_prepare_v2(db_, sql, -1, &st.s, nullptr) != SQLITE_OK)
    throw std::runtime_error("key store " + path_ + ": " + sqlite3_errmsg(db_));
  std::vector<StoredKey> out;
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    StoredKey k;
    k.id = column_text(st.s, 0);
    k.project = column_text(st.s, 1);
    k.sha256_hex = column_text(st.s, 2);
    k.models = models_from_json(reinterpret_cast<const char*>(sqlite3_column_text(st.s, 3)));
    k.created_ms = sqlite3_column_int64(st.s, 4);
    k.revoked_ms = sqlite3_column_int64(st.s, 5);
    out.push_back(std::move(k));
  }
  if (rc != SQLITE_DONE)
    throw std::runtime_error("key store " + path_ + ": " + sqlite3_errmsg(db_));
  return out;
}

StoreResult SqliteKeyStore::insert(const StoredKey& key, std::string& error) {
  Stmt st;
  const char* sql =
      "INSERT INTO virtual_keys (id, project, sha256, models, created_ms, revoked_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  if (sqlite3_prepare_v2(db_, sql, -1, &st.s, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db_);
    return StoreResult::refused;
  }
  std::string models = models_json(key.models);
  sqlite3_bind_text(st.s, 1, key.id.data(), static_cast<int>(key.id.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 2, key.project.data(), static_cast<int>(key.project.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 3, key.sha256_hex.data(), static_cast<int>(key.sha256_hex.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(st.s, 4, models.data(), static_cast<int>(models.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 5, key.created_ms);
  sqlite3_bind_int64(st.s, 6, key.revoked_ms);
  if (sqlite3_step(st.s) != SQLITE_DONE) {
    error = sqlite3_errmsg(db_);
    return StoreResult::refused;
  }
  return StoreResult::ok;
}

StoreResult SqliteKeyStore::revoke(std::string_view id, int64_t revoked_ms, std::string& error) {
  Stmt st;
  const char* sql = "UPDATE virtual_keys SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms = 0";
  if (sqlite3_prepare_v2(db_, sql, -1, &st.s, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db_);
    return StoreResult::refused;
  }
  sqlite3_bind_text(st.s, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(st.s, 2, revoked_ms);
  if (sqlite3_step(st.s) != SQLITE_DONE) {
    error = sqlite3_errmsg(db_);
    return StoreResult::refused;
  }
  if (sqlite3_changes(db_) != 1) {
    error = "no active key with this id";
    return StoreResult::refused;
  }
  return StoreResult::ok;
}

}  // namespace sluice::admin
