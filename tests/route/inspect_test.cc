#include "sluice/route/inspect.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace sluice::route {
namespace {

BodyInfo inspect_ok(std::string_view body) {
  BodyInfo info;
  InspectResult r = inspect_body(body, info);
  EXPECT_TRUE(r.ok()) << r.message;
  return info;
}

InspectResult inspect_err(std::string_view body) {
  BodyInfo info;
  return inspect_body(body, info);
}

TEST(Inspect, ReadsModelAndStream) {
  BodyInfo i = inspect_ok(R"({"model":"gpt-4o","stream":true,"messages":[]})");
  EXPECT_TRUE(i.has_model);
  EXPECT_EQ(i.model, "gpt-4o");
  EXPECT_TRUE(i.stream);
}

TEST(Inspect, StreamDefaultsToFalse) { EXPECT_FALSE(inspect_ok(R"({"model":"m"})").stream); }

TEST(Inspect, MissingModelIsReported) {
  BodyInfo i = inspect_ok(R"({"contents":[]})");
  EXPECT_FALSE(i.has_model);
  EXPECT_TRUE(i.model_value.empty());
}

TEST(Inspect, EscapedModelIsDecoded) {
  BodyInfo i = inspect_ok(R"({"model":"gpt\u002d4o"})");
  EXPECT_EQ(i.model, "gpt-4o");
}

TEST(Inspect, EscapedKeyIsRecognised) {
  EXPECT_EQ(inspect_ok(R"({"mod\u0065l":"gpt-4o"})").model, "gpt-4o");
}

TEST(Inspect, ModelSpanCoversTheStringToken) {
  std::string body = R"({ "model" :  "gpt-4o" , "x":1})";
  BodyInfo i = inspect_ok(body);
  EXPECT_EQ(body.substr(i.model_value.begin, i.model_value.end - i.model_value.begin),
            R"("gpt-4o")");
}

TEST(Inspect, NestedModelKeyIgnored) {
  BodyInfo i = inspect_ok(R"({"metadata":{"model":"x","stream":"no"},"tools":[{"model":1}]})");
  EXPECT_FALSE(i.has_model);
  EXPECT_FALSE(i.stream);
}

TEST(Inspect, MaxTokensRead) {
  BodyInfo i = inspect_ok(R"({"max_tokens":1024})");
  EXPECT_TRUE(i.has_max_output_tokens);
  EXPECT_EQ(i.max_output_tokens, 1024u);
}

TEST(Inspect, MaxCompletionTokensRead) {
  EXPECT_EQ(inspect_ok(R"({"max_completion_tokens":77})").max_output_tokens, 77u);
}

TEST(Inspect, MaxOutputTokensRead) {
  EXPECT_EQ(inspect_ok(R"({"max_output_tokens":500})").max_output_tokens, 500u);
}

TEST(Inspect, GeminiMaxOutputTokensRead) {
  BodyInfo i = inspect_ok(R"({"generationConfig":{"temperature":0.2,"maxOutputTokens":256}})");
  EXPECT_TRUE(i.has_max_output_tokens);
  EXPECT_EQ(i.max_output_tokens, 256u);
}

TEST(Inspect, GeminiProtoFieldNamesRead) {
  BodyInfo i = inspect_ok(R"({"generation_config":{"max_output_tokens":64,"candidate_count":2}})");
  EXPECT_EQ(i.max_output_tokens, 64u);
  EXPECT_EQ(i.n, 2u);
}

TEST(Inspect, GeminiConfigUnderBothSpellingsIsDuplicate) {
  EXPECT_EQ(inspect_err(R"({"generationConfig":{},"generation_config":{}})").status,
            InspectStatus::duplicate_key);
}

TEST(Inspect, LargestMaxTokensWins) {
  EXPECT_EQ(inspect_ok(R"({"max_completion_tokens":900,"max_tokens":100})").max_output_tokens,
            900u);
}

TEST(Inspect, NoMaxTokensIsReported) {
  EXPECT_FALSE(inspect_ok(R"({"model":"m"})").has_max_output_tokens);
}

TEST(Inspect, HugeMaxTokensRead) {
  EXPECT_EQ(inspect_ok(R"({"max_tokens":18446744073709551615})").max_output_tokens,
            18446744073709551615u);
}

TEST(Inspect, ChoicesCountRead) {
  EXPECT_EQ(inspect_ok(R"({"n":3})").n, 3u);
  EXPECT_EQ(inspect_ok(R"({"generationConfig":{"candidateCount":2}})").n, 2u);
  EXPECT_EQ(inspect_ok(R"({})").n, 1u);
}

TEST(Inspect, IncludeUsageRead) {
  BodyInfo i = inspect_ok(R"({"stream":true,"stream_options":{"include_usage":true}})");
  EXPECT_TRUE(i.include_usage);
  EXPECT_TRUE(i.stream_options_is_object);
}

TEST(Inspect, IncludeUsageFalseRead) {
  BodyInfo i = inspect_ok(R"({"stream_options":{"include_usage":false}})");
  EXPECT_FALSE(i.include_usage);
  EXPECT_FALSE(i.include_usage_value.empty());
}

TEST(Inspect, NullCountsAsAbsent) {
  BodyInfo i = inspect_ok(
      R"({"model":null,"stream":null,"max_tokens":null,"n":null,"stream_options":null})");
  EXPECT_FALSE(i.has_model);
  EXPECT_FALSE(i.stream);
  EXPECT_FALSE(i.has_max_output_tokens);
  EXPECT_EQ(i.n, 1u);
  EXPECT_FALSE(i.stream_options_is_object);
}

TEST(Inspect, InputCharsCountCodePointsOfMessages) {
  BodyInfo i = inspect_ok(R"({"messages":[{"role":"user","content":"héllo"}]})");
  EXPECT_EQ(i.input_chars, 4u + 5u);  // "user" + "héllo"
}

TEST(Inspect, EscapesCountAsTheCharacterTheyStandFor) {
  EXPECT_EQ(inspect_ok(R"({"prompt":"a\nb\u00e9"})").input_chars, 4u);
}

TEST(Inspect, SystemAndInstructionsCounted) {
  EXPECT_EQ(inspect_ok(R"({"system":"abc","instructions":"de"})").input_chars, 5u);
}

TEST(Inspect, GeminiContentsCounted) {
  BodyInfo i = inspect_ok(R"({"contents":[{"role":"user","parts":[{"text":"hello"}]}],)"
                          R"("systemInstruction":{"parts":[{"text":"be brief"}]}})");
  EXPECT_EQ(i.input_chars, 4u + 5u + 8u);
}

TEST(Inspect, InlineImageDataNotCounted) {
  BodyInfo i = inspect_ok(
      R"({"messages":[{"role":"user","content":[{"type":"text","text":"hi"},)"
      R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},)"
      R"({"role":"user","content":[{"type":"image","source":{"type":"base64","data":"QUFB"}}]}]})");
  // "user" "text" "hi" "image_url" "user" "image" "base64"
  EXPECT_EQ(i.input_chars, 4u + 4u + 2u + 9u + 4u + 5u + 6u);
}

