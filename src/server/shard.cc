#include "sluice/server/shard.h"

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "sluice/core/buffer_ring.h"
#include "sluice/core/clock.h"
#include "sluice/core/log.h"
#include "sluice/net/http_connection.h"
#include "sluice/net/listener.h"

namespace sluice::server {

std::vector<int> affinity_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int i = 0; i < CPU_SETSIZE; ++i)
      if (CPU_ISSET(i, &set)) cpus.push_back(i);
  }
  if (cpus.empty()) cpus.push_back(0);
  return cpus;
}

std::vector<std::unique_ptr<Shard>> start_shards(ShardSpec& spec, size_t count) {
  std::vector<int> cpus = affinity_cpus();
  std::vector<std::unique_ptr<Shard>> shards;
  bool any_port_zero = false;
  for (const config::Listen& l : spec.listen) any_port_zero |= l.port == 0;
  size_t first = 0;
  if (any_port_zero && count > 1) {
    // Port 0 would give every SO_REUSEPORT socket a port of its own: the first shard
    // binds, the others join the ports it got. Shard 0 reads the spec only while it
    // starts, so rewriting the ports after it is ready races with nothing.
    shards.push_back(std::make_unique<Shard>(0, cpus[0], spec));
    shards.back()->start();
    if (!wait_ready(shards)) return shards;
    std::vector<uint16_t> ports = shards[0]->ports();
    for (size_t i = 0; i < spec.listen.size(); ++i) spec.listen[i].port = ports[i];
    first = 1;
  }
  for (size_t i = first; i < count; ++i) {
    // With more shards than CPUs in the mask, shards share CPUs round-robin.
    shards.push_back(
        std::make_unique<Shard>(static_cast<unsigned>(i), cpus[i % cpus.size()], spec));
    shards.back()->start();
  }
  return shards;
}

bool wait_ready(std::vector<std::unique_ptr<Shard>>& shards) {
  for (;;) {
    bool all = true;
    for (auto& s : shards) {
      if (s->failed()) {
        SLUICE_LOG_ERROR("shard %u failed to start: %s", s->index(), s->error().c_str());
        return false;
      }
      all &= s->ready();
    }
    if (all) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void drain_and_join(std::vector<std::unique_ptr<Shard>>& shards, uint32_t drain_ms) {
  uint64_t deadline = core::mono_ns() + core::ms_to_ns(drain_ms);
  for (auto& s : shards) s->drain(deadline);
  for (auto& s : shards) s->join();
}

namespace {
// Reads the shard's eventfd so the control thread can wake the loop.
class Waker final : public core::IoHandler {
 public:
  Waker(core::EventLoop& loop, int fd) : loop_(loop), fd_(fd) { arm(); }
  void on_completion(uint8_t, int, uint32_t) override { arm(); }

 private:
  void arm() {
    io_uring_sqe* sqe = loop_.sqe();
    io_uring_prep_read(sqe, fd_, &value_, sizeof value_, 0);
    io_uring_sqe_set_data64(sqe, core::make_user_data(this, 1));
  }
  core::EventLoop& loop_;
  int fd_;
  uint64_t value_ = 0;
};
}  // namespace

std::vector<std::shared_ptr<tls::TlsServerContext>> make_listen_tls(
    const std::vector<config::Listen>& listen) {
  std::vector<std::shared_ptr<tls::TlsServerContext>> out;
  for (const config::Listen& l : listen) {
    if (l.tls_cert.empty()) {
      out.push_back(nullptr);
      continue;
    }
    tls::TlsServerConfig tc;
    tc.cert_file = l.tls_cert;
    tc.key_file = l.tls_key;
    out.push_back(std::make_shared<tls::TlsServerContext>(tc));
  }
  return out;
}

net::ServerLimits server_limits(const config::Server& s, size_t shards) {
  net::ServerLimits l;
  l.request.max_head_bytes = s.max_header_bytes;
  l.request.max_uri_bytes = s.max_uri_bytes;
  l.request.max_body_bytes = s.max_body_bytes;
  l.header_timeout_ns = core::ms_to_ns(s.header_timeout_ms);
  l.keepalive_timeout_ns = core::ms_to_ns(s.keepalive_timeout_ms);
  // SO_REUSEPORT spreads connections evenly by hash, so an even share per shard; the
  // shares round up, so the process admits at most max_connections + shards - 1.
  if (s.max_connections != 0 && shards != 0)
    l.max_connections = (s.max_connections + shards - 1) / shards;
  l.max_buffered_body_bytes = s.max_buffered_body_bytes;
  return l;
}

Shard::Shard(unsigned index, int cpu, const ShardSpec& spec)
    : index_(index), cpu_(cpu), spec_(spec) {
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) throw std::runtime_error("eventfd failed");
}

Shard::~Shard() {
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void Shard::start() {
  thread_ = std::thread([this] { run(); });
}

void Shard::join() {
  if (thread_.joinable()) thread_.join();
}

std::string Shard::error() const { return failed() ? error_ : std::string(); }

std::vector<uint16_t> Shard::ports() const { return ready() ? ports_ : std::vector<uint16_t>{}; }

void Shard::wake() {
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof one);
  (void)n;
}

void Shard::publish_loop(core::EventLoop* loop) {
  std::lock_guard<std::mutex> lock(loop_mu_);
  loop_ = loop;
}

bool Shard::post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(loop_mu_);
  if (loop_ == nullptr) return false;
  loop_->post(std::move(fn));
  return true;
}

