// A usage object is read by the project's scanner when it can and by the parser when it
// cannot; either way the verdict (an object or not) and every count must be the parser's.
// Held here to rapidjson on real usage objects, every cut of them, and edge cases.

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "scan_test_support.h"
#include "sluice/scan/usage_extractor.h"

namespace sluice::scan {
namespace {

constexpr ResponseApi kApis[] = {ResponseApi::openai_chat, ResponseApi::openai_responses,
                                 ResponseApi::anthropic, ResponseApi::gemini};

// The usage objects of the recorded provider answers (../shared/fixtures), whole.
const std::vector<std::string>& provider_objects() {
  static const std::vector<std::string> objects = {
      R"({"prompt_tokens":19,"completion_tokens":10,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})",
      R"({"input_tokens":36,"input_tokens_details":{"cached_tokens":0},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123})",
      R"({"input_tokens":21,"cache_creation_input_tokens":188086,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":393,"service_tier":"standard"})",
      R"({
    "promptTokenCount": 8,
    "candidatesTokenCount": 11,
    "totalTokenCount": 301,
    "promptTokensDetails": [ { "modality": "TEXT", "tokenCount": 8 } ],
    "thoughtsTokenCount": 282,
    "cachedContentTokenCount": 4
  })",
  };
  return objects;
}

void expect_as_parsed(std::string_view text) {
  for (ResponseApi api : kApis) {
    UsageExtractor scanned(api);
    UsageExtractor parsed(api);
    const bool parsed_ok = parsed.on_usage_object_parsed(text);
    EXPECT_EQ(scanned.on_usage_object(text), parsed_ok) << to_text(api) << ": " << text;
    EXPECT_EQ(scanned.usage(), parsed.usage()) << to_text(api) << ": " << text;
  }
}

TEST(UsageObject, ProviderObjectsReadAsParsed) {
  for (const std::string& object : provider_objects()) {
    expect_as_parsed(object);
    UsageExtractor x(ResponseApi::openai_chat);
    ASSERT_TRUE(x.on_usage_object(object));
  }
  UsageExtractor anthropic(ResponseApi::anthropic);
  ASSERT_TRUE(anthropic.on_usage_object(provider_objects()[2]));
  EXPECT_EQ(anthropic.usage().input_tokens, 21u + 188086u);
  EXPECT_EQ(anthropic.usage().cache_creation_tokens, 188086u);
  EXPECT_EQ(anthropic.usage().output_tokens, 393u);
  UsageExtractor gemini(ResponseApi::gemini);
  ASSERT_TRUE(gemini.on_usage_object(provider_objects()[3]));
  EXPECT_EQ(gemini.usage().output_tokens, 11u + 282u);
  EXPECT_EQ(gemini.usage().cached_tokens, 4u);
}

TEST(UsageObject, EveryCutOfAProviderObjectIsRefusedAsTheParserRefusesIt) {
  for (const std::string& object : provider_objects()) {
    for (size_t n = 0; n < object.size(); ++n)
      expect_as_parsed(std::string_view(object).substr(0, n));
  }
}

