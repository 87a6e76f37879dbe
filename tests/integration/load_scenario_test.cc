// sluice-load's request mix: scenario files (tools/load/scenario.h), the request bytes
// each entry sends (request_template.h) and the split of the load over threads
// (run_plan.h).

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "request_template.h"
#include "run_plan.h"
#include "scenario.h"
#include "target.h"

namespace sluice::load {
namespace {

Target local_target() {
  Target t;
  std::string err;
  EXPECT_TRUE(parse_url("http://127.0.0.1:9000/prefix", t, err));
  return t;
}

std::string body_of(const RequestTemplate& t) {
  return t.bytes.substr(t.bytes.size() - t.body_size);
}

TEST(LoadScenario, EntriesTakeTheCommandLineAsDefaults) {
  LoadOptions o;
  o.api = ApiKind::gemini;
  o.stream = true;
  o.key = "cli-key";
  Scenario s;
  std::string err;
  ASSERT_TRUE(parse_scenario(R"({"entries": [
      {"weight": 3, "project": "production", "key": "sk-prod"},
      {"weight": 1, "api": "anthropic", "stream": false}]})",
                             o, s, err))
      << err;
  ASSERT_EQ(s.entries.size(), 2u);
  EXPECT_EQ(s.entries[0].api, ApiKind::gemini);
  EXPECT_TRUE(s.entries[0].stream);
  EXPECT_EQ(s.entries[0].key, "sk-prod");
  EXPECT_EQ(s.entries[0].weight, 3);
  EXPECT_EQ(s.entries[1].api, ApiKind::anthropic);
  EXPECT_FALSE(s.entries[1].stream);
  EXPECT_EQ(s.entries[1].key, "cli-key");
  EXPECT_EQ(s.entries[1].project, "entry-2");
}

TEST(LoadScenario, EntriesSharingAProjectAreReportedTogether) {
  Scenario s;
  std::string err;
  ASSERT_TRUE(parse_scenario(R"([{"project": "a"}, {"project": "b"}, {"project": "a"}])",
                             LoadOptions{}, s, err))
      << err;
  ASSERT_EQ(s.projects.size(), 2u);
  EXPECT_EQ(s.project_of[0], 0u);
  EXPECT_EQ(s.project_of[1], 1u);
  EXPECT_EQ(s.project_of[2], 0u);
}

TEST(LoadScenario, ErrorsNameTheJsonPointer) {
  Scenario s;
  std::string err;
  EXPECT_FALSE(parse_scenario(R"({"entries": [{}, {"weight": 0}]})", LoadOptions{}, s, err));
  EXPECT_EQ(err.rfind("/entries/1/weight:", 0), 0u) << err;
  EXPECT_FALSE(parse_scenario(R"({"entries": [{"api": "x"}]})", LoadOptions{}, s, err));
  EXPECT_EQ(err.rfind("/entries/0/api:", 0), 0u) << err;
  EXPECT_FALSE(parse_scenario(R"({"entries": [{"colour": 1}]})", LoadOptions{}, s, err));
  EXPECT_NE(err.find("unknown field"), std::string::npos) << err;
  EXPECT_FALSE(parse_scenario(R"({"entries": []})", LoadOptions{}, s, err));
  EXPECT_FALSE(parse_scenario("{not json", LoadOptions{}, s, err));
  EXPECT_NE(err.find("not valid JSON"), std::string::npos) << err;
}

TEST(LoadRequestTemplate, EachApiGoesToItsEndpointWithItsSdkCredentialHeader) {
  Target t = local_target();
  struct Case {
    ApiKind api;
    bool stream;
    const char* request_line;
    const char* auth;
  } cases[] = {
      {ApiKind::openai_chat, false, "POST /prefix/v1/chat/completions HTTP/1.1\r\n",
       "Authorization: Bearer sk\r\n"},
      {ApiKind::openai_responses, true, "POST /prefix/v1/responses HTTP/1.1\r\n",
       "Authorization: Bearer sk\r\n"},
      {ApiKind::anthropic, true, "POST /prefix/v1/messages HTTP/1.1\r\n", "x-api-key: sk\r\n"},
      {ApiKind::gemini, false, "POST /prefix/v1beta/models/g:generateContent HTTP/1.1\r\n",
       "x-goog-api-key: sk\r\n"},
      {ApiKind::gemini, true,
       "POST /prefix/v1beta/models/g:streamGenerateContent?alt=sse HTTP/1.1\r\n",
       "x-goog-api-key: sk\r\n"},
  };
  for (const Case& c : cases) {
    ScenarioEntry e;
    e.api = c.api;
    e.stream = c.stream;
    e.key = "sk";
    e.model = "g";
    RequestTemplate r;
    std::string err;
    ASSERT_TRUE(build_request(e, 0, t, {}, r, err)) << err;
    EXPECT_EQ(r.bytes.rfind(c.request_line, 0), 0u) << r.bytes;
    EXPECT_NE(r.bytes.find(c.auth), std::string::npos) << r.bytes;
    EXPECT_NE(r.bytes.find("Host: 127.0.0.1:9000\r\n"), std::string::npos);
    EXPECT_NE(r.bytes.find("Content-Length: " + std::to_string(r.body_size) + "\r\n\r\n"),
              std::string::npos);
    rapidjson::Document d;
    d.Parse(body_of(r).c_str());
    ASSERT_TRUE(d.IsObject()) << body_of(r);
    if (c.api != ApiKind::gemini) {
      EXPECT_EQ(d.HasMember("stream"), c.stream);
    }
  }
}

