#include "sluice/scan/byte_search.h"

#include <cstdint>
#include <cstring>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace sluice::scan {
namespace {

constexpr size_t npos = std::string_view::npos;

const char* find_line_end_scalar(const char* p, const char* end) {
  for (; p < end; ++p) {
    if (*p == '\n' || *p == '\r') return p;
  }
  return end;
}

// Short needles: a byte loop beats a call to memcmp.
bool same_bytes(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// The needle that occurs at `pos` (the first listed), or npos.
[[gnu::always_inline]] inline size_t needle_at(std::string_view hay, const Needles& needles,
                                               size_t pos) {
  for (size_t j = 0; j < needles.count(); ++j) {
    const std::string_view n = needles[j];
    if (hay[pos] == n[0] && pos + n.size() <= hay.size() &&
        same_bytes(hay.data() + pos + 1, n.data() + 1, n.size() - 1)) {
      return j;
    }
  }
  return npos;
}

// What a search does with each match: returns true to stop.
struct FirstHit {
  NeedleHit hit;
  bool operator()(size_t pos, size_t index) {
    hit = {pos, index};
    return true;
  }
};

struct AllHits {
  NeedleHit* out;
  size_t max;
  size_t count = 0;
  size_t resume = npos;
  bool operator()(size_t pos, size_t index) {
    if (count == max) {
      resume = pos;
      return true;
    }
    out[count++] = {pos, index};
    return false;
  }
};

#if defined(__x86_64__)

unsigned ctz(uint32_t mask) { return static_cast<unsigned>(__builtin_ctz(mask)); }

bool detect_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}

// Read once at start-up. A search made by another static initializer before this one
// runs sees false and takes the SSE2 path, which gives the same answers.
bool has_avx2 = detect_avx2();

const char* find_line_end_sse2(const char* p, const char* end) {
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const uint32_t mask = static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf))));
    if (mask != 0) return p + ctz(mask);
    p += 16;
  }
  return find_line_end_scalar(p, end);
}

__attribute__((target("avx2"))) const char* find_line_end_avx2(const char* p, const char* end) {
  const __m256i cr = _mm256_set1_epi8('\r');
  const __m256i lf = _mm256_set1_epi8('\n');
  // Data lines are hundreds of bytes: 64 at a time, one test per 64.
  while (end - p >= 64) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    const __m256i hv = _mm256_or_si256(_mm256_cmpeq_epi8(v, cr), _mm256_cmpeq_epi8(v, lf));
    const __m256i hw = _mm256_or_si256(_mm256_cmpeq_epi8(w, cr), _mm256_cmpeq_epi8(w, lf));
    if (!_mm256_testz_si256(_mm256_or_si256(hv, hw), _mm256_or_si256(hv, hw))) {
      const uint32_t low = static_cast<uint32_t>(_mm256_movemask_epi8(hv));
      if (low != 0) return p + ctz(low);
      return p + 32 + ctz(static_cast<uint32_t>(_mm256_movemask_epi8(hw)));
    }
    p += 64;
  }
  while (end - p >= 32) {
    const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const uint32_t mask = static_cast<uint32_t>(
        _mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(v, cr), _mm256_cmpeq_epi8(v, lf))));
    if (mask != 0) return p + ctz(mask);
    p += 32;
  }
  return find_line_end_sse2(p, end);
}

// The needle search ("generic SIMD" substring search): for a window of W candidate
// starts, compare each needle's two anchor bytes against broadcasts, AND, OR over the
// needles, then confirm the few candidates left with a byte compare. N, the number of
// needles, is a template argument and the needles are folded over, so the broadcasts stay
// in registers. Whole windows run over the haystack in place; the last partial window is
// copied into zeroed room first (no needle holds a zero byte, so none matches into it).

constexpr size_t kMaxWidth = 32;
constexpr size_t kPadding = kMaxWidth + 64;  // a window and the longest needle
constexpr size_t kRoomBytes = 2 * kPadding;

template <class Sink>
[[gnu::always_inline]] inline bool report(std::string_view hay, const Needles& needles, size_t at,
                                          size_t base, uint32_t mask, Sink& sink) {
  while (mask != 0) {
    const size_t pos = at + ctz(mask);
    const size_t j = needle_at(hay, needles, pos);
    if (j != npos && sink(base + pos, j)) return true;
    mask &= mask - 1;
  }
  return false;
}

// Each width is written out: a shared template would need the AVX2 target on code that
// is not AVX2 (GCC refuses to inline across targets).

// Candidate bits of the window at `at` for needle J.
#define SLUICE_SSE2_CANDIDATES(J)                                                             \
  _mm_and_si128(                                                                              \
      _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at + first[J])), a[J]), \
      _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at + second[J])), b[J]))

