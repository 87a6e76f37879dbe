// The fleet as Redis holds it, for /admin/limits: every instance's leases and demand on
// each shared limit, and the instances with a heartbeat. Read on the fleet thread, once
// a second, in one pipelined round trip; the shards and the admin API only ever see the
// cached text (FleetStatus::view).

#include "sluice/fleet/fleet_view.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/core/clock.h"
#include "sluice/core/json_string.h"
#include "sluice/fleet/fleet.h"

namespace sluice::fleet {
namespace {

struct OwnedReply {
  redisReply* r = nullptr;
  ~OwnedReply() {
    if (r) freeReplyObject(r);
  }
};

std::string_view text(const redisReply* r) {
  if (r == nullptr || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) return {};
  return {r->str, r->len};
}

// "<a> <rest>" split at the first space.
std::pair<std::string_view, std::string_view> split_first(std::string_view s) {
  const size_t sp = s.find(' ');
  if (sp == std::string_view::npos) return {s, {}};
  return {s.substr(0, sp), s.substr(sp + 1)};
}

// Numbers from Redis, bounded so that no arithmetic on them can overflow and no
// printed one can be inf, nan or longer than its buffer; garbage reads as 0.
constexpr double kBound = 1e18;  // µs since 1970 stay far below it

int64_t to_int(std::string_view s) {
  const long long v = std::strtoll(std::string(s).c_str(), nullptr, 10);
  return static_cast<int64_t>(std::clamp<long long>(v, -kBound, kBound));
}

double to_num(std::string_view s) {
  const double v = std::strtod(std::string(s).c_str(), nullptr);
  return std::isfinite(v) ? std::clamp(v, -kBound, kBound) : 0.0;
}

}  // namespace

void append_limit_view(std::string& out, std::string_view key, const std::vector<HashField>& hash,
                       int64_t now_us) {
  out += "{\"key\":";
  core::append_json_string(out, key);
  std::string leases, demand;
  std::map<std::string, double> by_project;
  for (const auto& [field, value] : hash) {
    if (field.starts_with("l:")) {
      const auto [units, expiry] = split_first(value);
      const int64_t left_ms = (to_int(expiry) - now_us) / 1000;
      if (left_ms <= 0) continue;  // expired: Redis drops it at the next renewal
      std::string_view holder = field.substr(2);
      holder = holder.substr(0, holder.find(':'));  // instance names hold no ':'
      if (!leases.empty()) leases += ',';
      leases += "{\"instance\":";
      core::append_json_string(leases, holder);
      leases += ",\"units\":" + std::to_string(to_int(units)) +
                ",\"expires_in_ms\":" + std::to_string(left_ms) + '}';
    } else if (field.starts_with("d:")) {
      auto [expiry, rest] = split_first(value);
      if (to_int(expiry) <= now_us) continue;
      // "<project> <weight> <demand>" per project, joined by ';'.
      while (!rest.empty()) {
        const size_t semi = rest.find(';');
        const std::string_view one = rest.substr(0, semi);
        rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
        const auto [project, tail] = split_first(one);
        const auto [weight, per_s] = split_first(tail);
        if (project.empty()) continue;
        const double d = to_num(per_s);
        by_project[std::string(project)] += d;
        if (!demand.empty()) demand += ',';
        demand += "{\"instance\":";
        core::append_json_string(demand, field.substr(2));
        demand += ",\"project\":";
        core::append_json_string(demand, project);
        char buf[96];
        std::snprintf(buf, sizeof buf, ",\"weight\":%lld,\"per_s\":%.3f}",
                      static_cast<long long>(to_int(weight)), d);
        demand += buf;
      }
    }
  }
  out += ",\"leases\":[" + leases + "],\"demand\":[" + demand + "],\"demand_by_project\":{";
  bool first = true;
  for (const auto& [project, d] : by_project) {
    if (!first) out += ',';
    first = false;
    core::append_json_string(out, project);
    char buf[64];
    std::snprintf(buf, sizeof buf, ":%.3f", d);
    out += buf;
  }
  out += "}}";
}

bool Fleet::read_view() {
  std::vector<std::string> keys;
  for (const auto& [b, e] : entries_) keys.push_back(e.key);
  for (const auto& [p, e] : pools_) keys.push_back(e.key);
  const std::string instances = prefix_ + "instances";
  redisAppendCommand(redis_, "TIME");
  redisAppendCommand(redis_, "ZRANGE %b 0 -1 WITHSCORES", instances.data(), instances.size());
  for (const std::string& k : keys) redisAppendCommand(redis_, "HGETALL %b", k.data(), k.size());
  status_.round_trips.fetch_add(1, std::memory_order_relaxed);
  std::vector<OwnedReply> replies(keys.size() + 2);
  for (OwnedReply& r : replies) {
    void* p = nullptr;
    if (redisGetReply(redis_, &p) != REDIS_OK) {
      disconnect(std::string("reading the fleet view: ") + redis_->errstr);
      return false;
    }
    r.r = static_cast<redisReply*>(p);
  }
  const redisReply* time = replies[0].r;
  if (time == nullptr || time->type != REDIS_REPLY_ARRAY || time->elements != 2) return false;
  // Seconds bounded to keep the product inside int64 whatever TIME says.
  const int64_t now_us =
      std::clamp<int64_t>(to_int(text(time->element[0])), 0, 1'000'000'000'000) * 1'000'000 +
      to_int(text(time->element[1]));

  std::string out = "{\"read_ms\":" + std::to_string(core::wall_ms()) + ",\"instances\":[";
  const redisReply* seen = replies[1].r;
  if (seen && seen->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i + 1 < seen->elements; i += 2) {
      if (i) out += ',';
      out += "{\"instance\":";
      core::append_json_string(out, text(seen->element[i]));
      const int64_t beat_us = static_cast<int64_t>(
          std::strtod(std::string(text(seen->element[i + 1])).c_str(), nullptr));
      out += ",\"heartbeat_age_ms\":" + std::to_string((now_us - beat_us) / 1000) + '}';
    }
  }
  out += "],\"limits\":[";
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ',';
    std::vector<HashField> fields;
    const redisReply* hash = replies[i + 2].r;
    if (hash && hash->type == REDIS_REPLY_ARRAY)
      for (size_t f = 0; f + 1 < hash->elements; f += 2)
        fields.emplace_back(text(hash->element[f]), text(hash->element[f + 1]));
    append_limit_view(out, keys[i], fields, now_us);
  }
  out += "]}";
  status_.set_view(std::move(out));
  return true;
}

}  // namespace sluice::fleet
