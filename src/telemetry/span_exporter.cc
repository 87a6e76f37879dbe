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
#include "sluice/resilience/retry_after.h"
#include "sluice/telemetry/gzip.h"
#include "sluice/tls/tls_client.h"

namespace sluice::telemetry {
namespace {
constexpr size_t kMaxBatch = 512;  // spans per POST
constexpr uint64_t kLogIntervalNs = 60ull * 1000000000ull;
constexpr size_t kMaxResponseHead = 16384;
constexpr uint64_t kBackoffBaseMs = 500;
constexpr uint64_t kBackoffCapMs = 30000;
constexpr uint64_t kMaxHintMs = 60000;  // a longer retry-after is waited only this long

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

// One blocking connection to the collector, plain or TLS (the TLS engine transforms
// bytes; this thread does the socket I/O).
class Connection {
 public:
  Connection(int fd, std::unique_ptr<tls::TlsClientSession> tls) : fd_(fd), tls_(std::move(tls)) {}
  ~Connection() { close(fd_); }

  bool handshake(std::string& error) {
    if (!tls_) return true;
    for (;;) {
      tls::HandshakeStatus st = tls_->handshake();
      if (!flush()) {
        error = std::string("send: ") + strerror(errno);
        return false;
      }
      if (st == tls::HandshakeStatus::done) return true;
      if (st == tls::HandshakeStatus::failed) {
        error = "TLS: " + tls_->failure_reason();
        return false;
      }
      if (!receive(error)) return false;
    }
  }

  bool write(std::string_view data, std::string& error) {
    bool ok = true;
    if (tls_)
      ok = tls_->write_plaintext(data) == tls::WriteStatus::written && flush();
    else
      ok = send_all(fd_, data);
    if (!ok)
      error = tls_ && tls_->failed() ? "TLS: " + tls_->failure_reason()
                                     : std::string("send: ") + strerror(errno);
    return ok;
  }

  // Plaintext bytes into `buf`: > 0 read, 0 the peer closed, -1 an error in `error`.
  ssize_t read(char* buf, size_t cap, std::string& error) {
    if (!tls_) {
      for (;;) {
        ssize_t n = recv(fd_, buf, cap, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) error = std::string("recv: ") + strerror(errno);
        return n;
      }
    }
    for (;;) {
      tls::ReadResult r = tls_->read_plaintext(buf, cap);
      flush();
      if (r.status == tls::ReadStatus::data) return static_cast<ssize_t>(r.bytes);
      if (r.status == tls::ReadStatus::closed) return 0;
      if (r.status == tls::ReadStatus::failed) {
        error = "TLS: " + tls_->failure_reason();
        return -1;
      }
      if (!receive(error)) return -1;
    }
  }

 private:
  bool flush() {
    if (tls_->pending_ciphertext() == 0) return true;
    std::string out;
    tls_->take_ciphertext(out);
    return send_all(fd_, out);
  }
  // Ciphertext from the socket into the engine; the end of the stream is fed as such.
  bool receive(std::string& error) {
    char buf[16384];
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = std::string("recv: ") + strerror(errno);
        return false;
      }
      if (n == 0)
        tls_->feed_eof();
      else
        tls_->feed_ciphertext(std::string_view(buf, static_cast<size_t>(n)));
      return true;
    }
  }

  int fd_;
  std::unique_ptr<tls::TlsClientSession> tls_;
};

bool retryable_status(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}
}  // namespace

uint64_t backoff_ms(uint32_t retry, std::optional<uint64_t> hint_ms) {
  if (hint_ms) return std::min(*hint_ms, kMaxHintMs);
  uint64_t ms = kBackoffBaseMs;
  for (uint32_t i = 1; i < retry && ms < kBackoffCapMs; ++i) ms *= 2;
  return std::min(ms, kBackoffCapMs);
}

