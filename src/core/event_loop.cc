#include "sluice/core/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "sluice/core/clock.h"

namespace sluice::core {

std::string explain_ring_error(int err) {
  std::string base = std::string("io_uring setup failed: ") + strerror(err) + ". ";
  if (err == ENOSYS) return base + "This kernel has no io_uring; sluice needs Linux 6.0 or newer.";
  if (err == EPERM || err == EACCES) {
    int disabled = -1;
    std::ifstream f("/proc/sys/kernel/io_uring_disabled");
    if (f) f >> disabled;
    if (disabled == 2)
      return base +
             "io_uring is disabled by sysctl kernel.io_uring_disabled=2; run "
             "`sysctl -w kernel.io_uring_disabled=0` (or 1 and add the service user "
             "to kernel.io_uring_group).";
    if (disabled == 1)
      return base +
             "kernel.io_uring_disabled=1 restricts io_uring to the group in "
             "kernel.io_uring_group; add sluice's user to it, or set the sysctl to 0.";
    return base +
           "A seccomp profile (a container runtime's default, or a systemd "
           "SystemCallFilter=) blocks io_uring_setup; allow io_uring_setup, "
           "io_uring_enter and io_uring_register.";
  }
  if (err == ENOMEM)
    return base +
           "Not enough locked memory for the ring; raise RLIMIT_MEMLOCK "
           "(LimitMEMLOCK= in the unit, or ulimit -l).";
  if (err == EINVAL) return base + "The kernel rejected the ring parameters; it is likely too old.";
  return base;
}

class EventLoop::InboxReader final : public IoHandler {
 public:
  explicit InboxReader(EventLoop& loop) : loop_(loop) {}
  void on_completion(uint8_t, int, uint32_t) override {
    std::vector<std::function<void()>> work = loop_.inbox_->take();
    loop_.arm_inbox();
    for (auto& fn : work) fn();
  }

 private:
  EventLoop& loop_;
};

void EventLoop::arm_inbox() {
  io_uring_sqe* s = sqe();
  io_uring_prep_read(s, inbox_->fd(), &inbox_value_, sizeof inbox_value_, 0);
  io_uring_sqe_set_data64(s, make_user_data(inbox_reader_, 1));
}

Inbox::Inbox() {
  fd_ = eventfd(0, EFD_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error("eventfd failed");
}

Inbox::~Inbox() { ::close(fd_); }

bool Inbox::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return false;
    work_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  ssize_t n = write(fd_, &one, sizeof one);
  (void)n;
  return true;
}

std::vector<std::function<void()>> Inbox::take() {
  std::vector<std::function<void()>> work;
  std::lock_guard<std::mutex> lock(mu_);
  work.swap(work_);
  return work;
}

void Inbox::close() {
  std::vector<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    dropped.swap(work_);
  }
  // `dropped` goes here, outside the lock: its captures may post or take locks.
}

EventLoop::EventLoop(unsigned entries) {
  io_uring_params p{};
  // Only this thread submits, and completions' task work runs when we ask for events:
  // fewer interrupts and no cross-CPU wakeups. Older kernels reject these flags.
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  p.cq_entries = entries * 4;
  int rc = io_uring_queue_init_params(entries, &ring_, &p);
  if (rc == 0) {
    defer_taskrun_ = true;
  } else {
    io_uring_params plain{};
    plain.flags = IORING_SETUP_CQSIZE;
    plain.cq_entries = entries * 4;
    rc = io_uring_queue_init_params(entries, &ring_, &plain);
    if (rc < 0) throw RingSetupError(explain_ring_error(-rc));
  }
  now_ns_ = mono_ns();
  inbox_ = std::make_shared<Inbox>();
  inbox_reader_ = new InboxReader(*this);
  arm_inbox();
}

EventLoop::~EventLoop() {
  inbox_->close();
  io_uring_queue_exit(&ring_);  // cancels the inbox read with the ring
  delete static_cast<InboxReader*>(inbox_reader_);
}

io_uring_sqe* EventLoop::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  while (s == nullptr) {
    io_uring_submit(&ring_);
    s = io_uring_get_sqe(&ring_);
  }
  return s;
}

void EventLoop::run(const std::function<void()>& on_turn) {
  stop_ = false;
  while (!stop_) {
    turn(1000000000ull);
    if (on_turn) on_turn();
  }
}

void EventLoop::run_once(uint64_t max_wait_ns) { turn(max_wait_ns); }

void EventLoop::turn(uint64_t max_wait_ns) {
  // Two vectors taking turns keep their capacity: no allocation per turn once warm.
  // A function may defer more; that lands in deferred_ and runs in the next pass.
  while (!deferred_.empty()) {
    running_.swap(deferred_);
    for (auto& fn : running_) fn();
    running_.clear();
  }
  uint64_t next = timers_.next_deadline();
  uint64_t wait = max_wait_ns;
  now_ns_ = mono_ns();
  if (next != UINT64_MAX) wait = next > now_ns_ ? std::min(wait, next - now_ns_) : 0;

  io_uring_cqe* cqe = nullptr;
  if (wait == 0) {
    io_uring_submit(&ring_);
  } else {
    __kernel_timespec ts{};
    ts.tv_sec = static_cast<long long>(wait / 1000000000ull);
    ts.tv_nsec = static_cast<long long>(wait % 1000000000ull);
    int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    (void)rc;  // -ETIME on timeout, -EINTR on a signal: both just mean "look again"
  }
  now_ns_ = mono_ns();
  unsigned head;
  unsigned seen = 0;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    ++seen;
    uint64_t ud = cqe->user_data;
    if (ud == 0) continue;
    auto* h = reinterpret_cast<IoHandler*>(ud & ~uint64_t{7});
    h->on_completion(static_cast<uint8_t>(ud & 7), cqe->res, cqe->flags);
  }
  io_uring_cq_advance(&ring_, seen);
  timers_.fire_due(now_ns_);
  ++iterations_;
}

}  // namespace sluice::core
