// sluice-mock, streams: each provider's event sequence and framing as in the recorded
// fixtures, one HTTP chunk per event, and usage where (and only where) the provider
// puts it.

// GCC 12 reports std::function inside <regex> as maybe-uninitialized when built with the
// sanitizers: a false positive in the library header, not in this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "mock_fixture.h"

namespace sluice::testing {
namespace {

class MockStreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mock_ = new RunningMock({"--threads", "2"}); }
  static void TearDownTestSuite() {
    delete mock_;
    mock_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(mock_->port(), 0) << mock_->log(); }

  // Every chunk of `r` is exactly one event and matches `framing`.
  static void expect_chunk_per_event(const HttpResponse& r, const std::regex& framing) {
    ASSERT_TRUE(r.chunked);
    ASSERT_FALSE(r.chunks.empty());
    for (const std::string& c : r.chunks)
      EXPECT_TRUE(std::regex_match(c, framing)) << "chunk: " << c;
  }

  static RunningMock* mock_;
};
RunningMock* MockStreamTest::mock_ = nullptr;

// `data: {json}\n\n`, nothing else (openai_chat_stream_include_usage.sse).
const std::regex kOpenAiFraming(R"(data: (\{[^\n]*\}|\[DONE\])\n\n)");
// `event: name\ndata: {json}\n\n` (anthropic_messages_stream_basic_sdk.sse).
const std::regex kNamedFraming(R"(event: [a-z_.]+\ndata: \{[^\n]*\}\n\n)");
// `data: {json}\r\n\r\n` (gemini_stream_*_crlf.sse).
const std::regex kGeminiFraming(R"(data: \{[^\r\n]*\}\r\n\r\n)");

TEST_F(MockStreamTest, OpenAiFixtureHasTheFramingTheMockUses) {
  // The regex is checked against the recording, so the mock is held to the real bytes.
  std::string fixture = read_fixture("openai_chat_stream_include_usage.sse");
  ASSERT_FALSE(fixture.empty());
  std::string rebuilt;
  for (const SseEvent& e : split_sse(fixture)) {
    std::string framed = "data: " + e.data + "\n\n";
    EXPECT_TRUE(std::regex_match(framed, kOpenAiFraming)) << framed;
    rebuilt += framed;
  }
  EXPECT_EQ(rebuilt, fixture);
}

TEST_F(MockStreamTest, ChatStreamWithIncludeUsageEndsWithUsageChunkThenDone) {
  std::string body =
      R"({"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]})";
  HttpResponse r = mock_->post("/v1/chat/completions", body, {{"x-mock-output-tokens", "5"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.header("content-type").rfind("text/event-stream", 0), 0u);
  expect_chunk_per_event(r, kOpenAiFraming);
  std::vector<SseEvent> events = split_sse(r.body);
  // role chunk, 5 content chunks, finish chunk, usage chunk, [DONE]
  ASSERT_EQ(events.size(), 9u);
  EXPECT_EQ(events.back().data, "[DONE]");
  rapidjson::Document last = parse_json(events[events.size() - 2].data);
  ASSERT_TRUE(last.IsObject());
  EXPECT_STREQ(last["object"].GetString(), "chat.completion.chunk");
  EXPECT_TRUE(last["choices"].IsArray());
  EXPECT_EQ(last["choices"].Size(), 0u);
  EXPECT_EQ(u64(last["usage"], "prompt_tokens"), expected_input_tokens(body));
  EXPECT_EQ(u64(last["usage"], "completion_tokens"), 5u);
  rapidjson::Document finish = parse_json(events[events.size() - 3].data);
  EXPECT_STREQ(finish["choices"][0]["finish_reason"].GetString(), "stop");
}

TEST_F(MockStreamTest, ChatStreamWithoutIncludeUsageHasNoUsageChunk) {
  HttpResponse r = mock_->post("/v1/chat/completions", R"({"model":"m","stream":true})",
                               {{"x-mock-output-tokens", "3"}});
  ASSERT_EQ(r.status, 200);
  std::vector<SseEvent> events = split_sse(r.body);
  ASSERT_EQ(events.size(), 6u);  // role, 3 tokens, finish, [DONE]
  EXPECT_EQ(events.back().data, "[DONE]");
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    rapidjson::Document d = parse_json(events[i].data);
    ASSERT_TRUE(d.IsObject()) << events[i].data;
    EXPECT_FALSE(d.HasMember("usage")) << events[i].data;
    EXPECT_EQ(d["choices"].Size(), 1u);
  }
}

TEST_F(MockStreamTest, ChatStreamDeltasSpellTheText) {
  HttpResponse r = mock_->post("/v1/chat/completions", R"({"model":"m","stream":true})",
                               {{"x-mock-output-tokens", "3"}});
  std::string text;
  for (const SseEvent& e : split_sse(r.body)) {
    if (e.data == "[DONE]") continue;
    rapidjson::Document d = parse_json(e.data);
    const rapidjson::Value& delta = d["choices"][0]["delta"];
    if (delta.HasMember("content")) text += delta["content"].GetString();
  }
  EXPECT_EQ(text, "tok0 tok1 tok2");
}

