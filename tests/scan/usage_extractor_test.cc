// The per-provider rules of UsageExtractor on single events and whole bodies: how each
// provider's counts map onto Usage, which events may change it, and what is an error.

#include "sluice/scan/usage_extractor.h"

#include <gtest/gtest.h>

#include <string>

#include "scan_test_support.h"

namespace sluice::scan {
namespace {

using testing::read_fixture;
using testing::usage_of;

SseEvent event(std::string_view type, std::string_view data) {
  SseEvent e;
  e.type = type;
  e.data = data;
  e.has_data = true;
  return e;
}

SseEvent data_only(std::string_view data) { return event("", data); }

// ---- OpenAI chat

TEST(OpenAiChatUsage, ReadsCachedAndReasoningDetails) {
  UsageExtractor x(ResponseApi::openai_chat);
  const EventFacts f = x.on_event(data_only(
      R"({"choices":[],"usage":{"prompt_tokens":2000,"completion_tokens":300,"total_tokens":2300,)"
      R"("prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":64}}})"));
  EXPECT_TRUE(f.carried_usage);
  EXPECT_TRUE(f.usage_only_chunk);
  EXPECT_EQ(x.usage(), usage_of(2000, 300, 1024, 0, 64));
}

TEST(OpenAiChatUsage, NullUsageOnAContentChunkIsNoUsage) {
  UsageExtractor x(ResponseApi::openai_chat);
  const EventFacts f =
      x.on_event(data_only(R"({"choices":[{"delta":{"content":"hi"}}],"usage":null})"));
  EXPECT_FALSE(f.carried_usage);
  EXPECT_FALSE(x.usage().found);
  EXPECT_EQ(f.output_chars, 2u);
}

TEST(OpenAiChatUsage, UsageOnAChunkWithChoicesIsNotUsageOnly) {
  // vLLM's continuous usage stats put usage on every chunk; none of them may be hidden.
  UsageExtractor x(ResponseApi::openai_chat);
  const EventFacts f = x.on_event(data_only(
      R"({"choices":[{"delta":{"content":"a"}}],"usage":{"prompt_tokens":3,"completion_tokens":1}})"));
  EXPECT_TRUE(f.carried_usage);
  EXPECT_FALSE(f.usage_only_chunk);
}

TEST(OpenAiChatUsage, CountsToolCallArgumentsAndReasoningAsOutput) {
  UsageExtractor x(ResponseApi::openai_chat);
  x.on_event(data_only(
      R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}}]})"));
  x.on_event(data_only(R"({"choices":[{"delta":{"reasoning_content":"hmm"}}]})"));
  EXPECT_EQ(x.output_chars(), 5u + 3u);
}

TEST(OpenAiChatUsage, DoneEndsTheStream) {
  UsageExtractor x(ResponseApi::openai_chat);
  EXPECT_TRUE(x.on_event(data_only("[DONE]")).terminal);
  EXPECT_TRUE(x.saw_terminal());
}

TEST(OpenAiChatUsage, ErrorWithAStringMessageIsAnError) {
  // Ollama's shape.
  UsageExtractor x(ResponseApi::openai_chat);
  EXPECT_TRUE(x.on_event(data_only(R"({"error":"model not found"})")).error);
  EXPECT_EQ(x.error_type(), "error");
}

TEST(OpenAiChatUsage, NonStreamingBody) {
  UsageExtractor x(ResponseApi::openai_chat);
  ASSERT_TRUE(x.on_body(read_fixture("openai_chat_nonstream.json")));
  EXPECT_EQ(x.usage(), usage_of(14, 37));
  EXPECT_TRUE(x.saw_terminal());
}

// ---- OpenAI Responses

TEST(OpenAiResponsesUsage, OnlyTheCompletedEventCounts) {
  UsageExtractor x(ResponseApi::openai_responses);
  const EventFacts f =
      x.on_event(event("response.created",
                       R"({"type":"response.created","response":{"usage":{"input_tokens":5}}})"));
  EXPECT_FALSE(f.carried_usage);
  EXPECT_FALSE(x.usage().found);
}

TEST(OpenAiResponsesUsage, ReadsCachedCacheWriteAndReasoningDetails) {
  UsageExtractor x(ResponseApi::openai_responses);
  const EventFacts f = x.on_event(event(
      "response.completed",
      R"({"type":"response.completed","response":{"usage":{"input_tokens":900,)"
      R"("input_tokens_details":{"cached_tokens":512,"cache_write_tokens":8},"output_tokens":70,)"
      R"("output_tokens_details":{"reasoning_tokens":40},"total_tokens":970}}})"));
  EXPECT_TRUE(f.carried_usage);
  EXPECT_TRUE(f.terminal);
  EXPECT_EQ(x.usage(), usage_of(900, 70, 512, 8, 40));
}

