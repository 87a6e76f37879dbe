#pragma once
// The searches every byte of a relayed stream goes through: the next line end (the SSE
// splitter) and short needles such as `"usage"` (the extractors' pre-checks). They are
// vectorised (AVX2 where the CPU has it, else SSE2) because they run over every byte of
// every streamed response, memchr cannot look for CR and LF at once, and several needles
// are looked for in one pass so that an event is read once, not once per key.

#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace sluice::scan {

// The first CR or LF in [begin, end), or `end` when there is none.
const char* find_line_end(const char* begin, const char* end);

// Up to four needles of 2 to 64 bytes, none holding a zero byte (others are left out),
// looked for together. Build them once (constexpr).
class Needles {
 public:
  static constexpr size_t kMax = 4;

  constexpr Needles(std::initializer_list<std::string_view> needles) {
    for (std::string_view n : needles) {
      if (count_ == kMax || n.size() < 2 || n.size() > 64 || has_zero(n)) continue;
      needle_[count_] = n;
      // Two bytes of each candidate are compared before the whole needle. For a quoted
      // JSON key, the first and last letters (quotes are poor filters: JSON is full of
      // them); else the first and last bytes.
      const bool quoted = n.size() >= 4 && n.front() == '"' && n.back() == '"';
      first_[count_] = quoted ? 1 : 0;
      second_[count_] = quoted ? n.size() - 2 : n.size() - 1;
      max_size_ = n.size() > max_size_ ? n.size() : max_size_;
      min_size_ = (count_ == 0 || n.size() < min_size_) ? n.size() : min_size_;
      ++count_;
    }
  }

  size_t count() const { return count_; }
  std::string_view operator[](size_t i) const { return needle_[i]; }
  size_t first_anchor(size_t i) const { return first_[i]; }
  size_t second_anchor(size_t i) const { return second_[i]; }
  size_t max_size() const { return max_size_; }
  size_t min_size() const { return min_size_; }

 private:
  static constexpr bool has_zero(std::string_view n) {
    for (char c : n) {
      if (c == '\0') return true;
    }
    return false;
  }

  std::string_view needle_[kMax] = {};
  size_t first_[kMax] = {};
  size_t second_[kMax] = {};
  size_t count_ = 0;
  size_t max_size_ = 0;
  size_t min_size_ = 0;
};

struct NeedleHit {
  size_t pos = std::string_view::npos;  // offset of the match, npos when none
  size_t index = 0;                     // which needle (the first listed, if several match there)
};

// The first offset at or after `from` where one of `needles` occurs.
NeedleHit find_first_of(std::string_view haystack, const Needles& needles, size_t from = 0);

struct NeedleHits {
  size_t count = 0;                        // matches written
  size_t resume = std::string_view::npos;  // where to go on when `out` filled up, else npos
};

// Every occurrence at or after `from` of one of `needles` (one per offset), in order, into
// `out`, in a single pass.
NeedleHits find_all_of(std::string_view haystack, const Needles& needles, NeedleHit* out,
                       size_t max, size_t from = 0);

// The offset of the first occurrence of `needle` in `haystack`, or npos. An empty needle
// is found at 0.
size_t find_bytes(std::string_view haystack, std::string_view needle);

// Tests: run the SSE2 code even where the CPU has AVX2, as CPUs without it do. Not
// thread-safe; call while no search runs.
void prefer_sse2_for_testing(bool on);

}  // namespace sluice::scan
