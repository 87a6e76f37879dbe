// The admission section and the burst fields of limits (docs/LIMITS.md).
#include "config_test_util.h"

namespace sluice::config::config_test {
namespace {

using ::testing::ElementsAre;

constexpr std::string_view kHead = R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": {} },
)";

std::string doc(std::string_view line4) { return std::string(kHead) + std::string(line4) + "\n}"; }

TEST(ConfigAdmission, DefaultsApplyWhenAbsent) {
  Config c = loaded(doc(R"("keys": [])"));
  EXPECT_EQ(c.admission.tick_ms, 5u);
  EXPECT_EQ(c.admission.default_max_output_tokens, 1024u);
}

TEST(ConfigAdmission, FieldsAreRead) {
  Config c = loaded(doc(R"("admission": { "tick_ms": 2, "default_max_output_tokens": 256 })"));
  EXPECT_EQ(c.admission.tick_ms, 2u);
  EXPECT_EQ(c.admission.default_max_output_tokens, 256u);
}

TEST(ConfigAdmission, TickOutOfRangeIsReportedAtTheField) {
  EXPECT_THAT(errors_of(doc(R"("admission": { "tick_ms": 0 })")),
              ElementsAre("t.json:4:27: /admission/tick_ms: must be between 1 and 1000"));
  EXPECT_THAT(errors_of(doc(R"("admission": { "tick": 5 })")).size(), 1u);
}

TEST(ConfigAdmission, BurstsAreReadOnLimits) {
  Config c = loaded(std::string(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h",
                        "limits": { "requests_per_minute": 600, "burst_requests": 20,
                                    "tokens_per_minute": 9000, "burst_tokens": 3000 } } },
  "projects": { "default": {} }
})"));
  EXPECT_EQ(c.providers[0].limits.burst_requests, 20u);
  EXPECT_EQ(c.providers[0].limits.burst_tokens, 3000u);
}

TEST(ConfigAdmission, BadBurstIsReportedWithItsPointer) {
  EXPECT_THAT(
      errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": { "limits": { "burst_requests": -1 } } }
})"),
      ElementsAre("t.json:3:60: /projects/default/limits/burst_requests: must be at least 0"));
}

}  // namespace
}  // namespace sluice::config::config_test