TEST_F(MockStreamTest, PacedStreamDeliversEveryEvent) {
  HttpResponse r = mock_->post(
      "/v1/chat/completions", R"({"model":"m","stream":true})",
      {{"x-mock-output-tokens", "4"}, {"x-mock-ttft-ms", "10"}, {"x-mock-itl-ms", "2"}});
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(split_sse(r.body).size(), 7u);
  EXPECT_EQ(r.chunks.size(), 7u);
}

TEST_F(MockStreamTest, LegacyCompletionStreamWithUsage) {
  HttpResponse r = mock_->post(
      "/v1/completions",
      R"({"model":"m","prompt":"x","stream":true,"stream_options":{"include_usage":true}})",
      {{"x-mock-output-tokens", "2"}});
  expect_chunk_per_event(r, kOpenAiFraming);
  std::vector<SseEvent> events = split_sse(r.body);
  ASSERT_EQ(events.size(), 5u);  // 2 tokens, finish, usage, [DONE]
  rapidjson::Document usage = parse_json(events[3].data);
  EXPECT_EQ(usage["choices"].Size(), 0u);
  EXPECT_EQ(u64(usage["usage"], "completion_tokens"), 2u);
}

TEST_F(MockStreamTest, ResponsesStreamCarriesUsageOnlyInResponseCompleted) {
  std::string body = R"({"model":"gpt-4o","input":"hi","stream":true})";
  HttpResponse r = mock_->post("/v1/responses", body, {{"x-mock-output-tokens", "2"}});
  ASSERT_EQ(r.status, 200);
  expect_chunk_per_event(r, kNamedFraming);
  std::vector<SseEvent> events = split_sse(r.body);
  std::vector<std::string> types;
  for (size_t i = 0; i < events.size(); ++i) {
    rapidjson::Document d = parse_json(events[i].data);
    ASSERT_TRUE(d.IsObject()) << events[i].data;
    types.push_back(d["type"].GetString());
    EXPECT_EQ(events[i].event, types.back());
    EXPECT_EQ(u64(d, "sequence_number"), i);
    if (types.back() == "response.completed") {
      const rapidjson::Value& usage = d["response"]["usage"];
      EXPECT_EQ(u64(usage, "input_tokens"), expected_input_tokens(body));
      EXPECT_EQ(u64(usage, "output_tokens"), 2u);
      EXPECT_EQ(u64(usage["input_tokens_details"], "cached_tokens"), 0u);
    } else if (d.HasMember("response")) {
      EXPECT_TRUE(d["response"]["usage"].IsNull());
    }
  }
  std::vector<std::string> expected = {"response.created",           "response.in_progress",
                                       "response.output_item.added", "response.content_part.added",
                                       "response.output_text.delta", "response.output_text.delta",
                                       "response.output_text.done",  "response.content_part.done",
                                       "response.output_item.done",  "response.completed"};
  EXPECT_EQ(types, expected);
}

TEST_F(MockStreamTest, AnthropicStreamFollowsTheFixtureSequence) {
  // The same event names as anthropic_messages_stream_basic_sdk.sse, with as many
  // content_block_delta events as output tokens.
  std::vector<std::string> fixture_names;
  for (const SseEvent& e : split_sse(read_fixture("anthropic_messages_stream_basic_sdk.sse")))
    fixture_names.push_back(e.event);
  ASSERT_FALSE(fixture_names.empty());
  size_t fixture_deltas = 0;
  for (const std::string& n : fixture_names) fixture_deltas += n == "content_block_delta";

  HttpResponse r = mock_->post("/v1/messages", R"({"model":"claude","stream":true})",
                               {{"x-mock-output-tokens", std::to_string(fixture_deltas)}});
  ASSERT_EQ(r.status, 200);
  expect_chunk_per_event(r, kNamedFraming);
  std::vector<std::string> names;
  for (const SseEvent& e : split_sse(r.body)) names.push_back(e.event);
  EXPECT_EQ(names, fixture_names);
}

TEST_F(MockStreamTest, AnthropicUsageIsInMessageStartAndCumulativeInMessageDelta) {
  std::string body = R"({"model":"claude","max_tokens":100,"stream":true})";
  HttpResponse r = mock_->post("/v1/messages", body,
                               {{"x-mock-output-tokens", "6"}, {"x-mock-cached-tokens", "2"}});
  std::vector<SseEvent> events = split_sse(r.body);
  ASSERT_FALSE(events.empty());
  rapidjson::Document start = parse_json(events.front().data);
  ASSERT_EQ(events.front().event, "message_start");
  const rapidjson::Value& su = start["message"]["usage"];
  EXPECT_EQ(u64(su, "input_tokens"), expected_input_tokens(body) - 2);
  EXPECT_EQ(u64(su, "cache_read_input_tokens"), 2u);
  EXPECT_EQ(u64(su, "cache_creation_input_tokens"), 0u);
  int deltas = 0;
  for (const SseEvent& e : events) {
    if (e.event != "message_delta") continue;
    ++deltas;
    rapidjson::Document d = parse_json(e.data);
    EXPECT_EQ(u64(d["usage"], "output_tokens"), 6u);  // the total, not an increment
    EXPECT_STREQ(d["delta"]["stop_reason"].GetString(), "end_turn");
  }
  EXPECT_EQ(deltas, 1);
  EXPECT_EQ(events.back().event, "message_stop");
}