TEST(Inspect, PromptTokenArrayCounted) {
  BodyInfo i = inspect_ok(R"({"prompt":[1,2,3],"input":[[4,5]]})");
  EXPECT_EQ(i.input_token_ids, 5u);
  EXPECT_EQ(i.input_chars, 0u);
}

TEST(Inspect, NonInputStringsNotCounted) {
  EXPECT_EQ(inspect_ok(R"({"model":"gpt-4o","user":"someone","metadata":{"a":"b"}})").input_chars,
            0u);
}

TEST(Inspect, MalformedJsonReportsOffset) {
  InspectResult r = inspect_err(R"({"model":"m" "stream":true})");
  EXPECT_EQ(r.status, InspectStatus::malformed_json);
  EXPECT_NE(r.message.find("not valid JSON"), std::string::npos);
  EXPECT_NE(r.message.find("at byte 13"), std::string::npos) << r.message;
}

TEST(Inspect, EmptyBodyIsMalformed) {
  EXPECT_EQ(inspect_err("").status, InspectStatus::malformed_json);
  EXPECT_EQ(inspect_err("  \n").status, InspectStatus::malformed_json);
}

TEST(Inspect, TrailingGarbageIsMalformed) {
  EXPECT_EQ(inspect_err(R"({"model":"m"} x)").status, InspectStatus::malformed_json);
  EXPECT_EQ(inspect_err(R"({"model":"m"}{})").status, InspectStatus::malformed_json);
}

TEST(Inspect, TrailingWhitespaceIsFine) { inspect_ok("{\"model\":\"m\"}\r\n "); }

