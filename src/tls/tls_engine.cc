#include "sluice/tls/tls_engine.h"

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <utility>

#include "openssl_errors.h"

namespace sluice::tls {

using detail::ErrorQueueScope;

namespace {

// SSL_free treats a connection that never sent close_notify as "bad" and invalidates
// its session through SSL_CTX_remove_session, which takes the SSL_CTX's write lock:
// the one context every shard shares. Since TLS 1.1 (RFC 4346 7.2.1) an unclean close
// does not require that, and the fatal alerts that do still invalidate the session
// when they are sent or received. Marking our half as closed skips the lock.
void free_ssl(SSL* ssl) {
  if (ssl == nullptr) return;
  SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_SENT_SHUTDOWN);
  SSL_free(ssl);
}

}  // namespace

TlsEngine::TlsEngine(TlsEngine&& other) noexcept
    : ssl_(std::exchange(other.ssl_, nullptr)),
      network_in_(std::exchange(other.network_in_, nullptr)),
      network_out_(std::exchange(other.network_out_, nullptr)),
      state_(std::exchange(other.state_, State::setup)),
      shutdown_sent_(other.shutdown_sent_),
      failure_(std::move(other.failure_)) {}

TlsEngine& TlsEngine::operator=(TlsEngine&& other) noexcept {
  if (this != &other) {
    free_ssl(ssl_);
    ssl_ = std::exchange(other.ssl_, nullptr);
    network_in_ = std::exchange(other.network_in_, nullptr);
    network_out_ = std::exchange(other.network_out_, nullptr);
    state_ = std::exchange(other.state_, State::setup);
    shutdown_sent_ = other.shutdown_sent_;
    failure_ = std::move(other.failure_);
  }
  return *this;
}

// SSL_free also frees both BIOs (SSL_set_bio handed them over).
TlsEngine::~TlsEngine() { free_ssl(ssl_); }

bool TlsEngine::adopt(SSL* ssl) {
  ssl_ = ssl;
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    fail_setup("out of memory for TLS buffers");
    return false;
  }
  // An empty read BIO means "wait for more" (SSL_ERROR_WANT_READ), not end of stream;
  // feed_eof() switches this to a real EOF.
  BIO_set_mem_eof_return(in, -1);
  SSL_set_bio(ssl_, in, out);
  network_in_ = in;
  network_out_ = out;
  state_ = State::handshaking;
  return true;
}

void TlsEngine::fail_setup(std::string reason) {
  state_ = State::failed;
  failure_ = std::move(reason);
}

void TlsEngine::fail(int ssl_error) {
  state_ = State::failed;
  // A rejected certificate is the failure an operator most needs to see exactly, and
  // the error queue only says "certificate verify failed" without the why.
  long verify = SSL_get_verify_result(ssl_);
  std::string queued = detail::drain_error_queue();
  if (verify != X509_V_OK) {
    failure_ = "certificate verify failed: ";
    failure_ += X509_verify_cert_error_string(verify);
  } else if (!queued.empty()) {
    failure_ = std::move(queued);
  } else if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN) {
    failure_ = "connection closed during the TLS handshake";
  } else {
    failure_ = "TLS error " + std::to_string(ssl_error);
  }
}

void TlsEngine::feed_ciphertext(std::string_view bytes) {
  if (network_in_ == nullptr || bytes.empty()) return;
  ErrorQueueScope scope;
  // A memory BIO write only fails on allocation failure; the engine then fails too.
  std::size_t written = 0;
  if (BIO_write_ex(network_in_, bytes.data(), bytes.size(), &written) != 1 ||
      written != bytes.size()) {
    fail_setup("out of memory buffering TLS input");
  }
}

void TlsEngine::feed_eof() {
  if (network_in_ != nullptr) BIO_set_mem_eof_return(network_in_, 0);
}

HandshakeStatus TlsEngine::drive_handshake() {
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    state_ = State::open;
    return HandshakeStatus::done;
  }
  int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return HandshakeStatus::want_io;
  fail(err);
  return HandshakeStatus::failed;
}

