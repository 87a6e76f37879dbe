#include "sluice/net/http_connection.h"

#include <arpa/inet.h>

#include <cstdio>

#include "sluice/core/append_number.h"
#include "sluice/core/clock.h"
#include "sluice/core/log.h"
#include "sluice/net/http_status.h"

namespace sluice::net {
namespace {
enum TimerTag { kHeaderDeadline = 1, kKeepAliveIdle = 2 };
thread_local HttpConnection* t_connections = nullptr;
}  // namespace

// ---- Exchange -------------------------------------------------------------------------

ServerContext& Exchange::server() const { return conn_->ctx_; }

std::string_view Exchange::peer_address() const {
  HttpConnection& c = *conn_;
  if (!c.peer_.empty() || c.stream_ == nullptr) return c.peer_;
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(c.stream_->fd(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  const void* addr = nullptr;
  if (ss.ss_family == AF_INET) addr = &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr;
  if (ss.ss_family == AF_INET6) addr = &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr;
  if (addr && inet_ntop(ss.ss_family, addr, text, sizeof text)) c.peer_ = text;
  return c.peer_;
}

size_t Exchange::client_backlog() const {
  return conn_->stream_ ? conn_->stream_->queued_bytes() : 0;
}

void Exchange::send_head(int status, std::string_view headers, int64_t content_length,
                         bool chunked_passthrough) {
  HttpConnection& c = *conn_;
  std::string& h = c.ctx_.head_scratch;
  h.clear();
  h.reserve(128 + headers.size());
  h += "HTTP/1.1 ";
  core::append_uint(h, static_cast<uint64_t>(status));
  h += ' ';
  h += reason_phrase(status);
  h += "\r\n";
  h += headers;
  if (content_length >= 0) {
    h += "Content-Length: ";
    core::append_uint(h, static_cast<uint64_t>(content_length));
    h += "\r\n";
  } else if (chunked_passthrough) {
    h += "Transfer-Encoding: chunked\r\n";
  } else {
    close_delimited_ = true;
    c.keep_alive_ = false;
  }
  if (!c.keep_alive_ || c.ctx_.draining) h += "Connection: close\r\n";
  h += "\r\n";
  head_sent_ = true;
  if (c.stream_) c.stream_->send(c.ctx_.heads.put(h));
}

void Exchange::send_body(core::Slice bytes) {
  if (conn_->stream_) conn_->stream_->send(std::move(bytes));
}

void Exchange::respond(int status, std::string_view content_type, std::string body,
                       std::string_view extra_headers) {
  std::string headers;
  headers.reserve(64 + extra_headers.size());
  if (!content_type.empty()) {
    headers += "Content-Type: ";
    headers += content_type;
    headers += "\r\n";
  }
  headers += extra_headers;
  send_head(status, headers, static_cast<int64_t>(body.size()));
  if (head_.method != "HEAD" && !body.empty()) send_body(core::Slice::copy_of(std::move(body)));
  finish(true);
}

void Exchange::finish(bool reusable) { conn_->exchange_done(reusable && !close_delimited_); }

void Exchange::abort() {
  observer_ = nullptr;
  conn_->abort_exchange();
}

// ---- HttpConnection ---------------------------------------------------------------

void HttpConnection::accept(ServerContext& ctx, int fd, const tls::TlsServerContext* tls,
                            bool admin) {
  auto* c = new HttpConnection(ctx);
  c->ex_.admin_listener_ = admin;
  c->stream_ = Stream::adopt(ctx.io, fd, c);
  if (ctx.limits.max_connections != 0 && ctx.open_connections > ctx.limits.max_connections) {
    // Answered before the request is read: a refused client costs no buffers. Over TLS
    // no answer can go out before a handshake, so the connection just closes.
    if (tls) {
      ++ctx.refused_busy;
      c->shutdown();
    } else {
      c->fail_busy("too many connections; retry later");
    }
    return;
  }
  if (tls) c->stream_->set_tls(std::make_unique<tls::TlsServerSession>(*tls));
  c->idle_since_ns_ = ctx.io.loop.now_ns();
  c->timer_.arm(ctx.io.loop.timers(), ctx.io.loop.now_ns() + ctx.limits.header_timeout_ns, c,
                kHeaderDeadline);
  c->stream_->start_reading();
}

HttpConnection::HttpConnection(ServerContext& ctx) : ctx_(ctx) {
  ex_.conn_ = this;
  ++ctx_.open_connections;
  ConnectionList::add(this);
}

HttpConnection::~HttpConnection() {
  release_body();
  --ctx_.open_connections;
  ConnectionList::remove(this);
}

void HttpConnection::on_data(Stream&, core::Slice data) {
  if (state_ == State::closed) return;
  if (state_ == State::exchange) {
    pending_.append(data.view());
    // A client pipelining far ahead waits until we catch up.
    if (pending_.size() > ctx_.limits.request.max_head_bytes) stream_->pause_reading();
    return;
  }
  if (!got_bytes_) {
    got_bytes_ = true;
    if (timer_.armed() && state_ == State::head)
      timer_.arm(ctx_.io.loop.timers(), ctx_.io.loop.now_ns() + ctx_.limits.header_timeout_ns, this,
                 kHeaderDeadline);
  }
  // The request is copied out of the ring buffer (it is small) so the buffer goes back
  // to the kernel at once: a long exchange never pins one of the shard's receive
  // buffers, which would cap a shard's concurrent streams at the ring's size.
  buf_.append(data.view());
  process();
}

void HttpConnection::process() {
  if (processing_) return;
  processing_ = true;
  while (state_ != State::exchange && state_ != State::closed && step()) {
  }
  processing_ = false;
}

// One parsing step over buf_. True when it made progress and may continue.
bool HttpConnection::step() {
  if (buf_.empty()) return false;
  http::RequestHead& head = ex_.head_;
  http::RequestParse r = http::parse_request_head(buf_, ctx_.limits.request, head);
  if (r.status == http::ParseStatus::incomplete) return false;
  if (r.status == http::ParseStatus::error) {
    fail(r.error);
    return false;
  }
  state_ = State::body;
  keep_alive_ = head.keep_alive;
  std::string_view all(buf_);
  size_t hb = head.head_bytes;
  if (head.body == http::BodyKind::none) {
    dispatch(all, hb, {}, hb);
    return true;
  }
  if (!body_admitted_ && !admit_body(head, all.size() - hb)) return false;
  if (head.body == http::BodyKind::content_length) {
    if (all.size() - hb >= head.content_length) {
      dispatch(all, hb, all.substr(hb, head.content_length), hb + head.content_length);
      return true;
    }
  } else {
    if (chunk_pos_ < hb) {
      chunk_pos_ = hb;
      chunked_.reset();
      body_buf_.clear();
    }
    for (;;) {
      http::ChunkStep st = chunked_.step(all.substr(chunk_pos_));
      chunk_pos_ += st.consumed;
      if (st.status == http::ChunkStatus::data) {
        body_buf_.append(st.data);
        if (body_buf_.size() > ctx_.limits.request.max_body_bytes) {
          fail(http::RequestError::body_too_large);
          return false;
        }
        // Held twice until the request ends: decoded here, framed in buf_.
        if (!hold_body(body_buf_.size() + (chunk_pos_ - hb))) {
          fail_busy("too many request bodies in flight; retry later");
          return false;
        }
        continue;
      }
      if (st.status == http::ChunkStatus::error) {
        fail(http::RequestError::bad_request);
        return false;
      }
      if (st.status == http::ChunkStatus::done) {
        size_t end = chunk_pos_;
        chunk_pos_ = 0;
        dispatch(all, hb, body_buf_, end);
        return true;
      }
      break;  // need_more
    }
  }
  if (head.expect_continue && !continue_sent_) {
    continue_sent_ = true;
    stream_->send(std::string("HTTP/1.1 100 Continue\r\n\r\n"));
  }
  return false;
}

// Once per request with a body, before any more of it is read or acknowledged: the
// application may refuse the head, and the shard must have room for the body. A body
// that came whole with its head has cost what it costs already: the request takes the
// full path, whose refusals keep the connection.
bool HttpConnection::admit_body(const http::RequestHead& head, size_t arrived) {
  body_admitted_ = true;
  bool whole = head.body == http::BodyKind::content_length && arrived >= head.content_length;
  if (!whole && !check_head()) return false;
  uint64_t declared = head.body == http::BodyKind::content_length ? head.content_length : 0;
  if (!hold_body(declared)) {
    fail_busy("too many request bodies in flight; retry later");
    return false;
  }
  return true;
}

// Offers the head to the application. False when it answered: the connection closes.
bool HttpConnection::check_head() {
  state_ = State::exchange;
  ++ctx_.active_exchanges;
  ex_.body_ = {};
  ex_.started_ns_ = ctx_.io.loop.now_ns();
  ex_.observer_ = nullptr;
  ex_.head_sent_ = false;
  ex_.close_delimited_ = false;
  bool keep_alive = keep_alive_;
  keep_alive_ = false;  // an answer now ends the connection: the body is still unread
  bool go_on = ctx_.handler.on_head(ex_);
  if (state_ != State::exchange) return false;  // answered, and closing
  --ctx_.active_exchanges;
  state_ = State::body;
  keep_alive_ = keep_alive;
  if (!go_on) {
    shutdown();
    return false;
  }
  return true;
}

// Grows this request's share of the shard's body budget to `bytes`; false when the
// shard has no room for it.
bool HttpConnection::hold_body(uint64_t bytes) {
  if (bytes <= body_held_) return true;
  uint64_t more = bytes - body_held_;
  if (ctx_.buffered_body_bytes + more > ctx_.limits.max_buffered_body_bytes) return false;
  ctx_.buffered_body_bytes += more;
  body_held_ = bytes;
  return true;
}

void HttpConnection::release_body() {
  ctx_.buffered_body_bytes -= body_held_;
  body_held_ = 0;
}

void HttpConnection::dispatch(std::string_view, size_t, std::string_view body, size_t end) {
  consumed_ = end;
  state_ = State::exchange;
  continue_sent_ = false;
  body_admitted_ = false;
  got_bytes_ = false;
  timer_.cancel();
  ex_.body_ = body;
  ex_.started_ns_ = ctx_.io.loop.now_ns();
  ex_.observer_ = nullptr;
  ex_.head_sent_ = false;
  ex_.close_delimited_ = false;
  if (ctx_.draining) keep_alive_ = false;
  ++ctx_.active_exchanges;
  ctx_.handler.on_request(ex_);
}

void HttpConnection::exchange_done(bool reusable) {
  if (state_ != State::exchange) return;
  --ctx_.active_exchanges;
  ex_.observer_ = nullptr;
  state_ = State::head;
  release_body();
  if (!reusable || !keep_alive_ || ctx_.draining) {
    state_ = State::closed;
    if (stream_) stream_->close_after_send();
    stream_ = nullptr;
    ctx_.io.loop.defer([this] { delete this; });
    return;
  }
  served_ = true;
  idle_since_ns_ = ctx_.io.loop.now_ns();
  buf_.erase(0, consumed_);
  consumed_ = 0;
  body_buf_.clear();
  if (!pending_.empty()) {
    buf_ += pending_;
    pending_.clear();
  }
  if (stream_ && !stream_->reading()) stream_->start_reading();
  if (buf_.empty()) {
    timer_.arm(ctx_.io.loop.timers(), ctx_.io.loop.now_ns() + ctx_.limits.keepalive_timeout_ns,
               this, kKeepAliveIdle);
  } else {
    got_bytes_ = true;
    timer_.arm(ctx_.io.loop.timers(), ctx_.io.loop.now_ns() + ctx_.limits.header_timeout_ns, this,
               kHeaderDeadline);
    if (!processing_)
      ctx_.io.loop.defer([this] {
        if (state_ == State::head) process();
      });
  }
}

void HttpConnection::fail(http::RequestError e) {
  fail_status(http::status_of(e), http::reason_of(e));
}

void HttpConnection::fail_busy(std::string_view reason) {
  ++ctx_.refused_busy;
  fail_status(503, reason, "overloaded", "Retry-After: 1\r\n");
}

void HttpConnection::fail_status(int status, std::string_view reason, std::string_view error_class,
                                 std::string_view extra_headers) {
  if (state_ == State::closed || !stream_) return;
  std::string body = error_body_json(reason, error_class);
  std::string head = "HTTP/1.1 " + std::to_string(status) + " ";
  head += reason_phrase(status);
  head += "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size());
  head += "\r\nx-sluice-error-class: ";
  head += error_class;
  head += "\r\n";
  head += extra_headers;
  head += "Connection: close\r\n\r\n";
  stream_->send(head + body);
  state_ = State::closed;
  stream_->close_after_send();
  stream_ = nullptr;
  timer_.cancel();
  ctx_.io.loop.defer([this] { delete this; });
}

void HttpConnection::on_peer_closed(Stream&, int) { shutdown(); }

void HttpConnection::shutdown() {
  if (state_ == State::closed) return;
  if (state_ == State::exchange) {
    --ctx_.active_exchanges;
    ExchangeObserver* o = ex_.observer_;
    ex_.observer_ = nullptr;
    if (o) o->on_client_gone();
  }
  state_ = State::closed;
  timer_.cancel();
  if (stream_) stream_->close();
  stream_ = nullptr;
  ctx_.io.loop.defer([this] { delete this; });
}

void HttpConnection::on_drained(Stream&) {
  if (state_ == State::exchange && ex_.observer_) ex_.observer_->on_client_drained();
}

void HttpConnection::on_timer(int tag) {
  if (state_ == State::closed) return;
  if (tag == kHeaderDeadline && got_bytes_ && state_ != State::exchange) {
    fail_status(408, "request head or body not received in time");
    return;
  }
  if (state_ != State::exchange) shutdown();
}

// The response cannot be completed (the upstream broke mid-body): what was relayed
// still reaches the client, then the connection closes so the client sees the cut.
void HttpConnection::abort_exchange() {
  if (state_ == State::closed) return;
  if (state_ == State::exchange) --ctx_.active_exchanges;
  state_ = State::closed;
  timer_.cancel();
  if (stream_) stream_->close_after_send();
  stream_ = nullptr;
  ctx_.io.loop.defer([this] { delete this; });
}

void HttpConnection::drain() {
  if (state_ == State::exchange) {
    keep_alive_ = false;
  } else if (state_ != State::closed) {
    shutdown();
  }
}

void ConnectionList::add(HttpConnection* c) {
  c->next_ = t_connections;
  if (t_connections) t_connections->prev_ = c;
  t_connections = c;
}

void ConnectionList::remove(HttpConnection* c) {
  if (c->prev_) c->prev_->next_ = c->next_;
  if (c->next_) c->next_->prev_ = c->prev_;
  if (t_connections == c) t_connections = c->next_;
  c->prev_ = c->next_ = nullptr;
}

namespace {
constexpr uint64_t kFreshGraceNs = 1'000'000'000;
}

size_t ConnectionList::shed_idle(size_t count) {
  // Newest first in the list: walk to the oldest, then back.
  HttpConnection* c = t_connections;
  while (c && c->next_) c = c->next_;
  size_t shed = 0;
  while (c && shed < count) {
    HttpConnection* newer = c->prev_;
    bool idle = c->state_ == HttpConnection::State::head && !c->got_bytes_ && c->buf_.empty() &&
                c->stream_ && c->stream_->queued_bytes() == 0;
    bool settled = c->served_ || c->ctx_.io.loop.now_ns() - c->idle_since_ns_ >= kFreshGraceNs;
    if (idle && settled) {
      c->shutdown();
      ++shed;
    }
    c = newer;
  }
  return shed;
}

void ConnectionList::drain_all() {
  for (HttpConnection* c = t_connections; c;) {
    HttpConnection* next = c->next_;
    c->drain();
    c = next;
  }
}

}  // namespace sluice::net

namespace sluice::net {
void ConnectionList::close_all() {
  while (t_connections) {
    HttpConnection* c = t_connections;
    c->shutdown();
    // shutdown() frees later; unlink now so the walk ends.
    if (t_connections == c) remove(c);
  }
}
}  // namespace sluice::net
