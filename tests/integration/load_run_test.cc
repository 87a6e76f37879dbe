// sluice-load end to end: the real binary driving the real sluice-mock on loopback, read
// back through its --json report. No assertion is about how fast anything was.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "process_helper.h"

namespace sluice::testing {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// A sluice-mock on a free port for the whole test.
class LoadRun : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ =
        start_listening(mock_, env_or_empty("SLUICE_MOCK_BIN"), {"--port", "0", "--threads", "2"});
    ASSERT_NE(port_, 0) << mock_.stderr_text();
  }
  void TearDown() override { mock_.stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  struct Outcome {
    int exit_code = -1;
    std::string stderr_text;
    rapidjson::Document json;
  };

  // Runs sluice-load with `args` plus --json; parses the report when there is one.
  Outcome run(std::vector<std::string> args, bool want_json = true) {
    std::string json_path = ::testing::TempDir() + "sluice_load_" + std::to_string(getpid()) + "_" +
                            std::to_string(++runs_) + ".json";
    if (want_json) {
      args.push_back("--json");
      args.push_back(json_path);
    }
    Outcome out;
    ChildProcess load;
    std::string error;
    if (!load.start(env_or_empty("SLUICE_LOAD_BIN"), args, {}, &error)) {
      ADD_FAILURE() << "cannot start sluice-load: " << error;
      return out;
    }
    std::optional<int> code = load.wait_exit(120000);
    if (!code) {
      ADD_FAILURE() << "sluice-load did not finish";
      load.stop(SIGKILL);
      return out;
    }
    out.exit_code = *code;
    load.wait_stderr_closed();
    out.stderr_text = load.stderr_text();
    if (want_json) {
      std::ifstream in(json_path);
      std::stringstream ss;
      ss << in.rdbuf();
      out.json.Parse(ss.str().c_str());
      std::remove(json_path.c_str());
    }
    return out;
  }

  ChildProcess mock_;
  uint16_t port_ = 0;
  int runs_ = 0;
};

const rapidjson::Value& at(const rapidjson::Value& v, std::initializer_list<const char*> path) {
  static const rapidjson::Value kNull;
  const rapidjson::Value* cur = &v;
  for (const char* key : path) {
    if (!cur->IsObject() || !cur->HasMember(key)) {
      ADD_FAILURE() << "missing field " << key;
      return kNull;
    }
    cur = &(*cur)[key];
  }
  return *cur;
}

uint64_t u64(const rapidjson::Value& v, std::initializer_list<const char*> path) {
  const rapidjson::Value& x = at(v, path);
  return x.IsUint64() ? x.GetUint64() : UINT64_MAX;
}

double num(const rapidjson::Value& v, std::initializer_list<const char*> path) {
  const rapidjson::Value& x = at(v, path);
  return x.IsNumber() ? x.GetDouble() : -1;
}

TEST_F(LoadRun, ClosedLoopCompletesExactlyTheRequestedCount) {
  Outcome o = run({"--url", url(), "--connections", "8", "--threads", "2", "--requests", "300"});
  ASSERT_EQ(o.exit_code, 0) << o.stderr_text;
  ASSERT_TRUE(o.json.IsObject());
  EXPECT_EQ(u64(o.json, {"totals", "requests", "sent"}), 300u);
  EXPECT_EQ(u64(o.json, {"totals", "requests", "completed"}), 300u);
  EXPECT_EQ(u64(o.json, {"totals", "status", "200"}), 300u);
  EXPECT_EQ(u64(o.json, {"totals", "requests", "errors"}), 0u);
  EXPECT_EQ(u64(o.json, {"totals", "latency_us", "count"}), 300u);
  EXPECT_EQ(std::string(at(o.json, {"config", "mode"}).GetString()), "closed");
}

TEST_F(LoadRun, OpenLoopAtALowRateCompletesTheExpectedCount) {
  Outcome o = run({"--url", url(), "--rate", "100", "--requests", "60", "--connections", "4",
                   "--threads", "2"});
  ASSERT_EQ(o.exit_code, 0) << o.stderr_text;
  EXPECT_EQ(std::string(at(o.json, {"config", "mode"}).GetString()), "open");
  EXPECT_EQ(u64(o.json, {"totals", "requests", "completed"}), 60u);
  EXPECT_EQ(u64(o.json, {"totals", "status", "200"}), 60u);
}

