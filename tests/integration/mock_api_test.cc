// sluice-mock, non-streaming answers: every endpoint returns its provider's JSON with the
// model echoed and usage the test can predict (prompt = body bytes / 4, output = the
// configured token count).

#include "mock_fixture.h"

namespace sluice::testing {
namespace {

class MockApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mock_ = new RunningMock({"--threads", "2"}); }
  static void TearDownTestSuite() {
    delete mock_;
    mock_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(mock_->port(), 0) << mock_->log(); }
  static RunningMock* mock_;
};
RunningMock* MockApiTest::mock_ = nullptr;

TEST_F(MockApiTest, ChatCompletionReturnsOpenAiBodyWithUsage) {
  std::string body = R"({"model":"gpt-4o","messages":[{"role":"user","content":"hello there"}]})";
  HttpResponse r = mock_->post("/v1/chat/completions", body, {{"Authorization", "Bearer x"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.has_header("content-length"));
  EXPECT_EQ(r.header("content-type"), "application/json");
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["object"].GetString(), "chat.completion");
  EXPECT_STREQ(d["model"].GetString(), "gpt-4o");
  EXPECT_STREQ(d["choices"][0]["message"]["role"].GetString(), "assistant");
  EXPECT_STREQ(d["choices"][0]["finish_reason"].GetString(), "stop");
  const rapidjson::Value& usage = d["usage"];
  EXPECT_EQ(u64(usage, "prompt_tokens"), expected_input_tokens(body));
  EXPECT_EQ(u64(usage, "completion_tokens"), 16u);
  EXPECT_EQ(u64(usage, "total_tokens"), expected_input_tokens(body) + 16);
}

TEST_F(MockApiTest, OutputTokensHeaderSetsTheLengthOfTheText) {
  HttpResponse r =
      mock_->post("/v1/chat/completions", R"({"model":"m"})", {{"x-mock-output-tokens", "3"}});
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["choices"][0]["message"]["content"].GetString(), "tok0 tok1 tok2");
  EXPECT_EQ(u64(d["usage"], "completion_tokens"), 3u);
}

TEST_F(MockApiTest, RequestMaxTokensBelowTheOutputEndsWithFinishReasonLength) {
  HttpResponse r = mock_->post("/v1/chat/completions", R"({"model":"m","max_tokens":5})");
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["choices"][0]["finish_reason"].GetString(), "length");
  EXPECT_EQ(u64(d["usage"], "completion_tokens"), 5u);
}

TEST_F(MockApiTest, CachedTokensHeaderIsReportedAsCachedPrompt) {
  std::string body(400, ' ');
  body.replace(0, 13, R"({"model":"m"})");
  HttpResponse r = mock_->post("/v1/chat/completions", body, {{"x-mock-cached-tokens", "64"}});
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_EQ(u64(d["usage"], "prompt_tokens"), 100u);
  EXPECT_EQ(u64(d["usage"]["prompt_tokens_details"], "cached_tokens"), 64u);
}

TEST_F(MockApiTest, LegacyCompletionReturnsTextCompletion) {
  std::string body = R"({"model":"gpt-3.5-turbo-instruct","prompt":"Say this"})";
  HttpResponse r = mock_->post("/v1/completions", body);
  ASSERT_EQ(r.status, 200);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["object"].GetString(), "text_completion");
  EXPECT_STREQ(d["model"].GetString(), "gpt-3.5-turbo-instruct");
  EXPECT_TRUE(d["choices"][0]["text"].IsString());
  EXPECT_EQ(u64(d["usage"], "prompt_tokens"), expected_input_tokens(body));
  EXPECT_EQ(u64(d["usage"], "completion_tokens"), 16u);
}

TEST_F(MockApiTest, ResponsesReturnsResponseObjectWithUsage) {
  std::string body = R"({"model":"gpt-4o-mini","input":"Tell me a joke"})";
  HttpResponse r = mock_->post("/v1/responses", body, {{"x-mock-output-tokens", "7"}});
  ASSERT_EQ(r.status, 200);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["object"].GetString(), "response");
  EXPECT_STREQ(d["status"].GetString(), "completed");
  EXPECT_STREQ(d["model"].GetString(), "gpt-4o-mini");
  EXPECT_STREQ(d["output"][0]["content"][0]["type"].GetString(), "output_text");
  const rapidjson::Value& usage = d["usage"];
  EXPECT_EQ(u64(usage, "input_tokens"), expected_input_tokens(body));
  EXPECT_EQ(u64(usage, "output_tokens"), 7u);
  EXPECT_EQ(u64(usage, "total_tokens"), expected_input_tokens(body) + 7);
  EXPECT_EQ(u64(usage["input_tokens_details"], "cached_tokens"), 0u);
}

