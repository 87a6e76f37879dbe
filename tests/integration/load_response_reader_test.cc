// sluice-load's response reader (tools/load/response_reader.h): HTTP/1.1 framing of
// every kind, server-sent events timed per content event, and usage read through the
// gateway's scanners, whatever way the bytes are split across receives. Provider bytes
// are the shared wire fixtures.

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "histogram.h"
#include "response_reader.h"

namespace sluice::load {
namespace {

using Result = ResponseReader::Result;

std::string fixture(const std::string& name) {
  const char* dir = std::getenv("SLUICE_FIXTURES");
  std::ifstream in(std::string(dir ? dir : "") + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `body` in chunks of `piece` bytes, as a chunked 200 event stream.
std::string chunked_stream(const std::string& body, size_t piece = 100) {
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t at = 0; at < body.size(); at += piece) {
    std::string part = body.substr(at, piece);
    char size[16];
    snprintf(size, sizeof size, "%zx\r\n", part.size());
    out += size + part + "\r\n";
  }
  return out + "0\r\n\r\n";
}

std::string with_length(const std::string& status_line, const std::string& headers,
                        const std::string& body) {
  return status_line + "\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

struct Read {
  Result result = Result::need_more;
  uint64_t content_events = 0;
  uint64_t output_tokens = 0;
  bool usage_found = false;
};

// Feeds `bytes` cut at `cut` (two receives), all at time 1.
Read read_split(ResponseReader& r, scan::ResponseApi api, const std::string& bytes, size_t cut) {
  r.start(api, nullptr);
  Read out;
  out.result = r.feed(std::string_view(bytes).substr(0, cut), 1);
  if (out.result == Result::need_more) out.result = r.feed(std::string_view(bytes).substr(cut), 1);
  out.content_events = r.content_events();
  out.output_tokens = r.usage().output_tokens;
  out.usage_found = r.usage().found;
  return out;
}

TEST(LoadResponseReader, OpenAiStreamReadsTheSameAtEverySplit) {
  std::string bytes = chunked_stream(fixture("openai_chat_stream_include_usage.sse"));
  ResponseReader r;
  Read whole = read_split(r, scan::ResponseApi::openai_chat, bytes, bytes.size());
  ASSERT_EQ(whole.result, Result::complete);
  EXPECT_TRUE(r.event_stream());
  EXPECT_TRUE(whole.usage_found);
  EXPECT_EQ(whole.output_tokens, 30u);
  EXPECT_GT(whole.content_events, 0u);
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    Read split = read_split(r, scan::ResponseApi::openai_chat, bytes, cut);
    ASSERT_EQ(split.result, Result::complete) << "cut at " << cut;
    ASSERT_EQ(split.content_events, whole.content_events) << "cut at " << cut;
    ASSERT_EQ(split.output_tokens, 30u) << "cut at " << cut;
  }
}

TEST(LoadResponseReader, ByteAtATimeStreamCompletes) {
  std::string bytes = chunked_stream(fixture("anthropic_messages_stream_text_cache_fields.sse"), 7);
  ResponseReader r;
  r.start(scan::ResponseApi::anthropic, nullptr);
  Result last = Result::need_more;
  for (char c : bytes) {
    ASSERT_EQ(last, Result::need_more);
    last = r.feed(std::string_view(&c, 1), 1);
  }
  EXPECT_EQ(last, Result::complete);
  EXPECT_TRUE(r.usage().found);
  EXPECT_GT(r.usage().output_tokens, 0u);
  EXPECT_GT(r.content_events(), 0u);
}

TEST(LoadResponseReader, GeminiCrlfStreamTakesTheLastUsage) {
  std::string bytes = chunked_stream(fixture("gemini_stream_prompt_only_until_final_crlf.sse"));
  ResponseReader r;
  r.start(scan::ResponseApi::gemini, nullptr);
  ASSERT_EQ(r.feed(bytes, 1), Result::complete);
  EXPECT_TRUE(r.usage().found);
  EXPECT_EQ(r.usage().input_tokens, 6u);
}

TEST(LoadResponseReader, FirstContentIsTheFirstEventWithTextAndGapsFollowIt) {
  // A role-only chunk first (no token), then three content chunks at 10, 15 and 22 ms.
  auto chunk = [](const std::string& delta) {
    return "data: {\"choices\":[{\"index\":0,\"delta\":" + delta + "}]}\n\n";
  };
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
  Histogram gaps;
  ResponseReader r;
  r.start(scan::ResponseApi::openai_chat, &gaps);
  EXPECT_EQ(r.feed(head + chunk("{\"role\":\"assistant\",\"content\":\"\"}"), 1'000'000),
            Result::need_more);
  EXPECT_EQ(r.first_event_ns(), 1'000'000u);
  EXPECT_EQ(r.first_content_ns(), 0u);
  r.feed(chunk("{\"content\":\"Hello\"}"), 10'000'000);
  r.feed(chunk("{\"content\":\" there\"}"), 15'000'000);
  r.feed(chunk("{\"content\":\"!\"}") + "data: [DONE]\n\n", 22'000'000);
  EXPECT_EQ(r.end_of_stream(23'000'000), Result::complete);
  EXPECT_EQ(r.first_content_ns(), 10'000'000u);
  EXPECT_EQ(r.last_content_ns(), 22'000'000u);
  EXPECT_EQ(r.content_events(), 3u);
  ASSERT_EQ(gaps.count(), 2u);
  EXPECT_EQ(gaps.min(), 5000u);  // microseconds
  EXPECT_EQ(gaps.max(), 7000u);
  EXPECT_FALSE(r.keep_alive());
}

TEST(LoadResponseReader, NonStreamingBodyUsageIsRead) {
  std::string bytes = with_length("HTTP/1.1 200 OK", "Content-Type: application/json\r\n",
                                  fixture("openai_chat_nonstream.json"));
  ResponseReader r;
  for (size_t cut : {size_t{10}, bytes.size() / 2, bytes.size()}) {
    Read read = read_split(r, scan::ResponseApi::openai_chat, bytes, cut);
    ASSERT_EQ(read.result, Result::complete);
    EXPECT_TRUE(read.usage_found);
    EXPECT_GT(read.output_tokens, 0u);
    EXPECT_FALSE(r.event_stream());
    EXPECT_TRUE(r.keep_alive());
    EXPECT_EQ(r.leftover(), 0u);
  }
}

TEST(LoadResponseReader, ErrorStatusKeepsTheErrorClassAndScansNothing) {
  std::string bytes = with_length("HTTP/1.1 429 Too Many Requests",
                                  "Content-Type: text/event-stream\r\n"
                                  "x-sluice-error-class: rate_limited\r\nretry-after: 1\r\n",
                                  "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n");
  ResponseReader r;
  r.start(scan::ResponseApi::openai_chat, nullptr);
  ASSERT_EQ(r.feed(bytes, 1), Result::complete);
  EXPECT_EQ(r.status(), 429);
  EXPECT_EQ(r.error_class(), "rate_limited");
  EXPECT_FALSE(r.event_stream());
  EXPECT_EQ(r.content_events(), 0u);
}

TEST(LoadResponseReader, BytesAfterTheResponseAreLeftOver) {
  std::string bytes = with_length("HTTP/1.1 200 OK", "", "{}") + "HTTP/1.1 200 OK\r\n";
  ResponseReader r;
  r.start(scan::ResponseApi::openai_chat, nullptr);
  ASSERT_EQ(r.feed(bytes, 1), Result::complete);
  EXPECT_EQ(r.leftover(), 17u);
}

TEST(LoadResponseReader, HeadSplitAcrossReceivesIsParsed) {
  std::string bytes = with_length("HTTP/1.1 503 Service Unavailable",
                                  "x-sluice-error-class: provider_degraded\r\n", "{\"error\":{}}");
  ResponseReader r;
  r.start(scan::ResponseApi::openai_chat, nullptr);
  std::string_view v = bytes;
  EXPECT_EQ(r.feed(v.substr(0, 5), 1), Result::need_more);
  EXPECT_EQ(r.feed(v.substr(5, 30), 1), Result::need_more);
  EXPECT_FALSE(r.head_done());
  EXPECT_EQ(r.feed(v.substr(35), 1), Result::complete);
  EXPECT_EQ(r.status(), 503);
  EXPECT_EQ(r.error_class(), "provider_degraded");
}

TEST(LoadResponseReader, InterimContinueIsSkipped) {
  std::string bytes =
      "HTTP/1.1 100 Continue\r\n\r\n" + with_length("HTTP/1.1 201 Created", "", "ok");
  ResponseReader r;
  r.start(scan::ResponseApi::openai_chat, nullptr);
  ASSERT_EQ(r.feed(bytes, 1), Result::complete);
  EXPECT_EQ(r.status(), 201);
}

TEST(LoadResponseReader, BodyUntilCloseEndsAtEndOfStream) {
  ResponseReader r;
  r.start(scan::ResponseApi::openai_chat, nullptr);
  EXPECT_EQ(r.feed("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"a\":", 1), Result::need_more);
  EXPECT_EQ(r.feed("1}", 2), Result::need_more);
  EXPECT_EQ(r.end_of_stream(3), Result::complete);
  EXPECT_FALSE(r.keep_alive());
}

TEST(LoadResponseReader, CloseBeforeTheLengthIsAnError) {
  ResponseReader r;
  r.start(scan::ResponseApi::openai_chat, nullptr);
  EXPECT_EQ(r.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1), Result::need_more);
  EXPECT_EQ(r.end_of_stream(2), Result::error);
}

TEST(LoadResponseReader, MalformedHeadIsAnError) {
  ResponseReader r;
  r.start(scan::ResponseApi::openai_chat, nullptr);
  EXPECT_EQ(r.feed("HTTP/1.1 2xx OK\r\n\r\n", 1), Result::error);
}

TEST(LoadResponseReader, BadChunkSizeIsAnError) {
  ResponseReader r;
  r.start(scan::ResponseApi::openai_chat, nullptr);
  EXPECT_EQ(r.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 1),
            Result::error);
}

TEST(LoadResponseReader, StartResetsForTheNextResponseOnTheConnection) {
  std::string stream = chunked_stream(fixture("openai_chat_stream_include_usage.sse"));
  std::string plain = with_length("HTTP/1.1 200 OK", "", "{}");
  ResponseReader r;
  r.start(scan::ResponseApi::openai_chat, nullptr);
  ASSERT_EQ(r.feed(stream, 1), Result::complete);
  r.start(scan::ResponseApi::openai_chat, nullptr);
  ASSERT_EQ(r.feed(plain, 2), Result::complete);
  EXPECT_FALSE(r.event_stream());
  EXPECT_EQ(r.content_events(), 0u);
  EXPECT_FALSE(r.usage().found);
}

}  // namespace
}  // namespace sluice::load
