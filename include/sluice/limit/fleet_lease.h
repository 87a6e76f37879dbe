#pragma once
// One process's side of one fleet-wide bucket (docs/LIMITS.md "Fleet"): how much of
// the fleet's budget this process holds, what to ask for next, and the cap it puts on
// its own GlobalBucket. Owned by the fleet thread alone; talks to the shards only
// through the bucket's fleet atomics. No I/O: whoever grants (Redis, or the static
// share while Redis is down) is called by the fleet thread between plan() and
// granted().

#include <cstdint>

#include "sluice/limit/global_bucket.h"

namespace sluice::limit {

// How long a call to Redis may take before Redis counts as down (docs/FLEET.md): a
// quarter of a lease, 500 ms at most. A request waiting for a lease's grant waits as long.
inline uint64_t fleet_call_ms(uint64_t lease_ms) { return lease_ms / 4 < 500 ? lease_ms / 4 : 500; }

// One bucket's part of one request to the granter.
struct FleetAsk {
  int64_t spent = 0;   // units admitted since the last report: they leave the lease for good
  int64_t refund = 0;  // units settled below their estimate since the last report
  int64_t want = 0;    // units the lease should hold after the report (less: a give-back)
};

class FleetLease {
 public:
  // True when the lease should be renewed, grown or returned now.
  bool due(const GlobalBucket& b, uint64_t now_ns) const;
  // True when it would be due by age within a quarter of a lease: renewed along with
  // one that is due, so the leases of all limits share their round trips.
  bool renew_soon(uint64_t now_ns, uint64_t lease_ns) const;
  // The next ask. When it shrinks the lease, the cap is lowered first so the shards can
  // never hold more than the lease will (see the .cc).
  FleetAsk plan(GlobalBucket& b, uint64_t now_ns, uint64_t lease_ns);
  // The granter now holds `units` for this process, as of `sent_ns` (when the ask left):
  // the lease is good until sent_ns + 0.9 * lease_ns on this clock, which is before the
  // granter's own expiry (it starts counting later).
  // Short of the ask, it is not due again for a wait of retry_ns (at least a twentieth
  // of a lease) times 0.5 + jitter.
  void granted(GlobalBucket& b, int64_t units, uint64_t sent_ns, uint64_t lease_ns,
               uint64_t retry_ns = 0, double jitter = 0.5);
  // Past valid_until_ns() without a renewal: the lease may be gone from the granter
  // (expired and charged), so nothing more is taken under it (reset). True if so.
  bool expire_if_stale(GlobalBucket& b, uint64_t now_ns);
  // The granter was lost (or changed): nothing more is taken under the old lease, and
  // the next grant starts from what is admitted now.
  void reset(GlobalBucket& b);

  int64_t units() const { return units_; }
  uint64_t valid_until_ns() const { return valid_until_ns_; }
  uint64_t grants() const { return grants_; }
  bool asked() const { return asked_; }

 private:
  int64_t units_ = 0;            // the granter holds this much for us, after our reports
  int64_t reported_spent_ = 0;   // the bucket's `spent` counter as of the last report
  int64_t reported_refund_ = 0;  // its `refunded` counter as of the last report
  int64_t seen_short_ = 0;       // its `short_of` counter at the last plan
  int64_t seen_taken_ = 0;       // its `taken` counter at the last plan: in use since?
  int64_t seen_spent_ = 0;       // its `spent` counter at the last plan: the rate since
  uint64_t planned_ns_ = 0;
  uint64_t renew_at_ns_ = 0;
  uint64_t valid_until_ns_ = 0;
  uint64_t not_before_ns_ = 0;  // the granter had nothing: ask again no earlier
  uint64_t dry_until_ns_ = 0;   // the last short grant's time plus a lease: contended
  double rate_ = 0;             // units per second taken, smoothed
  FleetAsk pending_;
  int64_t pending_spent_mark_ = 0;
  int64_t pending_refund_mark_ = 0;
  uint64_t grants_ = 0;
  bool asked_ = false;
};

// The granter while Redis is down in `local_share` mode: this process's static share of
// the limit as a bucket of its own, granting with the same rules as the Redis script.
class ShareGranter {
 public:
  void configure(uint64_t per_minute, uint64_t burst, double share);
  int64_t grant(const FleetAsk& ask, uint64_t now_ns);
  uint64_t per_minute() const { return bucket_.per_minute(); }

 private:
  GlobalBucket bucket_;
  int64_t held_ = 0;
};

}  // namespace sluice::limit
