// Export headers in the OTEL_EXPORTER_OTLP_HEADERS form, and loading them from an
// environment variable or a file without a value ever reaching an error message.
#include "sluice/telemetry/otlp_headers.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "sluice/config/config.h"

namespace sluice::telemetry {
namespace {

HeaderList ok(std::string_view text) {
  HeaderList out;
  std::string error;
  EXPECT_TRUE(parse_otlp_headers(text, out, error)) << error;
  return out;
}

std::string error_of(std::string_view text) {
  HeaderList out = {{"keep", "me"}};
  std::string error;
  EXPECT_FALSE(parse_otlp_headers(text, out, error)) << text;
  EXPECT_EQ(out, (HeaderList{{"keep", "me"}}));  // untouched on failure
  return error;
}

TEST(OtlpHeaders, PairsAreSplitTrimmedAndPercentDecoded) {
  EXPECT_EQ(ok("Authorization=Basic%20cGstbGYtMTpzay1sZi0y,x-team = ml "),
            (HeaderList{{"Authorization", "Basic cGstbGYtMTpzay1sZi0y"}, {"x-team", "ml"}}));
  // '=' inside a value (base64 padding) stays; '+' is not a space in this format.
  EXPECT_EQ(ok("a=x==,b=1+2"), (HeaderList{{"a", "x=="}, {"b", "1+2"}}));
  EXPECT_EQ(ok("k=%2C%3d%25"), (HeaderList{{"k", ",=%"}}));
  EXPECT_EQ(ok("k="), (HeaderList{{"k", ""}}));
}

TEST(OtlpHeaders, EmptyEntriesAndLineBreaksSeparate) {
  EXPECT_EQ(ok(""), HeaderList{});
  EXPECT_EQ(ok(" , ,"), HeaderList{});
  EXPECT_EQ(ok("a=1\r\nb=2\n\n"), (HeaderList{{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(ok(",a=1,,"), (HeaderList{{"a", "1"}}));
}

TEST(OtlpHeaders, MalformedEntriesAreRefusedWithoutTheirValue) {
  EXPECT_EQ(error_of("a=1,novalue"),
            "header entry 2 has no '=' (the form is key=value,key2=value2)");
  EXPECT_EQ(error_of("=secret"), "header entry 1 has no key before '='");
  EXPECT_EQ(error_of("bad key=secret"), "header entry 1: the key is not a valid header name");
  std::string e = error_of("Authorization=Basic%2secret");
  EXPECT_EQ(e,
            "header entry 1 (Authorization): a '%' in the value is not followed by two hex digits");
  EXPECT_EQ(error_of("x=abc%"),
            "header entry 1 (x): a '%' in the value is not followed by two hex digits");
  // A decoded CR or LF would end the header line and start one of the client's choosing.
  e = error_of("x=secret%0d%0aHost:%20evil");
  EXPECT_EQ(e, "header entry 1 (x): the value holds a control character");
  EXPECT_EQ(e.find("secret"), std::string::npos);
  EXPECT_EQ(error_of("x=a%00b"), "header entry 1 (x): the value holds a control character");
}

TEST(OtlpHeaders, HeadersTheExporterSetsAreRefused) {
  EXPECT_EQ(error_of("Content-Length=5"), "header entry 1: Content-Length is set by sluice itself");
  EXPECT_EQ(error_of("a=1,HOST=x"), "header entry 2: HOST is set by sluice itself");
  error_of("content-encoding=br");
  error_of("Transfer-Encoding=chunked");
}

TEST(OtlpHeaders, HeaderLinesAreWrittenInOrder) {
  EXPECT_EQ(header_lines({{"Authorization", "Basic x"}, {"x-a", ""}}),
            "Authorization: Basic x\r\nx-a: \r\n");
}

TEST(OtlpHeaders, LoadedFromAnEnvironmentVariable) {
  config::Otlp c;
  HeaderList out;
  std::string error;
  EXPECT_TRUE(load_otlp_headers(c, out, error));  // none configured
  EXPECT_TRUE(out.empty());
  c.headers_env = "SLUICE_TEST_OTLP_HEADERS";
  unsetenv("SLUICE_TEST_OTLP_HEADERS");
  EXPECT_FALSE(load_otlp_headers(c, out, error));
  EXPECT_EQ(error, "environment variable SLUICE_TEST_OTLP_HEADERS is not set");
  setenv("SLUICE_TEST_OTLP_HEADERS", "Authorization=Basic%20abc", 1);
  ASSERT_TRUE(load_otlp_headers(c, out, error)) << error;
  EXPECT_EQ(out, (HeaderList{{"Authorization", "Basic abc"}}));
  setenv("SLUICE_TEST_OTLP_HEADERS", "Authorization=topsecret%0a", 1);
  EXPECT_FALSE(load_otlp_headers(c, out, error));
  EXPECT_EQ(error.find("topsecret"), std::string::npos);
  EXPECT_NE(error.find("SLUICE_TEST_OTLP_HEADERS"), std::string::npos);
  unsetenv("SLUICE_TEST_OTLP_HEADERS");
}

TEST(OtlpHeaders, LoadedFromAFileOrTheCredentialsDirectory) {
  char dir[] = "/tmp/otlp-headers-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/otlp-headers";
  std::ofstream(path) << "Authorization=Basic%20cGs6c2s=\nx-scope=prod\n";
  config::Otlp c;
  c.headers_file = path;
  HeaderList out;
  std::string error;
  ASSERT_TRUE(load_otlp_headers(c, out, error)) << error;
  EXPECT_EQ(out, (HeaderList{{"Authorization", "Basic cGs6c2s="}, {"x-scope", "prod"}}));
  c.headers_file = "otlp-headers";  // a bare name: systemd's credentials directory
  setenv("CREDENTIALS_DIRECTORY", dir, 1);
  ASSERT_TRUE(load_otlp_headers(c, out, error)) << error;
  EXPECT_EQ(out.size(), 2u);
  unsetenv("CREDENTIALS_DIRECTORY");
  c.headers_file = path + ".missing";
  EXPECT_FALSE(load_otlp_headers(c, out, error));
  EXPECT_EQ(error, "cannot read headers_file " + path + ".missing");
  std::ofstream(path) << "\n";
  c.headers_file = path;
  EXPECT_FALSE(load_otlp_headers(c, out, error));
  EXPECT_EQ(error, "headers_file " + path + " holds no header");
  unlink(path.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace sluice::telemetry
