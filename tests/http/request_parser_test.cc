// Specification of the HTTP/1.1 request head parser (RFC 9112 and the
// request-smuggling defences of DESIGN.md, stage 1).

#include "sluice/http/request_parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

namespace sluice::http {
namespace {

struct Parsed {
  RequestParse result;
  RequestHead head;
};

// Heap-allocated: a RequestHead holds kMaxHeaders views.
std::unique_ptr<Parsed> parse(std::string_view buf, const RequestLimits& limits = {}) {
  auto p = std::make_unique<Parsed>();
  p->result = parse_request_head(buf, limits, p->head);
  return p;
}

void expect_error(std::string_view buf, RequestError e, const RequestLimits& limits = {}) {
  const auto p = parse(buf, limits);
  EXPECT_EQ(p->result.status, ParseStatus::error) << buf;
  EXPECT_EQ(p->result.error, e) << buf;
}

void expect_complete(std::string_view buf, const RequestLimits& limits = {}) {
  const auto p = parse(buf, limits);
  EXPECT_EQ(p->result.status, ParseStatus::complete) << buf;
  EXPECT_EQ(p->result.error, RequestError::none) << buf;
}

constexpr std::string_view kGet = "GET /v1/models HTTP/1.1\r\nHost: gw\r\n\r\n";

// ---- the happy path ----

TEST(RequestParser, ParsesRequestLineAndHeaders) {
  const auto p = parse("POST /v1/chat/completions HTTP/1.1\r\nHost: api\r\nX-A: 1\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.method, "POST");
  EXPECT_EQ(p->head.target, "/v1/chat/completions");
  EXPECT_EQ(p->head.version_minor, 1);
  ASSERT_EQ(p->head.header_count, 2u);
  EXPECT_EQ(p->head.headers[0].name, "Host");
  EXPECT_EQ(p->head.headers[0].value, "api");
  EXPECT_EQ(p->head.headers[1].name, "X-A");
  EXPECT_EQ(p->head.headers[1].value, "1");
}

TEST(RequestParser, ViewsPointIntoTheBuffer) {
  const std::string buf = "GET /a?b=c HTTP/1.1\r\nHost: h\r\n\r\n";
  const auto p = parse(buf);
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  const auto inside = [&](std::string_view v) {
    return v.data() >= buf.data() && v.data() + v.size() <= buf.data() + buf.size();
  };
  EXPECT_TRUE(inside(p->head.method));
  EXPECT_TRUE(inside(p->head.target));
  EXPECT_TRUE(inside(p->head.path));
  EXPECT_TRUE(inside(p->head.query));
  EXPECT_TRUE(inside(p->head.headers[0].name));
  EXPECT_TRUE(inside(p->head.headers[0].value));
  EXPECT_EQ(p->head.target.data(), buf.data() + 4);
}

TEST(RequestParser, SplitsPathAndQuery) {
  const auto p =
      parse("GET /v1beta/models/x:generateContent?key=k&alt=sse HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.path, "/v1beta/models/x:generateContent");
  EXPECT_EQ(p->head.query, "key=k&alt=sse");
}

TEST(RequestParser, QueryIsEmptyWithoutQuestionMark) {
  const auto p = parse(kGet);
  EXPECT_EQ(p->head.path, "/v1/models");
  EXPECT_TRUE(p->head.query.empty());
}

TEST(RequestParser, StripsOptionalWhitespaceAroundValues) {
  const auto p = parse("GET / HTTP/1.1\r\nHost:  h \t\r\nX-Empty:\r\nX-In: a  b\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.header("host"), "h");
  EXPECT_EQ(p->head.header("x-empty"), "");
  EXPECT_TRUE(p->head.has_header("X-EMPTY"));
  EXPECT_EQ(p->head.header("x-in"), "a  b");
}

TEST(RequestParser, HeaderLookupIsCaseInsensitiveAndReturnsFirst) {
  const auto p = parse("GET / HTTP/1.1\r\nHost: h\r\nX-Dup: one\r\nx-dup: two\r\n\r\n");
  EXPECT_EQ(p->head.header("X-DUP"), "one");
  EXPECT_FALSE(p->head.has_header("x-missing"));
  EXPECT_TRUE(p->head.header("x-missing").empty());
}

TEST(RequestParser, IequalsFoldsOnlyLetters) {
  EXPECT_TRUE(iequals("Content-Length", "content-length"));
  EXPECT_FALSE(iequals("a", "ab"));
  // '@' | 0x20 == '`': folding must not make them equal.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[", "{"));
}

TEST(RequestParser, AcceptsObsTextAndTabInValues) {
  const auto p = parse("GET / HTTP/1.1\r\nHost: h\r\nX-U: caf\xc3\xa9\tau lait\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.header("x-u"), "caf\xc3\xa9\tau lait");
}

TEST(RequestParser, AcceptsExtensionMethods) {
  const auto p = parse("PROPFIND / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.method, "PROPFIND");
}

TEST(RequestParser, ToleratesEmptyLinesBeforeRequestLine) {
  const std::string buf = "\r\n\r\n" + std::string(kGet);
  const auto p = parse(buf);
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.method, "GET");
  EXPECT_EQ(p->head.head_bytes, buf.size());
}

TEST(RequestParser, AcceptsAbsoluteForm) {
  const auto p =
      parse("GET http://gw.example:8080/v1/models?x=1 HTTP/1.1\r\nHost: gw.example:8080\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.target, "http://gw.example:8080/v1/models?x=1");
  EXPECT_EQ(p->head.path, "/v1/models");
  EXPECT_EQ(p->head.query, "x=1");
}

TEST(RequestParser, AcceptsAsteriskFormForOptions) {
  const auto p = parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.path, "*");
}

TEST(RequestParser, RejectsAsteriskFormForOtherMethods) {
  expect_error("GET * HTTP/1.1\r\nHost: h\r\n\r\n", RequestError::bad_request);
}

TEST(RequestParser, AcceptsAuthorityFormForConnect) {
  const auto p = parse("CONNECT api.openai.com:443 HTTP/1.1\r\nHost: api.openai.com:443\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.target, "api.openai.com:443");
  EXPECT_TRUE(p->head.path.empty());
}

TEST(RequestParser, RejectsOriginFormForConnect) {
  expect_error("CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n", RequestError::bad_request);
}

TEST(RequestParser, RejectsRelativeTarget) {
  expect_error("GET v1/models HTTP/1.1\r\nHost: h\r\n\r\n", RequestError::bad_request);
}

TEST(RequestParser, ReusedHeadIsReset) {
  RequestHead head;
  ASSERT_EQ(
      parse_request_head("POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: x\r\n\r\n", {}, head)
          .status,
      ParseStatus::complete);
  ASSERT_EQ(parse_request_head(kGet, {}, head).status, ParseStatus::complete);
  EXPECT_EQ(head.body, BodyKind::none);
  EXPECT_EQ(head.content_length, 0u);
  EXPECT_EQ(head.version_minor, 1);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(head.header_count, 1u);
}

// ---- versions and keep-alive ----

TEST(RequestParser, Http11KeepsAliveByDefault) { EXPECT_TRUE(parse(kGet)->head.keep_alive); }

TEST(RequestParser, Http11ConnectionCloseEndsKeepAlive) {
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")->head.keep_alive);
}

TEST(RequestParser, ConnectionCloseIsFoundInAList) {
  EXPECT_FALSE(
      parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n")->head.keep_alive);
}

TEST(RequestParser, Http10ClosesByDefault) {
  const auto p = parse("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.version_minor, 0);
  EXPECT_FALSE(p->head.keep_alive);
}

TEST(RequestParser, Http10ConnectionKeepAliveKeepsAlive) {
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")->head.keep_alive);
}

TEST(RequestParser, Http10WithoutHostIsAccepted) { expect_complete("GET / HTTP/1.0\r\n\r\n"); }

TEST(RequestParser, LaterHttp1MinorIsHandledAsHttp11) {
  const auto p = parse("GET / HTTP/1.7\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.version_minor, 1);
}

TEST(RequestParser, RejectsHttp2With505) {
  expect_error("GET / HTTP/2.0\r\nHost: h\r\n\r\n", RequestError::version_not_supported);
}

TEST(RequestParser, RejectsHttp09With505) {
  expect_error("GET / HTTP/0.9\r\n\r\n", RequestError::version_not_supported);
}

TEST(RequestParser, RejectsMalformedVersion) {
  expect_error("GET / HTTP/1.10\r\nHost: h\r\n\r\n", RequestError::bad_request);
  expect_error("GET / http/1.1\r\nHost: h\r\n\r\n", RequestError::bad_request);
  expect_error("GET / HTTP/1\r\nHost: h\r\n\r\n", RequestError::bad_request);
  expect_error("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", RequestError::bad_request);
  expect_error("GET /\r\nHost: h\r\n\r\n", RequestError::bad_request);
}

// ---- bodies, Expect, pipelining ----

TEST(RequestParser, ContentLengthFramesTheBody) {
  const auto p = parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 42\r\n\r\n");
  EXPECT_EQ(p->head.body, BodyKind::content_length);
  EXPECT_EQ(p->head.content_length, 42u);
}

TEST(RequestParser, ZeroContentLengthIsAnEmptyBody) {
  const auto p = parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(p->head.body, BodyKind::content_length);
  EXPECT_EQ(p->head.content_length, 0u);
}

TEST(RequestParser, NoFramingMeansNoBody) { EXPECT_EQ(parse(kGet)->head.body, BodyKind::none); }

TEST(RequestParser, ChunkedFramesTheBody) {
  const auto p = parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(p->head.body, BodyKind::chunked);
}

TEST(RequestParser, TransferCodingNameIsCaseInsensitive) {
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: Chunked\r\n\r\n")->head.body,
            BodyKind::chunked);
}

TEST(RequestParser, ReportsExpect100Continue) {
  EXPECT_TRUE(
      parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-Continue\r\n\r\n")
          ->head.expect_continue);
  EXPECT_FALSE(parse(kGet)->head.expect_continue);
}

TEST(RequestParser, IgnoresExpect100ContinueOnHttp10) {
  EXPECT_FALSE(parse("POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                   ->head.expect_continue);
}

TEST(RequestParser, HeadBytesIsWhereTheBodyBegins) {
  const std::string buf = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  const auto p = parse(buf);
  ASSERT_EQ(p->result.status, ParseStatus::complete);
  EXPECT_EQ(buf.substr(p->head.head_bytes), "hello");
}

TEST(RequestParser, ParsesPipelinedRequestsOneAfterAnother) {
  const std::string buf =
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
      "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  std::string_view rest = buf;
  const auto a = parse(rest);
  ASSERT_EQ(a->result.status, ParseStatus::complete);
  EXPECT_EQ(a->head.target, "/a");
  rest.remove_prefix(a->head.head_bytes);
  const auto b = parse(rest);
  ASSERT_EQ(b->result.status, ParseStatus::complete);
  EXPECT_EQ(b->head.target, "/b");
  rest.remove_prefix(b->head.head_bytes + b->head.content_length);
  const auto c = parse(rest);
  ASSERT_EQ(c->result.status, ParseStatus::complete);
  EXPECT_EQ(c->head.target, "/c");
  EXPECT_FALSE(c->head.keep_alive);
  EXPECT_EQ(c->head.head_bytes, rest.size());
}

TEST(RequestParser, IncompleteUntilTheEmptyLine) {
  const auto p = parse("GET / HTTP/1.1\r\nHost: h\r\n");
  EXPECT_EQ(p->result.status, ParseStatus::incomplete);
  EXPECT_EQ(p->result.error, RequestError::none);
  EXPECT_EQ(parse("")->result.status, ParseStatus::incomplete);
}

// Every head, valid or not, fed as a growing receive buffer: each proper prefix is
// `incomplete` (or, for a bad head, already the same error), then the whole head
// gives exactly what it gives unsplit.
TEST(RequestParser, HeadSplitAtEveryOffsetGivesIncompleteThenTheSameResult) {
  const std::string heads[] = {
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\n"
      "Content-Length: 120\r\nExpect: 100-continue\r\nConnection: keep-alive\r\n\r\n",
      "\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET / HTTP/2.0\r\n\r\n",
  };
  for (const std::string& head : heads) {
    const auto whole = parse(head);
    ASSERT_NE(whole->result.status, ParseStatus::incomplete) << head;
    for (size_t n = 0; n < head.size(); ++n) {
      const auto part = parse(std::string_view(head).substr(0, n));
      if (part->result.status == ParseStatus::error) {
        EXPECT_EQ(whole->result.status, ParseStatus::error) << head << " at " << n;
        EXPECT_EQ(part->result.error, whole->result.error) << head << " at " << n;
      } else {
        EXPECT_EQ(part->result.status, ParseStatus::incomplete) << head << " at " << n;
      }
    }
    // The whole head copied into a fresh buffer parses identically.
    const std::string copy = head;
    const auto again = parse(copy);
    EXPECT_EQ(again->result.status, whole->result.status);
    EXPECT_EQ(again->result.error, whole->result.error);
    EXPECT_EQ(again->head.head_bytes, whole->head.head_bytes);
    EXPECT_EQ(again->head.header_count, whole->head.header_count);
    EXPECT_EQ(again->head.keep_alive, whole->head.keep_alive);
  }
}

TEST(RequestParser, ValidHeadPrefixesAreNeverErrors) {
  const std::string head =
      "\r\nPOST /v1/x?a=b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n";
  for (size_t n = 0; n < head.size(); ++n) {
    EXPECT_EQ(parse(std::string_view(head).substr(0, n))->result.status, ParseStatus::incomplete)
        << n;
  }
  EXPECT_EQ(parse(head)->result.status, ParseStatus::complete);
}

// ---- limits ----

TEST(RequestParser, RejectsHeadOverTheLimitWith431) {
  RequestLimits limits;
  limits.max_head_bytes = 64;
  expect_error("GET / HTTP/1.1\r\nHost: h\r\nX-Long: " + std::string(60, 'a') + "\r\n\r\n",
               RequestError::header_too_large, limits);
}

TEST(RequestParser, RejectsUnfinishedHeadThatAlreadyFillsTheLimitWith431) {
  RequestLimits limits;
  limits.max_head_bytes = 64;
  expect_error("GET / HTTP/1.1\r\nHost: h\r\nX-Long: " + std::string(60, 'a'),
               RequestError::header_too_large, limits);
}

TEST(RequestParser, AcceptsHeadExactlyAtTheLimit) {
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestLimits limits;
  limits.max_head_bytes = head.size();
  expect_complete(head, limits);
  limits.max_head_bytes = head.size() - 1;
  expect_error(head, RequestError::header_too_large, limits);
}

TEST(RequestParser, RejectsMoreThanMaxHeadersWith431) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (size_t i = 1; i < kMaxHeaders; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
  expect_complete(head + "\r\n");  // exactly kMaxHeaders
  expect_error(head + "X-One-Too-Many: v\r\n\r\n", RequestError::header_too_large);
}

TEST(RequestParser, RejectsUriOverTheLimitWith414) {
  RequestLimits limits;
  limits.max_uri_bytes = 32;
  expect_error("GET /" + std::string(32, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n",
               RequestError::uri_too_long, limits);
}

TEST(RequestParser, RejectsUriOverTheLimitBeforeItEnds) {
  RequestLimits limits;
  limits.max_uri_bytes = 32;
  expect_error("GET /" + std::string(40, 'a'), RequestError::uri_too_long, limits);
}

TEST(RequestParser, AcceptsUriAtTheLimit) {
  RequestLimits limits;
  limits.max_uri_bytes = 32;
  expect_complete("GET /" + std::string(31, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", limits);
}

TEST(RequestParser, RejectsContentLengthOverTheLimitWith413) {
  RequestLimits limits;
  limits.max_body_bytes = 1000;
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n",
               RequestError::body_too_large, limits);
  expect_complete("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n", limits);
}

TEST(RequestParser, RejectsGzipChunkedWith501) {
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
               RequestError::unsupported_coding);
}

// "xchunked" is a well-formed coding name that we do not implement: 501.
TEST(RequestParser, RejectsUnknownCodingWith501) {
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n",
               RequestError::unsupported_coding);
  expect_error("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
               RequestError::unsupported_coding);
}

TEST(RequestParser, StatusAndReasonOfEachError) {
  EXPECT_EQ(status_of(RequestError::bad_request), 400);
  EXPECT_EQ(status_of(RequestError::uri_too_long), 414);
  EXPECT_EQ(status_of(RequestError::header_too_large), 431);
  EXPECT_EQ(status_of(RequestError::body_too_large), 413);
  EXPECT_EQ(status_of(RequestError::unsupported_coding), 501);
  EXPECT_EQ(status_of(RequestError::version_not_supported), 505);
  EXPECT_EQ(reason_of(RequestError::header_too_large), "Request Header Fields Too Large");
  EXPECT_EQ(reason_of(RequestError::uri_too_long), "URI Too Long");
}

}  // namespace
}  // namespace sluice::http