TEST_F(MockApiTest, EmbeddingsReturnOneVectorPerInput) {
  std::string body = R"({"model":"text-embedding-3-small","input":["a","b","c"],"dimensions":8})";
  HttpResponse r = mock_->post("/v1/embeddings", body);
  ASSERT_EQ(r.status, 200);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  ASSERT_EQ(d["data"].Size(), 3u);
  EXPECT_EQ(d["data"][2]["embedding"].Size(), 8u);
  EXPECT_EQ(u64(d["usage"], "prompt_tokens"), expected_input_tokens(body));
  EXPECT_EQ(u64(d["usage"], "total_tokens"), expected_input_tokens(body));
}

TEST_F(MockApiTest, EmbeddingsInBase64AreFloat32Vectors) {
  std::string body = R"({"model":"e","input":"a","dimensions":6,"encoding_format":"base64"})";
  HttpResponse r = mock_->post("/v1/embeddings", body);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  // 6 floats = 24 bytes = 32 base64 characters.
  EXPECT_EQ(d["data"][0]["embedding"].GetStringLength(), 32u);
}

TEST_F(MockApiTest, ModelsListsOpenAiModels) {
  HttpResponse r = mock_->get("/v1/models");
  ASSERT_EQ(r.status, 200);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["object"].GetString(), "list");
  ASSERT_GT(d["data"].Size(), 0u);
  EXPECT_STREQ(d["data"][0]["object"].GetString(), "model");
}

TEST_F(MockApiTest, ModelsWithAnthropicVersionListsAnthropicModels) {
  HttpResponse r = mock_->get("/v1/models", {{"anthropic-version", "2023-06-01"}});
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["data"][0]["type"].GetString(), "model");
  EXPECT_TRUE(d["has_more"].IsFalse());
}

TEST_F(MockApiTest, AnthropicMessageReturnsMessageWithUsage) {
  std::string body =
      R"({"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":"Hi"}]})";
  HttpResponse r =
      mock_->post("/v1/messages", body, {{"x-api-key", "k"}, {"anthropic-version", "2023-06-01"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.has_header("request-id"));
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["type"].GetString(), "message");
  EXPECT_STREQ(d["model"].GetString(), "claude-sonnet-4-5");
  EXPECT_STREQ(d["content"][0]["type"].GetString(), "text");
  EXPECT_STREQ(d["stop_reason"].GetString(), "end_turn");
  const rapidjson::Value& usage = d["usage"];
  EXPECT_EQ(u64(usage, "input_tokens"), expected_input_tokens(body));
  EXPECT_EQ(u64(usage, "cache_read_input_tokens"), 0u);
  EXPECT_EQ(u64(usage, "cache_creation_input_tokens"), 0u);
  EXPECT_EQ(u64(usage, "output_tokens"), 16u);
}

TEST_F(MockApiTest, AnthropicMaxTokensBelowTheOutputStopsWithMaxTokens) {
  HttpResponse r = mock_->post("/v1/messages", R"({"model":"c","max_tokens":2})");
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["stop_reason"].GetString(), "max_tokens");
  EXPECT_EQ(u64(d["usage"], "output_tokens"), 2u);
}

TEST_F(MockApiTest, AnthropicCountTokensEstimatesThePrompt) {
  std::string body = R"({"model":"c","messages":[{"role":"user","content":"count me"}]})";
  HttpResponse r = mock_->post("/v1/messages/count_tokens", body);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_EQ(u64(d, "input_tokens"), expected_input_tokens(body));
}

TEST_F(MockApiTest, GeminiGenerateContentEchoesTheModelFromThePath) {
  std::string body = R"({"contents":[{"role":"user","parts":[{"text":"Why is the sky blue?"}]}]})";
  HttpResponse r = mock_->post("/v1beta/models/gemini-2.0-flash:generateContent", body,
                               {{"x-goog-api-key", "k"}});
  ASSERT_EQ(r.status, 200);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["modelVersion"].GetString(), "gemini-2.0-flash");
  EXPECT_STREQ(d["candidates"][0]["finishReason"].GetString(), "STOP");
  EXPECT_STREQ(d["candidates"][0]["content"]["role"].GetString(), "model");
  const rapidjson::Value& usage = d["usageMetadata"];
  EXPECT_EQ(u64(usage, "promptTokenCount"), expected_input_tokens(body));
  EXPECT_EQ(u64(usage, "candidatesTokenCount"), 16u);
  EXPECT_EQ(u64(usage, "totalTokenCount"), expected_input_tokens(body) + 16);
}

