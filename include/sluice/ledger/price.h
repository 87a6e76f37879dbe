#pragma once
// Tokens to nano-USD by a model's price (nano-USD per million tokens), in integers.
//
// Convention for the counts (docs/LEDGER.md "Tokens and cost"): cached_tokens is a subset
// of input_tokens and reasoning_tokens a subset of output_tokens, as OpenAI reports them
// (prompt_tokens includes cached_tokens; completion_tokens includes reasoning_tokens).
// Extractors for providers that count them apart (Anthropic's cache reads, Gemini's
// thoughtsTokenCount) add them in before settlement, so nothing is billed twice here.

#include <cstdint>

#include "sluice/config/config.h"

namespace sluice::ledger {

struct TokenCounts {
  uint64_t input = 0;      // cached included
  uint64_t output = 0;     // reasoning included
  uint64_t cached = 0;     // billed at the cached-input rate
  uint64_t reasoning = 0;  // billed as output (already inside `output`)
};

// Cost in nano-USD; 0 when the price is not set. Cached tokens beyond the input count are
// clamped to it, and an output count below the reasoning count is raised to it, so
// malformed counts neither go negative nor vanish.
//
// Rounding: the exact cost (tokens × rate / 10⁶, computed in 128-bit integers) is rounded
// to the nearest nano-USD, half up, once per request. A ledger row then holds what that
// request cost, and every sum of rows is exact. A cost beyond INT64_MAX is clamped to it.
int64_t cost_nusd(const config::Price& price, const TokenCounts& tokens);

// Any usage-like struct with input_tokens, output_tokens, cached_tokens and
// reasoning_tokens members (a ledger::Record, an extractor's result).
template <class Usage>
requires requires(const Usage& u) {
  u.input_tokens;
  u.output_tokens;
  u.cached_tokens;
  u.reasoning_tokens;
}
int64_t cost_nusd(const config::Price& price, const Usage& usage) {
  return cost_nusd(price, TokenCounts{static_cast<uint64_t>(usage.input_tokens),
                                      static_cast<uint64_t>(usage.output_tokens),
                                      static_cast<uint64_t>(usage.cached_tokens),
                                      static_cast<uint64_t>(usage.reasoning_tokens)});
}

}  // namespace sluice::ledger
