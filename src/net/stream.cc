#include "sluice/net/stream.h"

#include <netinet/tcp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sluice::net {

Stream* Stream::adopt(IoContext& ctx, int fd, StreamHandler* h) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return new Stream(ctx, fd, h);
}

Stream* Stream::connect(IoContext& ctx, const sockaddr_storage& addr, socklen_t len,
                        StreamHandler* h) {
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto* s = new Stream(ctx, fd, h);
  s->connect_addr_ = addr;
  io_uring_sqe* sqe = ctx.loop.sqe();
  io_uring_prep_connect(sqe, fd, reinterpret_cast<sockaddr*>(&s->connect_addr_), len);
  io_uring_sqe_set_data64(sqe, core::make_user_data(s, op_connect));
  ++s->inflight_;
  s->connecting_ = true;
  return s;
}

void Stream::start_reading() {
  want_read_ = true;
  if (!recv_armed_ && !closing_ && !peer_closed_ && !starved_) arm_recv();
}

void Stream::pause_reading() {
  want_read_ = false;
  if (recv_armed_ && !closing_) {
    // Multishot recv keeps going until cancelled; its final CQE clears recv_armed_.
    cancel(op_recv);
  }
}

void Stream::arm_recv() {
  io_uring_sqe* sqe = ctx_.loop.sqe();
  io_uring_prep_recv_multishot(sqe, fd_, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = ctx_.buffers.group_id();
  io_uring_sqe_set_data64(sqe, core::make_user_data(this, op_recv));
  recv_armed_ = true;
  ++inflight_;
}

void Stream::set_tls(std::unique_ptr<tls::TlsEngine> engine) {
  tls_ = std::move(engine);
  tls_client_ = inflight_ > 0;  // a connect is in flight: we speak first
}

void Stream::send(core::Slice s) {
  if (closing_ || s.empty()) return;
  if (tls_) {
    if (!tls_->handshake_done()) {
      tls_pending_.push_back(std::move(s));
      return;
    }
    if (tls_->write_plaintext(s.view()) != tls::WriteStatus::written) {
      peer_closed(-EPROTO);
      return;
    }
    tls_flush_ciphertext();
    return;
  }
  send_raw(std::move(s));
}

void Stream::tls_flush_ciphertext() {
  if (tls_->pending_ciphertext() == 0) return;
  std::string out;
  tls_->take_ciphertext(out);
  send_raw(core::Slice::copy_of(std::move(out)));
}

// Drives the handshake; true once it is done. Reports the end to the handler.
bool Stream::tls_handshake_step() {
  if (tls_->handshake_done()) return true;
  tls::HandshakeStatus st = tls_->handshake();
  tls_flush_ciphertext();
  if (st == tls::HandshakeStatus::want_io) return false;
  if (st == tls::HandshakeStatus::failed) {
    if (tls_client_) {
      tls_client_ = false;
      if (handler_) handler_->on_connected(*this, -EPROTO);
    } else {
      peer_closed(-EPROTO);
    }
    return false;
  }
  while (!tls_pending_.empty() && !closing_) {
    core::Slice p = std::move(tls_pending_.front());
    tls_pending_.pop_front();
    send(std::move(p));
  }
  if (tls_client_ && handler_) {
    tls_client_ = false;
    handler_->on_connected(*this, 0);
  }
  return true;
}

void Stream::tls_input(core::Slice ciphertext) {
  tls_->feed_ciphertext(ciphertext.view());
  ciphertext = core::Slice();  // the ring buffer goes back at once
  if (!tls_handshake_step()) return;
  for (;;) {
    if (closing_ || !handler_) return;
    std::span<char> room = plaintext_.room();
    if (room.empty()) {
      peer_closed(-ENOMEM);
      return;
    }
    tls::ReadResult r = tls_->read_plaintext(room.data(), room.size());
    tls_flush_ciphertext();
    if (r.status == tls::ReadStatus::data) {
      handler_->on_data(*this, plaintext_.commit(r.bytes));
      continue;
    }
    // Nothing in flight still views the block: an idle connection keeps none.
    if (r.status == tls::ReadStatus::want_more) release_idle_plaintext();
    if (r.status == tls::ReadStatus::closed) peer_closed(0);
    if (r.status == tls::ReadStatus::failed) peer_closed(-EPROTO);
    return;
  }
}

void Stream::release_idle_plaintext() {
  if (plaintext_.unshared()) plaintext_.release();
}

void Stream::send_raw(core::Slice s) {
  if (closing_ || s.empty()) return;
  enqueue(std::move(s));
  if (queued_ > kHighWater) was_high_ = true;
  schedule_flush();
}

// Queued bytes leave at the end of the loop's turn, not send by send: what one turn
// queues (a response head and its body, a request head and its body, several relayed
// events) goes out in one sendmsg. The loop runs deferred work before it submits, so
// the bytes leave in the same submission as before: no added delay.
void Stream::schedule_flush() {
  if (send_inflight_ || flush_scheduled_) return;
  flush_scheduled_ = true;
  ++inflight_;  // the Stream stays allocated until the deferred flush has run
  ctx_.loop.defer([this] {
    flush_scheduled_ = false;
    --inflight_;
    if (!send_inflight_) flush();
    maybe_free();
  });
}

// A chunk's footprint is counted once per queue, on its first queued slice, and given
// back with its last; slices of a chunk another queue already counts, and slices whose
// chunk has no known footprint (static bytes), count their own bytes.
// Each entry also counts its own slot: a backlog of thousands of tiny slices (one per
// SSE event, with its chunk-size line) pins as much in entries as in bytes.
void Stream::enqueue(core::Slice s) {
  Pending p;
  queued_ += sizeof(Pending);
  core::Chunk* c = s.chunk();
  size_t footprint = c ? c->footprint() : 0;
  if (footprint > 0 && (c->charged_to == nullptr || c->charged_to == this)) {
    if (c->charged_slices++ == 0) {
      c->charged_to = this;
      queued_ += footprint;
    }
    p.chunk_charge = true;
  } else {
    p.charge = static_cast<uint32_t>(std::min<size_t>(s.size(), UINT32_MAX));
    queued_ += p.charge;
  }
  p.slice = std::move(s);
  queue_.push_back(std::move(p));
}

void Stream::dequeue_front() {
  Pending& p = queue_.front();
  if (p.chunk_charge) {
    core::Chunk* c = p.slice.chunk();
    if (--c->charged_slices == 0) {
      c->charged_to = nullptr;
      queued_ -= c->footprint();
    }
  } else {
    queued_ -= p.charge;
  }
  queued_ -= sizeof(Pending);
  queue_.pop_front();
}

void Stream::drop_queue() {
  while (!queue_.empty()) dequeue_front();
}

void Stream::flush() {
  if (queue_.empty() || closing_) return;
  size_t n = std::min<size_t>(queue_.size(), 64);
  for (size_t i = 0; i < n; ++i) {
    iov_[i].iov_base = const_cast<char*>(queue_[i].slice.data());
    iov_[i].iov_len = queue_[i].slice.size();
  }
  msg_ = {};
  msg_.msg_iov = iov_;
  msg_.msg_iovlen = n;
  io_uring_sqe* sqe = ctx_.loop.sqe();
  io_uring_prep_sendmsg(sqe, fd_, &msg_, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, core::make_user_data(this, op_send));
  send_inflight_ = true;
  ++inflight_;
  ++sendmsgs_;
}

void Stream::close_after_send() {
  close_after_send_ = true;
  // The owner lets go of the Stream here (and may be freed next): what arrives while
  // the last bytes go out (a body the peer is still sending) reaches no handler.
  handler_ = nullptr;
  if (queue_.empty() && !send_inflight_) close();
}

void Stream::close() {
  if (closing_) return;
  closing_ = true;
  handler_ = nullptr;
  // A sendmsg in flight still reads the front slices' memory: they are released only
  // when the Stream is freed, after that send's completion.
  if (!send_inflight_) drop_queue();
  // Each operation is cancelled by its own user_data, which the kernel finds by hash.
  // Cancelling by fd instead walks every pending request of the ring: with thousands of
  // connections each holding a multishot recv, every close cost O(open connections).
  if (recv_armed_) cancel(op_recv);
  if (send_inflight_) cancel(op_send);
  if (connecting_) cancel(op_connect);
  maybe_free();
}

// The cancel is an in-flight operation of its own: the Stream stays allocated until
// its completion, so no later Stream at the same address can be what it cancels.
void Stream::cancel(Op op) {
  io_uring_sqe* sqe = ctx_.loop.sqe();
  io_uring_prep_cancel64(sqe, core::make_user_data(this, op), 0);
  io_uring_sqe_set_data64(sqe, core::make_user_data(this, op_cancel));
  ++inflight_;
}

void Stream::maybe_free() {
  if (!closing_ || inflight_ > 0 || starved_) return;
  ::close(fd_);
  // Free after the current dispatch so no caller up the stack touches freed memory.
  ctx_.loop.defer([this] { delete this; });
  inflight_ = UINT32_MAX;  // guard against a second free
}

void Stream::on_completion(uint8_t op, int res, uint32_t flags) {
  switch (op) {
    case op_recv:
      on_recv(res, flags);
      break;
    case op_send:
      --inflight_;
      on_sent(res);
      break;
    case op_connect: {
      --inflight_;
      connecting_ = false;
      if (closing_) break;
      if (tls_ && res == 0) {
        start_reading();
        tls_handshake_step();  // sends the ClientHello; on_connected when it is done
        break;
      }
      if (handler_) handler_->on_connected(*this, res);
      break;
    }
    default:
      --inflight_;
      break;
  }
  maybe_free();
}

void Stream::on_recv(int res, uint32_t flags) {
  bool more = flags & IORING_CQE_F_MORE;
  if (!more) {
    recv_armed_ = false;
    --inflight_;
  }
  if (res > 0 && (flags & IORING_CQE_F_BUFFER)) {
    core::Slice data = ctx_.buffers.take(static_cast<uint16_t>(flags >> IORING_CQE_BUFFER_SHIFT),
                                         static_cast<uint32_t>(res));
    if (tls_ && !closing_) {
      tls_input(std::move(data));
    } else if (!closing_ && handler_) {
      handler_->on_data(*this, std::move(data));
    }
  } else if (res == -ENOBUFS) {
    // The ring ran dry: everything is held by slow peers. Wait for buffers.
    if (!closing_ && !starved_) {
      starved_ = true;
      ctx_.buffers.mark_starved();
      ctx_.starved.push_back(this);
    }
    return;
  } else if (res == 0) {
    if (tls_ && tls_->handshake_done()) {
      // A TLS stream ends with close_notify; an EOF without it is a truncation.
      tls_->feed_eof();
      std::span<char> room = plaintext_.room();
      tls::ReadResult r = tls_->read_plaintext(room.data(), room.size());
      if (r.status == tls::ReadStatus::data && handler_) {
        handler_->on_data(*this, plaintext_.commit(r.bytes));
        r = tls_->read_plaintext(room.data(), 0);
      }
      peer_closed(r.status == tls::ReadStatus::closed ? 0 : -EPIPE);
      return;
    }
    peer_closed(tls_ ? -ECONNRESET : 0);
    return;
  } else if (res < 0 && res != -ECANCELED) {
    peer_closed(res);
    return;
  }
  if (!recv_armed_ && want_read_ && !closing_ && !peer_closed_ && !starved_) arm_recv();
}

void Stream::rearm_after_starvation() {
  starved_ = false;
  if (closing_) {
    maybe_free();
    return;
  }
  if (want_read_ && !recv_armed_ && !peer_closed_) arm_recv();
}

void Stream::peer_closed(int err) {
  if (peer_closed_ || closing_) return;
  peer_closed_ = true;
  if (handler_)
    handler_->on_peer_closed(*this, err);
  else if (close_after_send_)
    close();  // nobody left to tell, and nothing more can be sent
}

void Stream::on_sent(int res) {
  send_inflight_ = false;
  if (closing_) return;
  if (res < 0) {
    peer_closed(res);
    return;
  }
  size_t left = static_cast<size_t>(res);
  while (left > 0 && !queue_.empty()) {
    core::Slice& front = queue_.front().slice;
    if (front.size() <= left) {
      left -= front.size();
      dequeue_front();
    } else {
      front.remove_prefix(left);
      left = 0;
    }
  }
  if (!queue_.empty()) {
    schedule_flush();
  } else if (close_after_send_) {
    ::shutdown(fd_, SHUT_WR);  // send FIN after the last byte, then let go
    close();
    return;
  }
  if (was_high_ && queued_ <= kLowWater) {
    was_high_ = false;
    if (handler_) handler_->on_drained(*this);
  }
}

}  // namespace sluice::net
