#include "sluice/resilience/breaker.h"

#include <algorithm>

#include "sluice/config/config.h"

namespace sluice::resilience {
namespace {
constexpr uint64_t kCountMask = 0xffff;
uint64_t epoch_of(uint64_t word) { return word >> 16; }
}  // namespace

std::string_view breaker_state_name(BreakerState s) {
  switch (s) {
    case BreakerState::closed:
      return "closed";
    case BreakerState::open:
      return "open";
    case BreakerState::half_open:
      return "half_open";
  }
  return "closed";
}

void Breaker::configure(const BreakerSettings& s) {
  threshold_.store(std::max<uint32_t>(1, s.failures), std::memory_order_relaxed);
  window_ms_.store(std::max<uint32_t>(1, s.window_ms), std::memory_order_relaxed);
  cooldown_ms_.store(s.cooldown_ms, std::memory_order_relaxed);
}

uint64_t Breaker::bucket_ms() const {
  return std::max<uint64_t>(1, window_ms_.load(std::memory_order_relaxed) / kBuckets);
}

uint32_t Breaker::failures_in_window(uint64_t now_ms) const {
  uint64_t epoch = now_ms / bucket_ms() + 1;  // +1: epoch 0 means "empty slot"
  uint64_t sum = 0;
  for (const auto& b : buckets_) {
    uint64_t w = b.load(std::memory_order_relaxed);
    uint64_t e = epoch_of(w);
    if (e != 0 && e <= epoch && e + kBuckets > epoch) sum += w & kCountMask;
  }
  return static_cast<uint32_t>(std::min<uint64_t>(sum, UINT32_MAX));
}

void Breaker::clear_window() {
  for (auto& b : buckets_) b.store(0, std::memory_order_relaxed);
}

void Breaker::open(uint64_t now_ms) {
  // The cooldown end is published before the state that makes readers look at it.
  open_until_ms_.store(now_ms + cooldown_ms_.load(std::memory_order_relaxed),
                       std::memory_order_release);
  state_.store(static_cast<uint8_t>(BreakerState::open), std::memory_order_release);
  opens_.fetch_add(1, std::memory_order_acq_rel);
}

void Breaker::open_by_fleet(uint64_t until_ms) {
  uint64_t cur = open_until_ms_.load(std::memory_order_acquire);
  auto state = static_cast<BreakerState>(state_.load(std::memory_order_acquire));
  if (state != BreakerState::closed && cur >= until_ms) return;
  open_until_ms_.store(until_ms, std::memory_order_release);
  state_.store(static_cast<uint8_t>(BreakerState::open), std::memory_order_release);
}

void Breaker::close_by_fleet() {
  clear_window();
  open_until_ms_.store(0, std::memory_order_relaxed);
  state_.store(static_cast<uint8_t>(BreakerState::closed), std::memory_order_release);
}

Breaker::Admission Breaker::admit(uint64_t now_ms) {
  auto state = static_cast<BreakerState>(state_.load(std::memory_order_acquire));
  if (state == BreakerState::closed) return Admission::allowed;
  if (state == BreakerState::open) {
    if (now_ms < open_until_ms_.load(std::memory_order_acquire)) return Admission::refused;
    uint8_t expected = static_cast<uint8_t>(BreakerState::open);
    state_.compare_exchange_strong(expected, static_cast<uint8_t>(BreakerState::half_open),
                                   std::memory_order_acq_rel);
  }
  // In a fleet only the process holding the fleet's probe token may probe.
  if (gated_.load(std::memory_order_acquire) && !permit_.load(std::memory_order_acquire)) {
    probe_wanted_.store(true, std::memory_order_release);
    return Admission::refused;
  }
  // Half-open: whoever flips the flag first is the one probe of the process.
  bool expected = false;
  if (probe_out_.compare_exchange_strong(expected, true, std::memory_order_acq_rel))
    return Admission::probe;
  return Admission::refused;
}

void Breaker::record_success(bool probe) {
  if (!probe) return;
  clear_window();
  open_until_ms_.store(0, std::memory_order_relaxed);
  state_.store(static_cast<uint8_t>(BreakerState::closed), std::memory_order_release);
  probe_out_.store(false, std::memory_order_release);
}

void Breaker::record_failure(uint64_t now_ms, bool probe) {
  if (probe) {
    open(now_ms);
    probe_out_.store(false, std::memory_order_release);
    return;
  }
  if (static_cast<BreakerState>(state_.load(std::memory_order_acquire)) != BreakerState::closed)
    return;  // already open: the failures of requests let through before it opened
  uint64_t epoch = now_ms / bucket_ms() + 1;
  auto& slot = buckets_[epoch % kBuckets];
  uint64_t w = slot.load(std::memory_order_relaxed);
  for (;;) {
    uint64_t next =
        epoch_of(w) == epoch ? std::min(w + 1, (epoch << 16) | kCountMask) : (epoch << 16) | 1;
    if (slot.compare_exchange_weak(w, next, std::memory_order_relaxed)) break;
  }
  if (failures_in_window(now_ms) < threshold_.load(std::memory_order_relaxed)) return;
  uint8_t expected = static_cast<uint8_t>(BreakerState::closed);
  // Only the thread that closes->opens sets the cooldown.
  if (state_.compare_exchange_strong(expected, static_cast<uint8_t>(BreakerState::open),
                                     std::memory_order_acq_rel)) {
    open(now_ms);
  }
}

bool Breaker::cooling_down(uint64_t now_ms) const {
  return static_cast<BreakerState>(state_.load(std::memory_order_acquire)) == BreakerState::open &&
         now_ms < open_until_ms_.load(std::memory_order_acquire);
}

void Breaker::release_probe() { probe_out_.store(false, std::memory_order_release); }

Breaker::Snapshot Breaker::snapshot(uint64_t now_ms) const {
  auto state = static_cast<BreakerState>(state_.load(std::memory_order_acquire));
  uint64_t until = open_until_ms_.load(std::memory_order_acquire);
  // An open breaker past its cooldown lets the next request probe: it reads as half-open.
  if (state == BreakerState::open && now_ms >= until) state = BreakerState::half_open;
  return {state, failures_in_window(now_ms), state == BreakerState::closed ? 0 : until};
}

void Breakers::reconfigure(const config::Config& cfg) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const config::Provider& p : cfg.providers) {
    BreakerSettings s{p.breaker.failures, p.breaker.window_ms, p.breaker.cooldown_ms};
    auto it =
        std::find_if(all_.begin(), all_.end(), [&](const auto& e) { return e.first == p.name; });
    if (it != all_.end()) {
      it->second->configure(s);
    } else {
      all_.emplace_back(p.name, std::make_unique<Breaker>(s));
    }
  }
}

void Breakers::for_each(const std::function<void(const std::string&, Breaker&)>& fn) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, breaker] : all_) fn(name, *breaker);
}

Breaker* Breakers::find(std::string_view provider) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, breaker] : all_)
    if (name == provider) return breaker.get();
  return nullptr;
}

}  // namespace sluice::resilience
