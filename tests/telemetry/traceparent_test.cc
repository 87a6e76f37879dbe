// W3C traceparent parsing: what is accepted, and every way a header is refused.
#include "sluice/telemetry/traceparent.h"

#include <gtest/gtest.h>

namespace sluice::telemetry {
namespace {

constexpr const char* kValid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

std::string hex(const uint8_t* b, size_t n) {
  std::string s;
  append_hex(s, b, n);
  return s;
}

TEST(TraceParent, ReadsTheFourFields) {
  TraceParent tp;
  ASSERT_TRUE(parse_traceparent(kValid, tp));
  EXPECT_EQ(hex(tp.trace_id.data(), 16), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(hex(tp.parent_id.data(), 8), "b7ad6b7169203331");
  EXPECT_EQ(tp.flags, 1);
}

TEST(TraceParent, AllowsSurroundingWhitespace) {
  TraceParent tp;
  EXPECT_TRUE(parse_traceparent(std::string(" \t") + kValid + " ", tp));
}

TEST(TraceParent, LaterVersionsMayCarryMoreFields) {
  TraceParent tp;
  EXPECT_TRUE(
      parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what", tp));
  EXPECT_TRUE(parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", tp));
  EXPECT_FALSE(parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x", tp));
}

TEST(TraceParent, RefusesMalformedHeaders) {
  const char* bad[] = {
      "",
      "garbage",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",  // v00 is exactly 55
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",        // version ff
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",        // uppercase
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",        // zero trace id
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",        // zero parent id
      "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",        // separator
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",        // flags not hex
      "0-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",         // short version
      "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",         // short trace id
  };
  for (const char* h : bad) {
    TraceParent tp;
    tp.flags = 7;
    EXPECT_FALSE(parse_traceparent(h, tp)) << h;
    EXPECT_EQ(tp.flags, 7) << "left untouched: " << h;
  }
}

}  // namespace
}  // namespace sluice::telemetry
