#include "sluice/route/model_router.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sluice::route {
namespace {

config::Provider provider(std::string name, config::ProviderKind kind) {
  config::Provider p;
  p.name = std::move(name);
  p.kind = kind;
  return p;
}

config::Model model(std::string alias, std::vector<config::Target> targets) {
  config::Model m;
  m.alias = std::move(alias);
  m.targets = std::move(targets);
  return m;
}

std::shared_ptr<const config::Config> test_config() {
  auto c = std::make_shared<config::Config>();
  c->providers = {provider("openai", config::ProviderKind::openai),
                  provider("anthropic", config::ProviderKind::anthropic),
                  provider("gemini", config::ProviderKind::gemini),
                  provider("local", config::ProviderKind::openai),
                  provider("anthropic-eu", config::ProviderKind::anthropic)};
  c->models = {
      model("gpt-4o", {{"openai", "gpt-4o-2024-08-06", 1}}),
      model("split", {{"openai", "gpt-4o", 3}, {"local", "llama", 1}}),
      model("five-one-one", {{"openai", "a", 5}, {"local", "b", 1}, {"openai", "c", 1}}),
      model("drained", {{"openai", "a", 0}, {"local", "b", 2}}),
      model("ghost", {{"missing", "x", 1}, {"local", "y", 1}}),
      model("claude-sonnet", {{"anthropic", "claude-sonnet-4-5", 1}}),
  };
  return c;
}

config::Key key_for(std::vector<std::string> models) {
  config::Key k;
  k.id = "k";
  k.models = std::move(models);
  return k;
}

std::vector<std::string> ids(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  EXPECT_FALSE(doc.HasParseError()) << json;
  std::vector<std::string> out;
  if (doc.HasParseError()) return out;
  EXPECT_STREQ(doc["object"].GetString(), "list");
  for (const auto& m : doc["data"].GetArray()) {
    EXPECT_STREQ(m["object"].GetString(), "model");
    EXPECT_TRUE(m.HasMember("created"));
    EXPECT_TRUE(m.HasMember("owned_by"));
    out.emplace_back(m["id"].GetString());
  }
  return out;
}

TEST(ModelRouter, SingleTargetAlwaysPicked) {
  ModelRouter router(test_config());
  for (int i = 0; i < 3; ++i) {
    TargetPick p = router.pick("gpt-4o");
    ASSERT_EQ(p.error, PickError::none);
    EXPECT_EQ(p.target->model, "gpt-4o-2024-08-06");
    EXPECT_EQ(p.provider->name, "openai");
    EXPECT_EQ(p.model->alias, "gpt-4o");
    EXPECT_EQ(p.index, 0u);
  }
}

TEST(ModelRouter, UnknownAliasIsUnknownModel) {
  ModelRouter router(test_config());
  EXPECT_EQ(router.pick("gpt-5").error, PickError::unknown_model);
}

TEST(ModelRouter, WeightedTargetsFollowWeights) {
  ModelRouter router(test_config());
  std::map<std::string, int> picks;
  for (int i = 0; i < 1000; ++i) ++picks[router.pick("split").provider->name];
  EXPECT_EQ(picks["openai"], 750);
  EXPECT_EQ(picks["local"], 250);
}

// ---- headroom: "split" is openai (weight 3) and local (weight 1) -----------------------

const config::Provider* named(const ModelRouter& r, std::string_view name) {
  return r.config().provider(name);
}

TEST(ModelRouter, HeadroomNeedsEveryAccountToHaveSpoken) {
  ModelRouter router(test_config());
  router.observe(named(router, "local"), 1000, std::nullopt, 0);
  std::map<std::string, int> picks;
  for (int i = 0; i < 400; ++i) ++picks[router.pick("split").provider->name];
  EXPECT_EQ(picks["openai"], 300);  // openai never said: plain weights
  EXPECT_EQ(picks["local"], 100);
}

TEST(ModelRouter, HeadroomPrefersTheAccountWithMoreRoomTimesWeight) {
  ModelRouter router(test_config());
  router.observe(named(router, "openai"), 100, std::nullopt, 0);  // room 100 x 3
  router.observe(named(router, "local"), 1000, std::nullopt, 0);  // room 1000 x 1
  for (int i = 0; i < 10; ++i) EXPECT_EQ(router.pick("split").provider->name, "local");
  router.observe(named(router, "local"), 200, std::nullopt, 0);
  EXPECT_EQ(router.pick("split").provider->name, "openai");
}

TEST(ModelRouter, HeadroomSubtractsWhatIsInFlight) {
  ModelRouter router(test_config());
  router.observe(named(router, "openai"), 100, std::nullopt, 0);
  router.observe(named(router, "local"), 250, std::nullopt, 0);  // 250 < 300
  EXPECT_EQ(router.pick("split").provider->name, "openai");
  for (int i = 0; i < 20; ++i) router.started(named(router, "openai"));  // 80 x 3 = 240
  EXPECT_EQ(router.pick("split").provider->name, "local");
  for (int i = 0; i < 20; ++i) router.ended(named(router, "openai"));
  EXPECT_EQ(router.pick("split").provider->name, "openai");
}

TEST(ModelRouter, AnAccountPausedByA429IsSkippedUntilItsRetryAfter) {
  ModelRouter router(test_config());
  router.observe(named(router, "openai"), std::nullopt, 30000, 1000);  // paused until 31000
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(router.pick("split", ~uint64_t{0}, 2000).provider->name, "local");
  std::map<std::string, int> picks;
  for (int i = 0; i < 400; ++i) ++picks[router.pick("split", ~uint64_t{0}, 31000).provider->name];
  EXPECT_GT(picks["openai"], 250);
}

TEST(ModelRouter, EveryAccountPausedLeavesThePickToTheAttemptLoop) {
  ModelRouter router(test_config());
  router.observe(named(router, "openai"), std::nullopt, 30000, 0);
  router.observe(named(router, "local"), std::nullopt, 30000, 0);
  EXPECT_NE(router.pick("split", ~uint64_t{0}, 10).provider, nullptr);
}

TEST(ModelRouter, AProviderOfAnotherSnapshotIsIgnored) {
  ModelRouter router(test_config());
  auto other = test_config();
  router.started(&other->providers[0]);
  router.observe(&other->providers[0], 5, 1000, 0);
  router.observe(named(router, "local"), 1000, std::nullopt, 0);
  std::map<std::string, int> picks;
  for (int i = 0; i < 4; ++i) ++picks[router.pick("split").provider->name];
  EXPECT_EQ(picks["openai"], 3);  // ours never spoke: plain weights
}

TEST(ModelRouter, WeightedPicksInterleave) {
  // The smooth sequence for weights 5, 1, 1: a a b a c a a (no run of five a's).
  ModelRouter router(test_config());
  std::string seq;
  for (int i = 0; i < 14; ++i) seq += router.pick("five-one-one").target->model;
  EXPECT_EQ(seq, "aabacaaaabacaa");
}

TEST(ModelRouter, IneligibleTargetsAreSkipped) {
  ModelRouter router(test_config());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(router.pick("split", 0b10).provider->name, "local");
  }
}

