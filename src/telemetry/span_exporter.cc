#include "sluice/telemetry/span_exporter.h"

#include <netdb.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "sluice/core/clock.h"
#include "sluice/core/log.h"
#include "sluice/http/response_parser.h"

namespace sluice::telemetry {
namespace {
constexpr size_t kMaxBatch = 512;  // spans per POST
constexpr uint64_t kLogIntervalNs = 60ull * 1000000000ull;
constexpr size_t kMaxResponseHead = 16384;

// A connected TCP socket with send and receive deadlines, or -1 (errno set).
int connect_to(const std::string& host, uint16_t port, uint32_t timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &list) != 0) {
    errno = EHOSTUNREACH;
    return -1;
  }
  int fd = -1;
  timeval tv{static_cast<time_t>(timeout_ms / 1000),
             static_cast<suseconds_t>(timeout_ms % 1000) * 1000};
  for (addrinfo* a = list; a; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // Linux applies SO_SNDTIMEO to connect() too.
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    int e = errno;
    close(fd);
    fd = -1;
    errno = e;
  }
  freeaddrinfo(list);
  return fd;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}
}  // namespace

SpanExporter::SpanExporter(const config::Otlp& config, uint32_t shards) : config_(config) {
  request_head_ = "POST " + config_.base_path + "/v1/traces HTTP/1.1\r\nHost: " + config_.host +
                  ":" + std::to_string(config_.port) +
                  "\r\nContent-Type: application/json\r\nUser-Agent: sluice/" SLUICE_VERSION
                  "\r\nConnection: close\r\nContent-Length: ";
  for (uint32_t i = 0; i < (shards ? shards : 1); ++i)
    queues_.push_back(std::make_unique<ledger::SpscRing<SpanRecord>>(config_.max_queue));
  batch_.reserve(kMaxBatch);
  thread_ = std::thread([this] { run(); });
}

SpanExporter::~SpanExporter() { stop(); }

bool SpanExporter::submit(uint32_t shard, SpanRecord&& span) noexcept {
  if (shard < queues_.size() && queues_[shard]->try_push(std::move(span))) return true;
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void SpanExporter::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_requested_ && !thread_.joinable()) return;
    stop_requested_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void SpanExporter::run() {
  pthread_setname_np(pthread_self(), "sluice-otlp");
  for (;;) {
    bool stopping;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(config_.batch_ms),
                   [this] { return stop_requested_; });
      stopping = stop_requested_;
    }
    export_all();
    if (stopping) return;
  }
}

void SpanExporter::export_all() {
  for (;;) {
    batch_.clear();
    for (auto& q : queues_) {
      if (batch_.size() >= kMaxBatch) break;
      q->drain(kMaxBatch - batch_.size(),
               [this](SpanRecord&& s) { batch_.push_back(std::move(s)); });
    }
    if (batch_.empty()) return;
    std::string error;
    if (post(encode_otlp_json(batch_, config_.service_name), error)) {
      exported_.fetch_add(batch_.size(), std::memory_order_relaxed);
      continue;
    }
    failures_.fetch_add(1, std::memory_order_relaxed);
    dropped_.fetch_add(batch_.size(), std::memory_order_relaxed);
    uint64_t now = core::mono_ns();
    if (last_log_ns_ == 0 || now - last_log_ns_ >= kLogIntervalNs) {
      last_log_ns_ = now;
      SLUICE_LOG_WARN("OTLP export to %s failed (%s): %zu spans dropped", config_.endpoint.c_str(),
                      error.c_str(), batch_.size());
    }
    return;  // the collector is failing: try again at the next tick
  }
}

bool SpanExporter::post(const std::string& body, std::string& error) {
  int fd = connect_to(config_.host, config_.port, config_.timeout_ms);
  if (fd < 0) {
    error = std::string("connect: ") + strerror(errno);
    return false;
  }
  std::string head = request_head_ + std::to_string(body.size()) + "\r\n\r\n";
  bool ok = send_all(fd, head) && send_all(fd, body);
  if (!ok) error = std::string("send: ") + strerror(errno);
  std::string response;
  http::ResponseHead parsed;
  while (ok) {
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error =
          n == 0 ? "connection closed before a response" : std::string("recv: ") + strerror(errno);
      ok = false;
      break;
    }
    response.append(buf, static_cast<size_t>(n));
    http::RequestParse r = http::parse_response_head(response, false, kMaxResponseHead, parsed);
    if (r.status == http::ParseStatus::incomplete) continue;
    if (r.status == http::ParseStatus::error) {
      error = "malformed response";
      ok = false;
    } else if (parsed.status < 200 || parsed.status >= 300) {
      error = "HTTP " + std::to_string(parsed.status);
      ok = false;
    }
    break;
  }
  close(fd);
  return ok;
}

}  // namespace sluice::telemetry
