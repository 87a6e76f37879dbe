#include "sluice/ledger/ledger.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "temp_dir.h"

namespace sluice::ledger {
namespace {

using testing::kNeverMs;
using testing::ledger_config;
using testing::make_record;
using testing::RawDb;
using testing::TempDir;

TEST(LedgerSchema, HasEveryContractColumnAndErrorClass) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db")), 1);
  RawDb db(dir.file("l.db"));
  std::set<std::string> columns;
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db.get(), "SELECT name FROM pragma_table_xinfo('requests')", -1,
                               &stmt, nullptr),
            SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    columns.insert(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  const std::set<std::string> expected = {"request_id",
                                          "ts_ms",
                                          "key_id",
                                          "project",
                                          "model",
                                          "provider",
                                          "upstream_model",
                                          "stream",
                                          "status",
                                          "outcome",
                                          "input_tokens",
                                          "output_tokens",
                                          "cached_tokens",
                                          "reasoning_tokens",
                                          "usage_source",
                                          "cost_nusd",
                                          "latency_ms",
                                          "ttft_ms",
                                          "attempts",
                                          "error_class",
                                          "upstream_request_id",
                                          "cost_usd",
                                          "overhead_us",
                                          "instance"};
  EXPECT_EQ(columns, expected);
}

TEST(LedgerSchema, IsVersionedWalWithAnIndexOnTimestamp) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db")), 1);
  RawDb db(dir.file("l.db"));
  EXPECT_EQ(db.integer("PRAGMA user_version"), 5);
  EXPECT_EQ(db.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(db.text("SELECT name FROM pragma_index_info('requests_ts_ms')"), "ts_ms");
}

TEST(LedgerSchema, CreatesTheDatabaseDirectory) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("data/nested/l.db")), 1);
  EXPECT_EQ(RawDb(dir.file("data/nested/l.db")).integer("PRAGMA user_version"), 5);
}

