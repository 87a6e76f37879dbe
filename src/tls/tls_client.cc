#include "sluice/tls/tls_client.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "openssl_errors.h"

namespace sluice::tls {

struct TlsClientSession::Resumption {
  TlsSessionCache* cache = nullptr;  // null: this connection does not resume
  std::string origin;                // "host:port", the cache key
};

namespace {

// ALPN wire format: length-prefixed protocol names.
constexpr unsigned char kAlpnHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// The SSL ex_data slot that points a connection at its Resumption. Allocated once per
// process (the static's initialisation is thread-safe); the context constructor touches
// it so that happens at setup rather than on a shard's first connect.
int resumption_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL calls this on the thread that drives the connection: during the handshake for
// TLS 1.2, from SSL_read for a TLS 1.3 ticket. That thread is the shard that owns both
// the connection and its cache, so the cache needs no lock. Returning 1 keeps the
// reference OpenSSL handed us.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* resumption =
      static_cast<TlsClientSession::Resumption*>(SSL_get_ex_data(ssl, resumption_index()));
  if (resumption == nullptr || resumption->cache == nullptr) return 0;
  resumption->cache->store(resumption->origin, session);
  return 1;
}

std::string failure_with_queue(const char* what) {
  std::string queued = detail::drain_error_queue();
  return queued.empty() ? std::string(what) : std::string(what) + ": " + queued;
}

bool is_ip_literal(const std::string& host) {
  unsigned char addr[16];
  return inet_pton(AF_INET, host.c_str(), addr) == 1 ||
         inet_pton(AF_INET6, host.c_str(), addr) == 1;
}

}  // namespace

TlsClientContext::TlsClientContext(const TlsClientConfig& config) {
  detail::ErrorQueueScope scope;
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) detail::throw_setup_error("cannot create a TLS client context");
  try {
    if (SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION) != 1) {
      detail::throw_setup_error("cannot require TLS 1.2");
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    // A ca_file adds to the system store (a provider behind a private CA may still
    // redirect to, or be fronted by, a publicly trusted host); it does not replace it.
    const bool system = SSL_CTX_set_default_verify_paths(ctx_) == 1;
    if (config.ca_file.empty()) {
      if (!system) detail::throw_setup_error("cannot load the system CA bundle");
    } else {
      ERR_clear_error();  // a missing system bundle is no failure when ca_file is given
      if (SSL_CTX_load_verify_locations(ctx_, config.ca_file.c_str(), nullptr) != 1)
        detail::throw_setup_error("cannot load ca_file " + config.ca_file);
    }
    // Note the inverted convention: 0 is success here.
    if (SSL_CTX_set_alpn_protos(ctx_, kAlpnHttp11, sizeof kAlpnHttp11) != 0) {
      detail::throw_setup_error("cannot set ALPN");
    }
    SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION);
    // Pooled idle connections then hold no 16 KiB record buffers (nginx does the same).
    SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
    // Sessions go to the per-shard TlsSessionCache only. NO_INTERNAL_STORE keeps them out
    // of the context's locked internal cache, and NO_AUTO_CLEAR stops the periodic flush
    // of that (empty) cache, which would take the context's lock every 255 connects.
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE |
                                             SSL_SESS_CACHE_NO_AUTO_CLEAR);
    SSL_CTX_sess_set_new_cb(ctx_, on_new_session);
    if (resumption_index() < 0) detail::throw_setup_error("cannot allocate SSL ex_data");
  } catch (...) {
    SSL_CTX_free(ctx_);
    throw;
  }
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

int TlsClientContext::min_protocol_version() const {
  return static_cast<int>(SSL_CTX_get_min_proto_version(ctx_));
}

TlsClientSession::TlsClientSession(const TlsClientContext& context, std::string_view host,
                                   std::uint16_t port, TlsSessionCache* cache)
    : resumption_(std::make_unique<Resumption>()) {
  detail::ErrorQueueScope scope;
  // "[::1]" is how a URL spells an IPv6 address; the certificate check wants "::1".
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string name(host);
  bool ip = is_ip_literal(name);
  bool ipv6 = ip && name.find(':') != std::string::npos;
  resumption_->origin = (ipv6 ? "[" + name + "]" : name) + ":" + std::to_string(port);
  if (name.empty()) {
    fail_setup("TLS needs a host name to verify");
    return;
  }

  SSL* ssl = SSL_new(context.native_handle());
  if (ssl == nullptr) {
    fail_setup(failure_with_queue("cannot create a TLS connection"));
    return;
  }
  if (!adopt(ssl)) return;
  SSL_set_connect_state(ssl);

  if (ip) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) != 1) {
      fail_setup(failure_with_queue("cannot verify IP address"));
      return;
    }
  } else {
    if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1 || SSL_set1_host(ssl, name.c_str()) != 1) {
      fail_setup(failure_with_queue("cannot verify host name"));
      return;
    }
    // "*.example.com" matches, "api*.example.com" does not (RFC 6125 leaves partial
    // wildcards optional; browsers reject them).
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  }

  if (cache != nullptr && &cache->context() == &context) {
    resumption_->cache = cache;
    SSL_set_ex_data(ssl, resumption_index(), resumption_.get());
    // If the server refuses the session OpenSSL falls back to a full handshake, so a
    // failure to offer it is not an error.
    if (SSL_SESSION* previous = cache->find(resumption_->origin)) SSL_set_session(ssl, previous);
  }
}

TlsClientSession::TlsClientSession(TlsClientSession&&) noexcept = default;
TlsClientSession& TlsClientSession::operator=(TlsClientSession&&) noexcept = default;

TlsClientSession::~TlsClientSession() {
  // resumption_ dies before the base frees the SSL; leave no dangling pointer behind.
  if (ssl() != nullptr) SSL_set_ex_data(ssl(), resumption_index(), nullptr);
}

const std::string& TlsClientSession::origin() const {
  static const std::string empty;
  return resumption_ == nullptr ? empty : resumption_->origin;
}

}  // namespace sluice::tls
