// Whole responses and provider errors: what the corpus does not show.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "sluice/translate/translate.h"

namespace sluice::translate {
namespace {

constexpr ApiFlavor kFlavors[] = {ApiFlavor::openai, ApiFlavor::anthropic, ApiFlavor::gemini};

ResponseContext ctx() {
  ResponseContext c;
  c.model = "alias";
  c.request_id = "r1";
  return c;
}

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str(), s.size());
  EXPECT_FALSE(d.HasParseError()) << s;
  return d;
}

TEST(Response, UnreadableBodiesAreNotOk) {
  for (ApiFlavor from : kFlavors) {
    for (ApiFlavor to : kFlavors) {
      for (const char* body : {"", "nope", "[]", "{}", R"({"choices":[]})", R"({"content":1})"}) {
        ResponseOut r = translate_response(from, to, body, ctx());
        EXPECT_FALSE(r.ok) << body;
        EXPECT_FALSE(r.message.empty());
      }
    }
  }
}

TEST(Response, GeminiBlockedPromptIsContentFilter) {
  ResponseOut r = translate_response(
      ApiFlavor::gemini, ApiFlavor::openai,
      R"({"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":8}})",
      ctx());
  ASSERT_TRUE(r.ok) << r.message;
  rapidjson::Document d = parse(r.body);
  EXPECT_STREQ(d["choices"][0]["finish_reason"].GetString(), "content_filter");
  EXPECT_EQ(d["usage"]["prompt_tokens"].GetUint(), 8u);
}

TEST(Response, EmptyTextNeverBecomesAnEmptyAnthropicBlock) {
  ResponseOut r = translate_response(
      ApiFlavor::openai, ApiFlavor::anthropic,
      R"({"choices":[{"message":{"role":"assistant","content":""},"finish_reason":"stop"}]})",
      ctx());
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(parse(r.body)["content"].Size(), 0u);
}

// OpenAI-compatible servers (vLLM) name the stop string that matched in stop_reason.
TEST(Response, AStopSequenceTheProviderNamedReachesAnAnthropicClient) {
  ResponseOut r = translate_response(
      ApiFlavor::openai, ApiFlavor::anthropic,
      R"({"choices":[{"message":{"role":"assistant","content":"1, 2"},"finish_reason":"stop",)"
      R"("stop_reason":"\n3"}]})",
      ctx());
  ASSERT_TRUE(r.ok) << r.message;
  rapidjson::Document d = parse(r.body);
  EXPECT_STREQ(d["stop_reason"].GetString(), "stop_sequence") << r.body;
  ASSERT_TRUE(d["stop_sequence"].IsString()) << r.body;
  EXPECT_STREQ(d["stop_sequence"].GetString(), "\n3") << r.body;
  // A natural end says no sequence.
  r = translate_response(
      ApiFlavor::openai, ApiFlavor::anthropic,
      R"({"choices":[{"message":{"role":"assistant","content":"1"},"finish_reason":"stop",)"
      R"("stop_reason":null}]})",
      ctx());
  ASSERT_TRUE(r.ok) << r.message;
  d = parse(r.body);
  EXPECT_STREQ(d["stop_reason"].GetString(), "end_turn") << r.body;
  EXPECT_TRUE(d["stop_sequence"].IsNull()) << r.body;
}

TEST(Response, UnparsableToolArgumentsAreKept) {
  ResponseOut r = translate_response(
      ApiFlavor::openai, ApiFlavor::anthropic,
      R"({"choices":[{"message":{"tool_calls":[{"id":"c","function":{"name":"f",)"
      R"("arguments":"{\"a\":"}}]},"finish_reason":"length"}]})",
      ctx());
  ASSERT_TRUE(r.ok) << r.message;
  rapidjson::Document d = parse(r.body);
  EXPECT_STREQ(d["content"][0]["input"]["sluice_unparsed_arguments"].GetString(), "{\"a\":");
  EXPECT_STREQ(d["stop_reason"].GetString(), "max_tokens");
}

TEST(Response, AnthropicServerToolBlocksAreLeftOut) {
  ResponseOut r = translate_response(
      ApiFlavor::anthropic, ApiFlavor::openai,
      R"({"content":[{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search",)"
      R"("input":{}},{"type":"text","text":"found"}],"stop_reason":"end_turn"})",
      ctx());
  ASSERT_TRUE(r.ok) << r.message;
  rapidjson::Document d = parse(r.body);
  EXPECT_STREQ(d["choices"][0]["message"]["content"].GetString(), "found");
}

// A recorded provider answer from the shared fixtures: its status and its body.
bool fixture(const std::string& name, int& status, std::string& body) {
  const char* dir = std::getenv("SLUICE_FIXTURES");
  std::ifstream in(std::string(dir ? dir : "../shared/fixtures") + "/" + name, std::ios::binary);
  if (!in) return false;
  std::stringstream s;
  s << in.rdbuf();
  const std::string raw = s.str();
  status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  size_t split = raw.find("\r\n\r\n");
  body = split == std::string::npos ? raw.substr(raw.find("\n\n") + 2) : raw.substr(split + 4);
  return true;
}

