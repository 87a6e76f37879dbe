#pragma once

#include <string>

namespace sluice::tls::detail {

// OpenSSL keeps one error queue per thread, and a shard thread drives many connections.
// SSL_get_error() reads that queue, so an entry left behind by one connection would turn
// another connection's harmless "want read" into a failure. Every public call that
// touches OpenSSL opens one of these: the queue is empty on entry and on exit.
class ErrorQueueScope {
 public:
  ErrorQueueScope();
  ~ErrorQueueScope();
  ErrorQueueScope(const ErrorQueueScope&) = delete;
  ErrorQueueScope& operator=(const ErrorQueueScope&) = delete;
};

// Empties this thread's error queue into one human-readable line ("reason: detail; ..."),
// or returns an empty string when the queue was empty.
std::string drain_error_queue();

// Setup-time failure: what we were doing plus whatever OpenSSL queued, as an exception.
[[noreturn]] void throw_setup_error(const std::string& what);

}  // namespace sluice::tls::detail
