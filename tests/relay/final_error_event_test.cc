// The event appended to a stream that broke after it began, per stream format.
#include "sluice/relay/final_error_event.h"

#include <gtest/gtest.h>

namespace sluice::relay {
namespace {
using route::ErrorClass;

TEST(FinalErrorEvent, OpenAiChatIsADataLineWithTheErrorEnvelope) {
  EXPECT_EQ(final_error_event(scan::ResponseApi::openai_chat, ErrorClass::upstream_error, "cut"),
            "\n\ndata: {\"error\":{\"message\":\"cut\",\"type\":\"server_error\",\"param\":null,"
            "\"code\":\"upstream_error\",\"sluice_error_class\":\"upstream_error\"}}\n\n");
}

TEST(FinalErrorEvent, AnthropicIsAnErrorEvent) {
  EXPECT_EQ(final_error_event(scan::ResponseApi::anthropic, ErrorClass::provider_degraded, "m"),
            "\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
            "\"message\":\"m\",\"sluice_error_class\":\"provider_degraded\"}}\n\n");
}

TEST(FinalErrorEvent, GeminiIsAnErrorChunk) {
  EXPECT_EQ(
      final_error_event(scan::ResponseApi::gemini, ErrorClass::upstream_timeout, "slow"),
      "\n\ndata: {\"error\":{\"code\":504,\"message\":\"slow\",\"status\":\"DEADLINE_EXCEEDED\","
      "\"sluice_error_class\":\"upstream_timeout\"}}\n\n");
}

TEST(FinalErrorEvent, ResponsesApiUsesItsErrorEvent) {
  EXPECT_EQ(
      final_error_event(scan::ResponseApi::openai_responses, ErrorClass::upstream_error, "x\""),
      "\n\nevent: error\ndata: {\"type\":\"error\",\"code\":\"upstream_error\","
      "\"message\":\"x\\\"\",\"param\":null}\n\n");
}

}  // namespace
}  // namespace sluice::relay
