// The OTLP/JSON encoding of spans, read back with rapidjson.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "sluice/telemetry/span.h"

namespace sluice::telemetry {
namespace {

SpanRecord chat_span() {
  SpanRecord s;
  for (size_t i = 0; i < s.trace_id.size(); ++i) s.trace_id[i] = static_cast<uint8_t>(i + 1);
  for (size_t i = 0; i < s.span_id.size(); ++i) s.span_id[i] = static_cast<uint8_t>(0xa0 + i);
  s.start_unix_ns = 1700000000123456789ull;
  s.end_unix_ns = 1700000001123456789ull;
  s.operation = "chat";
  s.provider_name = "openai";
  s.provider = "openai-main";
  s.request_model = "gpt-4o";
  s.response_model = "gpt-4o-2024-08-06";
  s.route = "chat_completions";
  s.method = "POST";
  s.project = "support";
  s.key_id = "bot";
  s.request_id = "req-1";
  s.status = 200;
  s.has_usage = true;
  s.input_tokens = 12;
  s.output_tokens = 34;
  return s;
}

const rapidjson::Value* attribute(const rapidjson::Value& span, const char* key) {
  for (const auto& a : span["attributes"].GetArray())
    if (std::string(a["key"].GetString()) == key) return &a["value"];
  return nullptr;
}

const rapidjson::Value& first_span(const rapidjson::Document& d) {
  return d["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
}

TEST(OtlpJson, EncodesIdsTimesAndGenAiAttributes) {
  std::vector<SpanRecord> spans{chat_span()};
  std::string json = encode_otlp_json(spans, "sluice");
  rapidjson::Document d;
  ASSERT_FALSE(d.Parse(json.c_str()).HasParseError()) << json;
  const auto& s = first_span(d);
  EXPECT_STREQ(s["traceId"].GetString(), "0102030405060708090a0b0c0d0e0f10");
  EXPECT_STREQ(s["spanId"].GetString(), "a0a1a2a3a4a5a6a7");
  EXPECT_FALSE(s.HasMember("parentSpanId"));
  EXPECT_STREQ(s["name"].GetString(), "chat gpt-4o");
  EXPECT_EQ(s["kind"].GetInt(), 2);
  EXPECT_STREQ(s["startTimeUnixNano"].GetString(), "1700000000123456789");
  EXPECT_STREQ(s["endTimeUnixNano"].GetString(), "1700000001123456789");
  EXPECT_STREQ((*attribute(s, "gen_ai.operation.name"))["stringValue"].GetString(), "chat");
  EXPECT_STREQ((*attribute(s, "gen_ai.provider.name"))["stringValue"].GetString(), "openai");
  EXPECT_STREQ((*attribute(s, "gen_ai.request.model"))["stringValue"].GetString(), "gpt-4o");
  EXPECT_STREQ((*attribute(s, "gen_ai.response.model"))["stringValue"].GetString(),
               "gpt-4o-2024-08-06");
  EXPECT_STREQ((*attribute(s, "gen_ai.usage.input_tokens"))["intValue"].GetString(), "12");
  EXPECT_STREQ((*attribute(s, "gen_ai.usage.output_tokens"))["intValue"].GetString(), "34");
  EXPECT_STREQ((*attribute(s, "http.response.status_code"))["intValue"].GetString(), "200");
  EXPECT_STREQ((*attribute(s, "sluice.project"))["stringValue"].GetString(), "support");
  EXPECT_EQ(attribute(s, "error.type"), nullptr);  // empty attributes are left out
  EXPECT_EQ(s["status"]["code"].GetInt(), 0);
  const auto& resource = d["resourceSpans"][0]["resource"]["attributes"][0];
  EXPECT_STREQ(resource["key"].GetString(), "service.name");
  EXPECT_STREQ(resource["value"]["stringValue"].GetString(), "sluice");
}

TEST(OtlpJson, ParentAndErrorStatus) {
  SpanRecord s = chat_span();
  s.has_parent = true;
  s.parent_id = {1, 2, 3, 4, 5, 6, 7, 8};
  s.status = 502;
  s.error_class = "upstream_error";
  s.has_usage = false;
  std::string json = encode_otlp_json(std::vector<SpanRecord>{s}, "sluice");
  rapidjson::Document d;
  ASSERT_FALSE(d.Parse(json.c_str()).HasParseError());
  const auto& span = first_span(d);
  EXPECT_STREQ(span["parentSpanId"].GetString(), "0102030405060708");
  EXPECT_EQ(span["status"]["code"].GetInt(), 2);
  EXPECT_STREQ((*attribute(span, "error.type"))["stringValue"].GetString(), "upstream_error");
  EXPECT_EQ(attribute(span, "gen_ai.usage.input_tokens"), nullptr);
}

TEST(OtlpJson, ClientChosenTextStaysValidJson) {
  SpanRecord s = chat_span();
  s.request_model = "evil\"}\n\x01\xff";
  s.key_id = "k\\";
  std::string json = encode_otlp_json(std::vector<SpanRecord>{s, s}, "svc \"x\"");
  rapidjson::Document d;
  ASSERT_FALSE(d.Parse(json.c_str()).HasParseError()) << json;
  EXPECT_EQ(d["resourceSpans"][0]["scopeSpans"][0]["spans"].Size(), 2u);
}

TEST(OtlpJson, NoSpansIsAnEmptyList) {
  std::string json = encode_otlp_json({}, "sluice");
  rapidjson::Document d;
  ASSERT_FALSE(d.Parse(json.c_str()).HasParseError());
  EXPECT_EQ(d["resourceSpans"][0]["scopeSpans"][0]["spans"].Size(), 0u);
}

}  // namespace
}  // namespace sluice::telemetry
