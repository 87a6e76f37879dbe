// Request behaviours the golden corpus does not show: what is refused, what is dropped
// and named, and how bad input is answered.

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "sluice/translate/translate.h"

namespace sluice::translate {
namespace {

constexpr ApiFlavor kFlavors[] = {ApiFlavor::openai, ApiFlavor::anthropic, ApiFlavor::gemini};

RequestOptions opts(bool refuse = false) {
  RequestOptions o;
  o.model = "m";
  o.refuse_unsupported = refuse;
  return o;
}

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str(), s.size());
  EXPECT_FALSE(d.HasParseError()) << s;
  return d;
}

TEST(Request, BadBodiesAreClearErrorsInEveryDirection) {
  for (ApiFlavor from : kFlavors) {
    for (ApiFlavor to : kFlavors) {
      for (const char* body : {"", "{", "[]", "42", R"({"messages":5})", R"({"contents":{}})",
                               "{\"messages\":[1]}", "{\"contents\":[{\"role\":\"x\"}]}"}) {
        RequestOut r = translate_request(from, to, body, opts());
        EXPECT_FALSE(r.ok) << body;
        EXPECT_FALSE(r.message.empty()) << body;
        EXPECT_EQ(r.error, route::ErrorClass::bad_request);
        EXPECT_TRUE(r.body.empty());
      }
    }
  }
}

// A schema whose `properties` is not an object is written as an empty map, not read as one.
TEST(Request, SchemaPropertiesThatAreNotAnObjectBecomeEmpty) {
  const std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":)"
      R"({"type":"json_schema","json_schema":{"name":"c","schema":)"
      R"({"type":"object","properties":false}}}})";
  for (ApiFlavor to : {ApiFlavor::anthropic, ApiFlavor::gemini}) {
    RequestOut r = translate_request(ApiFlavor::openai, to, body, opts());
    ASSERT_TRUE(r.ok) << r.message;
    EXPECT_NE(r.body.find(R"("properties":{})"), std::string::npos) << r.body;
  }
}

TEST(Request, DeepNestingIsRefusedNotRecursed) {
  std::string body = R"({"messages":[{"role":"user","content":"x"}],"x":)";
  body += std::string(100000, '[');
  body += std::string(100000, ']');
  body += '}';
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, opts());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("deeper"), std::string::npos) << r.message;
}

TEST(Request, AnthropicGetsTheDefaultMaxTokens) {
  RequestOptions o = opts();
  o.default_max_tokens = 777;
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::anthropic,
                                   R"({"messages":[{"role":"user","content":"hi"}]})", o);
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(parse(r.body)["max_tokens"].GetUint(), 777u);
}

TEST(Request, ParametersTheTargetCannotHonourAreNamed) {
  const char* body =
      R"({"messages":[{"role":"user","content":"hi"}],"seed":1,"logit_bias":{"5":1},)"
      R"("presence_penalty":0.5})";
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, opts());
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.dropped, (std::vector<std::string>{"logit_bias", "seed", "presence_penalty"}));
  rapidjson::Document d = parse(r.body);
  EXPECT_FALSE(d.HasMember("seed"));
  EXPECT_FALSE(d.HasMember("logit_bias"));
}

TEST(Request, EveryUnknownMemberIsNamedInTheBodysOrderAndTheFirstOfTwinsCounts) {
  std::string body = R"({"messages":[{"role":"user","content":"hi"}])";
  std::vector<std::string> want;
  for (int i = 0; i < 11; ++i) {  // more than the reader keeps in its first pass
    body += ",\"x" + std::to_string(i) + "\":1";
    want.push_back("x" + std::to_string(i));
  }
  body += R"(,"temperature":0.25,"temperature":0.75})";
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, opts());
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.dropped, want);
  EXPECT_EQ(parse(r.body)["temperature"].GetDouble(), 0.25);
}

TEST(Request, DroppedNamesAreFitForAHeader) {
  const char* body = "{\"messages\":[],\"evil\\r\\nx-injected: 1,a\":1,\"\":2}";
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::gemini, body, opts());
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.dropped, (std::vector<std::string>{"evil??x-injected:?1?a", "?"}));
}

TEST(Request, RefuseUnsupportedTurnsADropIntoA400) {
  const char* body = R"({"messages":[{"role":"user","content":"hi"}],"seed":1})";
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, opts(true));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, route::ErrorClass::bad_request);
  EXPECT_NE(r.message.find("seed"), std::string::npos) << r.message;
  // Gemini takes a seed: nothing to refuse.
  EXPECT_TRUE(translate_request(ApiFlavor::openai, ApiFlavor::gemini, body, opts(true)).ok);
}

