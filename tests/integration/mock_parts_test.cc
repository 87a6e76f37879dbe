// sluice-mock's parts on their own: fault specs, the account-limit buckets and their
// header formats, routing, request reading and the wire formats' event layout.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "account_limits.h"
#include "fault.h"
#include "mock_request.h"
#include "mock_route.h"
#include "wire_format.h"

namespace sluice::mock {
namespace {

constexpr uint64_t kSecond = 1'000'000'000ull;

FaultSpec fault(std::string_view text) {
  FaultSpec f;
  std::string error;
  EXPECT_TRUE(parse_fault(text, f, error)) << text << ": " << error;
  return f;
}

std::string fault_error(std::string_view text) {
  FaultSpec f;
  std::string error;
  EXPECT_FALSE(parse_fault(text, f, error)) << text;
  return error;
}

TEST(MockFaultSpec, StatusWithRetryAfterAndCode) {
  FaultSpec f = fault("status=429,retry_after=3,retry_after_ms=2500,code=insufficient_quota");
  EXPECT_EQ(f.kind, FaultSpec::Kind::status);
  EXPECT_EQ(f.status, 429);
  EXPECT_EQ(f.retry_after_s, 3);
  EXPECT_EQ(f.retry_after_ms, 2500);
  EXPECT_EQ(f.code, "insufficient_quota");
}

TEST(MockFaultSpec, KindsWithoutParameters) {
  EXPECT_EQ(fault("hang").kind, FaultSpec::Kind::hang);
  EXPECT_EQ(fault("refuse").kind, FaultSpec::Kind::refuse);
  EXPECT_EQ(fault("drip").kind, FaultSpec::Kind::drip);
  EXPECT_EQ(fault("drip").drip_ms, 50u);
  EXPECT_EQ(fault("none").kind, FaultSpec::Kind::none);
}

TEST(MockFaultSpec, EventCountsForDropAndStall) {
  FaultSpec drop = fault("drop_after=4");
  EXPECT_EQ(drop.kind, FaultSpec::Kind::drop);
  EXPECT_EQ(drop.after_events, 4u);
  FaultSpec stall = fault(" stall_after=0 ");
  EXPECT_EQ(stall.kind, FaultSpec::Kind::stall);
  EXPECT_EQ(stall.after_events, 0u);
}

TEST(MockFaultSpec, DripMsAloneMeansDrip) {
  FaultSpec f = fault("drip_ms=5");
  EXPECT_EQ(f.kind, FaultSpec::Kind::drip);
  EXPECT_EQ(f.drip_ms, 5u);
}

TEST(MockFaultSpec, RejectsWhatItCannotDo) {
  EXPECT_NE(fault_error("hang,refuse").find("more than one"), std::string::npos);
  EXPECT_NE(fault_error("explode").find("unknown fault"), std::string::npos);
  EXPECT_NE(fault_error("status=abc").find("integer"), std::string::npos);
  EXPECT_NE(fault_error("status=99").find("100..599"), std::string::npos);
  EXPECT_NE(fault_error("retry_after=3").find("no fault"), std::string::npos);
  EXPECT_NE(fault_error("hang,retry_after=3").find("status="), std::string::npos);
  EXPECT_NE(fault_error("hang,drip_ms=3").find("drip"), std::string::npos);
  EXPECT_NE(fault_error("drop_after=-1").find("integer"), std::string::npos);
}

TEST(MockFaultSpec, ShouldRetryGoesWithStatus) {
  FaultSpec f;
  std::string error;
  ASSERT_TRUE(parse_fault("status=503,should_retry=0", f, error)) << error;
  EXPECT_EQ(f.should_retry, 0);
  EXPECT_FALSE(parse_fault("hang,should_retry=1", f, error));
  EXPECT_FALSE(parse_fault("status=503,should_retry=2", f, error));
}

TEST(MockFaultSchedule, RangesNameRequestsFromOne) {
  std::vector<FaultScheduleEntry> s;
  std::string error;
  ASSERT_TRUE(parse_fault_schedule("1-2:status=503,retry_after=1; 4:hang", s, error)) << error;
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(scheduled_fault(s, 1)->status, 503);
  EXPECT_EQ(scheduled_fault(s, 2)->retry_after_s, 1);
  EXPECT_EQ(scheduled_fault(s, 3), nullptr);
  EXPECT_EQ(scheduled_fault(s, 4)->kind, FaultSpec::Kind::hang);
  EXPECT_EQ(scheduled_fault(s, 5), nullptr);
}

TEST(MockFaultSchedule, RejectsMalformedEntries) {
  std::vector<FaultScheduleEntry> s;
  std::string error;
  for (const char* bad : {"", "status=500", "0:hang", "3-1:hang", "x:hang", "1:bogus", "1-:hang"})
    EXPECT_FALSE(parse_fault_schedule(bad, s, error)) << bad;
}

TEST(MockFaultKeys, CountsPerKey) {
  FaultKeys keys;
  EXPECT_EQ(keys.next("a"), 1u);
  EXPECT_EQ(keys.next("a"), 2u);
  EXPECT_EQ(keys.next("b"), 1u);
  EXPECT_EQ(keys.json(), R"({"a":2,"b":1})");
}

TEST(MockFaultRate, ZeroNeverOneAlways) {
  for (uint64_t i = 0; i < 100; ++i) {
    EXPECT_FALSE(fault_applies(i, 0.0));
    EXPECT_TRUE(fault_applies(i, 1.0));
  }
}

TEST(MockFaultRate, AHalfHitsAboutHalf) {
  int hits = 0;
  for (uint64_t i = 0; i < 10000; ++i) hits += fault_applies(i, 0.5);
  EXPECT_GT(hits, 4500);
  EXPECT_LT(hits, 5500);
}

TEST(MockBucket, AdmitsABurstOfTheLimitThenRefuses) {
  MinuteBucket b(3);
  BucketState s;
  uint64_t now = 1000 * kSecond;
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(b.take(now, 1, true, s));
    EXPECT_EQ(s.limit, 3u);
    EXPECT_EQ(s.remaining, 2 - i);
  }
  EXPECT_FALSE(b.take(now, 1, true, s));
  EXPECT_EQ(s.remaining, 0u);
  // One unit refills in 20 s.
  EXPECT_EQ(s.retry_after_ns, 20 * kSecond);
  EXPECT_EQ(s.reset_ns, 60 * kSecond);
}

TEST(MockBucket, RefillsContinuously) {
  MinuteBucket b(60);
  BucketState s;
  uint64_t now = 1000 * kSecond;
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(b.take(now, 1, true, s));
  EXPECT_FALSE(b.take(now, 1, true, s));
  EXPECT_TRUE(b.take(now + kSecond, 1, true, s));
  EXPECT_FALSE(b.take(now + kSecond, 1, true, s));
}

TEST(MockBucket, ACostAboveTheLimitNeverFits) {
  MinuteBucket b(100);
  BucketState s;
  EXPECT_FALSE(b.take(5 * kSecond, 101, true, s));
  EXPECT_TRUE(b.take(5 * kSecond, 100, true, s));
}

TEST(MockBucket, PeekingTakesNothing) {
  MinuteBucket b(1);
  BucketState s;
  EXPECT_TRUE(b.take(kSecond, 1, false, s));
  EXPECT_EQ(s.remaining, 1u);
  EXPECT_TRUE(b.take(kSecond, 1, true, s));
  EXPECT_EQ(s.remaining, 0u);
}

TEST(MockAccountLimits, ATokenRefusalGivesTheRequestBack) {
  AccountLimits limits(2, 10);
  uint64_t now = 100 * kSecond;
  EXPECT_FALSE(limits.admit(now, 11).admitted);
  LimitDecision d = limits.admit(now, 5);
  EXPECT_TRUE(d.admitted);
  EXPECT_EQ(d.requests.remaining, 1u);
  EXPECT_EQ(d.tokens.remaining, 5u);
}

TEST(MockAccountLimits, RefusalNamesTheLimit) {
  AccountLimits limits(1, 0);
  uint64_t now = 100 * kSecond;
  EXPECT_TRUE(limits.admit(now, 1).admitted);
  LimitDecision d = limits.admit(now, 1);
  EXPECT_FALSE(d.admitted);
  EXPECT_FALSE(d.by_tokens);
  EXPECT_FALSE(d.has_tokens);
}

TEST(MockLimitHeaders, OpenAiNamesAndRetryAfter) {
  AccountLimits limits(1, 0);
  limits.admit(kSecond, 1);
  LimitDecision d = limits.admit(kSecond, 1);
  std::string h;
  append_limit_headers(h, Dialect::openai, d, 0);
  EXPECT_NE(h.find("x-ratelimit-limit-requests: 1\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("x-ratelimit-remaining-requests: 0\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("x-ratelimit-reset-requests: 1m0s\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("retry-after: 60\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("retry-after-ms: 60000\r\n"), std::string::npos) << h;
}

TEST(MockLimitHeaders, AnthropicResetIsATimestamp) {
  AccountLimits limits(0, 1000);
  LimitDecision d = limits.admit(kSecond, 500);
  std::string h;
  append_limit_headers(h, Dialect::anthropic, d, 1'700'000'000);
  EXPECT_NE(h.find("anthropic-ratelimit-tokens-limit: 1000\r\n"), std::string::npos) << h;
  EXPECT_NE(h.find("anthropic-ratelimit-tokens-remaining: 500\r\n"), std::string::npos) << h;
  // Half the bucket refills in 30 s.
  EXPECT_NE(h.find("anthropic-ratelimit-tokens-reset: 2023-11-14T22:13:50Z\r\n"), std::string::npos)
      << h;
  EXPECT_EQ(h.find("retry-after"), std::string::npos);
}

TEST(MockLimitHeaders, GeminiSendsNone) {
  AccountLimits limits(5, 5);
  std::string h;
  append_limit_headers(h, Dialect::gemini, limits.admit(kSecond, 1), 0);
  EXPECT_TRUE(h.empty());
}

TEST(MockDuration, WrittenTheWayOpenAiWritesIt) {
  EXPECT_EQ(openai_duration(0), "0s");
  EXPECT_EQ(openai_duration(250'000'000), "250ms");
  EXPECT_EQ(openai_duration(1), "1ms");  // rounded up: never "0s" while waiting
  EXPECT_EQ(openai_duration(kSecond), "1s");
  EXPECT_EQ(openai_duration(17'455'000'000), "17.455s");
  EXPECT_EQ(openai_duration(1'500'000'000), "1.5s");
  EXPECT_EQ(openai_duration(360 * kSecond), "6m0s");
  EXPECT_EQ(openai_duration(3723 * kSecond), "1h2m3s");
}

TEST(MockDuration, Rfc3339) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(rfc3339(1'700'000'000), "2023-11-14T22:13:20Z");
}

// A request head parsed from text, and the buffer it points into.
struct Head {
  explicit Head(std::string text) : buf(std::move(text)) {
    http::RequestParse p = http::parse_request_head(buf, http::RequestLimits{}, head);
    EXPECT_EQ(p.status, http::ParseStatus::complete) << buf;
  }
  std::string buf;
  http::RequestHead head;
};

Route route_of(std::string_view method, std::string_view target, std::string_view extra = {}) {
  Head h(std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" +
         std::string(extra) + "\r\n");
  Route r = route_request(h.head);
  r.model = {};  // points into h
  return r;
}

TEST(MockRoute, OpenAiEndpoints) {
  EXPECT_EQ(route_of("POST", "/v1/chat/completions").api, Api::openai_chat);
  EXPECT_EQ(route_of("POST", "/v1/completions").api, Api::openai_completions);
  EXPECT_EQ(route_of("POST", "/v1/responses").api, Api::openai_responses);
  EXPECT_EQ(route_of("POST", "/v1/embeddings").api, Api::openai_embeddings);
  Route models = route_of("GET", "/v1/models");
  EXPECT_EQ(models.api, Api::openai_models);
  EXPECT_EQ(models.method, "GET");
  EXPECT_EQ(route_of("POST", "/v1/chat/completions").dialect, Dialect::openai);
}

TEST(MockRoute, AnthropicEndpoints) {
  Route r = route_of("POST", "/v1/messages");
  EXPECT_EQ(r.api, Api::anthropic_messages);
  EXPECT_EQ(r.dialect, Dialect::anthropic);
  EXPECT_EQ(route_of("POST", "/v1/messages/count_tokens").api, Api::anthropic_count_tokens);
  EXPECT_EQ(route_of("GET", "/v1/models", "anthropic-version: 2023-06-01\r\n").api,
            Api::anthropic_models);
}

TEST(MockRoute, GeminiEndpointsTakeTheModelFromThePath) {
  Head h(
      "POST /v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse HTTP/1.1\r\n"
      "Host: x\r\n\r\n");
  Route r = route_request(h.head);
  EXPECT_EQ(r.api, Api::gemini_stream);
  EXPECT_EQ(r.dialect, Dialect::gemini);
  EXPECT_EQ(r.model, "gemini-2.0-flash");
  EXPECT_FALSE(r.json_array);
  EXPECT_TRUE(route_of("POST", "/v1beta/models/g:streamGenerateContent").json_array);
  EXPECT_EQ(route_of("POST", "/v1/models/g:generateContent").api, Api::gemini_generate);
  EXPECT_EQ(route_of("POST", "/v1beta/models/g:countTokens").api, Api::gemini_count_tokens);
  EXPECT_EQ(route_of("GET", "/v1beta/models").api, Api::gemini_models);
  EXPECT_EQ(route_of("GET", "/v1/models", "x-goog-api-key: k\r\n").api, Api::gemini_models);
}

TEST(MockRoute, UnknownPathsKeepTheirDialect) {
  EXPECT_EQ(route_of("POST", "/v2/chat").api, Api::unknown);
  EXPECT_EQ(route_of("POST", "/v1beta/cachedContents").dialect, Dialect::gemini);
  EXPECT_EQ(route_of("GET", "/mock/stats").api, Api::mock_stats);
}

TEST(MockRequest, ReadsStreamUsageOptInAndOutputCap) {
  RequestFacts f;
  std::string error;
  ASSERT_TRUE(read_request(
      Api::openai_chat,
      R"({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":9})",
      f, error));
  EXPECT_EQ(f.model, "gpt-4o");
  EXPECT_TRUE(f.stream);
  EXPECT_TRUE(f.include_usage);
  EXPECT_EQ(f.max_tokens, 9u);
}

TEST(MockRequest, EachApiNamesItsOutputCapDifferently) {
  RequestFacts f;
  std::string error;
  ASSERT_TRUE(read_request(Api::openai_responses, R"({"max_output_tokens":7})", f, error));
  EXPECT_EQ(f.max_tokens, 7u);
  f = {};
  ASSERT_TRUE(read_request(Api::anthropic_messages, R"({"max_tokens":8})", f, error));
  EXPECT_EQ(f.max_tokens, 8u);
  f = {};
  ASSERT_TRUE(read_request(Api::gemini_generate, R"({"generationConfig":{"maxOutputTokens":6}})", f,
                           error));
  EXPECT_EQ(f.max_tokens, 6u);
}

TEST(MockRequest, EmbeddingInputsAndEncoding) {
  RequestFacts f;
  std::string error;
  ASSERT_TRUE(read_request(Api::openai_embeddings,
                           R"({"input":["a","b"],"dimensions":3,"encoding_format":"base64"})", f,
                           error));
  EXPECT_EQ(f.items, 2u);
  EXPECT_EQ(f.dimensions, 3u);
  EXPECT_TRUE(f.base64);
  f = {};
  // One input given as token ids.
  ASSERT_TRUE(read_request(Api::openai_embeddings, R"({"input":[1,2,3]})", f, error));
  EXPECT_EQ(f.items, 1u);
}

TEST(MockRequest, RejectsWhatIsNotAJsonObject) {
  RequestFacts f;
  std::string error;
  EXPECT_FALSE(read_request(Api::openai_chat, "", f, error));
  EXPECT_FALSE(read_request(Api::openai_chat, "[1]", f, error));
  EXPECT_FALSE(read_request(Api::openai_chat, R"({"model":)", f, error));
  EXPECT_NE(error.find("JSON"), std::string::npos);
}

TEST(MockRequest, InputEstimateIsAQuarterOfTheBody) {
  EXPECT_EQ(estimate_input_tokens(""), 1u);
  EXPECT_EQ(estimate_input_tokens("abc"), 1u);
  EXPECT_EQ(estimate_input_tokens(std::string(400, 'x')), 100u);
}

Reply reply_with(uint32_t tokens, bool include_usage = false) {
  Reply r;
  r.model_json = "\"m\"";
  r.id = "id1";
  r.output_tokens = tokens;
  r.include_usage = include_usage;
  return r;
}

TEST(MockWireFormat, EventCountsFollowEachProvider) {
  EXPECT_EQ(openai_chat_format().event_count(reply_with(4)), 1u + 4 + 2);
  EXPECT_EQ(openai_chat_format().event_count(reply_with(4, true)), 1u + 4 + 3);
  EXPECT_EQ(openai_completions_format().event_count(reply_with(4, true)), 4u + 3);
  EXPECT_EQ(openai_responses_format().event_count(reply_with(4)), 4u + 4 + 4);
  EXPECT_EQ(anthropic_messages_format().event_count(reply_with(4)), 3u + 4 + 3);
  EXPECT_EQ(gemini_generate_format().event_count(reply_with(4)), 4u);
}

TEST(MockWireFormat, EveryEventIsOneCompleteSseEvent) {
  const WireFormat* formats[] = {&openai_chat_format(), &openai_completions_format(),
                                 &openai_responses_format(), &anthropic_messages_format()};
  for (const WireFormat* f : formats) {
    Reply r = reply_with(3, true);
    for (uint32_t i = 0; i < f->event_count(r); ++i) {
      std::string e;
      f->append_event(e, r, i);
      ASSERT_GE(e.size(), 8u);
      EXPECT_EQ(e.substr(e.size() - 2), "\n\n") << e;
      EXPECT_EQ(e.find("\n\n"), e.size() - 2) << e;
      size_t data = e.find("data: ");
      ASSERT_NE(data, std::string::npos) << e;
      std::string json = e.substr(data + 6, e.size() - data - 8);
      if (json == "[DONE]") continue;
      rapidjson::Document d;
      d.Parse(json.c_str());
      EXPECT_TRUE(d.IsObject()) << json;
    }
  }
}

TEST(MockWireFormat, GeminiJsonArrayEventsJoinIntoOneArray) {
  Reply r = reply_with(3);
  r.json_array = true;
  std::string all;
  for (uint32_t i = 0; i < 3; ++i) gemini_generate_format().append_event(all, r, i);
  rapidjson::Document d;
  d.Parse(all.c_str());
  ASSERT_TRUE(d.IsArray()) << all;
  EXPECT_EQ(d.Size(), 3u);
}

TEST(MockWireFormat, BodiesAreJson) {
  Reply r = reply_with(2);
  const WireFormat* formats[] = {&openai_chat_format(),        &openai_completions_format(),
                                 &openai_responses_format(),   &openai_embeddings_format(),
                                 &anthropic_messages_format(), &gemini_generate_format()};
  for (const WireFormat* f : formats) {
    rapidjson::Document d;
    std::string body = f->body(r);
    d.Parse(body.c_str());
    EXPECT_TRUE(d.IsObject()) << body;
  }
}

Reply reply_with_tools_and_thinking() {
  Reply r = reply_with(2, true);
  r.tool_calls = {"get_weather", "lookup"};
  r.thinking = true;
  return r;
}

// The JSON of every event of a stream, in order (SSE and CRLF framing alike).
std::vector<std::string> event_jsons(const WireFormat& f, const Reply& r) {
  std::vector<std::string> out;
  for (uint32_t i = 0; i < f.event_count(r); ++i) {
    std::string e;
    f.append_event(e, r, i);
    size_t data = e.find("data: ");
    EXPECT_NE(data, std::string::npos) << e;
    size_t end = e.find_last_not_of("\r\n");
    std::string json = e.substr(data + 6, end + 1 - data - 6);
    if (json != "[DONE]") out.push_back(json);
  }
  return out;
}

TEST(MockWireFormat, EveryToolAndThinkingEventIsJson) {
  Reply r = reply_with_tools_and_thinking();
  for (const WireFormat* f :
       {&openai_chat_format(), &anthropic_messages_format(), &gemini_generate_format()}) {
    for (const std::string& json : event_jsons(*f, r)) {
      rapidjson::Document d;
      d.Parse(json.c_str());
      EXPECT_TRUE(d.IsObject()) << json;
    }
    rapidjson::Document d;
    std::string body = f->body(r);
    d.Parse(body.c_str());
    EXPECT_TRUE(d.IsObject()) << body;
  }
}

TEST(MockWireFormat, OpenAiToolArgumentsArriveInPiecesThatJoinIntoJson) {
  Reply r = reply_with_tools_and_thinking();
  std::string args[2], names[2], finish;
  int pieces = 0;
  for (const std::string& json : event_jsons(openai_chat_format(), r)) {
    rapidjson::Document d;
    d.Parse(json.c_str());
    if (d["choices"].Empty()) continue;  // the usage chunk
    const rapidjson::Value& c = d["choices"][0];
    if (c["finish_reason"].IsString()) finish = c["finish_reason"].GetString();
    if (!c["delta"].HasMember("tool_calls")) continue;
    const rapidjson::Value& t = c["delta"]["tool_calls"][0];
    int k = t["index"].GetInt();
    if (t["function"].HasMember("name")) names[k] = t["function"]["name"].GetString();
    args[k] += t["function"]["arguments"].GetString();
    ++pieces;
  }
  EXPECT_EQ(names[0], "get_weather");
  EXPECT_EQ(names[1], "lookup");
  EXPECT_EQ(args[0], R"({"city":"Paris","n":0})");
  EXPECT_EQ(args[1], R"({"city":"Paris","n":1})");
  EXPECT_EQ(pieces, 2 * (1 + static_cast<int>(kToolArgPieces)));
  EXPECT_EQ(finish, "tool_calls");
}

TEST(MockWireFormat, AnthropicBlocksAreThinkingTextThenToolUses) {
  Reply r = reply_with_tools_and_thinking();
  rapidjson::Document d;
  std::string body = anthropic_messages_format().body(r);
  d.Parse(body.c_str());
  const rapidjson::Value& content = d["content"];
  ASSERT_EQ(content.Size(), 4u);
  EXPECT_STREQ(content[0]["type"].GetString(), "thinking");
  EXPECT_STREQ(content[0]["signature"].GetString(), std::string(kThinkingSignature).c_str());
  EXPECT_STREQ(content[1]["type"].GetString(), "text");
  EXPECT_STREQ(content[2]["id"].GetString(), "toolu_mock_0");
  EXPECT_EQ(content[3]["input"]["n"].GetInt(), 1);
  EXPECT_STREQ(d["stop_reason"].GetString(), "tool_use");
  EXPECT_EQ(d["usage"]["output_tokens"].GetInt(), 2 + static_cast<int>(kThinkingTokens));
  // The stream: the same blocks, indexed in order, the partial JSON joining up.
  std::string partial[4];
  std::string signature;
  for (const std::string& json : event_jsons(anthropic_messages_format(), r)) {
    rapidjson::Document e;
    e.Parse(json.c_str());
    if (std::string_view(e["type"].GetString()) != "content_block_delta") continue;
    const rapidjson::Value& delta = e["delta"];
    int index = e["index"].GetInt();
    if (std::string_view(delta["type"].GetString()) == "input_json_delta")
      partial[index] += delta["partial_json"].GetString();
    if (std::string_view(delta["type"].GetString()) == "signature_delta")
      signature = delta["signature"].GetString();
  }
  EXPECT_EQ(partial[2], R"({"city":"Paris","n":0})");
  EXPECT_EQ(partial[3], R"({"city":"Paris","n":1})");
  EXPECT_EQ(signature, kThinkingSignature);
}

TEST(MockWireFormat, GeminiThoughtFirstEachCallWholeAndTheLastChunkFinishes) {
  Reply r = reply_with_tools_and_thinking();
  std::vector<std::string> events = event_jsons(gemini_generate_format(), r);
  ASSERT_EQ(events.size(), 1u + 2 + 2);
  rapidjson::Document d;
  d.Parse(events.front().c_str());
  EXPECT_TRUE(d["candidates"][0]["content"]["parts"][0]["thought"].GetBool());
  EXPECT_EQ(d["usageMetadata"]["thoughtsTokenCount"].GetInt(), 2);
  d.Parse(events.back().c_str());
  const rapidjson::Value& call = d["candidates"][0]["content"]["parts"][0]["functionCall"];
  EXPECT_STREQ(call["name"].GetString(), "lookup");
  EXPECT_EQ(call["args"]["n"].GetInt(), 1);
  EXPECT_STREQ(d["candidates"][0]["finishReason"].GetString(), "STOP");
  for (size_t i = 0; i + 1 < events.size(); ++i)
    EXPECT_EQ(events[i].find("finishReason"), std::string::npos) << events[i];
}

TEST(MockRequest, ReadsToolNamesAndReasoningInEachFormat) {
  RequestFacts f;
  std::string error;
  ASSERT_TRUE(read_request(Api::openai_chat,
                           R"({"tools":[{"type":"function","function":{"name":"a"}}],
                               "reasoning_effort":"low"})",
                           f, error));
  EXPECT_EQ(f.tool_names, std::vector<std::string>{"a"});
  EXPECT_TRUE(f.thinking);
  f = {};
  ASSERT_TRUE(read_request(Api::anthropic_messages,
                           R"({"tools":[{"name":"b"},{"name":"c"}],"thinking":{"type":"enabled"}})",
                           f, error));
  EXPECT_EQ(f.tool_names, (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(f.thinking);
  f = {};
  ASSERT_TRUE(read_request(Api::gemini_stream,
                           R"({"tools":[{"functionDeclarations":[{"name":"d"}]}],
                               "generationConfig":{"thinkingConfig":{"includeThoughts":true}}})",
                           f, error));
  EXPECT_EQ(f.tool_names, std::vector<std::string>{"d"});
  EXPECT_TRUE(f.thinking);
  f = {};
  ASSERT_TRUE(
      read_request(Api::anthropic_messages, R"({"thinking":{"type":"disabled"}})", f, error));
  EXPECT_FALSE(f.thinking);
  EXPECT_TRUE(f.tool_names.empty());
}

TEST(MockWireFormat, ErrorEnvelopes) {
  rapidjson::Document d;
  d.Parse(error_reply(Dialect::openai, 404).body.c_str());
  EXPECT_STREQ(d["error"]["code"].GetString(), "model_not_found");
  d.Parse(error_reply(Dialect::anthropic, 529).body.c_str());
  EXPECT_STREQ(d["error"]["type"].GetString(), "overloaded_error");
  d.Parse(error_reply(Dialect::gemini, 503).body.c_str());
  EXPECT_STREQ(d["error"]["status"].GetString(), "UNAVAILABLE");
  EXPECT_EQ(d["error"]["code"].GetInt(), 503);
}

}  // namespace
}  // namespace sluice::mock
