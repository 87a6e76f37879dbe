#include "sluice/scan/byte_search.h"

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sluice::scan {
namespace {

const char* find_line_end_scalar(const char* p, const char* end) {
  for (; p < end; ++p) {
    if (*p == '\n' || *p == '\r') return p;
  }
  return end;
}

// Positions of the two needle bytes compared before a full memcmp. For a quoted JSON key
// the quotes are poor filters (JSON is full of them), so the letters just inside are used.
struct Anchors {
  size_t first;
  size_t second;
};

Anchors pick_anchors(std::string_view needle) {
  const size_t n = needle.size();
  if (n >= 4 && needle.front() == '"' && needle.back() == '"') return {1, n - 2};
  return {0, n - 1};
}

bool matches_at(const char* at, std::string_view needle) {
  return std::memcmp(at, needle.data(), needle.size()) == 0;
}

size_t find_bytes_scalar(std::string_view hay, std::string_view needle, size_t from) {
  const size_t n = needle.size();
  for (size_t i = from; i + n <= hay.size(); ++i) {
    if (hay[i] == needle[0] && matches_at(hay.data() + i, needle)) return i;
  }
  return std::string_view::npos;
}

#if defined(__x86_64__)

unsigned ctz(unsigned mask) { return static_cast<unsigned>(__builtin_ctz(mask)); }

bool cpu_has_avx2() {
  static const bool has = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") != 0;
  }();
  return has;
}

const char* find_line_end_sse2(const char* p, const char* end) {
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf))));
    if (mask != 0) return p + ctz(mask);
    p += 16;
  }
  return find_line_end_scalar(p, end);
}

__attribute__((target("avx2"))) const char* find_line_end_avx2(const char* p, const char* end) {
  const __m256i cr = _mm256_set1_epi8('\r');
  const __m256i lf = _mm256_set1_epi8('\n');
  while (end - p >= 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const unsigned mask = static_cast<unsigned>(
        _mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(v, cr), _mm256_cmpeq_epi8(v, lf))));
    if (mask != 0) return p + ctz(mask);
    p += 32;
  }
  return find_line_end_sse2(p, end);
}

// Candidate starts i..i+15 whose two anchor bytes match, then a full compare (the
// "generic SIMD" substring search: two broadcast compares filter almost every position).
size_t find_bytes_sse2(std::string_view hay, std::string_view needle, size_t i) {
  const Anchors a = pick_anchors(needle);
  const __m128i first = _mm_set1_epi8(needle[a.first]);
  const __m128i second = _mm_set1_epi8(needle[a.second]);
  const char* base = hay.data();
  while (i + a.second + 16 <= hay.size() && i + needle.size() + 15 <= hay.size()) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + i + a.first));
    const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + i + a.second));
    unsigned mask = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(x, first), _mm_cmpeq_epi8(y, second))));
    while (mask != 0) {
      const size_t at = i + ctz(mask);
      if (matches_at(base + at, needle)) return at;
      mask &= mask - 1;
    }
    i += 16;
  }
  return find_bytes_scalar(hay, needle, i);
}

__attribute__((target("avx2"))) size_t find_bytes_avx2(std::string_view hay,
                                                       std::string_view needle) {
  const Anchors a = pick_anchors(needle);
  const __m256i first = _mm256_set1_epi8(needle[a.first]);
  const __m256i second = _mm256_set1_epi8(needle[a.second]);
  const char* base = hay.data();
  size_t i = 0;
  // Every candidate start in the block must leave room for the whole needle, so a full
  // compare never reads past the haystack.
  while (i + a.second + 32 <= hay.size() && i + needle.size() + 31 <= hay.size()) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + i + a.first));
    const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + i + a.second));
    unsigned mask = static_cast<unsigned>(_mm256_movemask_epi8(
        _mm256_and_si256(_mm256_cmpeq_epi8(x, first), _mm256_cmpeq_epi8(y, second))));
    while (mask != 0) {
      const size_t at = i + ctz(mask);
      if (matches_at(base + at, needle)) return at;
      mask &= mask - 1;
    }
    i += 32;
  }
  return find_bytes_sse2(hay, needle, i);
}

#endif  // __x86_64__

}  // namespace

const char* find_line_end(const char* begin, const char* end) {
#if defined(__x86_64__)
  if (cpu_has_avx2()) return find_line_end_avx2(begin, end);
  return find_line_end_sse2(begin, end);
#else
  return find_line_end_scalar(begin, end);
#endif
}

size_t find_bytes(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return 0;
  if (needle.size() > haystack.size()) return std::string_view::npos;
  if (needle.size() == 1) {
    const void* hit = std::memchr(haystack.data(), needle[0], haystack.size());
    if (hit == nullptr) return std::string_view::npos;
    return static_cast<size_t>(static_cast<const char*>(hit) - haystack.data());
  }
#if defined(__x86_64__)
  if (cpu_has_avx2()) return find_bytes_avx2(haystack, needle);
  return find_bytes_sse2(haystack, needle, 0);
#else
  return find_bytes_scalar(haystack, needle, 0);
#endif
}

}  // namespace sluice::scan
