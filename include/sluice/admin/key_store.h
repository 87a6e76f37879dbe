#pragma once
// Virtual keys created through the admin API, kept so they survive a restart: in the
// ledger's SQLite file (table `virtual_keys`), or, with a PostgreSQL ledger, in the
// same table in PostgreSQL, shared by every instance (docs/LEDGER.md "Keys on every
// instance"). Only SHA-256 digests are stored. A store has a connection of its own;
// after start it is used only by the admin worker thread (never by a shard), before
// that by the control thread.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace sluice::config {
struct Ledger;
}

namespace sluice::admin {

struct StoredKey {
  std::string id;
  std::string project;
  std::string sha256_hex;           // lowercase hex
  std::vector<std::string> models;  // allowed aliases; empty = all
  int64_t created_ms = 0;
  int64_t revoked_ms = 0;  // 0: active
  bool operator==(const StoredKey&) const = default;
};

// What a write came to.
enum class StoreResult : uint8_t {
  ok,
  refused,      // the database said no (an id or digest already stored, no such key)
  unreachable,  // the database cannot be reached now; try again later
};

// load() could not reach the database (PostgreSQL down): the keys already loaded stay.
struct StoreUnreachable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;
  // Every row, revoked ones included, in creation order. Throws StoreUnreachable when
  // the database cannot be reached, std::runtime_error on any other read error.
  virtual std::vector<StoredKey> load() = 0;
  // Adds a row; `error` says why when it did not.
  virtual StoreResult insert(const StoredKey& key, std::string& error) = 0;
  // Marks an active row revoked; `error` says why when it did not.
  virtual StoreResult revoke(std::string_view id, int64_t revoked_ms, std::string& error) = 0;
  // True when other processes write the same rows (PostgreSQL): the process watches
  // for their changes (KeyWatcher).
  virtual bool shared() const { return false; }
};

class SqliteKeyStore final : public KeyStore {
 public:
  // Opens `path` (created if missing) and creates the table if needed. Setup code:
  // throws std::runtime_error naming the path and SQLite's message.
  explicit SqliteKeyStore(const std::string& path);
  ~SqliteKeyStore() override;
  SqliteKeyStore(const SqliteKeyStore&) = delete;
  SqliteKeyStore& operator=(const SqliteKeyStore&) = delete;

  std::vector<StoredKey> load() override;
  StoreResult insert(const StoredKey& key, std::string& error) override;
  StoreResult revoke(std::string_view id, int64_t revoked_ms, std::string& error) override;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// The store a ledger section names: its SQLite file, or its PostgreSQL database. Setup
// code: throws std::runtime_error (a URL that cannot be resolved, a SQLite file that
// cannot be opened). An unreachable PostgreSQL is not an error here: the store
// connects when it can.
std::unique_ptr<KeyStore> open_key_store(const config::Ledger& ledger);

// The `models` column: a JSON array of strings, in both databases.
std::string models_json(const std::vector<std::string>& models);
std::vector<std::string> models_from_json(const char* text);

}  // namespace sluice::admin
