#include "sluice/upstream/upstream_pool.h"

#include <netdb.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sluice/net/listener.h"

namespace sluice::upstream {

std::string resolve_origin(const config::Provider& p, Origin& out) {
  out.host = p.host;
  out.port = p.port ? p.port : (p.scheme == "https" ? 443 : 80);
  out.tls = p.scheme == "https";
  bool default_port = out.port == (out.tls ? 443 : 80);
  std::string h = p.host.find(':') != std::string::npos ? "[" + p.host + "]" : p.host;
  out.host_header = default_port ? h : h + ":" + std::to_string(out.port);
  out.pool = p.pool;
  if (out.tls) {
    try {
      tls::TlsClientConfig tc;
      tc.ca_file = p.ca_file;
      out.tls_context = std::make_shared<tls::TlsClientContext>(tc);
    } catch (const std::exception& e) {
      return std::string("TLS setup: ") + e.what();
    }
  }
  if (net::make_address(p.host, out.port, out.addr, out.addr_len)) return {};
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(p.host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr)
    return "cannot resolve " + p.host + ": " + gai_strerror(rc);
  // Prefer IPv4: "localhost" lists ::1 first on many systems, and hosts without IPv6
  // routes are common; the first IPv6 address is used only when there is no IPv4 one.
  const addrinfo* pick = res;
  for (const addrinfo* a = res; a; a = a->ai_next)
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  std::memcpy(&out.addr, pick->ai_addr, pick->ai_addrlen);
  out.addr_len = pick->ai_addrlen;
  if (out.addr.ss_family == AF_INET)
    reinterpret_cast<sockaddr_in*>(&out.addr)->sin_port = htons(out.port);
  else
    reinterpret_cast<sockaddr_in6*>(&out.addr)->sin6_port = htons(out.port);
  freeaddrinfo(res);
  return {};
}

// ---- UpstreamConnection ----------------------------------------------------------------

void UpstreamConnection::on_connected(net::Stream&, int err) {
  if (err != 0 && stream_) failure_ = stream_->tls_failure();
  if (err == 0) {
    connected_ = true;
    stream_->start_reading();
  }
  if (user_) user_->on_upstream_ready(*this, err);
  if (err != 0) pool_.release(this, false);
}

void UpstreamConnection::on_data(net::Stream&, core::Slice data) {
  if (user_) {
    user_->on_upstream_data(*this, std::move(data));
    return;
  }
  // Bytes on an idle connection: the server is confused or closing. Never reuse it.
  pool_.forget_idle(this);
  close();
}

void UpstreamConnection::on_peer_closed(net::Stream&, int err) {
  if (user_) {
    UpstreamUser* u = user_;
    user_ = nullptr;
    u->on_upstream_closed(*this, err);
    close();
    return;
  }
  pool_.forget_idle(this);
  close();
}

void UpstreamConnection::on_timer(int) {
  pool_.forget_idle(this);
  close();
}

void UpstreamConnection::close() {
  idle_timer_.cancel();
  if (stream_) --pool_.idle_for(*origin_).open;
  if (stream_) stream_->close();
  stream_ = nullptr;
  user_ = nullptr;
  pool_.io_.loop.defer([this] { delete this; });
}

// ---- UpstreamPool ---------------------------------------------------------------------

UpstreamPool::~UpstreamPool() { close_idle(); }

void UpstreamPool::close_idle() {
  for (Idle& i : idle_) {
    auto conns = std::move(i.conns);
    i.conns.clear();
    for (UpstreamConnection* c : conns) c->close();
  }
}

UpstreamPool::Idle& UpstreamPool::idle_for(const Origin& o) {
  for (Idle& i : idle_)
    if (i.origin == &o) return i;
  idle_.push_back({&o, {}});
  return idle_.back();
}

UpstreamConnection* UpstreamPool::acquire(const Origin& origin, UpstreamUser* user) {
  Idle& idle = idle_for(origin);
  if (!idle.conns.empty()) {
    UpstreamConnection* c = idle.conns.back();
    idle.conns.pop_back();
    c->idle_timer_.cancel();
    c->user_ = user;
    ++reused_;
    // Report readiness from the loop, never re-entrantly from inside acquire().
    io_.loop.defer([c, user] {
      if (c->user_ == user) user->on_upstream_ready(*c, 0);
    });
    return c;
  }
  auto* c = new UpstreamConnection(*this, origin);
  c->user_ = user;
  c->stream_ = net::Stream::connect(io_, origin.addr, origin.addr_len, c);
  ++opened_;
  if (c->stream_) ++idle.open;
  if (c->stream_ && origin.tls) {
    c->stream_->set_tls(std::make_unique<tls::TlsClientSession>(
        *origin.tls_context, origin.host, origin.port, &session_cache(origin)));
  }
  if (c->stream_ == nullptr) {
    int err = errno;
    io_.loop.defer([c, user, err] {
      if (c->user_ == user) user->on_upstream_ready(*c, -err);
      c->pool_.release(c, false);
    });
  }
  return c;
}

void UpstreamPool::release(UpstreamConnection* c, bool reusable) {
  if (c->stream_ == nullptr) return;  // already closing
  c->user_ = nullptr;
  ++c->served_;
  const config::Pool& cfg = c->origin_->pool;
  Idle& idle = idle_for(*c->origin_);
  if (!reusable || !c->connected_ || c->served_ >= cfg.max_requests_per_conn ||
      idle.conns.size() >= cfg.max_idle_per_shard) {
    c->close();
    return;
  }
  c->stream_->start_reading();  // watch for the server closing it while idle
  c->idle_timer_.arm(io_.loop.timers(), io_.loop.now_ns() + uint64_t{cfg.idle_timeout_ms} * 1000000,
                     c, 0);
  idle.conns.push_back(c);
}

void UpstreamPool::forget_idle(UpstreamConnection* c) {
  Idle& idle = idle_for(*c->origin_);
  auto it = std::find(idle.conns.begin(), idle.conns.end(), c);
  if (it != idle.conns.end()) idle.conns.erase(it);
}

tls::TlsSessionCache& UpstreamPool::session_cache(const Origin& o) {
  for (auto& c : session_caches_)
    if (&c->context() == o.tls_context.get()) return *c;
  session_caches_.push_back(std::make_unique<tls::TlsSessionCache>(*o.tls_context));
  return *session_caches_.back();
}

UpstreamPool::OriginConnections UpstreamPool::connections(const Origin& o) const {
  for (const Idle& i : idle_)
    if (i.origin == &o) return {i.conns.size(), i.open - i.conns.size()};
  return {};
}

size_t UpstreamPool::idle_count() const {
  size_t n = 0;
  for (const Idle& i : idle_) n += i.conns.size();
  return n;
}

}  // namespace sluice::upstream
