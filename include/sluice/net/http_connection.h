#pragma once
// One client connection of the HTTP/1.1 server: reads and parses requests (keep-alive,
// pipelining, Content-Length and chunked bodies, Expect: 100-continue), enforces limits
// and the header-read deadline, and hands each complete request to the application as
// an Exchange. Requests are answered strictly in order.

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/core/buffer.h"
#include "sluice/core/timer.h"
#include "sluice/http/chunked_decoder.h"
#include "sluice/http/request_parser.h"
#include "sluice/net/stream.h"
#include "sluice/tls/tls_server.h"

namespace sluice::net {

class HttpConnection;
class Exchange;
struct ServerContext;

// Per-exchange notifications for whoever produces the response.
class ExchangeObserver {
 public:
  // The client went away before the response finished. The exchange is dead after this.
  virtual void on_client_gone() = 0;
  // The client caught up: the response backlog fell under the low-water mark.
  virtual void on_client_drained() {}

 protected:
  ~ExchangeObserver() = default;
};

// The application: gateway or mock.
class RequestHandler {
 public:
  // A complete request (head and whole body). Respond now or later via the Exchange.
  virtual void on_request(Exchange& ex) = 0;
  // The head of a request whose body is still to come is parsed; the rest of the body
  // is not read nor acknowledged (no `100 Continue`) yet. Return true to go on, or
  // answer through `ex.respond` and return false: that answer closes the connection,
  // since the unread body would otherwise be taken for the next request. Lets the
  // application refuse a stranger before it costs a body's worth of memory.
  virtual bool on_head(Exchange& ex) {
    (void)ex;
    return true;
  }
  // The shard is stopping: let go of pooled resources (idle upstream connections).
  virtual void on_shutdown() {}
  // Once per loop turn, after completions: flush per-turn buffers (logs).
  virtual void on_loop_turn() {}
  // The shard's server exists (before the first connection); its counters may be read.
  virtual void on_serving(const ServerContext&) {}
  virtual ~RequestHandler() = default;
};

struct ServerLimits {
  http::RequestLimits request;
  uint64_t header_timeout_ns = 10'000'000'000ull;
  uint64_t keepalive_timeout_ns = 75'000'000'000ull;
  uint64_t max_connections = 0;  // open client connections per shard; 0: no limit
  // Request bodies held per shard (being received, or held by their exchange); a
  // request whose body would go past it is answered 503.
  uint64_t max_buffered_body_bytes = uint64_t{256} << 20;
};

// Shard-wide state the server connections share.
struct ServerContext {
  IoContext& io;
  RequestHandler& handler;
  ServerLimits limits;
  uint64_t open_connections = 0;
  uint64_t active_exchanges = 0;
  uint64_t buffered_body_bytes = 0;  // sum of the connections' body_held_
  uint64_t refused_busy = 0;         // connections answered 503: over a limit above
  bool draining = false;             // stop keep-alive; close idle connections
  // Response heads: built in one string kept between responses, then copied into a
  // shared block, so a head costs no allocation once the shard is warm.
  std::string head_scratch;
  std::string head_lines_scratch;  // a relayed head's lines, before send_head
  core::ScratchArena heads{4096 - 64};
};

class Exchange {
 public:
  const http::RequestHead& head() const { return head_; }
  std::string_view body() const { return body_; }
  uint64_t started_ns() const { return started_ns_; }
  ServerContext& server() const;
  // The client's IP address as text ("192.0.2.7", "::1"), looked up once per connection;
  // empty when the socket has none.
  std::string_view peer_address() const;

  // Writes the status line and headers. `headers` is raw "Name: value\r\n" lines.
  // Framing: content_length >= 0 sets Content-Length; -1 means chunked when the body
  // is to be relayed already chunk-framed (`chunked_passthrough`), or close-delimited.
  void send_head(int status, std::string_view headers, int64_t content_length,
                 bool chunked_passthrough = false);
  // Body bytes, sent as they are (already framed for chunked pass-through).
  void send_body(core::Slice bytes);
  // A whole response in one call.
  void respond(int status, std::string_view content_type, std::string body,
               std::string_view extra_headers = {});
  // The response is complete. `reusable` false closes the connection afterwards.
  void finish(bool reusable = true);

