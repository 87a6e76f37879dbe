#include "sluice/ledger/ledger.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string_view>

#include "schema.h"
#include "sluice/core/clock.h"
#include "sluice/core/log.h"
#include "sqlite_db.h"

namespace sluice::ledger {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr uint64_t kLogIntervalNs = 1'000'000'000;
// A stopping writer gives up on a failing database after this many tries in a row.
constexpr int kStopAttempts = 3;

void bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
  // STATIC: the record outlives the step that reads it.
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

void bind_record(sqlite3_stmt* stmt, const Record& r) {
  bind_text(stmt, 1, r.request_id);
  sqlite3_bind_int64(stmt, 2, r.ts_ms);
  bind_text(stmt, 3, r.key_id);
  bind_text(stmt, 4, r.project);
  bind_text(stmt, 5, r.model);
  bind_text(stmt, 6, r.provider);
  bind_text(stmt, 7, r.upstream_model);
  sqlite3_bind_int(stmt, 8, r.stream ? 1 : 0);
  sqlite3_bind_int(stmt, 9, r.status);
  bind_text(stmt, 10, to_text(r.outcome));
  sqlite3_bind_int64(stmt, 11, r.input_tokens);
  sqlite3_bind_int64(stmt, 12, r.output_tokens);
  sqlite3_bind_int64(stmt, 13, r.cached_tokens);
  sqlite3_bind_int64(stmt, 14, r.reasoning_tokens);
  bind_text(stmt, 15, to_text(r.usage_source));
  sqlite3_bind_int64(stmt, 16, r.cost_nusd);
  sqlite3_bind_int64(stmt, 17, r.latency_ms);
  if (r.ttft_ms < 0) {
    sqlite3_bind_null(stmt, 18);
  } else {
    sqlite3_bind_int64(stmt, 18, r.ttft_ms);
  }
  sqlite3_bind_int(stmt, 19, r.attempts);
  bind_text(stmt, 20, r.error_class);
  bind_text(stmt, 21, r.upstream_request_id);
}

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

}  // namespace

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
      wake_writer();
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
    : path_(config.path),
      flush_ms_(std::max<uint32_t>(config.flush_ms, 1)),
      overflow_capacity_(options.overflow_capacity) {
  const std::filesystem::path dir = std::filesystem::path(path_).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir);
  create_private(path_);

  sqlite::Db db = sqlite::open(path_, /*read_only=*/false, kBusyTimeoutMs);
  schema::prepare_for_writing(db.get(), path_.c_str());
  std::string error;
  sqlite::Stmt insert = sqlite::prepare(db.get(), schema::kInsertSql, &error);
  if (!insert) throw std::runtime_error("ledger " + path_ + ": " + error);
  reader_ = std::make_unique<UsageReader>(path_);

  max_pending_ = overflow_capacity_;
  for (uint32_t i = 0; i < std::max<uint32_t>(queues, 1); ++i) {
    queues_.emplace_back(new LedgerQueue(*this, config.queue_capacity, options.early_wake));
    max_pending_ += queues_.back()->capacity();
  }
  overflow_.reserve(overflow_capacity_);
  overflow_spare_.reserve(overflow_capacity_);

  sqlite3_commit_hook(db.get(), &Ledger::on_commit, this);
  db_ = db.release();
  insert_ = insert.release();
  writer_ = std::thread([this] { run_writer(); });
}

Ledger::~Ledger() { stop(); }

int Ledger::on_commit(void* self) {
  static_cast<Ledger*>(self)->transactions_.fetch_add(1, std::memory_order_relaxed);
  return 0;  // let the commit proceed
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
  close_writer();
}

void Ledger::close_writer() {
  sqlite3_finalize(insert_);
  insert_ = nullptr;
  // The last connection to close checkpoints the WAL into the main file; the reader may
  // still be open, in which case the next start does it.
  sqlite3_close_v2(db_);
  db_ = nullptr;
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
  if (batch_.empty()) return true;
  if (!insert_batch()) {
    write_errors_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  rows_written_.fetch_add(batch_.size(), std::memory_order_relaxed);
  batches_.fetch_add(1, std::memory_order_relaxed);
  batch_.clear();
  return true;
}

void Ledger::collect() {
  // While writes fail the batch is kept for the retry; stop taking more so the rings
  // fill and the loss shows up in dropped() instead of in this process's memory.
  if (batch_.size() >= max_pending_) return;
  for (const auto& queue : queues_) {
    queue->ring_.drain(queue->ring_.capacity(),
                       [this](Record&& record) { batch_.push_back(std::move(record)); });
  }
  {
    std::lock_guard lock(overflow_mu_);
    overflow_.swap(overflow_spare_);
  }
  for (Record& record : overflow_spare_) batch_.push_back(std::move(record));
  overflow_spare_.clear();
}

bool Ledger::insert_batch() {
  std::string error;
  if (!sqlite::exec(db_, "BEGIN IMMEDIATE", &error)) {
    last_error_ = error;
    return false;
  }
  for (const Record& record : batch_) {
    bind_record(insert_, record);
    const int rc = sqlite3_step(insert_);
    sqlite3_reset(insert_);
    if (rc != SQLITE_DONE) {
      last_error_ = sqlite::last_error(db_);
      sqlite::exec(db_, "ROLLBACK", nullptr);
      return false;
    }
  }
  if (!sqlite::exec(db_, "COMMIT", &error)) {
    last_error_ = error;
    sqlite::exec(db_, "ROLLBACK", nullptr);
    return false;
  }
  return true;
}

void Ledger::log_losses(bool force) {
  const uint64_t now = core::mono_ns();
  if (!force && now - last_log_ns_ < kLogIntervalNs) return;
  const uint64_t overflowed_now = overflowed();
  const uint64_t dropped_now = dropped();
  const uint64_t errors_now = write_errors();
  if (overflowed_now == logged_overflowed_ && dropped_now == logged_dropped_ &&
      errors_now == logged_errors_) {
    return;
  }
  if (overflowed_now != logged_overflowed_ || dropped_now != logged_dropped_) {
    SLUICE_LOG_WARN(
        "ledger: shard queues full: %llu records overflowed (%llu total), %llu dropped "
        "(%llu total); raise ledger.queue_capacity or lower ledger.flush_ms",
        static_cast<unsigned long long>(overflowed_now - logged_overflowed_),
        static_cast<unsigned long long>(overflowed_now),
        static_cast<unsigned long long>(dropped_now - logged_dropped_),
        static_cast<unsigned long long>(dropped_now));
  }
  if (errors_now != logged_errors_) {
    SLUICE_LOG_ERROR("ledger %s: %llu failed writes, %zu records pending: %s", path_.c_str(),
                     static_cast<unsigned long long>(errors_now - logged_errors_), batch_.size(),
                     last_error_.c_str());
  }
  logged_overflowed_ = overflowed_now;
  logged_dropped_ = dropped_now;
  logged_errors_ = errors_now;
  last_log_ns_ = now;
}

}  // namespace sluice::ledger