TEST(Error, RecordedAnthropicRateLimitReachesAGeminiClient) {
  int status = 0;
  std::string body;
  ASSERT_TRUE(fixture("anthropic_429_rate_limit.http", status, body));
  ASSERT_EQ(status, 429);
  ErrorOut e = translate_error(ApiFlavor::anthropic, ApiFlavor::gemini, status, body);
  EXPECT_EQ(e.status, 429);
  rapidjson::Document d = parse(e.body);
  EXPECT_EQ(d["error"]["code"].GetInt(), 429);
  EXPECT_STREQ(d["error"]["status"].GetString(), "RESOURCE_EXHAUSTED");
  EXPECT_NE(std::string(d["error"]["message"].GetString()).find("rate limit of 20,000,000"),
            std::string::npos);
}

TEST(Error, RecordedGeminiNotFoundReachesAnOpenAIClient) {
  int status = 0;
  std::string body;
  ASSERT_TRUE(fixture("gemini_404_on_stream_endpoint.http", status, body));
  ErrorOut e = translate_error(ApiFlavor::gemini, ApiFlavor::openai, status, body);
  EXPECT_EQ(e.status, 404);
  rapidjson::Document d = parse(e.body);
  EXPECT_STREQ(d["error"]["type"].GetString(), "invalid_request_error");
  EXPECT_NE(std::string(d["error"]["message"].GetString()).find("custom-gemini-2.0-flash"),
            std::string::npos);
}

TEST(Error, AnthropicRateLimitBecomesOpenAIEnvelope) {
  const char* body = R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"},)"
                     R"("request_id":"req_1"})";
  ErrorOut e = translate_error(ApiFlavor::anthropic, ApiFlavor::openai, 429, body);
  EXPECT_EQ(e.status, 429);
  rapidjson::Document d = parse(e.body);
  EXPECT_STREQ(d["error"]["type"].GetString(), "rate_limit_error");
  EXPECT_STREQ(d["error"]["message"].GetString(), "anthropic provider: slow down");
  // Not sluice's own error: no marker.
  EXPECT_FALSE(d["error"].HasMember("sluice_error_class"));
}

TEST(Error, GeminiNotFoundBecomesAnthropicEnvelope) {
  const char* body =
      R"({"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}})";
  ErrorOut e = translate_error(ApiFlavor::gemini, ApiFlavor::anthropic, 404, body);
  EXPECT_EQ(e.status, 404);
  rapidjson::Document d = parse(e.body);
  EXPECT_STREQ(d["type"].GetString(), "error");
  EXPECT_STREQ(d["error"]["type"].GetString(), "not_found_error");
}

TEST(Error, AnthropicOverloadedIs503ForOthers) {
  const char* body = R"({"type":"error","error":{"type":"overloaded_error","message":"busy"}})";
  ErrorOut e = translate_error(ApiFlavor::anthropic, ApiFlavor::gemini, 529, body);
  EXPECT_EQ(e.status, 503);
  rapidjson::Document d = parse(e.body);
  EXPECT_EQ(d["error"]["code"].GetInt(), 503);
  EXPECT_STREQ(d["error"]["status"].GetString(), "UNAVAILABLE");
}

TEST(Error, ProviderAuthFailureIsNotTheClientsKey) {
  ErrorOut e = translate_error(
      ApiFlavor::openai, ApiFlavor::anthropic, 401,
      R"({"error":{"message":"Incorrect API key","type":"invalid_request_error"}})");
  EXPECT_EQ(e.status, 502);
  EXPECT_NE(parse(e.body)["error"]["message"].GetString(), std::string());
  EXPECT_STREQ(parse(e.body)["error"]["type"].GetString(), "api_error");
}

TEST(Error, OpenAIQuotaIsBudgetExceeded) {
  ErrorOut e = translate_error(ApiFlavor::openai, ApiFlavor::openai, 429,
                               R"({"error":{"message":"quota","type":"insufficient_quota"}})");
  EXPECT_EQ(e.status, 429);
  EXPECT_STREQ(parse(e.body)["error"]["type"].GetString(), "insufficient_quota");
}

TEST(Error, NonJsonBodyIsQuotedSafely) {
  ErrorOut e = translate_error(ApiFlavor::gemini, ApiFlavor::openai, 502,
                               std::string("<html>\xff\"bad gateway</html>"));
  EXPECT_EQ(e.status, 502);
  rapidjson::Document d = parse(e.body);
  EXPECT_NE(std::string(d["error"]["message"].GetString()).find("HTTP 502"), std::string::npos);
}

TEST(Error, StatusOutsideHttpFallsBackToTheClass) {
  ErrorOut e = translate_error(ApiFlavor::openai, ApiFlavor::openai, 0, "");
  EXPECT_EQ(e.status, 502);
}

}  // namespace
}  // namespace sluice::translate