TEST(LedgerSchema, ANewLedgerIsReadableByItsOwnerOnlyWhateverTheUmask) {
  TempDir dir;
  const mode_t old = umask(0);
  { Ledger ledger(ledger_config(dir.file("l.db")), 1); }
  umask(old);
  struct stat st {};
  ASSERT_EQ(stat(dir.file("l.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(LedgerSchema, AnExistingLedgerKeepsItsMode) {
  TempDir dir;
  { Ledger ledger(ledger_config(dir.file("l.db")), 1); }
  ASSERT_EQ(chmod(dir.file("l.db").c_str(), 0640), 0);
  { Ledger ledger(ledger_config(dir.file("l.db")), 1); }
  struct stat st {};
  ASSERT_EQ(stat(dir.file("l.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(LedgerSchema, AVersionOneLedgerGainsUpstreamRequestIdAndKeepsItsRows) {
  TempDir dir;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("l.db").c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
    ASSERT_EQ(
        sqlite3_exec(db.get(),
                     "CREATE TABLE requests (request_id TEXT NOT NULL, ts_ms INTEGER NOT NULL, "
                     "key_id TEXT NOT NULL, project TEXT NOT NULL, model TEXT NOT NULL, "
                     "provider TEXT NOT NULL, upstream_model TEXT NOT NULL, stream INTEGER "
                     "NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL, input_tokens "
                     "INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER "
                     "NOT NULL, reasoning_tokens INTEGER NOT NULL, usage_source TEXT NOT "
                     "NULL, cost_usd REAL NOT NULL, latency_ms INTEGER NOT NULL, ttft_ms "
                     "INTEGER, attempts INTEGER NOT NULL, error_class TEXT NOT NULL DEFAULT "
                     "''); INSERT INTO requests VALUES ('old', 1, 'k', 'p', 'm', 'pr', 'um', "
                     "0, 200, 'ok', 1, 2, 0, 0, 'provider', 0.5, 3, 4, 1, ''); "
                     "PRAGMA user_version=1;",
                     nullptr, nullptr, nullptr),
        SQLITE_OK);
  }
  Ledger ledger(ledger_config(dir.file("l.db")), 1);
  Record r = make_record("new");
  r.upstream_request_id = "req_provider_7";
  ledger.queue(0).submit(std::move(r));
  ASSERT_TRUE(ledger.flush());
  RawDb db(dir.file("l.db"));
  EXPECT_EQ(db.integer("PRAGMA user_version"), 5);
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM requests"), 2);
  EXPECT_EQ(db.text("SELECT upstream_request_id FROM requests WHERE request_id = 'old'"), "");
  EXPECT_EQ(db.text("SELECT cost_usd FROM requests WHERE request_id = 'old'"), "0.5");
  EXPECT_EQ(db.integer("SELECT cost_nusd FROM requests WHERE request_id = 'old'"), 500'000'000);
  EXPECT_EQ(db.text("SELECT upstream_request_id FROM requests WHERE request_id = 'new'"),
            "req_provider_7");
}

// The table exactly as version 2 created it, with costs as the old code wrote them:
// doubles, some of them sums that drifted off the decimal the prices meant.
constexpr const char* kVersionTwoLedger = R"sql(
CREATE TABLE requests (
  request_id TEXT NOT NULL, ts_ms INTEGER NOT NULL, key_id TEXT NOT NULL,
  project TEXT NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL,
  upstream_model TEXT NOT NULL, stream INTEGER NOT NULL, status INTEGER NOT NULL,
  outcome TEXT NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL,
  usage_source TEXT NOT NULL, cost_usd REAL NOT NULL, latency_ms INTEGER NOT NULL,
  ttft_ms INTEGER, attempts INTEGER NOT NULL, error_class TEXT NOT NULL DEFAULT '',
  upstream_request_id TEXT NOT NULL DEFAULT '');
CREATE INDEX requests_ts_ms ON requests (ts_ms);
INSERT INTO requests VALUES
  ('a', 3, 'k', 'p', 'm', 'pr', 'um', 0, 200, 'ok', 14, 37, 0, 0, 'provider',
   0.0000243, 5, 4, 1, '', 'up-a'),
  ('b', 1, 'k', 'p', 'm', 'pr', 'um', 1, 200, 'ok', 1, 2, 0, 0, 'provider',
   0.1 + 0.2, 5, NULL, 1, '', ''),
  ('c', 2, 'k2', 'q', 'm', 'pr', 'um', 0, 502, 'upstream_error', 0, 0, 0, 0, 'provider',
   12.070691999995076, 5, 4, 3, 'upstream_5xx', ''),
  ('d', 4, 'k', 'p', 'm', 'pr', 'um', 0, 429, 'rejected', 0, 0, 0, 0, 'provider',
   0, 0, NULL, 0, 'rate_limited', '');
PRAGMA user_version=2;
)sql";

TEST(LedgerSchema, AVersionTwoLedgerIsConvertedToNanoDollarsKeepingEveryRow) {
  TempDir dir;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("l.db").c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
    ASSERT_EQ(sqlite3_exec(db.get(), kVersionTwoLedger, nullptr, nullptr, nullptr), SQLITE_OK);
  }
  {
    Ledger ledger(ledger_config(dir.file("l.db")), 1);
    Record r = make_record("new");
    r.cost_nusd = 24'300;
    ledger.queue(0).submit(std::move(r));
    ASSERT_TRUE(ledger.flush());
  }
  RawDb db(dir.file("l.db"));
  EXPECT_EQ(db.integer("PRAGMA user_version"), 5);
  // Every row, in its old order, each cost rounded to the nearest nano-USD.
  EXPECT_EQ(db.text("SELECT group_concat(request_id || '=' || cost_nusd, ' ') FROM "
                    "(SELECT request_id, cost_nusd FROM requests ORDER BY rowid)"),
            "a=24300 b=300000000 c=12070692000 d=0 new=24300");
  // The other columns came across untouched.
  EXPECT_EQ(db.text("SELECT ts_ms || '|' || stream || '|' || status || '|' || outcome || '|' || "
                    "input_tokens || '|' || output_tokens || '|' || IFNULL(ttft_ms, 'null') || "
                    "'|' || attempts || '|' || error_class || '|' || upstream_request_id "
                    "FROM requests WHERE request_id = 'c'"),
            "2|0|502|upstream_error|0|0|4|3|upstream_5xx|");
  EXPECT_EQ(db.text("SELECT IFNULL(ttft_ms, 'null') FROM requests WHERE request_id = 'b'"), "null");
  EXPECT_EQ(db.text("SELECT upstream_request_id FROM requests WHERE request_id = 'a'"), "up-a");
  // cost_usd is still there for old queries, now derived from the integer.
  EXPECT_EQ(db.text("SELECT cost_usd FROM requests WHERE request_id = 'b'"), "0.3");
  EXPECT_EQ(db.integer("SELECT SUM(cost_nusd) FROM requests WHERE project = 'p'"), 300'048'600);
  EXPECT_EQ(db.text("SELECT name FROM pragma_index_info('requests_ts_ms')"), "ts_ms");
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'requests_v%'"), 0);
}

TEST(LedgerSchema, ANanoDollarLedgerIsNotConvertedAgain) {
  TempDir dir;
  {
    Ledger ledger(ledger_config(dir.file("l.db")), 1);
    Record r = make_record("kept");
    r.cost_nusd = 7;
    ledger.queue(0).submit(std::move(r));
    ASSERT_TRUE(ledger.flush());
  }
  { Ledger reopened(ledger_config(dir.file("l.db")), 1); }
  RawDb db(dir.file("l.db"));
  EXPECT_EQ(db.integer("SELECT cost_nusd FROM requests"), 7);
  EXPECT_EQ(db.integer("PRAGMA user_version"), 5);
}

// The table exactly as version 3 created it (cost_nusd, no overhead_us).
constexpr const char* kVersionThreeLedger = R"sql(
CREATE TABLE requests (
  request_id       TEXT    NOT NULL,
  ts_ms            INTEGER NOT NULL,
  key_id           TEXT    NOT NULL,
  project          TEXT    NOT NULL,
  model            TEXT    NOT NULL,
  provider         TEXT    NOT NULL,
  upstream_model   TEXT    NOT NULL,
  stream           INTEGER NOT NULL,
  status           INTEGER NOT NULL,
  outcome          TEXT    NOT NULL,
  input_tokens     INTEGER NOT NULL,
  output_tokens    INTEGER NOT NULL,
  cached_tokens    INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  usage_source     TEXT    NOT NULL,
  cost_nusd        INTEGER NOT NULL,
  latency_ms       INTEGER NOT NULL,
  ttft_ms          INTEGER,
  attempts         INTEGER NOT NULL,
  error_class      TEXT    NOT NULL DEFAULT '',
  upstream_request_id TEXT NOT NULL DEFAULT '',
  cost_usd         REAL    GENERATED ALWAYS AS (cost_nusd / 1e9) VIRTUAL
);
CREATE INDEX requests_ts_ms ON requests (ts_ms);
INSERT INTO requests (request_id, ts_ms, key_id, project, model, provider, upstream_model,
  stream, status, outcome, input_tokens, output_tokens, cached_tokens, reasoning_tokens,
  usage_source, cost_nusd, latency_ms, ttft_ms, attempts, error_class, upstream_request_id)
VALUES
  ('a', 3, 'k', 'p', 'm', 'pr', 'um', 0, 200, 'ok', 14, 37, 0, 0, 'provider',
   24300, 5, 4, 1, '', 'up-a'),
  ('b', 1, 'k', 'p', 'm', 'pr', 'um', 1, 200, 'ok', 1, 2, 0, 0, 'provider',
   300000000, 9, NULL, 1, '', ''),
  ('c', 4, 'k', 'p', 'm', 'pr', 'um', 0, 429, 'rejected', 0, 0, 0, 0, 'provider',
   0, 0, NULL, 0, 'rate_limited', '');
PRAGMA user_version=3;
)sql";

TEST(LedgerSchema, AVersionThreeLedgerGainsOverheadAndKeepsEveryRow) {
  TempDir dir;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("l.db").c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
    ASSERT_EQ(sqlite3_exec(db.get(), kVersionThreeLedger, nullptr, nullptr, nullptr), SQLITE_OK);
  }
  {
    Ledger ledger(ledger_config(dir.file("l.db")), 1);
    Record r = make_record("new");
    r.overhead_us = 2;
    ledger.queue(0).submit(std::move(r));
    ASSERT_TRUE(ledger.flush());
  }
  RawDb db(dir.file("l.db"));
  EXPECT_EQ(db.integer("PRAGMA user_version"), 5);
  // Every old row, untouched and in its order, with no overhead measured; then the new one.
  EXPECT_EQ(db.text("SELECT group_concat(request_id || '|' || ts_ms || '|' || status || '|' || "
                    "outcome || '|' || cost_nusd || '|' || cost_usd || '|' || latency_ms || '|' "
                    "|| IFNULL(ttft_ms, 'null') || '|' || attempts || '|' || error_class || '|' "
                    "|| upstream_request_id || '|' || IFNULL(overhead_us, 'null'), ' ') FROM "
                    "(SELECT * FROM requests ORDER BY rowid)"),
            "a|3|200|ok|24300|2.43e-05|5|4|1||up-a|null "
            "b|1|200|ok|300000000|0.3|9|null|1|||null "
            "c|4|429|rejected|0|0.0|0|null|0|rate_limited||null "
            "new|1000|200|ok|0|0.0|0|null|0|||2");
  EXPECT_EQ(db.text("SELECT name FROM pragma_index_info('requests_ts_ms')"), "ts_ms");
  // Opening it again changes nothing.
  { Ledger reopened(ledger_config(dir.file("l.db")), 1); }
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM requests"), 4);
}

// A version 4 table (overhead_us, no instance) with rows written before fleets named them.
constexpr const char* kVersionFourLedger = R"sql(
CREATE TABLE requests (
  request_id       TEXT    NOT NULL,
  ts_ms            INTEGER NOT NULL,
  key_id           TEXT    NOT NULL,
  project          TEXT    NOT NULL,
  model            TEXT    NOT NULL,
  provider         TEXT    NOT NULL,
  upstream_model   TEXT    NOT NULL,
  stream           INTEGER NOT NULL,
  status           INTEGER NOT NULL,
  outcome          TEXT    NOT NULL,
  input_tokens     INTEGER NOT NULL,
  output_tokens    INTEGER NOT NULL,
  cached_tokens    INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  usage_source     TEXT    NOT NULL,
  cost_nusd        INTEGER NOT NULL,
  latency_ms       INTEGER NOT NULL,
  ttft_ms          INTEGER,
  attempts         INTEGER NOT NULL,
  error_class      TEXT    NOT NULL DEFAULT '',
  upstream_request_id TEXT NOT NULL DEFAULT '',
  cost_usd         REAL    GENERATED ALWAYS AS (cost_nusd / 1e9) VIRTUAL,
  overhead_us      INTEGER
);
CREATE INDEX requests_ts_ms ON requests (ts_ms);
INSERT INTO requests (request_id, ts_ms, key_id, project, model, provider, upstream_model,
  stream, status, outcome, input_tokens, output_tokens, cached_tokens, reasoning_tokens,
  usage_source, cost_nusd, latency_ms, ttft_ms, attempts, error_class, upstream_request_id,
  overhead_us)
VALUES
  ('a', 3, 'k', 'p', 'm', 'pr', 'um', 0, 200, 'ok', 14, 37, 0, 0, 'provider',
   24300, 5, 4, 1, '', 'up-a', 12),
  ('b', 1, 'k', 'p', 'm', 'pr', 'um', 1, 200, 'ok', 1, 2, 0, 0, 'provider',
   300000000, 9, NULL, 1, '', '', NULL);
PRAGMA user_version=4;
)sql";

