// sluice-mock, failure injection: each x-mock-fault (and --fault) does what it says, in
// the error format of the API being called.

#include "mock_fixture.h"

namespace sluice::testing {
namespace {

constexpr int kQuietMs = 300;  // how long "nothing more arrives" is watched for

class MockFaultTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mock_ = new RunningMock({"--threads", "2"}); }
  static void TearDownTestSuite() {
    delete mock_;
    mock_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(mock_->port(), 0) << mock_->log(); }
  static HttpResponse with_fault(std::string_view target, std::string_view body, std::string fault,
                                 int timeout_ms = 10000) {
    return mock_->post(target, body, {{"x-mock-fault", std::move(fault)}}, timeout_ms);
  }
  static RunningMock* mock_;
};
RunningMock* MockFaultTest::mock_ = nullptr;

constexpr std::string_view kChat = "/v1/chat/completions";
constexpr std::string_view kChatStream = R"({"model":"gpt-4o","stream":true})";

TEST_F(MockFaultTest, OpenAi429IsRateLimitExceededWithRetryAfter) {
  HttpResponse r = with_fault(kChat, R"({"model":"m"})", "status=429,retry_after=7");
  ASSERT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "7");
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  const rapidjson::Value& e = d["error"];
  EXPECT_TRUE(e["message"].IsString());
  EXPECT_TRUE(e["type"].IsString());
  EXPECT_TRUE(e["param"].IsNull());
  EXPECT_STREQ(e["code"].GetString(), "rate_limit_exceeded");
}

TEST_F(MockFaultTest, OpenAiInsufficientQuotaCode) {
  HttpResponse r = with_fault(kChat, "{}", "status=429,code=insufficient_quota");
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["error"]["code"].GetString(), "insufficient_quota");
  EXPECT_STREQ(d["error"]["type"].GetString(), "insufficient_quota");
}

TEST_F(MockFaultTest, RetryAfterMsHeader) {
  HttpResponse r = with_fault(kChat, "{}", "status=503,retry_after_ms=250");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.header("retry-after-ms"), "250");
  EXPECT_FALSE(r.has_header("retry-after"));
}

TEST_F(MockFaultTest, OpenAi500IsServerError) {
  HttpResponse r = with_fault(kChat, "{}", "status=500");
  EXPECT_EQ(r.status, 500);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["error"]["type"].GetString(), "server_error");
  EXPECT_TRUE(d["error"]["code"].IsNull());
}

TEST_F(MockFaultTest, Anthropic429LooksLikeTheRecordedOne) {
  // anthropic_429_rate_limit.http: rate_limit_error envelope and x-should-retry: true.
  HttpResponse r = with_fault("/v1/messages", R"({"model":"c"})", "status=429,retry_after=3");
  ASSERT_EQ(r.status, 429);
  EXPECT_EQ(r.header("x-should-retry"), "true");
  EXPECT_EQ(r.header("retry-after"), "3");
  EXPECT_EQ(r.header("content-type"), "application/json");
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["type"].GetString(), "error");
  EXPECT_STREQ(d["error"]["type"].GetString(), "rate_limit_error");
  EXPECT_TRUE(d["error"]["message"].IsString());
  ASSERT_TRUE(d["request_id"].IsString());
  EXPECT_EQ(r.header("request-id"), d["request_id"].GetString());
}

TEST_F(MockFaultTest, Anthropic529IsOverloadedError) {
  HttpResponse r = with_fault("/v1/messages", "{}", "status=529");
  ASSERT_EQ(r.status, 529);
  EXPECT_EQ(r.header("x-should-retry"), "true");
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_STREQ(d["error"]["type"].GetString(), "overloaded_error");
}

TEST_F(MockFaultTest, Anthropic400SaysDoNotRetry) {
  HttpResponse r = with_fault("/v1/messages", "{}", "status=400");
  EXPECT_EQ(r.header("x-should-retry"), "false");
}

TEST_F(MockFaultTest, Gemini429IsResourceExhausted) {
  HttpResponse r = with_fault("/v1beta/models/gemini-2.0-flash:generateContent", "{}",
                              "status=429,retry_after=9");
  ASSERT_EQ(r.status, 429);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_EQ(u64(d["error"], "code"), 429u);
  EXPECT_STREQ(d["error"]["status"].GetString(), "RESOURCE_EXHAUSTED");
  EXPECT_TRUE(d["error"]["message"].IsString());
  EXPECT_STREQ(d["error"]["details"][0]["retryDelay"].GetString(), "9s");
}

TEST_F(MockFaultTest, StatusFaultOnAStreamRequestAnswersBeforeAnyEvent) {
  HttpResponse r = with_fault(kChat, kChatStream, "status=503");
  EXPECT_EQ(r.status, 503);
  EXPECT_FALSE(r.chunked);
  EXPECT_TRUE(parse_json(r.body).IsObject());
}

TEST_F(MockFaultTest, HangNeverAnswersAndKeepsTheConnection) {
  HttpClient c(mock_->port());
  HttpResponse r = c.post(kChat, "{}", {{"x-mock-fault", "hang"}}, kQuietMs);
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.closed);
}

