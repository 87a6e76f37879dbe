#include "sluice/ledger/price.h"

#include <gtest/gtest.h>

#include <limits>

#include "sluice/ledger/record.h"

namespace sluice::ledger {
namespace {

config::Price gpt4o_price() {
  config::Price price;
  price.input_nusd_per_mtok = 2'500'000'000;  // $2.50 per million tokens
  price.output_nusd_per_mtok = 10'000'000'000;
  price.cached_input_nusd_per_mtok = 1'250'000'000;
  price.set = true;
  return price;
}

TEST(Price, ModelWithoutPriceCostsNothing) {
  config::Price price = gpt4o_price();
  price.set = false;
  EXPECT_EQ(cost_nusd(price, TokenCounts{1000, 500, 100, 50}), 0);
}

TEST(Price, InputAndOutputArePricedPerMillionTokens) {
  // 1000 * 2.50 + 500 * 10.00 = 7500 micro-dollars
  EXPECT_EQ(cost_nusd(gpt4o_price(), TokenCounts{1000, 500, 0, 0}), 7'500'000);
}

TEST(Price, CachedTokensAreTheCheaperPartOfInput) {
  // 600 uncached * 2.50 + 400 cached * 1.25 = 2000 micro-dollars
  EXPECT_EQ(cost_nusd(gpt4o_price(), TokenCounts{1000, 0, 400, 0}), 2'000'000);
}

TEST(Price, ReasoningTokensArePricedAsOutputOnce) {
  // output 500 already holds the 300 reasoning tokens: 500 * 10.00, not 800 * 10.00
  EXPECT_EQ(cost_nusd(gpt4o_price(), TokenCounts{0, 500, 0, 300}), 5'000'000);
}

TEST(Price, ReasoningAboveOutputIsBilledAsReasoning) {
  EXPECT_EQ(cost_nusd(gpt4o_price(), TokenCounts{0, 100, 0, 300}), 3'000'000);
}

TEST(Price, ZeroCachedRateMakesCacheHitsFree) {
  // The config loader fills an omitted cached rate with the input rate; a 0 that reaches
  // the price is an explicit one.
  config::Price price = gpt4o_price();
  price.cached_input_nusd_per_mtok = 0;
  EXPECT_EQ(cost_nusd(price, TokenCounts{1000, 0, 400, 0}), 1'500'000);
}

TEST(Price, CachedTokensBeyondInputAreClampedToInput) {
  EXPECT_EQ(cost_nusd(gpt4o_price(), TokenCounts{100, 0, 400, 0}), 125'000);
}

TEST(Price, AllTogether) {
  // 2000 uncached * 2.50 + 1000 cached * 1.25 + 800 output * 10.00
  // = 5000 + 1250 + 8000 = 14250 micro-dollars
  EXPECT_EQ(cost_nusd(gpt4o_price(), TokenCounts{3000, 800, 1000, 200}), 14'250'000);
}

TEST(Price, AcceptsAnyUsageLikeStruct) {
  Record record;
  record.input_tokens = 1000;
  record.output_tokens = 500;
  record.cached_tokens = 400;
  record.reasoning_tokens = 100;
  // 600 * 2.50 + 400 * 1.25 + 500 * 10.00 = 7000 micro-dollars
  EXPECT_EQ(cost_nusd(gpt4o_price(), record), 7'000'000);
}

config::Price price_nusd(int64_t input, int64_t output) {
  config::Price price;
  price.input_nusd_per_mtok = price.cached_input_nusd_per_mtok = input;
  price.output_nusd_per_mtok = output;
  price.set = true;
  return price;
}

TEST(Price, SmallPricesAreExactPerToken) {
  // $0.15 and $0.60 per million: 150 and 600 nano-USD per token, no rounding at all.
  EXPECT_EQ(cost_nusd(price_nusd(150'000'000, 600'000'000), TokenCounts{14, 37, 0, 0}), 24'300);
}

TEST(Price, EachRequestIsRoundedToTheNearestNanoDollarHalfUp) {
  // 500'000 nano-USD per million tokens is half a nano-USD per token.
  const config::Price half = price_nusd(500'000, 0);
  EXPECT_EQ(cost_nusd(half, TokenCounts{1, 0, 0, 0}), 1);  // 0.5 rounds up
  EXPECT_EQ(cost_nusd(half, TokenCounts{3, 0, 0, 0}), 2);  // 1.5 rounds up
  EXPECT_EQ(cost_nusd(price_nusd(499'999, 0), TokenCounts{1, 0, 0, 0}), 0);
  EXPECT_EQ(cost_nusd(price_nusd(1, 0), TokenCounts{499'999, 0, 0, 0}), 0);
  EXPECT_EQ(cost_nusd(price_nusd(1, 0), TokenCounts{500'000, 0, 0, 0}), 1);
}

TEST(Price, TheSumOfRatesIsRoundedOnceNotPerKind) {
  // 0.4 nano-USD of input and 0.4 of output: 0.8 in all, which rounds to 1.
  EXPECT_EQ(cost_nusd(price_nusd(400'000, 400'000), TokenCounts{1, 1, 0, 0}), 1);
}

TEST(Price, AHugeCostSaturatesInsteadOfWrapping) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const uint64_t all = std::numeric_limits<uint64_t>::max();
  EXPECT_EQ(cost_nusd(price_nusd(max, max), TokenCounts{all, all, 0, 0}), max);
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
