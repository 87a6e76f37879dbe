#include "sluice/auth/virtual_keys.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace sluice::auth {

VirtualKeys::VirtualKeys(const config::Config& config) {
  for (const config::Key& key : config.keys) {
    switch (insert(std::make_shared<const config::Key>(key))) {
      case KeyChange::ok:
        break;
      case KeyChange::invalid_hash:
        throw std::invalid_argument("key \"" + key.id + "\": sha256 is not 64 hex digits");
      case KeyChange::duplicate_key:
        throw std::invalid_argument("key \"" + key.id + "\": same secret as another key");
      case KeyChange::duplicate_id:
        throw std::invalid_argument("key \"" + key.id + "\": id used twice");
      case KeyChange::unknown_id:
        break;  // not produced by insert
    }
  }
}

// Timing. The presented key is hashed once (its own length is the only input to that
// time, and the client already knows it); everything after depends only on the
// digest. The table picks a bucket from the digest's first bytes, and a probe may
// stop early when those bytes differ, so response time can at most tell a client
// whether some stored digest shares a few bits with SHA-256 of what it sent. That is
// no step towards a valid key: the digest is one-way, and a key of 32 random bytes is
// found only by guessing 2^256 values, each of which the client can hash itself
// anyway. Comparing the secrets themselves byte by byte would be the leak (each
// matched prefix byte observable); here the final comparison of full digests is also
// CRYPTO_memcmp, so not even digest prefixes leak through it.
const config::Key* VirtualKeys::find(std::string_view presented_key) const {
  if (by_digest_.empty()) return nullptr;
  return find_digest(sha256(presented_key));
}

const config::Key* VirtualKeys::find_digest(const KeyDigest& digest) const {
  auto it = by_digest_.find(digest);
  return it == by_digest_.end() ? nullptr : it->second.get();
}

const config::Key* VirtualKeys::find_id(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

KeyChange VirtualKeys::insert(Entry entry) {
  KeyDigest digest;
  if (!digest_from_hex(entry->sha256_hex, digest)) return KeyChange::invalid_hash;
  if (by_digest_.count(digest) != 0) return KeyChange::duplicate_key;
  if (by_id_.count(entry->id) != 0) return KeyChange::duplicate_id;
  by_id_.emplace(std::string_view(entry->id), entry);
  by_digest_.emplace(digest, std::move(entry));
  return KeyChange::ok;
}

KeyChange VirtualKeys::with_added(config::Key key, VirtualKeys& out) const {
  VirtualKeys next = *this;  // copies pointers; the views in by_id_ stay valid
  KeyChange change = next.insert(std::make_shared<const config::Key>(std::move(key)));
  if (change == KeyChange::ok) out = std::move(next);
  return change;
}

KeyChange VirtualKeys::with_revoked(std::string_view id, VirtualKeys& out) const {
  const config::Key* key = find_id(id);
  if (key == nullptr) return KeyChange::unknown_id;
  KeyDigest digest;
  digest_from_hex(key->sha256_hex, digest);  // valid: checked on insert
  VirtualKeys next = *this;
  next.by_digest_.erase(digest);
  next.by_id_.erase(id);
  out = std::move(next);
  return KeyChange::ok;
}

}  // namespace sluice::auth
