#pragma once
// The process-wide side of one rate limit (docs/LIMITS.md): a token bucket of `burst`
// units refilled at `per_minute / 60 s`, from which shards take leases.
//
// State is two atomics. `tat_` (GCRA's theoretical arrival time) holds the bucket's
// debt: the virtual level S = burst - (tat - now) / T counts the units free in the
// bucket plus the units out on leases. `outstanding_` counts the units out on leases,
// so the level a shard may lease from is L = S - outstanding. A lease moves units from
// L to outstanding (S unchanged); a shard reports what it admitted (S and outstanding
// both fall) and returns what it did not use (outstanding falls). S grows only by
// refill and never above burst, so what is admitted over any interval t is at most
// burst + rate * t, whoever holds the leases (proof in docs/LIMITS.md).
//
// Every shard may call every method at any time; the control thread reconfigures.

#include <atomic>
#include <cstdint>

namespace sluice::limit {

class GlobalBucket {
 public:
  // Sets the rate and depth (burst 0: per_minute). Keeps the debt, so a reload that
  // only changes the rate does not hand out a fresh burst.
  void configure(uint64_t per_minute, uint64_t burst);
  uint64_t per_minute() const { return per_minute_.load(std::memory_order_relaxed); }
  int64_t burst() const { return burst_.load(std::memory_order_relaxed); }

  // Units a shard may lease now, after leaving `reserve` for others (may be negative).
  int64_t available(uint64_t now_ns) const;
  // The same without the fleet's cap: what this process's bucket alone would allow.
  int64_t available_here(uint64_t now_ns) const;
  // Moves `n` units into a lease if `available - reserve >= n`. One atomic add on
  // `outstanding_` (undone when the check fails) and one load of `tat_`.
  bool take(int64_t n, int64_t reserve, uint64_t now_ns);
  // A shard admitted `k` leased units: they leave the bucket for good.
  void spent(int64_t k, uint64_t now_ns);
  // A shard hands back `n` leased units it did not admit.
  void give_back(int64_t n);
  // Settlement: the admitted estimate was `k` too high (refund) or too low (debt).
  void refund(int64_t k, uint64_t now_ns);
  void debt(int64_t k, uint64_t now_ns);

  // How long until `n` units (plus `reserve`) could be leased, from the refill alone.
  uint64_t wait_ns(int64_t n, int64_t reserve, uint64_t now_ns) const;
  // How long until the bucket is full again (x-ratelimit-reset-*).
  uint64_t full_in_ns(uint64_t now_ns) const;

  // Provider feedback: the account has only `remaining` units left now; the virtual
  // level is lowered to it (never raised).
  void clamp_level(int64_t remaining, uint64_t now_ns);
  // Provider feedback: nothing may be leased until `until_ns` (a 429's retry-after),
  // and no shard admits from a lease it already holds before then.
  void pause_until(uint64_t until_ns);
  // The end of the latest pause (mono ns; 0: never paused). One relaxed load: shards
  // read it on every admission, the fleet thread publishes it to the other instances.
  uint64_t paused_until_ns() const { return paused_until_.load(std::memory_order_relaxed); }
  // Provider feedback: the account's real limit per minute; adopted when lower than
  // the configured one, dropped again on configure().
  void adopt_provider_limit(uint64_t per_minute);

  int64_t outstanding() const { return outstanding_.load(std::memory_order_relaxed); }