TEST_F(MockApiTest, GeminiV1PathIsServedToo) {
  HttpResponse r = mock_->post("/v1/models/gemini-1.5-pro:generateContent", R"({"contents":[]})");
  ASSERT_EQ(r.status, 200);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["modelVersion"].GetString(), "gemini-1.5-pro");
}

TEST_F(MockApiTest, GeminiMaxOutputTokensStopsWithMaxTokens) {
  HttpResponse r = mock_->post("/v1beta/models/g:generateContent",
                               R"({"contents":[],"generationConfig":{"maxOutputTokens":4}})");
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["candidates"][0]["finishReason"].GetString(), "MAX_TOKENS");
  EXPECT_EQ(u64(d["usageMetadata"], "candidatesTokenCount"), 4u);
}

TEST_F(MockApiTest, GeminiModelListNamesModels) {
  HttpResponse r = mock_->get("/v1beta/models");
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  ASSERT_GT(d["models"].Size(), 0u);
  EXPECT_EQ(std::string(d["models"][0]["name"].GetString()).rfind("models/", 0), 0u);
}

TEST_F(MockApiTest, ModelNameIsEscapedWhenEchoed) {
  HttpResponse r = mock_->post("/v1/chat/completions", R"({"model":"a\"b\\c"})");
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["model"].GetString(), "a\"b\\c");
}

TEST_F(MockApiTest, MalformedJsonIsA400InTheApisEnvelope) {
  HttpResponse r = mock_->post("/v1/messages", "{not json");
  EXPECT_EQ(r.status, 400);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["type"].GetString(), "error");
  EXPECT_STREQ(d["error"]["type"].GetString(), "invalid_request_error");
}

TEST_F(MockApiTest, BadTimingHeaderIsA400) {
  HttpResponse r =
      mock_->post("/v1/chat/completions", R"({"model":"m"})", {{"x-mock-ttft-ms", "soon"}});
  EXPECT_EQ(r.status, 400);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_NE(std::string(d["error"]["message"].GetString()).find("x-mock-ttft-ms"),
            std::string::npos);
}

TEST_F(MockApiTest, UnknownPathIsA404) {
  HttpResponse r = mock_->post("/v1/nothing", "{}");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(parse_json(r.body).IsObject());
}

TEST_F(MockApiTest, WrongMethodIsA405) {
  HttpResponse r = mock_->get("/v1/chat/completions");
  EXPECT_EQ(r.status, 405);
}

TEST_F(MockApiTest, KeepAliveConnectionServesManyRequests) {
  HttpClient c(mock_->port());
  for (int i = 0; i < 20; ++i) {
    HttpResponse r = c.post("/v1/chat/completions", R"({"model":"m"})");
    ASSERT_EQ(r.status, 200);
    ASSERT_TRUE(r.complete);
  }
  EXPECT_TRUE(c.connected());
}

TEST_F(MockApiTest, DelayedAnswerStillArrivesWhole) {
  HttpResponse r = mock_->post("/v1/chat/completions", R"({"model":"m"})",
                               {{"x-mock-ttft-ms", "20"}, {"x-mock-itl-ms", "1"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.complete);
  EXPECT_TRUE(parse_json(r.body).IsObject());
}

TEST_F(MockApiTest, StatsCountRequestsByApi) {
  RunningMock fresh;
  ASSERT_NE(fresh.port(), 0);
  fresh.post("/v1/chat/completions", "{}");
  fresh.post("/v1/chat/completions", "{}");
  fresh.post("/v1/messages", "{}");
  rapidjson::Document s = fresh.stats();
  ASSERT_TRUE(s.IsObject());
  EXPECT_EQ(u64(s["requests"], "openai_chat"), 2u);
  EXPECT_EQ(u64(s["requests"], "anthropic_messages"), 1u);
  EXPECT_EQ(u64(s["responses"], "2xx"), 3u);
  EXPECT_EQ(u64(s, "streams_open"), 0u);
}

}  // namespace
}  // namespace sluice::testing
