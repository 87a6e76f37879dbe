#pragma once
// One proxied request: sends it upstream on a pooled connection and relays the
// response to the client as bytes arrive. The bytes received from the upstream are the
// bytes sent to the client (same buffers, no copy); only the response head is
// rewritten. A slow client pauses reads from the upstream, so memory per stream stays
// bounded; a client that hangs up closes the upstream connection at once.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/core/recycle.h"
#include "sluice/core/timer.h"
#include "sluice/http/chunked_decoder.h"
#include "sluice/http/content_decoder.h"
#include "sluice/http/response_parser.h"
#include "sluice/net/http_connection.h"
#include "sluice/relay/attempt_loop.h"
#include "sluice/relay/request_info.h"
#include "sluice/route/api_flavor.h"
#include "sluice/route/error_envelope.h"
#include "sluice/scan/usage_scanner.h"
#include "sluice/translate/translate.h"
#include "sluice/upstream/upstream_pool.h"

namespace sluice::relay {

// What a finished exchange looked like, for settlement and logs.
struct ExchangeResult {
  int status = 0;              // what the client got
  uint16_t attempts = 0;       // upstream tries
  uint64_t ttfb_ns = 0;        // upstream first byte, from arrival
  uint64_t first_body_ns = 0;  // first body byte relayed to the client, from arrival; 0: none
  uint64_t bytes_out = 0;      // body bytes relayed to the client
  bool client_gone = false;
  bool cut_off = false;  // upstream failed after the response began
  bool timed_out = false;
};

class ProxyExchange;

// Told when a proxied exchange ends, whatever the end.
class ExchangeSink {
 public:
  virtual void on_exchange_end(ProxyExchange& p, const ExchangeResult& r) = 0;
  // A response head arrived from the upstream (once per attempt): provider feedback.
  virtual void on_upstream_head(ProxyExchange&, const http::ResponseHead&) {}
  // A request that admission answered itself (refused, or its client left the queue):
  // no exchange ran, so on_exchange_end never comes for it.
  virtual void on_not_dispatched(RequestInfo& /*info*/) {}
  // A request left admission's queue (admitted, refused at its deadline, or its client
  // left) after waiting this long.
  virtual void on_queue_wait(const RequestInfo& /*info*/, uint64_t /*waited_ns*/) {}

