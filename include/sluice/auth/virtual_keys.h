#pragma once
// The set of virtual keys a gateway accepts, as an immutable snapshot. Shards hold a
// std::shared_ptr<const VirtualKeys> and swap it at a safe point when the control
// thread publishes a new one (config reload, or a key added or revoked at run time).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "sluice/auth/key_hash.h"
#include "sluice/config/config.h"

namespace sluice::auth {

// Why a run-time change was refused.
enum class KeyChange : uint8_t {
  ok,
  invalid_hash,   // sha256_hex is not 64 hex digits
  duplicate_key,  // another entry has the same digest (the same secret)
  duplicate_id,   // another entry has the same id
  unknown_id,     // revoke: no entry with this id
};

class VirtualKeys {
 public:
  VirtualKeys() = default;  // accepts no key

  // Setup code: throws std::invalid_argument naming the key id when an entry's
  // sha256_hex is not 64 hex digits, or when two entries share an id or a digest.
  explicit VirtualKeys(const config::Config& config);

  // The entry whose digest is SHA-256(presented_key), or null. The pointer stays valid
  // as long as this snapshot (or any snapshot derived from it that keeps the entry).
  const config::Key* find(std::string_view presented_key) const;
  const config::Key* find_digest(const KeyDigest& digest) const;
  const config::Key* find_id(std::string_view id) const;
  size_t size() const { return by_digest_.size(); }

  // Copy-on-write changes for keys added or revoked at run time (admin API). `*this`
  // is unchanged; on ok, `out` is a new snapshot that shares every other entry with
  // this one (pointer copies, no key is re-hashed or re-parsed).
  KeyChange with_added(config::Key key, VirtualKeys& out) const;
  KeyChange with_revoked(std::string_view id, VirtualKeys& out) const;

 private:
  struct DigestHash {
    // SHA-256 output is uniform, so its first 8 bytes are already a good hash.
    size_t operator()(const KeyDigest& d) const noexcept {
      size_t h;
      std::memcpy(&h, d.data(), sizeof h);
      return h;
    }
  };
  struct DigestEqual {
    bool operator()(const KeyDigest& a, const KeyDigest& b) const noexcept {
      return constant_time_equal(a, b);
    }
  };
  using Entry = std::shared_ptr<const config::Key>;

  KeyChange insert(Entry entry);

  std::unordered_map<KeyDigest, Entry, DigestHash, DigestEqual> by_digest_;
  // Views into the id strings of the entries above, which never move.
  std::unordered_map<std::string_view, Entry> by_id_;
};

}  // namespace sluice::auth
