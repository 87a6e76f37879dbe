#include "sluice/ledger/price.h"

#include <algorithm>
#include <limits>

namespace sluice::ledger {
namespace {
// __extension__: -Wpedantic would otherwise flag the GCC and Clang 128-bit type.
__extension__ typedef unsigned __int128 u128;
}  // namespace

int64_t cost_nusd(const config::Price& price, const TokenCounts& tokens) {
  if (!price.set) return 0;
  const uint64_t cached = std::min(tokens.cached, tokens.input);
  const uint64_t uncached = tokens.input - cached;
  const uint64_t output = std::max(tokens.output, tokens.reasoning);
  // The rate is taken as given: the config loader already puts the input rate there when
  // a `price` omits cached_input_per_mtok, so a 0 here is an explicit "cache hits are free".
  // Each product is below 2^64 × 2^63 = 2^127, so it fits; their sum might not, and
  // saturates instead (a cost that large is clamped below anyway).
  const u128 parts[] = {
      u128{uncached} * static_cast<uint64_t>(price.input_nusd_per_mtok),
      u128{cached} * static_cast<uint64_t>(price.cached_input_nusd_per_mtok),
      u128{output} * static_cast<uint64_t>(price.output_nusd_per_mtok),
  };
  constexpr u128 kAll = ~u128{0};
  u128 per_mtok = 0;
  for (u128 part : parts) per_mtok = part > kAll - per_mtok ? kAll : per_mtok + part;
  constexpr u128 kMillion = 1'000'000;
  const u128 nusd = per_mtok / kMillion + (per_mtok % kMillion >= kMillion / 2 ? 1 : 0);
  constexpr auto kMax = static_cast<u128>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(std::min(nusd, kMax));
}

}  // namespace sluice::ledger
