// The vectorised searches agree with the obvious scalar answer at every length, offset
// and alignment, including matches that end on the buffer's last byte, on the AVX2 code
// and on the SSE2 code that CPUs without AVX2 run.

#include "sluice/scan/byte_search.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace sluice::scan {
namespace {

const char* naive_line_end(const char* p, const char* end) {
  while (p < end && *p != '\r' && *p != '\n') ++p;
  return p;
}

// The first offset at or after `from` where a needle starts (the first listed wins).
NeedleHit naive_first_of(const std::string& s, const std::vector<std::string>& needles,
                         size_t from) {
  for (size_t i = from; i < s.size(); ++i) {
    for (size_t j = 0; j < needles.size(); ++j) {
      if (s.compare(i, needles[j].size(), needles[j]) == 0 && i + needles[j].size() <= s.size()) {
        return {i, j};
      }
    }
  }
  return {};
}

// A buffer with exactly `n` bytes, so ASan sees any read past its end.
std::unique_ptr<char[]> exact_copy(const std::string& s) {
  std::unique_ptr<char[]> buf(new char[s.size()]);
  std::copy(s.begin(), s.end(), buf.get());
  return buf;
}

class ByteSearch : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { prefer_sse2_for_testing(GetParam()); }
  void TearDown() override { prefer_sse2_for_testing(false); }
};

TEST_P(ByteSearch, FindLineEndFindsCrOrLfAtEveryPosition) {
  for (size_t len = 0; len < 160; ++len) {
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

TEST_P(ByteSearch, FindLineEndMatchesScalarOnRandomText) {
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

TEST_P(ByteSearch, FindBytesMatchesStdSearchOnRandomText) {
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

TEST_P(ByteSearch, FindFirstOfMatchesScalarForSeveralNeedles) {
  std::mt19937 rng(13);
  const std::vector<std::string> needles = {"\"text\"", "\"usageMetadata\"", "\"te\"", "xy"};
  constexpr Needles kNeedles{"\"text\"", "\"usageMetadata\"", "\"te\"", "xy"};
  for (int round = 0; round < 5000; ++round) {
    std::string s(rng() % 250, 'a');
    for (char& c : s) c = "\"texuMaxy"[rng() % 9];
    for (int k = rng() % 3; k > 0 && !s.empty(); --k) {
      const std::string& n = needles[rng() % needles.size()];
      if (s.size() >= n.size()) s.replace(rng() % (s.size() - n.size() + 1), n.size(), n);
    }
    auto buf = exact_copy(s);
    const size_t from = s.empty() ? 0 : rng() % s.size();
    const NeedleHit want = naive_first_of(s, needles, from);
    const NeedleHit got = find_first_of(std::string_view(buf.get(), s.size()), kNeedles, from);
    ASSERT_EQ(got.pos, want.pos) << s << " from " << from;
    if (want.pos != std::string_view::npos) {
      EXPECT_EQ(got.index, want.index);
    }
  }
}

TEST_P(ByteSearch, FindAllOfReportsEveryMatchInOrder) {
  constexpr Needles kKeys{"\"delta\"", "\"usage\""};
  std::string s;
  std::vector<size_t> want;
  for (int i = 0; i < 20; ++i) {
    s += std::string(static_cast<size_t>(i * 7 % 45), 'q');
    want.push_back(s.size());
    s += i % 3 == 0 ? "\"usage\"" : "\"delta\"";
  }
  auto buf = exact_copy(s);
  NeedleHit hits[32];
  const NeedleHits found = find_all_of(std::string_view(buf.get(), s.size()), kKeys, hits, 32);
  ASSERT_EQ(found.count, want.size());
  EXPECT_EQ(found.resume, std::string_view::npos);
  for (size_t k = 0; k < want.size(); ++k) {
    EXPECT_EQ(hits[k].pos, want[k]);
    EXPECT_EQ(hits[k].index, k % 3 == 0 ? 1u : 0u);
  }
}

TEST_P(ByteSearch, FindAllOfSaysWhereToResumeWhenFull) {
  constexpr Needles kKey{"ab"};
  const std::string s = "ab..ab..ab..ab";
  NeedleHit hits[2];
  const NeedleHits found = find_all_of(s, kKey, hits, 2);
  EXPECT_EQ(found.count, 2u);
  EXPECT_EQ(found.resume, 8u);
}

TEST_P(ByteSearch, FindBytesFindsANeedleEndingOnTheLastByte) {
  for (size_t len = 7; len < 120; ++len) {
    std::string s(len - 7, 'u');
    s += "\"usage\"";
    auto buf = exact_copy(s);
    EXPECT_EQ(find_bytes(std::string_view(buf.get(), len), "\"usage\""), len - 7);
  }
}

TEST_P(ByteSearch, FindBytesWithNeedleLongerThanHaystackFindsNothing) {
  EXPECT_EQ(find_bytes("abc", "abcd"), std::string_view::npos);
}

TEST_P(ByteSearch, EmptyNeedleIsFoundAtTheStart) { EXPECT_EQ(find_bytes("abc", ""), 0u); }

TEST(Needles, LeavesOutNeedlesItCannotSearch) {
  // One byte, and a zero byte, are left out; past four needles the rest are.
  constexpr Needles kNeedles{"x",     "ok",     std::string_view("a\0b", 3), "fine", "five",
                             "sixth", "seventh"};
  ASSERT_EQ(kNeedles.count(), 4u);
  EXPECT_EQ(kNeedles[0], "ok");
  EXPECT_EQ(kNeedles[3], "sixth");
}

INSTANTIATE_TEST_SUITE_P(Isa, ByteSearch, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Sse2" : "Best";
                         });

}  // namespace
}  // namespace sluice::scan
