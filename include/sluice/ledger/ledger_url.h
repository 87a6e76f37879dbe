#pragma once
// Where a postgres ledger connects: ledger.url as written, or the value of the
// environment variable ledger.url_env names, or the contents of ledger.url_file (one line;
// surrounding white space and a final newline are dropped). Resolved once at start.

#include <string>

#include "sluice/config/config.h"

namespace sluice::ledger {

// The connection URL. Setup code: throws std::runtime_error naming the config field
// (ledger.url, ledger.url_env, ledger.url_file) when it is missing, empty or unreadable.
std::string resolve_url(const config::Ledger& config);

}  // namespace sluice::ledger
