#pragma once
// Watches the shared key store (PostgreSQL) for changes made by other instances, on a
// thread of its own with a dedicated connection that LISTENs on kKeysChannel. It calls
// `changed` after a notification, after every (re)connection (a notification may have
// been missed meanwhile) and every `period_ms` whatever happens (the backstop for a
// lost notification). It never reads the keys itself: `changed` schedules the re-read
// where the store is used (the admin worker). A lost connection is retried with a
// backoff of 0.5 s doubling to 10 s.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

struct pg_conn;

namespace sluice::admin {

class KeyWatcher {
 public:
  KeyWatcher(std::string url, std::function<void()> changed, uint32_t period_ms = 10000);
  ~KeyWatcher();  // stops and joins (within a connect timeout, 3 s, at worst)
  KeyWatcher(const KeyWatcher&) = delete;
  KeyWatcher& operator=(const KeyWatcher&) = delete;

 private:
  void run();
  // Waits up to `ms` for `fd` (-1: none) or the stop signal; true when stopping.
  bool wait(int fd, int ms, bool& readable);
  pg_conn* listen(std::string& error);

  std::string url_;
  std::function<void()> changed_;
  uint32_t period_ms_;
  int stop_fd_ = -1;  // eventfd
  std::thread thread_;
};

}  // namespace sluice::admin
