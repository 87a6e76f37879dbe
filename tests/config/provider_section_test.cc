// `providers`: kinds, base_url, credentials by reference only, timeouts and pools.
#include <unistd.h>

#include <fstream>

#include "config_test_util.h"

namespace sluice::config::config_test {
namespace {

using ::testing::ElementsAre;

// A config whose line 3 is the body of provider "p".
std::string doc(std::string_view provider) {
  return std::string(R"({
  "providers": {
    "p": )") +
         std::string(provider) + R"(
  },
  "projects": { "default": {} }
})";
}

TEST(ConfigProviders, FieldsAreRead) {
  Config c = loaded(doc(R"({ "kind": "anthropic", "base_url": "https://api.anthropic.com",
      "api_key_env": "ANTHROPIC_API_KEY", "ca_file": "/etc/ca.pem", "chars_per_token": 3.5,
      "limits": { "requests_per_minute": 50, "tokens_per_minute": 40000, "concurrent_requests": 8 },
      "timeouts": { "connect_ms": 1, "tls_handshake_ms": 2, "first_byte_ms": 3, "idle_ms": 4,
                    "total_ms": 5 },
      "pool": { "max_idle_per_shard": 0, "idle_timeout_ms": 6, "max_requests_per_conn": 7 } })"));
  ASSERT_EQ(c.providers.size(), 1u);
  const Provider& p = c.providers[0];
  EXPECT_EQ(p.name, "p");
  EXPECT_EQ(p.kind, ProviderKind::anthropic);
  EXPECT_EQ(p.api_key_env, "ANTHROPIC_API_KEY");
  EXPECT_EQ(p.ca_file, "/etc/ca.pem");
  EXPECT_EQ(p.chars_per_token, 3.5);
  EXPECT_EQ(p.limits, (Limits{50, 40000, 8}));
  EXPECT_EQ(p.timeouts, (Timeouts{1, 2, 3, 4, 5}));
  EXPECT_EQ(p.pool, (Pool{0, 6, 7}));
}