  // ---- Fleet (docs/LIMITS.md "Fleet") ----------------------------------------------
  // With a fleet, this process may lease to its shards only what the fleet granted it:
  // `fleet_taken_` (units taken into shard leases, less those given back, plus debts)
  // never passes `fleet_cap_` after a successful take. The fleet thread moves the cap
  // (fleet_lease.h); the counters are cumulative so it reads what happened between two
  // of its visits without resetting anything.
  struct FleetCounters {
    int64_t cap = 0;
    int64_t taken = 0;     // into shard leases, less given back, plus debts
    int64_t spent = 0;     // admitted (reported by the shards) plus debts
    int64_t refunded = 0;  // settled below the estimate
    int64_t short_of = 0;  // takes the cap refused
  };
  // Puts the bucket under a fleet cap (idempotent); the cap starts at what is taken.
  void fleet_enable();
  bool fleet_on() const { return fleet_on_.load(std::memory_order_acquire); }
  FleetCounters fleet_counters() const;
  void fleet_set_cap(int64_t cap) { fleet_cap_.store(cap); }
  // A grant fell short of its ask within the last lease: the fleet is contended, so the
  // lease is sized by demand alone (no floor; fleet_lease.cc).
  bool fleet_dry() const { return fleet_dry_.load(std::memory_order_relaxed); }
  void fleet_set_dry(bool dry) { fleet_dry_.store(dry, std::memory_order_relaxed); }
  // Units the fleet's bucket still had free (unleased, beyond any fair-share reserve
  // this instance must leave) after its last grant here; 0 when unknown. A shard short
  // of the cap while the fleet has room is waiting for a grant, not at the limit.
  int64_t fleet_room() const { return fleet_room_.load(std::memory_order_relaxed); }
  void fleet_set_room(int64_t room) { fleet_room_.store(room, std::memory_order_relaxed); }
  // The lowest remaining count the provider reported (clamp_level) since the fleet
  // thread last took it, for the fleet's bucket; INT64_MAX when none. Taking resets it.
  int64_t fleet_clamp() const { return fleet_clamp_.load(std::memory_order_relaxed); }
  int64_t take_fleet_clamp() { return fleet_clamp_.exchange(INT64_MAX); }
  // The provider's limit adopted from its headers, when below the configured one; else 0.
  uint64_t provider_per_minute() const;

 private:
  // Nanoseconds per unit, scaled by kScale so that small limits keep precision.
  static constexpr int64_t kScale = 1024;
  int64_t interval() const { return interval_.load(std::memory_order_relaxed); }
  int64_t level(int64_t tat, uint64_t now_ns) const;  // S
  void add_debt(int64_t k, uint64_t now_ns);

  std::atomic<int64_t> tat_{0};          // ns, mono clock
  std::atomic<int64_t> outstanding_{0};  // units on leases, admitted or not yet reported
  std::atomic<int64_t> interval_{0};     // ns per unit * kScale; 0: no limit
  std::atomic<int64_t> burst_{0};
  std::atomic<uint64_t> per_minute_{0};  // effective (configured or the provider's)
  std::atomic<uint64_t> configured_{0};
  std::atomic<uint64_t> paused_until_{0};  // mono ns: the latest pause's end
  std::atomic<bool> fleet_on_{false};
  std::atomic<bool> fleet_dry_{false};
  std::atomic<int64_t> fleet_cap_{0};  // cumulative: fleet_taken_ may grow up to here
  std::atomic<int64_t> fleet_taken_{0};
  std::atomic<int64_t> fleet_spent_{0};
  std::atomic<int64_t> fleet_refunded_{0};
  std::atomic<int64_t> fleet_short_{0};
  std::atomic<int64_t> fleet_clamp_{INT64_MAX};
  std::atomic<int64_t> fleet_room_{0};
};

// A limit that does not refill: concurrent requests. Shards lease slots and give them
// back; what is leased never exceeds `capacity`.
class GlobalPool {
 public:
  void configure(uint64_t capacity);
  uint64_t capacity() const { return capacity_.load(std::memory_order_relaxed); }
  bool take(int64_t n);
  void give_back(int64_t n) { leased_.fetch_sub(n, std::memory_order_acq_rel); }
  int64_t leased() const { return leased_.load(std::memory_order_relaxed); }

  // ---- Fleet (docs/LIMITS.md "Fleet") ----------------------------------------------
  // With a fleet, the process may hold only the slots its fleet lease covers: `take`
  // also checks `fleet_cap`, which the fleet thread moves. The cap starts at what is
  // leased.
  void fleet_enable();
  bool fleet_on() const { return fleet_on_.load(std::memory_order_acquire); }
  void fleet_set_cap(int64_t cap) { fleet_cap_.store(cap, std::memory_order_release); }
  int64_t fleet_cap() const { return fleet_cap_.load(std::memory_order_acquire); }
  // Takes the fleet cap refused, ever.
  uint64_t fleet_short() const { return fleet_short_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> capacity_{0};
  std::atomic<int64_t> leased_{0};
  std::atomic<bool> fleet_on_{false};
  std::atomic<int64_t> fleet_cap_{0};
  std::atomic<uint64_t> fleet_short_{0};
};

}  // namespace sluice::limit
