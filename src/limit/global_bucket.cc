#include "sluice/limit/global_bucket.h"

#include <algorithm>

namespace sluice::limit {
namespace {
__extension__ typedef __int128 i128;  // wide intermediates: no overflow
constexpr int64_t kMinuteNs = 60'000'000'000;

int64_t interval_for(uint64_t per_minute, int64_t scale) {
  if (per_minute == 0) return 0;
  return std::max<int64_t>(1, static_cast<int64_t>(static_cast<i128>(kMinuteNs) * scale /
                                                   static_cast<i128>(per_minute)));
}

// Raises `a` to at least `v`.
void raise_to(std::atomic<int64_t>& a, int64_t v) {
  int64_t cur = a.load(std::memory_order_acquire);
  while (cur < v && !a.compare_exchange_weak(cur, v, std::memory_order_acq_rel)) {
  }
}
}  // namespace

void GlobalBucket::configure(uint64_t per_minute, uint64_t burst) {
  configured_.store(per_minute, std::memory_order_relaxed);
  per_minute_.store(per_minute, std::memory_order_relaxed);
  burst_.store(static_cast<int64_t>(burst ? burst : per_minute), std::memory_order_relaxed);
  interval_.store(interval_for(per_minute, kScale), std::memory_order_release);
}

int64_t GlobalBucket::level(int64_t tat, uint64_t now_ns) const {
  int64_t debt_ns = tat - static_cast<int64_t>(now_ns);
  int64_t b = burst();
  if (debt_ns <= 0) return b;
  int64_t iv = interval();
  if (iv == 0) return b;
  // Units of debt, rounded up: a unit is free only once it has fully refilled.
  i128 units = (static_cast<i128>(debt_ns) * kScale + iv - 1) / iv;
  return b - static_cast<int64_t>(std::min<i128>(units, INT64_MAX / 2));
}

int64_t GlobalBucket::available_here(uint64_t now_ns) const {
  return level(tat_.load(std::memory_order_acquire), now_ns) -
         outstanding_.load(std::memory_order_acquire);
}

int64_t GlobalBucket::available(uint64_t now_ns) const {
  int64_t local = available_here(now_ns);
  if (!fleet_on()) return local;
  return std::min(local, fleet_cap_.load() - fleet_taken_.load());
}

bool GlobalBucket::take(int64_t n, int64_t reserve, uint64_t now_ns) {
  // With a fleet, the same claim-then-check on the fleet's grant first: the fleet
  // thread lowers the cap and then reads what is taken, so either it sees this claim
  // or this check sees the lowered cap (both sequentially consistent).
  const bool fleet = fleet_on();
  if (fleet) {
    if (fleet_taken_.fetch_add(n) + n > fleet_cap_.load()) {
      fleet_taken_.fetch_sub(n);
      fleet_short_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
  }
  // Claim first, then check: two shards taking at once each see the other's claim, so
  // together they never lease more than the level holds.
  int64_t o = outstanding_.fetch_add(n, std::memory_order_acq_rel) + n;
  int64_t s = level(tat_.load(std::memory_order_acquire), now_ns);
  if (s - o >= reserve) return true;
  outstanding_.fetch_sub(n, std::memory_order_acq_rel);
  if (fleet) fleet_taken_.fetch_sub(n);
  return false;
}

void GlobalBucket::fleet_enable() {
  if (fleet_on()) return;
  fleet_cap_.store(fleet_taken_.load());
  fleet_on_.store(true, std::memory_order_release);
}

GlobalBucket::FleetCounters GlobalBucket::fleet_counters() const {
  FleetCounters c;
  // Spent before taken: a unit admitted in between is then counted in taken, never
  // missing from both.
  c.spent = fleet_spent_.load();
  c.refunded = fleet_refunded_.load();
  c.taken = fleet_taken_.load();
  c.cap = fleet_cap_.load();
  c.short_of = fleet_short_.load(std::memory_order_relaxed);
  return c;
}

void GlobalBucket::add_debt(int64_t k, uint64_t now_ns) {
  int64_t add = static_cast<int64_t>(static_cast<i128>(k) * interval() / kScale);
  int64_t cur = tat_.load(std::memory_order_acquire);
  for (;;) {
    int64_t next = std::max(cur, static_cast<int64_t>(now_ns)) + add;
    if (tat_.compare_exchange_weak(cur, next, std::memory_order_acq_rel)) return;
  }
}

void GlobalBucket::spent(int64_t k, uint64_t now_ns) {
  if (k <= 0) return;
  // Debt before outstanding: in between, the level a taker sees is lower, never higher.
  add_debt(k, now_ns);
  if (fleet_on()) fleet_spent_.fetch_add(k);
  outstanding_.fetch_sub(k, std::memory_order_acq_rel);
}

void GlobalBucket::give_back(int64_t n) {
  if (n <= 0) return;
  if (fleet_on()) fleet_taken_.fetch_sub(n);
  outstanding_.fetch_sub(n, std::memory_order_acq_rel);
}

void GlobalBucket::debt(int64_t k, uint64_t now_ns) {
  if (k <= 0) return;
  add_debt(k, now_ns);
  // Admitted beyond any lease: the fleet is told, and the cap covers it before more.
  if (fleet_on()) {
    fleet_taken_.fetch_add(k);
    fleet_spent_.fetch_add(k);
  }
}

void GlobalBucket::refund(int64_t k, uint64_t now_ns) {
  if (k <= 0) return;
  if (fleet_on()) fleet_refunded_.fetch_add(k);
  int64_t sub = static_cast<int64_t>(static_cast<i128>(k) * interval() / kScale);
  int64_t now = static_cast<int64_t>(now_ns);
  int64_t cur = tat_.load(std::memory_order_acquire);
  for (;;) {
    if (cur <= now) return;  // the bucket is full: nothing to give back
    int64_t next = std::max(cur - sub, now);
    if (tat_.compare_exchange_weak(cur, next, std::memory_order_acq_rel)) return;
  }
}

uint64_t GlobalBucket::wait_ns(int64_t n, int64_t reserve, uint64_t now_ns) const {
  int64_t iv = interval();
  if (iv == 0) return 0;
  int64_t o = outstanding_.load(std::memory_order_acquire);
  int64_t tat = tat_.load(std::memory_order_acquire);
  int64_t missing = n + reserve + o - level(tat, now_ns);
  if (missing <= 0) return 0;
  // Refill stops at burst: beyond it only returned leases help; report the refill time.
  missing = std::min(missing, burst());
  int64_t debt_ns = std::max<int64_t>(0, tat - static_cast<int64_t>(now_ns));
  int64_t need = static_cast<int64_t>(static_cast<i128>(missing) * iv / kScale);
  return static_cast<uint64_t>(std::min(need, debt_ns > 0 ? debt_ns : need));
}

uint64_t GlobalBucket::full_in_ns(uint64_t now_ns) const {
  int64_t d = tat_.load(std::memory_order_acquire) - static_cast<int64_t>(now_ns);
  return d > 0 ? static_cast<uint64_t>(d) : 0;
}

void GlobalBucket::clamp_level(int64_t remaining, uint64_t now_ns) {
  int64_t iv = interval();
  if (iv == 0) return;
  if (fleet_on()) {  // the fleet thread tells the fleet's bucket too (docs/FLEET.md)
    int64_t cur = fleet_clamp_.load(std::memory_order_relaxed);
    while (remaining < cur && !fleet_clamp_.compare_exchange_weak(cur, remaining)) {
    }
  }
  int64_t missing = burst() - std::max<int64_t>(remaining, 0);
  if (missing <= 0) return;
  raise_to(tat_, static_cast<int64_t>(now_ns) +
                     static_cast<int64_t>(static_cast<i128>(missing) * iv / kScale));
}

void GlobalBucket::pause_until(uint64_t until_ns) {
  int64_t iv = interval();
  if (iv == 0) return;
  uint64_t cur = paused_until_.load(std::memory_order_relaxed);
  while (cur < until_ns &&
         !paused_until_.compare_exchange_weak(cur, until_ns, std::memory_order_relaxed)) {
  }
  raise_to(tat_, static_cast<int64_t>(until_ns) +
                     static_cast<int64_t>(static_cast<i128>(burst()) * iv / kScale));
}

void GlobalBucket::adopt_provider_limit(uint64_t per_minute) {
  uint64_t configured = configured_.load(std::memory_order_relaxed);
  if (per_minute == 0 || configured == 0 || per_minute >= per_minute_.load()) return;
  per_minute_.store(per_minute, std::memory_order_relaxed);
  interval_.store(interval_for(per_minute, kScale), std::memory_order_release);
}

uint64_t GlobalBucket::provider_per_minute() const {
  uint64_t effective = per_minute();
  return effective < configured_.load(std::memory_order_relaxed) ? effective : 0;
}

void GlobalPool::configure(uint64_t capacity) {
  capacity_.store(capacity, std::memory_order_relaxed);
}

bool GlobalPool::take(int64_t n) {
  int64_t after = leased_.fetch_add(n, std::memory_order_acq_rel) + n;
  const bool fleet = fleet_on_.load(std::memory_order_acquire);
  int64_t cap = static_cast<int64_t>(capacity());
  if (fleet) cap = std::min(cap, fleet_cap_.load(std::memory_order_acquire));
  if (after <= cap) return true;
  leased_.fetch_sub(n, std::memory_order_acq_rel);
  if (fleet) fleet_short_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void GlobalPool::fleet_enable() {
  if (fleet_on_.load(std::memory_order_acquire)) return;
  fleet_cap_.store(leased(), std::memory_order_release);
  fleet_on_.store(true, std::memory_order_release);
}

}  // namespace sluice::limit
