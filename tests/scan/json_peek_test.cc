// The cheap JSON looks the extractors use before deciding to parse.

#include "sluice/scan/json_peek.h"

#include <gtest/gtest.h>

namespace sluice::scan {
namespace {

TEST(JsonPeek, FindValueReturnsTheOffsetOfTheValue) {
  const std::string_view text = R"({"a":1, "usage" : {"x":2}})";
  EXPECT_EQ(json::find_value(text, "\"usage\""), text.find("{\"x\""));
}

TEST(JsonPeek, FindValueIgnoresAKeyLikeStringThatIsAValue) {
  EXPECT_EQ(json::find_value(R"({"a":"usage","b":2})", "\"usage\""), json::npos);
}

TEST(JsonPeek, FindValueIgnoresEscapedQuotes) {
  // The text of a delta that mentions "usage": {...}.
  EXPECT_EQ(json::find_value(R"({"content":"\"usage\": {\"x\":1}"})", "\"usage\""), json::npos);
}

TEST(JsonPeek, FindObjectValueSkipsNullValues) {
  const std::string_view text = R"({"choices":[{"usage":null}],"usage":{"prompt_tokens":1}})";
  EXPECT_EQ(json::find_object_value(text, "\"usage\""), text.find("{\"prompt"));
}

TEST(JsonPeek, ContainerLengthRespectsBracesInStrings) {
  const std::string_view text = R"(x{"a":"}{","b":[1,{}]}tail)";
  EXPECT_EQ(json::container_length(text, 1), text.size() - 5);
}

TEST(JsonPeek, ContainerLengthOfAnUnfinishedObjectIsZero) {
  EXPECT_EQ(json::container_length(R"({"a":{"b":1})", 0), 0u);
}

TEST(JsonPeek, StringCharsCountsEscapesAndUtf8SequencesOnce) {
  // a, \n, \u00e9, é (2 bytes), \" and b: six characters.
  const std::string_view text = "\"a\\n\\u00e9\xc3\xa9\\\"b\",";
  size_t end = 0;
  EXPECT_EQ(json::string_chars(text, 0, &end), 6u);
  EXPECT_EQ(end, text.size() - 1);
}

TEST(JsonPeek, StringCharsOfAnUnterminatedStringStopsAtTheEnd) {
  size_t end = 0;
  EXPECT_EQ(json::string_chars("\"abc\\", 0, &end), 4u);
  EXPECT_EQ(end, 5u);
}

TEST(JsonPeek, CountStringsOfCountsChosenKeysAtAnyDepth) {
  const std::string_view text =
      R"({"content":"ab","role":"assistant","tool_calls":[{"function":{"arguments":"{\"x\""}}]} rest)";
  size_t end = 0;
  EXPECT_EQ(json::count_strings_of(text, 0, {"content", "arguments"}, &end), 2u + 4u);
  EXPECT_EQ(text.substr(end), " rest");
}

TEST(JsonPeek, TrailingStringReadsTheLastMemberBackwards) {
  const std::string_view text = R"({"delta":{"type":"text_delta","text":"a\"b"}   })";
  const json::TrailingString last = json::trailing_string(text);
  EXPECT_EQ(last.key, "\"text\"");
  EXPECT_EQ(last.value, text.find("\"a\\"));
  EXPECT_EQ(last.chars, 3u);
}

TEST(JsonPeek, TrailingStringIsNoneWhenTheObjectEndsOtherwise) {
  EXPECT_EQ(json::trailing_string(R"({"a":"x","b":1})").value, json::npos);
  EXPECT_EQ(json::trailing_string(R"(["x"])").value, json::npos);
  EXPECT_EQ(json::trailing_string(R"("x"})").value, json::npos);
}

TEST(JsonPeek, ObjectStartsWithKeyAllowsWhitespace) {
  EXPECT_TRUE(json::object_starts_with_key(" {\n  \"error\": {}}", "\"error\""));
  EXPECT_FALSE(json::object_starts_with_key(R"({"id":1,"error":{}})", "\"error\""));
  EXPECT_FALSE(json::object_starts_with_key("[DONE]", "\"error\""));
}

TEST(JsonPeek, ObjectMembersListsTopLevelMembersInOrder) {
  const std::string_view text = " {\"id\":\"a}\\\"b\", \"n\" : -1.5e3,\"c\":[{\"x\":1}],\"u\":{\"t\":true},\"z\":null}\n";
  json::Member m[8];
  ASSERT_EQ(json::object_members(text, m, 8), 5u);
  EXPECT_EQ(m[0].key, "\"id\"");
  EXPECT_EQ(m[0].value, "\"a}\\\"b\"");
  EXPECT_EQ(m[1].key, "\"n\"");
  EXPECT_EQ(m[1].value, "-1.5e3");
  EXPECT_EQ(m[2].value, "[{\"x\":1}]");
  EXPECT_EQ(m[3].key, "\"u\"");
  EXPECT_EQ(m[3].value, "{\"t\":true}");
  EXPECT_EQ(m[4].value, "null");
}

TEST(JsonPeek, ObjectMembersOfAnEmptyObjectIsZero) {
  json::Member m[1];
  EXPECT_EQ(json::object_members(" { } ", m, 1), 0u);
}

TEST(JsonPeek, ObjectMembersRefusesWhatIsNotOneWholeObject) {
  json::Member m[4];
  for (std::string_view text : {
           R"({"a":1,"b":{"c":2})",         // cut off inside a member
           R"({"a":1,"b":"x)",              // cut off inside a string
           R"({"a":"x\"})",                // the quote is escaped: still open
           R"({"a":1} {"b":2})",            // something after it
           R"({"a":1,})",                   // a member missing
           R"({"a" 1})",                    // no ':'
           R"({"a":1 "b":2})",              // no ','
           R"({a:1})",                      // a key that is not a string
           R"({"a":})",                     // no value
           R"([{"a":1}])",                  // an array
           "",
           "null",
       }) {
    EXPECT_EQ(json::object_members(text, m, 4), json::kNotAnObject) << text;
  }
}

TEST(JsonPeek, ObjectMembersRefusesMoreMembersThanRoom) {
  json::Member m[2];
  EXPECT_EQ(json::object_members(R"({"a":1,"b":2})", m, 2), 2u);
  EXPECT_EQ(json::object_members(R"({"a":1,"b":2,"c":3})", m, 2), json::kNotAnObject);
}

}  // namespace
}  // namespace sluice::scan
