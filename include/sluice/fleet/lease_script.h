#pragma once
// The Lua script that keeps every fleet-wide bucket in Redis (docs/LIMITS.md "Fleet").
// One EVALSHA renews all of a process's leases and records its heartbeat.
//
// KEYS[1]      sorted set of instances, scored by their last heartbeat (µs)
// KEYS[2]      hash of signals shared by the fleet, each field's value an end time (µs):
//              "p:<bucket key>" a provider's pause (a 429's retry-after), deleted when
//              it ends; "b:<provider>" an open breaker's cooldown end, kept a minute
//              past it (half-open: waiting for the fleet's one probe) unless closed
// KEYS[3]      prefix of the probe tokens ("<prefix><provider>", SET NX PX)
// KEYS[4..]    one hash per bucket: "tat" and one "l:<holder>" = "<units> <expiry µs>"
//              per live lease, "d:<instance>" = "<expiry µs> <demand>" and
//              "u:<instance>" = "<units/s> <µs>" (fair share); then one hash per budget window:
//              "i:<instance>" = that instance's spend in the window (nano-USD), its ledger's and
//              its own since
// ARGV[1..4]   holder (instance, process and epoch), instance, lease_ms, seen_ms
// ARGV[5]      n signal reports, then n pairs: field, ms (> 0: the signal lasts at
//              least ms from now; -1: a breaker closed by its probe, deleted)
// next         m probe asks, then m providers (a half-open breaker wanting the token)
// next         b buckets, then eight per bucket: per_minute, burst, spent, refund, want,
//              demand: "" (not shared between projects) or "<project> <weight> <demand>
//              <priority>" per project with demand here (the priority only while it is
//              active here), joined by ";" (docs/LIMITS.md "Fleet"),
//              clamp: the lowest remaining count the provider reported to this
//              instance since its last ask (-1: none), provider_per_minute: the limit
//              the provider's headers gave (0: none); the bucket keeps the latest as
//              "pl" = "<per_minute> <expiry µs>" for a minute
// next         w budget windows, then two per window: this instance's spend, ttl_ms
// next         c concurrency pools, then two per pool: capacity, slots wanted; their keys
//              (KEYS after the budgets' hashes) hold "l:<holder>" = "<slots> <expiry µs>"
// Reply        { instances seen within seen_ms, { field, ms left (may be <= 0), ... },
//                { provider, 1 if this holder has the probe token, ... },
//                { per window: the other instances' spend }, { per pool: slots held },
//                then per bucket: units held, retry_ms, the provider's limit in
//                effect (0: none), room: units still free in the bucket after
//                this grant, beyond this instance's fair-share reserve (0 when none) }

#include <string_view>

