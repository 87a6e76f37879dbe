#include "sluice/relay/access_log.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "sluice/core/append_number.h"
#include "sluice/core/json_string.h"
#include "sluice/ledger/spsc_ring.h"

namespace sluice::relay {

// Lines handed from one shard to the writer thread.
struct AccessLogBatch {
  std::string bytes;
  uint32_t lines = 0;
  uint64_t seq = 0;  // hand-over order over all shards (see Writer::cycle)
};

// One shard's queue to the writer, shared by the two: the shard pushes batches and pops
// spare buffers, the writer the other way round.
struct AccessLogChannel {
  AccessLogChannel(int fd, size_t batches) : fd(fd), full(batches), spare(kSpareBuffers) {}
  // Written buffers waiting for reuse: a tick's worth of loop turns at moderate rates.
  static constexpr size_t kSpareBuffers = 256;
  const int fd;
  ledger::SpscRing<AccessLogBatch> full;  // shard -> writer
  ledger::SpscRing<std::string> spare;    // writer -> shard: written buffers, to reuse
  std::atomic<uint64_t> done{0};          // batches the writer has finished with
  std::atomic<bool> closed{false};        // the shard's AccessLog is gone
};

namespace {

std::atomic<uint64_t> dropped_lines{0};
std::atomic<uint64_t> next_seq{0};  // one increment per batch handed over, any shard

// The one writer thread of the process, started with the first AccessLog that logs.
// It drains every shard's queue each tick (25 ms), or sooner when a queue is half full.
// Its lines go to the descriptor the shards share, so a SIGHUP reopen (dup3 on that
// descriptor) moves its writing to the new file between two writes.
//
// Lines keep the order in which requests were answered where that order is observable:
// a client that sends its next request after the previous answer (possibly to another
// shard) finds the two lines in that order. A batch is stamped when handed over, and
// a shard hands its lines over before the answers of that loop turn are sent, so a
// batch caused by another was stamped and pushed after it. One pass over the queues
// may see the later batch and miss the earlier; a second pass then sees the earlier
// one. So each cycle pops every queue twice and writes, in stamp order, the batches up
// to the highest stamp of the first pass (or held from an earlier cycle); the rest wait
// for the next cycle.
class Writer {
 public:
  static Writer& get() {
    static Writer writer;
    return writer;
  }

  void attach(std::shared_ptr<AccessLogChannel> c) {
    std::lock_guard lock(mu_);
    channels_.push_back(std::move(c));
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }

  // Never blocks: the shard does not take the mutex, and a wake lost in the writer's
  // check-then-sleep window only delays the drain to the next tick.
  void wake() {
    if (!wake_.exchange(true, std::memory_order_relaxed)) cv_.notify_one();
  }

  ~Writer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  Writer() = default;

  void run() {
    pthread_setname_np(pthread_self(), "sluice-accesslog");
    for (;;) {
      std::vector<std::shared_ptr<AccessLogChannel>> list;
      bool stopping;
      {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(25),
                     [&] { return stop_ || wake_.load(std::memory_order_relaxed); });
        wake_.store(false, std::memory_order_relaxed);
        stopping = stop_;
        list = channels_;
      }
      cycle(list, stopping);
      list.clear();
      {
        // A channel whose AccessLog is gone is finished once drained: its last batch
        // was pushed before `closed` was set.
        std::lock_guard lock(mu_);
        std::erase_if(channels_, [this](const std::shared_ptr<AccessLogChannel>& c) {
          if (!c->closed.load(std::memory_order_acquire) || c.use_count() != 1) return false;
          cycle({c}, true);
          return c.use_count() == 1;
        });
      }
      if (stopping) return;
    }
  }

  static constexpr size_t kMaxSpareCapacity = 16 * 1024;

  struct Held {
    AccessLogBatch batch;
    std::shared_ptr<AccessLogChannel> channel;
  };

  // Pops every queue once; returns the highest stamp it found (0: none).
  uint64_t collect(const std::vector<std::shared_ptr<AccessLogChannel>>& list) {
    uint64_t top = 0;
    AccessLogBatch b;
    for (const auto& c : list) {
      while (c->full.try_pop(b)) {
        top = std::max(top, b.seq);
        held_.push_back({std::move(b), c});
        b = AccessLogBatch();
      }
    }
    return top;
  }

