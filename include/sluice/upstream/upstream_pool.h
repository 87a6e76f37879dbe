#pragma once
// Per-shard keep-alive connections to upstream origins. Most-recently-used first, an
// idle timeout, a per-origin cap on idle connections, a cap on requests per
// connection; an idle connection that the server closed (or that receives stray bytes)
// is dropped at once, and a connection is never reused after an incomplete exchange.

#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sluice/config/config.h"
#include "sluice/core/timer.h"
#include "sluice/net/stream.h"
#include "sluice/tls/tls_client.h"
#include "sluice/tls/tls_session_cache.h"

namespace sluice::upstream {

// Where requests for one provider go, resolved once at start.
struct Origin {
  std::string host;         // for Host and SNI
  uint16_t port = 0;
  bool tls = false;
  std::string host_header;  // "host" or "host:port"
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  config::Pool pool;
  // Verification settings for https origins (system CAs or the provider's ca_file),
  // shared read-only by every shard.
  std::shared_ptr<tls::TlsClientContext> tls_context;
};

// Resolves a provider's base_url host (getaddrinfo: setup time only, never on a shard).
// Returns an error message, or empty on success.
std::string resolve_origin(const config::Provider& p, Origin& out);

class UpstreamConnection;

// Whoever is using a connection for one exchange.
class UpstreamUser {
 public:
  virtual void on_upstream_ready(UpstreamConnection& c, int err) = 0;  // connected (or failed)
  virtual void on_upstream_data(UpstreamConnection& c, core::Slice data) = 0;
  virtual void on_upstream_closed(UpstreamConnection& c, int err) = 0;

 protected:
  ~UpstreamUser() = default;
};

class UpstreamPool;

class UpstreamConnection final : public net::StreamHandler, public core::TimerTarget {
 public:
  void send(core::Slice bytes) { stream_->send(std::move(bytes)); }
  void send(std::string bytes) { stream_->send(std::move(bytes)); }
  void pause_reading() { stream_->pause_reading(); }
  void resume_reading() { stream_->start_reading(); }
  // True when this connection served an earlier exchange (a stale keep-alive may fail).
  bool reused() const { return served_ > 0; }
  // Why the TLS handshake failed ("certificate verify failed: ..."), if it did.
  std::string tls_failure() const { return stream_ ? stream_->tls_failure() : failure_; }
  bool tls_resumed() const { return stream_ && stream_->tls_resumed(); }
  const Origin& origin() const { return *origin_; }

  void on_data(net::Stream& s, core::Slice data) override;
  void on_peer_closed(net::Stream& s, int err) override;
  void on_connected(net::Stream& s, int err) override;
  void on_timer(int tag) override;

 private:
  friend class UpstreamPool;
  UpstreamConnection(UpstreamPool& pool, const Origin& origin) : pool_(pool), origin_(&origin) {}
  void close();

  UpstreamPool& pool_;
  const Origin* origin_;
  net::Stream* stream_ = nullptr;
  UpstreamUser* user_ = nullptr;  // null while idle in the pool
  uint32_t served_ = 0;
  bool connected_ = false;
  std::string failure_;  // kept after the stream is gone
  core::Timer idle_timer_;
};

class UpstreamPool {
 public:
  explicit UpstreamPool(net::IoContext& io) : io_(io) {}
  ~UpstreamPool();

  // An idle connection (MRU) or a new one. on_upstream_ready fires when it can be used
  // (at once, from the loop's next turn, for a pooled one).
  UpstreamConnection* acquire(const Origin& origin, UpstreamUser* user);
  // The exchange ended. `reusable`: the response was read completely and the server
  // allows keep-alive; otherwise the connection is closed.
  void release(UpstreamConnection* c, bool reusable);

  size_t idle_count() const;
  // Connections to one origin: pooled and idle, or serving a request (metrics).
  struct OriginConnections {
    size_t idle = 0;
    size_t active = 0;
  };
  OriginConnections connections(const Origin& o) const;
  // Closes every idle connection (shutdown).
  void close_idle();
  uint64_t opened() const { return opened_; }
  uint64_t reused() const { return reused_; }

 private:
  friend class UpstreamConnection;
  struct Idle {
    const Origin* origin;
    std::vector<UpstreamConnection*> conns;  // back = most recently used
    size_t open = 0;                         // connections of this origin not yet closed
  };
  Idle& idle_for(const Origin& o);
  void forget_idle(UpstreamConnection* c);
  tls::TlsSessionCache& session_cache(const Origin& o);

  net::IoContext& io_;
  std::vector<Idle> idle_;
  // Per shard, per TLS context: resumption without a lock.
  std::vector<std::unique_ptr<tls::TlsSessionCache>> session_caches_;
  uint64_t opened_ = 0;
  uint64_t reused_ = 0;
};

}  // namespace sluice::upstream