TEST(LedgerSchema, AVersionFourLedgerGainsInstanceAndKeepsEveryRow) {
  TempDir dir;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("l.db").c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
    ASSERT_EQ(sqlite3_exec(db.get(), kVersionFourLedger, nullptr, nullptr, nullptr), SQLITE_OK);
  }
  {
    LedgerOptions options;
    options.instance = "gw-a";
    Ledger ledger(ledger_config(dir.file("l.db")), 1, options);
    Record r = make_record("new");
    r.overhead_us = 2;
    ledger.queue(0).submit(std::move(r));
    ASSERT_TRUE(ledger.flush());
  }
  RawDb db(dir.file("l.db"));
  EXPECT_EQ(db.integer("PRAGMA user_version"), 5);
  // Old rows keep every value and name no instance; the new one names its own.
  EXPECT_EQ(db.text("SELECT group_concat(request_id || '|' || ts_ms || '|' || cost_nusd || '|' "
                    "|| upstream_request_id || '|' || IFNULL(overhead_us, 'null') || '|' || "
                    "instance, ' ') FROM (SELECT * FROM requests ORDER BY rowid)"),
            "a|3|24300|up-a|12| b|1|300000000||null| new|1000|0||2|gw-a");
  { Ledger reopened(ledger_config(dir.file("l.db")), 1); }
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM requests"), 3);
}

