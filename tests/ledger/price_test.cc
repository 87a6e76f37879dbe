#include "sluice/ledger/price.h"

#include <gtest/gtest.h>

#include "sluice/ledger/record.h"

namespace sluice::ledger {
namespace {

config::Price gpt4o_price() {
  config::Price price;
  price.input_per_mtok = 2.50;
  price.output_per_mtok = 10.00;
  price.cached_input_per_mtok = 1.25;
  price.set = true;
  return price;
}

TEST(Price, ModelWithoutPriceCostsNothing) {
  config::Price price = gpt4o_price();
  price.set = false;
  EXPECT_EQ(cost_usd(price, TokenCounts{1000, 500, 100, 50}), 0.0);
}

TEST(Price, InputAndOutputArePricedPerMillionTokens) {
  // 1000 * 2.50 + 500 * 10.00 = 7500 micro-dollars
  EXPECT_DOUBLE_EQ(cost_usd(gpt4o_price(), TokenCounts{1000, 500, 0, 0}), 0.0075);
}

TEST(Price, CachedTokensAreTheCheaperPartOfInput) {
  // 600 uncached * 2.50 + 400 cached * 1.25 = 2000 micro-dollars
  EXPECT_DOUBLE_EQ(cost_usd(gpt4o_price(), TokenCounts{1000, 0, 400, 0}), 0.002);
}

TEST(Price, ReasoningTokensArePricedAsOutputOnce) {
  // output 500 already holds the 300 reasoning tokens: 500 * 10.00, not 800 * 10.00
  EXPECT_DOUBLE_EQ(cost_usd(gpt4o_price(), TokenCounts{0, 500, 0, 300}), 0.005);
}

TEST(Price, ReasoningAboveOutputIsBilledAsReasoning) {
  EXPECT_DOUBLE_EQ(cost_usd(gpt4o_price(), TokenCounts{0, 100, 0, 300}), 0.003);
}

TEST(Price, ZeroCachedRateMakesCacheHitsFree) {
  // The config loader fills an omitted cached rate with the input rate; a 0 that reaches
  // the price is an explicit one.
  config::Price price = gpt4o_price();
  price.cached_input_per_mtok = 0;
  EXPECT_DOUBLE_EQ(cost_usd(price, TokenCounts{1000, 0, 400, 0}), 0.0015);
}

TEST(Price, CachedTokensBeyondInputAreClampedToInput) {
  EXPECT_DOUBLE_EQ(cost_usd(gpt4o_price(), TokenCounts{100, 0, 400, 0}), 0.000125);
}

TEST(Price, AllTogether) {
  // 2000 uncached * 2.50 + 1000 cached * 1.25 + 800 output * 10.00
  // = 5000 + 1250 + 8000 = 14250 micro-dollars
  EXPECT_DOUBLE_EQ(cost_usd(gpt4o_price(), TokenCounts{3000, 800, 1000, 200}), 0.01425);
}

TEST(Price, AcceptsAnyUsageLikeStruct) {
  Record record;
  record.input_tokens = 1000;
  record.output_tokens = 500;
  record.cached_tokens = 400;
  record.reasoning_tokens = 100;
  // 600 * 2.50 + 400 * 1.25 + 500 * 10.00 = 7000 micro-dollars
  EXPECT_DOUBLE_EQ(cost_usd(gpt4o_price(), record), 0.007);
}

TEST(RecordText, OutcomesRoundTripThroughTheirContractNames) {
  for (Outcome o : {Outcome::ok, Outcome::rejected, Outcome::upstream_error,
                    Outcome::client_cancelled, Outcome::cut_off, Outcome::timeout}) {
    EXPECT_EQ(parse_outcome(to_text(o)), o);
  }
  EXPECT_EQ(to_text(Outcome::client_cancelled), "client_cancelled");
  EXPECT_EQ(to_text(Outcome::cut_off), "cut_off");
  EXPECT_FALSE(parse_outcome("cancelled").has_value());
}

TEST(RecordText, UsageSourcesRoundTripThroughTheirContractNames) {
  EXPECT_EQ(to_text(UsageSource::provider), "provider");
  EXPECT_EQ(to_text(UsageSource::estimated), "estimated");
  EXPECT_EQ(parse_usage_source("estimated"), UsageSource::estimated);
  EXPECT_FALSE(parse_usage_source("guess").has_value());
}

}  // namespace
}  // namespace sluice::ledger