TEST(Inspect, NulByteAfterObjectIsMalformed) {
  EXPECT_EQ(inspect_err(std::string("{}\0{}", 5)).status, InspectStatus::malformed_json);
}

// Strings are copied a word at a time up to the first byte that needs a look: every
// length, with an escape, a control character or the body's end at every position,
// reads as byte by byte.
TEST(Inspect, StringsOfEveryLengthReadWithWhatEndsTheirRunAnywhere) {
  for (size_t len = 0; len <= 24; ++len) {
    const std::string plain(len, 'a');
    EXPECT_EQ(inspect_ok("{\"model\":\"" + plain + "\"}").model, plain);
    BodyInfo counted = inspect_ok("{\"messages\":[\"" + plain + "\u00e9\"]}");
    EXPECT_EQ(counted.input_chars, len + 1);
    for (size_t at = 0; at <= len; ++at) {
      const std::string head = plain.substr(0, at);
      const std::string tail = plain.substr(at);
      EXPECT_EQ(inspect_ok("{\"model\":\"" + head + "\\n" + tail + "\"}").model,
                head + "\n" + tail);
      EXPECT_EQ(inspect_ok("{\"model\":\"" + head + "\\\"" + tail + "\"}").model,
                head + "\"" + tail);
      EXPECT_EQ(inspect_err("{\"model\":\"" + head + "\x01" + tail + "\"}").status,
                InspectStatus::malformed_json);
      EXPECT_EQ(inspect_err(std::string("{\"model\":\"") + head + '\0' + tail + "\"}").status,
                InspectStatus::malformed_json);
      EXPECT_EQ(inspect_err("{\"model\":\"" + head).status, InspectStatus::malformed_json);
    }
  }
}

TEST(Inspect, InvalidUtf8IsLeftToTheProvider) {
  EXPECT_EQ(inspect_ok("{\"model\":\"m\xff\"}").model, "m\xff");
}

TEST(Inspect, CommentsAreMalformed) {
  EXPECT_EQ(inspect_err("{/* c */\"model\":\"m\"}").status, InspectStatus::malformed_json);
}

TEST(Inspect, ArrayBodyIsNotAnObject) {
  InspectResult r = inspect_err(R"([{"model":"m"}])");
  EXPECT_EQ(r.status, InspectStatus::not_an_object);
  EXPECT_EQ(r.message, "request body must be a JSON object");
}

TEST(Inspect, ScalarBodyIsNotAnObject) {
  EXPECT_EQ(inspect_err(R"("model")").status, InspectStatus::not_an_object);
  EXPECT_EQ(inspect_err("42").status, InspectStatus::not_an_object);
}

TEST(Inspect, StreamStringIsWrongType) {
  InspectResult r = inspect_err(R"({"stream":"true"})");
  EXPECT_EQ(r.status, InspectStatus::wrong_type);
  EXPECT_EQ(r.message, R"("stream" must be a boolean)");
}

TEST(Inspect, ModelNumberIsWrongType) {
  InspectResult r = inspect_err(R"({"model":4})");
  EXPECT_EQ(r.status, InspectStatus::wrong_type);
  EXPECT_EQ(r.message, R"("model" must be a string)");
}

TEST(Inspect, ModelObjectIsWrongType) {
  EXPECT_EQ(inspect_err(R"({"model":{"id":"x"}})").status, InspectStatus::wrong_type);
}

TEST(Inspect, NegativeMaxTokensIsWrongType) {
  InspectResult r = inspect_err(R"({"max_tokens":-1})");
  EXPECT_EQ(r.status, InspectStatus::wrong_type);
  EXPECT_EQ(r.message, R"("max_tokens" must be a non-negative integer)");
}

TEST(Inspect, FractionalMaxTokensIsWrongType) {
  EXPECT_EQ(inspect_err(R"({"max_output_tokens":10.5})").status, InspectStatus::wrong_type);
}

TEST(Inspect, ZeroChoicesIsWrongType) {
  EXPECT_EQ(inspect_err(R"({"n":0})").status, InspectStatus::wrong_type);
}

TEST(Inspect, StreamOptionsArrayIsWrongType) {
  InspectResult r = inspect_err(R"({"stream_options":[]})");
  EXPECT_EQ(r.status, InspectStatus::wrong_type);
  EXPECT_EQ(r.message, R"("stream_options" must be an object)");
}

