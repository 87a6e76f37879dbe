// A translated stream, accumulated the way a client SDK accumulates it, sent back as the
// next turn's request through translate_request(): the provider must get its own tool
// call ids, arguments and thinking signatures back. Streams come from the golden corpus
// (tests/translate/streams/).

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "sluice/scan/sse_splitter.h"
#include "sluice/translate/translate.h"

namespace sluice::translate {
namespace {

namespace fs = std::filesystem;
using rapidjson::Document;
using rapidjson::Value;

std::string read_case(const std::string& name, const std::string& file) {
  const char* src = std::getenv("SLUICE_SOURCE_DIR");
  fs::path p =
      fs::path(src != nullptr ? src : ".") / "tests" / "translate" / "streams" / name / file;
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string translated(ApiFlavor provider, ApiFlavor client, const std::string& input) {
  ResponseContext ctx;
  ctx.model = "team-model";
  ctx.request_id = "req-rt";
  ctx.created_s = 1;
  StreamTranslator t(provider, client, ctx);
  std::string out;
  t.feed(input, out);
  t.finish(out);
  return out;
}

// The data of each SSE event.
std::vector<std::string> data_of(std::string_view stream) {
  std::vector<std::string> out;
  scan::SseSplitter sse;
  while (!stream.empty()) {
    scan::SseStep step = sse.step(stream);
    stream.remove_prefix(step.consumed);
    if (step.status == scan::SseStatus::event) out.emplace_back(sse.event().data);
  }
  return out;
}

std::string to_json(const Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return {buf.GetString(), buf.GetSize()};
}

std::string str(const Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

// An Anthropic client's message content, accumulated as the SDKs' MessageStream does.
std::string anthropic_content(const std::string& stream) {
  Document blocks(rapidjson::kArrayType);
  auto& a = blocks.GetAllocator();
  std::map<unsigned, std::string> json_args;
  for (const std::string& data : data_of(stream)) {
    Document e;
    e.Parse(data.c_str());
    const std::string type = str(e, "type");
    if (type == "content_block_start") {
      Value b(e["content_block"], a);
      blocks.PushBack(b, a);
    } else if (type == "content_block_delta") {
      const unsigned i = e["index"].GetUint();
      const Value& d = e["delta"];
      const std::string kind = str(d, "type");
      auto append = [&](const char* field, const std::string& more) {
        std::string now = str(blocks[i], field) + more;
        blocks[i][field].SetString(now.c_str(), static_cast<unsigned>(now.size()), a);
      };
      if (kind == "text_delta") append("text", str(d, "text"));
      if (kind == "thinking_delta") append("thinking", str(d, "thinking"));
      if (kind == "signature_delta") append("signature", str(d, "signature"));
      if (kind == "input_json_delta") json_args[i] += str(d, "partial_json");
    }
  }
  for (auto& [i, args] : json_args) {
    Document input(&a);
    input.Parse(args.c_str());
    blocks[i]["input"].CopyFrom(input, a);
  }
  return to_json(blocks);
}

// An OpenAI client's assistant message, accumulated from the chunks' deltas.
std::string openai_message(const std::string& stream, std::string& first_call_id) {
  std::string content, reasoning;
  Document msg(rapidjson::kObjectType);
  auto& a = msg.GetAllocator();
  Value thinking_blocks(rapidjson::kArrayType);
  Value calls(rapidjson::kArrayType);
  std::vector<std::string> args;
  for (const std::string& data : data_of(stream)) {
    if (data == "[DONE]") continue;
    Document e;
    e.Parse(data.c_str());
    if (!e.HasMember("choices") || e["choices"].Empty()) continue;
    const Value& d = e["choices"][0]["delta"];
    content += str(d, "content");
    if (d.HasMember("thinking_blocks")) {
      for (const Value& b : d["thinking_blocks"].GetArray()) {
        thinking_blocks.PushBack(Value(b, a), a);
      }
    }
    if (d.HasMember("tool_calls")) {
      for (const Value& c : d["tool_calls"].GetArray()) {
        const unsigned i = c["index"].GetUint();
        if (i == calls.Size()) {
          calls.PushBack(Value(c, a), a);
          calls[i].RemoveMember("index");
          args.emplace_back();
        }
        args[i] += str(c["function"], "arguments");
      }
    }
  }
  for (unsigned i = 0; i < calls.Size(); ++i) {
    calls[i]["function"]["arguments"].SetString(args[i].c_str(),
                                                static_cast<unsigned>(args[i].size()), a);
  }
  if (!calls.Empty()) first_call_id = str(calls[0], "id");
  msg.AddMember("role", "assistant", a);
  msg.AddMember("content", Value(content.c_str(), a), a);
  if (!thinking_blocks.Empty()) msg.AddMember("thinking_blocks", thinking_blocks, a);
  if (!calls.Empty()) msg.AddMember("tool_calls", calls, a);
  return to_json(msg);
}

// A Gemini client's model turns, recorded as the Google SDK's chat records a stream: each
// chunk's content as a turn of its own.
std::string gemini_turns(const std::string& stream) {
  std::string turns;
  for (const std::string& data : data_of(stream)) {
    Document e;
    e.Parse(data.c_str());
    if (!e.HasMember("candidates")) continue;
    const Value& content = e["candidates"][0]["content"];
    if (content["parts"].Empty()) continue;
    turns += "," + to_json(content);
  }
  return turns;
}

RequestOptions options() {
  RequestOptions o;
  o.model = "provider-model";
  return o;
}

TEST(StreamRoundTrip, GeminiCallSignatureComesBackThroughAnAnthropicClient) {
  const std::string stream =
      translated(ApiFlavor::gemini, ApiFlavor::anthropic,
                 read_case("gemini_tools_thought_signature", "input.gemini.sse"));
  const std::string content = anthropic_content(stream);
  Document blocks;
  blocks.Parse(content.c_str());
  std::string body = R"({"model":"team-model","max_tokens":100,"messages":[)"
                     R"({"role":"user","content":"Weather in Paris and Tokyo?"},)"
                     R"({"role":"assistant","content":)" +
                     content +
                     R"(},)"
                     R"({"role":"user","content":[)";
  bool first = true;
  for (const Value& b : blocks.GetArray()) {
    if (str(b, "type") != "tool_use") continue;
    body += first ? "" : ",";
    first = false;
    body += R"({"type":"tool_result","tool_use_id":")" + str(b, "id") + R"(","content":"18C"})";
  }
  body += "]}]}";
  RequestOut req = translate_request(ApiFlavor::anthropic, ApiFlavor::gemini, body, options());
  ASSERT_TRUE(req.ok) << req.message << "\n" << body;
  Document g;
  g.Parse(req.body.c_str());
  ASSERT_TRUE(g.HasMember("contents")) << req.body;
  const Value& model_turn = g["contents"][1];
  ASSERT_EQ(str(model_turn, "role"), "model") << req.body;
  int calls = 0;
  std::string signature_on_first_call;
  for (const Value& p : model_turn["parts"].GetArray()) {
    if (!p.HasMember("functionCall")) continue;
    if (calls++ == 0) signature_on_first_call = str(p, "thoughtSignature");
    EXPECT_EQ(str(p["functionCall"], "name"), "get_weather");
  }
  EXPECT_EQ(calls, 2) << req.body;
  EXPECT_EQ(signature_on_first_call, "CiQB0e2Kb7sig==") << req.body;
}

TEST(StreamRoundTrip, GeminiCallSignatureComesBackThroughAnOpenAiClient) {
  std::string call_id;
  const std::string msg =
      openai_message(translated(ApiFlavor::gemini, ApiFlavor::openai,
                                read_case("gemini_tools_thought_signature", "input.gemini.sse")),
                     call_id);
  const std::string body = R"({"model":"team-model","messages":[)"
                           R"({"role":"user","content":"Weather?"},)" +
                           msg + R"(,{"role":"tool","tool_call_id":")" + call_id +
                           R"(","content":"18C"}]})";
  RequestOut req = translate_request(ApiFlavor::openai, ApiFlavor::gemini, body, options());
  ASSERT_TRUE(req.ok) << req.message << "\n" << body;
  EXPECT_NE(req.body.find(R"("thoughtSignature":"CiQB0e2Kb7sig==")"), std::string::npos)
      << req.body;
}