namespace sluice::fleet {

inline constexpr std::string_view kLeaseScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local holder, inst = ARGV[1], ARGV[2]
local lease = tonumber(ARGV[3]) * 1000
local seen = tonumber(ARGV[4]) * 1000
redis.call('ZADD', KEYS[1], now, inst)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 3600000000)
local out = { redis.call('ZCOUNT', KEYS[1], now - seen, '+inf') }
-- Fair share across the fleet: what this instance must leave in the bucket for the
-- instances behind it. Each instance's weight is the sum over the projects with demand
-- anywhere in the fleet of the project's weight times this instance's part of that
-- project's demand; an instance whose usage per weight is above another's leaves that
-- one its part of two seconds of the rate (as a shard does for projects in a process).
local function fair_reserve(key, h, demand, spent, burst, per_minute)
  -- Not shared between projects (its demand field, if any, expires after a lease).
  if demand == '' then return 0 end
  local tau = 2000000
  local me_u, me_at = 0, now
  local specs, usage = {}, {}
  for j = 1, #h, 2 do
    local f, v = h[j], h[j + 1]
    local kind, who = string.sub(f, 1, 2), string.sub(f, 3)
    if who ~= inst then
      if kind == 'd:' then
        local e, spec = string.match(v, '^(%S+) (.*)$')
        if tonumber(e) > now then specs[who] = spec else redis.call('HDEL', key, f) end
      elseif kind == 'u:' then
        local r, at = string.match(v, '^(%S+) (%S+)$')
        usage[who] = tonumber(r) * math.exp(-(now - tonumber(at)) / tau)
      end
    elseif kind == 'u:' then
      local r, at = string.match(v, '^(%S+) (%S+)$')
      me_u, me_at = tonumber(r), tonumber(at)
    end
  end
  local dt = math.max(now - me_at, 1000)
  local keep = math.exp(-dt / tau)
  -- Compared as the others are: as of the last report, decayed to now. With this
  -- report's spend in it, an instance would always find the others (whose spend since
  -- their reports is not in yet) behind it, and two of one project each leave the other
  -- a reserve that neither can take.
  usage[inst] = me_u * keep
  me_u = me_u * keep + spent * 1000000 / dt * (1 - keep)
  redis.call('HSET', key, 'u:' .. inst, string.format('%.17g %d', me_u, now))
  redis.call('HSET', key, 'd:' .. inst, string.format('%d ', now + lease) .. demand)
  specs[inst] = demand
  -- "<project> <weight> <demand> <priority>" per project; the priority only while the
  -- project is active there (a decaying demand claims no tier). An instance's tier is
  -- the best (lowest) priority among its active projects, none (math.huge) without.
  local total, parsed, tier = {}, {}, {}
  for who, spec in pairs(specs) do
    local list = {}
    for one in string.gmatch(spec, '[^;]+') do
      local p, w, d, pr = string.match(one, '^(%S+) (%S+) (%S+) ?(%S*)$')
      d = tonumber(d)
      if d then
        pr = tonumber(pr) or math.huge
        list[#list + 1] = { p, tonumber(w) or 1, d }
        total[p] = (total[p] or 0) + d
        if not tier[who] or pr < tier[who] then tier[who] = pr end
      end
    end
    parsed[who] = list
  end
  local base = math.min(burst, math.max(1, math.floor(per_minute / 30)))
  local my_tier = tier[inst]
  if not my_tier then return 0 end
  -- Strict priority across the fleet: while an instance of a better tier has demand,
  -- this one leaves it the whole reserve and leases only what that one leaves.
  for who, t in pairs(tier) do
    if who ~= inst and t < my_tier then return base end
  end
  local weight = {}
  for who, list in pairs(parsed) do
    local wsum = 0
    for _, e in ipairs(list) do
      if total[e[1]] > 0 then wsum = wsum + e[2] * e[3] / total[e[1]] end
    end
    weight[who] = wsum
  end
  local mine_w = weight[inst]
  if not mine_w or mine_w <= 0 then return 0 end
  -- Instances with the same projects form a group. Groups are compared by their usage
  -- per weight, so an instance of a project that is ahead as a whole never counts as
  -- behind another project's; within a group, instances are compared one by one, so
  -- each gets its part of its projects' share (weights split by what each one's
  -- clients ask for).
  local group, gu, gw = {}, {}, {}
  for who, list in pairs(parsed) do
    local names = {}
    for _, e in ipairs(list) do names[#names + 1] = e[1] end
    table.sort(names)
    local g = table.concat(names, ' ')
    group[who] = g
    gu[g] = (gu[g] or 0) + (usage[who] or 0)
    gw[g] = (gw[g] or 0) + weight[who]
  end
  local function group_norm(who)
    local g = group[who]
    if gw[g] <= 0 then return 0 end
    return gu[g] / gw[g]
  end
  local my_norm, my_group_norm = (usage[inst] or 0) / mine_w, group_norm(inst)
  local behind = 0
  for who, w in pairs(weight) do
    if who ~= inst and w > 0 and tier[who] == my_tier then
      local lower
      if group[who] == group[inst] then lower = (usage[who] or 0) / w < my_norm
      else lower = group_norm(who) < my_group_norm end
      if lower then behind = behind + w end
    end
  end
  if behind == 0 then return 0 end
  return math.ceil(base * behind / (behind + mine_w))
end
local sig, probe_prefix = KEYS[2], KEYS[3]
local a = 5
local n = tonumber(ARGV[a])
for j = 1, n do
  local f, ms = ARGV[a + 2 * j - 1], tonumber(ARGV[a + 2 * j])
  if ms < 0 then
    redis.call('HDEL', sig, f)
    redis.call('DEL', probe_prefix .. string.sub(f, 3))
  else
    local cur = tonumber(redis.call('HGET', sig, f) or '0')
    local untl = now + ms * 1000
    if untl > cur then redis.call('HSET', sig, f, string.format('%d', untl)) end
    -- A breaker opened again (its probe failed): the next probe is chosen afresh.
    if string.sub(f, 1, 2) == 'b:' then redis.call('DEL', probe_prefix .. string.sub(f, 3)) end
  end
end
if n > 0 then redis.call('PEXPIRE', sig, 3600000) end
a = a + 2 * n + 1
local m = tonumber(ARGV[a])
local probes = {}
local signals = {}
local all = redis.call('HGETALL', sig)
local open = {}
for j = 1, #all, 2 do
  local f, untl = all[j], tonumber(all[j + 1])
  local kind = string.sub(f, 1, 2)
  if (kind == 'p:' and untl <= now) or (kind == 'b:' and untl + 60000000 <= now) then
    redis.call('HDEL', sig, f)
  else
    signals[#signals + 1] = f
    signals[#signals + 1] = math.floor((untl - now) / 1000)
    if kind == 'b:' then open[string.sub(f, 3)] = untl end
  end
end
for j = 1, m do
  local p = ARGV[a + j]
  local got = 0
  -- Only past the cooldown the fleet agrees on, and only one holder at a time.
  if open[p] and open[p] <= now then
    if redis.call('SET', probe_prefix .. p, holder, 'NX', 'PX', 15000) then got = 1
    elseif redis.call('GET', probe_prefix .. p) == holder then got = 1 end
  end
  probes[#probes + 1] = p
  probes[#probes + 1] = got
end
out[2] = signals
out[3] = probes
a = a + m + 1
local nb = tonumber(ARGV[a])
-- Budgets: each instance sets its own field (never adds), so a report is idempotent and
-- a Redis that lost them is refilled by the next report of every instance.
local spends = {}
local wa = a + nb * 8 + 1
for j = 1, tonumber(ARGV[wa]) do
  local key = KEYS[3 + nb + j]
  local mine = 'i:' .. inst
  redis.call('HSET', key, mine, ARGV[wa + 2 * j - 1])
  redis.call('PEXPIRE', key, ARGV[wa + 2 * j])
  local h = redis.call('HGETALL', key)
  local others = 0
  for k = 1, #h, 2 do
    if h[k] ~= mine then others = others + tonumber(h[k + 1]) end
  end
  spends[j] = others
end
out[4] = spends
-- Concurrency: slots are leased like units but never refill; a lease that expires
-- (its holder died) simply frees its slots.
local nw = tonumber(ARGV[wa])
local pa = wa + 2 * nw + 1
local slots = {}
for j = 1, tonumber(ARGV[pa]) do
  local key = KEYS[3 + nb + nw + j]
  local capacity, want = tonumber(ARGV[pa + 2 * j - 1]), tonumber(ARGV[pa + 2 * j])
  local h = redis.call('HGETALL', key)
  local others = 0
  for k = 1, #h, 2 do
    local f = h[k]
    if string.sub(f, 1, 2) == 'l:' and string.sub(f, 3) ~= holder then
      local u, e = string.match(h[k + 1], '^(%S+) (%S+)$')
      if tonumber(e) <= now then redis.call('HDEL', key, f) else others = others + tonumber(u) end
    end
  end
  -- What it holds, plus its part of the free slots as headroom (each instance seen
  -- keeps a part, so a burst on one does not wait for a round trip).
  local free = capacity - others
  local grant = math.max(0, math.min(free, want + math.floor(math.max(0, free - want) / math.max(1, out[1]))))
  if grant > 0 then
    redis.call('HSET', key, 'l:' .. holder, string.format('%d %d', grant, now + lease))
    redis.call('PEXPIRE', key, math.ceil(lease / 1000) * 2 + 1000)
  else
    redis.call('HDEL', key, 'l:' .. holder)
  end
  slots[j] = grant
end
out[5] = slots
for i = 4, 3 + nb do
  local o = a + (i - 4) * 8
  local per_minute = tonumber(ARGV[o + 1])
  local burst = tonumber(ARGV[o + 2])
  local spent = tonumber(ARGV[o + 3])
  local refund = tonumber(ARGV[o + 4])
  local want = tonumber(ARGV[o + 5])
  local demand = ARGV[o + 6]
  local clamp = tonumber(ARGV[o + 7])
  local provider_pm = tonumber(ARGV[o + 8])
  local key = KEYS[i]
  local h = redis.call('HGETALL', key)
  local tat, pl, pl_until = 0, 0, 0
  for j = 1, #h, 2 do
    if h[j] == 'tat' then tat = tonumber(h[j + 1])
    elseif h[j] == 'pl' then
      local v, e = string.match(h[j + 1], '^(%S+) (%S+)$')
      pl, pl_until = tonumber(v), tonumber(e)
    end
  end
  -- The provider's own limit, read from its headers by any instance: the latest one
  -- heard of in the last minute paces every instance (docs/FLEET.md "Provider pauses").
  if provider_pm > 0 then pl, pl_until = provider_pm, now + 60000000 end
  if pl > 0 and pl_until > now then
    redis.call('HSET', key, 'pl', string.format('%d %d', pl, pl_until))
    per_minute = math.min(per_minute, pl)
  else
    pl = 0
    redis.call('HDEL', key, 'pl')
  end
  local T = 60000000 / per_minute
  local mine, others, last = 0, 0, now
  for j = 1, #h, 2 do
    local f = h[j]
    if string.sub(f, 1, 2) == 'l:' then
      local u, e = string.match(h[j + 1], '^(%S+) (%S+)$')
      u = tonumber(u)
      e = tonumber(e)
      if e <= now then
        -- Never reported: counted as admitted when it expired, never handed out again.
        tat = math.max(tat, e) + u * T
        redis.call('HDEL', key, f)
      elseif string.sub(f, 3) == holder then
        mine = u
      else
        others = others + u
        if e > last then last = e end
      end
    end
  end
  -- Everything reported is charged, debts beyond the lease too (a token estimate that
  -- settled above it): only the part within the lease leaves the lease.
  if spent > 0 then
    tat = math.max(tat, now) + spent * T
    mine = math.max(0, mine - spent)
  end
  if refund > 0 and tat > now then tat = math.max(tat - refund * T, now) end
  -- The provider said only `clamp` units are left: the fleet's level (free units plus
  -- those out on leases) is lowered to it, never raised, as one instance's bucket is.
  if clamp >= 0 and clamp < burst then tat = math.max(tat, now + (burst - clamp) * T) end
  local debt = math.max(0, tat - now)
  local free = burst - math.ceil(debt / T - 1e-9) - others - mine - fair_reserve(key, h, demand, spent, burst, per_minute)
  local units = want
  if want > mine then units = mine + math.max(0, math.min(want - mine, free)) end
  if units > 0 then
    redis.call('HSET', key, 'l:' .. holder, string.format('%d %.17g', units, now + lease))
    last = math.max(last, now + lease)
  else
    redis.call('HDEL', key, 'l:' .. holder)
  end
  redis.call('HSET', key, 'tat', string.format('%.17g', tat))
  -- Once every lease has expired and been charged and the bucket refilled, the key
  -- holds nothing a fresh one would not.
  local idle = math.max(tat, last) - now + (others + units) * T
  redis.call('PEXPIRE', key, math.ceil(idle / 1000) + 1000)
  local retry = 0
  if units < want then retry = math.ceil(T / 1000) end
  out[#out + 1] = units
  out[#out + 1] = retry
  out[#out + 1] = pl
  out[#out + 1] = math.max(0, free - math.max(0, units - mine))
end
return out
)lua";

}  // namespace sluice::fleet
