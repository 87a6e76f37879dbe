// The generic field checks: unknown, missing, wrongly typed and out-of-range fields,
// and that every error is reported, in document order.
#include "config_test_util.h"

namespace sluice::config::config_test {
namespace {

using ::testing::ElementsAre;

TEST(ConfigFieldErrors, UnknownFieldIsReportedAtItsKey) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h", "colour": 1 } },
  "projects": { "default": {} }
})"),
              ElementsAre("t.json:2:67: /providers/p/colour: unknown field \"colour\""));
}

TEST(ConfigFieldErrors, UnknownFieldSuggestsACloseName) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": {} },
  "ledger": { "flush_mss": 10 }
})"),
              ElementsAre("t.json:4:15: /ledger/flush_mss: unknown field \"flush_mss\" (did you "
                          "mean \"flush_ms\"?)"));
}

TEST(ConfigFieldErrors, UnknownTopLevelField) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": {} },
  "provider": {}
})"),
              ElementsAre("t.json:4:3: /provider: unknown field \"provider\" (did you mean "
                          "\"providers\"?)"));
}

TEST(ConfigFieldErrors, WrongTypeNamesTheExpectedType) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": { "weight": "3" } }
})"),
              ElementsAre("t.json:3:40: /projects/default/weight: expected an integer, got a "
                          "string"));
}

TEST(ConfigFieldErrors, ObjectWhereAnObjectIsExpected) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": [] }
})"),
              ElementsAre("t.json:3:28: /projects/default: expected an object, got an array"));
}

TEST(ConfigFieldErrors, MissingRequiredFieldPointsAtTheEnclosingObject) {
  EXPECT_THAT(errors_of(R"({
  "providers": {
    "p": { "kind": "openai" }
  },
  "projects": { "default": {} }
})"),
              ElementsAre("t.json:3:10: /providers/p: missing required field \"base_url\""));
}

TEST(ConfigFieldErrors, MissingTopLevelSectionsPointAtTheDocument) {
  EXPECT_THAT(errors_of("\n{}"), ElementsAre("t.json:2:1: missing required field \"providers\"",
                                             "t.json:2:1: missing required field \"projects\""));
}

TEST(ConfigFieldErrors, IntegerBelowMinimum) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": { "weight": 0 } }
})"),
              ElementsAre("t.json:3:40: /projects/default/weight: must be at least 1"));
}

TEST(ConfigFieldErrors, IntegerAboveMaximumNamesTheRange) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": {} },
  "ledger": { "flush_ms": 60001 }
})"),
              ElementsAre("t.json:4:27: /ledger/flush_ms: must be between 1 and 60000"));
}

TEST(ConfigFieldErrors, IntegerTooBigForThirtyTwoBits) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": { "priority": 4294967296 } }
})"),
              ElementsAre("t.json:3:42: /projects/default/priority: must be between 0 and "
                          "4294967295"));
}

TEST(ConfigFieldErrors, NegativeIntegerIsOutOfRange) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": { "limits": { "requests_per_minute": -5 } } }
})"),
              ElementsAre("t.json:3:65: /projects/default/limits/requests_per_minute: must be at "
                          "least 0"));
}

TEST(ConfigFieldErrors, FractionIsNotAnInteger) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": { "weight": 1.5 } }
})"),
              ElementsAre("t.json:3:40: /projects/default/weight: expected an integer, got a "
                          "fractional number"));
}

TEST(ConfigFieldErrors, IntegralExponentIsAnInteger) {
  Config c = loaded(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h",
                        "limits": { "tokens_per_minute": 2e6 } } },
  "projects": { "default": {} }
})");
  EXPECT_EQ(c.providers[0].limits.tokens_per_minute, 2000000u);
}

TEST(ConfigFieldErrors, NegativeNumberIsOutOfRange) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": { "budget": { "usd_per_day": -0.5 } } }
})"),
              ElementsAre("t.json:3:57: /projects/default/budget/usd_per_day: must be at least 0"));
}

TEST(ConfigFieldErrors, BudgetFinerThanANanoDollarIsRefused) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": { "budget": { "usd_per_month": 0.1234567891 } } }
})"),
              ElementsAre("t.json:3:59: /projects/default/budget/usd_per_month: more than 9 "
                          "decimal places (amounts are exact to 0.000000001)"));
}

TEST(ConfigFieldErrors, BudgetIsExactNanoDollars) {
  Config c = loaded(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h" } },
  "projects": { "default": { "budget": { "usd_per_day": 0.3, "usd_per_month": 12.000000001 } } }
})");
  EXPECT_EQ(c.projects[0].budget.nusd_per_day, 300'000'000);
  EXPECT_EQ(c.projects[0].budget.nusd_per_month, 12'000'000'001);
}

TEST(ConfigFieldErrors, EmptyStringIsRefused) {
  EXPECT_THAT(errors_of(R"({
  "providers": { "p": { "kind": "openai", "base_url": "http://h", "ca_file": "" } },
  "projects": { "default": {} }
})"),
              ElementsAre("t.json:2:78: /providers/p/ca_file: must not be empty"));
}

TEST(ConfigFieldErrors, EveryErrorIsReportedInDocumentOrder) {
  EXPECT_THAT(
      errors_of(R"({
  "shards": 0,
  "providers": {
    "p": { "kind": "grpc", "base_url": "ftp://h", "mystery": true }
  },
  "projects": { "default": { "weight": -1 } },
  "ledger": { "path": 7 }
})"),
      ElementsAre("t.json:2:13: /shards: must be between 1 and 1024",
                  "t.json:4:20: /providers/p/kind: unknown kind \"grpc\" (expected \"openai\", "
                  "\"anthropic\" or \"gemini\")",
                  "t.json:4:40: /providers/p/base_url: invalid URL: scheme must be http or https",
                  "t.json:4:51: /providers/p/mystery: unknown field \"mystery\"",
                  "t.json:6:40: /projects/default/weight: must be at least 1",
                  "t.json:7:23: /ledger/path: expected a string, got a number"));
}

TEST(ConfigFieldErrors, ErrorsInsideAWrongSectionDoNotCascade) {
  // A section of the wrong type is one error, not one per field it should have had.
  EXPECT_THAT(errors_of(R"({
  "providers": "openai",
  "projects": { "default": {} }
})"),
              ElementsAre("t.json:2:16: /providers: expected an object, got a string"));
}

TEST(ConfigFieldErrors, UnreadableFileIsOneErrorAtZeroZero) {
  LoadResult r = load_file("/nonexistent/sluice.json");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_FALSE(r.config.has_value());
  EXPECT_EQ(r.errors[0].to_string(),
            "/nonexistent/sluice.json:0:0: cannot read: No such file or directory");
}

TEST(ConfigFieldErrors, ErrorsNameTheFileGiven) {
  LoadResult r = load_text("{}", "/etc/sluice/sluice.json");
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].file, "/etc/sluice/sluice.json");
  EXPECT_EQ(r.errors[0].line, 1);
  EXPECT_EQ(r.errors[0].column, 1);
  EXPECT_EQ(r.errors[0].pointer, "");
}

}  // namespace
}  // namespace sluice::config::config_test