TEST(StreamRoundTrip, AnthropicThinkingAndItsSignatureComeBackThroughAnOpenAiClient) {
  std::string call_id;
  const std::string msg =
      openai_message(translated(ApiFlavor::anthropic, ApiFlavor::openai,
                                read_case("anthropic_thinking_max_tokens", "input.anthropic.sse")),
                     call_id);
  const std::string body = R"({"model":"team-model","messages":[)"
                           R"({"role":"user","content":"2+2?"},)" +
                           msg + R"(,{"role":"user","content":"go on"}]})";
  RequestOut req = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, options());
  ASSERT_TRUE(req.ok) << req.message << "\n" << body;
  Document d;
  d.Parse(req.body.c_str());
  const Value& assistant = d["messages"][1];
  ASSERT_TRUE(assistant["content"].IsArray()) << req.body;
  const Value& thinking = assistant["content"][0];
  EXPECT_EQ(str(thinking, "type"), "thinking") << req.body;
  EXPECT_EQ(str(thinking, "thinking"), "The user wants 2+2. That is 4.");
  EXPECT_EQ(str(thinking, "signature"), "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds");
}

TEST(StreamRoundTrip, AnthropicToolIdsAndArgumentsComeBackThroughAnOpenAiClient) {
  std::string call_id;
  const std::string msg =
      openai_message(translated(ApiFlavor::anthropic, ApiFlavor::openai,
                                read_case("anthropic_tools_cache", "input.anthropic.sse")),
                     call_id);
  EXPECT_EQ(call_id, "toolu_01A");
  const std::string body = R"({"model":"team-model","messages":[)"
                           R"({"role":"user","content":"Weather?"},)" +
                           msg +
                           R"(,{"role":"tool","tool_call_id":"toolu_01A","content":"18C"})"
                           R"(,{"role":"tool","tool_call_id":"toolu_01B","content":"25C"}]})";
  RequestOut req = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, options());
  ASSERT_TRUE(req.ok) << req.message << "\n" << body;
  Document d;
  d.Parse(req.body.c_str());
  const Value& content = d["messages"][1]["content"];
  ASSERT_TRUE(content.IsArray()) << req.body;
  int seen = 0;
  for (const Value& b : content.GetArray()) {
    if (str(b, "type") != "tool_use") continue;
    ++seen;
    const std::string want = str(b, "id") == "toolu_01A" ? "Paris" : "Tōkyō";
    EXPECT_EQ(str(b["input"], "city"), want) << req.body;
  }
  EXPECT_EQ(seen, 2) << req.body;
}

