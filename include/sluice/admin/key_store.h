#pragma once
// Virtual keys created through the admin API, kept in the ledger's SQLite file (table
// `virtual_keys`) so they survive a restart. Only SHA-256 digests are stored. The
// store has a connection of its own; after start it is used only by the admin worker
// thread (never by a shard), before that by the control thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace sluice::admin {

struct StoredKey {
  std::string id;
  std::string project;
  std::string sha256_hex;           // lowercase hex
  std::vector<std::string> models;  // allowed aliases; empty = all
  int64_t created_ms = 0;
  int64_t revoked_ms = 0;  // 0: active
};

class KeyStore {
 public:
  // Opens `path` (created if missing) and creates the table if needed. Setup code:
  // throws std::runtime_error naming the path and SQLite's message.
  explicit KeyStore(const std::string& path);
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  // Every row, revoked ones included, in creation order. Throws on a read error.
  std::vector<StoredKey> load() const;
  // Adds a row. False with `error` set on failure (an id or digest already stored).
  bool insert(const StoredKey& key, std::string& error);
  // Marks the row revoked. False with `error` when it failed.
  bool revoke(std::string_view id, int64_t revoked_ms, std::string& error);

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace sluice::admin