TEST(OpenAiResponsesUsage, IncompleteResponseEndsNormallyWithUsage) {
  UsageExtractor x(ResponseApi::openai_responses);
  const EventFacts f = x.on_event(event(
      "response.incomplete",
      R"({"type":"response.incomplete","response":{"usage":{"input_tokens":9,"output_tokens":16}}})"));
  EXPECT_TRUE(f.terminal);
  EXPECT_EQ(x.usage(), usage_of(9, 16));
}

TEST(OpenAiResponsesUsage, FailedResponseIsAnErrorAndKeepsItsUsage) {
  UsageExtractor x(ResponseApi::openai_responses);
  const EventFacts f = x.on_event(event(
      "response.failed",
      R"({"type":"response.failed","response":{"error":{"code":"server_error","message":"x"},)"
      R"("usage":{"input_tokens":4,"output_tokens":2}}})"));
  EXPECT_TRUE(f.error);
  EXPECT_EQ(x.error_type(), "server_error");
  EXPECT_EQ(x.usage(), usage_of(4, 2));
}

TEST(OpenAiResponsesUsage, ErrorEventIsAnError) {
  UsageExtractor x(ResponseApi::openai_responses);
  EXPECT_TRUE(
      x.on_event(event("error", R"({"type":"error","code":"rate_limit_exceeded","message":"m"})"))
          .error);
  EXPECT_EQ(x.error_type(), "rate_limit_exceeded");
}

TEST(OpenAiResponsesUsage, CountsTextDeltasButNotAudio) {
  UsageExtractor x(ResponseApi::openai_responses);
  x.on_event(
      event("response.output_text.delta", R"({"type":"response.output_text.delta","delta":"Hi"})"));
  x.on_event(event("response.function_call_arguments.delta",
                   R"({"type":"response.function_call_arguments.delta","delta":"{}"})"));
  x.on_event(event("response.audio.delta", R"({"type":"response.audio.delta","delta":"AAAA"})"));
  EXPECT_EQ(x.output_chars(), 4u);
}

TEST(OpenAiResponsesUsage, NonStreamingBody) {
  UsageExtractor x(ResponseApi::openai_responses);
  ASSERT_TRUE(x.on_body(read_fixture("openai_responses_nonstream.json")));
  EXPECT_EQ(x.usage(), usage_of(14, 50));
  EXPECT_FALSE(x.saw_error());  // its "error": null is no error
}

// ---- Anthropic

constexpr std::string_view kMessageStartWithCache =
    R"({"type":"message_start","message":{"usage":{"input_tokens":10,)"
    R"("cache_creation_input_tokens":100,"cache_read_input_tokens":50,"output_tokens":1}}})";

TEST(AnthropicUsage, CacheCountsArePartOfInput) {
  UsageExtractor x(ResponseApi::anthropic);
  EXPECT_TRUE(x.on_event(event("message_start", kMessageStartWithCache)).carried_usage);
  EXPECT_EQ(x.usage(), usage_of(160, 1, 50, 100));
}

TEST(AnthropicUsage, MessageDeltaOverwritesNeverAdds) {
  UsageExtractor x(ResponseApi::anthropic);
  x.on_event(event("message_start", kMessageStartWithCache));
  x.on_event(event("message_delta", R"({"type":"message_delta","usage":{"output_tokens":5}})"));
  x.on_event(event("message_delta", R"({"type":"message_delta","usage":{"output_tokens":9}})"));
  EXPECT_EQ(x.usage(), usage_of(160, 9, 50, 100));
}

TEST(AnthropicUsage, MessageDeltaInputCountsReplaceTheStartOnes) {
  UsageExtractor x(ResponseApi::anthropic);
  x.on_event(event("message_start", kMessageStartWithCache));
  x.on_event(event(
      "message_delta",
      R"({"type":"message_delta","usage":{"input_tokens":12,"cache_read_input_tokens":50,"output_tokens":3}})"));
  EXPECT_EQ(x.usage(), usage_of(162, 3, 50, 100));
}

TEST(AnthropicUsage, CountsTextThinkingAndToolInputButNotSignatures) {
  UsageExtractor x(ResponseApi::anthropic);
  x.on_event(event(
      "content_block_delta",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"abc"}})"));
  x.on_event(event(
      "content_block_delta",
      R"({"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}})"));
  x.on_event(event(
      "content_block_delta",
      R"({"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\""}})"));
  EXPECT_EQ(x.output_chars(), 3u + 4u);
}

