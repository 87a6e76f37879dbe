#include "sluice/core/json_string.h"

#include <gtest/gtest.h>

namespace sluice::core {
namespace {

std::string json(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonString, PlainTextIsQuoted) { EXPECT_EQ(json("gpt-4o"), R"("gpt-4o")"); }

TEST(JsonString, QuoteAndBackslashEscaped) { EXPECT_EQ(json(R"(a"b\c)"), R"("a\"b\\c")"); }

TEST(JsonString, ControlCharactersEscaped) {
  EXPECT_EQ(json("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(json(std::string("\x00\x1f", 2)), R"("\u0000\u001f")");
}

TEST(JsonString, DeleteAndSlashKept) { EXPECT_EQ(json("/\x7f"), "\"/\x7f\""); }

TEST(JsonString, WellFormedUtf8Kept) {
  EXPECT_EQ(json("é€𝄞"), "\"é€𝄞\"");
  EXPECT_EQ(json("\xF4\x8F\xBF\xBF"), "\"\xF4\x8F\xBF\xBF\"");  // U+10FFFF
}

TEST(JsonString, StrayContinuationByteReplaced) { EXPECT_EQ(json("a\x80z"), "\"a\xEF\xBF\xBDz\""); }

TEST(JsonString, OverlongFormReplaced) {
  EXPECT_EQ(json("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(json("\xE0\x80\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonString, SurrogateReplaced) {
  EXPECT_EQ(json("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonString, TruncatedSequenceReplaced) {
  EXPECT_EQ(json("\xE2\x82"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST(JsonString, BeyondUnicodeReplaced) {
  EXPECT_EQ(json("\xF4\x90\x80\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

}  // namespace
}  // namespace sluice::core

namespace sluice::core {
namespace {

TEST(JsonString, CharsAreTheStringWithoutQuotes) {
  std::string out = "[";
  append_json_chars(out, "a\"\xff\n");
  out += "]";
  EXPECT_EQ(out, "[a\\\"\xEF\xBF\xBD\\n]");
}

// Plain runs are tested eight bytes at a time: a byte that needs care at any offset of a
// word, with the words around it plain, is still escaped or checked.
TEST(JsonString, EscapesAtEveryOffsetOfALongRun) {
  struct Case {
    std::string_view in;
    std::string_view out;
  };
  for (Case c : {Case{"\"", "\\\""}, Case{"\\", "\\\\"}, Case{"\n", "\\n"}, Case{"\x01", "\\u0001"},
                 Case{"\xc3\xa9", "\xc3\xa9"}, Case{"\x80", "\xEF\xBF\xBD"}}) {
    for (size_t lead = 0; lead < 20; ++lead) {
      const std::string before(lead, 'a');
      const std::string after(19 - lead, 'b');
      EXPECT_EQ(json(before + std::string(c.in) + after),
                "\"" + before + std::string(c.out) + after + "\"")
          << lead;
    }
  }
}

// The reading side: the run of plain bytes ends at the first quote, backslash or control
// character wherever it is (word scan, byte tail), or at the end; any other byte, high
// ones included, is part of it. Held to a byte-by-byte count.
TEST(JsonString, PlainRunEndsAtTheFirstByteThatNeedsALook) {
  auto slow = [](std::string_view s) {
    size_t n = 0;
    while (n < s.size() && static_cast<unsigned char>(s[n]) >= 0x20 && s[n] != '"' && s[n] != '\\')
      ++n;
    return n;
  };
  for (char stop : {'"', '\\', '\n', '\0', '\x1f'}) {
    for (size_t len = 0; len <= 20; ++len) {
      for (size_t at = 0; at <= len; ++at) {
        std::string s(len, '\xe9');
        if (at < len) s[at] = stop;
        if (at + 1 < len) s[at + 1] = '"';  // a later stop never hides the first
        EXPECT_EQ(plain_string_run(s.data(), s.data() + s.size()), slow(s)) << len << " " << at;
      }
    }
  }
  const std::string plain = "abcdefghijklmnop ~\x7f\x80\xff";
  EXPECT_EQ(plain_string_run(plain.data(), plain.data() + plain.size()), plain.size());
}

}  // namespace
}  // namespace sluice::core