// The Gemini stream writer sends Anthropic thinking as it arrives, as thought parts, and
// its signature as an empty thought part after them: the request reader joins the run
// into one thinking block, which is the only shape Anthropic accepts back.
TEST(StreamRoundTrip, AnthropicThinkingAndItsSignatureComeBackThroughAGeminiClient) {
  const std::string turns =
      gemini_turns(translated(ApiFlavor::anthropic, ApiFlavor::gemini,
                              read_case("anthropic_thinking_max_tokens", "input.anthropic.sse")));
  const std::string body = R"({"contents":[{"role":"user","parts":[{"text":"2+2?"}]})" + turns +
                           R"(,{"role":"user","parts":[{"text":"go on"}]}]})";
  RequestOut req = translate_request(ApiFlavor::gemini, ApiFlavor::anthropic, body, options());
  ASSERT_TRUE(req.ok) << req.message << "\n" << body;
  Document d;
  d.Parse(req.body.c_str());
  const Value& assistant = d["messages"][1];
  ASSERT_EQ(str(assistant, "role"), "assistant") << req.body;
  ASSERT_TRUE(assistant["content"].IsArray()) << req.body;
  const Value& content = assistant["content"];
  ASSERT_GE(content.Size(), 2u) << req.body;
  EXPECT_EQ(str(content[0], "type"), "thinking") << req.body;
  EXPECT_EQ(str(content[0], "thinking"), "The user wants 2+2. That is 4.") << req.body;
  EXPECT_EQ(str(content[0], "signature"), "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds");
  std::string text;  // one text block per streamed chunk: Anthropic takes them as they are
  for (unsigned i = 1; i < content.Size(); ++i) {
    EXPECT_EQ(str(content[i], "type"), "text") << req.body;
    text += str(content[i], "text");
  }
  EXPECT_EQ(text, "2 + 2 = 4, and") << req.body;
}

