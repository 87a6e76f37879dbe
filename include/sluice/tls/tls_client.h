#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/tls/tls_engine.h"
#include "sluice/tls/tls_session_cache.h"

namespace sluice::tls {

struct TlsClientConfig {
  // PEM file of CA certificates trusted besides the system bundle
  // (SSL_CTX_set_default_verify_paths: /etc/ssl/certs, SSL_CERT_FILE, SSL_CERT_DIR),
  // which is always trusted.
  std::string ca_file;
};

// Settings shared by every upstream TLS connection: TLS 1.2 minimum, peer verification
// always on (there is deliberately no switch to turn it off: trust a private CA with
// ca_file instead), ALPN "http/1.1", and client-side session resumption through a
// TlsSessionCache.
//
// Thread-safety: build it at setup (control thread; the constructor throws on a bad
// ca_file), then share it read-only across shards, one per process or one per distinct
// ca_file. Creating sessions (SSL_new) on a shared SSL_CTX is thread-safe, and nothing
// here mutates the context afterwards: the session cache lives outside it, per shard.
// Sessions hold a reference to the SSL_CTX, so they may outlive this object.
class TlsClientContext {
 public:
  explicit TlsClientContext(const TlsClientConfig& config = {});
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // The lowest protocol version accepted (TLS1_2_VERSION).
  int min_protocol_version() const;

  // For setup-time tuning before any session exists (tests use it to offer other ALPN
  // lists or cap versions); never mutate a context that shards already use.
  SSL_CTX* native_handle() const { return ctx_; }

 private:
  SSL_CTX* ctx_ = nullptr;
};

// One client connection to `host`:`port`. `host` is a DNS name (sent as SNI and matched
// against the certificate's names) or an IP literal ("10.0.0.7", "::1" or "[::1]",
// matched against IP SANs; no SNI, which RFC 6066 forbids for addresses).
//
// With a cache, the last session for "host:port" is offered for resumption and new
// sessions for that origin are stored back. The cache must belong to the same context
// (it is ignored otherwise) and outlive this session.
//
// Construction never throws: if setup fails the session starts failed and
// handshake() says why.
class TlsClientSession : public TlsEngine {
 public:
  TlsClientSession(const TlsClientContext& context, std::string_view host, std::uint16_t port,
                   TlsSessionCache* cache = nullptr);
  TlsClientSession(TlsClientSession&&) noexcept;
  TlsClientSession& operator=(TlsClientSession&&) noexcept;
  ~TlsClientSession();

  // The origin key used for the session cache: "host:port".
  const std::string& origin() const;

  // What the new-session callback needs; heap-allocated so its address survives moves.
  struct Resumption;

 private:
  std::unique_ptr<Resumption> resumption_;
};

}  // namespace sluice::tls