  void set_observer(ExchangeObserver* o) { observer_ = o; }
  size_t client_backlog() const;
  bool head_sent() const { return head_sent_; }
  // The connection came in on an admin listener (operational routes only).
  bool on_admin_listener() const { return admin_listener_; }
  // Closes the client connection at once (a response cut mid-way).
  void abort();

 private:
  friend class HttpConnection;
  HttpConnection* conn_ = nullptr;
  http::RequestHead head_;
  std::string_view body_;
  uint64_t started_ns_ = 0;
  ExchangeObserver* observer_ = nullptr;
  bool head_sent_ = false;
  bool close_delimited_ = false;
  bool admin_listener_ = false;
};

class HttpConnection final : public StreamHandler, public core::TimerTarget {
 public:
  // `tls`: the listener's TLS settings, or null for plain HTTP. `admin`: the listener
  // serves the operational routes only (admin.listen).
  static void accept(ServerContext& ctx, int fd, const tls::TlsServerContext* tls = nullptr,
                     bool admin = false);

  void on_data(Stream& s, core::Slice data) override;
  void on_peer_closed(Stream& s, int err) override;
  void on_drained(Stream& s) override;
  void on_timer(int tag) override;

  // Drain: close now if idle; otherwise close after the current exchange.
  void drain();
  void shutdown();

 private:
  friend class Exchange;
  enum class State : uint8_t { head, body, exchange, closed };
  explicit HttpConnection(ServerContext& ctx);
  ~HttpConnection();
  void process();
  bool step();
  void dispatch(std::string_view source, size_t head_end, std::string_view body, size_t end);
  bool admit_body(const http::RequestHead& head, size_t arrived);
  bool check_head();
  bool hold_body(uint64_t bytes);
  void release_body();
  void fail(http::RequestError e);
  void fail_status(int status, std::string_view reason,
                   std::string_view error_class = "bad_request",
                   std::string_view extra_headers = {});
  void fail_busy(std::string_view reason);
  void exchange_done(bool reusable);
  void abort_exchange();

  ServerContext& ctx_;
  Stream* stream_ = nullptr;
  State state_ = State::head;
  std::string buf_;       // received bytes not yet consumed
  std::string pending_;   // bytes that arrived during an exchange (pipelined)
  std::string body_buf_;  // de-chunked body
  http::ChunkedDecoder chunked_;
  size_t chunk_pos_ = 0;  // bytes of buf_ the chunked decoder has consumed
  size_t consumed_ = 0;   // bytes of buf_ used by the current request
  bool continue_sent_ = false;
  bool keep_alive_ = true;
  bool processing_ = false;     // re-entrancy guard: finish() inside on_request()
  bool got_bytes_ = false;      // any byte of the current request head has arrived
  bool served_ = false;         // at least one exchange finished on this connection
  uint64_t idle_since_ns_ = 0;  // accepted, or last exchange finished
  std::string peer_;            // the client's address, once asked for (Exchange::peer_address)
  bool body_admitted_ = false;  // the current request's head passed admit_body()
  uint64_t body_held_ = 0;      // this request's share of ctx_.buffered_body_bytes
  Exchange ex_;
  core::Timer timer_;
  HttpConnection* prev_ = nullptr;  // intrusive list of the shard's connections
  HttpConnection* next_ = nullptr;
  friend class ConnectionList;
};

// The shard's open connections, for draining.
class ConnectionList {
 public:
  static void add(HttpConnection* c);
  static void remove(HttpConnection* c);
  // Drains every connection of this thread's shard.
  static void drain_all();
  // Closes every connection of this thread's shard at once (end of the drain deadline).
  static void close_all();
  // Closes up to `count` connections that wait idle for their next request, oldest
  // first (out of descriptors: each one closed lets a new client in). Returns how many.
  // Spared: a connection whose answer is still going out, and one never served that was
  // accepted under a second ago (its request may be in the socket, not yet read).
  static size_t shed_idle(size_t count);
};

}  // namespace sluice::net
