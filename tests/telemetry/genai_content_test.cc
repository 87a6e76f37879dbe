// Prompts and completions as GenAI semantic-convention messages: the request body of
// each API, responses whole and streamed (fed through the usage scanner as the relay
// does), tool calls, and the size cap cut at a UTF-8 boundary and marked.
#include "sluice/telemetry/genai_content.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "sluice/scan/usage_scanner.h"
#include "sluice/telemetry/span.h"

namespace sluice::telemetry {
namespace {
using scan::ResponseApi;

// The capture of one exchange: `request`, then `response` through a scanner in pieces
// of `piece` bytes (streams cut mid-event on purpose).
CapturedContent run(ResponseApi api, std::string_view request, std::string_view response,
                    bool streaming, size_t max_bytes = 65536, size_t piece = 7) {
  ContentCapture c(api, max_bytes);
  c.on_request(request);
  scan::UsageScanner s(api, streaming);
  s.set_tap(&c);
  for (size_t i = 0; i < response.size(); i += piece) s.feed(response.substr(i, piece));
  s.finish();
  return c.finish();
}

TEST(GenAiContent, OpenAiChatPromptAndAnswer) {
  CapturedContent c = run(
      ResponseApi::openai_chat,
      R"({"model":"m","messages":[{"role":"system","content":"Be brief."},
        {"role":"user","content":[{"type":"text","text":"Hi \"there\""},{"type":"image_url","image_url":{"url":"x"}}]}]})",
      R"({"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2}})",
      false);
  EXPECT_EQ(c.system_instructions, R"([{"type":"text","content":"Be brief."}])");
  EXPECT_EQ(c.input_messages,
            R"([{"role":"user","parts":[{"type":"text","content":"Hi \"there\""}]}])");
  EXPECT_EQ(
      c.output_messages,
      R"([{"role":"assistant","parts":[{"type":"text","content":"Hello!"}],"finish_reason":"stop"}])");
  EXPECT_FALSE(c.truncated);
}

TEST(GenAiContent, OpenAiChatStreamIsAssembledFromDeltas) {
  std::string sse =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
      ": keep-alive\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo \\u00e9\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}\n\n"
      "data: [DONE]\n\n";
  CapturedContent c =
      run(ResponseApi::openai_chat,
          R"({"messages":[{"role":"user","content":"Say hello"}],"stream":true})", sse, true);
  EXPECT_EQ(c.output_messages,
            "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Hello "
            "\xc3\xa9\"}],\"finish_reason\":\"stop\"}]");
}

TEST(GenAiContent, ToolCallsAndResultsAreParts) {
  CapturedContent c = run(
      ResponseApi::openai_chat,
      R"({"messages":[{"role":"user","content":"Weather?"},
        {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Oslo\"}"}}]},
        {"role":"tool","tool_call_id":"call_1","content":"rain"}]})",
      R"({"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_2","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]})",
      false);
  EXPECT_EQ(
      c.input_messages,
      R"([{"role":"user","parts":[{"type":"text","content":"Weather?"}]},)"
      R"({"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"weather","arguments":"{\"city\":\"Oslo\"}"}]},)"
      R"({"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"rain"}]}])");
  EXPECT_EQ(
      c.output_messages,
      R"([{"role":"assistant","parts":[{"type":"tool_call","id":"call_2","name":"f","arguments":"{}"}],"finish_reason":"tool_calls"}])");
}

TEST(GenAiContent, AnthropicMessagesWholeAndStreamed) {
  std::string request =
      R"({"model":"claude","max_tokens":9,"system":[{"type":"text","text":"You are terse."}],
        "messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"tool_use","id":"tu1","name":"calc","input":{"x":1}}]},
        {"role":"user","content":[{"type":"tool_result","tool_use_id":"tu1","content":[{"type":"text","text":"2"}]}]}]})";
  CapturedContent whole = run(
      ResponseApi::anthropic, request,
      R"({"type":"message","content":[{"type":"text","text":"Two."}],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":2}})",
      false);
  EXPECT_EQ(whole.system_instructions, R"([{"type":"text","content":"You are terse."}])");
  EXPECT_EQ(
      whole.input_messages,
      R"([{"role":"user","parts":[{"type":"text","content":"Hi"}]},)"
      R"({"role":"assistant","parts":[{"type":"tool_call","id":"tu1","name":"calc","arguments":{"x":1}}]},)"
      R"({"role":"user","parts":[{"type":"tool_call_response","id":"tu1","response":"2"}]}])");
  EXPECT_EQ(
      whole.output_messages,
      R"([{"role":"assistant","parts":[{"type":"text","content":"Two."}],"finish_reason":"end_turn"}])");

  std::string sse =
      "event: message_start\ndata: "
      "{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}"
      "}\n\n"
      "event: content_block_start\ndata: "
      "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":"
      "\"\"}}\n\n"
      "event: content_block_delta\ndata: "
      "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
      "\"Tw\"}}\n\n"
      "event: content_block_delta\ndata: "
      "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
      "\"o.\"}}\n\n"
      "event: message_delta\ndata: "
      "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_"
      "tokens\":2}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
  CapturedContent streamed = run(ResponseApi::anthropic, request, sse, true);
  EXPECT_EQ(streamed.output_messages, whole.output_messages);
}

