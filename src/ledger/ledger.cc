#include "sluice/ledger/ledger.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>

#include "sink.h"
#include "sluice/config/ledger_url.h"
#include "sluice/core/clock.h"
#include "sluice/core/log.h"

namespace sluice::ledger {
namespace {

constexpr uint64_t kLogIntervalNs = 1'000'000'000;
// A stopping writer gives up on a failing database after this many tries in a row.
constexpr int kStopAttempts = 3;
// Retention deletes this many rows per statement, and at most this many statements per
// pass, so the writer is never away from its queues for long.
constexpr int kRetentionChunk = 1000;
constexpr int kRetentionStatementsPerPass = 20;

// The ledger names every project, key and request, so a new one is readable by its
// owner only, whatever the umask; SQLite gives its -wal and -shm files the same mode.
// An existing file keeps the mode its operator gave it.
void create_private(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return;
    throw std::runtime_error("ledger " + path + ": " + std::strerror(errno));
  }
  const int rc = ::fchmod(fd, 0600);  // the umask may have taken bits off, never added
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw std::runtime_error("ledger " + path + ": " + std::strerror(err));
}

void create_parent(const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
}

// Row ids are "<16 random hex digits>-<sequence>": unique to this process run, so two
// instances writing one PostgreSQL database, or one instance restarted, never collide,
// and the same record keeps its id through every retry and replay.
std::string row_id_prefix() {
  uint64_t bits = 0;
  if (::getrandom(&bits, sizeof bits, 0) != static_cast<ssize_t>(sizeof bits)) {
    bits = core::mono_ns() ^ (static_cast<uint64_t>(::getpid()) << 32) ^ core::wall_ms();
  }
  char text[24];
  std::snprintf(text, sizeof text, "%016llx-", static_cast<unsigned long long>(bits));
  return text;
}

}  // namespace

const char* cause_name(FailureCause cause) {
  switch (cause) {
    case FailureCause::connect:
      return "connect";
    case FailureCause::write:
      return "write";
    case FailureCause::disk_full:
      return "disk_full";
    case FailureCause::read_only:
      return "read_only";
    case FailureCause::locked:
      return "locked";
    case FailureCause::io:
      return "io";
    case FailureCause::other:
      return "other";
  }
  return "other";
}

void FailureLog::failed(FailureCause cause, const std::string& message) {
  const size_t i = static_cast<size_t>(cause);
  stats_.errors[i].fetch_add(1, std::memory_order_relaxed);
  if (logged_[i]) return;
  logged_[i] = true;
  SLUICE_LOG_ERROR("ledger %s: write failed (%s): %s; logged once until writes succeed again",
                   name_.c_str(), cause_name(cause), message.c_str());
}

void FailureLog::recovered(std::initializer_list<FailureCause> causes) {
  for (FailureCause cause : causes) {
    const size_t i = static_cast<size_t>(cause);
    if (!logged_[i]) continue;
    logged_[i] = false;
    SLUICE_LOG_INFO(
        "ledger %s: writing again after %s failures (%llu so far)", name_.c_str(),
        cause_name(cause),
        static_cast<unsigned long long>(stats_.errors[i].load(std::memory_order_relaxed)));
  }
}

// --- producer side (shard threads) ---

LedgerQueue::LedgerQueue(Ledger& ledger, size_t capacity, bool early_wake)
    : ledger_(ledger), ring_(capacity), wake_threshold_(early_wake ? ring_.capacity() / 2 : 0) {}

Submitted LedgerQueue::submit(Record&& record) noexcept {
  if (ledger_.stopped_.load(std::memory_order_relaxed)) {
    ledger_.dropped_.fetch_add(1, std::memory_order_relaxed);
    return Submitted::dropped;
  }
  if (ring_.try_push(std::move(record))) {
    if (wake_threshold_ != 0 && ring_.producer_fill_at_least(wake_threshold_)) {
      ledger_.wake_writer();
    }
    return Submitted::queued;
  }
  return ledger_.overflow(std::move(record));
}

Submitted Ledger::overflow(Record&& record) noexcept {
  {
    std::lock_guard lock(overflow_mu_);
    if (overflow_.size() < overflow_capacity_) {
      overflow_.push_back(std::move(record));  // reserved: no allocation
      overflowed_.fetch_add(1, std::memory_order_relaxed);
      if (early_wake_) wake_writer();
      return Submitted::overflowed;
    }
  }
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return Submitted::dropped;
}