TEST(LoadRequestTemplate, OpenAiStreamsAskForUsage) {
  ScenarioEntry e;
  e.stream = true;
  RequestTemplate r;
  std::string err;
  ASSERT_TRUE(build_request(e, 0, local_target(), {}, r, err));
  rapidjson::Document d;
  d.Parse(body_of(r).c_str());
  ASSERT_TRUE(d.HasMember("stream_options"));
  EXPECT_TRUE(d["stream_options"]["include_usage"].GetBool());
}

TEST(LoadRequestTemplate, PromptHasTheAskedSize) {
  EXPECT_EQ(make_prompt(0), "");
  EXPECT_EQ(make_prompt(1000).size(), 1000u);
  ScenarioEntry e;
  e.prompt_bytes = 5000;
  RequestTemplate r;
  std::string err;
  ASSERT_TRUE(build_request(e, 0, local_target(), {}, r, err));
  rapidjson::Document d;
  d.Parse(body_of(r).c_str());
  EXPECT_EQ(d["messages"][0]["content"].GetStringLength(), 5000u);
}

TEST(LoadRequestTemplate, BodyOverridesMergeDeeplyAndNullRemoves) {
  ScenarioEntry e;
  e.api = ApiKind::gemini;
  e.body = R"({"generationConfig": {"temperature": 0.5}, "contents": null, "extra": [1]})";
  RequestTemplate r;
  std::string err;
  ASSERT_TRUE(build_request(e, 0, local_target(), {}, r, err)) << err;
  rapidjson::Document d;
  d.Parse(body_of(r).c_str());
  ASSERT_TRUE(d.IsObject());
  EXPECT_FALSE(d.HasMember("contents"));
  EXPECT_EQ(d["generationConfig"]["temperature"].GetDouble(), 0.5);
  EXPECT_EQ(d["generationConfig"]["maxOutputTokens"].GetUint(), 256u);
  EXPECT_TRUE(d["extra"].IsArray());
}

TEST(LoadRequestTemplate, LaterHeadersReplaceEarlierOnesOfTheSameName) {
  ScenarioEntry e;
  e.key = "from-key";
  e.headers = {{"authorization", "Bearer from-entry"}};
  RequestTemplate r;
  std::string err;
  ASSERT_TRUE(build_request(e, 0, local_target(), {{"X-Team", "a"}, {"x-team", "b"}}, r, err));
  EXPECT_EQ(r.bytes.find("from-key"), std::string::npos);
  EXPECT_NE(r.bytes.find("Authorization: Bearer from-entry\r\n"), std::string::npos);
  EXPECT_NE(r.bytes.find("X-Team: b\r\n"), std::string::npos);
  EXPECT_EQ(r.bytes.find("X-Team: a"), std::string::npos);
}

TEST(LoadRequestTemplate, ContentLengthCannotBeOverridden) {
  ScenarioEntry e;
  RequestTemplate r;
  std::string err;
  EXPECT_FALSE(build_request(e, 0, local_target(), {{"Content-Length", "1"}}, r, err));
}

TEST(LoadRunPlan, ConnectionsRateAndRequestsAddUp) {
  std::vector<WorkerPlan> plans = plan_workers(4, 10, 100, 33);
  ASSERT_EQ(plans.size(), 4u);
  unsigned conns = 0;
  double rate = 0;
  uint64_t requests = 0;
  for (const WorkerPlan& p : plans) {
    conns += p.connections;
    rate += p.rate;
    requests += p.requests;
  }
  EXPECT_EQ(conns, 10u);
  EXPECT_DOUBLE_EQ(rate, 100);
  EXPECT_EQ(requests, 33u);
  EXPECT_EQ(plans[0].connections, 3u);
  EXPECT_EQ(plans[3].connections, 2u);
}

TEST(LoadRunPlan, NeverMoreThreadsThanConnections) {
  EXPECT_EQ(plan_workers(16, 3, 0, 0).size(), 3u);
}

}  // namespace
}  // namespace sluice::load
