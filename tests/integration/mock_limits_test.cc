// sluice-mock, account limits: --rpm and --tpm answer past the limit with the provider's
// own 429 and rate-limit headers, shared by every shard of the process.

#include "mock_fixture.h"

namespace sluice::testing {
namespace {

constexpr std::string_view kChat = "/v1/chat/completions";

uint64_t header_u64(const HttpResponse& r, std::string_view name) {
  std::string v = r.header(name);
  return v.empty() ? UINT64_MAX : std::stoull(v);
}

TEST(MockLimits, RpmAnswers429AfterNRequestsWithOpenAiHeaders) {
  RunningMock mock({"--rpm", "3", "--threads", "2"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  for (int i = 0; i < 3; ++i) {
    // Fresh connections spread over both shards: the limit is the process's.
    HttpResponse ok = mock.post(kChat, R"({"model":"gpt-4o"})");
    ASSERT_EQ(ok.status, 200) << "request " << i;
    EXPECT_EQ(header_u64(ok, "x-ratelimit-limit-requests"), 3u);
    EXPECT_EQ(header_u64(ok, "x-ratelimit-remaining-requests"), static_cast<uint64_t>(2 - i));
    EXPECT_FALSE(ok.header("x-ratelimit-reset-requests").empty());
  }
  HttpResponse r = mock.post(kChat, R"({"model":"gpt-4o"})");
  ASSERT_EQ(r.status, 429);
  EXPECT_EQ(header_u64(r, "x-ratelimit-limit-requests"), 3u);
  EXPECT_EQ(header_u64(r, "x-ratelimit-remaining-requests"), 0u);
  EXPECT_FALSE(r.header("x-ratelimit-reset-requests").empty());
  EXPECT_GE(header_u64(r, "retry-after"), 1u);
  EXPECT_LE(header_u64(r, "retry-after"), 60u);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["error"]["code"].GetString(), "rate_limit_exceeded");
  EXPECT_STREQ(d["error"]["type"].GetString(), "requests");
  EXPECT_NE(std::string(d["error"]["message"].GetString()).find("gpt-4o"), std::string::npos);
}

TEST(MockLimits, ResetIsWrittenAsADuration) {
  RunningMock mock({"--rpm", "60"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  HttpResponse r = mock.post(kChat, "{}");
  // One request of 60 per minute refills in one second.
  EXPECT_EQ(r.header("x-ratelimit-reset-requests"), "1s");
}

TEST(MockLimits, AnthropicGetsItsOwnRateLimitHeaders) {
  RunningMock mock({"--rpm", "1", "--tpm", "100000"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  HttpResponse ok = mock.post("/v1/messages", R"({"model":"claude"})");
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(header_u64(ok, "anthropic-ratelimit-requests-limit"), 1u);
  EXPECT_EQ(header_u64(ok, "anthropic-ratelimit-requests-remaining"), 0u);
  EXPECT_EQ(header_u64(ok, "anthropic-ratelimit-tokens-limit"), 100000u);
  // RFC 3339: 2025-01-31T12:00:05Z
  std::string reset = ok.header("anthropic-ratelimit-requests-reset");
  ASSERT_EQ(reset.size(), 20u) << reset;
  EXPECT_EQ(reset[10], 'T');
  EXPECT_EQ(reset.back(), 'Z');
  EXPECT_FALSE(ok.has_header("x-ratelimit-limit-requests"));

  HttpResponse r = mock.post("/v1/messages", R"({"model":"claude"})");
  ASSERT_EQ(r.status, 429);
  EXPECT_EQ(r.header("x-should-retry"), "true");
  EXPECT_GE(header_u64(r, "retry-after"), 1u);
  EXPECT_EQ(header_u64(r, "anthropic-ratelimit-requests-remaining"), 0u);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["error"]["type"].GetString(), "rate_limit_error");
}

TEST(MockLimits, GeminiAnswersResourceExhausted) {
  RunningMock mock({"--rpm", "1"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  EXPECT_EQ(mock.post("/v1beta/models/g:generateContent", "{}").status, 200);
  HttpResponse r = mock.post("/v1beta/models/g:generateContent", "{}");
  ASSERT_EQ(r.status, 429);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["error"]["status"].GetString(), "RESOURCE_EXHAUSTED");
}

TEST(MockLimits, TpmCountsPromptAndOutputTokens) {
  // Each request costs body/4 + 10 output tokens = 3 + 10 = 13; 30 per minute fits two.
  RunningMock mock({"--tpm", "30", "--output-tokens", "10"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  std::string body = R"({"model":"m"})";  // 13 bytes: 3 tokens
  HttpResponse first = mock.post(kChat, body);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(header_u64(first, "x-ratelimit-limit-tokens"), 30u);
  EXPECT_EQ(header_u64(first, "x-ratelimit-remaining-tokens"), 17u);
  EXPECT_FALSE(first.has_header("x-ratelimit-limit-requests"));
  EXPECT_EQ(mock.post(kChat, body).status, 200);
  HttpResponse r = mock.post(kChat, body);
  ASSERT_EQ(r.status, 429);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["error"]["type"].GetString(), "tokens");
}

TEST(MockLimits, StatsCountRateLimitedRequests) {
  RunningMock mock({"--rpm", "2"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  for (int i = 0; i < 5; ++i) mock.post(kChat, "{}");
  rapidjson::Document s = mock.stats();
  EXPECT_EQ(u64(s, "rate_limited"), 3u);
  EXPECT_EQ(u64(s["responses"], "429"), 3u);
  EXPECT_EQ(u64(s["responses"], "2xx"), 2u);
}

TEST(MockLimits, WithoutLimitsNoRateLimitHeaders) {
  RunningMock mock;
  ASSERT_NE(mock.port(), 0) << mock.log();
  HttpResponse r = mock.post(kChat, "{}");
  EXPECT_FALSE(r.has_header("x-ratelimit-limit-requests"));
  EXPECT_FALSE(r.has_header("x-ratelimit-limit-tokens"));
}

}  // namespace
}  // namespace sluice::testing
