// Specification of the command line's HTTP client: admin URLs, complete responses
// parsed with the gateway's own parsers, and a refused connection named clearly.

#include "sluice/cli/admin_client.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sluice/cli/commands.h"

namespace sluice::cli {
namespace {

TEST(CliAdminUrl, HostPortAndPrefix) {
  AdminUrl u;
  ASSERT_EQ(parse_admin_url("http://127.0.0.1:9090", u), "");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 9090);
  EXPECT_EQ(u.prefix, "");
  ASSERT_EQ(parse_admin_url("http://[::1]:8080/gw/", u), "");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.prefix, "/gw");
  EXPECT_EQ(to_string(u), "http://[::1]:8080/gw");
  ASSERT_EQ(parse_admin_url("http://gateway", u), "");
  EXPECT_EQ(u.port, 80);
}

TEST(CliAdminUrl, UnusableUrlsSayWhy) {
  AdminUrl u;
  EXPECT_NE(parse_admin_url("https://x", u), "");
  EXPECT_NE(parse_admin_url("ftp://x", u), "");
  EXPECT_EQ(parse_admin_url("http://:80", u), "the URL has no host");
  EXPECT_EQ(parse_admin_url("http://h:0", u), "the URL's port is out of range (1-65535)");
  EXPECT_EQ(parse_admin_url("http://h:70000", u), "the URL's port is out of range (1-65535)");
  EXPECT_EQ(parse_admin_url("http://h:8a", u), "the URL's port is not a number");
  EXPECT_EQ(parse_admin_url("http://h:", u), "empty port in the URL");
  EXPECT_NE(parse_admin_url("http://u:p@h", u), "");
  EXPECT_NE(parse_admin_url("http://h/?q", u), "");
  EXPECT_NE(parse_admin_url("http://[::1", u), "");
}

TEST(CliAdminResponse, ContentLengthBody) {
  AdminResponse r = parse_admin_response(
      "HTTP/1.1 401 Unauthorized\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, "hello");
}

TEST(CliAdminResponse, ChunkedBodyIsDecoded) {
  AdminResponse r = parse_admin_response(
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body, "abcde");
}

TEST(CliAdminResponse, BodyUntilCloseAndNoBody) {
  EXPECT_EQ(parse_admin_response("HTTP/1.0 200 OK\r\n\r\nall of it").body, "all of it");
  AdminResponse r = parse_admin_response("HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
}

TEST(CliAdminResponse, BrokenAnswersAreErrors) {
  EXPECT_EQ(parse_admin_response("").error, "the gateway closed the connection without answering");
  EXPECT_EQ(parse_admin_response("HTTP/1.1 200 OK\r\ncontent-").error,
            "the response ended inside its head");
  EXPECT_EQ(parse_admin_response("SSH-2.0-OpenSSH\r\n\r\n").error,
            "the response is not valid HTTP/1.1");
  EXPECT_EQ(parse_admin_response("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc").error,
            "the response was cut short of its Content-Length");
  EXPECT_EQ(
      parse_admin_response("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab").error,
      "the response was cut short inside its chunked body");
  EXPECT_EQ(
      parse_admin_response("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n").error,
      "the response's chunked body is malformed");
  EXPECT_NE(parse_admin_response("HTTP/1.1 200 OK\r\n\r\n0123456789", false, 10).error, "");
}

TEST(CliAdminClient, ARefusedConnectionNamesTheUrl) {
  // A port that was just free: bind, read the port, close.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  AdminUrl url;
  url.host = "127.0.0.1";
  url.port = ntohs(a.sin_port);
  AdminResponse r = send_admin_request(url, AdminRequest{});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.error, "cannot reach the gateway at http://127.0.0.1:" + std::to_string(url.port) +
                         ": Connection refused");
}

TEST(CliTargets, UsageQueryIsEncoded) {
  Invocation inv;
  inv.action = Action::usage;
  inv.from = "2026-12-01";
  inv.group_by = {"project", "model"};
  inv.project = "a b&c";
  EXPECT_EQ(request_target(inv),
            "/admin/usage?from=2026-12-01&group_by=project%2Cmodel&project=a%20b%26c");
  inv = Invocation{};
  inv.action = Action::keys_revoke;
  inv.id = "bot.1";
  EXPECT_EQ(request_target(inv), "/admin/keys/bot.1");
}

}  // namespace
}  // namespace sluice::cli

namespace sluice::cli {
namespace {

config::Listen listen_on(std::string address, uint16_t port, std::string cert = "") {
  config::Listen l;
  l.address = std::move(address);
  l.port = port;
  l.tls_cert = std::move(cert);
  return l;
}

TEST(CliAdminUrlFromConfig, AdminListenerFirstAndWildcardsAreLoopback) {
  config::Config cfg;
  cfg.listen = {listen_on("0.0.0.0", 8080)};
  AdminUrl u;
  ASSERT_EQ(admin_url_from_config(cfg, u), "");
  EXPECT_EQ(to_string(u), "http://127.0.0.1:8080");
  cfg.admin.listen = {listen_on("::", 9090)};
  ASSERT_EQ(admin_url_from_config(cfg, u), "");
  EXPECT_EQ(to_string(u), "http://[::1]:9090");
  cfg.admin.listen = {listen_on("10.0.0.5", 9091)};
  ASSERT_EQ(admin_url_from_config(cfg, u), "");
  EXPECT_EQ(to_string(u), "http://10.0.0.5:9091");
}

TEST(CliAdminUrlFromConfig, TlsPortZeroOrNoListenerNeedsUrl) {
  config::Config cfg;
  AdminUrl u;
  cfg.listen = {listen_on("127.0.0.1", 8443, "/etc/sluice/cert.pem")};
  EXPECT_NE(admin_url_from_config(cfg, u).find("TLS"), std::string::npos);
  cfg.listen = {listen_on("127.0.0.1", 0)};
  EXPECT_NE(admin_url_from_config(cfg, u).find("port is 0"), std::string::npos);
  cfg.listen.clear();
  EXPECT_NE(admin_url_from_config(cfg, u).find("give --url"), std::string::npos);
}

}  // namespace
}  // namespace sluice::cli