TEST(Request, DroppedNamesAreInTheClientsWords) {
  const char* body =
      R"({"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"seed":3}})";
  RequestOut r = translate_request(ApiFlavor::gemini, ApiFlavor::anthropic, body, opts());
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(r.dropped, (std::vector<std::string>{"generationConfig.seed"}));
  RequestOut k = translate_request(ApiFlavor::anthropic, ApiFlavor::openai,
                                   R"({"max_tokens":5,"top_k":3,"messages":[]})", opts());
  ASSERT_TRUE(k.ok) << k.message;
  EXPECT_EQ(k.dropped, (std::vector<std::string>{"top_k"}));
}

TEST(Request, ImageUrlToGeminiIsA400NamingTheLimit) {
  const char* body = R"({"messages":[{"role":"user","content":[{"type":"image_url",)"
                     R"("image_url":{"url":"https://example.com/cat.png"}}]}]})";
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::gemini, body, opts());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, route::ErrorClass::bad_request);
  EXPECT_NE(r.message.find("URL"), std::string::npos) << r.message;
  // Anthropic fetches image URLs itself.
  RequestOut a = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, opts());
  ASSERT_TRUE(a.ok) << a.message;
  rapidjson::Document d = parse(a.body);
  const auto& source = d["messages"][0]["content"][0]["source"];
  EXPECT_STREQ(source["type"].GetString(), "url");
  EXPECT_STREQ(source["url"].GetString(), "https://example.com/cat.png");
}

TEST(Request, GeminiFileUrisAreA400ForOthers) {
  const char* body =
      R"({"contents":[{"parts":[{"file_data":{"mime_type":"image/png",)"
      R"("file_uri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}]}]})";
  for (ApiFlavor to : {ApiFlavor::openai, ApiFlavor::anthropic}) {
    RequestOut r = translate_request(ApiFlavor::gemini, to, body, opts());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.message.find("Files API"), std::string::npos) << r.message;
  }
}

TEST(Request, AudioToAnthropicIsA400) {
  const char* body = R"({"messages":[{"role":"user","content":[{"type":"input_audio",)"
                     R"("input_audio":{"data":"AAAA","format":"wav"}}]}]})";
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, opts());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("audio/wav"), std::string::npos) << r.message;
  RequestOut g = translate_request(ApiFlavor::openai, ApiFlavor::gemini, body, opts());
  ASSERT_TRUE(g.ok) << g.message;
  EXPECT_STREQ(parse(g.body)["contents"][0]["parts"][0]["inlineData"]["mimeType"].GetString(),
               "audio/wav");
}

TEST(Request, ToolResultWithoutItsCallIsA400ForGemini) {
  const char* body = R"({"messages":[{"role":"tool","tool_call_id":"call_x","content":"4"}]})";
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::gemini, body, opts());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("call_x"), std::string::npos) << r.message;
}

TEST(Request, StreamFlagsComeBack) {
  RequestOut r = translate_request(
      ApiFlavor::openai, ApiFlavor::gemini,
      R"({"messages":[],"stream":true,"stream_options":{"include_usage":true}})", opts());
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
  RequestOptions o = opts();
  o.stream = true;
  RequestOut g = translate_request(ApiFlavor::gemini, ApiFlavor::openai, R"({"contents":[]})", o);
  ASSERT_TRUE(g.ok) << g.message;
  EXPECT_TRUE(g.stream);
  rapidjson::Document d = parse(g.body);
  EXPECT_TRUE(d["stream"].GetBool());
  // The ledger needs usage, so OpenAI is always asked for it in a stream.
  EXPECT_TRUE(d["stream_options"]["include_usage"].GetBool());
}

TEST(Request, ToolIdsBecomeAnthropicSafeOnBothSides) {
  const char* body =
      R"({"messages":[{"role":"assistant","tool_calls":[{"id":"call:1","type":"function",)"
      R"("function":{"name":"f","arguments":"not json"}}]},)"
      R"({"role":"tool","tool_call_id":"call:1","content":"ok"}]})";
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, opts());
  ASSERT_TRUE(r.ok) << r.message;
  rapidjson::Document d = parse(r.body);
  const auto& use = d["messages"][0]["content"][0];
  EXPECT_STREQ(use["id"].GetString(), "call_1");
  EXPECT_STREQ(use["input"]["sluice_unparsed_arguments"].GetString(), "not json");
  EXPECT_STREQ(d["messages"][1]["content"][0]["tool_use_id"].GetString(), "call_1");
}

