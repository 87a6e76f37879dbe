#pragma once
// Integration tests run the real binaries. ChildProcess starts one with arguments,
// captures its stderr (a background thread keeps reading it, so a chatty child never
// blocks on a full pipe), waits for a line that says it is ready, and stops it.
//
//   ChildProcess mock;
//   uint16_t port = start_listening(mock, getenv("SLUICE_MOCK_BIN"), {"--port", "0"});
//   ... talk to 127.0.0.1:port ...
//   EXPECT_EQ(mock.stop(), 0);  // SIGTERM, then the exit status
//
// The child is killed if the test process dies (PR_SET_PDEATHSIG) and by the destructor
// if still running.

#include <sys/types.h>

#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sluice::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts `path` with `args` (argv[1..]), stdin from /dev/null, stdout inherited, stderr
  // captured. `env` entries ("NAME=value") are added to the environment. False, with the
  // reason in `error`, when it could not be started.
  bool start(const std::string& path, const std::vector<std::string>& args,
             const std::vector<std::string>& env = {}, std::string* error = nullptr);

  // Waits up to `timeout_ms` for a whole stderr line matching `pattern` (ECMAScript
  // regex, searched within the line). Returns the match and its groups ([0] is the whole
  // match), or nothing on timeout or when the child exits first. Lines seen by an earlier
  // call are not matched again.
  std::optional<std::vector<std::string>> wait_for_line(const std::string& pattern,
                                                        int timeout_ms = 10000);

  // Everything the child wrote to stderr so far.
  std::string stderr_text() const;
  // Waits up to `timeout_ms` until stderr is closed (the child, and anything it started,
  // exited), so stderr_text() is all of it. False on timeout.
  bool wait_stderr_closed(int timeout_ms = 10000);

  // Sends `sig`, waits up to `timeout_ms` for the exit, then SIGKILLs. Returns the exit
  // status, or 128 + signal number when a signal ended it; -1 if it was not running.
  int stop(int sig = SIGTERM, int timeout_ms = 10000);
  // Sends a signal without waiting.
  void signal(int sig);
  // Waits up to `timeout_ms` for the child to exit by itself; the status as stop() says,
  // or nothing if it is still running.
  std::optional<int> wait_exit(int timeout_ms);
  bool running();
  pid_t pid() const { return pid_; }

 private:
  void read_stderr(int fd);

  pid_t pid_ = -1;
  std::optional<int> status_;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string captured_;  // all of stderr
  size_t scanned_ = 0;    // bytes of captured_ already offered to wait_for_line
  bool eof_ = false;
};

// Starts a server and waits for its "listening on ADDR:PORT" line (sluice and
// sluice-mock both log one; with --port 0 it carries the port the kernel chose).
// Returns the port, or 0 when the server did not start (its stderr is in p).
uint16_t start_listening(ChildProcess& p, const std::string& path,
                         const std::vector<std::string>& args, int timeout_ms = 10000);

}  // namespace sluice::testing
