#include "connection.h"

#include <cerrno>

#include "sluice/core/clock.h"
#include "sluice/tls/tls_client.h"
#include "worker.h"

namespace sluice::load {
namespace {

// Pause after a failed connect before this connection tries again.
constexpr uint64_t kBackoffNs = 50'000'000;

}  // namespace

TransportError classify_errno(int err, bool connecting) {
  if (err < 0) err = -err;
  switch (err) {
    case ECONNREFUSED:
      return TransportError::connect_refused;
    case ETIMEDOUT:
      return connecting ? TransportError::connect_timeout : TransportError::timeout;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
      return connecting ? TransportError::connect_failed : TransportError::reset;
    default:
      return connecting ? TransportError::connect_failed : TransportError::io;
  }
}

Connection::Connection(Worker& worker) : worker_(worker) {}

Connection::~Connection() { close_stream(); }

void Connection::preconnect() {
  if (stream_ == nullptr && !backing_off_) connect();
}

void Connection::connect() {
  const Target& t = *worker_.shared().target;
  stream_ = net::Stream::connect(worker_.io(), t.addr, t.addr_len, this);
  if (stream_ == nullptr) {
    // socket(2) failed (EMFILE...): report it from the loop, never re-entrantly.
    socket_errno_ = errno;
    deadline_.arm(worker_.io().loop.timers(), 0, this, tag_socket_failed);
    return;
  }
  worker_.count_connect();
  if (worker_.shared().tls) {
    stream_->set_tls(std::make_unique<tls::TlsClientSession>(*worker_.shared().tls, t.host, t.port,
                                                             worker_.session_cache()));
  }
  deadline_.arm(worker_.io().loop.timers(), core::mono_ns() + worker_.shared().connect_timeout_ns,
                this, tag_deadline);
}

void Connection::submit(const InFlight& request) {
  busy_ = true;
  request_ = request;
  if (stream_ == nullptr) {
    connect();
  } else if (connected_) {
    write_request();
  }
  // Otherwise the connect in progress ends in on_connected, which writes it.
}

void Connection::write_request() {
  const RequestTemplate& t = worker_.request_template(request_.entry);
  reader_.start(t.response_api, worker_.gap_histogram(request_));
  request_.sent_ns = core::mono_ns();
  request_.bytes_in = 0;
  worker_.count_sent(request_);
  deadline_.arm(worker_.io().loop.timers(), request_.sent_ns + worker_.shared().timeout_ns, this,
                tag_deadline);
  // The template outlives the run, so the bytes go out without a copy.
  stream_->send(core::Slice::from_static(t.bytes));
}

void Connection::on_connected(net::Stream&, int err) {
  deadline_.cancel();
  if (err != 0) {
    bool tls_failed = err == -EPROTO && stream_ != nullptr && stream_->tls();
    if (tls_failed) worker_.note_tls_failure(stream_->tls_failure());
    if (busy_) {
      fail(tls_failed ? TransportError::tls : classify_errno(err, true), true);
    } else {
      close_stream();  // a preconnect: the next submit tries again
    }
    return;
  }
  connected_ = true;
  stream_->start_reading();
  if (busy_) write_request();
}

void Connection::on_data(net::Stream&, core::Slice data) {
  if (!busy_) {
    close_stream();  // bytes nobody asked for: this connection cannot be trusted
    return;
  }
  uint64_t now = core::mono_ns();
  request_.bytes_in += data.size();
  switch (reader_.feed(data.view(), now)) {
    case ResponseReader::Result::need_more:
      return;
    case ResponseReader::Result::complete:
      complete(now);
      return;
    case ResponseReader::Result::error:
      fail(TransportError::protocol, false);
      return;
  }
}

void Connection::on_peer_closed(net::Stream&, int err) {
  if (!busy_ || !connected_) {
    close_stream();  // an idle keep-alive connection the server let go
    return;
  }
  uint64_t now = core::mono_ns();
  if (err == 0 && reader_.end_of_stream(now) == ResponseReader::Result::complete) {
    close_stream();
    complete(now);
    return;
  }
  fail(err == 0 ? TransportError::closed : classify_errno(err, false), false);
}

void Connection::complete(uint64_t now_ns) {
  deadline_.cancel();
  busy_ = false;
  // A response that ends the connection, or bytes after it (we never pipeline).
  if (!reader_.keep_alive() || reader_.leftover() > 0) close_stream();
  worker_.on_response(request_, reader_, now_ns);
  worker_.on_available(*this);
}

void Connection::fail(TransportError e, bool back_off) {
  deadline_.cancel();
  close_stream();
  busy_ = false;
  worker_.on_failure(request_, e, core::mono_ns());
  if (back_off) {
    backing_off_ = true;
    backoff_.arm(worker_.io().loop.timers(), core::mono_ns() + kBackoffNs, this, tag_backoff);
    return;
  }
  worker_.on_available(*this);
}

void Connection::on_timer(int tag) {
  switch (tag) {
    case tag_deadline:
      if (!busy_) {
        close_stream();  // a preconnect that did not finish in time
      } else {
        fail(connected_ ? TransportError::timeout : TransportError::connect_timeout, !connected_);
      }
      return;
    case tag_backoff:
      backing_off_ = false;
      worker_.on_available(*this);
      return;
    case tag_socket_failed:
      if (busy_) fail(classify_errno(socket_errno_, true), true);
      return;
  }
}

void Connection::close() {
  deadline_.cancel();
  backoff_.cancel();
  busy_ = false;
  close_stream();
}

void Connection::close_stream() {
  if (stream_ != nullptr) {
    stream_->close();
    stream_ = nullptr;
  }
  connected_ = false;
}

}  // namespace sluice::load
