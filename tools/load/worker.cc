#include "worker.h"

#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <exception>

#include "sluice/core/buffer_ring.h"
#include "sluice/core/clock.h"
#include "sluice/tls/tls_client.h"
#include "sluice/tls/tls_session_cache.h"

namespace sluice::load {
namespace {

constexpr uint64_t kTickNs = 100'000'000;     // checks the stop flag
constexpr uint64_t kPublishNs = 250'000'000;  // progress snapshot period
constexpr uint32_t kBufferSize = 16 * 1024;
// A stop from a signal leaves requests in flight at most this long.
constexpr uint64_t kStopDrainNs = 1'000'000'000;

uint32_t ring_buffers(unsigned connections) {
  uint32_t n = 256;
  while (n < connections * 2u && n < 4096) n <<= 1;
  return n;
}

}  // namespace

Worker::Worker(RunShared& shared, const WorkerPlan& plan) : shared_(shared), plan_(plan) {
  stats_.projects.resize(shared.project_count);
  wrr_current_.assign(shared.weights.size(), 0);
  for (double w : shared.weights) wrr_total_ += w;
  if (shared.open_loop && plan.rate > 0) interval_ns_ = 1e9 / plan.rate;
}

Worker::~Worker() { join(); }

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::snapshot(Snapshot& out) {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  out.responses = published_.responses;
  out.errors = published_.errors;
  out.in_flight = published_.in_flight;
  out.latency = published_.latency;
  out.finished = published_.finished;
}

void Worker::run() {
  std::string name = "sluice-load" + std::to_string(plan_.index);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  try {
    // The ring is created on this thread: SINGLE_ISSUER binds it here.
    core::EventLoop loop;
    core::BufferRing buffers(loop.ring(), 0, ring_buffers(plan_.connections), kBufferSize);
    net::IoContext io{loop, buffers, {}};
    buffers.set_on_replenished([&io] {
      auto waiting = std::move(io.starved);
      io.starved.clear();
      for (net::Stream* s : waiting) s->rearm_after_starvation();
    });
    loop_ = &loop;
    io_ = &io;
    try {
      if (shared_.tls) session_cache_ = std::make_unique<tls::TlsSessionCache>(*shared_.tls);
      for (unsigned i = 0; i < plan_.connections; ++i) {
        connections_.push_back(std::make_unique<Connection>(*this));
        connections_.back()->preconnect();
      }
      stats_.timeline.start(shared_.measure_ns);
      start_timer_.arm(loop.timers(), shared_.start_ns, this, tag_start);
      tick_timer_.arm(loop.timers(), core::mono_ns() + kTickNs, this, tag_tick);
      loop.run([&] {
        if (finished_) loop.stop();
      });
    } catch (const std::exception& e) {
      error_ = e.what();
    }
    // Close every socket and let the cancellations and deferred frees finish before the
    // ring goes away; timers go before their queue does.
    for (auto& c : connections_) c->close();
    for (int i = 0; i < 400 && io.live_streams > 0; ++i) loop.run_once(5'000'000);
    loop.run_once(0);
    start_timer_.cancel();
    arrival_timer_.cancel();
    tick_timer_.cancel();
    end_timer_.cancel();
    drain_timer_.cancel();
    connections_.clear();
    session_cache_.reset();
  } catch (const std::exception& e) {
    error_ = e.what();
  }
  stats_.timeline.flush();
  loop_ = nullptr;
  io_ = nullptr;
  publish();
  shared_.finished_workers.fetch_add(1, std::memory_order_release);
}

void Worker::begin() {
  issuing_ = true;
  uint64_t now = core::mono_ns();
  if (shared_.end_ns != UINT64_MAX) end_timer_.arm(loop_->timers(), shared_.end_ns, this, tag_end);
  if (shared_.open_loop) {
    for (auto& c : connections_) free_.push_back(c.get());
    std::reverse(free_.begin(), free_.end());  // hand out the first connections first
    pump(now);
  } else {
    for (auto& c : connections_) {
      if (c->available() && issuing_) on_available(*c);
    }
  }
}

// Smooth weighted round-robin (as nginx balances upstreams): every entry gets its exact
// share over any window of total-weight picks, and picks of one entry are spread out.
uint32_t Worker::pick_entry() {
  size_t n = wrr_current_.size();
  if (n == 1) return 0;
  size_t best = 0;
  for (size_t i = 0; i < n; ++i) {
    wrr_current_[i] += shared_.weights[i];
    if (wrr_current_[i] > wrr_current_[best]) best = i;
  }
  wrr_current_[best] -= wrr_total_;
  return static_cast<uint32_t>(best);
}

InFlight Worker::make_request(uint64_t intended_ns) {
  InFlight r;
  r.entry = pick_entry();
  r.intended_ns = intended_ns;
  r.measured = intended_ns >= shared_.measure_ns;
  return r;
}

Histogram* Worker::gap_histogram(const InFlight& r) {
  if (!r.measured) return nullptr;
  return &stats_.projects[request_template(r.entry).project].inter_chunk;
}

void Worker::count_sent(const InFlight& r) {
  if (!r.measured) return;
  ProjectStats& p = stats_.projects[request_template(r.entry).project];
  ++p.sent;
  p.bytes_out += request_template(r.entry).bytes.size();
}

void Worker::on_response(const InFlight& r, const ResponseReader& reader, uint64_t now_ns) {
  if (!r.measured) return;
  ProjectStats& p = stats_.projects[request_template(r.entry).project];
  int status = reader.status();
  bool ok = status >= 200 && status < 300;
  ++p.responses;
  if (ok) ++p.ok;
  ++p.status[status >= 0 && status < 600 ? status : 0];
  if (!reader.error_class().empty()) p.count_error_class(reader.error_class());
  p.bytes_in += r.bytes_in;
  uint64_t latency_us = (now_ns - r.intended_ns) / 1000;
  p.latency.record(latency_us);

  const scan::Usage& usage = reader.usage();
  uint64_t tokens = 0;
  if (usage.found) {
    ++p.usage_reported;
    p.input_tokens += usage.input_tokens;
    tokens = usage.output_tokens;
  }
  if (reader.event_stream()) {
    ++p.streams;
    uint64_t events = reader.content_events();
    p.stream_events += events;
    if (!usage.found) tokens = events;
    if (reader.stream_error()) ++p.stream_errors;
    uint64_t first =
        reader.first_content_ns() ? reader.first_content_ns() : reader.first_event_ns();
    if (first != 0) p.ttft.record((first - r.intended_ns) / 1000);
    uint64_t span = reader.last_content_ns() - reader.first_content_ns();
    if (tokens > 1 && reader.first_content_ns() != 0 && span > 0) {
      // Generation rate after the first token, in milli-tokens per second.
      double rate = static_cast<double>(tokens - 1) * 1e9 / static_cast<double>(span);
      p.stream_tokens_per_s.record(static_cast<uint64_t>(std::llround(rate * 1000)));
    }
  }
  p.output_tokens += tokens;
  stats_.timeline.record(now_ns, latency_us, !ok, r.bytes_in, tokens);
  stats_.last_end_ns = std::max(stats_.last_end_ns, now_ns);
}

void Worker::on_failure(const InFlight& r, TransportError e, uint64_t now_ns) {
  if (!r.measured) return;
  ProjectStats& p = stats_.projects[request_template(r.entry).project];
  ++p.transport[static_cast<size_t>(e)];
  p.bytes_in += r.bytes_in;
  stats_.timeline.record_error(now_ns);
  stats_.last_end_ns = std::max(stats_.last_end_ns, now_ns);
}

// Closed loop: whether a connection may start another request now.
bool Worker::may_start_closed(uint64_t now_ns, bool& measured) {
  if (!issuing_ || now_ns >= shared_.end_ns) return false;
  measured = now_ns >= shared_.measure_ns;
  if (measured && shared_.count_requests) {
    if (shared_.tickets.fetch_sub(1, std::memory_order_relaxed) <= 0) {
      stop_issuing(now_ns, UINT64_MAX);
      return false;
    }
  }
  return true;
}

void Worker::on_available(Connection& c) {
  if (finished_) return;
  uint64_t now = core::mono_ns();
  if (!shared_.open_loop) {
    bool measured = false;
    if (may_start_closed(now, measured)) {
      c.submit(make_request(now));
    } else {
      maybe_finish();
    }
    return;
  }
  if (issuing_ && arrivals_left() && arrival_ns(next_arrival_) <= now) {
    // Due while every connection was busy: it waited, its clock running.
    if (backlogged_) ++stats_.waited;
    dispatch_arrival(c);
    if (!arrivals_left() || arrival_ns(next_arrival_) > now) {
      backlogged_ = false;
      if (arrivals_left())
        arrival_timer_.arm(loop_->timers(), arrival_ns(next_arrival_), this, tag_arrival);
    }
    return;
  }
  free_.push_back(&c);
  maybe_finish();
}

uint64_t Worker::arrival_ns(uint64_t k) const {
  return shared_.start_ns +
         static_cast<uint64_t>((static_cast<double>(k) + plan_.phase) * interval_ns_);
}

bool Worker::arrivals_left() const {
  if (!issuing_ || interval_ns_ == 0) return false;
  if (shared_.count_requests && measured_arrivals_ >= plan_.requests) return false;
  return arrival_ns(next_arrival_) < shared_.end_ns;
}

void Worker::dispatch_arrival(Connection& c) {
  InFlight r = make_request(arrival_ns(next_arrival_));
  ++next_arrival_;
  if (r.measured) ++measured_arrivals_;
  c.submit(r);
}

// Open loop: sends every due arrival a free connection can take, then sleeps until the
// next one, or until a connection frees up (on_available) if some are left waiting.
void Worker::pump(uint64_t now_ns) {
  while (arrivals_left() && arrival_ns(next_arrival_) <= now_ns) {
    while (!free_.empty() && !free_.back()->available()) free_.pop_back();
    if (free_.empty()) {
      backlogged_ = true;
      uint64_t due =
          static_cast<uint64_t>((static_cast<double>(now_ns - shared_.start_ns) / interval_ns_) -
                                plan_.phase) +
          1;
      if (due > next_arrival_)
        stats_.max_backlog = std::max(stats_.max_backlog, due - next_arrival_);
      return;
    }
    Connection* c = free_.back();
    free_.pop_back();
    dispatch_arrival(*c);
  }
  if (arrivals_left()) {
    arrival_timer_.arm(loop_->timers(), arrival_ns(next_arrival_), this, tag_arrival);
  } else {
    maybe_finish();
  }
}

void Worker::stop_issuing(uint64_t now_ns, uint64_t drain_ns) {
  if (issuing_ && shared_.open_loop && interval_ns_ > 0) {
    // Arrivals that were due before the end but never found a connection.
    uint64_t end = std::min(now_ns, shared_.end_ns);
    while (arrival_ns(next_arrival_) < end &&
           !(shared_.count_requests && measured_arrivals_ >= plan_.requests)) {
      if (arrival_ns(next_arrival_) >= shared_.measure_ns) {
        ++stats_.unsent;
        ++measured_arrivals_;
      }
      ++next_arrival_;
    }
  }
  issuing_ = false;
  arrival_timer_.cancel();
  if (drain_ns != UINT64_MAX && !drain_timer_.armed())
    drain_timer_.arm(loop_->timers(), now_ns + drain_ns, this, tag_drain);
  maybe_finish();
}

void Worker::maybe_finish() {
  if (finished_) return;
  if (shared_.open_loop && issuing_ && !arrivals_left()) issuing_ = false;
  if (issuing_) return;
  for (auto& c : connections_) {
    if (c->busy()) return;
  }
  finish();
}

void Worker::finish() {
  if (finished_) return;
  for (auto& c : connections_) {
    if (c->busy() && c->request().measured) ++stats_.unfinished;
  }
  finished_ = true;
}

void Worker::on_timer(int tag) {
  uint64_t now = core::mono_ns();
  switch (tag) {
    case tag_start:
      begin();
      break;
    case tag_arrival:
      pump(now);
      break;
    case tag_end:
      stop_issuing(now, shared_.drain_ns);
      break;
    case tag_drain:
      finish();
      break;
    case tag_tick:
      if (shared_.stop.load(std::memory_order_relaxed) && !drain_timer_.armed()) {
        start_timer_.cancel();
        stop_issuing(now, kStopDrainNs);
      }
      if (now - last_publish_ns_ >= kPublishNs) {
        last_publish_ns_ = now;
        publish();
      }
      tick_timer_.arm(loop_->timers(), now + kTickNs, this, tag_tick);
      break;
  }
}

void Worker::publish() {
  uint64_t in_flight = 0;
  for (auto& c : connections_) in_flight += c->busy() ? 1 : 0;
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  published_.responses = 0;
  published_.errors = 0;
  published_.latency.clear();
  for (const ProjectStats& p : stats_.projects) {
    published_.responses += p.responses;
    published_.errors += p.errors();
    published_.latency.merge(p.latency);
  }
  published_.in_flight = in_flight;
  published_.finished = finished_ || loop_ == nullptr;
}

}  // namespace sluice::load
