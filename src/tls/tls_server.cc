#include "sluice/tls/tls_server.h"

#include <openssl/ssl.h>

#include <string_view>

#include "openssl_errors.h"

namespace sluice::tls {

namespace {

constexpr std::string_view kHttp11 = "http/1.1";
constexpr unsigned char kSessionIdContext[] = {'s', 'l', 'u', 'i', 'c', 'e'};

// Picks "http/1.1" from the client's ALPN list (length-prefixed names).
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  unsigned int i = 0;
  while (i < inlen) {
    unsigned int len = in[i];
    if (len == 0 || i + 1 + len > inlen) break;  // malformed list: refuse below
    std::string_view name(reinterpret_cast<const char*>(in + i + 1), len);
    if (name == kHttp11) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

}  // namespace

TlsServerContext::TlsServerContext(const TlsServerConfig& config) {
  detail::ErrorQueueScope scope;
  ctx_ = SSL_CTX_new(TLS_server_method());
  if (ctx_ == nullptr) detail::throw_setup_error("cannot create a TLS server context");
  try {
    if (SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION) != 1) {
      detail::throw_setup_error("cannot require TLS 1.2");
    }
    if (SSL_CTX_use_certificate_chain_file(ctx_, config.cert_file.c_str()) != 1) {
      detail::throw_setup_error("cannot load TLS certificate " + config.cert_file);
    }
    if (SSL_CTX_use_PrivateKey_file(ctx_, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      detail::throw_setup_error("cannot load TLS key " + config.key_file);
    }
    if (SSL_CTX_check_private_key(ctx_) != 1) {
      detail::throw_setup_error("TLS key " + config.key_file + " does not match certificate " +
                                config.cert_file);
    }
    SSL_CTX_set_alpn_select_cb(ctx_, select_alpn, nullptr);
    // Client-initiated renegotiation costs the server a full handshake per request: a
    // cheap way to burn a shard's CPU.
    SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_set_session_id_context(ctx_, kSessionIdContext, sizeof kSessionIdContext) != 1) {
      detail::throw_setup_error("cannot set the session id context");
    }
  } catch (...) {
    SSL_CTX_free(ctx_);
    throw;
  }
}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(ctx_); }

TlsServerSession::TlsServerSession(const TlsServerContext& context) {
  detail::ErrorQueueScope scope;
  SSL* ssl = SSL_new(context.native_handle());
  if (ssl == nullptr) {
    std::string queued = detail::drain_error_queue();
    fail_setup(queued.empty() ? "cannot create a TLS connection"
                              : "cannot create a TLS connection: " + queued);
    return;
  }
  if (!adopt(ssl)) return;
  SSL_set_accept_state(ssl);
}

std::string_view TlsServerSession::server_name() const {
  if (ssl() == nullptr) return {};
  const char* name = SSL_get_servername(ssl(), TLSEXT_NAMETYPE_host_name);
  return name == nullptr ? std::string_view{} : std::string_view(name);
}

}  // namespace sluice::tls
