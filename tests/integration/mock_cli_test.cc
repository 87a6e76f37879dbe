// sluice-mock, the process: options, start-up line, shutdown.

#include "mock_fixture.h"

namespace sluice::testing {
namespace {

int run_to_exit(const std::vector<std::string>& args, std::string* stderr_text = nullptr) {
  ChildProcess p;
  if (!p.start(mock_binary(), args)) return -1;
  std::optional<int> code = p.wait_exit(10000);
  if (stderr_text) {
    p.wait_stderr_closed();
    *stderr_text = p.stderr_text();
  }
  return code.value_or(p.stop(SIGKILL));
}

TEST(MockCli, HelpExitsZero) { EXPECT_EQ(run_to_exit({"--help"}), 0); }

TEST(MockCli, VersionExitsZero) { EXPECT_EQ(run_to_exit({"--version"}), 0); }

TEST(MockCli, UnknownOptionExitsWithAnError) {
  std::string err;
  EXPECT_EQ(run_to_exit({"--frobnicate", "1"}, &err), 2);
  EXPECT_NE(err.find("--frobnicate"), std::string::npos) << err;
}

TEST(MockCli, BadFaultSpecExitsWithAnError) {
  std::string err;
  EXPECT_EQ(run_to_exit({"--fault", "status=abc"}, &err), 2);
  EXPECT_NE(err.find("--fault"), std::string::npos) << err;
}

TEST(MockCli, TlsCertWithoutKeyIsAnOptionError) {
  std::string err;
  EXPECT_EQ(run_to_exit({"--tls-cert", "c.pem"}, &err), 2);
  EXPECT_NE(err.find("--tls-key"), std::string::npos) << err;
}

TEST(MockCli, UnreadableTlsFilesStopTheStartWithTheReason) {
  std::string err;
  EXPECT_EQ(run_to_exit({"--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"},
                        &err),
            1);
  EXPECT_NE(err.find("cannot start"), std::string::npos) << err;
}

TEST(MockCli, PortZeroLogsTheBoundPort) {
  RunningMock mock;
  ASSERT_NE(mock.port(), 0) << mock.log();
  EXPECT_EQ(mock.get("/v1/models").status, 200);
}

TEST(MockCli, EveryShardListensOnTheSamePortWhenPortIsZero) {
  RunningMock mock({"--threads", "4"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  // Many fresh connections: SO_REUSEPORT spreads them over all four shards.
  for (int i = 0; i < 32; ++i) ASSERT_EQ(mock.get("/v1/models").status, 200) << i;
}

TEST(MockCli, SigtermStopsCleanly) {
  RunningMock mock;
  ASSERT_NE(mock.port(), 0) << mock.log();
  EXPECT_EQ(mock.post("/v1/chat/completions", "{}").status, 200);
  EXPECT_EQ(mock.process().stop(SIGTERM), 0);
}

TEST(MockCli, SigtermDoesNotWaitForeverOnAHungRequest) {
  RunningMock mock({"--drain-ms", "100"});
  ASSERT_NE(mock.port(), 0) << mock.log();
  HttpClient c(mock.port());
  c.post("/v1/chat/completions", "{}", {{"x-mock-fault", "hang"}}, 100);
  EXPECT_EQ(mock.process().stop(SIGTERM, 10000), 0);
  EXPECT_TRUE(c.wait_closed(5000));
}

}  // namespace
}  // namespace sluice::testing