void Ledger::wake_writer() noexcept {
  // notify without the mutex: the producer never waits for the writer. A wake lost in
  // the writer's check-then-sleep window only delays the drain to the next tick.
  if (!wake_pending_.exchange(true, std::memory_order_relaxed)) wake_cv_.notify_one();
}

// --- setup and shutdown (control thread) ---

Ledger::Ledger(const config::Ledger& config, uint32_t queues, LedgerOptions options)
    : path_(config.kind == config::LedgerKind::postgres ? config.spool : config.path),
      flush_ms_(std::max<uint32_t>(config.flush_ms, 1)),
      postgres_(config.kind == config::LedgerKind::postgres),
      refuse_on_failure_(config.on_failure == config::OnLedgerFailure::refuse),
      retention_days_(config.retention_days),
      retention_interval_ms_(options.retention_interval_ms),
      instance_(std::move(options.instance)),
      overflow_capacity_(options.overflow_capacity),
      early_wake_(options.early_wake) {
  create_parent(path_);
  create_private(path_);
  if (postgres_) {
    std::string url_error;
    const std::string url = config::resolve_ledger_url(config, url_error);
    if (!url_error.empty()) throw std::runtime_error(url_error);
    failure_log_ = std::make_unique<FailureLog>(stats_, "postgres");
    sink_ = make_pg_sink(url, path_, *failure_log_);
    reader_ = std::make_unique<UsageReader>(UsageReader::Postgres{url});
  } else {
    failure_log_ = std::make_unique<FailureLog>(stats_, path_);
    sink_ = make_sqlite_sink(path_, *failure_log_);
    reader_ = std::make_unique<UsageReader>(path_);
  }
  row_id_prefix_ = row_id_prefix();

  max_pending_ = overflow_capacity_;
  for (uint32_t i = 0; i < std::max<uint32_t>(queues, 1); ++i) {
    queues_.emplace_back(new LedgerQueue(*this, config.queue_capacity, options.early_wake));
    max_pending_ += queues_.back()->capacity();
  }
  overflow_.reserve(overflow_capacity_);
  overflow_spare_.reserve(overflow_capacity_);
  writer_ = std::thread([this] { run_writer(); });
}

Ledger::~Ledger() { stop(); }

const char* Ledger::state() const {
  if (stats_.failing.load(std::memory_order_relaxed)) return "failing";
  if (stats_.backend_down.load(std::memory_order_relaxed) ||
      stats_.spool_backlog.load(std::memory_order_relaxed) != 0)
    return "spooling";
  return "ok";
}

bool Ledger::flush() {
  std::unique_lock lock(mu_);
  if (writer_done_) return last_cycle_ok_;
  const uint64_t ticket = ++flush_requested_;
  wake_cv_.notify_one();
  flushed_cv_.wait(lock, [&] { return flush_completed_ >= ticket || writer_done_; });
  return last_cycle_ok_;
}

void Ledger::stop() {
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
  }
  stopped_.store(true, std::memory_order_relaxed);
  wake_cv_.notify_one();
  if (!writer_.joinable()) return;
  writer_.join();
  // The writer is gone; this thread is the consumer now. Pick up records that raced
  // with stop() before closing.
  const bool ok = write_cycle();
  {
    std::lock_guard lock(mu_);
    last_cycle_ok_ = last_cycle_ok_ && ok && batch_.empty();
  }
  if (!batch_.empty()) {
    dropped_.fetch_add(batch_.size(), std::memory_order_relaxed);
    batch_.clear();
  }
  log_losses(/*force=*/true);
  // SQLite: the last connection to close checkpoints the WAL into the main file; the
  // reader may still be open, in which case the next start does it.
  sink_.reset();
}

// --- writer thread ---

void Ledger::run_writer() {
  pthread_setname_np(pthread_self(), "sluice-ledger");
  for (;;) {
    uint64_t ticket;
    bool stopping;
    {
      std::unique_lock lock(mu_);
      wake_cv_.wait_for(lock, std::chrono::milliseconds(flush_ms_), [&] {
        return stop_requested_ || flush_requested_ > flush_completed_ ||
               wake_pending_.load(std::memory_order_relaxed);
      });
      wake_pending_.store(false, std::memory_order_relaxed);
      ticket = flush_requested_;
      stopping = stop_requested_;
    }
    bool ok = write_cycle();
    if (ok && !stopping) retain();
    if (stopping) {
      // Producers have stopped; write until nothing is left or the database keeps failing.
      int failures = ok ? 0 : 1;
      for (;;) {
        bool left = !batch_.empty();
        for (const auto& queue : queues_) left = left || queue->ring_.size_approx() != 0;
        {
          std::lock_guard lock(overflow_mu_);
          left = left || !overflow_.empty();
        }
        if (!left || failures >= kStopAttempts) break;
        ok = write_cycle();
        failures = ok ? 0 : failures + 1;
      }
    }
    log_losses(/*force=*/false);
    {
      std::lock_guard lock(mu_);
      flush_completed_ = ticket;
      last_cycle_ok_ = ok && batch_.empty();
      writer_done_ = stopping;
    }
    flushed_cv_.notify_all();
    if (stopping) return;
  }
}

