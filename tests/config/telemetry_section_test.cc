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

TEST(ConfigTelemetry, HttpsEndpointIsRefusedWithTheReason) {
  auto e = errors_of(doc(R"("telemetry": { "otlp": { "endpoint": "https://otel.example.com" } })"));
  ASSERT_EQ(e.size(), 1u);
  EXPECT_THAT(e[0], ::testing::StartsWith(
                        "t.json:4:38: /telemetry/otlp/endpoint: only http:// is supported"));
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
