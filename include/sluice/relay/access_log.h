#pragma once
// One JSON line per request. Each shard buffers its lines and writes them once per
// loop turn (or when the buffer fills), so logging costs no syscall per request.

#include <cstdint>
#include <string>

#include "sluice/relay/request_info.h"

namespace sluice::relay {

struct ExchangeResult;

class AccessLog {
 public:
  // fd < 0: logging off. The fd is shared by all shards; each write is whole lines.
  explicit AccessLog(int fd) : fd_(fd) {}
  ~AccessLog() { flush(); }

  void record(const RequestInfo& info, uint64_t now_ns, uint64_t ttfb_ns, uint64_t bytes_out);
  void flush();
  bool enabled() const { return fd_ >= 0; }

 private:
  int fd_;
  std::string buf_;
};

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
