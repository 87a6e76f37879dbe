#pragma once
// Provider rate-limit headers, read so that sluice can pace an account to what the
// provider says is left (docs/LIMITS.md "Provider feedback"), and written in the same
// style on sluice's own answers.
//
//   OpenAI     x-ratelimit-{limit,remaining}-{requests,tokens}: integers
//              x-ratelimit-reset-{requests,tokens}: a Go-style duration, "6m0s", "1s",
//              "17.455s", "250ms" (fixtures/openai_429_rate_limit.http)
//   Anthropic  anthropic-ratelimit-{requests,tokens}-{limit,remaining}: integers
//              anthropic-ratelimit-{requests,tokens}-reset: RFC 3339, "2025-01-31T12:00:05Z"
//   Both       retry-after: seconds; retry-after-ms: milliseconds (on a 429)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::limit {

// A non-negative decimal integer, whitespace around allowed; nullopt otherwise.
std::optional<uint64_t> parse_count(std::string_view s);
// A duration like "6m0s", "1h2m3.5s", "20ms", "1.5s", "0s" (units h, m, s, ms, us, ns;
// fractions allowed), or a bare number of seconds; in nanoseconds.
std::optional<uint64_t> parse_duration_ns(std::string_view s);
// An RFC 3339 date-time ("2025-01-31T12:00:05Z", "...05.123+01:00"), in Unix ms.
std::optional<int64_t> parse_rfc3339_ms(std::string_view s);

// "250ms", "1s", "17.455s", "6m0s": the style of OpenAI's reset headers.
std::string format_duration(uint64_t ns);

// What one response head said about its account.
struct ProviderRate {
  std::optional<uint64_t> limit_requests, remaining_requests, limit_tokens, remaining_tokens;
  std::optional<uint64_t> retry_after_ns;  // on a 429
};

}  // namespace sluice::limit