 protected:
  ~ExchangeSink() = default;
};

// A request whose client speaks another format than its provider (docs/TRANSLATION.md):
// the provider's answer is rewritten into the client's format on the way back.
struct Translation {
  bool on = false;                                       // false: same format, bytes as sent
  route::ApiFlavor provider = route::ApiFlavor::openai;  // the format the provider answers in
  bool stream = false;                                   // the client asked for a stream
  bool include_usage = false;  // OpenAI client: stream_options.include_usage was true
  bool gemini_sse = true;      // Gemini client stream: ?alt=sse, else the JSON array
  std::string model;           // the alias the client named: the model its answer shows
};

struct UpstreamRequest {
  const upstream::Origin* origin = nullptr;
  std::string bytes;  // full request: head and body
  bool head_method = false;
  config::Timeouts timeouts;
  route::ApiFlavor flavor = route::ApiFlavor::openai;  // for errors sluice writes
  std::string response_headers;  // raw lines added to the client's response head
  RequestInfo info;
  // Usage scanning of 2xx bodies, in the response API's format.
  bool scan = false;
  scan::ResponseApi api = scan::ResponseApi::openai_chat;
  // sluice asked an OpenAI stream for usage the client did not ask for: the usage-only
  // chunk is removed from what the client receives (every other byte unchanged).
  bool hide_usage_chunk = false;
  Translation translation;
  // Resilience (docs/RESILIENCE.md). Without `resilience` there is one try and no
  // breaker; with it, failed tries are retried and then handed to `fallbacks`.
  size_t provider = 0;  // index into the config's providers
  const config::Provider* provider_config = nullptr;
  ShardResilience* resilience = nullptr;
  std::vector<std::string> fallbacks;  // aliases, in order
};

class ProxyExchange final : public net::ExchangeObserver,
                            public upstream::UpstreamUser,
                            public core::TimerTarget {
 public:
  // Starts the exchange; the object deletes itself when it ends.
  static ProxyExchange* start(net::Exchange& ex, upstream::UpstreamPool& pool,
                              UpstreamRequest&& req, ExchangeSink* sink);

  // One per proxied request: a shard reuses the memory of exchanges that ended
  // (core/recycle.h) rather than asking malloc for each.
  static void* operator new(size_t size) { return core::take_block(size); }
  static void operator delete(void* p, size_t size) { core::recycle_block(p, size); }

  void on_client_gone() override;
  void on_client_drained() override;
  void on_upstream_ready(upstream::UpstreamConnection& c, int err) override;
  void on_upstream_data(upstream::UpstreamConnection& c, core::Slice data) override;
  void on_upstream_closed(upstream::UpstreamConnection& c, int err) override;
  void on_timer(int tag) override;

  const RequestInfo& info() const { return req_.info; }
  RequestInfo& info() { return req_.info; }
  // The scan of the response body (null when it was not scanned: errors, no body).
  const scan::UsageScanner* scanner() const { return scanner_ ? &*scanner_ : nullptr; }

 private:
  ProxyExchange(net::Exchange& ex, upstream::UpstreamPool& pool, UpstreamRequest&& req,
                ExchangeSink* sink);
  ~ProxyExchange();
  enum TimerTag { kConnect = 1, kFirstByte = 2, kIdle = 3, kBackoff = 4, kTotal = 5 };
  // Every upstream try starts here: the breaker (and any later per-try admission)
  // decides first, then send_try() goes to the network.
  void attempt();
  void send_try();
  void after_failure(resilience::FailureClass failure, route::ErrorClass error,
                     std::string_view message, std::optional<uint64_t> wait_hint = {},
                     bool should_retry = true);
  bool next_fallback();
  void report_to_breaker(resilience::FailureClass failure);
  void fail_fast_degraded();
  std::string client_head_lines() const;
  void append_client_head_lines(std::string& out) const;
  void start_holding();
  void hold_body(core::Slice data);
  void finish_holding(bool upstream_reusable);
  void relay_held();
  void cut_stream(resilience::FailureClass failure, route::ErrorClass error,
                  std::string_view message);
  bool write_final_error(net::Exchange& ex, route::ErrorClass error, std::string_view message);
  bool relay_head(core::Slice& data);
  void relay_body(core::Slice data);
  bool start_decoding();
  void scan_piece(const core::Slice& data, std::string_view piece);
  void emit_settled(bool all);
  void fail(route::ErrorClass error, std::string_view message);
  // Translation (proxy_translate.cc): the answer of a translated request, rewritten.
  bool translating() const { return req_.translation.on; }
  translate::ResponseContext response_context() const;
  void start_translation(std::string headers);
  void translate_piece(std::string_view plain);
  void finish_translation();
  void finish_scan();
  void scan_untranslated();
  bool fail_translation(net::Exchange& ex, route::ErrorClass error, std::string_view message);
  void send_translated_chunk();
  void complete(bool upstream_reusable);
  void end();
  void arm(uint32_t ms, int tag);

  net::Exchange* ex_;  // null once the client side is finished or gone
  core::EventLoop& loop_;
  upstream::UpstreamPool& pool_;
  UpstreamRequest req_;
  core::Slice request_slice_;  // req_.bytes once first sent (they move here)
  ExchangeSink* sink_;
  upstream::UpstreamConnection* conn_ = nullptr;
  std::string head_buf_;  // a response head that straddles receive buffers
  http::ResponseHead head_;
  bool head_done_ = false;
  http::ChunkedDecoder chunked_;
  uint64_t body_left_ = 0;
  bool retried_ = false;  // the one free retry of a stale pooled connection was used
  bool relayed_ = false;  // the client's response head went out: no more retries
  bool sse_ = false;      // the response being relayed is an event stream
  // Attempt loop state.
  resilience::Breaker* breaker_ = nullptr;  // this try's provider breaker
  bool probe_ = false;                      // this try is the breaker's half-open probe
  uint32_t tries_on_target_ = 0;
  size_t next_fallback_ = 0;
  // An error response held back (not relayed) while it may still be retried.
  bool holding_ = false;
  struct Held {
    int status = 0;
    std::string headers;  // client head lines, as relay_head would send them
    std::string body;     // decoded
    std::string retry_after, retry_after_ms;
    bool should_retry = true;
    bool overflow = false;  // body larger than we hold: relayed as a gateway error
  } error_held_;
  std::optional<scan::UsageScanner> scanner_;  // in place: no allocation per exchange
  // The body's Content-Encoding, decoded for the scanner only (null: identity).
  std::unique_ptr<http::ContentDecoder> decoder_;
  // Hiding the usage-only chunk: the client's body is re-framed in chunks of decoded
  // bytes; pieces wait here until the scanner has settled what they are.
  bool reframe_ = false;
  struct Piece {
    uint64_t offset;  // in the decoded body
    core::Slice bytes;
  };
  // A vector read from held_head_ on (a deque would allocate for every exchange, even
  // those that never hold anything).
  std::vector<Piece> held_;
  size_t held_head_ = 0;
  core::ScratchArena scratch_;  // the re-framed chunks' size lines
  uint64_t decoded_ = 0;
  // A translated 2xx answer: event streams go through `stream_translator_` as they come
  // (the client gets new chunks); a whole body is gathered in `whole_body_`, since its
  // translation has another length, and sent with `whole_headers_` when complete.
  bool translating_body_ = false;
  std::unique_ptr<translate::StreamTranslator> stream_translator_;
  std::string whole_body_;
  std::string whole_headers_;
  std::string translated_;           // what the translator produced for the client, not yet sent
  bool translate_overflow_ = false;  // a whole body too large to hold for translation
  bool ended_ = false;
  ExchangeResult result_;
  core::Timer timer_;        // connect, first byte, idle gap, backoff: one at a time
  core::Timer total_timer_;  // the request's total deadline
};

}  // namespace sluice::relay
