#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

// openssl/types.h declares SSL and SSL_CTX but not this one (openssl/ssl.h does); a
// matching typedef keeps the heavy header out of every includer.
typedef struct ssl_session_st SSL_SESSION;

namespace sluice::tls {

class TlsClientContext;

// The last TLS session each origin ("host:port") handed us, so the next connection to
// that origin can resume it (an abbreviated handshake: no certificate chain, no
// signature check, one round trip less on TLS 1.2).
//
// One cache per shard and per TlsClientContext: it is not thread-safe, which is the
// point (no lock on the connect path), and a session is only ever offered to
// connections of the context that verified it, so resumption can never skip a check
// the new connection's context would have made (e.g. a different ca_file).
//
// TLS 1.2 sessions arrive during the handshake; TLS 1.3 tickets arrive after it, inside
// a later read_plaintext(), so a connection that is dropped before reading anything
// never refreshes the cache. A fatal alert on a connection marks its session
// unresumable (RFC 5246 7.2.2) and find() then drops it; a connection that merely ends
// without close_notify keeps it (allowed since TLS 1.1). A cache must outlive the
// sessions created with it.
class TlsSessionCache {
 public:
  // `capacity`: most origins remembered; an arbitrary one is forgotten to make room
  // (a gateway talks to a handful of providers, so this only bounds misuse).
  explicit TlsSessionCache(const TlsClientContext& context, std::size_t capacity = 256);
  ~TlsSessionCache();
  TlsSessionCache(const TlsSessionCache&) = delete;
  TlsSessionCache& operator=(const TlsSessionCache&) = delete;

  const TlsClientContext& context() const { return *context_; }
  std::size_t size() const { return sessions_.size(); }

  // The session to offer for `origin`, or nullptr when none is cached or it expired.
  // The cache keeps ownership.
  SSL_SESSION* find(std::string_view origin);
  // Takes ownership of one reference to `session`, replacing the origin's previous one.
  void store(std::string origin, SSL_SESSION* session);
  void forget(std::string_view origin);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  const TlsClientContext* context_;
  std::size_t capacity_;
  std::unordered_map<std::string, SSL_SESSION*, Hash, std::equal_to<>> sessions_;
};

}  // namespace sluice::tls
