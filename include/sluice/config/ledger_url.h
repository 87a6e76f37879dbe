#pragma once
// The PostgreSQL connection URL of a `ledger` section: given literally (`url`), named by
// an environment variable (`url_env`) or read from a file (`url_file`, its contents with
// surrounding whitespace trimmed, so a secret file ending in a newline works). One
// function for every reader of the ledger: the request writer, the key store, the CLI.

#include <string>

#include "sluice/config/config.h"

namespace sluice::config {

// The URL, or empty with `error` set: the ledger is not postgres, the variable is unset
// or empty, the file cannot be read or is empty.
std::string resolve_ledger_url(const Ledger& ledger, std::string& error);

}  // namespace sluice::config
