#pragma once
// A TCP socket driven by the shard's io_uring: multishot recv into the provided-buffer
// ring, an ordered send queue of Slices flushed with sendmsg, connect, and close that
// cancels every in-flight operation first (close(2) alone does not cancel io_uring
// operations). The Stream deletes itself after its last completion, so its owner may go
// away right after close(); the handler is never called after close().

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sluice/core/buffer.h"
#include "sluice/core/buffer_ring.h"
#include "sluice/core/event_loop.h"
#include "sluice/tls/plaintext_buffer.h"
#include "sluice/tls/tls_engine.h"

namespace sluice::net {

class Stream;

// Everything a shard's sockets share: its loop and its receive buffers.
struct IoContext {
  core::EventLoop& loop;
  core::BufferRing& buffers;
  std::vector<Stream*> starved;  // readers waiting for buffers to come back
  uint64_t live_streams = 0;     // sockets not yet freed: shutdown waits for 0
};

class StreamHandler {
 public:
  // Bytes arrived (a view into a ring buffer, shared, not copied).
  virtual void on_data(Stream& s, core::Slice data) = 0;
  // The peer closed (err == 0) or the socket failed (-errno). Call close() eventually.
  virtual void on_peer_closed(Stream& s, int err) = 0;
  // The send queue fell to the low-water mark after being above the high-water mark.
  virtual void on_drained(Stream&) {}
  // connect() finished: 0 or -errno.
  virtual void on_connected(Stream&, int) {}

 protected:
  ~StreamHandler() = default;
};

class Stream final : public core::IoHandler {
 public:
  static constexpr size_t kHighWater = 256 * 1024;  // pause the producer above this
  static constexpr size_t kLowWater = 64 * 1024;    // resume it below this

  // Wraps an accepted socket.
  static Stream* adopt(IoContext& ctx, int fd, StreamHandler* h);
  // Starts a non-blocking connect; on_connected reports the result.
  static Stream* connect(IoContext& ctx, const sockaddr_storage& addr, socklen_t len,
                         StreamHandler* h);

  void set_handler(StreamHandler* h) { handler_ = h; }
  // Puts TLS between the socket and the handler: the handler then sees plaintext only
  // (decrypted into pooled blocks, the one place the relay copies), and on_connected
  // reports the end of the handshake (-EPROTO on failure, see tls_failure()).
  // Call before start_reading(); for client streams, before the TCP connect completes.
  void set_tls(std::unique_ptr<tls::TlsEngine> engine);
  bool tls() const { return tls_ != nullptr; }
  std::string tls_failure() const { return tls_ ? tls_->failure_reason() : std::string(); }
  bool tls_resumed() const { return tls_ && tls_->session_reused(); }
  void start_reading();
  void pause_reading();
  bool reading() const { return want_read_; }

  void send(core::Slice s);
  void send(std::string bytes) { send(core::Slice::copy_of(std::move(bytes))); }
  // The send queue's backlog: the memory its slices keep alive (each buffer counted once,
  // whole, however little of it is queued), not their payload. Flow control pauses the
  // producer on this, so a slow reader pins at most about kHighWater.
  size_t queued_bytes() const { return queued_; }
  // sendmsg operations submitted so far: what one loop turn queues leaves in one.
  uint64_t sendmsgs() const { return sendmsgs_; }
  bool above_high_water() const { return queued_ > kHighWater; }

  // Close once everything queued has been sent (and the peer had a chance to read it).
  // The handler hears nothing more: the caller gives the Stream up.
  void close_after_send();
  // Cancels every in-flight operation, then closes the descriptor and frees itself.
  void close();
  bool closing() const { return closing_; }
  int fd() const { return fd_; }
  IoContext& ctx() { return ctx_; }

  // Called by the shard when receive buffers are available again.
  void rearm_after_starvation();

  void on_completion(uint8_t op, int res, uint32_t flags) override;

 private:
  enum Op : uint8_t { op_recv = 1, op_send = 2, op_connect = 3, op_shutdown = 4, op_cancel = 5 };
  Stream(IoContext& ctx, int fd, StreamHandler* h) : ctx_(ctx), fd_(fd), handler_(h) {
    ++ctx_.live_streams;
  }
  ~Stream() {
    drop_queue();
    --ctx_.live_streams;
  }
  // A queued slice and what it added to queued_.
  // 32 bytes, so a deque node holds 16 and a steady queue allocates few nodes.
  struct Pending {
    core::Slice slice;
    uint32_t charge = 0;        // bytes counted for this slice alone (capped)
    bool chunk_charge = false;  // counted through its chunk's footprint instead
  };
  void enqueue(core::Slice s);
  void dequeue_front();
  void drop_queue();
  void arm_recv();
  void cancel(Op op);
  void flush();
  void schedule_flush();
  void on_recv(int res, uint32_t flags);
  void on_sent(int res);
  void peer_closed(int err);
  void maybe_free();
  void send_raw(core::Slice s);
  void tls_input(core::Slice ciphertext);
  void tls_flush_ciphertext();
  void release_idle_plaintext();
  bool tls_handshake_step();

  IoContext& ctx_;
  int fd_;
  StreamHandler* handler_;
  std::deque<Pending> queue_;
  size_t queued_ = 0;  // memory the queue keeps alive (see queued_bytes())
  uint64_t sendmsgs_ = 0;
  iovec iov_[64];
  msghdr msg_{};
  sockaddr_storage connect_addr_{};
  uint32_t inflight_ = 0;
  bool recv_armed_ = false;  // a multishot recv is live (until its final CQE)
  bool want_read_ = false;
  bool send_inflight_ = false;
  bool flush_scheduled_ = false;  // a deferred flush() will run before the next submit
  bool connecting_ = false;       // a connect is in flight
  bool was_high_ = false;
  bool closing_ = false;
  bool close_after_send_ = false;
  bool peer_closed_ = false;
  bool starved_ = false;
  std::unique_ptr<tls::TlsEngine> tls_;
  bool tls_client_ = false;
  std::deque<core::Slice> tls_pending_;  // plaintext written before the handshake ended
  tls::PlaintextBuffer plaintext_;       // the pooled block TLS reads decrypt into
};

}  // namespace sluice::net
