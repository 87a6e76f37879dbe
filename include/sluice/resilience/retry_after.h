#pragma once
// How long a provider asks us to wait: `retry-after` (delta-seconds or an HTTP-date,
// RFC 9110 10.2.3) and the `retry-after-ms` extension OpenAI and Anthropic send.
// Values come from the network: anything malformed is "no hint", never an error.

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::resilience {

// `retry-after`: delta-seconds ("120"; a fraction such as "1.5" is accepted, as some
// servers send one) or an HTTP-date in any of the three forms RFC 9110 5.6.7 requires
// a recipient to accept (IMF-fixdate, RFC 850, asctime). Returns milliseconds from
// `now_unix_ms`, 0 for a date in the past.
std::optional<uint64_t> parse_retry_after(std::string_view value, int64_t now_unix_ms);

// `retry-after-ms`: a non-negative number of milliseconds (fractions accepted).
std::optional<uint64_t> parse_retry_after_ms(std::string_view value);

// An HTTP-date as Unix seconds.
std::optional<int64_t> parse_http_date(std::string_view value);

// The wait a response asks for: retry-after-ms wins over retry-after (it is the more
// precise of the two when a server sends both).
std::optional<uint64_t> wait_hint_ms(std::string_view retry_after, std::string_view retry_after_ms,
                                     int64_t now_unix_ms);

}  // namespace sluice::resilience
