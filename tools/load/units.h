#pragma once
// Human formatting of the figures sluice-load prints.

#include <cstdint>
#include <string>

namespace sluice::load {

// 850 -> "850us", 1234 -> "1.23ms", 12345678 -> "12.35s".
std::string format_us(double us);
// 1536 -> "1.50 KiB".
std::string format_bytes(double bytes);
// 12345.6 -> "12346", 12.345 -> "12.35": a rate with sensible digits.
std::string format_rate(double per_s);

}  // namespace sluice::load