TEST(AnthropicUsage, ErrorEventIsAnError) {
  UsageExtractor x(ResponseApi::anthropic);
  EXPECT_TRUE(
      x.on_event(event("error", R"({"type": "error", "error": {"type": "overloaded_error"}})"))
          .error);
  EXPECT_EQ(x.error_type(), "overloaded_error");
}

TEST(AnthropicUsage, NonStreamingBody) {
  UsageExtractor x(ResponseApi::anthropic);
  ASSERT_TRUE(x.on_body(read_fixture("anthropic_messages_nonstream.json")));
  EXPECT_EQ(x.usage(), usage_of(406, 50));
}

TEST(AnthropicUsage, RateLimitBodyIsAnError) {
  const std::string response = read_fixture("anthropic_429_rate_limit.http");
  UsageExtractor x(ResponseApi::anthropic);
  ASSERT_TRUE(x.on_body(response.substr(response.find("\r\n\r\n") + 4)));
  EXPECT_TRUE(x.saw_error());
  EXPECT_EQ(x.error_type(), "rate_limit_error");
  EXPECT_FALSE(x.usage().found);
}

// ---- Gemini

TEST(GeminiUsage, ThoughtsAreOutputAndToolPromptsAreInput) {
  UsageExtractor x(ResponseApi::gemini);
  x.on_event(data_only(
      R"({"candidates":[{"content":{"parts":[{"text":"ok"}]}}],"usageMetadata":{"promptTokenCount":100,)"
      R"("cachedContentTokenCount":40,"toolUsePromptTokenCount":7,"candidatesTokenCount":20,)"
      R"("thoughtsTokenCount":30,"totalTokenCount":157}})"));
  const Usage& u = x.usage();
  EXPECT_EQ(u, usage_of(107, 50, 40, 0, 30));
  EXPECT_EQ(u.input_tokens + u.output_tokens, 157u);  // Gemini's totalTokenCount
}

TEST(GeminiUsage, LastUsageMetadataWinsWhole) {
  UsageExtractor x(ResponseApi::gemini);
  x.on_event(data_only(
      R"({"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":5,"thoughtsTokenCount":3}})"));
  x.on_event(data_only(R"({"usageMetadata":{"promptTokenCount":6}})"));
  EXPECT_EQ(x.usage(), usage_of(6, 0));
}

TEST(GeminiUsage, FinishReasonEndsTheStream) {
  UsageExtractor x(ResponseApi::gemini);
  EXPECT_FALSE(x.on_event(data_only(R"({"candidates":[{"finishReason":null}]})")).terminal);
  EXPECT_TRUE(x.on_event(data_only(R"({"candidates":[{"finishReason":"STOP"}]})")).terminal);
}

TEST(GeminiUsage, BareErrorLineIsAnError) {
  UsageExtractor x(ResponseApi::gemini);
  SseEvent e;
  e.stray = R"({"error": {"code": 500, "message": "Internal error", "status": "INTERNAL"}})";
  EXPECT_TRUE(x.on_event(e).error);
  EXPECT_EQ(x.error_type(), "INTERNAL");
}

TEST(GeminiUsage, NonStreamingBody) {
  UsageExtractor x(ResponseApi::gemini);
  ASSERT_TRUE(x.on_body(read_fixture("gemini_generate_content_nonstream.json")));
  EXPECT_EQ(x.usage(), usage_of(17, 6));
}

TEST(GeminiUsage, NotFoundBodyIsAnError) {
  const std::string response = read_fixture("gemini_404_on_stream_endpoint.http");
  UsageExtractor x(ResponseApi::gemini);
  ASSERT_TRUE(x.on_body(response.substr(response.find("\r\n\r\n") + 4)));
  EXPECT_EQ(x.error_type(), "NOT_FOUND");
}

TEST(GeminiUsage, JsonArrayStreamBodyTakesTheLastUsage) {
  UsageExtractor x(ResponseApi::gemini);
  ASSERT_TRUE(x.on_body(R"([{"usageMetadata":{"promptTokenCount":7}},)"
                        R"({"usageMetadata":{"promptTokenCount":6,"candidatesTokenCount":20}}])"));
  EXPECT_EQ(x.usage(), usage_of(6, 20));
  EXPECT_TRUE(x.saw_terminal());
}

// ---- all

