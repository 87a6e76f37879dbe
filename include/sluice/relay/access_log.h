#pragma once
// One JSON line per request. Each shard buffers its lines and hands them, once per loop
// turn (or when the buffer fills), to the process's access log writer thread through its
// own SPSC queue: a shard never calls write(2), so a slow disk or a full pipe cannot
// stall it. When a shard's queue is full the batch is dropped and its lines counted
// (access_log_dropped(), sluice_access_log_dropped_total); a write that fails counts
// the lines it lost the same way. Nothing is lost silently.

#include <cstdint>
#include <memory>
#include <string>

#include "sluice/relay/request_info.h"

namespace sluice::relay {

struct ExchangeResult;
struct AccessLogChannel;

class AccessLog {
 public:
  // Batches a shard may have waiting for the writer; more are dropped and counted.
  static constexpr size_t kQueuedBatches = 1024;

  // fd < 0: logging off. The fd is shared by all shards; each write is whole lines.
  // `queued_batches` is for tests that need the queue to fill.
  explicit AccessLog(int fd, size_t queued_batches = kQueuedBatches);
  // Hands over what is buffered (waiting a little for room), then lets the writer finish.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  void record(const RequestInfo& info, uint64_t now_ns, uint64_t ttfb_ns, uint64_t bytes_out);
  // Hands the buffered lines to the writer; never blocks.
  void flush();
  // Waits until the writer has written (or counted as lost) every line flushed so far.
  // For tests and shutdown, never the request path. False after `timeout_ms`.
  bool wait_written(uint64_t timeout_ms = 10000);
  bool enabled() const { return fd_ >= 0; }

 private:
  bool hand_over();

  int fd_;
  std::string buf_;
  uint32_t lines_ = 0;    // lines in buf_
  uint64_t batches_ = 0;  // batches handed over (pushed or dropped)
  std::shared_ptr<AccessLogChannel> channel_;
};

// Access log lines lost in this process: dropped because a shard's queue was full, or
// lost to a failed write.
uint64_t access_log_dropped();

// Opens the configured access log: "" → stderr, "off" → none, else a file (append).
// Returns -1 for "off"; throws std::runtime_error if the file cannot be opened.
int open_access_log(const std::string& where);

// Opens the access log file `where` again by its path and puts it on `fd`, the
// descriptor every shard writes to (SIGHUP, after logrotate renamed the file). dup2
// swaps the file under the descriptor in one step: a line is written whole to the old
// file or to the new one, never lost or written twice. Nothing to do for stderr or
// "off". Returns "" or why the file could not be opened; then `fd` keeps the old file.
std::string reopen_access_log(const std::string& where, int fd);

}  // namespace sluice::relay