  void cycle(const std::vector<std::shared_ptr<AccessLogChannel>>& list, bool everything) {
    // Batches held from an earlier cycle were seen by an earlier pass: everything
    // before them is visible by now.
    uint64_t top = 0;
    for (const Held& h : held_) top = std::max(top, h.batch.seq);
    top = std::max(top, collect(list));
    collect(list);
    if (held_.empty()) return;
    if (everything) top = UINT64_MAX;
    std::sort(held_.begin(), held_.end(),
              [](const Held& a, const Held& b) { return a.batch.seq < b.batch.seq; });
    size_t n = 0;
    while (n < held_.size() && held_[n].batch.seq <= top) ++n;
    // One writev for each run of batches bound for the same descriptor (all of them,
    // unless a reload changed the file): one system call per cycle, not per batch.
    for (size_t from = 0; from < n;) {
      size_t to = from + 1;
      while (to < n && held_[to].channel->fd == held_[from].channel->fd) ++to;
      write_all(held_[from].channel->fd, from, to);
      from = to;
    }
    for (size_t i = 0; i < n; ++i) {
      Held& h = held_[i];
      h.batch.bytes.clear();
      // The shard reuses it; a buffer a burst made big is freed instead of kept.
      if (h.batch.bytes.capacity() <= kMaxSpareCapacity)
        h.channel->spare.try_push(std::move(h.batch.bytes));
      h.channel->done.fetch_add(1, std::memory_order_release);
    }
    held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(n));
  }

