#pragma once
// The mock's account limits (--rpm, --tpm): what a provider enforces per organization,
// per process here. Each limit is a GCRA bucket — one atomic "theoretical arrival time"
// — so the shards share it without a lock: a bucket of N per minute admits a burst of N
// and refills continuously at N per minute.

#include <atomic>
#include <cstdint>
#include <string>

#include "wire_format.h"

namespace sluice::mock {

struct BucketState {
  uint64_t limit = 0;
  uint64_t remaining = 0;
  uint64_t reset_ns = 0;        // until the bucket is full again
  uint64_t retry_after_ns = 0;  // when refused: until this request would fit
};

class MinuteBucket {
 public:
  explicit MinuteBucket(uint64_t per_minute);
  bool enabled() const { return limit_ > 0; }
  // Takes `cost` units at `now_ns` (monotonic) when they fit and `commit` is set;
  // reports the bucket either way. False when they do not fit.
  bool take(uint64_t now_ns, uint64_t cost, bool commit, BucketState& state);
  // Returns units taken by a request that another limit then refused.
  void refund(uint64_t cost);

 private:
  uint64_t limit_;
  double unit_ns_;  // refill time of one unit
  std::atomic<uint64_t> tat_{0};
};

struct LimitDecision {
  bool admitted = true;
  bool by_tokens = false;  // refused by the token limit (else by requests)
  bool has_requests = false;
  bool has_tokens = false;
  uint64_t token_cost = 0;
  BucketState requests;
  BucketState tokens;
};

class AccountLimits {
 public:
  AccountLimits(uint64_t requests_per_minute, uint64_t tokens_per_minute);
  bool enabled() const { return requests_.enabled() || tokens_.enabled(); }
  // One request costing `tokens` (prompt estimate + output).
  LimitDecision admit(uint64_t now_ns, uint64_t tokens);

 private:
  MinuteBucket requests_;
  MinuteBucket tokens_;
};

// Rate-limit headers in the provider's own names. OpenAI: x-ratelimit-{limit,remaining,
// reset}-{requests,tokens}, reset as a duration ("1s", "6m0s", "250ms"). Anthropic:
// anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}, reset as RFC 3339.
// Gemini sends none. On a refusal also `retry-after` (whole seconds, rounded up) and,
// for OpenAI, `retry-after-ms`.
void append_limit_headers(std::string& out, Dialect d, const LimitDecision& l, uint64_t wall_s);

// The error body for a refusal, worded like the provider's.
ErrorReply limit_error(Dialect d, const LimitDecision& l, std::string_view model,
                       std::string_view request_id);

// "250ms", "1s", "17.455s", "6m0s", "1h2m3s": how OpenAI writes its reset durations.
std::string openai_duration(uint64_t ns);
// "2025-01-31T12:00:05Z".
std::string rfc3339(uint64_t unix_s);

}  // namespace sluice::mock