bool Ledger::write_cycle() {
  collect();
  sink_->tick();
  if (batch_.empty()) return true;
  // Ids of records already pending keep theirs (batch_[i] is batch_first_seq_ + i).
  if (postgres_) {
    for (size_t i = batch_ids_.size(); i < batch_.size(); ++i)
      batch_ids_.push_back(row_id_prefix_ + std::to_string(batch_first_seq_ + i));
  }
  const SinkResult result = sink_->write(batch_, batch_ids_);
  if (!result.ok) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    stats_.failing.store(true, std::memory_order_relaxed);
    return false;
  }
  stats_.failing.store(false, std::memory_order_relaxed);
  rows_written_.fetch_add(batch_.size(), std::memory_order_relaxed);
  batches_.fetch_add(1, std::memory_order_relaxed);
  batch_first_seq_ += batch_.size();
  batch_.clear();
  batch_ids_.clear();
  return true;
}

// ledger.retention_days: old rows go in small statements, between flushes, at most once
// per retention_interval_ms, so the request path never waits for it.
void Ledger::retain() {
  if (retention_days_ == 0) return;
  const uint64_t now = core::mono_ns();
  if (last_retention_ns_ != 0 &&
      now - last_retention_ns_ < uint64_t{retention_interval_ms_} * 1'000'000)
    return;
  last_retention_ns_ = now;
  const int64_t before =
      static_cast<int64_t>(core::wall_ms()) - int64_t{retention_days_} * 86'400'000;
  for (int i = 0; i < kRetentionStatementsPerPass; ++i) {
    const uint64_t deleted = sink_->delete_before(before, kRetentionChunk);
    stats_.retention_deleted.fetch_add(deleted, std::memory_order_relaxed);
    if (deleted < static_cast<uint64_t>(kRetentionChunk)) break;
  }
}

void Ledger::collect() {
  // While writes fail the batch is kept for the retry; stop taking more so the rings
  // fill and the loss shows up in dropped() instead of in this process's memory.
  if (batch_.size() >= max_pending_) return;
  // The instance is stamped here, on the writer thread, so the request path never copies
  // it; a spooled row keeps the name it was collected under.
  for (const auto& queue : queues_) {
    queue->ring_.drain(queue->ring_.capacity(), [this](Record&& record) {
      record.instance = instance_;
      batch_.push_back(std::move(record));
    });
  }
  {
    std::lock_guard lock(overflow_mu_);
    overflow_.swap(overflow_spare_);
  }
  for (Record& record : overflow_spare_) {
    record.instance = instance_;
    batch_.push_back(std::move(record));
  }
  overflow_spare_.clear();
}

void Ledger::log_losses(bool force) {
  const uint64_t now = core::mono_ns();
  if (!force && now - last_log_ns_ < kLogIntervalNs) return;
  const uint64_t overflowed_now = overflowed();
  const uint64_t dropped_now = dropped();
  if (overflowed_now == logged_overflowed_ && dropped_now == logged_dropped_) return;
  if (overflowed_now != logged_overflowed_ || dropped_now != logged_dropped_) {
    SLUICE_LOG_WARN(
        "ledger: shard queues full: %llu records overflowed (%llu total), %llu dropped "
        "(%llu total); raise ledger.queue_capacity or lower ledger.flush_ms",
        static_cast<unsigned long long>(overflowed_now - logged_overflowed_),
        static_cast<unsigned long long>(overflowed_now),
        static_cast<unsigned long long>(dropped_now - logged_dropped_),
        static_cast<unsigned long long>(dropped_now));
  }
  logged_overflowed_ = overflowed_now;
  logged_dropped_ = dropped_now;
  last_log_ns_ = now;
}

}  // namespace sluice::ledger
