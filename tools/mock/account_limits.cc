#include "account_limits.h"

#include <algorithm>
#include <cmath>
#include <ctime>

namespace sluice::mock {
namespace {

constexpr uint64_t kWindowNs = 60'000'000'000ull;

uint64_t ceil_seconds(uint64_t ns) { return (ns + 999'999'999ull) / 1'000'000'000ull; }
uint64_t ceil_ms(uint64_t ns) { return (ns + 999'999ull) / 1'000'000ull; }

void header(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

void header(std::string& out, std::string_view name, uint64_t value) {
  out += name;
  out += ": ";
  append_uint(out, value);
  out += "\r\n";
}

const BucketState& refusing(const LimitDecision& l) { return l.by_tokens ? l.tokens : l.requests; }

}  // namespace

MinuteBucket::MinuteBucket(uint64_t per_minute)
    : limit_(per_minute),
      unit_ns_(per_minute ? static_cast<double>(kWindowNs) / static_cast<double>(per_minute) : 0) {}

bool MinuteBucket::take(uint64_t now_ns, uint64_t cost, bool commit, BucketState& s) {
  s.limit = limit_;
  auto inc = static_cast<uint64_t>(std::llround(static_cast<double>(cost) * unit_ns_));
  uint64_t old = tat_.load(std::memory_order_relaxed);
  for (;;) {
    uint64_t base = std::max(old, now_ns);
    uint64_t next = base + inc;
    bool fits = next - now_ns <= kWindowNs;
    uint64_t after = fits && commit ? next : base;
    // Units that still fit in the window after this request.
    double free_ns = static_cast<double>(kWindowNs) - static_cast<double>(after - now_ns);
    s.remaining = free_ns <= 0 ? 0 : static_cast<uint64_t>(free_ns / unit_ns_ + 1e-9);
    s.reset_ns = after - now_ns;
    s.retry_after_ns = fits ? 0 : next - now_ns - kWindowNs;
    if (!fits || !commit) return fits;
    if (tat_.compare_exchange_weak(old, next, std::memory_order_relaxed)) return true;
  }
}

void MinuteBucket::refund(uint64_t cost) {
  auto inc = static_cast<uint64_t>(std::llround(static_cast<double>(cost) * unit_ns_));
  tat_.fetch_sub(inc, std::memory_order_relaxed);
}

AccountLimits::AccountLimits(uint64_t requests_per_minute, uint64_t tokens_per_minute)
    : requests_(requests_per_minute), tokens_(tokens_per_minute) {}

LimitDecision AccountLimits::admit(uint64_t now_ns, uint64_t tokens) {
  LimitDecision d;
  d.has_requests = requests_.enabled();
  d.has_tokens = tokens_.enabled();
  d.token_cost = tokens;
  bool req_ok = !d.has_requests || requests_.take(now_ns, 1, true, d.requests);
  if (!req_ok) {
    d.admitted = false;
    if (d.has_tokens) tokens_.take(now_ns, tokens, false, d.tokens);
    return d;
  }
  if (d.has_tokens && !tokens_.take(now_ns, tokens, true, d.tokens)) {
    d.admitted = false;
    d.by_tokens = true;
    if (d.has_requests) {
      requests_.refund(1);
      ++d.requests.remaining;
    }
  }
  return d;
}

std::string openai_duration(uint64_t ns) {
  uint64_t ms = ceil_ms(ns);
  std::string out;
  if (ms == 0) return "0s";
  if (ms < 1000) {
    append_uint(out, ms);
    out += "ms";
    return out;
  }
  uint64_t h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
  if (h) {
    append_uint(out, h);
    out += 'h';
  }
  if (h || m) {
    append_uint(out, m);
    out += 'm';
  }
  append_uint(out, s);
  if (frac) {
    char digits[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                      static_cast<char>('0' + frac % 10), 0};
    std::string_view f(digits, 3);
    while (!f.empty() && f.back() == '0') f.remove_suffix(1);
    out += '.';
    out += f;
  }
  out += 's';
  return out;
}

std::string rfc3339(uint64_t unix_s) {
  time_t t = static_cast<time_t>(unix_s);
  tm parts{};
  gmtime_r(&t, &parts);
  char buf[32];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return std::string(buf, n);
}

void append_limit_headers(std::string& out, Dialect d, const LimitDecision& l, uint64_t wall_s) {
  if (d == Dialect::gemini) return;
  struct Named {
    bool on;
    const BucketState& s;
    std::string_view kind;
  };
  const Named buckets[] = {{l.has_requests, l.requests, "requests"},
                           {l.has_tokens, l.tokens, "tokens"}};
  for (const Named& b : buckets) {
    if (!b.on) continue;
    std::string name;
    if (d == Dialect::openai) {
      name = "x-ratelimit-limit-" + std::string(b.kind);
      header(out, name, b.s.limit);
      name = "x-ratelimit-remaining-" + std::string(b.kind);
      header(out, name, b.s.remaining);
      name = "x-ratelimit-reset-" + std::string(b.kind);
      header(out, name, openai_duration(b.s.reset_ns));
    } else {
      std::string prefix = "anthropic-ratelimit-" + std::string(b.kind);
      header(out, prefix + "-limit", b.s.limit);
      header(out, prefix + "-remaining", b.s.remaining);
      header(out, prefix + "-reset", rfc3339(wall_s + ceil_seconds(b.s.reset_ns)));
    }
  }
  if (!l.admitted) {
    uint64_t wait = refusing(l).retry_after_ns;
    header(out, "retry-after", std::max<uint64_t>(1, ceil_seconds(wait)));
    if (d == Dialect::openai) header(out, "retry-after-ms", std::max<uint64_t>(1, ceil_ms(wait)));
  }
}

ErrorReply limit_error(Dialect d, const LimitDecision& l, std::string_view model,
                       std::string_view request_id) {
  const BucketState& s = refusing(l);
  std::string wait = openai_duration(s.retry_after_ns);
  std::string unit = l.by_tokens ? "tokens per min (TPM)" : "requests per min (RPM)";
  std::string requested = l.by_tokens ? std::to_string(l.token_cost) : "1";
  switch (d) {
    case Dialect::openai: {
      std::string msg = "Rate limit reached for " + std::string(model) +
                        " in organization org-sluice-mock on " + unit + ": Limit " +
                        std::to_string(s.limit) + ", Used " +
                        std::to_string(s.limit - s.remaining) + ", Requested " + requested +
                        ". Please try again in " + wait +
                        ". Visit https://platform.openai.com/account/rate-limits to learn more.";
      // OpenAI names the exhausted limit in error.type.
      return openai_error(429, "rate_limit_exceeded", msg, l.by_tokens ? "tokens" : "requests");
    }
    case Dialect::anthropic: {
      std::string msg =
          "This request would exceed the rate limit for your organization "
          "(org-sluice-mock) of " +
          std::to_string(s.limit) + " " +
          (l.by_tokens ? "tokens per minute" : "requests per minute") +
          ". For details, refer to: https://docs.claude.com/en/api/rate-limits.";
      return anthropic_error(429, {}, msg, request_id);
    }
    case Dialect::gemini: {
      std::string msg = "You exceeded your current quota (" + std::to_string(s.limit) + " " +
                        (l.by_tokens ? "tokens" : "requests") +
                        " per minute), please check your plan and billing details. Please retry "
                        "in " +
                        wait + ".";
      return gemini_error(429, {}, msg, static_cast<int64_t>(ceil_seconds(s.retry_after_ns)));
    }
  }
  return openai_error(429, "rate_limit_exceeded", {});
}

}  // namespace sluice::mock