TEST(Request, GeminiSchemaLosesKeywordsGeminiRejects) {
  const char* body =
      R"({"messages":[],"tools":[{"type":"function","function":{"name":"f","parameters":)"
      R"({"$schema":"x","type":"object","additionalProperties":false,"properties":)"
      R"({"a":{"const":"k"},"b":{"type":["integer","null"],"exclusiveMinimum":0,"enum":[1,2]}}}}}]})";
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::gemini, body, opts());
  ASSERT_TRUE(r.ok) << r.message;
  rapidjson::Document d = parse(r.body);
  const auto& p = d["tools"][0]["functionDeclarations"][0]["parameters"];
  EXPECT_FALSE(p.HasMember("$schema"));
  EXPECT_FALSE(p.HasMember("additionalProperties"));
  EXPECT_STREQ(p["properties"]["a"]["enum"][0].GetString(), "k");
  EXPECT_STREQ(p["properties"]["b"]["type"].GetString(), "integer");
  EXPECT_TRUE(p["properties"]["b"]["nullable"].GetBool());
  EXPECT_FALSE(p["properties"]["b"].HasMember("exclusiveMinimum"));
  EXPECT_STREQ(p["properties"]["b"]["enum"][1].GetString(), "2");
}

TEST(Request, SchemaKeysAreEscapedAgain) {
  const char* body =
      R"({"messages":[],"tools":[{"type":"function","function":{"name":"f","parameters":)"
      R"({"type":"object","properties":{"a\n\"b":{"type":"string"}},"x\u0001":1}}}]})";
  for (ApiFlavor to : {ApiFlavor::gemini, ApiFlavor::anthropic}) {
    RequestOut r = translate_request(ApiFlavor::openai, to, body, opts());
    ASSERT_TRUE(r.ok) << r.message;
    parse(r.body);  // fails the test when the output is not JSON
  }
}

TEST(Request, SelfReferencingSchemaStaysBounded) {
  const char* body =
      R"({"messages":[],"tools":[{"type":"function","function":{"name":"f","parameters":)"
      R"({"type":"object","properties":{"a":{"$ref":"#/$defs/N"},"b":{"$ref":"#/$defs/N"}},)"
      R"("$defs":{"N":{"type":"object","properties":{"l":{"$ref":"#/$defs/N"},)"
      R"("r":{"$ref":"#/$defs/N"}}}}}}}]})";
  for (ApiFlavor to : {ApiFlavor::gemini, ApiFlavor::anthropic}) {
    RequestOut r = translate_request(ApiFlavor::openai, to, body, opts());
    ASSERT_TRUE(r.ok) << r.message;
    EXPECT_LT(r.body.size(), 100000u);
  }
}

TEST(Request, ThinkingAndAForcedToolDoNotMeetAtAnthropic) {
  const char* body = R"({"messages":[],"reasoning_effort":"high","tool_choice":"required",)"
                     R"("tools":[{"type":"function","function":{"name":"f"}}]})";
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, opts());
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_FALSE(parse(r.body).HasMember("thinking"));
  EXPECT_EQ(r.dropped, (std::vector<std::string>{"reasoning_effort"}));
}

}  // namespace
}  // namespace sluice::translate

