#pragma once
// Character classes of RFC 9110/9112/3986 as lookup tables, and the vector scan that
// finds the end of a field value. Internal to src/http.

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sluice::http::detail {

struct CharTable {
  bool member[256] = {};
  constexpr bool operator[](char c) const { return member[static_cast<unsigned char>(c)]; }
};

constexpr bool is_alpha(unsigned c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
constexpr bool is_digit(unsigned c) { return c >= '0' && c <= '9'; }

constexpr CharTable make_table(bool (*pred)(unsigned)) {
  CharTable t;
  for (unsigned c = 0; c < 256; ++c) t.member[c] = pred(c);
  return t;
}

constexpr bool in_set(unsigned c, const char* set) {
  for (; *set != '\0'; ++set) {
    if (c == static_cast<unsigned char>(*set)) return true;
  }
  return false;
}

// tchar (RFC 9110 5.6.2): the characters of methods, field names and codings.
inline constexpr CharTable kTchar = make_table(
    [](unsigned c) { return is_alpha(c) || is_digit(c) || in_set(c, "!#$%&'*+-.^_`|~"); });

// Characters of a request-target (RFC 3986 unreserved, gen-delims, sub-delims, '%').
// '#' is left out on purpose: a fragment is never part of a request-target, and a
// proxy that forwarded it would disagree with the origin about the path.
inline constexpr CharTable kTargetChar = make_table(
    [](unsigned c) { return is_alpha(c) || is_digit(c) || in_set(c, "-._~:/?[]@!$&'()*+,;=%"); });

// Characters of a Host field value: uri-host [":" port], IP-literals included.
inline constexpr CharTable kHostChar = make_table(
    [](unsigned c) { return is_alpha(c) || is_digit(c) || in_set(c, "-._~!$&'()*+,;=%:[]"); });

constexpr bool is_ows(char c) { return c == ' ' || c == '\t'; }

// CTL (RFC 5234): 0x00-0x1F and DEL. In a field value only HTAB of these is allowed,
// and CR only as the first half of the line's CRLF.
constexpr bool is_ctl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F;
}

// First CTL in [p, end), or end. Field values are the bulk of a head, so this runs
// 16 bytes at a time where SSE2 exists (all of x86-64).
inline const char* find_ctl(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i below_space = _mm_set1_epi8(0x1F);
  const __m128i del = _mm_set1_epi8(0x7F);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    // Unsigned v <= 0x1F  <=>  min(v, 0x1F) == v. Bytes >= 0x80 (obs-text) pass.
    const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, below_space), v);
    const int mask = _mm_movemask_epi8(_mm_or_si128(low, _mm_cmpeq_epi8(v, del)));
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && !is_ctl(*p)) ++p;
  return p;
}

}  // namespace sluice::http::detail
