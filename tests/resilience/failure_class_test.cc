#include "sluice/resilience/failure_class.h"

#include <gtest/gtest.h>

namespace sluice::resilience {
namespace {
using config::ProviderKind;

TEST(FailureClass, RateLimitThatPassesVersusQuota) {
  EXPECT_EQ(classify_response(ProviderKind::openai, 429,
                              R"({"error":{"type":"requests","code":"rate_limit_exceeded"}})"),
            FailureClass::rate_limited);
  EXPECT_EQ(
      classify_response(ProviderKind::openai, 429,
                        R"({"error":{"type":"insufficient_quota","code":"insufficient_quota"}})"),
      FailureClass::quota_exhausted);
  EXPECT_EQ(classify_response(ProviderKind::anthropic, 429,
                              R"({"type":"error","error":{"type":"rate_limit_error"}})"),
            FailureClass::rate_limited);
  EXPECT_EQ(
      classify_response(ProviderKind::gemini, 429, R"({"error":{"status":"RESOURCE_EXHAUSTED"}})"),
      FailureClass::resource_exhausted);
}

TEST(FailureClass, OverloadedByStatusOrAnthropicBody) {
  EXPECT_EQ(classify_response(ProviderKind::anthropic, 529, ""), FailureClass::overloaded);
  EXPECT_EQ(classify_response(ProviderKind::openai, 529, ""), FailureClass::overloaded);
  EXPECT_EQ(classify_response(ProviderKind::anthropic, 503,
                              R"({"type":"error","error":{"type":"overloaded_error"}})"),
            FailureClass::overloaded);
  // Only Anthropic's envelope has that type; another provider's 503 is a server error.
  EXPECT_EQ(classify_response(ProviderKind::openai, 503, "overloaded_error"),
            FailureClass::server_error);
}

TEST(FailureClass, ServerErrorsTimeoutsAndClientErrors) {
  EXPECT_EQ(classify_response(ProviderKind::gemini, 500, ""), FailureClass::server_error);
  EXPECT_EQ(classify_response(ProviderKind::openai, 502, ""), FailureClass::server_error);
  EXPECT_EQ(classify_response(ProviderKind::openai, 408, ""), FailureClass::timeout);
  EXPECT_EQ(classify_response(ProviderKind::openai, 400, ""), FailureClass::client_error);
  EXPECT_EQ(classify_response(ProviderKind::openai, 200, ""), FailureClass::none);
}

TEST(FailureClass, PolicyPerClass) {
  EXPECT_TRUE(policy_of(FailureClass::server_error).retry);
  EXPECT_TRUE(policy_of(FailureClass::server_error).breaker);
  EXPECT_TRUE(policy_of(FailureClass::rate_limited).retry);
  EXPECT_FALSE(policy_of(FailureClass::rate_limited).breaker);
  EXPECT_TRUE(policy_of(FailureClass::rate_limited).fallback);
  EXPECT_FALSE(policy_of(FailureClass::quota_exhausted).retry);
  EXPECT_TRUE(policy_of(FailureClass::quota_exhausted).fallback);
  EXPECT_FALSE(policy_of(FailureClass::breaker_open).retry);
  EXPECT_TRUE(policy_of(FailureClass::breaker_open).fallback);
  EXPECT_FALSE(policy_of(FailureClass::client_error).retry);
  EXPECT_FALSE(policy_of(FailureClass::client_error).fallback);
  for (FailureClass c :
       {FailureClass::connect_failed, FailureClass::connection_reset, FailureClass::tls_failed,
        FailureClass::timeout, FailureClass::overloaded, FailureClass::bad_response})
    EXPECT_TRUE(policy_of(c).retry && policy_of(c).breaker && policy_of(c).fallback);
}

TEST(FailureClass, NamesAreTheLedgerSpelling) {
  EXPECT_EQ(failure_class_name(FailureClass::timeout), "upstream_timeout");
  EXPECT_EQ(failure_class_name(FailureClass::breaker_open), "provider_degraded");
  EXPECT_EQ(failure_class_name(FailureClass::overloaded), "overloaded");
  EXPECT_EQ(failure_class_name(FailureClass::none), "");
}

TEST(FailureClass, HeldStatuses) {
  EXPECT_TRUE(may_retry_status(429));
  EXPECT_TRUE(may_retry_status(500));
  EXPECT_TRUE(may_retry_status(529));
  EXPECT_TRUE(may_retry_status(408));
  EXPECT_FALSE(may_retry_status(400));
  EXPECT_FALSE(may_retry_status(200));
}

}  // namespace
}  // namespace sluice::resilience
