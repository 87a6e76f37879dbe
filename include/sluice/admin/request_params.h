#pragma once
// GET /admin/requests and GET /admin/latency: the query strings, read and checked. Every
// value ends up bound as an SQL parameter (ledger/request_query.h); here they are only
// decoded and range-checked, so a bad one is a 400 that names it.

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/ledger/request_query.h"

namespace sluice::admin {

struct RequestsParams {
  ledger::RequestPageQuery query;
  std::string error;  // non-empty: a 400 with this message
};

struct LatencyParams {
  ledger::LatencyQuery query;
  std::string error;  // non-empty: a 400 with this message
};

// from / to: as for /admin/usage (Unix ms or a UTC date or date-time); defaults 0 and
// `now_ms` + 1. project= key= model= outcome= error_class= request_id=: exact matches
// (at most 256 bytes each). status=: an HTTP status, 100 to 599. limit=: 1 to
// ledger::kMaxRequestPage, default 100. before=: the `next` of the previous page
// ("<ts_ms>:<key>", the key opaque). An unknown name, or a name given twice, is an error.
RequestsParams parse_requests_params(std::string_view query, int64_t now_ms);

// from / to as above, defaults `now_ms` + 1 - 1 hour and `now_ms` + 1; bucket_ms=: 1000
// or more, default (to - from) / 60 rounded up to a whole second; model=: one model. At
// most ledger::kMaxLatencyBuckets buckets.
LatencyParams parse_latency_params(std::string_view query, int64_t now_ms);

// Parses "<ts_ms>:<key>": ts_ms a non-negative decimal integer, key 1 to
// ledger::kMaxCursorKeyBytes of [0-9A-Za-z._-] (a SQLite rowid or a PostgreSQL row_id;
// which one the ledger checks). False otherwise.
bool parse_request_cursor(std::string_view text, ledger::RequestCursor& out);

}  // namespace sluice::admin