void Shard::drain(uint64_t deadline_ns) {
  drain_deadline_.store(deadline_ns, std::memory_order_release);
  wake();
}

void Shard::run() {
  std::string name = "sluice-shard" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  if (cpu_ >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu_, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
  }
  try {
    // The ring is created on the shard's own thread: SINGLE_ISSUER binds it here.
    core::EventLoop loop;
    core::BufferRing buffers(loop.ring(), 0, kRecvBuffers, kRecvBufferSize);
    net::IoContext io{loop, buffers, {}};
    buffers.set_on_replenished([&io] {
      auto waiting = std::move(io.starved);
      io.starved.clear();
      for (net::Stream* s : waiting) s->rearm_after_starvation();
    });
    std::unique_ptr<net::RequestHandler> handler = spec_.make_handler(io, index_);
    net::ServerContext server{io, *handler, spec_.limits};
    handler->on_serving(server);

    std::vector<std::unique_ptr<net::Listener>> listeners;
    for (size_t i = 0; i < spec_.listen.size(); ++i) {
      const config::Listen& l = spec_.listen[i];
      const tls::TlsServerContext* tls =
          i < spec_.listen_tls.size() ? spec_.listen_tls[i].get() : nullptr;
      bool admin = i >= spec_.admin_from;
      listeners.push_back(std::make_unique<net::Listener>(
          loop, l.address, l.port,
          [&server, tls, admin](int fd) { net::HttpConnection::accept(server, fd, tls, admin); }));
      ports_.push_back(listeners.back()->port());
    }
    Waker waker(loop, wake_fd_);
    for (auto& l : listeners) l->start();
    // Posts reach this loop from here until it stops turning (or an exception unwinds).
    struct Published {
      Shard& shard;
      Published(Shard& s, core::EventLoop* loop) : shard(s) { shard.publish_loop(loop); }
      ~Published() { shard.publish_loop(nullptr); }
    } published(*this, &loop);
    ready_.store(true, std::memory_order_release);
    if (loop.defer_taskrun())
      SLUICE_LOG_DEBUG("shard %u on cpu %d: io_uring with SINGLE_ISSUER|DEFER_TASKRUN", index_,
                       cpu_);
    else
      SLUICE_LOG_INFO("shard %u on cpu %d: io_uring without DEFER_TASKRUN (older kernel)", index_,
                      cpu_);

    bool draining = false;
    loop.run([&] {
      heartbeat_.fetch_add(1, std::memory_order_relaxed);
      handler->on_loop_turn();
      uint64_t deadline = drain_deadline_.load(std::memory_order_acquire);
      if (deadline == 0) return;
      if (!draining) {
        draining = true;
        server.draining = true;
        for (auto& l : listeners) l->stop();
        net::ConnectionList::drain_all();
      }
      bool listeners_closed = true;
      for (auto& l : listeners) listeners_closed &= !l->active();
      if (listeners_closed && server.active_exchanges == 0) {
        loop.stop();
      } else if (loop.now_ns() >= deadline) {
        abandoned_.store(server.active_exchanges);
        loop.stop();
      }
    });
    publish_loop(nullptr);  // nothing new is posted from here: the handler is about to go
    // Close what is left and let cancellations and deferred frees finish before the
    // ring goes away.
    for (auto& l : listeners) l->stop();
    net::ConnectionList::close_all();
    handler->on_shutdown();
    for (int i = 0; i < 200 && io.live_streams > 0; ++i) loop.run_once(5000000);
    loop.run_once(0);
  } catch (const std::exception& e) {
    error_ = e.what();
    failed_.store(true, std::memory_order_release);
  }
}

}  // namespace sluice::server