template <class Sink, size_t... J>
void search_sse2(std::string_view hay, const Needles& needles, size_t i, Sink& sink,
                 std::index_sequence<J...> /*needles*/) {
  constexpr size_t kWidth = 16;
  const size_t first[] = {needles.first_anchor(J)...};
  const size_t second[] = {needles.second_anchor(J)...};
  const __m128i a[] = {_mm_set1_epi8(needles[J][needles.first_anchor(J)])...};
  const __m128i b[] = {_mm_set1_epi8(needles[J][needles.second_anchor(J)])...};
  const size_t span = kWidth + needles.max_size() - 1;  // bytes one window reads
  for (; i + span <= hay.size(); i += kWidth) {
    const char* at = hay.data() + i;
    __m128i m = _mm_setzero_si128();
    ((m = _mm_or_si128(m, SLUICE_SSE2_CANDIDATES(J))), ...);
    if (report(hay, needles, i, 0, static_cast<uint32_t>(_mm_movemask_epi8(m)), sink)) return;
  }
  if (i >= hay.size()) return;
  char room[kRoomBytes];
  const size_t rest = hay.size() - i;
  std::memcpy(room, hay.data() + i, rest);
  for (size_t z = 0; z < kPadding; z += kWidth) {  // stores, not memset's rep stos
    _mm_storeu_si128(reinterpret_cast<__m128i*>(room + rest + z), _mm_setzero_si128());
  }
  const std::string_view padded(room, rest + span - 1);
  for (size_t w = 0; w < rest; w += kWidth) {
    const char* at = room + w;
    __m128i m = _mm_setzero_si128();
    ((m = _mm_or_si128(m, SLUICE_SSE2_CANDIDATES(J))), ...);
    if (report(padded, needles, w, i, static_cast<uint32_t>(_mm_movemask_epi8(m)), sink)) return;
  }
}

#define SLUICE_AVX2_CANDIDATES(J)                                                             \
  _mm256_and_si256(                                                                           \
      _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + first[J])),  \
                        a[J]),                                                                \
      _mm256_cmpeq_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at + second[J])), \
                        b[J]))

template <class Sink, size_t... J>
__attribute__((target("avx2"))) void search_avx2(std::string_view hay, const Needles& needles,
                                                 size_t i, Sink& sink,
                                                 std::index_sequence<J...> /*needles*/) {
  constexpr size_t kWidth = 32;
  const size_t first[] = {needles.first_anchor(J)...};
  const size_t second[] = {needles.second_anchor(J)...};
  const __m256i a[] = {_mm256_set1_epi8(needles[J][needles.first_anchor(J)])...};
  const __m256i b[] = {_mm256_set1_epi8(needles[J][needles.second_anchor(J)])...};
  const size_t span = kWidth + needles.max_size() - 1;
  for (; i + span <= hay.size(); i += kWidth) {
    const char* at = hay.data() + i;
    __m256i m = _mm256_setzero_si256();
    ((m = _mm256_or_si256(m, SLUICE_AVX2_CANDIDATES(J))), ...);
    if (report(hay, needles, i, 0, static_cast<uint32_t>(_mm256_movemask_epi8(m)), sink)) return;
  }
  if (i >= hay.size()) return;
  char room[kRoomBytes];
  const size_t rest = hay.size() - i;
  std::memcpy(room, hay.data() + i, rest);
  for (size_t z = 0; z < kPadding; z += kWidth) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(room + rest + z), _mm256_setzero_si256());
  }
  const std::string_view padded(room, rest + span - 1);
  for (size_t w = 0; w < rest; w += kWidth) {
    const char* at = room + w;
    __m256i m = _mm256_setzero_si256();
    ((m = _mm256_or_si256(m, SLUICE_AVX2_CANDIDATES(J))), ...);
    if (report(padded, needles, w, i, static_cast<uint32_t>(_mm256_movemask_epi8(m)), sink)) {
      return;
    }
  }
}

#undef SLUICE_SSE2_CANDIDATES
#undef SLUICE_AVX2_CANDIDATES

template <size_t N, class Sink>
void search_n(std::string_view hay, const Needles& needles, size_t from, Sink& sink) {
  if (has_avx2) return search_avx2(hay, needles, from, sink, std::make_index_sequence<N>());
  search_sse2(hay, needles, from, sink, std::make_index_sequence<N>());
}

#else  // not x86-64

template <size_t N, class Sink>
void search_n(std::string_view hay, const Needles& needles, size_t i, Sink& sink) {
  for (; i + needles.min_size() <= hay.size(); ++i) {
    const size_t j = needle_at(hay, needles, i);
    if (j != npos && sink(i, j)) return;
  }
}

#endif

template <class Sink>
void search(std::string_view hay, const Needles& needles, size_t from, Sink& sink) {
  if (from >= hay.size()) return;
  switch (needles.count()) {
    case 1:
      return search_n<1>(hay, needles, from, sink);
    case 2:
      return search_n<2>(hay, needles, from, sink);
    case 3:
      return search_n<3>(hay, needles, from, sink);
    case 4:
      return search_n<4>(hay, needles, from, sink);
    default:
      return;
  }
}

}  // namespace

void prefer_sse2_for_testing(bool on) {
#if defined(__x86_64__)
  has_avx2 = !on && detect_avx2();
#else
  (void)on;
#endif
}

const char* find_line_end(const char* begin, const char* end) {
#if defined(__x86_64__)
  if (has_avx2) return find_line_end_avx2(begin, end);
  return find_line_end_sse2(begin, end);
#else
  return find_line_end_scalar(begin, end);
#endif
}

NeedleHit find_first_of(std::string_view haystack, const Needles& needles, size_t from) {
  FirstHit first;
  search(haystack, needles, from, first);
  return first.hit;
}

NeedleHits find_all_of(std::string_view haystack, const Needles& needles, NeedleHit* out,
                       size_t max, size_t from) {
  AllHits all{out, max};
  search(haystack, needles, from, all);
  return {all.count, all.resume};
}

size_t find_bytes(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return 0;
  if (needle.size() > haystack.size()) return npos;
  if (needle.size() == 1 || needle.size() > 64) return haystack.find(needle);
  return find_first_of(haystack, Needles{needle}).pos;
}

}  // namespace sluice::scan
