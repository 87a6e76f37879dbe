#pragma once

#include <openssl/types.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace sluice::tls {

// The event loop owns the socket; TLS only transforms bytes. A TlsEngine is one TLS
// connection wired to two OpenSSL memory BIOs and never does socket I/O:
//
//   network --recv--> feed_ciphertext()  --> read_plaintext()   --> application
//   application   --> write_plaintext() --> take_ciphertext() --send--> network
//
// After every call (handshake, read, write, shutdown) the caller sends whatever
// pending_ciphertext() reports: a handshake flight, an alert explaining a failure, a
// TLS 1.3 key-update answer or a close_notify can appear after any of them.
//
// Nothing here throws or blocks. An engine belongs to one shard thread: it is movable
// but not thread-safe, and it never shares mutable state with another engine. Every call
// starts and ends with an empty OpenSSL error queue, so one connection's error can never
// be reported by another connection on the same thread.
//
// TlsClientSession and TlsServerSession add how the connection is set up; this class
// is the shared byte-transformer API.

enum class HandshakeStatus {
  done,     // handshake complete (peer verified on the client side)
  want_io,  // send pending_ciphertext(), then feed more ciphertext and call again
  failed,   // see failure_reason(); send pending_ciphertext() (the alert), then close
};

enum class ReadStatus {
  data,       // `bytes` plaintext bytes were written to the caller's buffer
  want_more,  // no complete record buffered: feed more ciphertext
  closed,     // the peer sent close_notify: a clean end of the stream
  failed,     // see failure_reason(); includes a TCP close without close_notify
};

struct ReadResult {
  ReadStatus status;
  std::size_t bytes;  // > 0 only with ReadStatus::data
};

enum class WriteStatus {
  written,    // all bytes were encrypted; take_ciphertext() has them
  not_ready,  // handshake not finished yet; nothing was written
  closed,     // shutdown() was called; nothing was written
  failed,     // see failure_reason()
};

class TlsEngine {
 public:
  TlsEngine(const TlsEngine&) = delete;
  TlsEngine& operator=(const TlsEngine&) = delete;
  TlsEngine(TlsEngine&& other) noexcept;
  TlsEngine& operator=(TlsEngine&& other) noexcept;
  // Virtual: streams own sessions through unique_ptr<TlsEngine>.
  virtual ~TlsEngine();

  // Ciphertext received from the network. Copied into the engine; the caller keeps
  // ownership of `bytes`. The engine buffers without limit, so flow control is the
  // caller's: stop receiving while read_plaintext() still returns data.
  void feed_ciphertext(std::string_view bytes);

  // The network stream ended (recv returned 0). A later read that finds no close_notify
  // reports failed ("unexpected eof"), so a truncated response is never mistaken for
  // a complete one.
  void feed_eof();

  // Drives the handshake as far as the fed ciphertext allows.
  HandshakeStatus handshake();

  // Decrypts up to `cap` bytes into `out`. Drives the handshake first if needed (then
  // want_more means "handshake still in progress").
  ReadResult read_plaintext(char* out, std::size_t cap);

  // Encrypts all of `bytes` (memory BIOs never push back, so writes are all-or-nothing).
  WriteStatus write_plaintext(std::string_view bytes);

  // Queues a close_notify alert for the peer (send pending ciphertext afterwards).
  // Harmless to call more than once, or before the handshake finished (then no-op).
  void shutdown();

  // Ciphertext waiting to be sent, in bytes.
  std::size_t pending_ciphertext() const;
  // Moves up to `cap` pending ciphertext bytes into `out` (e.g. an io_uring send buffer
  // that must stay stable until the send completes); returns how many.
  std::size_t take_ciphertext(char* out, std::size_t cap);
  // Appends all pending ciphertext to `out`.
  void take_ciphertext(std::string& out);

  bool handshake_done() const { return state_ == State::open || state_ == State::closed; }
  bool failed() const { return state_ == State::failed || state_ == State::setup; }
  // Why the connection failed, e.g. "certificate verify failed: hostname mismatch";
  // empty while nothing failed.
  const std::string& failure_reason() const { return failure_; }

  // True when the handshake resumed a cached session (no certificate exchange).
  bool session_reused() const;
  // The ALPN protocol the server selected ("http/1.1"), empty when none was negotiated.
  std::string_view alpn() const;
  // "TLSv1.3", "TLSv1.2", ...; empty before the handshake is done.
  std::string_view protocol() const;

 protected:
  // A derived session builds its SSL and hands it over; until then (or when it calls
  // fail_setup) the engine is in the failed state and every call reports so.
  TlsEngine() = default;
  // Takes ownership of `ssl` and gives it its two memory BIOs. False (and failed) when
  // the BIOs could not be allocated.
  bool adopt(SSL* ssl);
  void fail_setup(std::string reason);
  SSL* ssl() const { return ssl_; }

 private:
  enum class State { setup, handshaking, open, closed, failed };

  // Records the failure of an SSL call that returned `ssl_error` (SSL_get_error).
  void fail(int ssl_error);
  HandshakeStatus drive_handshake();

  SSL* ssl_ = nullptr;          // owns both BIOs below
  BIO* network_in_ = nullptr;   // ciphertext from the network (SSL's read BIO)
  BIO* network_out_ = nullptr;  // ciphertext for the network (SSL's write BIO)
  State state_ = State::setup;
  bool shutdown_sent_ = false;
  std::string failure_;
};

}  // namespace sluice::tls