TEST(GenAiContent, GeminiContentsAndStreamedCandidates) {
  std::string request =
      R"({"systemInstruction":{"parts":[{"text":"Rhyme."}]},"contents":[{"role":"user","parts":[{"text":"Cat"}]},{"role":"model","parts":[{"text":"Hat"}]}]})";
  std::string sse =
      "data: "
      "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Ma\"}]}}]}\n\n"
      "data: "
      "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"t\"}]},"
      "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":3,"
      "\"candidatesTokenCount\":2,\"totalTokenCount\":5}}\n\n";
  CapturedContent c = run(ResponseApi::gemini, request, sse, true);
  EXPECT_EQ(c.system_instructions, R"([{"type":"text","content":"Rhyme."}])");
  EXPECT_EQ(
      c.input_messages,
      R"([{"role":"user","parts":[{"type":"text","content":"Cat"}]},{"role":"assistant","parts":[{"type":"text","content":"Hat"}]}])");
  EXPECT_EQ(
      c.output_messages,
      R"([{"role":"assistant","parts":[{"type":"text","content":"Mat"}],"finish_reason":"STOP"}])");
  // The JSON-array form of streamGenerateContent is read as one body.
  CapturedContent array = run(
      ResponseApi::gemini, request,
      R"([{"candidates":[{"content":{"parts":[{"text":"Ma"}]}}]},{"candidates":[{"content":{"parts":[{"text":"t"}]},"finishReason":"STOP"}]}])",
      false);
  EXPECT_EQ(
      array.output_messages,
      R"([{"role":"assistant","parts":[{"type":"text","content":"Ma"},{"type":"text","content":"t"}],"finish_reason":"STOP"}])");
}

TEST(GenAiContent, ResponsesApiInstructionsInputAndOutputText) {
  std::string sse =
      "event: response.output_text.delta\ndata: "
      "{\"type\":\"response.output_text.delta\",\"delta\":\"O\"}\n\n"
      "event: response.output_text.delta\ndata: "
      "{\"type\":\"response.output_text.delta\",\"delta\":\"k\"}\n\n"
      "event: response.completed\ndata: "
      "{\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":1,\"output_"
      "tokens\":1}}}\n\n";
  CapturedContent c = run(ResponseApi::openai_responses,
                          R"({"model":"m","instructions":"Reply ok","input":"Go"})", sse, true);
  EXPECT_EQ(c.system_instructions, R"([{"type":"text","content":"Reply ok"}])");
  EXPECT_EQ(c.input_messages, R"([{"role":"user","parts":[{"type":"text","content":"Go"}]}])");
  EXPECT_EQ(
      c.output_messages,
      R"([{"role":"assistant","parts":[{"type":"text","content":"Ok"}],"finish_reason":"stop"}])");
  CapturedContent whole = run(
      ResponseApi::openai_responses,
      R"({"input":[{"role":"user","content":[{"type":"input_text","text":"Go"}]}]})",
      R"({"status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"Ok"}]}]})",
      false);
  EXPECT_EQ(whole.input_messages, c.input_messages);
  EXPECT_EQ(whole.output_messages, c.output_messages);
}

