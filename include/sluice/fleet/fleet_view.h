#pragma once
// The fleet view of /admin/limits (docs/FLEET.md "Watch"): one shared limit's hash in
// Redis turned into JSON. Separate from the Redis I/O (fleet_view.cc) so it can be fed
// any field and value, since whatever is in Redis may be there.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::fleet {

// One field of a hash and its value, as HGETALL returns them.
using HashField = std::pair<std::string_view, std::string_view>;

// Appends {"key":..,"leases":[..],"demand":[..],"demand_by_project":{..}} for the hash of
// `key` read at Redis time `now_us`: the live "l:<holder>" = "<units> <expiry µs>"
// leases by instance, and the live "d:<instance>" = "<expiry µs> <project> <weight>
// <demand>;..." demand per project. Malformed values are read as zero, never fail.
void append_limit_view(std::string& out, std::string_view key, const std::vector<HashField>& hash,
                       int64_t now_us);

}  // namespace sluice::fleet
