// sluice-load in front of the real gateway (sluice, fronting the real sluice-mock): HTTPS
// through the gateway's TLS listener, virtual keys sent as each SDK sends them, and the
// gateway's own errors counted by their x-sluice-error-class.

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "process_helper.h"
#include "test_pki.h"

namespace sluice::testing {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LoadThroughGateway : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "sluice_load_gw_" + std::to_string(getpid());
    ASSERT_EQ(system(("mkdir -p " + dir_).c_str()), 0);
    server_ =
        pki_.issue_server("gateway", {.dns_names = {"localhost"}, .ip_addresses = {"127.0.0.1"}});
    uint16_t mock_port = start_listening(mock_, env_or_empty("SLUICE_MOCK_BIN"), {"--port", "0"});
    ASSERT_NE(mock_port, 0) << mock_.stderr_text();
    std::string mock = "http://127.0.0.1:" + std::to_string(mock_port);
    std::string config = dir_ + "/sluice.json";
    std::ofstream(config) << R"({
  "listen": [{ "address": "127.0.0.1", "port": 0,
               "tls": { "cert": ")"
                          << server_.cert_file << R"(", "key": ")" << server_.key_file << R"(" } }],
  "shards": 1,
  "ledger": { "path": ")" << dir_
                          << R"(/ledger.db", "flush_ms": 50 },
  "providers": {
    "mock": { "kind": "openai", "base_url": ")"
                          << mock << R"(/v1" },
    "mock-anthropic": { "kind": "anthropic", "base_url": ")"
                          << mock << R"(" }
  },
  "models": { "gpt-4o-mini": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini" }] } },
  "projects": { "team": {} },
  "keys": [{ "id": "k", "project": "team", "key": "sk-team-test" }]
})";
    port_ = start_listening(gateway_, env_or_empty("SLUICE_BIN"), {"--config", config});
    ASSERT_NE(port_, 0) << gateway_.stderr_text();
  }
  void TearDown() override {
    gateway_.stop();
    mock_.stop();
    (void)system(("rm -rf " + dir_).c_str());
  }

  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

  // Runs sluice-load; returns its exit status and fills `json` from its report.
  int run(std::vector<std::string> args, rapidjson::Document& json) {
    std::string path = dir_ + "/report.json";
    args.insert(args.end(), {"--json", path});
    ChildProcess load;
    std::string error;
    if (!load.start(env_or_empty("SLUICE_LOAD_BIN"), args, {}, &error)) {
      ADD_FAILURE() << error;
      return -1;
    }
    std::optional<int> code = load.wait_exit(120000);
    if (!code) {
      load.stop(SIGKILL);
      ADD_FAILURE() << "sluice-load did not finish";
      return -1;
    }
    json.Parse(read_file(path).c_str());
    if (!json.IsObject()) ADD_FAILURE() << "no JSON report; stderr: " << load.stderr_text();
    return *code;
  }

  sluice::test::TestPki pki_;
  sluice::test::IssuedCertificate server_;
  std::string dir_;
  ChildProcess mock_;
  ChildProcess gateway_;
  uint16_t port_ = 0;
};

uint64_t u64(const rapidjson::Value& v, std::initializer_list<const char*> path) {
  const rapidjson::Value* cur = &v;
  for (const char* key : path) {
    if (!cur->IsObject() || !cur->HasMember(key)) return UINT64_MAX;
    cur = &(*cur)[key];
  }
  return cur->IsUint64() ? cur->GetUint64() : UINT64_MAX;
}

TEST_F(LoadThroughGateway, HttpsStreamsThroughTheGatewayWithAVirtualKey) {
  rapidjson::Document j;
  ASSERT_EQ(run({"--url", url(), "--ca-file", pki_.ca_cert_file(), "--key", "sk-team-test",
                 "--stream", "--requests", "40", "--connections", "4", "--threads", "2"},
                j),
            0);
  EXPECT_EQ(u64(j, {"totals", "status", "200"}), 40u);
  EXPECT_EQ(u64(j, {"totals", "streams", "count"}), 40u);
  EXPECT_EQ(u64(j, {"totals", "ttft_us", "count"}), 40u);
  EXPECT_EQ(u64(j, {"totals", "tokens", "usage_reported"}), 40u);
}

TEST_F(LoadThroughGateway, UntrustedCertificateIsATlsErrorWithItsReason) {
  rapidjson::Document j;
  ASSERT_EQ(
      run({"--url", url(), "--key", "sk-team-test", "--requests", "2", "--connections", "1"}, j),
      0);
  EXPECT_EQ(u64(j, {"totals", "transport_errors", "tls"}), 2u);
  ASSERT_TRUE(j.HasMember("tls_failure"));
  EXPECT_NE(std::string(j["tls_failure"].GetString()), "");
}

TEST_F(LoadThroughGateway, GatewayRefusalsAreCountedByErrorClass) {
  rapidjson::Document j;
  ASSERT_EQ(run({"--url", url(), "--ca-file", pki_.ca_cert_file(), "--key", "sk-wrong",
                 "--requests", "10", "--connections", "2"},
                j),
            0);
  EXPECT_EQ(u64(j, {"totals", "status", "401"}), 10u);
  EXPECT_EQ(u64(j, {"totals", "error_classes", "unauthorized"}), 10u);
}

TEST_F(LoadThroughGateway, AnthropicPassThroughUsesItsPrefixAndKeyHeader) {
  rapidjson::Document j;
  ASSERT_EQ(
      run({"--url", url() + "/anthropic", "--ca-file", pki_.ca_cert_file(), "--api", "anthropic",
           "--key", "sk-team-test", "--stream", "--requests", "10", "--connections", "2"},
          j),
      0);
  EXPECT_EQ(u64(j, {"totals", "status", "200"}), 10u);
  EXPECT_EQ(u64(j, {"totals", "tokens", "usage_reported"}), 10u);
}

}  // namespace
}  // namespace sluice::testing