TEST_F(MockFaultTest, RefuseClosesWithoutAResponse) {
  HttpResponse r = with_fault(kChat, "{}", "refuse");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(r.closed);
  EXPECT_FALSE(r.timed_out);
}

TEST_F(MockFaultTest, DropAfterClosesAfterNEventsWithoutTheLastChunk) {
  HttpResponse r = with_fault(kChat, kChatStream, "drop_after=3");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.closed);
  EXPECT_FALSE(r.complete);
  EXPECT_FALSE(r.timed_out);
  ASSERT_EQ(r.chunks.size(), 3u);
  EXPECT_EQ(split_sse(r.body).size(), 3u);
}

TEST_F(MockFaultTest, DropAfterZeroClosesRightAfterTheHead) {
  HttpResponse r = with_fault("/v1/messages", R"({"stream":true})", "drop_after=0");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.closed);
  EXPECT_TRUE(r.chunks.empty());
}

TEST_F(MockFaultTest, DropAfterOnANonStreamAnswerCutsTheBody) {
  HttpResponse r = with_fault(kChat, "{}", "drop_after=10");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.closed);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.body.size(), 10u);
}

TEST_F(MockFaultTest, StallAfterStopsAfterNEventsAndKeepsTheConnectionOpen) {
  HttpResponse r =
      with_fault("/v1beta/models/g:streamGenerateContent?alt=sse", "{}", "stall_after=2", kQuietMs);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.closed);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.chunks.size(), 2u);
}

TEST_F(MockFaultTest, DripSendsTheWholeAnswerAFewBytesAtATime) {
  HttpResponse r = with_fault(kChat, R"({"model":"m"})", "drip,drip_ms=1");
  ASSERT_EQ(r.status, 200);
  ASSERT_TRUE(r.complete);
  EXPECT_TRUE(parse_json(r.body).IsObject());
  // One byte per write: far more reads than a normal answer's one or two.
  EXPECT_GT(r.reads, 20u);
}

TEST_F(MockFaultTest, DripOnAStreamKeepsTheFraming) {
  HttpResponse r = mock_->post("/v1/chat/completions", kChatStream,
                               {{"x-mock-fault", "drip,drip_ms=1"}, {"x-mock-output-tokens", "1"}});
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(split_sse(r.body).size(), 4u);  // role, token, finish, [DONE]
}

TEST_F(MockFaultTest, MalformedFaultIsA400) {
  HttpResponse r = with_fault(kChat, "{}", "explode");
  EXPECT_EQ(r.status, 400);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsObject()) << r.body;
  EXPECT_NE(std::string(d["error"]["message"].GetString()).find("x-mock-fault"), std::string::npos);
}

TEST_F(MockFaultTest, StatsCountInjectedFaults) {
  RunningMock fresh;
  ASSERT_NE(fresh.port(), 0);
  fresh.post(kChat, "{}", {{"x-mock-fault", "status=429"}});
  fresh.post(kChat, "{}", {{"x-mock-fault", "refuse"}});
  rapidjson::Document s = fresh.stats();
  EXPECT_EQ(u64(s["faults"], "status"), 1u);
  EXPECT_EQ(u64(s["faults"], "refuse"), 1u);
  EXPECT_EQ(u64(s["faults"], "total"), 2u);
  EXPECT_EQ(u64(s["responses"], "429"), 1u);
}

TEST(MockFaultOption, FaultOptionAppliesToEveryRequest) {
  RunningMock mock({"--fault", "status=500"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  EXPECT_EQ(mock.post(kChat, "{}").status, 500);
  EXPECT_EQ(mock.post("/v1/messages", "{}").status, 500);
}

TEST(MockFaultOption, HeaderNoneOverridesTheFaultOption) {
  RunningMock mock({"--fault", "status=500"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  EXPECT_EQ(mock.post(kChat, "{}", {{"x-mock-fault", "none"}}).status, 200);
}

TEST(MockFaultOption, FaultRateInjectsIntoSomeRequestsOnly) {
  RunningMock mock({"--fault", "status=503", "--fault-rate", "0.5", "--threads", "1"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  HttpClient c(mock.port());
  int failed = 0;
  const int n = 200;
  for (int i = 0; i < n; ++i) failed += c.post(kChat, "{}").status == 503;
  EXPECT_GT(failed, 0);
  EXPECT_LT(failed, n);
  rapidjson::Document s = mock.stats();
  EXPECT_EQ(u64(s["faults"], "status"), static_cast<uint64_t>(failed));
}

TEST(MockFaultOption, FaultRateIsRepeatable) {
  auto pattern = [] {
    RunningMock mock({"--fault", "status=503", "--fault-rate", "0.3", "--threads", "1"});
    HttpClient c(mock.port());
    std::string p;
    for (int i = 0; i < 50; ++i) p += c.post(kChat, "{}").status == 503 ? 'x' : '.';
    return p;
  };
  EXPECT_EQ(pattern(), pattern());
}

}  // namespace
}  // namespace sluice::testing