// The same turn as the whole-response writer shapes it: one thought part holding the
// text and the signature.
TEST(StreamRoundTrip, AnthropicThinkingComesBackThroughAGeminiClientsWholeResponse) {
  const std::string anthropic_answer =
      R"({"id":"msg_1","type":"message","role":"assistant","model":"claude",)"
      R"("content":[{"type":"thinking","thinking":"Two blocks. ","signature":"sigA"},)"
      R"({"type":"redacted_thinking","data":"opaque"},)"
      R"({"type":"thinking","thinking":"Second.","signature":"sigB"},)"
      R"({"type":"text","text":"Done."}],)"
      R"("stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4}})";
  ResponseContext ctx;
  ctx.model = "team-model";
  ctx.request_id = "req-rt";
  ResponseOut answer =
      translate_response(ApiFlavor::anthropic, ApiFlavor::gemini, anthropic_answer, ctx);
  ASSERT_TRUE(answer.ok) << answer.message;
  Document g;
  g.Parse(answer.body.c_str());
  const std::string body = R"({"contents":[{"role":"user","parts":[{"text":"hi"}]},)" +
                           to_json(g["candidates"][0]["content"]) + "]}";
  RequestOut req = translate_request(ApiFlavor::gemini, ApiFlavor::anthropic, body, options());
  ASSERT_TRUE(req.ok) << req.message << "\n" << body;
  Document d;
  d.Parse(req.body.c_str());
  const Value& content = d["messages"][1]["content"];
  ASSERT_TRUE(content.IsArray()) << req.body;
  ASSERT_EQ(content.Size(), 4u) << req.body;
  EXPECT_EQ(str(content[0], "thinking"), "Two blocks. ") << req.body;
  EXPECT_EQ(str(content[0], "signature"), "sigA") << req.body;
  EXPECT_EQ(str(content[1], "type"), "redacted_thinking") << req.body;
  EXPECT_EQ(str(content[1], "data"), "opaque") << req.body;
  EXPECT_EQ(str(content[2], "thinking"), "Second.") << req.body;
  EXPECT_EQ(str(content[2], "signature"), "sigB") << req.body;
  EXPECT_EQ(str(content[3], "text"), "Done.") << req.body;
}

// A Gemini signature on a text part rides after the text block, so the answer's text
// stays one block, and goes back to Gemini on that text.
TEST(StreamRoundTrip, GeminiTextSignatureKeepsAnAnthropicClientsTextInOneBlock) {
  const std::string content =
      anthropic_content(translated(ApiFlavor::gemini, ApiFlavor::anthropic,
                                   read_case("gemini_signed_text_safety", "input.gemini.sse")));
  Document blocks;
  blocks.Parse(content.c_str());
  int text_blocks = 0;
  for (const Value& b : blocks.GetArray()) {
    if (str(b, "type") != "text") continue;
    ++text_blocks;
    EXPECT_EQ(str(b, "text"), "Here is the start") << content;
  }
  EXPECT_EQ(text_blocks, 1) << content;
  const std::string body = R"({"model":"team-model","max_tokens":100,"messages":[)"
                           R"({"role":"user","content":"Go"},)"
                           R"({"role":"assistant","content":)" +
                           content + R"(},{"role":"user","content":"more"}]})";
  RequestOut req = translate_request(ApiFlavor::anthropic, ApiFlavor::gemini, body, options());
  ASSERT_TRUE(req.ok) << req.message << "\n" << body;
  Document g;
  g.Parse(req.body.c_str());
  const Value& parts = g["contents"][1]["parts"];
  ASSERT_EQ(parts.Size(), 1u) << req.body;
  EXPECT_EQ(str(parts[0], "text"), "Here is the start") << req.body;
  EXPECT_EQ(str(parts[0], "thoughtSignature"), "Q2lR==") << req.body;
}

