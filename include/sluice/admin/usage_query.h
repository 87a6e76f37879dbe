#pragma once
// GET /admin/usage?from=&to=&group_by=: the query string, read and checked.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/ledger/usage_report.h"

namespace sluice::admin {

struct UsageQuery {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::vector<std::string> group_by;
  ledger::UsageFilter filter;
  std::string error;  // non-empty: a 400 with this message
};

// from / to: Unix milliseconds, or a UTC date (YYYY-MM-DD) or date-time
// (YYYY-MM-DDTHH:MM:SSZ). Defaults: from 0, to `now_ms` + 1. group_by: comma-separated
// names among project, model, key, provider, day. project= model= key= provider=
// filter the rows.
UsageQuery parse_usage_query(std::string_view query, int64_t now_ms);

// Parses the time forms above; false when `text` is none of them.
bool parse_time_ms(std::string_view text, int64_t& out);

// Percent-decoding of a query value ('+' as space).
std::string url_decode(std::string_view s);

}  // namespace sluice::admin