TEST(GenAiContent, Utf8PrefixNeverSplitsACharacter) {
  std::string s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";  // a é € 😀: 1+2+3+4 bytes
  EXPECT_EQ(utf8_prefix_length(s, 100), s.size());
  EXPECT_EQ(utf8_prefix_length(s, 1), 1u);
  EXPECT_EQ(utf8_prefix_length(s, 2), 1u);  // inside é
  EXPECT_EQ(utf8_prefix_length(s, 3), 3u);
  EXPECT_EQ(utf8_prefix_length(s, 5), 3u);  // inside €
  EXPECT_EQ(utf8_prefix_length(s, 6), 6u);
  EXPECT_EQ(utf8_prefix_length(s, 9), 6u);  // inside 😀
  EXPECT_EQ(utf8_prefix_length(s, 0), 0u);
  EXPECT_EQ(utf8_prefix_length("\x80\x80\x80\x80\x80\x80", 4), 4u);  // not UTF-8: cut as asked
}

TEST(GenAiContent, CapCutsCleanlyMarksAndStopsLaterMessages) {
  std::string prompt(40, 'p');
  std::string req = R"({"messages":[{"role":"user","content":"abc)" + std::string("\xc3\xa9") +
                    R"(def"},{"role":"user","content":"never"}]})";
  // 4 bytes: "abc" and then é would straddle the cap.
  CapturedContent c = run(ResponseApi::openai_chat, req, "", false, 4);
  EXPECT_EQ(c.input_messages,
            "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"abc" +
                std::string(kTruncatedMark) + "\"}]}]");
  EXPECT_TRUE(c.truncated);
  rapidjson::Document d;
  EXPECT_FALSE(d.Parse(c.input_messages.c_str()).HasParseError());
}

TEST(GenAiContent, StreamedAnswerStopsGrowingAtTheCap) {
  std::string sse;
  for (int i = 0; i < 1000; ++i)
    sse += "data: {\"choices\":[{\"delta\":{\"content\":\"\xe2\x82\xac\xe2\x82\xac\"}}]}\n\n";
  sse += "data: [DONE]\n\n";
  CapturedContent c = run(ResponseApi::openai_chat, "{}", sse, true, 100, 4096);
  EXPECT_TRUE(c.truncated);
  rapidjson::Document d;
  ASSERT_FALSE(d.Parse(c.output_messages.c_str()).HasParseError());
  std::string text = d[0]["parts"][0]["content"].GetString();
  // 33 euro signs (99 bytes) fit in 100; the mark follows.
  std::string euros;
  for (int i = 0; i < 33; ++i) euros += "\xe2\x82\xac";
  EXPECT_EQ(text, euros + std::string(kTruncatedMark));
}

TEST(GenAiContent, NotJsonOrNoMessagesCapturesNothing) {
  CapturedContent c = run(ResponseApi::openai_chat, "not json", "<html>", false);
  EXPECT_TRUE(c.input_messages.empty());
  EXPECT_TRUE(c.system_instructions.empty());
  EXPECT_TRUE(c.output_messages.empty());
  c = run(ResponseApi::anthropic, R"({"model":"x"})", R"({"error":{"type":"x"}})", false);
  EXPECT_TRUE(c.input_messages.empty());
}

TEST(GenAiContent, SpanCarriesTheAttributesOnlyWhenCaptured) {
  SpanRecord s;
  s.status = 200;
  std::string plain = encode_otlp_json({&s, 1}, "svc");
  EXPECT_EQ(plain.find("gen_ai.input.messages"), std::string::npos);
  EXPECT_EQ(plain.find("sluice.content_truncated"), std::string::npos);
  s.input_messages = R"([{"role":"user","parts":[{"type":"text","content":"hi"}]}])";
  s.output_messages = R"([{"role":"assistant","parts":[]}])";
  s.system_instructions = R"([{"type":"text","content":"sys"}])";
  s.content_truncated = true;
  rapidjson::Document d;
  std::string json = encode_otlp_json({&s, 1}, "svc");
  ASSERT_FALSE(d.Parse(json.c_str()).HasParseError());
  const auto& attrs = d["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"];
  std::map<std::string, std::string> by_key;
  for (const auto& a : attrs.GetArray())
    if (a["value"].HasMember("stringValue"))
      by_key[a["key"].GetString()] = a["value"]["stringValue"].GetString();
  EXPECT_EQ(by_key["gen_ai.input.messages"], s.input_messages);
  EXPECT_EQ(by_key["gen_ai.output.messages"], s.output_messages);
  EXPECT_EQ(by_key["gen_ai.system_instructions"], s.system_instructions);
  EXPECT_NE(json.find(R"("key":"sluice.content_truncated","value":{"boolValue":true})"),
            std::string::npos);
}

}  // namespace
}  // namespace sluice::telemetry
