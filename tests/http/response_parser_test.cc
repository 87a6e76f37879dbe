// Specification of the response head parser the upstream client uses: status line,
// fields, body framing (RFC 9112 6.3) and connection reuse.

#include "sluice/http/response_parser.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

namespace sluice::http {
namespace {

struct Parsed {
  RequestParse result;
  ResponseHead head;
};

std::unique_ptr<Parsed> parse(std::string_view buf, bool request_was_head = false,
                              size_t max_head_bytes = 16384) {
  auto p = std::make_unique<Parsed>();
  p->result = parse_response_head(buf, request_was_head, max_head_bytes, p->head);
  return p;
}

std::string read_fixture(const char* name) {
  const char* dir = std::getenv("SLUICE_FIXTURES");
  std::ifstream in(std::string(dir ? dir : "../shared/fixtures") + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void expect_rejected(std::string_view buf) {
  const auto p = parse(buf);
  EXPECT_EQ(p->result.status, ParseStatus::error) << buf;
  EXPECT_EQ(p->result.error, RequestError::bad_request) << buf;
}

TEST(ResponseParser, ParsesStatusLineAndFields) {
  const auto p = parse("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-A:  b \r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.status, 200);
  EXPECT_EQ(p->head.reason, "OK");
  EXPECT_EQ(p->head.version_minor, 1);
  ASSERT_EQ(p->head.header_count, 2u);
  EXPECT_EQ(p->head.header("content-type"), "text/event-stream");
  EXPECT_EQ(p->head.header("X-A"), "b");
}

TEST(ResponseParser, ReasonMayContainSpacesAndTabs) {
  EXPECT_EQ(parse("HTTP/1.1 429 Too Many\tRequests\r\n\r\n")->head.reason, "Too Many\tRequests");
}

TEST(ResponseParser, AcceptsEmptyReason) {
  const auto p = parse("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_TRUE(p->head.reason.empty());
}

TEST(ResponseParser, AcceptsMissingReason) {
  const auto p = parse("HTTP/1.1 204\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.status, 204);
}

TEST(ResponseParser, ContentLengthFramesTheBody) {
  const std::string buf = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
  const auto p = parse(buf);
  EXPECT_EQ(p->head.body, ResponseBody::content_length);
  EXPECT_EQ(p->head.content_length, 2u);
  EXPECT_EQ(buf.substr(p->head.head_bytes), "{}");
  EXPECT_TRUE(p->head.keep_alive);
}

TEST(ResponseParser, ChunkedFramesTheBody) {
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")->head.body,
            ResponseBody::chunked);
}

TEST(ResponseParser, CodingsBeforeChunkedPassThrough) {
  EXPECT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")->head.body,
            ResponseBody::chunked);
}

TEST(ResponseParser, CodingNotEndingInChunkedIsReadUntilClose) {
  const auto p = parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
  EXPECT_EQ(p->head.body, ResponseBody::until_close);
  EXPECT_FALSE(p->head.keep_alive);
}

TEST(ResponseParser, NoFramingIsReadUntilClose) {
  const auto p = parse("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
  EXPECT_EQ(p->head.body, ResponseBody::until_close);
  EXPECT_FALSE(p->head.keep_alive);
}

TEST(ResponseParser, InterimAndBodilessStatusesHaveNoBody) {
  for (const char* line : {"HTTP/1.1 100 Continue", "HTTP/1.1 103 Early Hints",
                           "HTTP/1.1 204 No Content", "HTTP/1.1 304 Not Modified"}) {
    const auto p = parse(std::string(line) + "\r\nContent-Length: 10\r\n\r\n");
    ASSERT_EQ(p->result.status, ParseStatus::complete) << line;
    EXPECT_EQ(p->head.body, ResponseBody::none) << line;
    EXPECT_TRUE(p->head.keep_alive) << line;
  }
}

TEST(ResponseParser, ResponseToHeadHasNoBody) {
  const auto p = parse("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", true);
  EXPECT_EQ(p->head.body, ResponseBody::none);
  EXPECT_TRUE(p->head.keep_alive);
}

TEST(ResponseParser, SwitchingProtocolsIsNeverReused) {
  const auto p = parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
  EXPECT_EQ(p->head.body, ResponseBody::none);
  EXPECT_FALSE(p->head.keep_alive);
}

TEST(ResponseParser, ConnectionCloseEndsKeepAlive) {
  EXPECT_FALSE(
      parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")->head.keep_alive);
}

TEST(ResponseParser, Http10ClosesUnlessKeepAlive) {
  EXPECT_FALSE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")->head.keep_alive);
  EXPECT_TRUE(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
                  ->head.keep_alive);
}

TEST(ResponseParser, RejectsContentLengthWithTransferEncoding) {
  expect_rejected("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(ResponseParser, RejectsDifferingContentLengths) {
  expect_rejected("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n");
}

TEST(ResponseParser, RejectsInvalidContentLengthEvenWithoutBody) {
  expect_rejected("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n");
  expect_rejected("HTTP/1.1 304 Not Modified\r\nContent-Length: x\r\n\r\n");
}

TEST(ResponseParser, RejectsChunkedTwice) {
  expect_rejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n");
}

TEST(ResponseParser, RejectsTransferEncodingOnHttp10) {
  expect_rejected("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(ResponseParser, RejectsControlCharactersInFields) {
  expect_rejected("HTTP/1.1 200 OK\r\nX-A: a\x01\r\n\r\n");
  expect_rejected("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n");
  expect_rejected("HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n");
}

TEST(ResponseParser, RejectsControlCharacterInReason) {
  expect_rejected("HTTP/1.1 200 O\x01K\r\n\r\n");
}

TEST(ResponseParser, RejectsMalformedStatusLine) {
  expect_rejected("HTTP/1.1 20 OK\r\n\r\n");
  expect_rejected("HTTP/1.1 2000 OK\r\n\r\n");
  expect_rejected("HTTP/1.1  200 OK\r\n\r\n");
  expect_rejected("HTTP/1.1 OK\r\n\r\n");
  expect_rejected("HTTP/1.1\r\n\r\n");
  expect_rejected("ICY 200 OK\r\n\r\n");
}

TEST(ResponseParser, RejectsStatusOutsideTheDefinedRange) {
  expect_rejected("HTTP/1.1 099 X\r\n\r\n");
  expect_rejected("HTTP/1.1 600 X\r\n\r\n");
}

TEST(ResponseParser, RejectsOtherMajorVersions) { expect_rejected("HTTP/2.0 200 OK\r\n\r\n"); }

TEST(ResponseParser, RejectsHeadOverTheLimitWith431) {
  const auto p =
      parse("HTTP/1.1 200 OK\r\nX-Long: " + std::string(100, 'x') + "\r\n\r\n", false, 64);
  EXPECT_EQ(p->result.status, ParseStatus::error);
  EXPECT_EQ(p->result.error, RequestError::header_too_large);
}

TEST(ResponseParser, EveryPrefixOfAHeadIsIncomplete) {
  const std::string head =
      "\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n";
  for (size_t n = 0; n < head.size(); ++n) {
    EXPECT_EQ(parse(std::string_view(head).substr(0, n))->result.status, ParseStatus::incomplete)
        << n;
  }
  const auto whole = parse(head);
  ASSERT_EQ(whole->result.status, ParseStatus::complete);
  EXPECT_EQ(whole->head.head_bytes, head.size());
}

TEST(ResponseParser, ParsesAnthropicRateLimitFixture) {
  const std::string bytes = read_fixture("anthropic_429_rate_limit.http");
  ASSERT_FALSE(bytes.empty());
  const auto p = parse(bytes);
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.status, 429);
  EXPECT_EQ(p->head.header("x-should-retry"), "true");
  EXPECT_EQ(p->head.body, ResponseBody::content_length);
  EXPECT_TRUE(p->head.keep_alive);
  // The fixture holds exactly head + body.
  EXPECT_EQ(p->head.head_bytes + p->head.content_length, bytes.size());
}

TEST(ResponseParser, ParsesGemini404Fixture) {
  const std::string bytes = read_fixture("gemini_404_on_stream_endpoint.http");
  ASSERT_FALSE(bytes.empty());
  const auto p = parse(bytes);
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.status, 404);
  EXPECT_EQ(p->head.header("content-type"), "text/event-stream");
  EXPECT_EQ(p->head.body, ResponseBody::content_length);
  EXPECT_EQ(p->head.content_length, 858u);
}

}  // namespace
}  // namespace sluice::http