TEST(ModelRouter, WeightsHoldAgainAfterTargetReturns) {
  ModelRouter router(test_config());
  for (int i = 0; i < 7; ++i) router.pick("split", 0b01);
  std::map<std::string, int> picks;
  for (int i = 0; i < 400; ++i) ++picks[router.pick("split").provider->name];
  EXPECT_EQ(picks["openai"], 300);
  EXPECT_EQ(picks["local"], 100);
}

TEST(ModelRouter, NoEligibleTargetReported) {
  ModelRouter router(test_config());
  TargetPick p = router.pick("split", 0);
  EXPECT_EQ(p.error, PickError::no_eligible_target);
  EXPECT_EQ(p.target, nullptr);
}

TEST(ModelRouter, ZeroWeightTargetNeverPicked) {
  ModelRouter router(test_config());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(router.pick("drained").target->model, "b");
}

TEST(ModelRouter, TargetOfUnconfiguredProviderSkipped) {
  ModelRouter router(test_config());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(router.pick("ghost").provider->name, "local");
}

TEST(ModelRouter, RoutersDoNotShareState) {
  auto config = test_config();
  ModelRouter shard0(config);
  ModelRouter shard1(config);
  std::string seq0;
  std::string seq1;
  for (int i = 0; i < 7; ++i) seq0 += shard0.pick("five-one-one").target->model;
  for (int i = 0; i < 7; ++i) seq1 += shard1.pick("five-one-one").target->model;
  EXPECT_EQ(seq0, seq1);
}

