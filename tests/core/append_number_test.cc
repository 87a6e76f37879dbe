#include "sluice/core/append_number.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>

namespace sluice::core {
namespace {

TEST(AppendNumber, DecimalAndHexAgreeWithPrintf) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    uint64_t v = rng() >> (rng() % 64);
    char want[40];
    std::snprintf(want, sizeof want, "%llu|%llx", static_cast<unsigned long long>(v),
                  static_cast<unsigned long long>(v));
    std::string got;
    append_uint(got, v);
    got += '|';
    append_hex(got, v);
    ASSERT_EQ(got, want);
  }
  std::string edge;
  append_uint(edge, 0);
  append_hex(edge, 0);
  append_uint(edge, UINT64_MAX);
  EXPECT_EQ(edge, "0018446744073709551615");
}

TEST(AppendNumber, MillisecondsWithThreeDecimals) {
  std::string s;
  append_ms3(s, 0);
  s += ' ';
  append_ms3(s, 1'234'567);  // 1.234567 ms: truncated to the microsecond
  s += ' ';
  append_ms3(s, 12'000'000'000);
  s += ' ';
  append_ms3(s, 5'000);
  EXPECT_EQ(s, "0.000 1.234 12000.000 0.005");
}

TEST(AppendNumber, ThousandthsWithThreeDecimals) {
  std::string s;
  for (uint64_t v : {0, 5, 50, 999, 1000, 1250, 60'001}) {
    append_thousandths(s, v);
    s += ' ';
  }
  EXPECT_EQ(s, "0.000 0.005 0.050 0.999 1.000 1.250 60.001 ");
}

}  // namespace
}  // namespace sluice::core