// Gemini ends an answer with its signature on an empty text part: with no part after it,
// it still goes back to Gemini.
TEST(StreamRoundTrip, GeminiSignatureAtTheEndComesBackThroughAnAnthropicClient) {
  const std::string content =
      anthropic_content(translated(ApiFlavor::gemini, ApiFlavor::anthropic,
                                   read_case("gemini_text_signature_at_end", "input.gemini.sse")));
  const std::string body = R"({"model":"team-model","max_tokens":100,"messages":[)"
                           R"({"role":"user","content":"2+2?"},)"
                           R"({"role":"assistant","content":)" +
                           content + R"(},{"role":"user","content":"why?"}]})";
  RequestOut req = translate_request(ApiFlavor::anthropic, ApiFlavor::gemini, body, options());
  ASSERT_TRUE(req.ok) << req.message << "\n" << body;
  Document g;
  g.Parse(req.body.c_str());
  const Value& parts = g["contents"][1]["parts"];
  ASSERT_EQ(parts.Size(), 1u) << req.body;
  EXPECT_EQ(str(parts[0], "text"), "The answer is 4.") << req.body;
  EXPECT_EQ(str(parts[0], "thoughtSignature"), "RW5kU2ln") << req.body;
}

// The whole-response writer marks a signed text part the same way.
TEST(StreamRoundTrip, GeminiTextSignaturesComeBackThroughAnAnthropicClientsWholeResponse) {
  const std::string gemini_answer =
      R"({"candidates":[{"content":{"role":"model","parts":[{"text":"One. "},)"
      R"({"text":"Two.","thoughtSignature":"U2ln"},{"text":"","thoughtSignature":"RW5k"}]},)"
      R"("finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":2}})";
  ResponseContext ctx;
  ctx.model = "team-model";
  ctx.request_id = "req-rt";
  ResponseOut answer =
      translate_response(ApiFlavor::gemini, ApiFlavor::anthropic, gemini_answer, ctx);
  ASSERT_TRUE(answer.ok) << answer.message;
  Document a;
  a.Parse(answer.body.c_str());
  const Value& content = a["content"];
  ASSERT_EQ(content.Size(), 4u) << answer.body;
  EXPECT_EQ(str(content[0], "text"), "One. ") << answer.body;
  EXPECT_EQ(str(content[1], "text"), "Two.") << answer.body;
  EXPECT_EQ(str(content[2], "type"), "thinking") << answer.body;
  EXPECT_EQ(str(content[3], "type"), "thinking") << answer.body;
  const std::string body = R"({"model":"team-model","max_tokens":100,"messages":[)"
                           R"({"role":"user","content":"count"},)"
                           R"({"role":"assistant","content":)" +
                           to_json(content) + R"(},{"role":"user","content":"more"}]})";
  RequestOut req = translate_request(ApiFlavor::anthropic, ApiFlavor::gemini, body, options());
  ASSERT_TRUE(req.ok) << req.message << "\n" << body;
  Document g;
  g.Parse(req.body.c_str());
  const Value& parts = g["contents"][1]["parts"];
  ASSERT_EQ(parts.Size(), 3u) << req.body;
  EXPECT_EQ(str(parts[0], "thoughtSignature"), "") << req.body;
  EXPECT_EQ(str(parts[1], "text"), "Two.") << req.body;
  EXPECT_EQ(str(parts[1], "thoughtSignature"), "U2ln") << req.body;
  EXPECT_EQ(str(parts[2], "text"), "") << req.body;
  EXPECT_EQ(str(parts[2], "thoughtSignature"), "RW5k") << req.body;
}

}  // namespace
}  // namespace sluice::translate
