// sluice-load's command line (tools/load/load_options.h) and URL parsing (target.h).

#include "load_options.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "target.h"

namespace sluice::load {
namespace {

ParseOutcome parse(std::initializer_list<const char*> args, LoadOptions& out, std::string& msg) {
  std::vector<char*> argv{const_cast<char*>("sluice-load")};
  for (const char* a : args) argv.push_back(const_cast<char*>(a));
  return parse_options(static_cast<int>(argv.size()), argv.data(), out, msg);
}

TEST(LoadOptions, DefaultsToATenSecondClosedLoop) {
  LoadOptions o;
  std::string msg;
  ASSERT_EQ(parse({"--url", "http://127.0.0.1:9000"}, o, msg), ParseOutcome::run) << msg;
  EXPECT_EQ(o.duration_s, 10.0);
  EXPECT_EQ(o.requests, 0u);
  EXPECT_EQ(o.rate, 0.0);
  EXPECT_EQ(o.connections, 64u);
  EXPECT_EQ(o.api, ApiKind::openai_chat);
}

TEST(LoadOptions, ReadsEveryRequestOption) {
  LoadOptions o;
  std::string msg;
  ASSERT_EQ(parse({"--url=http://h:1",
                   "--api",
                   "anthropic",
                   "--stream",
                   "--model",
                   "m",
                   "--key",
                   "k",
                   "--max-tokens",
                   "9",
                   "--prompt-bytes",
                   "100",
                   "--header",
                   "x-a: 1",
                   "-H",
                   "x-b:2",
                   "--rate",
                   "12.5",
                   "--requests",
                   "40",
                   "--warmup",
                   "500ms",
                   "--threads",
                   "3",
                   "--connections",
                   "7",
                   "--fail-on-error",
                   "--no-progress"},
                  o, msg),
            ParseOutcome::run)
      << msg;
  EXPECT_EQ(o.api, ApiKind::anthropic);
  EXPECT_TRUE(o.stream);
  EXPECT_EQ(o.model, "m");
  EXPECT_EQ(o.key, "k");
  EXPECT_EQ(o.max_tokens, 9u);
  EXPECT_EQ(o.prompt_bytes, 100u);
  ASSERT_EQ(o.headers.size(), 2u);
  EXPECT_EQ(o.headers[0].name, "x-a");
  EXPECT_EQ(o.headers[0].value, "1");
  EXPECT_EQ(o.headers[1].value, "2");
  EXPECT_EQ(o.rate, 12.5);
  EXPECT_EQ(o.requests, 40u);
  EXPECT_DOUBLE_EQ(o.warmup_s, 0.5);
  EXPECT_EQ(o.threads, 3u);
  EXPECT_EQ(o.connections, 7u);
  EXPECT_TRUE(o.fail_on_error);
  EXPECT_EQ(o.progress, ProgressMode::off);
}

TEST(LoadOptions, BadValuesSayWhichOptionAndWhy) {
  LoadOptions o;
  std::string msg;
  EXPECT_EQ(parse({"--url", "http://h", "--connections", "0"}, o, msg), ParseOutcome::exit_error);
  EXPECT_NE(msg.find("--connections"), std::string::npos) << msg;
  EXPECT_EQ(parse({"--url", "http://h", "--api", "cohere"}, o, msg), ParseOutcome::exit_error);
  EXPECT_NE(msg.find("--api"), std::string::npos) << msg;
  EXPECT_EQ(parse({"--url", "http://h", "--header", "no colon"}, o, msg), ParseOutcome::exit_error);
  EXPECT_EQ(parse({"--url", "http://h", "--rate", "-1"}, o, msg), ParseOutcome::exit_error);
  EXPECT_EQ(parse({"--url", "http://h", "--bogus", "1"}, o, msg), ParseOutcome::exit_error);
  EXPECT_NE(msg.find("unknown option --bogus"), std::string::npos) << msg;
  EXPECT_EQ(parse({"--url"}, o, msg), ParseOutcome::exit_error);
  EXPECT_EQ(parse({"--url", "http://h", "--stream=yes"}, o, msg), ParseOutcome::exit_error);
}

TEST(LoadOptions, UrlIsRequired) {
  LoadOptions o;
  std::string msg;
  EXPECT_EQ(parse({"--requests", "5"}, o, msg), ParseOutcome::exit_error);
  EXPECT_NE(msg.find("--url"), std::string::npos);
}

TEST(LoadOptions, DurationAndRequestsExcludeEachOther) {
  LoadOptions o;
  std::string msg;
  EXPECT_EQ(parse({"--url", "http://h", "--duration", "5", "--requests", "5"}, o, msg),
            ParseOutcome::exit_error);
}

TEST(LoadOptions, HelpAndVersionExitCleanly) {
  LoadOptions o;
  std::string msg;
  EXPECT_EQ(parse({"--help"}, o, msg), ParseOutcome::exit_ok);
  EXPECT_NE(msg.find("--rate"), std::string::npos);
  EXPECT_EQ(parse({"--version"}, o, msg), ParseOutcome::exit_ok);
  EXPECT_NE(msg.find("sluice-load"), std::string::npos);
}

TEST(LoadOptions, DurationsTakeUnits) {
  double s = 0;
  ASSERT_TRUE(parse_duration("10", s));
  EXPECT_EQ(s, 10);
  ASSERT_TRUE(parse_duration("250ms", s));
  EXPECT_DOUBLE_EQ(s, 0.25);
  ASSERT_TRUE(parse_duration("2m", s));
  EXPECT_EQ(s, 120);
  ASSERT_TRUE(parse_duration("1h", s));
  EXPECT_EQ(s, 3600);
  EXPECT_FALSE(parse_duration("ten", s));
  EXPECT_FALSE(parse_duration("-1s", s));
  EXPECT_FALSE(parse_duration("", s));
}

TEST(LoadTarget, ParsesHostPortAndPrefix) {
  Target t;
  std::string err;
  ASSERT_TRUE(parse_url("http://127.0.0.1:8080/anthropic/", t, err)) << err;
  EXPECT_FALSE(t.tls);
  EXPECT_EQ(t.host, "127.0.0.1");
  EXPECT_EQ(t.port, 8080);
  EXPECT_EQ(t.base_path, "/anthropic");
  EXPECT_EQ(t.host_header, "127.0.0.1:8080");
}

TEST(LoadTarget, DefaultPortsFollowTheScheme) {
  Target t;
  std::string err;
  ASSERT_TRUE(parse_url("https://api.example.com", t, err));
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.port, 443);
  EXPECT_EQ(t.base_path, "");
  ASSERT_TRUE(parse_url("http://example.com", t, err));
  EXPECT_EQ(t.port, 80);
}

TEST(LoadTarget, Ipv6LiteralKeepsBracketsOnlyInHost) {
  Target t;
  std::string err;
  ASSERT_TRUE(parse_url("http://[::1]:9000", t, err)) << err;
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.port, 9000);
  EXPECT_EQ(t.host_header, "[::1]:9000");
  ASSERT_TRUE(resolve(t, err)) << err;
  EXPECT_EQ(t.addr.ss_family, AF_INET6);
}

TEST(LoadTarget, RejectsWhatIsNotABaseUrl) {
  Target t;
  std::string err;
  EXPECT_FALSE(parse_url("ftp://h", t, err));
  EXPECT_FALSE(parse_url("http://", t, err));
  EXPECT_FALSE(parse_url("http://h:0", t, err));
  EXPECT_FALSE(parse_url("http://h:99999", t, err));
  EXPECT_FALSE(parse_url("http://h:80/v1?x=1", t, err));
  EXPECT_FALSE(parse_url("http://user:pw@h", t, err));
  EXPECT_FALSE(parse_url("http://h:", t, err));
}

}  // namespace
}  // namespace sluice::load
