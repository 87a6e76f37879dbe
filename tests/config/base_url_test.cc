// parse_base_url: what a provider's base_url may be and how it is split.
#include "sluice/config/base_url.h"

#include <gtest/gtest.h>

namespace sluice::config {
namespace {

BaseUrl parsed(std::string_view url) {
  BaseUrl out;
  std::string error;
  EXPECT_TRUE(parse_base_url(url, out, error)) << url << ": " << error;
  return out;
}

std::string refusal(std::string_view url) {
  BaseUrl out;
  std::string error;
  EXPECT_FALSE(parse_base_url(url, out, error)) << url;
  return error;
}

TEST(BaseUrl, HttpsDefaultsToPort443AndEmptyPath) {
  BaseUrl u = parsed("https://api.anthropic.com");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "api.anthropic.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.base_path, "");
}

TEST(BaseUrl, HttpDefaultsToPort80) { EXPECT_EQ(parsed("http://example.com/v1").port, 80); }

TEST(BaseUrl, ExplicitPortAndPathAreKept) {
  BaseUrl u = parsed("http://127.0.0.1:9000/v1");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 9000);
  EXPECT_EQ(u.base_path, "/v1");
}

TEST(BaseUrl, TrailingSlashesAreDropped) {
  EXPECT_EQ(parsed("https://h/openai/v1//").base_path, "/openai/v1");
  EXPECT_EQ(parsed("https://h/").base_path, "");
}

TEST(BaseUrl, SchemeAndHostAreLowercased) {
  BaseUrl u = parsed("HTTPS://API.OpenAI.com/V1");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "api.openai.com");
  EXPECT_EQ(u.base_path, "/V1");  // paths are case-sensitive
}

TEST(BaseUrl, BracketedIpv6IsUnbracketed) {
  BaseUrl u = parsed("http://[::1]:8000/v1");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8000);
  EXPECT_EQ(u.base_path, "/v1");
  EXPECT_EQ(parsed("https://[2001:db8::7]").port, 443);
}

TEST(BaseUrl, RefusesOtherSchemes) {
  EXPECT_EQ(refusal("ftp://h"), "scheme must be http or https");
  EXPECT_EQ(refusal("unix:///run/x.sock"), "scheme must be http or https");
}

TEST(BaseUrl, RefusesAUrlWithoutScheme) {
  EXPECT_EQ(refusal("api.openai.com/v1"),
            "expected http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]");
}

TEST(BaseUrl, RefusesMissingHost) {
  EXPECT_EQ(refusal("http:///v1"), "has no host");
  EXPECT_EQ(refusal("http://:80"), "has no host");
}

TEST(BaseUrl, RefusesBadPorts) {
  EXPECT_EQ(refusal("http://h:0"), "port must be between 1 and 65535");
  EXPECT_EQ(refusal("http://h:65536"), "port must be between 1 and 65535");
  EXPECT_EQ(refusal("http://h:"), "port must be between 1 and 65535");
  EXPECT_EQ(refusal("http://h:8o"), "port must be between 1 and 65535");
  EXPECT_EQ(parsed("http://h:65535").port, 65535);
}

TEST(BaseUrl, RefusesUnbracketedIpv6) {
  EXPECT_EQ(refusal("http://::1:8000/v1"),
            "IPv6 address must be in brackets, e.g. http://[::1]:8000");
}

TEST(BaseUrl, RefusesBadIpv6Literals) {
  EXPECT_EQ(refusal("http://[::g]/"), "invalid IPv6 address");
  EXPECT_EQ(refusal("http://[::1/"), "IPv6 address has no closing ']'");
  EXPECT_EQ(refusal("http://[::1]x/"), "expected ':PORT' after the IPv6 address");
}

TEST(BaseUrl, RefusesCredentialsQueriesAndFragments) {
  EXPECT_EQ(refusal("https://sk-123@h/v1"),
            "must not contain credentials (user@host); use api_key_env or api_key_file");
  EXPECT_EQ(refusal("https://h/v1?key=x"), "must not contain a query or fragment");
  EXPECT_EQ(refusal("https://h/v1#x"), "must not contain a query or fragment");
}

TEST(BaseUrl, RefusesSpacesAndOddHostCharacters) {
  EXPECT_EQ(refusal("https://h/v 1"), "must not contain spaces or control characters");
  EXPECT_EQ(refusal("https://h%41/"), "invalid character in host");
}

TEST(BaseUrl, LeavesOutputUntouchedOnRefusal) {
  BaseUrl u;
  u.host = "kept";
  std::string error;
  EXPECT_FALSE(parse_base_url("https://h:99999", u, error));
  EXPECT_EQ(u.host, "kept");
}

}  // namespace
}  // namespace sluice::config
