#include "sluice/net/listener.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "sluice/core/log.h"
#include "sluice/net/http_connection.h"

namespace sluice::net {
namespace {
constexpr uint64_t kFirstBackoffNs = 10'000'000;
constexpr uint64_t kMaxBackoffNs = 1'000'000'000;
constexpr uint64_t kWarnEveryNs = 1'000'000'000;
constexpr size_t kShedPerTry = 8;  // idle connections closed per failed accept
}  // namespace

bool make_address(const std::string& address, uint16_t port, sockaddr_storage& out,
                  socklen_t& len) {
  out = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
    return true;
  }
  std::string a = address;
  if (a.size() > 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET6, a.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

Listener::Listener(core::EventLoop& loop, const std::string& address, uint16_t port,
                   OnAccept on_accept)
    : loop_(loop), on_accept_(std::move(on_accept)) {
  sockaddr_storage addr;
  socklen_t len;
  if (!make_address(address, port, addr, len))
    throw std::runtime_error("listen address is not an IP literal: " + address);
  fd_ = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + strerror(errno));
  int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    int e = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("bind " + address + ":" + std::to_string(port) + ": " + strerror(e));
  }
  if (::listen(fd_, 4096) != 0) {
    int e = errno;
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error(std::string("listen: ") + strerror(e));
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &blen);
  port_ = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                           : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
}

Listener::~Listener() {
  if (fd_ >= 0) ::close(fd_);
}

void Listener::start() { arm(); }

void Listener::arm() {
  if (fd_ < 0 || stopping_) return;
  io_uring_sqe* sqe = loop_.sqe();
  io_uring_prep_multishot_accept(sqe, fd_, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, core::make_user_data(this, 1));
  armed_ = true;
}

void Listener::stop() {
  if (stopping_) return;
  stopping_ = true;
  retry_.cancel();
  if (armed_) {
    io_uring_sqe* sqe = loop_.sqe();
    io_uring_prep_cancel64(sqe, core::make_user_data(this, 1), 0);
    io_uring_sqe_set_data64(sqe, 0);
  } else if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void Listener::on_completion(uint8_t, int res, uint32_t flags) {
  if (!(flags & IORING_CQE_F_MORE)) armed_ = false;
  if (res >= 0) {
    backoff_ns_ = 0;
    if (stopping_) {
      ::close(res);
    } else {
      on_accept_(res);
    }
  } else if (!stopping_ && res != -ECANCELED) {
    if (res == -EMFILE || res == -ENFILE || res == -ENOBUFS || res == -ENOMEM)
      out_of_descriptors(-res);
    else
      warn_limited(-res, 0);  // a client gone before it was accepted, and the like
  }
  if (!armed_) {
    if (stopping_) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
    } else if (!retry_.armed()) {
      arm();
    }
  }
}

// Keeps serving the connections we have; lets a few idle ones go so new clients fit.
void Listener::out_of_descriptors(int err) {
  size_t shed = ConnectionList::shed_idle(kShedPerTry);
  backoff_ns_ = backoff_ns_ == 0 ? kFirstBackoffNs : std::min(backoff_ns_ * 2, kMaxBackoffNs);
  warn_limited(err, shed);
  if (!armed_) retry_.arm(loop_.timers(), loop_.now_ns() + backoff_ns_, this, 0);
}

void Listener::on_timer(int) {
  if (!stopping_ && !armed_) arm();
}

void Listener::warn_limited(int err, size_t shed) {
  uint64_t now = loop_.now_ns();
  if (last_warn_ns_ != 0 && now - last_warn_ns_ < kWarnEveryNs) {
    ++suppressed_;
    return;
  }
  last_warn_ns_ = now;
  SLUICE_LOG_WARN(
      "accept failed: %s (%zu idle connections closed; retrying in %llu ms; "
      "%llu failures since the last line)",
      strerror(err), shed, static_cast<unsigned long long>(backoff_ns_ / 1'000'000),
      static_cast<unsigned long long>(suppressed_));
  suppressed_ = 0;
}

}  // namespace sluice::net
