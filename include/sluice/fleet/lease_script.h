#pragma once
// The Lua script that keeps every fleet-wide bucket in Redis (docs/LIMITS.md "Fleet").
// One EVALSHA renews all of a process's leases and records its heartbeat.
//
// KEYS[1]      sorted set of instances, scored by their last heartbeat (µs)
// KEYS[2..]    one hash per bucket: "tat" and one "l:<holder>" = "<units> <expiry µs>"
//              per live lease
// ARGV[1..4]   holder (instance, process and epoch), instance, lease_ms, seen_ms
// ARGV[5..]    five per bucket: per_minute, burst, spent, refund, want
// Reply        { instances seen within seen_ms, then per bucket: units held, retry_ms }

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
for i = 2, #KEYS do
  local a = 4 + (i - 2) * 5
  local per_minute = tonumber(ARGV[a + 1])
  local burst = tonumber(ARGV[a + 2])
  local spent = tonumber(ARGV[a + 3])
  local refund = tonumber(ARGV[a + 4])
  local want = tonumber(ARGV[a + 5])
  local key = KEYS[i]
  local T = 60000000 / per_minute
  local h = redis.call('HGETALL', key)
  local tat = 0
  for j = 1, #h, 2 do
    if h[j] == 'tat' then tat = tonumber(h[j + 1]) end
  end
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
  local k = math.min(spent, mine)
  if k > 0 then
    tat = math.max(tat, now) + k * T
    mine = mine - k
  end
  if refund > 0 and tat > now then tat = math.max(tat - refund * T, now) end
  local debt = math.max(0, tat - now)
  local free = burst - math.ceil(debt / T - 1e-9) - others - mine
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
end
return out
)lua";

}  // namespace sluice::fleet