TEST(Ledger, WithoutAFleetRowsNameNoInstance) {
  TempDir dir;
  {
    Ledger ledger(ledger_config(dir.file("l.db")), 1);
    ledger.queue(0).submit(make_record("solo"));
    ASSERT_TRUE(ledger.flush());
  }
  EXPECT_EQ(RawDb(dir.file("l.db")).text("SELECT '[' || instance || ']' FROM requests"), "[]");
}

TEST(Ledger, SpendOfOneInstanceCountsOnlyItsRows) {
  TempDir dir;
  for (const char* instance : {"gw-a", "gw-b"}) {
    LedgerOptions options;
    options.instance = instance;
    Ledger ledger(ledger_config(dir.file("l.db")), 1, options);
    Record r = make_record(instance, 5'000);
    r.cost_nusd = instance[3] == 'a' ? 100 : 20;
    ledger.queue(0).submit(std::move(r));
    ASSERT_TRUE(ledger.flush());
  }
  Ledger ledger(ledger_config(dir.file("l.db")), 1);
  const Spend all = ledger.spend_since(0);
  const Spend a = ledger.spend_since(0, "gw-a");
  const Spend b = ledger.spend_since(0, "gw-b");
  const Spend nobody = ledger.spend_since(0, "gw-c");
  ASSERT_TRUE(all.ok && a.ok && b.ok && nobody.ok) << all.error << a.error;
  EXPECT_EQ(all.by_project.at("p"), 120);
  EXPECT_EQ(a.by_project.at("p"), 100);
  EXPECT_EQ(b.by_project.at("p"), 20);
  EXPECT_TRUE(nobody.by_project.empty());
}

TEST(Ledger, ASqliteLedgersRowsFromBeforeInstanceNamesCountForItsInstance) {
  TempDir dir;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("l.db").c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
    ASSERT_EQ(sqlite3_exec(db.get(), kVersionFourLedger, nullptr, nullptr, nullptr), SQLITE_OK);
  }
  LedgerOptions options;
  options.instance = "gw-a";
  Ledger ledger(ledger_config(dir.file("l.db")), 1, options);
  Record r = make_record("new");
  r.cost_nusd = 7;
  ledger.queue(0).submit(std::move(r));
  ASSERT_TRUE(ledger.flush());
  // The file is gw-a's own: its v4 rows (24300 + 300000000) were gw-a's too.
  const Spend spend = ledger.spend_since(0, "gw-a");
  ASSERT_TRUE(spend.ok) << spend.error;
  EXPECT_EQ(spend.by_project.at("p"), 300024307);
}

TEST(LedgerSchema, ReopeningKeepsTheRows) {
  TempDir dir;
  {
    Ledger ledger(ledger_config(dir.file("l.db")), 1);
    ledger.queue(0).submit(make_record("a"));
  }
  Ledger ledger(ledger_config(dir.file("l.db")), 1);
  ledger.queue(0).submit(make_record("b"));
  ASSERT_TRUE(ledger.flush());
  EXPECT_EQ(RawDb(dir.file("l.db")).integer("SELECT COUNT(*) FROM requests"), 2);
}

