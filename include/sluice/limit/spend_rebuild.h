#pragma once
// Budgets survive a restart: the spend of the current UTC day and month is read back
// from the ledger before the shards start.

#include <cstdint>
#include <string>

#include "sluice/ledger/ledger.h"
#include "sluice/limit/registry.h"

namespace sluice::limit {

// Adds the ledger's spend per project and per key to the matching budgets; with
// `instance` non-empty (a fleet), only the rows that instance wrote, since the other
// instances' rows are theirs to count (one PostgreSQL ledger shared by the fleet).
// Returns an error message, or empty.
std::string rebuild_spend(Registry& registry, const ledger::Ledger& ledger, int64_t now_ms,
                          const std::string& instance = {});

}  // namespace sluice::limit
