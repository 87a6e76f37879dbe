#include "mock_handler.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "sluice/core/clock.h"
#include "sluice/route/json_string.h"

namespace sluice::mock {
namespace {

bool header_ms(std::string_view v, uint64_t& out) {
  double ms = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
  if (ec != std::errc() || end != v.data() + v.size() || !std::isfinite(ms) || ms < 0 || ms > 3.6e6)
    return false;
  out = static_cast<uint64_t>(std::llround(ms * 1e6));
  return true;
}

bool header_count(std::string_view v, uint64_t max, uint64_t& out) {
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && end == v.data() + v.size() && out <= max;
}

const WireFormat& format_of(Api api) {
  switch (api) {
    case Api::openai_completions:
      return openai_completions_format();
    case Api::openai_responses:
      return openai_responses_format();
    case Api::openai_embeddings:
      return openai_embeddings_format();
    case Api::anthropic_messages:
      return anthropic_messages_format();
    case Api::gemini_generate:
    case Api::gemini_stream:
      return gemini_generate_format();
    default:
      return openai_chat_format();
  }
}

std::string_view id_prefix(Api api) {
  switch (api) {
    case Api::openai_chat:
      return "chatcmpl-";
    case Api::openai_completions:
      return "cmpl-";
    default:
      return {};
  }
}

Reply make_reply(const Route& route, const RequestFacts& facts, const Timing& timing,
                 std::string_view body) {
  Reply r;
  std::string_view model = route.dialect == Dialect::gemini ? route.model : facts.model;
  route::append_json_string(r.model_json, model.empty() ? "mock-model" : model);
  r.created = core::wall_ms() / 1000;
  r.input_tokens = estimate_input_tokens(body);
  r.cached_tokens = timing.cached_tokens < r.input_tokens ? timing.cached_tokens : r.input_tokens;
  r.output_tokens = timing.output_tokens;
  if (facts.max_tokens > 0 && facts.max_tokens < r.output_tokens) {
    r.output_tokens = static_cast<uint32_t>(facts.max_tokens);
    r.truncated = true;
  }
  r.include_usage = facts.include_usage;
  r.json_array = route.json_array;
  if (route.api == Api::openai_chat || route.api == Api::anthropic_messages ||
      route.api == Api::gemini_generate || route.api == Api::gemini_stream) {
    size_t calls = timing.tool_calls >= 0 ? static_cast<size_t>(timing.tool_calls)
                                          : (facts.tool_names.empty() ? 0 : 1);
    for (size_t k = 0; k < calls; ++k)
      r.tool_calls.push_back(facts.tool_names.empty()
                                 ? std::string("get_weather")
                                 : facts.tool_names[k % facts.tool_names.size()]);
    r.thinking = timing.thinking || facts.thinking;
    uint32_t uncached = r.input_tokens - r.cached_tokens;
    r.cache_write_tokens = std::min(timing.cache_write_tokens, uncached);
  }
  if (route.api == Api::openai_embeddings) {
    r.output_tokens = 0;
    r.items = facts.items;
    r.dimensions = facts.dimensions ? facts.dimensions : 16;
    r.base64 = facts.base64;
  }
  return r;
}

}  // namespace

bool read_timing(const http::RequestHead& head, const Defaults& defaults, Timing& out,
                 std::string& error) {
  out.ttft_ns = defaults.ttft_ns;
  out.itl_ns = defaults.itl_ns;
  out.output_tokens = defaults.output_tokens;
  auto fail = [&](std::string_view name, std::string_view value, std::string_view what) {
    error = std::string(name) + ": '" + std::string(value) + "' is not " + std::string(what);
    return false;
  };
  if (std::string_view v = head.header("x-mock-ttft-ms"); !v.empty()) {
    if (!header_ms(v, out.ttft_ns)) return fail("x-mock-ttft-ms", v, "a duration in ms");
  }
  if (std::string_view v = head.header("x-mock-itl-ms"); !v.empty()) {
    if (!header_ms(v, out.itl_ns)) return fail("x-mock-itl-ms", v, "a duration in ms");
  }
  if (std::string_view v = head.header("x-mock-tps"); !v.empty()) {
    uint64_t tps = 0;
    if (!header_count(v, 1'000'000'000, tps) || tps == 0)
      return fail("x-mock-tps", v, "a positive whole number of tokens per second");
    out.itl_ns = 1'000'000'000ull / tps;
  }
  if (std::string_view v = head.header("x-mock-output-tokens"); !v.empty()) {
    uint64_t n = 0;
    if (!header_count(v, kMaxOutputTokens, n) || n == 0)
      return fail("x-mock-output-tokens", v, "a count between 1 and 1000000");
    out.output_tokens = static_cast<uint32_t>(n);
  }
  if (std::string_view v = head.header("x-mock-cached-tokens"); !v.empty()) {
    uint64_t n = 0;
    if (!header_count(v, UINT32_MAX, n)) return fail("x-mock-cached-tokens", v, "a count");
    out.cached_tokens = static_cast<uint32_t>(n);
  }
  if (std::string_view v = head.header("x-mock-cache-write-tokens"); !v.empty()) {
    uint64_t n = 0;
    if (!header_count(v, UINT32_MAX, n)) return fail("x-mock-cache-write-tokens", v, "a count");
    out.cache_write_tokens = static_cast<uint32_t>(n);
  }
  if (std::string_view v = head.header("x-mock-tool-calls"); !v.empty()) {
    uint64_t n = 0;
    if (!header_count(v, 16, n)) return fail("x-mock-tool-calls", v, "a count between 0 and 16");
    out.tool_calls = static_cast<int32_t>(n);
  }
  if (std::string_view v = head.header("x-mock-thinking"); !v.empty()) {
    if (v != "0" && v != "1") return fail("x-mock-thinking", v, "0 or 1");
    out.thinking = v == "1";
  }
  return true;
}

MockHandler::MockHandler(MockShared& shared, unsigned shard)
    : shared_(shared), stats_(shared.stats.shard(shard)), shard_(shard) {}

void MockHandler::on_request(net::Exchange& ex) {
  const http::RequestHead& head = ex.head();
  Route route = route_request(head);
  ShardStats::bump(stats_.requests[static_cast<size_t>(route.api)]);
  if (route.api == Api::unknown) {
    std::string msg = "Unknown request URL: ";
    msg += head.method;
    msg += ' ';
    msg += head.path;
    return respond_error(ex, route.dialect, 404, msg);
  }
  if (head.method != route.method) {
    std::string msg = "This endpoint takes ";
    msg += route.method;
    msg += " requests.";
    return respond_error(ex, route.dialect, 405, msg);
  }
  switch (route.api) {
    case Api::mock_stats:
      return respond_json(ex, 200, stats_json());
    case Api::openai_models:
    case Api::anthropic_models:
    case Api::gemini_models:
    case Api::anthropic_count_tokens:
    case Api::gemini_count_tokens:
      return answer_listing(ex, route);
    default:
      return generate(ex, route);
  }
}

// Answers that generate nothing and are never limited: model lists and token counts.
void MockHandler::answer_listing(net::Exchange& ex, const Route& route) {
  uint64_t created = core::wall_ms() / 1000;
  switch (route.api) {
    case Api::openai_models:
      return respond_json(
          ex, 200,
          route.model.empty() ? openai_model_list(created) : openai_model(route.model, created));
    case Api::anthropic_models:
      return respond_json(ex, 200, anthropic_model_list());
    case Api::gemini_models:
      return respond_json(ex, 200,
                          route.model.empty() ? gemini_model_list() : gemini_model(route.model));
    case Api::anthropic_count_tokens: {
      std::string body = "{\"input_tokens\":";
      append_uint(body, estimate_input_tokens(ex.body()));
      body += '}';
      return respond_json(ex, 200, std::move(body));
    }
    default: {
      uint32_t n = estimate_input_tokens(ex.body());
      std::string body = "{\"totalTokens\":";
      append_uint(body, n);
      body += ",\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":";
      append_uint(body, n);
      body += "}]}";
      return respond_json(ex, 200, std::move(body));
    }
  }
}

void MockHandler::generate(net::Exchange& ex, const Route& route) {
  const http::RequestHead& head = ex.head();
  RequestFacts facts;
  Timing timing;
  FaultSpec fault;
  std::string error;
  if (!read_request(route.api, ex.body(), facts, error) ||
      !read_timing(head, shared_.options.defaults, timing, error) ||
      !choose_fault(head, fault, error))
    return respond_error(ex, route.dialect, 400, error);

  ResponsePlan plan;
  plan.format = &format_of(route.api);
  plan.reply = make_reply(route, facts, timing, ex.body());
  std::string base_id = next_id();
  plan.reply.id = id_prefix(route.api);
  plan.reply.id += base_id;
  std::string request_id = "req_" + base_id;
  if (route.dialect == Dialect::openai) {
    plan.headers = "x-request-id: " + request_id + "\r\n";
  } else if (route.dialect == Dialect::anthropic) {
    plan.headers = "request-id: " + request_id + "\r\n";
  }

  if (shared_.limits.enabled()) {
    uint64_t cost = uint64_t{plan.reply.input_tokens} + plan.reply.output_tokens;
    LimitDecision d = shared_.limits.admit(ex.server().io.loop.now_ns(), cost);
    append_limit_headers(plan.headers, route.dialect, d, core::wall_ms() / 1000);
    if (!d.admitted) {
      ShardStats::bump(stats_.rate_limited);
      std::string_view model = route.dialect == Dialect::gemini ? route.model : facts.model;
      ErrorReply e = limit_error(route.dialect, d, model, request_id);
      plan.headers += e.headers;
      return respond_json(ex, 429, std::move(e.body), plan.headers);
    }
  }
  if (fault.kind != FaultSpec::Kind::none) {
    ShardStats::bump(stats_.faults[static_cast<size_t>(fault.kind)]);
    if (fault.kind == FaultSpec::Kind::status || fault.kind == FaultSpec::Kind::hang ||
        fault.kind == FaultSpec::Kind::refuse)
      return inject(ex, route, fault, request_id, plan.headers);
    plan.fault = fault.kind;
    plan.fault_after = fault.after_events;
    plan.drip_ms = fault.drip_ms;
  }

  plan.stream =
      route.api == Api::gemini_stream || (facts.stream && route.api != Api::openai_embeddings);
  plan.ttft_ns = timing.ttft_ns;
  plan.itl_ns = route.api == Api::openai_embeddings ? 0 : timing.itl_ns;
  if (plan.immediate()) {
    std::string body = plan.format->body(plan.reply);
    return respond_json(ex, 200, std::move(body), plan.headers);
  }
  MockStream::start(ex, std::move(plan), stats_);
}

// Faults that replace the answer: an error status, silence, or a closed connection.
void MockHandler::inject(net::Exchange& ex, const Route& route, const FaultSpec& fault,
                         std::string_view request_id, std::string& headers) {
  switch (fault.kind) {
    case FaultSpec::Kind::hang:
      // No observer, no timer: the exchange stays open until the client leaves.
      return;
    case FaultSpec::Kind::refuse:
      return ex.abort();
    default:
      break;
  }
  ErrorReply e = route.dialect == Dialect::gemini
                     ? gemini_error(fault.status, fault.code, {}, fault.retry_after_s)
                     : error_reply(route.dialect, fault.status, fault.code, {}, request_id);
  if (fault.should_retry >= 0) {
    // Replaces the dialect's own x-should-retry (Anthropic sends one on every error).
    if (size_t at = e.headers.find("x-should-retry:"); at != std::string::npos)
      e.headers.erase(at, e.headers.find("\r\n", at) + 2 - at);
    e.headers += fault.should_retry ? "x-should-retry: true\r\n" : "x-should-retry: false\r\n";
  }
  headers += e.headers;
  if (fault.retry_after_s >= 0) {
    headers += "retry-after: ";
    append_uint(headers, static_cast<uint64_t>(fault.retry_after_s));
    headers += "\r\n";
  }
  if (fault.retry_after_ms >= 0) {
    headers += "retry-after-ms: ";
    append_uint(headers, static_cast<uint64_t>(fault.retry_after_ms));
    headers += "\r\n";
  }
  respond_json(ex, fault.status, std::move(e.body), headers);
}

bool MockHandler::choose_fault(const http::RequestHead& head, FaultSpec& out, std::string& error) {
  if (std::string_view key = head.header("x-mock-fault-key"); !key.empty()) {
    uint64_t n = shared_.fault_keys.next(key);
    if (std::string_view times = head.header("x-mock-fault-times"); !times.empty()) {
      uint64_t limit = 0;
      auto [end, ec] = std::from_chars(times.data(), times.data() + times.size(), limit);
      if (ec != std::errc() || end != times.data() + times.size()) {
        error = "x-mock-fault-times: expected a count";
        return false;
      }
      if (n > limit) return true;  // past the first N of this key: no fault
    }
  }
  if (std::string_view h = head.header("x-mock-fault"); !h.empty()) {
    if (parse_fault(h, out, error)) return true;
    error = "x-mock-fault: " + error;
    return false;
  }
  const Defaults& d = shared_.options.defaults;
  if (!d.fault_schedule.empty()) {
    uint64_t seq = shared_.schedule_sequence.fetch_add(1, std::memory_order_relaxed) + 1;
    if (const FaultSpec* s = scheduled_fault(d.fault_schedule, seq)) {
      out = *s;
      return true;
    }
  }
  if (d.fault.kind == FaultSpec::Kind::none) return true;
  // Only runs with --fault pay for the shared counter.
  if (d.fault_rate >= 1.0 ||
      fault_applies(shared_.fault_sequence.fetch_add(1, std::memory_order_relaxed), d.fault_rate))
    out = d.fault;
  return true;
}

// The shards' counters, and the per-key request counts.
std::string MockHandler::stats_json() const {
  std::string out = shared_.stats.json();
  out.pop_back();  // the closing brace
  out += ",\"fault_keys\":";
  out += shared_.fault_keys.json();
  out += '}';
  return out;
}

void MockHandler::respond_json(net::Exchange& ex, int status, std::string body,
                               std::string_view headers) {
  stats_.count_status(status);
  ex.respond(status, "application/json", std::move(body), headers);
}

void MockHandler::respond_error(net::Exchange& ex, Dialect d, int status,
                                std::string_view message) {
  ErrorReply e = error_reply(d, status, {}, message);
  respond_json(ex, status, std::move(e.body), e.headers);
}

std::string MockHandler::next_id() {
  // "mock<shard>-<hex sequence>": unique in the process without shared state.
  std::string id = "mock";
  append_uint(id, shard_);
  id += '-';
  char hex[16];
  char* end = std::to_chars(hex, hex + sizeof hex, ++sequence_, 16).ptr;
  id.append(hex, end);
  return id;
}

}  // namespace sluice::mock
