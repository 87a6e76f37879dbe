// `models` and `projects`: targets, fallbacks, prices, shares, budgets and queues.
#include "config_test_util.h"

namespace sluice::config::config_test {
namespace {

using ::testing::ElementsAre;

// Providers "a" and "b" and project "default" on lines 2-3; the text under test
// starts on line 4.
std::string doc(std::string_view rest) {
  return std::string(R"({
  "providers": { "a": { "kind": "openai", "base_url": "http://a" },
                 "b": { "kind": "anthropic", "base_url": "http://b" } },
)") + std::string(rest) +
         "\n}";
}

constexpr std::string_view kProjects = R"(,
  "projects": { "default": {} })";

TEST(ConfigModels, TargetsFallbacksPriceAndLimitsAreRead) {
  Config c = loaded(doc(R"(  "models": {
    "m": { "targets": [{ "provider": "a", "model": "m-1", "weight": 3 },
                       { "provider": "b", "model": "m-2" }],
           "fallbacks": ["n"],
           "price": { "input_per_mtok": 2.5, "output_per_mtok": 10, "cached_input_per_mtok": 1.25 },
           "limits": { "concurrent_requests": 4 } },
    "n": { "targets": [{ "provider": "b", "model": "n-1" }] }
  })" + std::string(kProjects)));
  ASSERT_EQ(c.models.size(), 2u);
  const Model& m = c.models[0];
  EXPECT_EQ(m.alias, "m");
  EXPECT_EQ(m.targets, (std::vector<Target>{{"a", "m-1", 3}, {"b", "m-2", 1}}));
  EXPECT_EQ(m.fallbacks, std::vector<std::string>{"n"});
  EXPECT_EQ(m.price, (Price{2'500'000'000, 10'000'000'000, 1'250'000'000, true}));
  EXPECT_EQ(m.limits.concurrent_requests, 4u);
  EXPECT_FALSE(c.models[1].price.set);
  EXPECT_EQ(c.model("n"), &c.models[1]);
  EXPECT_EQ(c.model("x"), nullptr);
}

TEST(ConfigModels, TranslationOptionsDefaultToDropAnd4096) {
  Config c = loaded(doc(R"(  "models": {
    "m": { "targets": [{ "provider": "b", "model": "m" }] },
    "n": { "targets": [{ "provider": "b", "model": "n" }], "default_max_tokens": 1024,
           "unsupported_params": "refuse" },
    "o": { "targets": [{ "provider": "b", "model": "o" }], "unsupported_params": "drop" }
  })" + std::string(kProjects)));
  EXPECT_EQ(c.models.at(0).default_max_tokens, 4096u);
  EXPECT_FALSE(c.models.at(0).refuse_unsupported);
  EXPECT_EQ(c.models.at(1).default_max_tokens, 1024u);
  EXPECT_TRUE(c.models.at(1).refuse_unsupported);
  EXPECT_FALSE(c.models.at(2).refuse_unsupported);
}

TEST(ConfigModels, UnsupportedParamsIsDropOrRefuse) {
  EXPECT_THAT(
      errors_of(doc(
          R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }], "unsupported_params": "warn" } })" +
          std::string(kProjects))),
      ElementsAre("t.json:4:92: /models/m/unsupported_params: must be \"drop\" or \"refuse\""));
}

TEST(ConfigModels, DefaultMaxTokensMustBePositive) {
  EXPECT_THAT(
      errors_of(doc(
          R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }], "default_max_tokens": 0 } })" +
          std::string(kProjects))),
      ElementsAre("t.json:4:92: /models/m/default_max_tokens: must be between 1 and 16777216"));
}

TEST(ConfigModels, ModelsMayComeBeforeTheProvidersTheyName) {
  Config c = loaded(R"({
  "models": { "m": { "targets": [{ "provider": "late", "model": "m" }] } },
  "projects": { "default": {} },
  "providers": { "late": { "kind": "openai", "base_url": "http://l" } }
})");
  EXPECT_EQ(c.models.at(0).targets.at(0).provider, "late");
}

TEST(ConfigModels, CachedPriceDefaultsToTheInputPrice) {
  Config c = loaded(doc(R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }],
    "price": { "input_per_mtok": 3, "output_per_mtok": 15 } } })" +
                        std::string(kProjects)));
  EXPECT_EQ(c.models.at(0).price.cached_input_nusd_per_mtok, 3'000'000'000);
}

TEST(ConfigModels, TargetNamingAnUnknownProviderIsRefused) {
  EXPECT_THAT(
      errors_of(doc(R"(  "models": { "m": { "targets": [{ "provider": "c", "model": "m" }] } })" +
                    std::string(kProjects))),
      ElementsAre("t.json:4:48: /models/m/targets/0/provider: unknown provider \"c\""));
}

TEST(ConfigModels, TargetsMustNotBeEmpty) {
  EXPECT_THAT(errors_of(doc(R"(  "models": { "m": { "targets": [] } })" + std::string(kProjects))),
              ElementsAre("t.json:4:33: /models/m/targets: must have at least one target"));
}

TEST(ConfigModels, TargetWeightMustBeAtLeastOne) {
  EXPECT_THAT(
      errors_of(doc(
          R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m", "weight": 0 }] } })" +
          std::string(kProjects))),
      ElementsAre("t.json:4:77: /models/m/targets/0/weight: must be at least 1"));
}

