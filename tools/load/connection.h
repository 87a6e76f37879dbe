#pragma once
// One keep-alive client connection of a worker: connects (again, after the server
// closes it), writes a request, reads its response with a ResponseReader, and reports
// how it ended to the worker. One request at a time: no pipelining, as the SDKs do.

#include <cstdint>

#include "response_reader.h"
#include "sluice/core/timer.h"
#include "sluice/net/stream.h"
#include "stats.h"

namespace sluice::load {

class Worker;

// A request on its way.
struct InFlight {
  uint32_t entry = 0;        // scenario entry (request template) index
  bool measured = false;     // intended after the warmup: it counts
  uint64_t intended_ns = 0;  // latency is measured from here (open loop: the schedule)
  uint64_t sent_ns = 0;
  uint64_t bytes_in = 0;
};

class Connection final : public net::StreamHandler, public core::TimerTarget {
 public:
  explicit Connection(Worker& worker);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens the socket ahead of the first request.
  void preconnect();
  // Takes a request; connects first if needed. Only when available().
  void submit(const InFlight& request);
  // Neither busy with a request nor waiting out a failed connect.
  bool available() const { return !busy_ && !backing_off_; }
  bool busy() const { return busy_; }
  const InFlight& request() const { return request_; }
  // The run is over: drops the request in flight (if any) and closes the socket.
  void close();

  void on_connected(net::Stream& s, int err) override;
  void on_data(net::Stream& s, core::Slice data) override;
  void on_peer_closed(net::Stream& s, int err) override;
  void on_timer(int tag) override;

 private:
  enum Tag : int { tag_deadline = 1, tag_backoff = 2, tag_socket_failed = 3 };
  void connect();
  void write_request();
  void complete(uint64_t now_ns);
  void fail(TransportError e, bool back_off);
  void close_stream();

  Worker& worker_;
  net::Stream* stream_ = nullptr;
  bool connected_ = false;
  bool busy_ = false;
  bool backing_off_ = false;
  int socket_errno_ = 0;  // socket(2) failed synchronously; reported from a timer
  InFlight request_;
  ResponseReader reader_;
  core::Timer deadline_;  // connect timeout, then the request's timeout
  core::Timer backoff_;   // a pause after a failed connect, so a dead target is not spun on
};

// Maps a connect / socket errno to the error it is counted as.
TransportError classify_errno(int err, bool connecting);

}  // namespace sluice::load