TEST(UsageObject, EdgeCasesReadAsParsed) {
  using namespace std::literals;
  for (std::string_view text : std::initializer_list<std::string_view>{
           // Shapes.
           R"({})",
           R"(  { }  )",
           "\t{\"prompt_tokens\":\r\n3}\n",
           R"([])",
           R"("x")",
           R"(3)",
           R"(null)",
           "",
           " ",
           R"({"prompt_tokens":1} x)",
           R"({"prompt_tokens":1}})",
           R"({"prompt_tokens":1,})",
           R"({,"prompt_tokens":1})",
           R"({"prompt_tokens" 1})",
           R"({prompt_tokens:1})",
           R"({'prompt_tokens':1})",
           R"({"prompt_tokens":1 "x":2})",
           // The first of duplicate keys counts.
           R"({"prompt_tokens":1,"prompt_tokens":2})",
           R"({"input_tokens":"7","input_tokens":8})",
           // Numbers.
           R"({"prompt_tokens":-5,"completion_tokens":-0})",
           R"({"prompt_tokens":0})",
           R"({"prompt_tokens":01})",
           R"({"prompt_tokens":-})",
           R"({"prompt_tokens":+1})",
           R"({"prompt_tokens":.5})",
           R"({"prompt_tokens":2.9,"completion_tokens":1e3})",
           R"({"prompt_tokens":1E2,"completion_tokens":5e-1})",
           R"({"prompt_tokens":1e400})",
           R"({"prompt_tokens":9999999999999999999})",   // 19 digits
           R"({"prompt_tokens":18446744073709551615})",  // 2^64 - 1
           R"({"prompt_tokens":18446744073709551616})",  // 2^64
           R"({"prompt_tokens":-999999999999999999})",   // 18 digits
           R"({"prompt_tokens":-9223372036854775809})",  // below -2^63
           R"({"prompt_tokens":123456789012345678901234567890})",
           R"({"prompt_tokens":1.})",
           R"({"prompt_tokens":1e})",
           R"({"prompt_tokens":NaN})",
           R"({"prompt_tokens":Infinity})",
           // Literals and strings.
           R"({"prompt_tokens":true,"completion_tokens":null,"x":false})",
           R"({"prompt_tokens":tru})",
           R"({"prompt_tokens":nul})",
           R"({"x":"a\"b","prompt_tokens":4})",
           R"({"\u0070rompt_tokens":4})",
           R"({"x":"\q","prompt_tokens":4})",
           R"({"x":"\u12"})",
           "{\"x\":\"a\x01b\",\"prompt_tokens\":4}",
           "{\"x\":\"\xc3\xa9\xff\",\"prompt_tokens\":4}",
           "{\"prompt_tokens\":4}\0"sv,
           "{\"pro\0mpt_tokens\":4}"sv,
           "{\"x\":\"\0\"}"sv,
           // Nesting.
           R"({"prompt_tokens_details":{"cached_tokens":3},"prompt_tokens":9})",
           R"({"prompt_tokens_details":[{"cached_tokens":3}],"prompt_tokens":9})",
           R"({"prompt_tokens_details":{"cached_tokens":{"x":1}},"prompt_tokens":9})",
           R"({"x":[1,[2,[3,{"y":[]}]]],"prompt_tokens":9})",
           R"({"x":[1,2,],"prompt_tokens":9})",
           R"({"x":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":1}}}}}}}}},"prompt_tokens":9})",
           R"({"x":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]],"prompt_tokens":9})",
       }) {
    expect_as_parsed(text);
  }
}

TEST(UsageObject, LargeAndTrickyObjectsReadAsParsed) {
  // More members than the scanner's table holds, and more objects: the parser's.
  std::string many = "{";
  for (int i = 0; i < 70; ++i) many += "\"m" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  expect_as_parsed(many + "\"prompt_tokens\":3}");
  std::string objects = "{\"x\":[";
  for (int i = 0; i < 100; ++i) objects += "{},";
  expect_as_parsed(objects + "{}],\"prompt_tokens\":3}");
  for (
      std::string_view text : std::initializer_list<std::string_view>{
          // A nested object's member is not the root's, and the other way round.
          R"({"a":{"prompt_tokens":5},"prompt_tokens":2})",
          R"({"prompt_tokens_details":{"cached_tokens":4},"cached_tokens":9})",
          R"({"prompt_tokens_details":1,"prompt_tokens_details":{"cached_tokens":3}})",
          R"({"prompt_tokens_details":{"cached_tokens":3},"prompt_tokens_details":{"cached_tokens":7}})",
          // Strings longer than a word, with the character that ends the scan here and there.
          R"({"abcdefghijklmnopq":1,"prompt_tokens":2})",
          "{\"abcdefgh\x1fijklmnop\":1,\"prompt_tokens\":2}",
          R"({"abcdefgh\ijklmnop":1,"prompt_tokens":2})",
          R"({"abcdefg\"hijklmnop":1,"prompt_tokens":2})",
          "{\"x\":\"abcdefghijklmnop\x7f\xff\",\"completion_tokens\":2}",
      }) {
    expect_as_parsed(text);
  }
}

}  // namespace
}  // namespace sluice::scan
