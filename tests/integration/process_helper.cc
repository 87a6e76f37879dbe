#include "process_helper.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
// GCC 12 reports std::function inside <regex> as maybe-uninitialized when built with the
// sanitizers: a false positive in the library header, not in this file.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>

extern char** environ;

namespace sluice::testing {
namespace {

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) stop(SIGKILL, 5000);
  if (reader_.joinable()) reader_.join();
}

bool ChildProcess::start(const std::string& path, const std::vector<std::string>& args,
                         const std::vector<std::string>& env, std::string* error) {
  auto fail = [&](const std::string& why) {
    if (error) *error = why;
    return false;
  };
  if (pid_ > 0) return fail("already started");
  // Everything the child needs is built before fork: only async-signal-safe calls after.
  std::vector<std::string> argv_strings;
  argv_strings.push_back(path);
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + strerror(errno));
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return fail(std::string("fork: ") + strerror(errno));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    dup2(pipe_fds[1], 2);
    // Undo the test runner's blocked signals so SIGTERM reaches the child's own handling.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(path.c_str(), argv.data(), envp.data());
    const char msg[] = "exec failed\n";
    ssize_t n = write(2, msg, sizeof msg - 1);
    (void)n;
    _exit(127);
  }
  ::close(pipe_fds[1]);
  pid_ = pid;
  reader_ = std::thread([this, fd = pipe_fds[0]] { read_stderr(fd); });
  return true;
}

void ChildProcess::read_stderr(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (n <= 0) {
      eof_ = true;
      cv_.notify_all();
      break;
    }
    captured_.append(buf, static_cast<size_t>(n));
    cv_.notify_all();
  }
  ::close(fd);
}

std::optional<std::vector<std::string>> ChildProcess::wait_for_line(const std::string& pattern,
                                                                    int timeout_ms) {
  std::regex re(pattern);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    size_t nl;
    while ((nl = captured_.find('\n', scanned_)) != std::string::npos) {
      std::string line = captured_.substr(scanned_, nl - scanned_);
      scanned_ = nl + 1;
      std::smatch m;
      if (std::regex_search(line, m, re)) {
        std::vector<std::string> groups;
        for (const auto& g : m) groups.push_back(g.str());
        return groups;
      }
    }
    if (eof_) return std::nullopt;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) return std::nullopt;
  }
}

std::string ChildProcess::stderr_text() const {
  std::lock_guard<std::mutex> lock(mu_);
  return captured_;
}

bool ChildProcess::wait_stderr_closed(int timeout_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] { return eof_; });
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait_exit(int timeout_ms) {
  if (pid_ <= 0) return std::nullopt;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!status_) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      status_ = exit_code(status);
      break;
    }
    if (r < 0 && errno != EINTR) {
      status_ = -1;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

bool ChildProcess::running() { return pid_ > 0 && !wait_exit(0); }

int ChildProcess::stop(int sig, int timeout_ms) {
  if (pid_ <= 0) return -1;
  if (status_) return *status_;
  ::kill(pid_, sig);
  if (std::optional<int> s = wait_exit(timeout_ms)) return *s;
  ::kill(pid_, SIGKILL);
  return wait_exit(60000).value_or(-1);
}

uint16_t start_listening(ChildProcess& p, const std::string& path,
                         const std::vector<std::string>& args, int timeout_ms) {
  if (!p.start(path, args)) return 0;
  auto m = p.wait_for_line(R"(listening on \S+:(\d+))", timeout_ms);
  if (!m) return 0;
  return static_cast<uint16_t>(std::stoul((*m)[1]));
}

}  // namespace sluice::testing
