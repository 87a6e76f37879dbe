// `providers.*.retry`, `providers.*.breaker` and `server.degraded_marker`.
#include "config_test_util.h"

namespace sluice::config::config_test {
namespace {

using ::testing::ElementsAre;

// A config whose line 3 is the body of provider "p".
std::string doc(std::string_view provider, std::string_view server = "{}") {
  return std::string(R"({
  "providers": {
    "p": )") +
         std::string(provider) + R"(
  },
  "server": )" +
         std::string(server) +
         R"(,
  "projects": { "default": {} }
})";
}

TEST(ConfigResilience, RetryAndBreakerAreRead) {
  Config c = loaded(doc(R"({ "kind": "openai", "base_url": "http://h",
      "retry": { "attempts": 4, "base_ms": 50, "cap_ms": 800, "max_wait_ms": 3000,
                 "budget_ratio": 0.1, "budget_min": 2, "budget_window_ms": 5000 },
      "breaker": { "failures": 7, "window_ms": 20000, "cooldown_ms": 9000 } })",
                        R"({ "degraded_marker": "<<DEGRADED>>" })"));
  const Provider& p = c.providers.at(0);
  EXPECT_EQ(p.retry, (Retry{4, 50, 800, 3000, 0.1, 2, 5000}));
  EXPECT_EQ(p.breaker, (Breaker{7, 20000, 9000}));
  EXPECT_EQ(c.server.degraded_marker, "<<DEGRADED>>");
}

TEST(ConfigResilience, DefaultsAreSensible) {
  Config c = loaded(doc(R"({ "kind": "openai", "base_url": "http://h" })"));
  const Provider& p = c.providers.at(0);
  EXPECT_EQ(p.retry, Retry{});
  EXPECT_EQ(p.retry.attempts, 2u);
  EXPECT_EQ(p.retry.budget_ratio, 0.2);
  EXPECT_EQ(p.breaker, Breaker{});
  EXPECT_EQ(c.server.degraded_marker, "[SLUICE_PROVIDER_DEGRADED]");
}

TEST(ConfigResilience, ZeroAttemptsIsAnError) {
  EXPECT_THAT(
      errors_of(doc(R"({ "kind": "openai", "base_url": "http://h", "retry": { "attempts": 0 } })")),
      ElementsAre("t.json:3:77: /providers/p/retry/attempts: must be between 1 and 10"));
}

TEST(ConfigResilience, BudgetRatioAboveOneIsAnError) {
  EXPECT_THAT(
      errors_of(
          doc(R"({ "kind": "openai", "base_url": "http://h", "retry": { "budget_ratio": 1.5 } })")),
      ElementsAre("t.json:3:81: /providers/p/retry/budget_ratio: must be between 0 and 1 "
                  "(a share of the requests)"));
}

TEST(ConfigResilience, CapBelowBaseIsAnError) {
  EXPECT_THAT(
      errors_of(doc(
          R"({ "kind": "openai", "base_url": "http://h", "retry": { "base_ms": 500, "cap_ms": 100 } })")),
      ElementsAre("t.json:3:91: /providers/p/retry/cap_ms: cap_ms must not be below "
                  "base_ms (500)"));
}

TEST(ConfigResilience, UnknownBreakerFieldIsReported) {
  EXPECT_THAT(errors_of(doc(
                  R"({ "kind": "openai", "base_url": "http://h", "breaker": { "failure": 3 } })")),
              ElementsAre("t.json:3:67: /providers/p/breaker/failure: unknown field \"failure\" "
                          "(did you mean \"failures\"?)"));
}

TEST(ConfigResilience, ZeroFailuresIsAnError) {
  EXPECT_THAT(
      errors_of(
          doc(R"({ "kind": "openai", "base_url": "http://h", "breaker": { "failures": 0 } })")),
      ElementsAre("t.json:3:79: /providers/p/breaker/failures: must be between 1 and 65535"));
}

}  // namespace
}  // namespace sluice::config::config_test
