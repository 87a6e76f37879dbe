// The request parser's defences against request smuggling and malformed heads:
// everything here must be refused, each for one reason, with the right status.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "sluice/http/request_parser.h"

namespace sluice::http {
namespace {

RequestParse parse(std::string_view buf) {
  const auto head = std::make_unique<RequestHead>();
  return parse_request_head(buf, {}, *head);
}

// A request whose head is `line` plus `fields` (each ending in CRLF) and the empty line.
std::string request(std::string_view fields, std::string_view line = "POST / HTTP/1.1") {
  return std::string(line) + "\r\n" + std::string(fields) + "\r\n";
}

void expect_400(const std::string& buf) {
  const RequestParse r = parse(buf);
  EXPECT_EQ(r.status, ParseStatus::error) << buf;
  EXPECT_EQ(r.error, RequestError::bad_request) << buf;
}

// ---- body framing ----

TEST(RequestSmuggling, RejectsContentLengthWithTransferEncoding) {
  expect_400(request("Host: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n"));
  expect_400(request("Host: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n"));
}

TEST(RequestSmuggling, RejectsDifferingDuplicateContentLength) {
  expect_400(request("Host: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n"));
}

TEST(RequestSmuggling, AcceptsIdenticalDuplicateContentLength) {
  auto head = std::make_unique<RequestHead>();
  const std::string buf = request("Host: h\r\nContent-Length: 5\r\ncontent-length: 5\r\n");
  ASSERT_EQ(parse_request_head(buf, {}, *head).status, ParseStatus::complete);
  EXPECT_EQ(head->content_length, 5u);
}

TEST(RequestSmuggling, RejectsContentLengthList) {
  expect_400(request("Host: h\r\nContent-Length: 5, 5\r\n"));
}

TEST(RequestSmuggling, RejectsSignedContentLength) {
  expect_400(request("Host: h\r\nContent-Length: +5\r\n"));
  expect_400(request("Host: h\r\nContent-Length: -5\r\n"));
}

TEST(RequestSmuggling, RejectsContentLengthWithInnerSpace) {
  expect_400(request("Host: h\r\nContent-Length: 1 0\r\n"));
}

TEST(RequestSmuggling, RejectsNonDigitContentLength) {
  expect_400(request("Host: h\r\nContent-Length: 0x10\r\n"));
  expect_400(request("Host: h\r\nContent-Length: 5a\r\n"));
  expect_400(request("Host: h\r\nContent-Length: 1.0\r\n"));
}

TEST(RequestSmuggling, RejectsEmptyContentLength) {
  expect_400(request("Host: h\r\nContent-Length:\r\n"));
}

TEST(RequestSmuggling, RejectsOverflowingContentLength) {
  // 2^64 wraps to 0 in a careless parser.
  expect_400(request("Host: h\r\nContent-Length: 18446744073709551616\r\n"));
  expect_400(request("Host: h\r\nContent-Length: 99999999999999999999999\r\n"));
}

TEST(RequestSmuggling, AcceptsContentLengthWithLeadingZeros) {
  auto head = std::make_unique<RequestHead>();
  ASSERT_EQ(parse_request_head(request("Host: h\r\nContent-Length: 007\r\n"), {}, *head).status,
            ParseStatus::complete);
  EXPECT_EQ(head->content_length, 7u);
}

// Chunked applied twice is forbidden to senders (RFC 9112 6.1), so it is malformed,
// not merely unsupported: 400.
TEST(RequestSmuggling, RejectsChunkedTwice) {
  expect_400(request("Host: h\r\nTransfer-Encoding: chunked, chunked\r\n"));
  expect_400(request("Host: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"));
}

TEST(RequestSmuggling, RejectsChunkedThatIsNotTheFinalCoding) {
  expect_400(request("Host: h\r\nTransfer-Encoding: chunked, gzip\r\n"));
}

TEST(RequestSmuggling, RejectsEmptyTransferEncoding) {
  expect_400(request("Host: h\r\nTransfer-Encoding:\r\n"));
  expect_400(request("Host: h\r\nTransfer-Encoding: ,\r\n"));
}

TEST(RequestSmuggling, RejectsTransferEncodingOnHttp10) {
  expect_400(request("Transfer-Encoding: chunked\r\n", "POST / HTTP/1.0"));
}

// ---- field lines ----

TEST(RequestSmuggling, RejectsObsFold) {
  expect_400(request("Host: h\r\nX-A: one\r\n two\r\n"));
  expect_400(request("Host: h\r\nX-A: one\r\n\ttwo\r\n"));
}

TEST(RequestSmuggling, RejectsWhitespaceBeforeTheFirstField) {
  expect_400(request(" Host: h\r\n"));
}

TEST(RequestSmuggling, RejectsWhitespaceBeforeColon) {
  expect_400(request("Host: h\r\nContent-Length : 5\r\n"));
  expect_400(request("Host: h\r\nTransfer-Encoding\t: chunked\r\n"));
}

TEST(RequestSmuggling, RejectsBareCrInValue) { expect_400(request("Host: h\r\nX-A: a\rb\r\n")); }

TEST(RequestSmuggling, RejectsBareCrEndingAFieldLine) {
  expect_400(request("Host: h\r\nX-A: a\r\r\n"));
}

TEST(RequestSmuggling, RejectsBareLfLineEnding) {
  expect_400("GET / HTTP/1.1\nHost: h\r\n\r\n");
  expect_400("GET / HTTP/1.1\r\nHost: h\n\r\n");
  expect_400("GET / HTTP/1.1\r\nHost: h\r\n\n");
}

TEST(RequestSmuggling, RejectsBareCrBeforeRequestLine) {
  expect_400("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RequestSmuggling, RejectsNulInValue) {
  expect_400(request(std::string("Host: h\r\nX-A: a") + '\0' + "b\r\n"));
}

TEST(RequestSmuggling, RejectsControlCharacterInValue) {
  expect_400(request("Host: h\r\nX-A: a\x01z\r\n"));
  expect_400(request("Host: h\r\nX-A: a\x1bz\r\n"));
  expect_400(request("Host: h\r\nX-A: a\x7fz\r\n"));
}

TEST(RequestSmuggling, RejectsControlCharacterLateInALongValue) {
  // Past the first 16-byte block, where the vector scan does the work.
  expect_400(request("Host: h\r\nX-A: " + std::string(37, 'v') + "\x0b" + "tail\r\n"));
}

TEST(RequestSmuggling, RejectsEmptyFieldName) { expect_400(request("Host: h\r\n: v\r\n")); }

TEST(RequestSmuggling, RejectsFieldLineWithoutColon) {
  expect_400(request("Host: h\r\nX-A v\r\n"));
}

TEST(RequestSmuggling, RejectsInvalidCharacterInFieldName) {
  expect_400(request("Host: h\r\nX(A): v\r\n"));
  expect_400(request("Host: h\r\nX\"A: v\r\n"));
  expect_400(request("Host: h\r\nX\xc3\xa9: v\r\n"));
}

// ---- request line ----

TEST(RequestSmuggling, RejectsInvalidCharacterInMethod) {
  expect_400(request("Host: h\r\n", "G(T / HTTP/1.1"));
  expect_400(request("Host: h\r\n", "GE\x01T / HTTP/1.1"));
}

TEST(RequestSmuggling, RejectsEmptyMethod) { expect_400(request("Host: h\r\n", " / HTTP/1.1")); }

TEST(RequestSmuggling, RejectsExtraSpacesInRequestLine) {
  expect_400(request("Host: h\r\n", "GET  / HTTP/1.1"));
  expect_400(request("Host: h\r\n", "GET /  HTTP/1.1"));
  expect_400(request("Host: h\r\n", "GET\t/ HTTP/1.1"));
}

TEST(RequestSmuggling, RejectsControlCharacterInTarget) {
  expect_400(request("Host: h\r\n", "GET /a\x01 HTTP/1.1"));
  expect_400(request("Host: h\r\n", "GET /a\x7f HTTP/1.1"));
}

TEST(RequestSmuggling, RejectsNonAsciiInTarget) {
  expect_400(request("Host: h\r\n", "GET /caf\xc3\xa9 HTTP/1.1"));
}

TEST(RequestSmuggling, RejectsUnsafeCharactersInTarget) {
  for (const char* c : {"\"", "<", ">", "\\", "^", "`", "{", "|", "}"}) {
    expect_400(request("Host: h\r\n", std::string("GET /a") + c + "b HTTP/1.1"));
  }
}

TEST(RequestSmuggling, RejectsFragmentInTarget) {
  expect_400(request("Host: h\r\n", "GET /a#frag HTTP/1.1"));
}

TEST(RequestSmuggling, RejectsBareCrInRequestLine) {
  expect_400("GET / HTTP/1.1\rHost: h\r\n\r\n");
}

// ---- Host ----

TEST(RequestSmuggling, RejectsMissingHostOnHttp11) {
  expect_400(request("X-A: v\r\n", "GET / HTTP/1.1"));
}

TEST(RequestSmuggling, RejectsDuplicateHost) {
  expect_400(request("Host: a\r\nHost: b\r\n", "GET / HTTP/1.1"));
  expect_400(request("Host: a\r\nHost: a\r\n", "GET / HTTP/1.0"));
}

TEST(RequestSmuggling, RejectsInvalidHost) {
  expect_400(request("Host: a b\r\n", "GET / HTTP/1.1"));
  expect_400(request("Host: a/b\r\n", "GET / HTTP/1.1"));
  expect_400(request("Host: user@a\r\n", "GET / HTTP/1.1"));
}

TEST(RequestSmuggling, AcceptsIpLiteralHostWithPort) {
  EXPECT_EQ(parse(request("Host: [::1]:8080\r\n", "GET / HTTP/1.1")).status, ParseStatus::complete);
}

TEST(RequestSmuggling, AcceptsEmptyHostOnHttp11) {
  EXPECT_EQ(parse(request("Host:\r\n", "GET / HTTP/1.1")).status, ParseStatus::complete);
}

}  // namespace
}  // namespace sluice::http
