#include "sluice/translate/vocab.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice::translate {
namespace {

TEST(FinishReason, AnthropicStopReasonsMapToOpenAI) {
  EXPECT_EQ(openai_finish_reason(finish_from_anthropic("end_turn")), "stop");
  EXPECT_EQ(openai_finish_reason(finish_from_anthropic("stop_sequence")), "stop");
  EXPECT_EQ(openai_finish_reason(finish_from_anthropic("max_tokens")), "length");
  EXPECT_EQ(openai_finish_reason(finish_from_anthropic("tool_use")), "tool_calls");
  EXPECT_EQ(openai_finish_reason(finish_from_anthropic("refusal")), "content_filter");
}

TEST(FinishReason, GeminiStopWithFunctionCallsIsToolCalls) {
  EXPECT_EQ(finish_from_gemini("STOP", true), FinishReason::tool_use);
  EXPECT_EQ(finish_from_gemini("STOP", false), FinishReason::end_turn);
  EXPECT_EQ(openai_finish_reason(finish_from_gemini("STOP", true)), "tool_calls");
  EXPECT_EQ(anthropic_stop_reason(finish_from_gemini("STOP", true)), "tool_use");
}

TEST(FinishReason, GeminiSafetyReasonsAreContentFilter) {
  for (const char* r : {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII"}) {
    EXPECT_EQ(finish_from_gemini(r, false), FinishReason::content_filter) << r;
  }
  EXPECT_EQ(openai_finish_reason(finish_from_gemini("SAFETY", false)), "content_filter");
  EXPECT_EQ(finish_from_gemini("MAX_TOKENS", false), FinishReason::max_tokens);
}

TEST(FinishReason, OpenAIReasonsMapBack) {
  EXPECT_EQ(anthropic_stop_reason(finish_from_openai("stop")), "end_turn");
  EXPECT_EQ(anthropic_stop_reason(finish_from_openai("length")), "max_tokens");
  EXPECT_EQ(anthropic_stop_reason(finish_from_openai("tool_calls")), "tool_use");
  EXPECT_EQ(gemini_finish_reason(finish_from_openai("length")), "MAX_TOKENS");
  EXPECT_EQ(gemini_finish_reason(finish_from_openai("tool_calls")), "STOP");
  EXPECT_EQ(gemini_finish_reason(finish_from_openai("content_filter")), "SAFETY");
  EXPECT_EQ(finish_name(ApiFlavor::gemini, FinishReason::other), "OTHER");
}

TEST(FinishReason, UnknownWordsAreOther) {
  EXPECT_EQ(finish_from_openai("weird"), FinishReason::other);
  EXPECT_EQ(finish_from_anthropic(""), FinishReason::other);
  EXPECT_EQ(openai_finish_reason(FinishReason::other), "stop");
}

TEST(Usage, AnthropicCacheFieldsSumIntoOpenAIPromptTokens) {
  TokenCounts t = tokens_from_anthropic(10, 50, 300, 100);
  std::string out;
  append_usage(out, ApiFlavor::openai, t);
  EXPECT_EQ(out, R"({"prompt_tokens":410,"completion_tokens":50,"total_tokens":460,)"
                 R"("prompt_tokens_details":{"cached_tokens":300},)"
                 R"("completion_tokens_details":{"reasoning_tokens":0}})");
}

TEST(Usage, OpenAICachedTokensBecomeAnthropicCacheRead) {
  TokenCounts t = tokens_from_openai(120, 40, 64, 16);
  std::string out;
  append_usage(out, ApiFlavor::anthropic, t);
  EXPECT_EQ(out, R"({"input_tokens":56,"cache_creation_input_tokens":0,)"
                 R"("cache_read_input_tokens":64,"output_tokens":40})");
}

TEST(Usage, GeminiThoughtsCountAsReasoningInsideCompletion) {
  TokenCounts t = tokens_from_gemini(200, 20, 150, 35);
  EXPECT_EQ(t.input, 50u);
  EXPECT_EQ(t.cache_read, 150u);
  EXPECT_EQ(t.output, 55u);
  EXPECT_EQ(t.reasoning, 35u);
  std::string out;
  append_usage(out, ApiFlavor::gemini, t);
  EXPECT_EQ(out, R"({"promptTokenCount":200,"candidatesTokenCount":20,"totalTokenCount":255,)"
                 R"("cachedContentTokenCount":150,"thoughtsTokenCount":35})");
}

TEST(Usage, ReadUsageReadsEachShape) {
  TokenCounts t;
  ASSERT_TRUE(read_usage(ApiFlavor::openai,
                         R"({"prompt_tokens":9,"completion_tokens":4,)"
                         R"("prompt_tokens_details":{"cached_tokens":2}})",
                         t));
  EXPECT_EQ(t, (TokenCounts{.input = 7, .output = 4, .cache_read = 2}));
  ASSERT_TRUE(read_usage(ApiFlavor::anthropic,
                         R"({"input_tokens":3,"output_tokens":1,"cache_creation_input_tokens":5})",
                         t));
  EXPECT_EQ(t, (TokenCounts{.input = 3, .output = 1, .cache_write = 5}));
  ASSERT_TRUE(
      read_usage(ApiFlavor::gemini, R"({"promptTokenCount":"12","candidatesTokenCount":2})", t));
  EXPECT_EQ(t, (TokenCounts{.input = 12, .output = 2}));
  EXPECT_FALSE(read_usage(ApiFlavor::openai, "[1,2]", t));
  EXPECT_FALSE(read_usage(ApiFlavor::openai, "{", t));
}

TEST(Usage, CachedBeyondPromptIsClamped) {
  TokenCounts t = tokens_from_openai(5, 1, 50, 9);
  EXPECT_EQ(t.input, 0u);
  EXPECT_EQ(t.cache_read, 5u);
  EXPECT_EQ(t.reasoning, 1u);
}

TEST(Roles, NamesPerFormat) {
  EXPECT_EQ(role_name(ApiFlavor::gemini, Role::assistant), "model");
  EXPECT_EQ(role_name(ApiFlavor::anthropic, Role::assistant), "assistant");
  EXPECT_EQ(role_name(ApiFlavor::openai, Role::tool), "tool");
  EXPECT_EQ(role_name(ApiFlavor::anthropic, Role::tool), "user");
  EXPECT_EQ(role_name(ApiFlavor::anthropic, Role::system), "");
  EXPECT_EQ(role_from(ApiFlavor::openai, "developer"), Role::system);
  EXPECT_EQ(role_from(ApiFlavor::gemini, "model"), Role::assistant);
  EXPECT_EQ(role_from(ApiFlavor::gemini, "function"), Role::tool);
  EXPECT_EQ(role_from(ApiFlavor::anthropic, "system"), std::nullopt);
  EXPECT_EQ(role_from(ApiFlavor::openai, "robot"), std::nullopt);
}

TEST(Ids, DerivedFromTheRequestId) {
  EXPECT_EQ(completion_id("abc-123"), "chatcmpl-abc-123");
  EXPECT_EQ(message_id("abc-123"), "msg_abc-123");
  EXPECT_EQ(message_id("a b\"c"), "msg_abc");
  EXPECT_EQ(message_id(""), "msg_0");
  EXPECT_EQ(tool_call_id(ApiFlavor::openai, "r1", 2), "call_r1_2");
  EXPECT_EQ(tool_call_id(ApiFlavor::anthropic, "r1", 0), "toolu_r1_0");
}

TEST(Ids, SafeToolIdIsStableAndAnthropicShaped) {
  EXPECT_EQ(safe_tool_id("call_abc"), "call_abc");
  EXPECT_EQ(safe_tool_id("call:abc/1"), "call_abc_1");
  EXPECT_EQ(safe_tool_id("call:abc/1"), safe_tool_id("call:abc/1"));
  EXPECT_EQ(safe_tool_id(""), "toolu_empty");
}

}  // namespace
}  // namespace sluice::translate
