#include "sluice/limit/fleet_lease.h"

#include <algorithm>
#include <cmath>

namespace sluice::limit {

bool FleetLease::due(const GlobalBucket& b, uint64_t now_ns) const {
  // A lease in hand is renewed at half its life whatever else: left alone it would
  // expire in Redis and be charged while this process may still admit from it.
  if (units_ > 0 && now_ns >= renew_at_ns_) return true;
  if (now_ns < not_before_ns_) return false;
  GlobalBucket::FleetCounters c = b.fleet_counters();
  if (c.short_of != seen_short_) return true;  // a shard wanted more than the cap
  if (!asked_) return true;
  // Running low: less than a quarter of the lease not yet admitted while it is being
  // used. Units in shard leases count as left: a shard takes half of what it may at
  // once and admits from it over time.
  int64_t left = c.cap - c.spent;
  return units_ > 0 && c.taken != seen_taken_ && left * 4 < units_;
}

bool FleetLease::renew_soon(uint64_t now_ns, uint64_t lease_ns) const {
  return units_ > 0 && now_ns + lease_ns / 4 >= renew_at_ns_;
}

bool FleetLease::expire_if_stale(GlobalBucket& b, uint64_t now_ns) {
  if (units_ <= 0 || now_ns < valid_until_ns_) return false;
  reset(b);
  return true;
}

FleetAsk FleetLease::plan(GlobalBucket& b, uint64_t now_ns, uint64_t lease_ns) {
  GlobalBucket::FleetCounters c = b.fleet_counters();
  const int64_t held = std::max<int64_t>(0, c.taken - c.spent);  // in shard leases
  FleetAsk ask;
  ask.spent = std::max<int64_t>(0, c.spent - reported_spent_);
  ask.refund = std::max<int64_t>(0, c.refunded - reported_refund_);

  // Demand: units admitted per second. A rise is followed at once (the lease must
  // cover it before it runs out); a fall decays over about a lease's life.
  if (planned_ns_ != 0 && now_ns > planned_ns_) {
    double dt = static_cast<double>(now_ns - planned_ns_) / 1e9;
    double used = static_cast<double>(std::max<int64_t>(0, c.spent - seen_spent_)) / dt;
    double alpha = std::min(1.0, dt * 1e9 / static_cast<double>(lease_ns));
    rate_ = used >= rate_ ? used : rate_ + alpha * (used - rate_);
  }
  const bool wanted_more = c.short_of != seen_short_;
  planned_ns_ = now_ns;
  seen_taken_ = c.taken;
  seen_spent_ = c.spent;
  seen_short_ = c.short_of;

  // Enough for one and a half lease lives at the rate seen, at least one unit, and more
  // than before when the shards ran short; never more than the bucket can hold.
  double life = static_cast<double>(lease_ns) / 1e9;
  int64_t want = static_cast<int64_t>(std::ceil(rate_ * life * 1.5));
  if (wanted_more) want = std::max<int64_t>(want, std::max<int64_t>(1, units_ * 2));
  // At least a tenth of a second of the limit's rate, as a shard's first lease
  // (docs/LIMITS.md), while the fleet has units to spare: an instance that went quiet
  // does not meet its next burst with a lease of one unit and a string of doublings.
  // When the last grant fell short, the fleet is contended and demand alone decides.
  if (!asked_ || !b.fleet_dry())
    want = std::max<int64_t>(want, static_cast<int64_t>(b.per_minute() / 600));
  want = std::max<int64_t>(want, 1);
  int64_t burst = b.burst();
  if (burst > 0) want = std::min(want, burst);
  want = std::max(want, held);

  // Shrinking: lower the cap to what the lease will hold, then read what is taken. A
  // take that claimed before the lowering is seen here and kept (the ask grows to cover
  // it); one after it sees the lowered cap and backs out. So the shards never hold more
  // than the granter keeps for this process.
  const int64_t after_report = std::max<int64_t>(0, units_ - ask.spent);
  if (want < after_report) {
    b.fleet_set_cap(c.spent + want);
    int64_t taken = b.fleet_counters().taken;
    if (taken - c.spent > want) {
      want = taken - c.spent;
      b.fleet_set_cap(c.spent + want);
    }
  }
  ask.want = want;
  pending_ = ask;
  pending_spent_mark_ = c.spent;
  pending_refund_mark_ = c.refunded;
  return ask;
}

void FleetLease::granted(GlobalBucket& b, int64_t units, uint64_t sent_ns, uint64_t lease_ns,
                         uint64_t retry_ns, double jitter) {
  units_ = std::max<int64_t>(0, units);
  reported_spent_ = pending_spent_mark_;
  reported_refund_ = pending_refund_mark_;
  // Everything admitted up to the report is settled; the lease covers the rest.
  b.fleet_set_cap(reported_spent_ + units_);
  renew_at_ns_ = sent_ns + lease_ns / 2;
  valid_until_ns_ = sent_ns + lease_ns - lease_ns / 10;
  // Short of what it asked: the fleet is contended. Ask again once a unit has refilled,
  // and no more than twenty times per lease, so a flood costs a bounded number of round
  // trips whatever the limit. `jitter` (0..1) spreads the asks of the instances so that
  // none is always first after a refill.
  uint64_t wait = std::max(retry_ns, lease_ns / 20);
  // Short of the ask: the fleet is contended, and counts as such for a lease's life
  // after the last short grant (a full grant in between, of a small ask, says little).
  if (units_ < pending_.want) {
    dry_until_ns_ = sent_ns + lease_ns;
    b.fleet_set_dry(true);
  } else if (sent_ns >= dry_until_ns_) {
    b.fleet_set_dry(false);
  }
  not_before_ns_ =
      units_ < pending_.want
          ? sent_ns + wait / 2 + static_cast<uint64_t>(static_cast<double>(wait) * jitter)
          : 0;
  asked_ = true;
  ++grants_;
}

void FleetLease::reset(GlobalBucket& b) {
  GlobalBucket::FleetCounters c = b.fleet_counters();
  // Freeze: what the shards hold stays theirs; nothing more until the next grant.
  b.fleet_set_cap(c.taken);
  units_ = 0;
  reported_spent_ = c.spent;
  reported_refund_ = c.refunded;
  pending_spent_mark_ = c.spent;
  pending_refund_mark_ = c.refunded;
  renew_at_ns_ = valid_until_ns_ = not_before_ns_ = dry_until_ns_ = 0;
  asked_ = false;
  b.fleet_set_dry(false);
  b.fleet_set_room(0);
}

void ShareGranter::configure(uint64_t per_minute, uint64_t burst, double share) {
  // Rounded down (at least one unit): the shares of all instances never add up to more
  // than the limit.
  auto part = [share](uint64_t v) {
    return std::max<uint64_t>(1, static_cast<uint64_t>(std::floor(static_cast<double>(v) * share)));
  };
  bucket_.configure(part(per_minute), part(burst ? burst : per_minute));
  // A new outage: what the last one's leases held is no longer anyone's. The debt of
  // what was admitted stays (configure keeps it), so a second outage starts no fuller.
  bucket_.give_back(held_);
  held_ = 0;
}

int64_t ShareGranter::grant(const FleetAsk& ask, uint64_t now_ns) {
  int64_t spent = std::min(ask.spent, held_);
  bucket_.spent(spent, now_ns);
  held_ -= spent;
  bucket_.refund(ask.refund, now_ns);
  if (ask.want <= held_) {
    bucket_.give_back(held_ - ask.want);
    held_ = ask.want;
    return held_;
  }
  int64_t more = std::min(ask.want - held_, std::max<int64_t>(0, bucket_.available(now_ns)));
  if (more > 0 && bucket_.take(more, 0, now_ns)) held_ += more;
  return held_;
}

}  // namespace sluice::limit
