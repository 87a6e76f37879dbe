#include "sluice/route/error_envelope.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <set>
#include <string>
#include <vector>

namespace sluice::route {
namespace {

const std::vector<ErrorClass> kAllClasses = {
    ErrorClass::bad_request,     ErrorClass::unauthorized,       ErrorClass::forbidden,
    ErrorClass::not_found,       ErrorClass::method_not_allowed, ErrorClass::rate_limited,
    ErrorClass::budget_exceeded, ErrorClass::provider_degraded,  ErrorClass::upstream_timeout,
    ErrorClass::upstream_error,
};

std::set<std::string> member_names(const rapidjson::Value& v) {
  std::set<std::string> out;
  for (const auto& m : v.GetObject()) out.emplace(m.name.GetString());
  return out;
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  EXPECT_FALSE(doc.HasParseError()) << body;
  return doc;
}

TEST(ErrorEnvelope, StatusPerClass) {
  EXPECT_EQ(http_status(ErrorClass::bad_request), 400);
  EXPECT_EQ(http_status(ErrorClass::unauthorized), 401);
  EXPECT_EQ(http_status(ErrorClass::forbidden), 403);
  EXPECT_EQ(http_status(ErrorClass::not_found), 404);
  EXPECT_EQ(http_status(ErrorClass::method_not_allowed), 405);
  EXPECT_EQ(http_status(ErrorClass::rate_limited), 429);
  EXPECT_EQ(http_status(ErrorClass::budget_exceeded), 429);
  EXPECT_EQ(http_status(ErrorClass::provider_degraded), 503);
  EXPECT_EQ(http_status(ErrorClass::upstream_timeout), 504);
  EXPECT_EQ(http_status(ErrorClass::upstream_error), 502);
}

TEST(ErrorEnvelope, ClassNamesAreTheHeaderValues) {
  EXPECT_EQ(error_class_name(ErrorClass::bad_request), "bad_request");
  EXPECT_EQ(error_class_name(ErrorClass::unauthorized), "unauthorized");
  EXPECT_EQ(error_class_name(ErrorClass::forbidden), "forbidden");
  EXPECT_EQ(error_class_name(ErrorClass::not_found), "not_found");
  EXPECT_EQ(error_class_name(ErrorClass::method_not_allowed), "method_not_allowed");
  EXPECT_EQ(error_class_name(ErrorClass::rate_limited), "rate_limited");
  EXPECT_EQ(error_class_name(ErrorClass::budget_exceeded), "budget_exceeded");
  EXPECT_EQ(error_class_name(ErrorClass::provider_degraded), "provider_degraded");
  EXPECT_EQ(error_class_name(ErrorClass::upstream_timeout), "upstream_timeout");
  EXPECT_EQ(error_class_name(ErrorClass::upstream_error), "upstream_error");
}

TEST(ErrorEnvelope, OpenAiTypesPerClass) {
  auto t = [](ErrorClass c) { return error_type(ApiFlavor::openai, c); };
  EXPECT_EQ(t(ErrorClass::bad_request), "invalid_request_error");
  EXPECT_EQ(t(ErrorClass::unauthorized), "authentication_error");
  EXPECT_EQ(t(ErrorClass::forbidden), "permission_error");
  EXPECT_EQ(t(ErrorClass::not_found), "invalid_request_error");
  EXPECT_EQ(t(ErrorClass::rate_limited), "rate_limit_error");
  EXPECT_EQ(t(ErrorClass::budget_exceeded), "insufficient_quota");
  EXPECT_EQ(t(ErrorClass::provider_degraded), "server_error");
  EXPECT_EQ(t(ErrorClass::upstream_timeout), "server_error");
  EXPECT_EQ(t(ErrorClass::upstream_error), "server_error");
}

TEST(ErrorEnvelope, AnthropicTypesPerClass) {
  auto t = [](ErrorClass c) { return error_type(ApiFlavor::anthropic, c); };
  EXPECT_EQ(t(ErrorClass::bad_request), "invalid_request_error");
  EXPECT_EQ(t(ErrorClass::unauthorized), "authentication_error");
  EXPECT_EQ(t(ErrorClass::forbidden), "permission_error");
  EXPECT_EQ(t(ErrorClass::not_found), "not_found_error");
  EXPECT_EQ(t(ErrorClass::rate_limited), "rate_limit_error");
  EXPECT_EQ(t(ErrorClass::budget_exceeded), "rate_limit_error");
  EXPECT_EQ(t(ErrorClass::provider_degraded), "overloaded_error");
  EXPECT_EQ(t(ErrorClass::upstream_timeout), "timeout_error");
  EXPECT_EQ(t(ErrorClass::upstream_error), "api_error");
}

TEST(ErrorEnvelope, GeminiStatusesPerClass) {
  auto t = [](ErrorClass c) { return error_type(ApiFlavor::gemini, c); };
  EXPECT_EQ(t(ErrorClass::bad_request), "INVALID_ARGUMENT");
  EXPECT_EQ(t(ErrorClass::unauthorized), "UNAUTHENTICATED");
  EXPECT_EQ(t(ErrorClass::forbidden), "PERMISSION_DENIED");
  EXPECT_EQ(t(ErrorClass::not_found), "NOT_FOUND");
  EXPECT_EQ(t(ErrorClass::rate_limited), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(t(ErrorClass::budget_exceeded), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(t(ErrorClass::provider_degraded), "UNAVAILABLE");
  EXPECT_EQ(t(ErrorClass::upstream_timeout), "DEADLINE_EXCEEDED");
  EXPECT_EQ(t(ErrorClass::upstream_error), "UNAVAILABLE");
}

TEST(ErrorEnvelope, OpenAiEnvelopeHasExactFields) {
  for (ErrorClass c : kAllClasses) {
    rapidjson::Document doc = parse(error_body(ApiFlavor::openai, c, "nope"));
    ASSERT_TRUE(doc.IsObject());
    EXPECT_EQ(member_names(doc), (std::set<std::string>{"error"}));
    const auto& e = doc["error"];
    EXPECT_EQ(member_names(e),
              (std::set<std::string>{"message", "type", "param", "code", "sluice_error_class"}));
    EXPECT_STREQ(e["message"].GetString(), "nope");
    EXPECT_EQ(e["type"].GetString(), error_type(ApiFlavor::openai, c));
    EXPECT_TRUE(e["param"].IsNull());
    EXPECT_EQ(e["code"].GetString(), error_class_name(c));
    EXPECT_EQ(e["sluice_error_class"].GetString(), error_class_name(c));
  }
}

TEST(ErrorEnvelope, AnthropicEnvelopeHasExactFields) {
  for (ErrorClass c : kAllClasses) {
    rapidjson::Document doc = parse(error_body(ApiFlavor::anthropic, c, "nope"));
    ASSERT_TRUE(doc.IsObject());
    EXPECT_EQ(member_names(doc), (std::set<std::string>{"type", "error"}));
    EXPECT_STREQ(doc["type"].GetString(), "error");
    const auto& e = doc["error"];
    EXPECT_EQ(member_names(e), (std::set<std::string>{"type", "message", "sluice_error_class"}));
    EXPECT_EQ(e["type"].GetString(), error_type(ApiFlavor::anthropic, c));
    EXPECT_STREQ(e["message"].GetString(), "nope");
    EXPECT_EQ(e["sluice_error_class"].GetString(), error_class_name(c));
  }
}

TEST(ErrorEnvelope, GeminiEnvelopeHasExactFields) {
  for (ErrorClass c : kAllClasses) {
    rapidjson::Document doc = parse(error_body(ApiFlavor::gemini, c, "nope"));
    ASSERT_TRUE(doc.IsObject());
    EXPECT_EQ(member_names(doc), (std::set<std::string>{"error"}));
    const auto& e = doc["error"];
    EXPECT_EQ(member_names(e),
              (std::set<std::string>{"code", "message", "status", "sluice_error_class"}));
    EXPECT_EQ(e["code"].GetInt(), http_status(c));
    EXPECT_STREQ(e["message"].GetString(), "nope");
    EXPECT_EQ(e["status"].GetString(), error_type(ApiFlavor::gemini, c));
    EXPECT_EQ(e["sluice_error_class"].GetString(), error_class_name(c));
  }
}

TEST(ErrorEnvelope, MessageIsJsonEscaped) {
  const std::string message = "model \"gpt\\4o\"\nnot\tfound\x01\x1f";
  for (ApiFlavor f : {ApiFlavor::openai, ApiFlavor::anthropic, ApiFlavor::gemini}) {
    rapidjson::Document doc = parse(error_body(f, ErrorClass::not_found, message));
    ASSERT_TRUE(doc.IsObject());
    EXPECT_EQ(doc["error"]["message"].GetString(), message);
  }
}

TEST(ErrorEnvelope, NonAsciiMessageKept) {
  rapidjson::Document doc =
      parse(error_body(ApiFlavor::openai, ErrorClass::bad_request, "modèle 模型 🙂"));
  EXPECT_STREQ(doc["error"]["message"].GetString(), "modèle 模型 🙂");
}

TEST(ErrorEnvelope, InvalidUtf8InMessageBecomesReplacementCharacter) {
  rapidjson::Document doc;
  std::string body = error_body(ApiFlavor::openai, ErrorClass::bad_request,
                                "a\xff"
                                "b");
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["error"]["message"].GetString(),
               "a\xEF\xBF\xBD"
               "b");
}

TEST(ErrorEnvelope, AppendAddsToExistingBuffer) {
  std::string out = "prefix";
  append_error_body(out, ApiFlavor::gemini, ErrorClass::rate_limited, "slow down");
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(out.substr(6), error_body(ApiFlavor::gemini, ErrorClass::rate_limited, "slow down"));
}

}  // namespace
}  // namespace sluice::route
