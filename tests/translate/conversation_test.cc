// Multi-turn tool loops through the translators, as a client and provider of different
// formats would run them through the gateway: the provider's answer is translated for
// the client, the client sends it back with its tool result, and the next request must
// reach the provider with the same calls, their ids matched and the signatures the
// provider made.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/writer.h>

#include <string>

#include "sluice/translate/translate.h"

namespace sluice::translate {
namespace {

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str(), s.size());
  EXPECT_FALSE(d.HasParseError()) << s;
  return d;
}

std::string text(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

RequestOptions opts() {
  RequestOptions o;
  o.model = "m";
  return o;
}

ResponseContext ctx() {
  ResponseContext c;
  c.model = "alias";
  c.request_id = "turn1";
  return c;
}

// A Gemini answer with a signed call and an unsigned one, no ids.
constexpr const char* kGeminiCalls =
    R"({"candidates":[{"content":{"role":"model","parts":[)"
    R"({"functionCall":{"name":"lookup","args":{"id":"A"}},"thoughtSignature":"SIG-A"},)"
    R"({"functionCall":{"name":"lookup","args":{"id":"B"}}}]},"finishReason":"STOP"}]})";

TEST(Conversation, OpenAIClientGeminiProviderKeepsIdsAndSignatures) {
  ResponseOut answer =
      translate_response(ApiFlavor::gemini, ApiFlavor::openai, kGeminiCalls, ctx());
  ASSERT_TRUE(answer.ok) << answer.message;
  rapidjson::Document a = parse(answer.body);
  const rapidjson::Value& message = a["choices"][0]["message"];
  ASSERT_EQ(message["tool_calls"].Size(), 2u);
  const std::string id0 = message["tool_calls"][0]["id"].GetString();
  const std::string id1 = message["tool_calls"][1]["id"].GetString();
  EXPECT_NE(id0, id1);
  // The client sends the assistant message back as it got it, with both results in
  // the opposite order.
  std::string next = R"({"messages":[{"role":"user","content":"look up A and B"},)" +
                     text(message) + R"(,{"role":"tool","tool_call_id":")" + id1 +
                     R"(","content":"B is beta"},{"role":"tool","tool_call_id":")" + id0 +
                     R"(","content":"{\"name\":\"alpha\"}"}]})";
  RequestOut req = translate_request(ApiFlavor::openai, ApiFlavor::gemini, next, opts());
  ASSERT_TRUE(req.ok) << req.message;
  rapidjson::Document r = parse(req.body);
  const rapidjson::Value& model = r["contents"][1];
  EXPECT_STREQ(model["role"].GetString(), "model");
  ASSERT_EQ(model["parts"].Size(), 2u);
  EXPECT_STREQ(model["parts"][0]["thoughtSignature"].GetString(), "SIG-A");
  EXPECT_FALSE(model["parts"][1].HasMember("thoughtSignature"));
  const rapidjson::Value& results = r["contents"][2]["parts"];
  ASSERT_EQ(results.Size(), 2u);
  EXPECT_STREQ(results[0]["functionResponse"]["name"].GetString(), "lookup");
  EXPECT_STREQ(results[0]["functionResponse"]["response"]["result"].GetString(), "B is beta");
  EXPECT_STREQ(results[1]["functionResponse"]["response"]["name"].GetString(), "alpha");
}

TEST(Conversation, AnthropicClientGeminiProviderKeepsSignatures) {
  ResponseOut answer =
      translate_response(ApiFlavor::gemini, ApiFlavor::anthropic, kGeminiCalls, ctx());
  ASSERT_TRUE(answer.ok) << answer.message;
  rapidjson::Document a = parse(answer.body);
  EXPECT_STREQ(a["stop_reason"].GetString(), "tool_use");
  std::string results;
  for (const auto& block : a["content"].GetArray()) {
    if (std::string(block["type"].GetString()) != "tool_use") continue;
    if (!results.empty()) results += ',';
    results += R"({"type":"tool_result","tool_use_id":")" + std::string(block["id"].GetString()) +
               R"(","content":"ok"})";
  }
  std::string next = R"({"max_tokens":100,"messages":[{"role":"user","content":"go"},)"
                     R"({"role":"assistant","content":)" +
                     text(a["content"]) + R"(},{"role":"user","content":[)" + results + "]}]}";
  RequestOut req = translate_request(ApiFlavor::anthropic, ApiFlavor::gemini, next, opts());
  ASSERT_TRUE(req.ok) << req.message;
  rapidjson::Document r = parse(req.body);
  const rapidjson::Value& parts = r["contents"][1]["parts"];
  ASSERT_EQ(parts.Size(), 2u) << req.body;  // the carrier block is gone, its signature kept
  EXPECT_STREQ(parts[0]["thoughtSignature"].GetString(), "SIG-A");
  EXPECT_STREQ(parts[0]["functionCall"]["args"]["id"].GetString(), "A");
  EXPECT_EQ(r["contents"][2]["parts"].Size(), 2u);
  // Sent to Anthropic instead (a fallback), Gemini's signature goes nowhere.
  RequestOut claude = translate_request(ApiFlavor::anthropic, ApiFlavor::openai, next, opts());
  ASSERT_TRUE(claude.ok) << claude.message;
  EXPECT_EQ(claude.body.find("SIG-A"), std::string::npos);
}

