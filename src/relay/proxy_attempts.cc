// ProxyExchange's attempt loop (docs/RESILIENCE.md): breaker admission before every
// try, held error responses, retries with backoff, fallbacks, and the honest end of a
// stream that broke after it began. The relay itself is in proxy_exchange.cc.
#include <cstdio>
#include <span>

#include "sluice/core/append_number.h"
#include "sluice/core/clock.h"
#include "sluice/relay/final_error_event.h"
#include "sluice/relay/proxy_exchange.h"
#include "sluice/relay/upstream_request.h"
#include "sluice/resilience/retry_after.h"

namespace sluice::relay {
namespace {
using resilience::FailureClass;

// Error bodies are small; one larger than this is not held for a retry.
constexpr size_t kMaxHeldBody = 64 * 1024;

uint64_t now_ms() { return core::mono_ns() / 1000000ull; }

// Provider response headers the client never sees: hop-by-hop ones, cookies of the
// provider's domain (they would be the gateway's to a browser), and the organization
// and project of the shared account.
bool dropped_response_header(std::string_view name) {
  if (hop_by_hop_header(name)) return true;
  static constexpr std::string_view kDrop[] = {"content-length", "set-cookie", "set-cookie2",
                                               "openai-organization", "openai-project"};
  for (std::string_view d : kDrop)
    if (http::iequals(name, d)) return true;
  return false;
}
}  // namespace

// The one function every upstream try goes through.
void ProxyExchange::attempt() {
  ShardResilience* res = req_.resilience;
  breaker_ = res ? res->breaker(req_.provider) : nullptr;
  probe_ = false;
  if (breaker_) {
    resilience::Breaker::Admission a = breaker_->admit(now_ms());
    if (a == resilience::Breaker::Admission::refused)
      return after_failure(FailureClass::breaker_open, route::ErrorClass::provider_degraded, {});
    probe_ = a == resilience::Breaker::Admission::probe;
  }
  ++tries_on_target_;
  send_try();
}

void ProxyExchange::send_try() {
  ++result_.attempts;
  head_buf_.clear();
  head_ = {};
  head_done_ = false;
  chunked_.reset();
  body_left_ = 0;
  // TCP connect and TLS handshake share one deadline: the sum of both budgets.
  arm(req_.timeouts.connect_ms + (req_.origin->tls ? req_.timeouts.tls_handshake_ms : 0), kConnect);
  conn_ = pool_.acquire(*req_.origin, this);
}

void ProxyExchange::report_to_breaker(FailureClass failure) {
  if (!breaker_ || failure == FailureClass::breaker_open) return;
  // A rate limit or a client error still proves the provider answers.
  if (resilience::policy_of(failure).breaker)
    breaker_->record_failure(now_ms(), probe_);
  else
    breaker_->record_success(probe_);
  probe_ = false;
}

// A try failed before anything reached the client: retry, fall back, or give up.
void ProxyExchange::after_failure(FailureClass failure, route::ErrorClass error,
                                  std::string_view message, std::optional<uint64_t> wait_hint,
                                  bool should_retry) {
  if (conn_) pool_.release(conn_, false);
  conn_ = nullptr;
  timer_.cancel();
  req_.info.error_class = resilience::failure_class_name(failure);
  report_to_breaker(failure);
  NextStep next;
  if (ShardResilience* res = req_.resilience; res && ex_) {
    FailedTry f;
    f.failure = failure;
    f.wait_hint_ms = wait_hint;
    f.should_retry = should_retry;
    f.tries_on_target = tries_on_target_;
    f.fallback_left = res->fallbacks && next_fallback_ < req_.fallbacks.size();
    uint64_t deadline = ex_->started_ns() + uint64_t{req_.timeouts.total_ms} * 1000000ull;
    uint64_t now = core::mono_ns();
    f.ms_left = deadline > now ? (deadline - now) / 1000000ull : 0;
    next = decide_next(f, req_.provider_config->retry, res->budget(req_.provider), res->jitter(),
                       now / 1000000ull);
  }
  if (next.kind == NextStep::Kind::retry) {
    holding_ = false;
    arm(static_cast<uint32_t>(next.delay_ms), kBackoff);
    return;
  }
  if (next.kind == NextStep::Kind::fallback && next_fallback()) {
    holding_ = false;
    return attempt();
  }
  // Give up: the client gets the provider's own answer when one is held, else ours.
  if (holding_ && !error_held_.overflow) return relay_held();
  holding_ = false;
  if (failure == FailureClass::breaker_open) return fail_fast_degraded();
  result_.timed_out = failure == FailureClass::timeout;
  fail(error, message);
}

bool ProxyExchange::next_fallback() {
  FallbackBuilder* builder = req_.resilience->fallbacks;
  while (next_fallback_ < req_.fallbacks.size()) {
    const std::string alias = req_.fallbacks[next_fallback_++];
    if (!builder->build_fallback(alias, *ex_, req_)) continue;
    request_slice_ = {};  // the fallback's own request bytes go next
    tries_on_target_ = 0;
    req_.resilience->budget(req_.provider).on_request(now_ms());
    return true;
  }
  return false;
}

// The breaker is open and nothing else can serve: 503 at once, no network touched.
void ProxyExchange::fail_fast_degraded() {
  resilience::Breaker::Snapshot s = breaker_->snapshot(now_ms());
  uint64_t now = now_ms();
  uint64_t wait_s = s.open_until_ms > now ? (s.open_until_ms - now + 999) / 1000 : 1;
  if (wait_s == 0) wait_s = 1;
  req_.response_headers += "retry-after: ";
  core::append_uint(req_.response_headers, wait_s);
  req_.response_headers += "\r\n";
  fail(route::ErrorClass::provider_degraded,
       degraded_message(req_.resilience->degraded_marker(), req_.info.provider, wait_s));
}

// The head lines the client gets: ours, server-timing, then the upstream's less the
// dropped ones, its x-request-id renamed x-upstream-request-id.
std::string ProxyExchange::client_head_lines() const {
  std::string headers;
  append_client_head_lines(headers);
  return headers;
}

void ProxyExchange::append_client_head_lines(std::string& headers) const {
  headers.reserve(headers.size() + 512 + req_.response_headers.size());
  headers += req_.response_headers;
  headers += "server-timing: gateway;dur=";
  core::append_ms3(headers, req_.info.dispatch_ns - req_.info.arrival_ns);
  headers += ", upstream;dur=";
  core::append_ms3(headers, loop_.now_ns() - req_.info.dispatch_ns);
  headers += "\r\n";
  bool own_ratelimit = req_.response_headers.find("x-ratelimit-") != std::string::npos;
  std::span<const http::Header> upstream(head_.headers, head_.header_count);
  ConnectionOptions hop(upstream);
  for (const http::Header& h : upstream) {
    if (dropped_response_header(h.name) || hop.names(h.name)) continue;
    // A translated answer has sluice's own type and is sent decoded.
    if (translating() &&
        (http::iequals(h.name, "content-type") || http::iequals(h.name, "content-encoding")))
      continue;
    // One x-request-id per answer (sluice's, which the ledger row carries): the
    // provider's goes on under another name.
    if (http::iequals(h.name, "x-request-id")) {
      headers += "x-upstream-request-id: ";
      headers.append(h.value);
      headers += "\r\n";
      continue;
    }
    // sluice's own x-ratelimit-* (the tightest of its limits) replace the provider's.
    if (own_ratelimit && h.name.size() > 12 && http::iequals(h.name.substr(0, 12), "x-ratelimit-"))
      continue;
    headers.append(h.name);
    headers += ": ";
    headers.append(h.value);
    headers += "\r\n";
  }
}

// Copies what the decision needs out of the head (whose views die with the buffer).
void ProxyExchange::start_holding() {
  holding_ = true;
  error_held_ = Held{};
  error_held_.status = head_.status;
  error_held_.headers = client_head_lines();
  error_held_.retry_after = std::string(head_.header("retry-after"));
  error_held_.retry_after_ms = std::string(head_.header("retry-after-ms"));
  error_held_.should_retry = !http::iequals(head_.header("x-should-retry"), "false");
  if (head_.body == http::ResponseBody::content_length) body_left_ = head_.content_length;
  if (head_.body == http::ResponseBody::none ||
      (head_.body == http::ResponseBody::content_length && body_left_ == 0)) {
    finish_holding(head_.keep_alive);
    return;
  }
  arm(req_.timeouts.idle_ms, kIdle);
}

void ProxyExchange::hold_body(core::Slice data) {
  bool done = false;
  bool exact = true;
  std::string_view in = data.view();
  if (head_.body == http::ResponseBody::content_length) {
    size_t take = std::min<uint64_t>(in.size(), body_left_);
    error_held_.body.append(in.substr(0, take));
    body_left_ -= take;
    done = body_left_ == 0;
    exact = take == in.size();
  } else if (head_.body == http::ResponseBody::chunked) {
    size_t pos = 0;
    for (;;) {
      http::ChunkStep st = chunked_.step(in.substr(pos));
      pos += st.consumed;
      if (st.status == http::ChunkStatus::data) {
        error_held_.body.append(st.data);
        continue;
      }
      if (st.status == http::ChunkStatus::error)
        return after_failure(FailureClass::bad_response, route::ErrorClass::upstream_error,
                             "upstream broke the response framing");
      done = st.status == http::ChunkStatus::done;
      exact = pos == in.size();
      break;
    }
  } else {
    error_held_.body.append(in);
  }
  if (error_held_.body.size() > kMaxHeldBody) {
    error_held_.overflow = true;
    return finish_holding(false);
  }
  if (done) return finish_holding(head_.keep_alive && exact);
  arm(req_.timeouts.idle_ms, kIdle);
}

void ProxyExchange::finish_holding(bool upstream_reusable) {
  if (conn_) pool_.release(conn_, upstream_reusable);
  conn_ = nullptr;
  timer_.cancel();
  config::ProviderKind kind =
      req_.provider_config ? req_.provider_config->kind : config::ProviderKind::openai;
  FailureClass failure = resilience::classify_response(kind, error_held_.status, error_held_.body);
  if (failure == FailureClass::none || failure == FailureClass::client_error) {
    report_to_breaker(failure);
    return relay_held();
  }
  std::optional<uint64_t> hint = resilience::wait_hint_ms(
      error_held_.retry_after, error_held_.retry_after_ms, static_cast<int64_t>(core::wall_ms()));
  route::ErrorClass error = failure == FailureClass::timeout ? route::ErrorClass::upstream_timeout
                                                             : route::ErrorClass::upstream_error;
  after_failure(failure, error, "upstream error response too large to relay", hint,
                error_held_.should_retry);
}

// Relays the held error response as the provider sent it (body re-framed by length).
void ProxyExchange::relay_held() {
  holding_ = false;
  relayed_ = true;
  result_.status = error_held_.status;
  net::Exchange* ex = ex_;
  ex_ = nullptr;
  std::string body = std::move(error_held_.body);
  if (translating()) {  // the provider's error in the client's envelope
    translate::ErrorOut e = translate::translate_error(req_.translation.provider, req_.flavor,
                                                       error_held_.status, body);
    result_.status = e.status;
    error_held_.status = e.status;
    error_held_.headers += "content-type: application/json\r\n";
    body = std::move(e.body);
  }
  if (ex) {
    ex->send_head(error_held_.status, error_held_.headers, static_cast<int64_t>(body.size()));
    result_.bytes_out += body.size();
    if (!body.empty()) {
      if (result_.first_body_ns == 0) result_.first_body_ns = loop_.now_ns() - req_.info.arrival_ns;
      ex->send_body(core::Slice::copy_of(body));
    }
  }
  end();
  if (ex) ex->finish(true);
}

// The stream broke after the client's head went out: one final error event in the
// client's stream format where the framing allows it, then a clean end; otherwise the
// connection is cut so the client cannot mistake the answer for a whole one.
void ProxyExchange::cut_stream(FailureClass failure, route::ErrorClass error,
                               std::string_view message) {
  result_.cut_off = true;
  result_.timed_out = failure == FailureClass::timeout;
  req_.info.error_class = resilience::failure_class_name(failure);
  if (breaker_ && resilience::policy_of(failure).breaker) breaker_->record_failure(now_ms(), false);
  if (conn_) pool_.release(conn_, false);  // closes it: the upstream stops at once
  conn_ = nullptr;
  if (scanner_) scanner_->finish();
  net::Exchange* ex = ex_;
  ex_ = nullptr;
  if (ex && translating_body_ && !stream_translator_) {
    // A whole translated body: nothing of it went out yet, so the client gets an error.
    result_.status = route::http_status(error);
    end();
    std::string extra = "x-sluice-error-class: ";
    extra += route::error_class_name(error);
    extra += "\r\n";
    extra += req_.response_headers;
    ex->respond(result_.status, "application/json", route::error_body(req_.flavor, error, message),
                extra);
    return;
  }
  bool clean = ex && write_final_error(*ex, error, message);
  end();
  if (!ex) return;
  if (clean)
    ex->finish(false);
  else
    ex->abort();
}

bool ProxyExchange::write_final_error(net::Exchange& ex, route::ErrorClass error,
                                      std::string_view message) {
  if (stream_translator_) return fail_translation(ex, error, message);
  if (!sse_) return false;
  std::string event = final_error_event(req_.api, error, message);
  bool chunked_out = reframe_ || head_.body == http::ResponseBody::chunked;
  if (reframe_) {
    emit_settled(true);
  } else if (head_.body == http::ResponseBody::chunked) {
    if (!chunked_.at_chunk_boundary()) return false;  // cannot end a half-sent chunk
  } else if (head_.body != http::ResponseBody::until_close) {
    return false;  // a declared length cannot be honoured
  }
  if (chunked_out) {
    std::string size_line;
    core::append_hex(size_line, event.size());
    size_line += "\r\n";
    event.insert(0, size_line);
    event += "\r\n0\r\n\r\n";
  }
  ex.send_body(core::Slice::copy_of(std::move(event)));
  return true;
}

}  // namespace sluice::relay
