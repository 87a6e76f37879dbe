#pragma once
// The run-time key store in PostgreSQL (ledger.kind = postgres): one table
// `virtual_keys` that every instance reads and writes. A write NOTIFYs channel
// `sluice_virtual_keys` in the same statement, so every instance listening (KeyWatcher)
// re-reads the keys once the write commits. PostgreSQL may be down at any time: the
// store then fails fast (StoreResult::unreachable, StoreUnreachable) and reconnects on
// a later call, no sooner than a backoff of 0.5 s doubling to 10 s.

#include <cstdint>
#include <string>

#include "sluice/admin/key_store.h"

struct pg_conn;

namespace sluice::admin {

inline constexpr const char* kKeysChannel = "sluice_virtual_keys";

// A blocking connection to `url` (a libpq connection URI or key=value string), with a
// 3 s connect timeout. Null with `error` set (libpq's message, which never carries the
// password) when it failed.
pg_conn* connect_postgres(const std::string& url, std::string& error);

class PgKeyStore final : public KeyStore {
 public:
  // Does not connect: the first call does.
  explicit PgKeyStore(std::string url);
  ~PgKeyStore() override;
  PgKeyStore(const PgKeyStore&) = delete;
  PgKeyStore& operator=(const PgKeyStore&) = delete;

  std::vector<StoredKey> load() override;
  StoreResult insert(const StoredKey& key, std::string& error) override;
  StoreResult revoke(std::string_view id, int64_t revoked_ms, std::string& error) override;
  bool shared() const override { return true; }

  const std::string& url() const { return url_; }

 private:
  // A live connection with the table in place, or false with `error` set.
  bool ready(std::string& error);
  void drop();

  pg_conn* conn_ = nullptr;
  std::string url_;
  uint64_t next_try_ms_ = 0;  // monotonic; no connection attempt before this
  uint32_t backoff_ms_ = 0;
  std::string last_error_;
};

}  // namespace sluice::admin