TEST_F(LoadRun, OpenLoopForADurationSendsRateTimesDuration) {
  // Every arrival of the schedule is accounted for: answered, failed, still in flight
  // at the end, or never sent for want of a connection.
  Outcome o = run(
      {"--url", url(), "--rate", "40", "--duration", "1", "--connections", "4", "--threads", "2"});
  ASSERT_EQ(o.exit_code, 0) << o.stderr_text;
  uint64_t accounted = u64(o.json, {"totals", "requests", "completed"}) +
                       u64(o.json, {"totals", "requests", "transport_errors"}) +
                       u64(o.json, {"unfinished"}) + u64(o.json, {"open_loop", "unsent"});
  EXPECT_EQ(accounted, 40u);
}

TEST_F(LoadRun, StreamReportsTimeToFirstTokenAndInterChunkGaps) {
  Outcome o = run({"--url", url(), "--stream", "--header", "x-mock-itl-ms: 3", "--header",
                   "x-mock-output-tokens: 5", "--requests", "20", "--connections", "4"});
  ASSERT_EQ(o.exit_code, 0) << o.stderr_text;
  EXPECT_EQ(u64(o.json, {"totals", "streams", "count"}), 20u);
  EXPECT_EQ(u64(o.json, {"totals", "ttft_us", "count"}), 20u);
  EXPECT_GT(num(o.json, {"totals", "ttft_us", "p50"}), 0);
  // Five tokens, four gaps per stream.
  EXPECT_EQ(u64(o.json, {"totals", "inter_chunk_us", "count"}), 80u);
  EXPECT_GT(num(o.json, {"totals", "inter_chunk_us", "p50"}), 0);
  EXPECT_GT(num(o.json, {"totals", "stream_tokens_per_s", "p50"}), 0);
  EXPECT_EQ(u64(o.json, {"totals", "tokens", "output"}), 100u);
}

TEST_F(LoadRun, EveryApiStreamsAndReportsItsUsage) {
  for (const char* api : {"openai-chat", "openai-responses", "anthropic", "gemini"}) {
    Outcome o = run({"--url", url(), "--api", api, "--stream", "--requests", "10", "--connections",
                     "2", "--header", "x-mock-output-tokens: 7"});
    ASSERT_EQ(o.exit_code, 0) << api << ": " << o.stderr_text;
    EXPECT_EQ(u64(o.json, {"totals", "status", "200"}), 10u) << api;
    EXPECT_EQ(u64(o.json, {"totals", "tokens", "usage_reported"}), 10u) << api;
    EXPECT_EQ(u64(o.json, {"totals", "tokens", "output"}), 70u) << api;
    EXPECT_EQ(u64(o.json, {"totals", "streams", "content_events"}), 70u) << api;
  }
}

TEST_F(LoadRun, JsonReportHasEveryFigure) {
  Outcome o = run({"--url", url(), "--requests", "50", "--connections", "2"});
  ASSERT_EQ(o.exit_code, 0) << o.stderr_text;
  const rapidjson::Value& j = o.json;
  ASSERT_TRUE(j.IsObject());
  for (const char* key : {"tool", "version", "config", "interrupted", "elapsed_s", "totals",
                          "projects", "open_loop", "unfinished", "connections_opened", "timeline"})
    EXPECT_TRUE(j.HasMember(key)) << key;
  const rapidjson::Value& t = at(j, {"totals"});
  for (const char* key : {"requests", "requests_per_s", "ok_per_s", "status", "error_classes",
                          "transport_errors", "bytes", "tokens", "streams", "latency_us", "ttft_us",
                          "inter_chunk_us", "stream_tokens_per_s"})
    EXPECT_TRUE(t.HasMember(key)) << key;
  for (const char* key :
       {"count", "min", "mean", "stddev", "p50", "p90", "p99", "p99_9", "p99_99", "max"})
    EXPECT_TRUE(t["latency_us"].HasMember(key)) << key;
  for (const char* key : {"connect_refused", "connect_timeout", "reset", "closed", "timeout"})
    EXPECT_TRUE(t["transport_errors"].HasMember(key)) << key;
  EXPECT_GT(u64(j, {"totals", "bytes", "in"}), 0u);
  EXPECT_GT(u64(j, {"totals", "bytes", "out"}), 0u);
  EXPECT_GT(num(j, {"totals", "requests_per_s"}), 0);
  ASSERT_TRUE(j["timeline"].IsArray());
  ASSERT_GT(j["timeline"].Size(), 0u);
  EXPECT_TRUE(j["timeline"][0].HasMember("latency_p99_us"));
  EXPECT_TRUE(at(j, {"projects"}).HasMember("default"));
}