  // Writes held_[from, to) to `fd`. A write that fails (a full disk) must not stop the
  // writer: the lines it could not write are counted as lost.
  void write_all(int fd, size_t from, size_t to) {
    std::vector<iovec>& iov = iov_;
    iov.clear();
    for (size_t i = from; i < to; ++i)
      if (!held_[i].batch.bytes.empty())
        iov.push_back({held_[i].batch.bytes.data(), held_[i].batch.bytes.size()});
    size_t at = 0;  // first iovec not fully written
    while (at < iov.size()) {
      int count = static_cast<int>(std::min<size_t>(iov.size() - at, IOV_MAX));
      ssize_t n = ::writev(fd, iov.data() + at, count);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        uint64_t lost = 0;
        for (size_t i = at; i < iov.size(); ++i) {
          const char* b = static_cast<const char*>(iov[i].iov_base);
          lost += static_cast<uint64_t>(std::count(b, b + iov[i].iov_len, '\n'));
        }
        dropped_lines.fetch_add(lost, std::memory_order_relaxed);
        return;
      }
      size_t left = static_cast<size_t>(n);
      while (left > 0 && left >= iov[at].iov_len) left -= iov[at++].iov_len;
      if (left > 0) {
        iov[at].iov_base = static_cast<char*>(iov[at].iov_base) + left;
        iov[at].iov_len -= left;
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<bool> wake_{false};
  bool stop_ = false;
  std::vector<std::shared_ptr<AccessLogChannel>> channels_;
  std::vector<Held> held_;  // popped, not yet written (writer thread only)
  std::vector<iovec> iov_;  // write_all's gather list, kept between cycles
  std::thread thread_;
};

void field(std::string& out, const char* name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":\"";
  core::append_json_chars(out, value);
  out += '"';
}
void name_of(std::string& out, const char* name) {
  out += ",\"";
  out += name;
  out += "\":";
}
// A duration in milliseconds with three decimals, rounded to the microsecond.
void millis(std::string& out, const char* name, uint64_t ns) {
  name_of(out, name);
  core::append_thousandths(out, (ns + 500) / 1000);
}
void integer(std::string& out, const char* name, uint64_t value) {
  name_of(out, name);
  core::append_uint(out, value);
}
// Two digits, zero-padded (a date or time field).
void two(std::string& out, int v) {
  out += static_cast<char>('0' + v / 10 % 10);
  out += static_cast<char>('0' + v % 10);
}
}  // namespace

int open_access_log(const std::string& where) {
  if (where.empty()) return 2;
  if (where == "off") return -1;
  int fd = ::open(where.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) throw std::runtime_error("cannot open access log " + where + ": " + strerror(errno));
  return fd;
}

std::string reopen_access_log(const std::string& where, int fd) {
  if (where.empty() || where == "off" || fd <= 2) return {};
  int next = ::open(where.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (next < 0) return "cannot reopen access log " + where + ": " + strerror(errno);
  int err = 0;
  if (::dup3(next, fd, O_CLOEXEC) < 0) err = errno;
  ::close(next);
  if (err) return "cannot reopen access log " + where + ": " + strerror(err);
  return {};
}

void AccessLog::record(const RequestInfo& r, uint64_t now_ns, uint64_t ttfb_ns,
                       uint64_t bytes_out) {
  if (fd_ < 0) return;
  time_t secs = static_cast<time_t>(r.ts_ms / 1000);
  tm t{};
  gmtime_r(&secs, &t);
  // Numbers without printf: "2026-01-31T12:00:05.250Z", then std::to_chars.
  const uint64_t total_ns = now_ns - r.arrival_ns;
  // Gateway overhead: time spent before handing the request upstream. After that the
  // relay forwards bytes as they come, so the rest is the provider's.
  const uint64_t overhead_ns =
      r.dispatch_ns ? (r.dispatch_ns > r.arrival_ns ? r.dispatch_ns - r.arrival_ns : 0) : total_ns;
  buf_ += "{\"time\":\"";
  core::append_uint(buf_, static_cast<uint64_t>(t.tm_year + 1900));  // from 1970: 4 digits
  buf_ += '-';
  two(buf_, t.tm_mon + 1);
  buf_ += '-';
  two(buf_, t.tm_mday);
  buf_ += 'T';
  two(buf_, t.tm_hour);
  buf_ += ':';
  two(buf_, t.tm_min);
  buf_ += ':';
  two(buf_, t.tm_sec);
  buf_ += '.';
  const int ms = static_cast<int>(r.ts_ms % 1000);
  buf_ += static_cast<char>('0' + ms / 100);
  two(buf_, ms % 100);
  buf_ += "Z\"";
  field(buf_, "request_id", r.request_id);
  field(buf_, "key_id", r.key_id);
  field(buf_, "project", r.project);
  field(buf_, "route", r.route);
  field(buf_, "alias", r.alias);
  field(buf_, "provider", r.provider);
  field(buf_, "upstream_model", r.upstream_model);
  integer(buf_, "status", static_cast<uint64_t>(r.status));
  if (!r.error_class.empty()) field(buf_, "error_class", r.error_class);
  integer(buf_, "bytes_in", r.bytes_in);
  integer(buf_, "bytes_out", bytes_out);
  millis(buf_, "latency_ms", total_ns);
  millis(buf_, "upstream_ttfb_ms", ttfb_ns);
  millis(buf_, "overhead_ms", overhead_ns);
  buf_ += "}\n";
  ++lines_;
  if (buf_.size() > 64 * 1024) flush();
}

AccessLog::AccessLog(int fd, size_t queued_batches) : fd_(fd) {
  if (fd_ < 0) return;
  channel_ = std::make_shared<AccessLogChannel>(fd_, queued_batches);
  Writer::get().attach(channel_);
}

AccessLog::~AccessLog() {
  if (!channel_) return;
  // Shutdown, not the request path: give the writer a moment to make room.
  for (int i = 0; i < 200 && !buf_.empty() && !hand_over(); ++i) {
    Writer::get().wake();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  flush();  // counts the lines as dropped if there is still no room
  channel_->closed.store(true, std::memory_order_release);
  Writer::get().wake();
}

bool AccessLog::hand_over() {
  AccessLogBatch b{std::move(buf_), lines_, next_seq.fetch_add(1, std::memory_order_relaxed) + 1};
  if (!channel_->full.try_push(std::move(b))) {
    buf_ = std::move(b.bytes);  // try_push leaves `b` alone when it fails
    return false;
  }
  ++batches_;
  lines_ = 0;
  // Reuse a buffer the writer is done with: no allocation per turn once warm.
  if (!channel_->spare.try_pop(buf_)) {
    buf_ = std::string();
    buf_.reserve(4096);  // a few lines without growing step by step
  }
  if (channel_->full.producer_fill_at_least(channel_->full.capacity() / 2)) Writer::get().wake();
  return true;
}

void AccessLog::flush() {
  if (buf_.empty() || !channel_) return;
  if (hand_over()) return;
  dropped_lines.fetch_add(lines_, std::memory_order_relaxed);
  buf_.clear();
  lines_ = 0;
  Writer::get().wake();
}

bool AccessLog::wait_written(uint64_t timeout_ms) {
  if (!channel_) return true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (channel_->done.load(std::memory_order_acquire) < batches_) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    Writer::get().wake();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

uint64_t access_log_dropped() { return dropped_lines.load(std::memory_order_relaxed); }

}  // namespace sluice::relay
