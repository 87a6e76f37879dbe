#pragma once

#include <openssl/types.h>

#include <string>
#include <string_view>

#include "sluice/tls/tls_engine.h"

namespace sluice::tls {

struct TlsServerConfig {
  std::string cert_file;  // PEM: the server certificate first, then its intermediates
  std::string key_file;   // PEM: the matching private key, unencrypted
};

// Settings for accepting TLS (the bundled mock today, the gateway's listen.tls later):
// TLS 1.2 minimum, the certificate chain and key from files, ALPN "http/1.1".
//
// Resumption is by stateless session tickets only: the context's internal session
// cache is off, so accepting a connection never takes the context's lock and any shard
// can resume a ticket issued by another (the ticket keys live in the shared context).
//
// Thread-safety: build at setup (the constructor throws with the OpenSSL reason on a
// missing file or a key that does not match the certificate), then share read-only
// across shards; SSL_new on a shared SSL_CTX is thread-safe.
class TlsServerContext {
 public:
  explicit TlsServerContext(const TlsServerConfig& config);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // For setup-time tuning before any session exists (tests use it to cap versions);
  // never mutate a context that shards already use.
  SSL_CTX* native_handle() const { return ctx_; }

 private:
  SSL_CTX* ctx_ = nullptr;
};

// One accepted connection. A client that offers ALPN without "http/1.1" is refused
// with the no_application_protocol alert (RFC 7301); a client that offers no ALPN gets
// HTTP/1.1 as before ALPN existed. Construction never throws: on failure the session
// starts failed and handshake() says why.
class TlsServerSession : public TlsEngine {
 public:
  explicit TlsServerSession(const TlsServerContext& context);

  // The host name the client asked for (SNI), empty when it sent none (e.g. it
  // connected to an IP address) or before the ClientHello arrived.
  std::string_view server_name() const;
};

}  // namespace sluice::tls
