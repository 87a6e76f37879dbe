// The telemetry section: OTLP export settings and their errors, with exact locations.
#include "config_test_util.h"

namespace sluice::config::config_test {
namespace {

using ::testing::ElementsAre;

constexpr std::string_view kHead = R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": {} },
)";

std::string doc(std::string_view line4) { return std::string(kHead) + std::string(line4) + "\n}"; }

TEST(ConfigTelemetry, OffWhenAbsent) {
  Config c = loaded(doc(R"("keys": [])"));
  EXPECT_EQ(c.telemetry, Telemetry{});
  EXPECT_TRUE(c.telemetry.otlp.endpoint.empty());
}

TEST(ConfigTelemetry, OtlpEndpointAndSettingsAreRead) {
  Config c = loaded(doc(R"("telemetry": { "otlp": { "endpoint": "http://127.0.0.1:4318/otel",
    "batch_ms": 200, "max_queue": 64, "timeout_ms": 1500, "service_name": "gw-eu" } })"));
  const Otlp& o = c.telemetry.otlp;
  EXPECT_EQ(o.endpoint, "http://127.0.0.1:4318/otel");
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 4318);
  EXPECT_EQ(o.base_path, "/otel");
  EXPECT_EQ(o.batch_ms, 200u);
  EXPECT_EQ(o.max_queue, 64u);
  EXPECT_EQ(o.timeout_ms, 1500u);
  EXPECT_EQ(o.service_name, "gw-eu");
}

TEST(ConfigTelemetry, DefaultsApplyBesideTheEndpoint) {
  Config c = loaded(doc(R"("telemetry": { "otlp": { "endpoint": "http://localhost:4318" } })"));
  EXPECT_EQ(c.telemetry.otlp.batch_ms, 1000u);
  EXPECT_EQ(c.telemetry.otlp.max_queue, 2048u);
  EXPECT_EQ(c.telemetry.otlp.service_name, "sluice");
}

TEST(ConfigTelemetry, EndpointIsRequired) {
  EXPECT_THAT(errors_of(doc(R"("telemetry": { "otlp": { "batch_ms": 100 } })")),
              ElementsAre("t.json:4:24: /telemetry/otlp: missing required field \"endpoint\""));
}

TEST(ConfigTelemetry, HttpsEndpointWithHeadersAndCaptureIsRead) {
  Config c = loaded(
      doc(R"("telemetry": { "otlp": { "endpoint": "https://cloud.langfuse.com/api/public/otel",
    "headers_env": "LANGFUSE_OTLP_HEADERS", "max_queue_bytes": 1048576, "max_retries": 2,
    "capture_content": true, "max_content_bytes": 1000 } })"));
  const Otlp& o = c.telemetry.otlp;
  EXPECT_TRUE(o.tls);
  EXPECT_EQ(o.host, "cloud.langfuse.com");
  EXPECT_EQ(o.port, 443);
  EXPECT_EQ(o.base_path, "/api/public/otel");
  EXPECT_EQ(o.headers_env, "LANGFUSE_OTLP_HEADERS");
  EXPECT_EQ(o.max_queue_bytes, 1048576u);
  EXPECT_EQ(o.max_retries, 2u);
  EXPECT_TRUE(c.telemetry.otlp.capture_content);
  EXPECT_EQ(c.telemetry.otlp.max_content_bytes, 1000u);
  EXPECT_FALSE(c.telemetry.otlp.some_project_captures);
}

TEST(ConfigTelemetry, ContentCaptureIsOffByDefaultAndPerProject) {
  Config c = loaded(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "a": { "telemetry": { "capture_content": true } }, "b": {} },
  "telemetry": { "otlp": { "endpoint": "http://h:1" } }
})");
  EXPECT_FALSE(c.telemetry.otlp.capture_content);
  EXPECT_EQ(c.telemetry.otlp.max_content_bytes, 65536u);
  EXPECT_EQ(c.project("a")->capture_content, std::optional<bool>(true));
  EXPECT_EQ(c.project("b")->capture_content, std::nullopt);
  EXPECT_TRUE(c.telemetry.otlp.some_project_captures);
}

TEST(ConfigTelemetry, HeadersAreNeverInlineAndComeFromOneSource) {
  auto e = errors_of(
      doc(R"("telemetry": { "otlp": { "endpoint": "https://h", "headers": "Authorization=x" } })"));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_THAT(e[0], ::testing::HasSubstr("/telemetry/otlp/headers: headers carry secrets"));
  EXPECT_EQ(e[0].find("Authorization=x"), std::string::npos);
  e = errors_of(doc(
      R"("telemetry": { "otlp": { "endpoint": "https://h", "headers_env": "A", "headers_file": "f" } })"));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_THAT(e[0], ::testing::HasSubstr("set only one of"));
}

TEST(ConfigTelemetry, OtherSchemesAndCaFileWithoutTlsAreRefused) {
  auto e = errors_of(doc(R"("telemetry": { "otlp": { "endpoint": "ftp://h" } })"));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_THAT(e[0], ::testing::StartsWith("t.json:4:38: /telemetry/otlp/endpoint: "));
  e = errors_of(
      doc(R"("telemetry": { "otlp": { "endpoint": "http://h:1", "ca_file": "/x.pem" } })"));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_THAT(e[0], ::testing::HasSubstr("ca_file needs an https:// endpoint"));
}

TEST(ConfigTelemetry, MalformedEndpointIsRefused) {
  auto e = errors_of(doc(R"("telemetry": { "otlp": { "endpoint": "127.0.0.1:4318" } })"));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_THAT(e[0], ::testing::StartsWith("t.json:4:38: /telemetry/otlp/endpoint: "));
}

TEST(ConfigTelemetry, RangesAndUnknownFieldsAreReported) {
  EXPECT_THAT(
      errors_of(doc(
          R"("telemetry": { "otlp": { "endpoint": "http://h:1", "batch_ms": 5, "maxqueue": 1 } })")),
      ElementsAre("t.json:4:64: /telemetry/otlp/batch_ms: must be between 10 and 60000",
                  ::testing::StartsWith(
                      "t.json:4:67: /telemetry/otlp/maxqueue: unknown field \"maxqueue\"")));
  EXPECT_THAT(
      errors_of(doc(R"("telemetry": { "otel": {} })")),
      ElementsAre(::testing::StartsWith("t.json:4:16: /telemetry/otel: unknown field \"otel\"")));
}

}  // namespace
}  // namespace sluice::config::config_test