namespace sluice::translate {
namespace {

TEST(Request, GeminiGetsNoParametersForAFunctionWithoutArguments) {
  const char* body =
      R"({"model":"x","max_tokens":9,"messages":[],"tools":[{"name":"now","input_schema":)"
      R"({"type":"object","properties":{}}}]})";
  RequestOut r = translate_request(ApiFlavor::anthropic, ApiFlavor::gemini, body, opts());
  ASSERT_TRUE(r.ok) << r.message;
  rapidjson::Document d = parse(r.body);
  const auto& decl = d["tools"][0]["functionDeclarations"][0];
  EXPECT_STREQ(decl["name"].GetString(), "now");
  EXPECT_FALSE(decl.HasMember("parameters"));
}

TEST(Request, TemperatureAboveAnthropicsRangeIsClamped) {
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::anthropic,
                                   R"({"messages":[],"temperature":1.6})", opts());
  ASSERT_TRUE(r.ok) << r.message;
  EXPECT_EQ(parse(r.body)["temperature"].GetDouble(), 1.0);
  RequestOut g = translate_request(ApiFlavor::openai, ApiFlavor::gemini,
                                   R"({"messages":[],"temperature":1.6})", opts());
  ASSERT_TRUE(g.ok) << g.message;
  EXPECT_EQ(parse(g.body)["generationConfig"]["temperature"].GetDouble(), 1.6);
}

TEST(Request, AnEmptySystemPromptIsNotSent) {
  const char* body =
      R"({"messages":[{"role":"system","content":""},{"role":"user","content":"a"}]})";
  for (ApiFlavor to : {ApiFlavor::anthropic, ApiFlavor::gemini}) {
    RequestOut r = translate_request(ApiFlavor::openai, to, body, opts());
    ASSERT_TRUE(r.ok) << r.message;
    rapidjson::Document d = parse(r.body);
    EXPECT_FALSE(d.HasMember("system"));
    EXPECT_FALSE(d.HasMember("systemInstruction"));
  }
}

TEST(Request, MediaInAToolResultIsA400WhereOnlyTextFits) {
  const char* body =
      R"({"max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use",)"
      R"("id":"t1","name":"shot","input":{}}]},{"role":"user","content":[{"type":"tool_result",)"
      R"("tool_use_id":"t1","content":[{"type":"image","source":{"type":"base64",)"
      R"("media_type":"image/png","data":"AA=="}}]}]}]})";
  for (ApiFlavor to : {ApiFlavor::openai, ApiFlavor::gemini}) {
    RequestOut r = translate_request(ApiFlavor::anthropic, to, body, opts());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.message.find("image/png"), std::string::npos) << r.message;
  }
}

TEST(Request, TurnsLeftWithNothingAreLeftOut) {
  // An assistant turn holding only another provider's thinking and an empty text.
  const char* body =
      R"({"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"",)"
      R"("thinking_blocks":[{"type":"thinking","thinking":"t","signature":"s"}]},)"
      R"({"role":"user","content":"b"}]})";
  RequestOut g = translate_request(ApiFlavor::openai, ApiFlavor::gemini, body, opts());
  ASSERT_TRUE(g.ok) << g.message;
  rapidjson::Document d = parse(g.body);
  ASSERT_EQ(d["contents"].Size(), 2u) << g.body;
  for (const auto& c : d["contents"].GetArray()) {
    EXPECT_STREQ(c["role"].GetString(), "user");
    EXPECT_GT(c["parts"].Size(), 0u);
  }
  RequestOut a = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, opts());
  ASSERT_TRUE(a.ok) << a.message;
  rapidjson::Document e = parse(a.body);
  ASSERT_EQ(e["messages"].Size(), 3u) << a.body;  // the thinking block is Anthropic's own
  EXPECT_STREQ(e["messages"][1]["content"][0]["type"].GetString(), "thinking");
}

// The in-place parse copies plain runs a word at a time: a quote, backslash, escape or
// multi-byte character at every offset within a word must come through unchanged.
TEST(Request, StringsComeThroughAtEveryOffsetOfTheWordScan) {
  for (size_t lead = 0; lead < 17; ++lead) {
    for (const char* special : {"\\\"", "\\\\", "\\n", "\\u00e9", "\xc3\xa9", "\\/", "\\u0001"}) {
      std::string json_text = std::string(lead, 'a') + special + std::string(lead + 3, 'b');
      const std::string body =
          R"({"model":"m","messages":[{"role":"user","content":")" + json_text + R"("}]})";
      RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, opts());
      ASSERT_TRUE(r.ok) << r.message;
      rapidjson::Document client = parse(body);
      rapidjson::Document provider = parse(r.body);
      const rapidjson::Value& sent = client["messages"][0]["content"];
      const rapidjson::Value& got = provider["messages"][0]["content"][0]["text"];
      EXPECT_EQ(std::string(got.GetString(), got.GetStringLength()),
                std::string(sent.GetString(), sent.GetStringLength()))
          << json_text;
    }
  }
}

// The in-place parse stops at a NUL byte: one inside a string is an error, not the end.
TEST(Request, ANulByteInsideAStringIsRefused) {
  std::string body = R"({"model":"m","messages":[{"role":"user","content":"h)";
  body += std::string(1, '\0') + R"(i"}]})";
  RequestOut r = translate_request(ApiFlavor::openai, ApiFlavor::anthropic, body, opts());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("not valid JSON"), std::string::npos) << r.message;
}

}  // namespace
}  // namespace sluice::translate