TEST_F(LoadRun, ScenarioSplitsRequestsInProportionToWeights) {
  std::string path =
      ::testing::TempDir() + "sluice_load_scenario_" + std::to_string(getpid()) + ".json";
  {
    std::ofstream f(path);
    f << R"({"entries": [
      {"weight": 3, "project": "production", "key": "sk-prod"},
      {"weight": 1, "project": "experiments", "key": "sk-exp", "api": "anthropic"}]})";
  }
  Outcome o = run({"--url", url(), "--scenario", path, "--requests", "800", "--connections", "8",
                   "--threads", "2"});
  std::remove(path.c_str());
  ASSERT_EQ(o.exit_code, 0) << o.stderr_text;
  uint64_t prod = u64(o.json, {"projects", "production", "requests", "completed"});
  uint64_t exp = u64(o.json, {"projects", "experiments", "requests", "completed"});
  EXPECT_EQ(prod + exp, 800u);
  EXPECT_NEAR(static_cast<double>(prod) / 800, 0.75, 0.03);
  EXPECT_EQ(u64(o.json, {"projects", "experiments", "status", "200"}), exp);
}

TEST_F(LoadRun, InjectedStatusIsCountedUnderItsCode) {
  Outcome o = run({"--url", url(), "--header", "x-mock-fault: status=429", "--requests", "30",
                   "--connections", "3"});
  EXPECT_EQ(o.exit_code, 0) << "answers with errors still make a completed run";
  EXPECT_EQ(u64(o.json, {"totals", "status", "429"}), 30u);
  EXPECT_EQ(u64(o.json, {"totals", "requests", "ok"}), 0u);
  EXPECT_EQ(u64(o.json, {"totals", "requests", "http_errors"}), 30u);
}

TEST_F(LoadRun, FailOnErrorTurnsErrorsIntoExitOne) {
  Outcome o = run({"--url", url(), "--header", "x-mock-fault: status=500", "--requests", "5",
                   "--connections", "1", "--fail-on-error"},
                  false);
  EXPECT_EQ(o.exit_code, 1);
}

TEST_F(LoadRun, StreamDroppedMidwayIsATransportError) {
  Outcome o = run({"--url", url(), "--stream", "--header", "x-mock-fault: drop_after=2",
                   "--requests", "10", "--connections", "2"});
  ASSERT_EQ(o.exit_code, 0) << o.stderr_text;
  EXPECT_EQ(u64(o.json, {"totals", "transport_errors", "closed"}), 10u);
  EXPECT_EQ(u64(o.json, {"totals", "requests", "completed"}), 0u);
}

TEST_F(LoadRun, SlowAnswerPastTheTimeoutIsCountedAsTimeout) {
  Outcome o = run({"--url", url(), "--header", "x-mock-fault: hang", "--timeout", "200ms",
                   "--requests", "4", "--connections", "2"});
  ASSERT_EQ(o.exit_code, 0) << o.stderr_text;
  EXPECT_EQ(u64(o.json, {"totals", "transport_errors", "timeout"}), 4u);
}

TEST_F(LoadRun, RefusedConnectionsAreCountedNotFatal) {
  // A port nobody listens on: the mock's, once it is stopped.
  mock_.stop();
  Outcome o = run({"--url", url(), "--requests", "3", "--connections", "1"});
  ASSERT_EQ(o.exit_code, 0) << o.stderr_text;
  EXPECT_EQ(u64(o.json, {"totals", "transport_errors", "connect_refused"}), 3u);
}

TEST_F(LoadRun, BadOptionsExitTwoWithAMessage) {
  Outcome o = run({"--url", url(), "--connections", "none"}, false);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.stderr_text.find("--connections"), std::string::npos) << o.stderr_text;
  Outcome bad_url = run({"--url", "gopher://x"}, false);
  EXPECT_EQ(bad_url.exit_code, 2);
}

TEST_F(LoadRun, PlotIsASelfContainedSvg) {
  std::string path = ::testing::TempDir() + "sluice_load_plot_" + std::to_string(getpid()) + ".svg";
  Outcome o =
      run({"--url", url(), "--duration", "1500ms", "--connections", "2", "--plot", path}, false);
  ASSERT_EQ(o.exit_code, 0) << o.stderr_text;
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::remove(path.c_str());
  std::string svg = ss.str();
  EXPECT_NE(svg.find("<svg xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(svg.find("href"), std::string::npos) << "no external assets";
  EXPECT_EQ(svg.find("<script"), std::string::npos);
}

}  // namespace
}  // namespace sluice::testing
