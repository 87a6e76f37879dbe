#include "sluice/relay/upstream_request.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::relay {
namespace {

class UpstreamRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    origin_.host_header = "api.openai.com";
    provider_.kind = config::ProviderKind::openai;
    provider_.base_path = "/v1";
  }

  // The upstream request for a client request of these header lines.
  std::string build(const std::string& header_lines, std::string_view client_addr = "192.0.2.7") {
    text_ = "POST /v1/chat/completions HTTP/1.1\r\nHost: sluice\r\n" + header_lines +
            "Content-Length: 2\r\n\r\n{}";
    http::RequestLimits limits;
    EXPECT_EQ(http::parse_request_head(text_, limits, head_).status, http::ParseStatus::complete);
    return build_upstream_request(head_, origin_, provider_, "/chat/completions", "{}",
                                  "Authorization: Bearer sk-provider\r\n", "req-1", client_addr);
  }

  static bool has_line(const std::string& request, const std::string& line) {
    return request.find("\r\n" + line + "\r\n") != std::string::npos;
  }
  static size_t count(const std::string& request, const std::string& name) {
    size_t n = 0;
    for (size_t at = request.find("\r\n" + name); at != std::string::npos;
         at = request.find("\r\n" + name, at + 1))
      ++n;
    return n;
  }

  upstream::Origin origin_;
  config::Provider provider_;
  std::string text_;
  http::RequestHead head_;
};

TEST_F(UpstreamRequestTest, HeadersTheClientsConnectionNamesAreDropped) {
  std::string up = build(
      "Connection: keep-alive, X-Hop-A ,x-hop-b\r\nX-Hop-A: 1\r\n"
      "X-Hop-B: 2\r\nX-End-To-End: 3\r\n");
  EXPECT_EQ(count(up, "X-Hop-A"), 0u);
  EXPECT_EQ(count(up, "X-Hop-B"), 0u);
  EXPECT_EQ(count(up, "Connection"), 0u);
  EXPECT_TRUE(has_line(up, "X-End-To-End: 3"));
}

TEST_F(UpstreamRequestTest, BrowserAndProxyStateAndAccountSelectorsAreDropped) {
  std::string up = build(
      "Cookie: a=b\r\nForwarded: for=6.6.6.6\r\nOpenAI-Organization: org-x\r\n"
      "OpenAI-Project: proj_x\r\n");
  for (const char* name : {"Cookie", "Forwarded", "OpenAI-Organization", "OpenAI-Project"})
    EXPECT_EQ(count(up, name), 0u) << name;
}

TEST_F(UpstreamRequestTest, XForwardedForIsThePeerAndReplacesTheClients) {
  std::string up = build("X-Forwarded-For: 6.6.6.6, 10.0.0.1\r\n");
  EXPECT_EQ(count(up, "X-Forwarded-For"), 1u);
  EXPECT_TRUE(has_line(up, "X-Forwarded-For: 192.0.2.7"));
  EXPECT_EQ(count(build("", ""), "X-Forwarded-For"), 0u);
}

TEST_F(UpstreamRequestTest, ProviderIsAskedForIdentityWhateverTheClientAccepts) {
  std::string up = build("Accept-Encoding: gzip, deflate, br\r\n");
  EXPECT_EQ(count(up, "Accept-Encoding"), 1u);
  EXPECT_TRUE(has_line(up, "Accept-Encoding: identity"));
}

TEST_F(UpstreamRequestTest, OneRequestIdTheGatewaysOwn) {
  std::string up = build("x-request-id: client-chosen\r\n");
  EXPECT_EQ(count(up, "x-request-id"), 1u);
  EXPECT_TRUE(has_line(up, "x-request-id: req-1"));
}

}  // namespace
}  // namespace sluice::relay