TEST(LedgerSchema, RefusesADatabaseFromANewerSchema) {
  TempDir dir;
  { Ledger ledger(ledger_config(dir.file("l.db")), 1); }
  ASSERT_EQ(sqlite3_exec(RawDb(dir.file("l.db")).get(), "PRAGMA user_version=6", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  EXPECT_THROW(Ledger(ledger_config(dir.file("l.db")), 1), std::runtime_error);
}

TEST(Ledger, EveryRecordFieldLandsInItsColumn) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db")), 1);
  Record r;
  r.request_id = "req-1";
  r.ts_ms = 1'795'000'000'123;
  r.key_id = "support-bot";
  r.project = "customer-support";
  r.model = "gpt-4o";
  r.provider = "openai";
  r.upstream_model = "gpt-4o-2024-08-06";
  r.stream = true;
  r.status = 499;
  r.outcome = Outcome::client_cancelled;
  r.input_tokens = 1200;
  r.output_tokens = 340;
  r.cached_tokens = 1024;
  r.reasoning_tokens = 64;
  r.usage_source = UsageSource::estimated;
  r.cost_nusd = 125'000'000;
  r.latency_ms = 2500;
  r.ttft_ms = 180;
  r.attempts = 2;
  r.error_class = "upstream_timeout";
  r.upstream_request_id = "req_abc123";
  r.overhead_us = 3;
  ledger.queue(0).submit(std::move(r));
  ASSERT_TRUE(ledger.flush());
  RawDb db(dir.file("l.db"));
  EXPECT_EQ(
      db.text(
          "SELECT request_id || '|' || ts_ms || '|' || key_id || '|' || project || '|' "
          "|| model || '|' || provider || '|' || upstream_model || '|' || stream || '|' "
          "|| status || '|' || outcome || '|' || input_tokens || '|' || output_tokens "
          "|| '|' || cached_tokens || '|' || reasoning_tokens || '|' || usage_source || "
          "'|' || cost_nusd || '|' || cost_usd || '|' || latency_ms || '|' || ttft_ms || '|' "
          "|| attempts || "
          "'|' || error_class || '|' || upstream_request_id || '|' || overhead_us FROM requests"),
      "req-1|1795000000123|support-bot|customer-support|gpt-4o|openai|gpt-4o-2024-08-06|1|"
      "499|client_cancelled|1200|340|1024|64|estimated|125000000|0.125|2500|180|2|upstream_timeout|"
      "req_abc123|3");
}

// Rows go in sixteen to an INSERT, the rest one by one: every row of a batch of 37 (two
// full groups and five more) lands once, in order, each field in its own row.
TEST(Ledger, ABatchOfManyRowsLandsRowByRowInOrder) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db")), 1);
  for (int i = 0; i < 37; ++i) {
    Record r = make_record("row-" + std::to_string(i));
    r.input_tokens = static_cast<uint32_t>(1000 + i);
    r.ttft_ms = i % 3 == 0 ? -1 : i;
    r.project = i % 2 ? "odd" : "even";
    ledger.queue(0).submit(std::move(r));
  }
  ASSERT_TRUE(ledger.flush());
  RawDb db(dir.file("l.db"));
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM requests"), 37);
  std::string want;
  for (int i = 0; i < 37; ++i) {
    if (i) want += ' ';
    want += "row-" + std::to_string(i) + ":" + std::to_string(1000 + i) + ":" +
            (i % 3 == 0 ? std::string("null") : std::to_string(i)) + ":" + (i % 2 ? "odd" : "even");
  }
  EXPECT_EQ(db.text("SELECT group_concat(request_id || ':' || input_tokens || ':' || "
                    "IFNULL(ttft_ms, 'null') || ':' || project, ' ') "
                    "FROM (SELECT * FROM requests ORDER BY rowid)"),
            want);
}

TEST(Ledger, NoFirstByteIsStoredAsNullTtft) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db")), 1);
  Record r = make_record("rejected-early");
  r.outcome = Outcome::rejected;
  r.status = 429;
  r.error_class = "rate_limited";
  ledger.queue(0).submit(std::move(r));
  ASSERT_TRUE(ledger.flush());
  EXPECT_EQ(RawDb(dir.file("l.db")).integer("SELECT COUNT(*) FROM requests WHERE ttft_ms IS NULL"),
            1);
}

TEST(Ledger, ARequestNeverDispatchedIsStoredAsNullOverhead) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db")), 1);
  Record refused = make_record("refused");
  refused.status = 429;
  refused.attempts = 0;
  ledger.queue(0).submit(std::move(refused));
  Record proxied = make_record("proxied");
  proxied.overhead_us = 0;
  ledger.queue(0).submit(std::move(proxied));
  ASSERT_TRUE(ledger.flush());
  RawDb db(dir.file("l.db"));
  EXPECT_EQ(db.text("SELECT group_concat(request_id || '=' || IFNULL(overhead_us, 'null'), ' ') "
                    "FROM (SELECT request_id, overhead_us FROM requests ORDER BY rowid)"),
            "refused=null proxied=0");
}

TEST(Ledger, RecordsFromSeveralShardThreadsArriveExactlyOnce) {
  constexpr int kShards = 4;
  constexpr int kPerShard = 20'000;
  TempDir dir;
  // Queues large enough that nothing overflows: every record must be queued.
  Ledger ledger(ledger_config(dir.file("l.db"), /*flush_ms=*/5, /*queue_capacity=*/32768), kShards);
  std::vector<std::thread> shards;
  std::atomic<int> not_queued{0};
  for (int s = 0; s < kShards; ++s) {
    shards.emplace_back([&, s] {
      for (int i = 0; i < kPerShard; ++i) {
        Record r = make_record(std::to_string(s) + "-" + std::to_string(i));
        if (ledger.queue(s).submit(std::move(r)) != Submitted::queued) ++not_queued;
      }
    });
  }
  for (auto& t : shards) t.join();
  ASSERT_TRUE(ledger.flush());
  EXPECT_EQ(not_queued.load(), 0);
  RawDb db(dir.file("l.db"));
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM requests"), kShards * kPerShard);
  EXPECT_EQ(db.integer("SELECT COUNT(DISTINCT request_id) FROM requests"), kShards * kPerShard);
  EXPECT_EQ(ledger.rows_written(), static_cast<uint64_t>(kShards * kPerShard));
}