TEST(ModelRouter, NativeProviderIsFirstOfKind) {
  ModelRouter router(test_config());
  ProviderPick p = router.native_provider(config::ProviderKind::anthropic, "");
  ASSERT_EQ(p.error, ProviderError::none);
  EXPECT_EQ(p.provider->name, "anthropic");
}

TEST(ModelRouter, NativeProviderByHeaderName) {
  ModelRouter router(test_config());
  ProviderPick p = router.native_provider(config::ProviderKind::anthropic, "anthropic-eu");
  ASSERT_EQ(p.error, ProviderError::none);
  EXPECT_EQ(p.provider->name, "anthropic-eu");
}

TEST(ModelRouter, NativeProviderHeaderOfWrongKindIsError) {
  ModelRouter router(test_config());
  ProviderPick p = router.native_provider(config::ProviderKind::anthropic, "local");
  EXPECT_EQ(p.error, ProviderError::wrong_kind);
  EXPECT_EQ(p.provider, nullptr);
}

TEST(ModelRouter, NativeProviderUnknownNameIsError) {
  ModelRouter router(test_config());
  EXPECT_EQ(router.native_provider(config::ProviderKind::openai, "azure").error,
            ProviderError::unknown_provider);
}

TEST(ModelRouter, NoProviderOfKindIsError) {
  auto c = std::make_shared<config::Config>();
  c->providers = {provider("openai", config::ProviderKind::openai)};
  ModelRouter router(c);
  EXPECT_EQ(router.native_provider(config::ProviderKind::gemini, "").error,
            ProviderError::no_provider);
}

TEST(ModelRouter, KeyWithoutModelListMayUseAll) {
  config::Key k = key_for({});
  EXPECT_TRUE(ModelRouter::allows(&k, "anything"));
  EXPECT_TRUE(ModelRouter::allows(nullptr, "anything"));
}

TEST(ModelRouter, KeyWithModelListMayUseOnlyThose) {
  config::Key k = key_for({"gpt-4o"});
  EXPECT_TRUE(ModelRouter::allows(&k, "gpt-4o"));
  EXPECT_FALSE(ModelRouter::allows(&k, "split"));
}

TEST(ModelRouter, ModelsJsonListsAllAliasesInConfigOrder) {
  ModelRouter router(test_config());
  config::Key k = key_for({});
  EXPECT_EQ(ids(router.models_json(&k)),
            (std::vector<std::string>{"gpt-4o", "split", "five-one-one", "drained", "ghost",
                                      "claude-sonnet"}));
}

TEST(ModelRouter, ModelsJsonListsOnlyAllowedAliases) {
  ModelRouter router(test_config());
  config::Key k = key_for({"claude-sonnet", "gpt-4o", "not-configured"});
  EXPECT_EQ(ids(router.models_json(&k)), (std::vector<std::string>{"gpt-4o", "claude-sonnet"}));
}

TEST(ModelRouter, ModelsJsonForKeyWithNoUsableAliasIsEmptyList) {
  ModelRouter router(test_config());
  config::Key k = key_for({"not-configured"});
  EXPECT_EQ(router.models_json(&k), R"({"object":"list","data":[]})");
}

TEST(ModelRouter, ModelJsonDescribesOneAlias) {
  ModelRouter router(test_config());
  rapidjson::Document doc;
  doc.Parse(router.model_json(nullptr, "gpt-4o").c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["id"].GetString(), "gpt-4o");
  EXPECT_STREQ(doc["object"].GetString(), "model");
}

TEST(ModelRouter, ModelJsonForDisallowedOrUnknownAliasIsEmpty) {
  ModelRouter router(test_config());
  config::Key k = key_for({"gpt-4o"});
  EXPECT_EQ(router.model_json(&k, "split"), "");
  EXPECT_EQ(router.model_json(nullptr, "nope"), "");
}

TEST(ModelRouter, AliasNamesAreJsonEscapedInList) {
  auto c = std::make_shared<config::Config>();
  c->providers = {provider("openai", config::ProviderKind::openai)};
  c->models = {model("we\"ird", {{"openai", "x", 1}})};
  ModelRouter router(c);
  EXPECT_EQ(ids(router.models_json(nullptr)), (std::vector<std::string>{"we\"ird"}));
}

}  // namespace
}  // namespace sluice::route
