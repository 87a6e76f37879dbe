#include "sluice/ledger/price.h"

#include <algorithm>

namespace sluice::ledger {

double cost_usd(const config::Price& price, const TokenCounts& tokens) {
  if (!price.set) return 0;
  const uint64_t cached = std::min(tokens.cached, tokens.input);
  const uint64_t uncached = tokens.input - cached;
  const uint64_t output = std::max(tokens.output, tokens.reasoning);
  // The rate is taken as given: the config loader already puts input_per_mtok there when
  // a `price` omits cached_input_per_mtok, so a 0 here is an explicit "cache hits are free".
  const double micro_usd = static_cast<double>(uncached) * price.input_per_mtok +
                           static_cast<double>(cached) * price.cached_input_per_mtok +
                           static_cast<double>(output) * price.output_per_mtok;
  return micro_usd / 1e6;
}

}  // namespace sluice::ledger