TEST(Ledger, UnderContentionEveryAcceptedRecordArrivesOnceAndEveryLossIsCounted) {
  constexpr int kShards = 4;
  constexpr int kPerShard = 20'000;
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db"), /*flush_ms=*/1, /*queue_capacity=*/16), kShards,
                LedgerOptions{.overflow_capacity = 64});
  std::vector<std::thread> shards;
  std::atomic<int> dropped{0};
  for (int s = 0; s < kShards; ++s) {
    shards.emplace_back([&, s] {
      for (int i = 0; i < kPerShard; ++i) {
        if (ledger.queue(s).submit(make_record(std::to_string(s) + "-" + std::to_string(i))) ==
            Submitted::dropped) {
          ++dropped;
        }
      }
    });
  }
  for (auto& t : shards) t.join();
  ASSERT_TRUE(ledger.flush());
  RawDb db(dir.file("l.db"));
  const int64_t rows = db.integer("SELECT COUNT(*) FROM requests");
  EXPECT_EQ(db.integer("SELECT COUNT(DISTINCT request_id) FROM requests"), rows);
  EXPECT_EQ(rows + dropped.load(), kShards * kPerShard);
  EXPECT_EQ(ledger.dropped(), static_cast<uint64_t>(dropped.load()));
}

TEST(Ledger, OneBatchIsOneTransaction) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db"), kNeverMs, 4096), 2,
                LedgerOptions{.early_wake = false});
  for (int i = 0; i < 1000; ++i) ledger.queue(i % 2).submit(make_record(std::to_string(i)));
  ASSERT_TRUE(ledger.flush());
  EXPECT_EQ(ledger.batches(), 1u);
  EXPECT_EQ(ledger.transactions(), 1u);
  EXPECT_EQ(ledger.rows_written(), 1000u);
  EXPECT_EQ(RawDb(dir.file("l.db")).integer("SELECT COUNT(*) FROM requests"), 1000);
}

TEST(Ledger, FlushWithNothingQueuedWritesNoTransaction) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db"), kNeverMs), 1);
  ASSERT_TRUE(ledger.flush());
  EXPECT_EQ(ledger.transactions(), 0u);
}

TEST(Ledger, StopWritesEverythingStillQueued) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db"), kNeverMs, 1024), 3,
                LedgerOptions{.overflow_capacity = 100, .early_wake = false});
  // Fill every ring and part of the overflow list.
  for (int i = 0; i < 3 * 1024 + 50; ++i) {
    ASSERT_NE(ledger.queue(i % 3).submit(make_record(std::to_string(i))), Submitted::dropped);
  }
  ledger.stop();
  EXPECT_EQ(RawDb(dir.file("l.db")).integer("SELECT COUNT(*) FROM requests"), 3 * 1024 + 50);
}

TEST(Ledger, FullQueueOverflowsThenDropsAndCountsBoth) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db"), kNeverMs, 4), 1,
                LedgerOptions{.overflow_capacity = 8, .early_wake = false});
  std::vector<Submitted> results;
  for (int i = 0; i < 20; ++i) results.push_back(ledger.queue(0).submit(make_record("r")));
  EXPECT_EQ(std::count(results.begin(), results.end(), Submitted::queued), 4);
  EXPECT_EQ(std::count(results.begin(), results.end(), Submitted::overflowed), 8);
  EXPECT_EQ(std::count(results.begin(), results.end(), Submitted::dropped), 8);
  EXPECT_EQ(ledger.overflowed(), 8u);
  EXPECT_EQ(ledger.dropped(), 8u);
  ASSERT_TRUE(ledger.flush());
  EXPECT_EQ(RawDb(dir.file("l.db")).integer("SELECT COUNT(*) FROM requests"), 12);
}

TEST(Ledger, RetentionDeletesRowsOlderThanRetentionDaysInChunks) {
  TempDir dir;
  config::Ledger config = ledger_config(dir.file("l.db"), kNeverMs, 4096);
  config.retention_days = 30;
  Ledger ledger(config, 1, LedgerOptions{.retention_interval_ms = 0});
  const int64_t now = static_cast<int64_t>(std::time(nullptr)) * 1000;
  const int64_t day = 86'400'000;
  for (int i = 0; i < 2500; ++i)  // more than one delete statement's worth
    ASSERT_NE(ledger.queue(0).submit(make_record("old", now - 31 * day)), Submitted::dropped);
  ledger.queue(0).submit(make_record("recent", now - 29 * day));
  ledger.queue(0).submit(make_record("today", now));
  ASSERT_TRUE(ledger.flush());
  // The batch went in, then retention ran on the writer before the flush returned.
  RawDb db(dir.file("l.db"));
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM requests WHERE request_id = 'old'"), 0);
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM requests"), 2);
  EXPECT_EQ(ledger.stats().retention_deleted.load(), 2500u);
}

