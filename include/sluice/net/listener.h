#pragma once
// A shard's own listening socket (SO_REUSEPORT: the kernel spreads connections across
// shards by hash) with a multishot accept.
//
// Out of descriptors (EMFILE, ENFILE) the pending connection stays in the kernel's
// backlog and re-arming at once would fail again at once, forever: the listener closes
// a few of the shard's oldest idle keep-alive connections, waits (10 ms, doubling to
// 1 s while it lasts) and tries again, and logs at most one line a second.

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <string>

#include "sluice/core/event_loop.h"

namespace sluice::net {

// Resolves a numeric IPv4/IPv6 literal and port. False if `address` is not one.
bool make_address(const std::string& address, uint16_t port, sockaddr_storage& out, socklen_t& len);

class Listener final : public core::IoHandler, public core::TimerTarget {
 public:
  using OnAccept = std::function<void(int fd)>;
  // Binds and listens; throws std::runtime_error naming address and errno on failure.
  Listener(core::EventLoop& loop, const std::string& address, uint16_t port, OnAccept on_accept);
  ~Listener();
  void start();
  // Stops accepting: cancels the accept and closes the socket.
  void stop();
  uint16_t port() const { return port_; }  // the bound port (useful with port 0)
  bool active() const { return fd_ >= 0; }

  void on_completion(uint8_t op, int res, uint32_t flags) override;
  void on_timer(int tag) override;

 private:
  void arm();
  void out_of_descriptors(int err);
  void warn_limited(int err, size_t shed);
  core::EventLoop& loop_;
  OnAccept on_accept_;
  int fd_ = -1;
  uint16_t port_ = 0;
  bool armed_ = false;
  bool stopping_ = false;
  core::Timer retry_;        // re-arms the accept after a back-off
  uint64_t backoff_ns_ = 0;  // the current back-off; 0 while accepts succeed
  uint64_t last_warn_ns_ = 0;
  uint64_t suppressed_ = 0;  // failures not logged since the last line
};

}  // namespace sluice::net