TEST(Conversation, GeminiClientAnthropicProviderKeepsThinkingBlocks) {
  const char* claude =
      R"({"id":"msg_1","content":[{"type":"thinking","thinking":"plan","signature":"CLAUDE-SIG"},)"
      R"({"type":"redacted_thinking","data":"REDACTED"},)"
      R"({"type":"tool_use","id":"toolu_9","name":"lookup","input":{"id":"A"}}],)"
      R"("stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":7}})";
  ResponseOut answer = translate_response(ApiFlavor::anthropic, ApiFlavor::gemini, claude, ctx());
  ASSERT_TRUE(answer.ok) << answer.message;
  rapidjson::Document a = parse(answer.body);
  const rapidjson::Value& content = a["candidates"][0]["content"];
  // The Google SDK keeps the model's content in its history and sends it back.
  std::string next = R"({"contents":[{"role":"user","parts":[{"text":"go"}]},)" + text(content) +
                     R"(,{"role":"user","parts":[{"functionResponse":{"name":"lookup",)"
                     R"("response":{"name":"alpha"}}}]}],)"
                     R"("generationConfig":{"thinkingConfig":{"thinkingBudget":2048}}})";
  RequestOut req = translate_request(ApiFlavor::gemini, ApiFlavor::anthropic, next, opts());
  ASSERT_TRUE(req.ok) << req.message;
  rapidjson::Document r = parse(req.body);
  const rapidjson::Value& blocks = r["messages"][1]["content"];
  ASSERT_EQ(blocks.Size(), 3u) << req.body;
  EXPECT_STREQ(blocks[0]["type"].GetString(), "thinking");
  EXPECT_STREQ(blocks[0]["signature"].GetString(), "CLAUDE-SIG");
  EXPECT_STREQ(blocks[1]["type"].GetString(), "redacted_thinking");
  EXPECT_STREQ(blocks[1]["data"].GetString(), "REDACTED");
  EXPECT_STREQ(blocks[2]["id"].GetString(), "toolu_9");
  const rapidjson::Value& result = r["messages"][2]["content"][0];
  EXPECT_STREQ(result["type"].GetString(), "tool_result");
  EXPECT_STREQ(result["tool_use_id"].GetString(), "toolu_9");
}

TEST(Conversation, OpenAIClientAnthropicProviderKeepsThinkingBlocks) {
  const char* claude =
      R"({"id":"msg_1","content":[{"type":"thinking","thinking":"plan","signature":"CLAUDE-SIG"},)"
      R"({"type":"tool_use","id":"toolu_9","name":"lookup","input":{"id":"A"}}],)"
      R"("stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":7}})";
  ResponseOut answer = translate_response(ApiFlavor::anthropic, ApiFlavor::openai, claude, ctx());
  ASSERT_TRUE(answer.ok) << answer.message;
  rapidjson::Document a = parse(answer.body);
  const rapidjson::Value& message = a["choices"][0]["message"];
  EXPECT_STREQ(message["reasoning_content"].GetString(), "plan");
  std::string next = R"({"reasoning_effort":"low","messages":[{"role":"user","content":"go"},)" +
                     text(message) +
                     R"(,{"role":"tool","tool_call_id":"toolu_9","content":"alpha"}]})";
  RequestOut req = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, next, opts());
  ASSERT_TRUE(req.ok) << req.message;
  rapidjson::Document r = parse(req.body);
  const rapidjson::Value& blocks = r["messages"][1]["content"];
  ASSERT_EQ(blocks.Size(), 2u) << req.body;
  EXPECT_STREQ(blocks[0]["signature"].GetString(), "CLAUDE-SIG");
  EXPECT_STREQ(blocks[1]["type"].GetString(), "tool_use");
  EXPECT_STREQ(r["messages"][2]["content"][0]["tool_use_id"].GetString(), "toolu_9");
}

}  // namespace
}  // namespace sluice::translate
