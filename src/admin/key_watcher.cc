#include "sluice/admin/key_watcher.h"

#include <libpq-fe.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "sluice/admin/pg_key_store.h"
#include "sluice/core/clock.h"
#include "sluice/core/log.h"

namespace sluice::admin {
namespace {

constexpr uint32_t kFirstBackoffMs = 500;
constexpr uint32_t kMaxBackoffMs = 10000;

int64_t mono_ms() { return static_cast<int64_t>(core::mono_ns() / 1000000); }

}  // namespace

KeyWatcher::KeyWatcher(std::string url, std::function<void()> changed, uint32_t period_ms)
    : url_(std::move(url)), changed_(std::move(changed)), period_ms_(std::max(period_ms, 1u)) {
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) throw std::runtime_error("key watcher: eventfd failed");
  thread_ = std::thread([this] { run(); });
}

KeyWatcher::~KeyWatcher() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
  thread_.join();
  ::close(stop_fd_);
}

bool KeyWatcher::wait(int fd, int ms, bool& readable) {
  pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {fd, POLLIN, 0}};
  int n = ::poll(fds, fd >= 0 ? 2 : 1, std::max(ms, 0));
  readable = n > 0 && fd >= 0 && (fds[1].revents & (POLLIN | POLLERR | POLLHUP));
  return n > 0 && (fds[0].revents & POLLIN);
}

pg_conn* KeyWatcher::listen(std::string& error) {
  PGconn* c = connect_postgres(url_, error);
  if (c == nullptr) return nullptr;
  PGresult* r = PQexec(c, "LISTEN sluice_virtual_keys");
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) error = PQresultErrorMessage(r);
  PQclear(r);
  if (!ok || PQsetnonblocking(c, 1) != 0) {
    if (ok) error = "cannot make the connection non-blocking";
    PQfinish(c);
    return nullptr;
  }
  return c;
}

void KeyWatcher::run() {
  PGconn* conn = nullptr;
  uint32_t backoff = 0;
  bool warned = false;
  int64_t next_read = mono_ms() + period_ms_;
  for (;;) {
    if (conn == nullptr) {
      std::string error;
      conn = listen(error);
      if (conn) {
        if (warned) SLUICE_LOG_INFO("key store: listening for key changes again");
        warned = false;
        backoff = 0;
        changed_();  // whatever happened while nobody listened
        next_read = mono_ms() + period_ms_;
      } else {
        if (!warned) SLUICE_LOG_WARN("key store: cannot listen for key changes: %s", error.c_str());
        warned = true;
        backoff = std::min(kMaxBackoffMs, backoff ? backoff * 2 : kFirstBackoffMs);
        bool readable;
        if (wait(-1, static_cast<int>(backoff), readable)) break;
        if (mono_ms() >= next_read) {
          changed_();
          next_read = mono_ms() + period_ms_;
        }
        continue;
      }
    }
    bool readable = false;
    if (wait(PQsocket(conn), static_cast<int>(next_read - mono_ms()), readable)) break;
    bool notified = false;
    if (readable) {
      if (PQconsumeInput(conn) == 0) {
        SLUICE_LOG_WARN("key store: lost the connection listening for key changes: %s",
                        PQerrorMessage(conn));
        warned = true;
        PQfinish(conn);
        conn = nullptr;
        continue;
      }
      while (PGnotify* n = PQnotifies(conn)) {
        notified = true;
        PQfreemem(n);
      }
    }
    if (notified || mono_ms() >= next_read) {
      changed_();
      next_read = mono_ms() + period_ms_;
    }
  }
  if (conn) PQfinish(conn);
}

}  // namespace sluice::admin
