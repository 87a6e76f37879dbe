#include "pg_sql.h"

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
  cost_usd         NUMERIC GENERATED ALWAYS AS (cost_nusd::numeric / 1000000000) STORED
);
ALTER TABLE requests ADD COLUMN IF NOT EXISTS error_class TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN IF NOT EXISTS upstream_request_id TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS requests_ts_ms ON requests (ts_ms);
)sql";

const char* const kDeleteBeforeSql =
    "DELETE FROM requests WHERE row_id IN "
    "(SELECT row_id FROM requests WHERE ts_ms < $1 LIMIT $2)";

std::string insert_sql(size_t rows) {
  std::string sql =
      "INSERT INTO requests (row_id, request_id, ts_ms, key_id, project, model, provider, "
      "upstream_model, stream, status, outcome, input_tokens, output_tokens, cached_tokens, "
      "reasoning_tokens, usage_source, cost_nusd, latency_ms, ttft_ms, attempts, error_class, "
      "upstream_request_id) VALUES ";
  sql.reserve(sql.size() + rows * kColumnsPerRow * 7);
  size_t param = 1;
  for (size_t row = 0; row < rows; ++row) {
    sql += row ? ",(" : "(";
    for (size_t column = 0; column < kColumnsPerRow; ++column) {
      if (column) sql += ',';
      sql += '$';
      sql += std::to_string(param++);
    }
    sql += ')';
  }
  sql += " ON CONFLICT (row_id) DO NOTHING";
  return sql;
}

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

}  // namespace

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