TEST_F(MockStreamTest, GeminiSseUsesCrlfFramingAndCumulativeUsage) {
  std::string fixture = read_fixture("gemini_stream_thoughts_usage_every_chunk_crlf.sse");
  ASSERT_FALSE(fixture.empty());
  std::string rebuilt;
  for (const SseEvent& e : split_sse(fixture, "\r\n\r\n")) {
    std::string framed = "data: " + e.data + "\r\n\r\n";
    EXPECT_TRUE(std::regex_match(framed, kGeminiFraming)) << framed;
    rebuilt += framed;
  }
  EXPECT_EQ(rebuilt, fixture);

  std::string body = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}]})";
  HttpResponse r = mock_->post("/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
                               body, {{"x-mock-output-tokens", "3"}});
  ASSERT_EQ(r.status, 200);
  expect_chunk_per_event(r, kGeminiFraming);
  std::vector<SseEvent> events = split_sse(r.body, "\r\n\r\n");
  ASSERT_EQ(events.size(), 3u);
  for (size_t i = 0; i < events.size(); ++i) {
    rapidjson::Document d = parse_json(events[i].data);
    ASSERT_TRUE(d.IsObject()) << events[i].data;
    const rapidjson::Value& u = d["usageMetadata"];
    EXPECT_EQ(u64(u, "promptTokenCount"), expected_input_tokens(body));
    EXPECT_EQ(u64(u, "candidatesTokenCount"), i + 1);
    EXPECT_EQ(d["candidates"][0].HasMember("finishReason"), i + 1 == events.size());
  }
}

TEST_F(MockStreamTest, GeminiStreamWithoutAltSseIsOneJsonArray) {
  HttpResponse r = mock_->post("/v1beta/models/g:streamGenerateContent", R"({"contents":[]})",
                               {{"x-mock-output-tokens", "4"}});
  ASSERT_EQ(r.status, 200);
  rapidjson::Document d = parse_json(r.body);
  ASSERT_TRUE(d.IsArray()) << r.body;
  EXPECT_EQ(d.Size(), 4u);
  EXPECT_EQ(u64(d[3]["usageMetadata"], "candidatesTokenCount"), 4u);
}

TEST_F(MockStreamTest, LongStreamAtFullSpeedArrivesWhole) {
  // Far more than the connection's high-water mark: the mock pauses for the reader.
  HttpResponse r = mock_->post("/v1/chat/completions", R"({"model":"m","stream":true})",
                               {{"x-mock-output-tokens", "20000"}});
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(split_sse(r.body).size(), 20003u);
}

// Resident memory of a process, from /proc.
uint64_t rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

TEST(MockBackpressure, AReaderThatDoesNotReadCostsOneWindowNotTheWholeAnswer) {
  RunningMock mock({"--threads", "1"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  uint64_t before = rss_kib(mock.process().pid());
  // 300,000 tokens are about 55 MB of events, far beyond what the kernel buffers hold.
  HttpClient c(mock.port());
  ASSERT_TRUE(
      c.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-mock-output-tokens: 300000\r\n"
                 "Content-Length: 15\r\n\r\n{\"stream\":true}"));
  for (int i = 0; i < 100 && u64(mock.stats(), "streams_open") != 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let it fill what it can
  uint64_t stalled = rss_kib(mock.process().pid());
  EXPECT_LT(stalled - before, 32u * 1024) << "the mock buffered the answer for a reader";

  HttpResponse r = c.read_response();
  ASSERT_TRUE(r.complete);
  EXPECT_EQ(r.chunks.size(), 300003u);
  EXPECT_EQ(r.chunks.back(), "data: [DONE]\n\n");
}

TEST_F(MockStreamTest, StreamCountersReturnToZeroOpen) {
  RunningMock fresh;
  ASSERT_NE(fresh.port(), 0);
  fresh.post("/v1/messages", R"({"stream":true})");
  fresh.post("/v1/chat/completions", R"({"stream":true})");
  rapidjson::Document s = fresh.stats();
  EXPECT_EQ(u64(s, "streams_started"), 2u);
  EXPECT_EQ(u64(s, "streams_completed"), 2u);
  EXPECT_EQ(u64(s, "streams_open"), 0u);
}

}  // namespace
}  // namespace sluice::testing