TEST(Ledger, NoRetentionKeepsEveryRow) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db")), 1, LedgerOptions{.retention_interval_ms = 0});
  ledger.queue(0).submit(make_record("ancient", 1'000));
  ASSERT_TRUE(ledger.flush());
  EXPECT_EQ(RawDb(dir.file("l.db")).integer("SELECT COUNT(*) FROM requests"), 1);
}

TEST(Ledger, FailedWritesAreCountedByCause) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db"), kNeverMs), 1);
  RawDb blocker(dir.file("l.db"));
  ASSERT_EQ(sqlite3_exec(blocker.get(), "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  ledger.queue(0).submit(make_record("waits"));
  EXPECT_FALSE(ledger.flush());
  EXPECT_EQ(ledger.stats().errors[static_cast<size_t>(FailureCause::locked)].load(), 1u);
  EXPECT_STREQ(ledger.state(), "failing");
  ASSERT_EQ(sqlite3_exec(blocker.get(), "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_TRUE(ledger.flush());
  EXPECT_STREQ(ledger.state(), "ok");
}

TEST(Ledger, RefusingOnlyWithTheSwitchAndWhileWritesFail) {
  TempDir dir;
  config::Ledger config = ledger_config(dir.file("l.db"), kNeverMs);
  config.on_failure = config::OnLedgerFailure::refuse;
  Ledger ledger(config, 1);
  EXPECT_FALSE(ledger.refusing());
  RawDb blocker(dir.file("l.db"));
  ASSERT_EQ(sqlite3_exec(blocker.get(), "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  ledger.queue(0).submit(make_record("waits"));
  EXPECT_FALSE(ledger.flush());
  EXPECT_TRUE(ledger.refusing());
  ASSERT_EQ(sqlite3_exec(blocker.get(), "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_TRUE(ledger.flush());
  EXPECT_FALSE(ledger.refusing());
}

TEST(Ledger, PostgresWithoutAUrlIsAStartupErrorNamingTheField) {
  TempDir dir;
  config::Ledger config = ledger_config(dir.file("l.db"));
  config.kind = config::LedgerKind::postgres;
  config.spool = dir.file("spool.db");
  config.url_env = "SLUICE_TEST_NO_SUCH_LEDGER_URL";
  try {
    Ledger ledger(config, 1);
    FAIL() << "started without a URL";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("ledger.url_env"), std::string::npos) << e.what();
  }
}

TEST(Ledger, PostgresUnreachableSpoolsAndKeepsTheRows) {
  TempDir dir;
  config::Ledger config = ledger_config(dir.file("l.db"), kNeverMs);
  config.kind = config::LedgerKind::postgres;
  config.spool = dir.file("spool.db");
  config.url = "postgresql://sluice@127.0.0.1:1/none?connect_timeout=1";  // nobody listens
  {
    Ledger ledger(config, 1);
    ledger.queue(0).submit(make_record("a"));
    Record b = make_record("b");
    b.overhead_us = 7;
    ledger.queue(0).submit(std::move(b));
    EXPECT_TRUE(ledger.flush());  // safe in the spool
    EXPECT_STREQ(ledger.state(), "spooling");
    EXPECT_EQ(ledger.stats().spooled.load(), 2u);
    EXPECT_EQ(ledger.stats().spool_backlog.load(), 2u);
    EXPECT_GE(ledger.stats().errors[static_cast<size_t>(FailureCause::connect)].load(), 1u);
  }
  RawDb spool(dir.file("spool.db"));
  EXPECT_EQ(spool.integer("SELECT COUNT(*) FROM spool"), 2);
  EXPECT_EQ(spool.integer("SELECT COUNT(DISTINCT row_id) FROM spool"), 2);
  EXPECT_EQ(spool.text("SELECT group_concat(request_id || '=' || IFNULL(overhead_us, 'null'), ' ') "
                       "FROM (SELECT * FROM spool ORDER BY seq)"),
            "a=null b=7");
}

TEST(Ledger, ASpoolWrittenBeforeOverheadGainsTheColumnAndKeepsItsRows) {
  TempDir dir;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("spool.db").c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> old(raw, sqlite3_close_v2);
    ASSERT_EQ(
        sqlite3_exec(
            old.get(),
            "CREATE TABLE spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, row_id TEXT NOT NULL, "
            "request_id TEXT NOT NULL, ts_ms INTEGER NOT NULL, key_id TEXT NOT NULL, project TEXT "
            "NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL, upstream_model TEXT NOT NULL, "
            "stream INTEGER NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL, "
            "input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens "
            "INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, usage_source TEXT NOT NULL, "
            "cost_nusd INTEGER NOT NULL, latency_ms INTEGER NOT NULL, ttft_ms INTEGER, attempts "
            "INTEGER NOT NULL, error_class TEXT NOT NULL, upstream_request_id TEXT NOT NULL); "
            "INSERT INTO spool (row_id, request_id, ts_ms, key_id, project, model, provider, "
            "upstream_model, stream, status, outcome, input_tokens, output_tokens, cached_tokens, "
            "reasoning_tokens, usage_source, cost_nusd, latency_ms, ttft_ms, attempts, "
            "error_class, upstream_request_id) VALUES ('r-old', 'old', 1, 'k', 'p', 'm', 'pr', "
            "'um', 0, 200, 'ok', 1, 2, 0, 0, 'provider', 5, 3, 2, 1, '', '');",
            nullptr, nullptr, nullptr),
        SQLITE_OK);
  }
  config::Ledger config = ledger_config(dir.file("l.db"), kNeverMs);
  config.kind = config::LedgerKind::postgres;
  config.spool = dir.file("spool.db");
  config.url = "postgresql://sluice@127.0.0.1:1/none?connect_timeout=1";  // nobody listens
  {
    Ledger ledger(config, 1);
    Record r = make_record("new");
    r.overhead_us = 1;
    ledger.queue(0).submit(std::move(r));
    EXPECT_TRUE(ledger.flush());
  }
  RawDb spool(dir.file("spool.db"));
  EXPECT_EQ(spool.text("SELECT group_concat(request_id || '=' || IFNULL(overhead_us, 'null'), ' ') "
                       "FROM (SELECT * FROM spool ORDER BY seq)"),
            "old=null new=1");
}

TEST(Ledger, ASpoolWrittenBeforeInstanceGainsTheColumnAndKeepsItsRows) {
  TempDir dir;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(dir.file("spool.db").c_str(), &raw), SQLITE_OK);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> old(raw, sqlite3_close_v2);
    ASSERT_EQ(
        sqlite3_exec(
            old.get(),
            "CREATE TABLE spool (seq INTEGER PRIMARY KEY AUTOINCREMENT, row_id TEXT NOT NULL, "
            "request_id TEXT NOT NULL, ts_ms INTEGER NOT NULL, key_id TEXT NOT NULL, project TEXT "
            "NOT NULL, model TEXT NOT NULL, provider TEXT NOT NULL, upstream_model TEXT NOT NULL, "
            "stream INTEGER NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL, "
            "input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens "
            "INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, usage_source TEXT NOT NULL, "
            "cost_nusd INTEGER NOT NULL, latency_ms INTEGER NOT NULL, ttft_ms INTEGER, attempts "
            "INTEGER NOT NULL, error_class TEXT NOT NULL, upstream_request_id TEXT NOT NULL, "
            "overhead_us INTEGER); "
            "INSERT INTO spool (row_id, request_id, ts_ms, key_id, project, model, provider, "
            "upstream_model, stream, status, outcome, input_tokens, output_tokens, cached_tokens, "
            "reasoning_tokens, usage_source, cost_nusd, latency_ms, ttft_ms, attempts, "
            "error_class, upstream_request_id, overhead_us) VALUES ('r-old', 'old', 1, 'k', 'p', "
            "'m', 'pr', 'um', 0, 200, 'ok', 1, 2, 0, 0, 'provider', 5, 3, 2, 1, '', '', 9);",
            nullptr, nullptr, nullptr),
        SQLITE_OK);
  }
  config::Ledger config = ledger_config(dir.file("l.db"), kNeverMs);
  config.kind = config::LedgerKind::postgres;
  config.spool = dir.file("spool.db");
  config.url = "postgresql://sluice@127.0.0.1:1/none?connect_timeout=1";  // nobody listens
  {
    LedgerOptions options;
    options.instance = "gw-b";
    Ledger ledger(config, 1, options);
    ledger.queue(0).submit(make_record("new"));
    EXPECT_TRUE(ledger.flush());
  }
  RawDb spool(dir.file("spool.db"));
  EXPECT_EQ(spool.text("SELECT group_concat(request_id || '=' || IFNULL(overhead_us, 'null') || "
                       "'@' || instance, ' ') FROM (SELECT * FROM spool ORDER BY seq)"),
            "old=9@ new=null@gw-b");
}

TEST(Ledger, SubmitAfterStopIsCountedAsDropped) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db")), 1);
  ledger.stop();
  EXPECT_EQ(ledger.queue(0).submit(make_record("late")), Submitted::dropped);
  EXPECT_EQ(ledger.dropped(), 1u);
}

TEST(Ledger, FailedWriteKeepsTheBatchForTheNextTry) {
  TempDir dir;
  Ledger ledger(ledger_config(dir.file("l.db"), kNeverMs), 1);
  RawDb blocker(dir.file("l.db"));
  // Another writer holds the lock past the ledger's busy timeout.
  ASSERT_EQ(sqlite3_exec(blocker.get(), "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  ledger.queue(0).submit(make_record("waits"));
  EXPECT_FALSE(ledger.flush());
  EXPECT_EQ(ledger.write_errors(), 1u);
  ASSERT_EQ(sqlite3_exec(blocker.get(), "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_TRUE(ledger.flush());
  EXPECT_EQ(blocker.integer("SELECT COUNT(*) FROM requests"), 1);
}

// The child submits and flushes kCommitted records, then keeps submitting (at most
// kMaxSubmitted in all) while its writer commits batches, and is killed halfway.
TEST(Ledger, KilledProcessLeavesADatabaseThatOpensClean) {
  constexpr int kCommitted = 500;
  constexpr int kMaxSubmitted = 400'000;
  TempDir dir;
  const std::string path = dir.file("l.db");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    Ledger ledger(ledger_config(path, /*flush_ms=*/2, /*queue_capacity=*/8192), 1);
    for (int i = 0; i < kCommitted; ++i)
      ledger.queue(0).submit(make_record("c" + std::to_string(i)));
    if (!ledger.flush()) _exit(2);
    for (int i = kCommitted; i < kMaxSubmitted; ++i) {
      ledger.queue(0).submit(make_record("s" + std::to_string(i)));
      // Halfway: the writer is busy with batches, so the kill lands mid-write.
      const char byte = 1;
      if (i == kMaxSubmitted / 2 && write(ready[1], &byte, 1) != 1) _exit(3);
    }
    for (;;) pause();
  }
  close(ready[1]);
  char byte = 0;
  const ssize_t got = read(ready[0], &byte, 1);  // EOF if the child failed
  close(ready[0]);
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(got, 1) << "child exit status " << WEXITSTATUS(status);
  ASSERT_TRUE(WIFSIGNALED(status));

  {
    RawDb db(path);
    EXPECT_EQ(db.text("PRAGMA integrity_check"), "ok");
    EXPECT_EQ(db.integer("SELECT COUNT(*) FROM requests WHERE request_id LIKE 'c%'"), kCommitted);
    const int64_t rows = db.integer("SELECT COUNT(*) FROM requests");
    EXPECT_LE(rows, kMaxSubmitted);
    RecordProperty("rows_after_kill", std::to_string(rows));
  }
  Ledger reopened(ledger_config(path), 1);
  reopened.queue(0).submit(make_record("after-restart"));
  EXPECT_TRUE(reopened.flush());
}

}  // namespace
}  // namespace sluice::ledger