TEST(UsageExtractor, BodyThatIsNotJsonIsRejected) {
  UsageExtractor x(ResponseApi::openai_chat);
  const std::string body = read_fixture("openai_chat_nonstream.json");
  EXPECT_FALSE(x.on_body(std::string_view(body).substr(0, body.size() / 2)));
  EXPECT_FALSE(x.usage().found);
}

TEST(UsageExtractor, NegativeAndFractionalCountsAreClamped) {
  UsageExtractor x(ResponseApi::openai_chat);
  x.on_body(R"({"usage":{"prompt_tokens":-5,"completion_tokens":2.9}})");
  EXPECT_EQ(x.usage(), usage_of(0, 2));
}

// on_body reads a plain answer's usage member without parsing the rest; it must read
// exactly what the full parse reads.
void expect_same_as_full_parse(ResponseApi api, std::string_view body) {
  UsageExtractor peeked(api);
  UsageExtractor parsed(api);
  const bool ok = parsed.on_body_full_parse(body);
  EXPECT_EQ(peeked.on_body(body), ok) << body;
  EXPECT_EQ(peeked.usage(), parsed.usage()) << body;
  EXPECT_EQ(peeked.saw_error(), parsed.saw_error()) << body;
  EXPECT_EQ(peeked.saw_terminal(), parsed.saw_terminal()) << body;
  EXPECT_EQ(peeked.error_type(), parsed.error_type()) << body;
}

TEST(UsageExtractor, BodyLookReadsWhatTheFullParseReads) {
  expect_same_as_full_parse(ResponseApi::openai_chat, read_fixture("openai_chat_nonstream.json"));
  expect_same_as_full_parse(ResponseApi::openai_responses,
                            read_fixture("openai_responses_nonstream.json"));
  expect_same_as_full_parse(ResponseApi::anthropic,
                            read_fixture("anthropic_messages_nonstream.json"));
  expect_same_as_full_parse(ResponseApi::gemini,
                            read_fixture("gemini_generate_content_nonstream.json"));
  for (ResponseApi api : {ResponseApi::openai_chat, ResponseApi::openai_responses,
                          ResponseApi::anthropic, ResponseApi::gemini}) {
    for (std::string_view body : {
             // Errors: the envelope first, later, and Anthropic's typed one.
             R"({"error":{"type":"server_error","message":"x"}})",
             R"({"id":"r","usage":{"input_tokens":3},"error":{"code":"server_error"}})",
             R"({"type":"error","error":{"type":"overloaded_error","message":"x"}})",
             // Responses: "error": null is no error.
             R"({"id":"r","error":null,"usage":{"input_tokens":3,"output_tokens":4}})",
             // The first of duplicate keys counts.
             R"({"usage":{"prompt_tokens":1},"usage":{"prompt_tokens":2}})",
             R"({"error":null,"error":{"type":"x"},"usage":{"input_tokens":1}})",
             // Escaped keys and values, decoded by a parser.
             R"({"\u0075sage":{"prompt_tokens":5,"completion_tokens":6}})",
             R"({"usage":{"prompt_tokens":5},"\u0065rror":{"type":"x"}})",
             R"({"type":"\u0065rror","error":{"type":"x"}})",
             // Usage that is not an object.
             R"({"usage":null,"usageMetadata":[1]})",
             R"({"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":2}})",
             R"({})",
             R"([{"usageMetadata":{"promptTokenCount":7}}])",
             R"({"usage":{"prompt_tokens":1}} x)",
         }) {
      expect_same_as_full_parse(api, body);
    }
  }
}

TEST(UsageExtractor, BodyLookDelimitsButDoesNotValidateMembersOtherThanUsage) {
  // A body cut off anywhere is refused (BodyThatIsNotJsonIsRejected); a whole one whose
  // other members hold malformed values is read as an answer, which the full parse refuses.
  const std::string_view body = R"({"choices":[tru],"usage":{"prompt_tokens":3}})";
  UsageExtractor x(ResponseApi::openai_chat);
  EXPECT_TRUE(x.on_body(body));
  EXPECT_EQ(x.usage(), usage_of(3, 0));
  UsageExtractor full(ResponseApi::openai_chat);
  EXPECT_FALSE(full.on_body_full_parse(body));
  // A usage member that does not parse is the full parse's to judge: not JSON.
  UsageExtractor bad(ResponseApi::openai_chat);
  EXPECT_FALSE(bad.on_body(R"({"usage":{"prompt_tokens":tru},"x":1})"));
  EXPECT_FALSE(bad.usage().found);
}

}  // namespace
}  // namespace sluice::scan