SpanExporter::SpanExporter(const config::Otlp& config, uint32_t shards) : config_(config) {
  HeaderList headers;
  std::string error;
  if (!load_otlp_headers(config_, headers, error)) throw std::runtime_error(error);
  if (config_.tls) {
    tls::TlsClientConfig tc;
    tc.ca_file = config_.ca_file;
    tls_ = std::make_unique<tls::TlsClientContext>(tc);
  }
  // The port goes in Host unless it is the scheme's own (as browsers and curl write it).
  const bool default_port = config_.port == (config_.tls ? 443 : 80);
  request_head_ = "POST " + config_.base_path + "/v1/traces HTTP/1.1\r\nHost: " + config_.host +
                  (default_port ? "" : ":" + std::to_string(config_.port)) +
                  "\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                  "User-Agent: sluice/" SLUICE_VERSION "\r\n" +
                  header_lines(headers) + "Connection: close\r\nContent-Length: ";
  for (uint32_t i = 0; i < (shards ? shards : 1); ++i)
    queues_.push_back(std::make_unique<ledger::SpscRing<SpanRecord>>(config_.max_queue));
  batch_.reserve(kMaxBatch);
  thread_ = std::thread([this] { run(); });
}

SpanExporter::~SpanExporter() { stop(); }

bool SpanExporter::submit(uint32_t shard, SpanRecord&& span) noexcept {
  const uint64_t bytes = sizeof(SpanRecord) + span.heap_bytes();
  if (shard < queues_.size() &&
      queued_bytes_.load(std::memory_order_relaxed) + bytes <= config_.max_queue_bytes) {
    // Counted before the push so the exporter's subtraction never comes first.
    queued_bytes_.fetch_add(bytes, std::memory_order_relaxed);
    if (queues_[shard]->try_push(std::move(span))) return true;
    queued_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  }
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
      q->drain(kMaxBatch - batch_.size(), [this](SpanRecord&& s) {
        queued_bytes_.fetch_sub(sizeof(SpanRecord) + s.heap_bytes(), std::memory_order_relaxed);
        batch_.push_back(std::move(s));
      });
    }
    if (batch_.empty()) return;
    std::string error;
    std::string body;
    if (!gzip_compress(encode_otlp_json(batch_, config_.service_name), body))
      error = "gzip failed";
    else if (send_batch(body, error)) {
      exported_.fetch_add(batch_.size(), std::memory_order_relaxed);
      continue;
    }
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

bool SpanExporter::pause(uint64_t ms) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_requested_; });
}

bool SpanExporter::send_batch(const std::string& body, std::string& error) {
  for (uint32_t retry = 0;; ++retry) {
    if (retry > 0) retries_.fetch_add(1, std::memory_order_relaxed);
    PostResult r = post(body);
    if (r.ok) return true;
    failures_.fetch_add(1, std::memory_order_relaxed);
    error = r.error;
    // Stopping: the shards are drained and nothing else is coming; one try each.
    if (!r.retryable || retry >= config_.max_retries) return false;
    if (!pause(backoff_ms(retry + 1, r.wait_hint_ms))) return false;
  }
}

PostResult SpanExporter::post(const std::string& body) {
  PostResult r;
  int fd = connect_to(config_.host, config_.port, config_.timeout_ms);
  if (fd < 0) {
    r.error = std::string("connect: ") + strerror(errno);
    r.retryable = true;
    return r;
  }
  std::unique_ptr<tls::TlsClientSession> session;
  if (tls_) session = std::make_unique<tls::TlsClientSession>(*tls_, config_.host, config_.port);
  Connection conn(fd, std::move(session));
  std::string head = request_head_ + std::to_string(body.size()) + "\r\n\r\n";
  if (!conn.handshake(r.error) || !conn.write(head + body, r.error)) {
    r.retryable = true;
    return r;
  }
  std::string response;
  http::ResponseHead parsed;
  for (;;) {
    char buf[4096];
    ssize_t n = conn.read(buf, sizeof buf, r.error);
    if (n <= 0) {
      if (n == 0) r.error = "connection closed before a response";
      r.retryable = true;
      return r;
    }
    response.append(buf, static_cast<size_t>(n));
    http::RequestParse p = http::parse_response_head(response, false, kMaxResponseHead, parsed);
    if (p.status == http::ParseStatus::incomplete) continue;
    if (p.status == http::ParseStatus::error) {
      r.error = "malformed response";
      return r;
    }
    break;
  }
  if (parsed.status >= 200 && parsed.status < 300) {
    r.ok = true;
    return r;
  }
  r.error = "HTTP " + std::to_string(parsed.status);
  r.retryable = retryable_status(parsed.status);
  if (r.retryable)
    r.wait_hint_ms =
        resilience::wait_hint_ms(parsed.header("retry-after"), parsed.header("retry-after-ms"),
                                 static_cast<int64_t>(core::wall_ms()));
  return r;
}

}  // namespace sluice::telemetry