TEST(ConfigModels, FallbackToItselfIsRefused) {
  EXPECT_THAT(
      errors_of(doc(
          R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }], "fallbacks": ["m"] } })" +
          std::string(kProjects))),
      ElementsAre("t.json:4:84: /models/m/fallbacks/0: a model cannot fall back to itself"));
}

TEST(ConfigModels, FallbackToAnUnknownAliasIsRefused) {
  EXPECT_THAT(
      errors_of(doc(
          R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }], "fallbacks": ["gpt-5"] } })" +
          std::string(kProjects))),
      ElementsAre("t.json:4:84: /models/m/fallbacks/0: unknown model alias \"gpt-5\""));
}

TEST(ConfigModels, NegativePriceIsRefused) {
  EXPECT_THAT(errors_of(doc(R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }],
    "price": { "input_per_mtok": 1, "output_per_mtok": -2 } } })" +
                            std::string(kProjects))),
              ElementsAre("t.json:5:56: /models/m/price/output_per_mtok: must be at least 0"));
}

TEST(ConfigModels, PricesAreExactNanoDollarsPerMillionTokens) {
  // Read from the decimal text, not through a double: 0.1 + 0.2 stays 0.3.
  Config c = loaded(doc(R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }],
    "price": { "input_per_mtok": 0.1, "output_per_mtok": 0.000000001,
               "cached_input_per_mtok": 2e-1 } } })" +
                        std::string(kProjects)));
  const Price& p = c.models.at(0).price;
  EXPECT_EQ(p.input_nusd_per_mtok, 100'000'000);
  EXPECT_EQ(p.output_nusd_per_mtok, 1);
  EXPECT_EQ(p.cached_input_nusd_per_mtok, 200'000'000);
  EXPECT_EQ(p.input_nusd_per_mtok + p.cached_input_nusd_per_mtok, 300'000'000);
}

TEST(ConfigModels, PriceFinerThanANanoDollarPerMillionIsRefused) {
  EXPECT_THAT(errors_of(doc(R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }],
    "price": { "input_per_mtok": 0.0000000001, "output_per_mtok": 1 } } })" +
                            std::string(kProjects))),
              ElementsAre("t.json:5:34: /models/m/price/input_per_mtok: more than 9 decimal "
                          "places (amounts are exact to 0.000000001)"));
}

TEST(ConfigModels, PriceBeyondWhatIntegersHoldIsRefused) {
  EXPECT_THAT(errors_of(doc(R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }],
    "price": { "input_per_mtok": 1e12, "output_per_mtok": 1 } } })" +
                            std::string(kProjects))),
              ElementsAre("t.json:5:34: /models/m/price/input_per_mtok: too large (at most "
                          "9223372036.854775807)"));
}

TEST(ConfigModels, PriceNeedsInputAndOutput) {
  EXPECT_THAT(errors_of(doc(R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }],
    "price": { "input_per_mtok": 1 } } })" +
                            std::string(kProjects))),
              ElementsAre("t.json:5:14: /models/m/price: missing required field "
                          "\"output_per_mtok\""));
}

TEST(ConfigProjects, FieldsAreRead) {
  Config c = loaded(doc(R"(  "models": { "m": { "targets": [{ "provider": "a", "model": "m" }] } },
  "projects": {
    "prod": { "weight": 3, "priority": 0, "limits": { "tokens_per_minute": 1000 },
              "budget": { "usd_per_day": 50, "usd_per_month": 1000.5 },
              "queue": { "max_wait_ms": 30000, "max_length": 20 },
              "model_limits": { "m": { "requests_per_minute": 60 } } },
    "lab": { "priority": 2 }
  })"));
  ASSERT_EQ(c.projects.size(), 2u);
  const Project& p = c.projects[0];
  EXPECT_EQ(p.name, "prod");
  EXPECT_EQ(p.weight, 3u);
  EXPECT_EQ(p.limits.tokens_per_minute, 1000u);
  EXPECT_EQ(p.budget, (Budget{50'000'000'000, 1'000'500'000'000}));
  EXPECT_EQ(p.queue.max_wait_ms, 30000u);
  EXPECT_EQ(p.queue.max_length, 20u);
  EXPECT_EQ(p.model_limits.at("m").requests_per_minute, 60u);
  EXPECT_EQ(c.project("lab"), &c.projects[1]);
  EXPECT_EQ(c.projects[1].weight, 1u);
  EXPECT_EQ(c.projects[1].priority, 2u);
  EXPECT_EQ(c.projects[1].queue.max_wait_ms, 0u);
}

TEST(ConfigProjects, AtLeastOneProjectIsRequired) {
  EXPECT_THAT(errors_of(doc(R"(  "projects": {})")),
              ElementsAre("t.json:4:15: /projects: must have at least one project"));
}

TEST(ConfigProjects, ModelLimitsMustNameAnExistingAlias) {
  EXPECT_THAT(errors_of(doc(R"(  "projects": { "p": { "model_limits": { "nope": {} } } })")),
              ElementsAre("t.json:4:42: /projects/p/model_limits/nope: unknown model alias "
                          "\"nope\""));
}

TEST(ConfigProjects, UnknownQueueFieldIsRefused) {
  EXPECT_THAT(errors_of(doc(R"(  "projects": { "p": { "queue": { "max_wait": 5 } } })")),
              ElementsAre("t.json:4:35: /projects/p/queue/max_wait: unknown field \"max_wait\" "
                          "(did you mean \"max_wait_ms\"?)"));
}

}  // namespace
}  // namespace sluice::config::config_test
