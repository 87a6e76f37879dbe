#include "sluice/relay/access_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sluice::relay {
namespace {

std::vector<std::string> ids_in(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    size_t at = line.find("\"request_id\":\"");
    if (at == std::string::npos) {
      out.push_back("<bad line>");
      continue;
    }
    at += 14;
    out.push_back(line.substr(at, line.find('"', at) - at));
  }
  return out;
}

class AccessLogFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sluice-access-log-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/access.log";
    fd_ = open_access_log(path_);
    ASSERT_GT(fd_, 2);
  }
  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  void write_line(AccessLog& log, const std::string& id) {
    RequestInfo r;
    r.request_id = id;
    r.status = 200;
    log.record(r, 0, 0, 0);
    log.flush();
    ASSERT_TRUE(log.wait_written());  // the writer thread has put it in the file
  }
  std::string dir_, path_;
  int fd_ = -1;
};

TEST_F(AccessLogFile, ALineHoldsEveryFieldWithItsNumbersWritten) {
  AccessLog log(fd_);
  RequestInfo r;
  r.request_id = "req-1";
  r.key_id = "k";
  r.project = "p";
  r.route = "chat_completions";
  r.alias = "gpt \"4\"";
  r.provider = "openai";
  r.upstream_model = "gpt-4o";
  r.status = 429;
  r.error_class = "rate_limited";
  r.bytes_in = 5;
  r.ts_ms = 1738324805050;  // 2025-01-31T12:00:05.050Z
  r.arrival_ns = 1'000'000;
  r.dispatch_ns = 1'500'000;
  log.record(r, /*now_ns=*/13'345'600, /*ttfb_ns=*/2'000'499, /*bytes_out=*/70);
  log.flush();
  ASSERT_TRUE(log.wait_written());
  std::ifstream in(path_);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line,
            R"({"time":"2025-01-31T12:00:05.050Z","request_id":"req-1","key_id":"k",)"
            R"("project":"p","route":"chat_completions","alias":"gpt \"4\"","provider":"openai",)"
            R"("upstream_model":"gpt-4o","status":429,"error_class":"rate_limited",)"
            R"("bytes_in":5,"bytes_out":70,"latency_ms":12.346,"upstream_ttfb_ms":2.000,)"
            R"("overhead_ms":0.500})");
}

TEST_F(AccessLogFile, ReopenWritesOnToANewFileByThePath) {
  AccessLog log(fd_);
  write_line(log, "a");
  write_line(log, "b");
  ASSERT_EQ(::rename(path_.c_str(), (path_ + ".1").c_str()), 0);
  write_line(log, "c");  // still the renamed file: the descriptor is unchanged
  EXPECT_EQ(reopen_access_log(path_, fd_), "");
  write_line(log, "d");
  EXPECT_EQ(ids_in(path_ + ".1"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(ids_in(path_), (std::vector<std::string>{"d"}));
  EXPECT_TRUE(::fcntl(fd_, F_GETFD) & FD_CLOEXEC);
}

TEST_F(AccessLogFile, LinesBufferedBeforeTheReopenGoToTheNewFile) {
  AccessLog log(fd_);
  write_line(log, "a");
  RequestInfo r;
  r.request_id = "buffered";
  log.record(r, 0, 0, 0);  // not flushed yet
  ASSERT_EQ(::rename(path_.c_str(), (path_ + ".1").c_str()), 0);
  EXPECT_EQ(reopen_access_log(path_, fd_), "");
  log.flush();
  ASSERT_TRUE(log.wait_written());
  EXPECT_EQ(ids_in(path_ + ".1"), (std::vector<std::string>{"a"}));
  EXPECT_EQ(ids_in(path_), (std::vector<std::string>{"buffered"}));
}

TEST_F(AccessLogFile, FailedReopenKeepsTheOldFile) {
  AccessLog log(fd_);
  write_line(log, "a");
  std::string gone = dir_ + "/missing/access.log";
  std::string err = reopen_access_log(gone, fd_);
  EXPECT_NE(err.find("cannot reopen access log " + gone), std::string::npos) << err;
  write_line(log, "b");
  EXPECT_EQ(ids_in(path_), (std::vector<std::string>{"a", "b"}));
}

// The writer is stuck (a pipe nobody reads): the shard's queue fills, and every line is
// then either written or counted as dropped, never lost silently, and flush() returns
// at once all along.
TEST(AccessLogQueue, LinesThatFindTheQueueFullAreCountedAsDropped) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  const uint64_t dropped_before = access_log_dropped();
  const int batches = 200;
  {
    AccessLog log(p[1], 8);
    RequestInfo r;
    r.request_id = std::string(900, 'x');  // ~1 KiB lines: the pipe holds about 64
    r.status = 200;
    for (int i = 0; i < batches; ++i) {
      log.record(r, 0, 0, 0);
      log.flush();
    }
    // Each line is one batch; the pipe, the writer's hand and 8 queue slots hold far
    // fewer than 200 of them.
    EXPECT_GT(access_log_dropped() - dropped_before, 0u);
    // Now read the pipe: the writer gets going and finishes what was queued.
    std::string all;
    char buf[65536];
    const uint64_t want_lines = static_cast<uint64_t>(batches);
    ASSERT_EQ(::fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    for (int turn = 0; turn < 20000; ++turn) {
      ssize_t n = ::read(p[0], buf, sizeof buf);
      if (n > 0) all.append(buf, static_cast<size_t>(n));
      uint64_t lines = static_cast<uint64_t>(std::count(all.begin(), all.end(), '\n'));
      if (lines + access_log_dropped() - dropped_before >= want_lines && log.wait_written(0)) break;
      ::usleep(500);
    }
    uint64_t written = static_cast<uint64_t>(std::count(all.begin(), all.end(), '\n'));
    EXPECT_GT(written, 0u);
    EXPECT_EQ(written + (access_log_dropped() - dropped_before), want_lines);
  }
  ::close(p[0]);
  ::close(p[1]);
}

TEST(AccessLogReopen, NothingToDoForStderrOrOff) {
  EXPECT_EQ(reopen_access_log("", 2), "");
  EXPECT_EQ(reopen_access_log("off", -1), "");
  EXPECT_GE(::fcntl(2, F_GETFD), 0);  // stderr untouched
}

}  // namespace
}  // namespace sluice::relay