TEST(Inspect, IncludeUsageStringIsWrongType) {
  InspectResult r = inspect_err(R"({"stream_options":{"include_usage":"yes"}})");
  EXPECT_EQ(r.status, InspectStatus::wrong_type);
  EXPECT_EQ(r.message, R"("stream_options.include_usage" must be a boolean)");
}

TEST(Inspect, GeminiMaxOutputTokensStringIsWrongType) {
  EXPECT_EQ(inspect_err(R"({"generationConfig":{"maxOutputTokens":"5"}})").status,
            InspectStatus::wrong_type);
}

TEST(Inspect, DuplicateModelIsRejected) {
  InspectResult r = inspect_err(R"({"model":"cheap","model":"expensive"})");
  EXPECT_EQ(r.status, InspectStatus::duplicate_key);
  EXPECT_EQ(r.message, R"("model" appears more than once)");
}

TEST(Inspect, DuplicateThroughEscapeIsRejected) {
  EXPECT_EQ(inspect_err(R"({"model":"a","m\u006fdel":"b"})").status, InspectStatus::duplicate_key);
}

TEST(Inspect, DuplicateIncludeUsageIsRejected) {
  EXPECT_EQ(
      inspect_err(R"({"stream_options":{"include_usage":false,"include_usage":true}})").status,
      InspectStatus::duplicate_key);
}

TEST(Inspect, DuplicateNonPolicyKeyIsAllowed) { inspect_ok(R"({"user":"a","user":"b"})"); }

TEST(Inspect, SameKeyInDifferentObjectsIsAllowed) {
  inspect_ok(R"({"messages":[{"content":"a"},{"content":"b"}]})");
}

TEST(Inspect, DeepNestingIsRejected) {
  std::string body = R"({"x":)" + std::string(300, '[') + std::string(300, ']') + "}";
  InspectResult r = inspect_err(body);
  EXPECT_EQ(r.status, InspectStatus::too_deep);
}

TEST(Inspect, ModerateNestingIsFine) {
  inspect_ok(R"({"x":)" + std::string(200, '[') + std::string(200, ']') + "}");
}

TEST(Inspect, ResultIsResetBetweenCalls) {
  BodyInfo info;
  ASSERT_TRUE(inspect_body(R"({"model":"a","stream":true})", info).ok());
  ASSERT_TRUE(inspect_body(R"({})", info).ok());
  EXPECT_FALSE(info.has_model);
  EXPECT_FALSE(info.stream);
}

// The seed corpus of inspect_fuzz holds real request bodies of the three APIs.
std::string seed_body(const std::string& name) {
  const char* root = std::getenv("SLUICE_SOURCE_DIR");
  std::ifstream in(std::string(root ? root : ".") + "/tests/fuzz/corpus/inspect/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(InspectSeedBodies, OpenAiChatStream) {
  BodyInfo i = inspect_ok(seed_body("openai_chat_stream_options.json"));
  EXPECT_EQ(i.model, "gpt-4o-mini");
  EXPECT_TRUE(i.stream);
  EXPECT_FALSE(i.include_usage);
  EXPECT_EQ(i.max_output_tokens, 64u);
  EXPECT_EQ(i.n, 2u);
  EXPECT_EQ(i.input_chars, 4u + 27u);
}

TEST(InspectSeedBodies, AnthropicMessages) {
  BodyInfo i = inspect_ok(seed_body("anthropic_messages_stream.json"));
  EXPECT_EQ(i.model, "claude-sonnet-4-5");
  EXPECT_TRUE(i.stream);
  EXPECT_EQ(i.max_output_tokens, 1024u);
  EXPECT_GT(i.input_chars, 0u);
}

TEST(InspectSeedBodies, GeminiGenerateContent) {
  BodyInfo i = inspect_ok(seed_body("gemini_generate_content.json"));
  EXPECT_FALSE(i.has_model);
  EXPECT_EQ(i.max_output_tokens, 800u);
  EXPECT_EQ(i.n, 1u);
  // "user", the question, the image's mime type and the system instruction; not the
  // inline image data.
  EXPECT_EQ(i.input_chars, 4u + 35u + 9u + 33u);
}

TEST(InspectSeedBodies, TruncatedBodyIsMalformed) {
  EXPECT_EQ(inspect_err(seed_body("malformed_truncated.json")).status,
            InspectStatus::malformed_json);
}

}  // namespace
}  // namespace sluice::route