TEST(ConfigProviders, DefaultsApplyToOmittedFields) {
  Config c = loaded(doc(R"({ "kind": "gemini", "base_url": "https://g.example" })"));
  const Provider& p = c.providers.at(0);
  EXPECT_EQ(p.kind, ProviderKind::gemini);
  EXPECT_EQ(p.api_key_env, "");
  EXPECT_EQ(p.api_key_file, "");
  EXPECT_EQ(p.chars_per_token, 4.0);
  EXPECT_EQ(p.timeouts, Timeouts{});
  EXPECT_EQ(p.pool, Pool{});
}

TEST(ConfigProviders, BaseUrlIsSplitIntoItsParts) {
  Config c = loaded(doc(R"({ "kind": "openai", "base_url": "HTTPS://Api.Example.com:8443/v1/" })"));
  const Provider& p = c.providers.at(0);
  EXPECT_EQ(p.base_url, "HTTPS://Api.Example.com:8443/v1/");
  EXPECT_EQ(p.scheme, "https");
  EXPECT_EQ(p.host, "api.example.com");
  EXPECT_EQ(p.port, 8443);
  EXPECT_EQ(p.base_path, "/v1");
}

TEST(ConfigProviders, KindIsRequired) {
  EXPECT_THAT(errors_of(doc(R"({ "base_url": "http://h" })")),
              ElementsAre("t.json:3:10: /providers/p: missing required field \"kind\""));
}

TEST(ConfigProviders, UnknownKindIsRefused) {
  EXPECT_THAT(errors_of(doc(R"({ "kind": "OpenAI", "base_url": "http://h" })")),
              ElementsAre("t.json:3:20: /providers/p/kind: unknown kind \"OpenAI\" (expected "
                          "\"openai\", \"anthropic\" or \"gemini\")"));
}

TEST(ConfigProviders, BadBaseUrlSaysWhy) {
  EXPECT_THAT(errors_of(doc(R"({ "kind": "openai", "base_url": "http://user:pw@h/v1" })")),
              ElementsAre("t.json:3:42: /providers/p/base_url: invalid URL: must not contain "
                          "credentials (user@host); use api_key_env or api_key_file"));
}

TEST(ConfigProviders, ApiKeyInTheConfigIsRefusedAsASecret) {
  EXPECT_THAT(errors_of(doc(R"({ "kind": "openai", "base_url": "http://h", "api_key": "sk-1" })")),
              ElementsAre("t.json:3:54: /providers/p/api_key: secrets do not belong in the "
                          "config file: name an environment variable with \"api_key_env\" or a "
                          "file with \"api_key_file\""));
}

TEST(ConfigProviders, ApiKeyFileIsRead) {
  Config c =
      loaded(doc(R"({ "kind": "openai", "base_url": "http://h", "api_key_file": "openai-key" })"));
  EXPECT_EQ(c.providers.at(0).api_key_file, "openai-key");
}

TEST(ConfigProviders, ApiKeyEnvAndFileTogetherAreRefused) {
  EXPECT_THAT(
      errors_of(doc(
          R"({ "kind": "openai", "base_url": "http://h", "api_key_file": "f", "api_key_env": "E" })")),
      ElementsAre("t.json:3:75: /providers/p/api_key_env: set only one of "
                  "\"api_key_env\" and \"api_key_file\""));
}

TEST(ConfigProviders, ApiKeyEnvMustBeAVariableName) {
  EXPECT_THAT(
      errors_of(doc(R"({ "kind": "openai", "base_url": "http://h", "api_key_env": "1KEY" })")),
      ElementsAre("t.json:3:69: /providers/p/api_key_env: expected an environment "
                  "variable name (letters, digits and '_', not starting with a digit)"));
}

TEST(ConfigProviders, CharsPerTokenMustBePositive) {
  EXPECT_THAT(
      errors_of(doc(R"({ "kind": "openai", "base_url": "http://h", "chars_per_token": 0 })")),
      ElementsAre("t.json:3:73: /providers/p/chars_per_token: must be greater than 0"));
}

TEST(ConfigProviders, TimeoutsMustBePositive) {
  EXPECT_THAT(errors_of(doc(
                  R"({ "kind": "openai", "base_url": "http://h", "timeouts": { "idle_ms": 0 } })")),
              ElementsAre("t.json:3:79: /providers/p/timeouts/idle_ms: must be at least 1"));
}

TEST(ConfigProviders, UnknownTimeoutIsRefused) {
  EXPECT_THAT(errors_of(doc(
                  R"({ "kind": "openai", "base_url": "http://h", "timeouts": { "idel_ms": 1 } })")),
              ElementsAre("t.json:3:68: /providers/p/timeouts/idel_ms: unknown field \"idel_ms\" "
                          "(did you mean \"idle_ms\"?)"));
}

TEST(ConfigProviders, AtLeastOneProviderIsRequired) {
  EXPECT_THAT(errors_of(R"({
  "providers": {},
  "projects": { "default": {} }
})"),
              ElementsAre("t.json:2:16: /providers: must have at least one provider"));
}

TEST(ConfigProviders, ProvidersKeepFileOrderAndAreFoundByName) {
  Config c = loaded(R"({
  "providers": { "z": { "kind": "openai", "base_url": "http://z" },
                 "a": { "kind": "gemini", "base_url": "http://a" } },
  "projects": { "default": {} }
})");
  ASSERT_EQ(c.providers.size(), 2u);
  EXPECT_EQ(c.providers[0].name, "z");
  EXPECT_EQ(c.providers[1].name, "a");
  ASSERT_NE(c.provider("a"), nullptr);
  EXPECT_EQ(c.provider("a")->host, "a");
  EXPECT_EQ(c.provider("b"), nullptr);
}

TEST(ConfigProviders, DefaultPriceIsReadLikeAModelPrice) {
  Config c = loaded(doc(R"({ "kind": "openai", "base_url": "http://h",
      "default_price": { "input_per_mtok": 5, "output_per_mtok": 15 } })"));
  const Price& p = c.providers[0].default_price;
  EXPECT_TRUE(p.set);
  EXPECT_EQ(p.input_nusd_per_mtok, 5'000'000'000);
  EXPECT_EQ(p.output_nusd_per_mtok, 15'000'000'000);
  EXPECT_EQ(p.cached_input_nusd_per_mtok, 5'000'000'000);
  EXPECT_FALSE(loaded(doc(R"({ "kind": "openai", "base_url": "http://h" })"))
                   .providers[0]
                   .default_price.set);
  EXPECT_THAT(
      errors_of(doc(
          R"({ "kind": "openai", "base_url": "http://h", "default_price": { "input_per_mtok": 1 } })")),
      ElementsAre(
          "t.json:3:71: /providers/p/default_price: missing required field \"output_per_mtok\""));
}

// A config file on disk, removed at the end of the test.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text) {
    char name[] = "/tmp/sluice-config-XXXXXX";
    int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    path_ = name;
    std::ofstream(path_) << text;
  }
  ~ConfigFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ConfigProviders, ACaFileThatIsNoCertificateFailsTheConfigFile) {
  ConfigFile not_pem("not a certificate\n");
  ConfigFile cfg(doc(R"({ "kind": "openai", "base_url": "https://h", "ca_file": ")" +
                     not_pem.path() + R"(" })"));
  LoadResult r = load_file(cfg.path());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].pointer, "/providers/p/ca_file");
  EXPECT_EQ(r.errors[0].line, 3);
  EXPECT_THAT(r.errors[0].message, ::testing::HasSubstr("no PEM certificate"));
}

TEST(ConfigProviders, AMissingCaFileFailsTheConfigFile) {
  ConfigFile cfg(
      doc(R"({ "kind": "openai", "base_url": "https://h", "ca_file": "/nonexistent/ca.pem" })"));
  LoadResult r = load_file(cfg.path());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0].to_string(),
              ::testing::HasSubstr(": /providers/p/ca_file: cannot read /nonexistent/ca.pem"));
}

TEST(ConfigProviders, ConfigTextAloneDoesNotReadTheCaFile) {
  EXPECT_THAT(
      errors_of(doc(
          R"({ "kind": "openai", "base_url": "https://h", "ca_file": "/nonexistent/ca.pem" })")),
      ::testing::IsEmpty());
}

}  // namespace
}  // namespace sluice::config::config_test