HandshakeStatus TlsEngine::handshake() {
  switch (state_) {
    case State::open:
    case State::closed:
      return HandshakeStatus::done;
    case State::setup:
    case State::failed:
      return HandshakeStatus::failed;
    case State::handshaking:
      break;
  }
  ErrorQueueScope scope;
  return drive_handshake();
}

ReadResult TlsEngine::read_plaintext(char* out, std::size_t cap) {
  switch (state_) {
    case State::closed:
      return {ReadStatus::closed, 0};
    case State::setup:
    case State::failed:
      return {ReadStatus::failed, 0};
    case State::handshaking:
    case State::open:
      break;
  }
  ErrorQueueScope scope;
  if (state_ == State::handshaking) {
    HandshakeStatus hs = drive_handshake();
    if (hs == HandshakeStatus::want_io) return {ReadStatus::want_more, 0};
    if (hs == HandshakeStatus::failed) return {ReadStatus::failed, 0};
  }
  if (cap == 0) return {ReadStatus::want_more, 0};
  std::size_t n = 0;
  // Post-handshake messages (TLS 1.3 session tickets, key updates) are consumed here
  // too; a ticket reaches the client session cache from inside this call.
  int rc = SSL_read_ex(ssl_, out, cap, &n);
  if (rc == 1) return {ReadStatus::data, n};
  int err = SSL_get_error(ssl_, rc);
  switch (err) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return {ReadStatus::want_more, 0};
    case SSL_ERROR_ZERO_RETURN:
      state_ = State::closed;
      return {ReadStatus::closed, 0};
    default:
      fail(err);
      return {ReadStatus::failed, 0};
  }
}

WriteStatus TlsEngine::write_plaintext(std::string_view bytes) {
  switch (state_) {
    case State::setup:
    case State::failed:
      return WriteStatus::failed;
    case State::handshaking:
      return WriteStatus::not_ready;
    case State::open:
    case State::closed:
      break;
  }
  if (shutdown_sent_) return WriteStatus::closed;
  if (bytes.empty()) return WriteStatus::written;
  ErrorQueueScope scope;
  std::size_t written = 0;
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write_ex succeeds only when every byte was
  // encrypted, and a memory BIO always takes them.
  int rc = SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written);
  if (rc == 1) return WriteStatus::written;
  fail(SSL_get_error(ssl_, rc));
  return WriteStatus::failed;
}

void TlsEngine::shutdown() {
  if (shutdown_sent_ || !handshake_done()) return;
  ErrorQueueScope scope;
  // Only our half: 0 means "sent, peer's close_notify not seen yet", which is all we
  // need; we never wait for the peer's answer.
  SSL_shutdown(ssl_);
  shutdown_sent_ = true;
}

std::size_t TlsEngine::pending_ciphertext() const {
  return network_out_ == nullptr ? 0 : BIO_ctrl_pending(network_out_);
}

std::size_t TlsEngine::take_ciphertext(char* out, std::size_t cap) {
  if (network_out_ == nullptr || cap == 0) return 0;
  std::size_t n = 0;
  if (BIO_read_ex(network_out_, out, cap, &n) != 1) return 0;
  return n;
}

void TlsEngine::take_ciphertext(std::string& out) {
  std::size_t pending = pending_ciphertext();
  if (pending == 0) return;
  std::size_t old_size = out.size();
  out.resize(old_size + pending);
  out.resize(old_size + take_ciphertext(out.data() + old_size, pending));
}

bool TlsEngine::session_reused() const {
  return ssl_ != nullptr && handshake_done() && SSL_session_reused(ssl_) == 1;
}

std::string_view TlsEngine::alpn() const {
  if (ssl_ == nullptr) return {};
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &proto, &len);
  return proto == nullptr ? std::string_view{}
                          : std::string_view(reinterpret_cast<const char*>(proto), len);
}

std::string_view TlsEngine::protocol() const {
  if (ssl_ == nullptr || !handshake_done()) return {};
  return SSL_get_version(ssl_);
}

}  // namespace sluice::tls
