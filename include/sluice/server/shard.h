#pragma once
// One shard: a thread pinned to one CPU with its own io_uring, receive buffers,
// SO_REUSEPORT listeners, upstream pools and gateway. Nothing on its request path is
// shared with another shard; the control thread talks to it only through the atomics
// below and an eventfd that wakes its loop.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/core/event_loop.h"
#include "sluice/net/http_connection.h"
#include "sluice/tls/tls_server.h"

namespace sluice::server {

// Receive buffers per shard: 2048 x 8 KiB. LLM responses arrive in small pieces, so
// many small buffers hold more concurrent streams than a few large ones.
inline constexpr uint32_t kRecvBuffers = 2048;
inline constexpr uint32_t kRecvBufferSize = 8192;

// What a shard serves: the application's request handler, made on the shard's own
// thread (so everything it allocates belongs to that shard), and where it listens.
struct ShardSpec {
  // The public listeners, then the admin listeners (from `admin_from` on).
  std::vector<config::Listen> listen;
  size_t admin_from = SIZE_MAX;
  // Parallel to `listen`: TLS settings for that listener, or null. Built at setup and
  // shared read-only (see make_listen_tls).
  std::vector<std::shared_ptr<tls::TlsServerContext>> listen_tls;
  net::ServerLimits limits;
  std::function<std::unique_ptr<net::RequestHandler>(net::IoContext&, unsigned shard)> make_handler;
};

// TLS contexts for the listeners that have `tls` set; throws with the reason.
std::vector<std::shared_ptr<tls::TlsServerContext>> make_listen_tls(
    const std::vector<config::Listen>& listen);

// ServerLimits from the config's `server` section, for one of `shards` shards: the
// process-wide connection limit is divided among them.
net::ServerLimits server_limits(const config::Server& s, size_t shards = 1);

class Shard {
 public:
  Shard(unsigned index, int cpu, const ShardSpec& spec);
  ~Shard();

  void start();
  // From the control thread: stop accepting, finish what is in flight, then exit by
  // `deadline_ns` (mono clock) at the latest.
  void drain(uint64_t deadline_ns);
  void join();

  unsigned index() const { return index_; }
  // Set once every listener of the shard is bound (or on failure, with error()).
  bool ready() const { return ready_.load(std::memory_order_acquire); }
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  std::string error() const;
  // Loop turns so far; the watchdog checks that it moves.
  uint64_t heartbeat() const { return heartbeat_.load(std::memory_order_relaxed); }
  // Bound ports of this shard's listeners, in config order (valid once ready).
  std::vector<uint16_t> ports() const;
  // Exchanges left unfinished at the drain deadline.
  uint64_t abandoned() const { return abandoned_.load(); }
  // From any thread: runs `fn` on the shard's loop (core::EventLoop::post). False, and
  // `fn` dropped, when the loop is not running (not started yet, or stopped).
  bool post(std::function<void()> fn);

 private:
  void run();
  void wake();
  void publish_loop(core::EventLoop* loop);

  unsigned index_;
  int cpu_;
  const ShardSpec& spec_;
  std::thread thread_;
  int wake_fd_ = -1;
  std::atomic<bool> ready_{false};
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> drain_deadline_{0};  // 0: serving
  std::atomic<uint64_t> heartbeat_{0};
  std::atomic<uint64_t> abandoned_{0};
  std::string error_;                // written before failed_ is set
  std::vector<uint16_t> ports_;      // written before ready_ is set
  std::mutex loop_mu_;               // guards loop_ against the loop going away
  core::EventLoop* loop_ = nullptr;  // while run() turns it; under loop_mu_
};

// CPUs of this process's affinity mask, in order.
std::vector<int> affinity_cpus();

// Starts `count` shards pinned round-robin over the affinity mask. A listener on port 0
// gets its port from the first shard and the others join it (`spec` is updated).
std::vector<std::unique_ptr<Shard>> start_shards(ShardSpec& spec, size_t count);
// Waits until every shard listens (true) or one failed (false, logged).
bool wait_ready(std::vector<std::unique_ptr<Shard>>& shards);
// Asks every shard to drain within `drain_ms` and joins them.
void drain_and_join(std::vector<std::unique_ptr<Shard>>& shards, uint32_t drain_ms);

}  // namespace sluice::server
