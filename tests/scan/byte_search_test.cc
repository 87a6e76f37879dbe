// The vectorised searches agree with the obvious scalar answer at every length, offset
// and alignment, including matches that end on the buffer's last byte.

#include "sluice/scan/byte_search.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

namespace sluice::scan {
namespace {

const char* naive_line_end(const char* p, const char* end) {
  while (p < end && *p != '\r' && *p != '\n') ++p;
  return p;
}

// A buffer with exactly `n` bytes, so ASan sees any read past its end.
std::unique_ptr<char[]> exact_copy(const std::string& s) {
  std::unique_ptr<char[]> buf(new char[s.size()]);
  std::copy(s.begin(), s.end(), buf.get());
  return buf;
}

TEST(ByteSearch, FindLineEndFindsCrOrLfAtEveryPosition) {
  for (size_t len = 0; len < 100; ++len) {
    for (size_t at = 0; at <= len; ++at) {
      for (char eol : {'\r', '\n'}) {
        std::string s(len, 'x');
        if (at < len) s[at] = eol;
        auto buf = exact_copy(s);
        EXPECT_EQ(find_line_end(buf.get(), buf.get() + len), buf.get() + at)
            << "len " << len << " at " << at;
      }
    }
  }
}

TEST(ByteSearch, FindLineEndMatchesScalarOnRandomText) {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string s(rng() % 300, 'a');
    for (char& c : s) c = "abc\r\n{}\""[rng() % 8 == 0 ? 3 + rng() % 2 : rng() % 8];
    auto buf = exact_copy(s);
    const size_t from = s.empty() ? 0 : rng() % s.size();
    EXPECT_EQ(find_line_end(buf.get() + from, buf.get() + s.size()),
              naive_line_end(buf.get() + from, buf.get() + s.size()));
  }
}

TEST(ByteSearch, FindBytesMatchesStdSearchOnRandomText) {
  std::mt19937 rng(11);
  const std::string needles[] = {"\"usage\"", "\"delta\"", "ab", "a\"b", "\"usageMetadata\"", "x"};
  for (int round = 0; round < 5000; ++round) {
    std::string s(rng() % 200, 'a');
    for (char& c : s) c = "\"usagedltMb"[rng() % 11];
    const std::string& needle = needles[rng() % 6];
    if (rng() % 2 == 0 && s.size() >= needle.size()) {
      s.replace(rng() % (s.size() - needle.size() + 1), needle.size(), needle);
    }
    auto buf = exact_copy(s);
    EXPECT_EQ(find_bytes(std::string_view(buf.get(), s.size()), needle), s.find(needle))
        << "needle " << needle << " in " << s;
  }
}

TEST(ByteSearch, FindBytesFindsANeedleEndingOnTheLastByte) {
  for (size_t len = 7; len < 90; ++len) {
    std::string s(len - 7, 'u');
    s += "\"usage\"";
    auto buf = exact_copy(s);
    EXPECT_EQ(find_bytes(std::string_view(buf.get(), len), "\"usage\""), len - 7);
  }
}

TEST(ByteSearch, FindBytesWithNeedleLongerThanHaystackFindsNothing) {
  EXPECT_EQ(find_bytes("abc", "abcd"), std::string_view::npos);
}

TEST(ByteSearch, EmptyNeedleIsFoundAtTheStart) { EXPECT_EQ(find_bytes("abc", ""), 0u); }

}  // namespace
}  // namespace sluice::scan
