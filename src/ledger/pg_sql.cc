#include "pg_sql.h"

#include <cstdio>

namespace sluice::ledger::pg {

const char* const kMigrateSql = R"sql(
SELECT pg_advisory_xact_lock(7483921650012);
CREATE TABLE IF NOT EXISTS sluice_schema_version (version INTEGER NOT NULL);
INSERT INTO sluice_schema_version (version)
  SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM sluice_schema_version);
CREATE TABLE IF NOT EXISTS requests (
  row_id           TEXT    PRIMARY KEY,
  request_id       TEXT    NOT NULL,
  ts_ms            BIGINT  NOT NULL,
  key_id           TEXT    NOT NULL,
  project          TEXT    NOT NULL,
  model            TEXT    NOT NULL,
  provider         TEXT    NOT NULL,
  upstream_model   TEXT    NOT NULL,
  stream           SMALLINT NOT NULL,
  status           INTEGER NOT NULL,
  outcome          TEXT    NOT NULL,
  input_tokens     BIGINT  NOT NULL,
  output_tokens    BIGINT  NOT NULL,
  cached_tokens    BIGINT  NOT NULL,
  reasoning_tokens BIGINT  NOT NULL,
  usage_source     TEXT    NOT NULL,
  cost_nusd        BIGINT  NOT NULL,
  latency_ms       BIGINT  NOT NULL,
  ttft_ms          BIGINT,
  attempts         INTEGER NOT NULL,
  error_class      TEXT    NOT NULL DEFAULT '',
  upstream_request_id TEXT NOT NULL DEFAULT '',
  cost_usd         NUMERIC GENERATED ALWAYS AS (cost_nusd::numeric / 1000000000) STORED,
  overhead_us      BIGINT,
  instance         TEXT    NOT NULL DEFAULT ''
);
ALTER TABLE requests ADD COLUMN IF NOT EXISTS error_class TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN IF NOT EXISTS upstream_request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN IF NOT EXISTS overhead_us BIGINT;
ALTER TABLE requests ADD COLUMN IF NOT EXISTS instance TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS requests_ts_ms ON requests (ts_ms);
)sql";

const char* const kDeleteBeforeSql =
    "DELETE FROM requests WHERE row_id IN "
    "(SELECT row_id FROM requests WHERE ts_ms < $1 LIMIT $2)";

#define SLUICE_LEDGER_COLUMNS                                                                  \
  "row_id, request_id, ts_ms, key_id, project, model, provider, upstream_model, stream, "      \
  "status, outcome, input_tokens, output_tokens, cached_tokens, reasoning_tokens, "            \
  "usage_source, cost_nusd, latency_ms, ttft_ms, attempts, error_class, upstream_request_id, " \
  "overhead_us, instance"

const char* const kStageSql =
    "CREATE TEMP TABLE IF NOT EXISTS requests_in (row_id TEXT, request_id TEXT, ts_ms BIGINT, "
    "key_id TEXT, project TEXT, model TEXT, provider TEXT, upstream_model TEXT, stream SMALLINT, "
    "status INTEGER, outcome TEXT, input_tokens BIGINT, output_tokens BIGINT, "
    "cached_tokens BIGINT, reasoning_tokens BIGINT, usage_source TEXT, cost_nusd BIGINT, "
    "latency_ms BIGINT, ttft_ms BIGINT, attempts INTEGER, error_class TEXT, "
    "upstream_request_id TEXT, overhead_us BIGINT, instance TEXT) ON COMMIT DELETE ROWS";

const char* const kCopySql = "COPY requests_in (" SLUICE_LEDGER_COLUMNS ") FROM STDIN";

const char* const kMergeSql =
    "INSERT INTO requests (" SLUICE_LEDGER_COLUMNS ") SELECT " SLUICE_LEDGER_COLUMNS
    " FROM requests_in ON CONFLICT (row_id) DO NOTHING";
#undef SLUICE_LEDGER_COLUMNS

namespace {

// Length of the valid UTF-8 sequence at text[i], or 0 (overlongs, surrogates and code
// points past U+10FFFF are invalid, as PostgreSQL holds them).
size_t utf8_length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c != 0 && c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if ((c & 0xe0) == 0xc0) {
    n = 2;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 3;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  const uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

void append_text(std::string& out, std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c > 0 && static_cast<unsigned char>(c) < 0x80) {
      switch (c) {
        case '\\':
          out += "\\\\";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        default:
          out += c;
      }
      ++i;
      continue;
    }
    const size_t n = utf8_length(text, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
}

void append_number(std::string& out, int64_t value) {
  char digits[24];
  const int n = std::snprintf(digits, sizeof digits, "%lld", static_cast<long long>(value));
  out.append(digits, static_cast<size_t>(n));
}

}  // namespace

void append_copy_row(std::string& out, std::string_view row_id, const Record& r) {
  append_text(out, row_id);
  out += '\t';
  append_text(out, r.request_id);
  out += '\t';
  append_number(out, r.ts_ms);
  for (const std::string* s : {&r.key_id, &r.project, &r.model, &r.provider, &r.upstream_model}) {
    out += '\t';
    append_text(out, *s);
  }
  out += r.stream ? "\t1\t" : "\t0\t";
  append_number(out, r.status);
  out += '\t';
  append_text(out, to_text(r.outcome));
  for (uint32_t n : {r.input_tokens, r.output_tokens, r.cached_tokens, r.reasoning_tokens}) {
    out += '\t';
    append_number(out, n);
  }
  out += '\t';
  append_text(out, to_text(r.usage_source));
  out += '\t';
  append_number(out, r.cost_nusd);
  out += '\t';
  append_number(out, r.latency_ms);
  out += '\t';
  if (r.ttft_ms < 0) {
    out += "\\N";
  } else {
    append_number(out, r.ttft_ms);
  }
  out += '\t';
  append_number(out, r.attempts);
  out += '\t';
  append_text(out, r.error_class);
  out += '\t';
  append_text(out, r.upstream_request_id);
  out += '\t';
  if (r.overhead_us < 0) {
    out += "\\N";
  } else {
    append_number(out, r.overhead_us);
  }
  out += '\t';
  append_text(out, r.instance);
  out += '\n';
}

std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t n = utf8_length(text, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace sluice::ledger::pg
