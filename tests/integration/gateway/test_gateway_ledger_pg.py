"""The ledger in PostgreSQL: a real cluster (pg.py) behind real sluice instances in front
of the real sluice-mock. Two instances share one database and each sees the other's rows;
a database outage spools rows locally and every one of them arrives exactly once when it
returns; a killed instance loses at most what one flush interval held."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
import pg  # noqa: E402

ADMIN = "admin-key-ledger-pg"
PROMPT = [{"role": "user", "content": "Count the stars in the sky, please."}]
# harness.mock_config prices gpt-4o-mini at 0.15 / 0.60 / 0.075 USD per million tokens:
# 150, 600 and 75 nano-USD per token, so every cost is an exact integer.
NANO_IN, NANO_OUT, NANO_CACHED = 150, 600, 75


def nusd(usage):
    inp = usage["prompt_tokens"]
    cached = usage.get("prompt_tokens_details", {}).get("cached_tokens", 0)
    return (inp - cached) * NANO_IN + cached * NANO_CACHED + usage["completion_tokens"] * NANO_OUT


# The schema as version 3 created it (no overhead_us), with two rows.
VERSION_3_SCHEMA = """
CREATE TABLE sluice_schema_version (version INTEGER NOT NULL);
INSERT INTO sluice_schema_version (version) VALUES (3);
CREATE TABLE requests (
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
CREATE INDEX requests_ts_ms ON requests (ts_ms);
INSERT INTO requests (row_id, request_id, ts_ms, key_id, project, model, provider,
  upstream_model, stream, status, outcome, input_tokens, output_tokens, cached_tokens,
  reasoning_tokens, usage_source, cost_nusd, latency_ms, ttft_ms, attempts, error_class,
  upstream_request_id) VALUES
  ('old-a', 'old-1', 1000, 'k', 'default', 'gpt-4o-mini', 'mock', 'u', 0, 200, 'ok',
   14, 37, 0, 0, 'provider', 24300, 7, 3, 1, '', 'up-1'),
  ('old-b', 'old-2', 2000, 'k', 'default', 'gpt-4o-mini', 'mock', 'u', 0, 429, 'rejected',
   0, 0, 0, 0, 'provider', 0, 0, NULL, 0, 'rate_limited', '');
"""

# The schema as version 4 left it (overhead_us, no instance), with the same two rows.
VERSION_4_SCHEMA = (VERSION_3_SCHEMA
                    .replace("VALUES (3);", "VALUES (4);")
                    .replace("STORED\n);", "STORED,\n  overhead_us      BIGINT\n);"))


def chat(port, request_id, timeout=20):
    r = h.http(port, "POST", "/v1/chat/completions", {"model": "gpt-4o-mini", "messages": PROMPT},
               {"x-request-id": request_id}, timeout=timeout)
    return r


def until_refused(port):
    """Requests until one is answered 503 (at most 400); their statuses."""
    statuses = []
    while 503 not in statuses and len(statuses) < 400:
        statuses.append(chat(port, "full-%d" % len(statuses)).status)
        time.sleep(0.005)
    return statuses


def wait_until(predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


class Load:
    """Requests from `threads` client threads until stop(); each answer with its time."""

    def __init__(self, port, prefix, threads=4):
        self.port = port
        self.prefix = prefix
        self.answers = []  # (monotonic time answered, status)
        self.errors = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                         for i in range(threads)]
        for t in self._threads:
            t.start()

    def _run(self, index):
        n = 0
        while not self._stop.is_set():
            n += 1
            try:
                r = chat(self.port, "%s-%d-%d" % (self.prefix, index, n), timeout=10)
                with self._lock:
                    self.answers.append((time.monotonic(), r.status))
            except Exception as e:  # the server went away (kill -9)
                with self._lock:
                    self.errors.append(repr(e))
                if self._stop.is_set():
                    return
                time.sleep(0.01)

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(30)

    def count(self):
        with self._lock:
            return len(self.answers)


class LedgerInPostgres(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = pg.Cluster()
        cls.mock = h.start_mock()

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()
        cls.db.stop()

    def setUp(self):
        self.db.psql(self.db.database, "DROP TABLE IF EXISTS requests; "
                     "DROP TABLE IF EXISTS sluice_schema_version")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.kill()

    def start(self, directory, flush_ms=20, extra_ledger="", projects=None):
        ledger = '"kind": "postgres", "url": "%s", "spool": "%s/spool.db"%s' % (
            self.db.url(), directory, extra_ledger)
        cfg = h.mock_config(self.mock.port, directory, ledger_flush_ms=flush_ms, ledger=ledger,
                            projects=projects)
        p = h.start_sluice(cfg, env={"SLUICE_ADMIN_KEY": ADMIN})
        self.procs.append(p)
        return p

    def ensure_server(self):
        r = self.db._run([os.path.join(self.db.bin, "pg_ctl"), "-D", self.db.data, "status"],
                         check=False)
        if r.returncode != 0:
            self.db.start_server()

    def rows(self, where="true"):
        return int(self.db.query("SELECT count(*) FROM requests WHERE " + where)[0][0])

    def usage(self, port, group_by="project"):
        now_ms = int(time.time() * 1000)
        r = h.http(port, "GET", "/admin/usage?from=%d&to=%d&group_by=%s" % (
            now_ms - 3600_000, now_ms + 3600_000, group_by),
            headers={"authorization": "Bearer " + ADMIN})
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def test_two_instances_share_the_books_exactly(self):
        a = self.start(tempfile.mkdtemp())
        b = self.start(tempfile.mkdtemp())
        n = 25
        expected = 0
        for i in range(n):
            for name, p in (("a", a), ("b", b)):
                r = chat(p.port, "share-%s-%d" % (name, i))
                self.assertEqual(r.status, 200, r.body)
                expected += nusd(r.json()["usage"])
        self.assertTrue(wait_until(lambda: self.rows() >= 2 * n), self.rows())
        self.assertEqual(self.rows(), 2 * n)
        self.assertEqual(self.rows("request_id LIKE 'share-a-%'"), n)
        self.assertEqual(self.rows("request_id LIKE 'share-b-%'"), n)
        total = int(self.db.query("SELECT sum(cost_nusd) FROM requests")[0][0])
        self.assertEqual(total, expected)
        # cost_usd is derived by the database from the integer, exactly.
        self.assertEqual(self.db.query("SELECT count(*) FROM requests "
                                       "WHERE cost_usd * 1000000000 <> cost_nusd")[0][0], "0")
        # Either instance's /admin/usage reads the whole fleet's rows.
        for p in (a, b):
            rows = self.usage(p.port)["rows"]
            self.assertEqual(len(rows), 1, rows)
            self.assertEqual(rows[0]["requests"], 2 * n)
            self.assertEqual(rows[0]["cost_nusd"], expected)
        # Time buckets come out of PostgreSQL in the same UTC text as from SQLite.
        rows = self.usage(a.port, "day,hour,minute")["rows"]
        self.assertEqual(sum(r["requests"] for r in rows), 2 * n)
        today = time.strftime("%Y-%m-%d", time.gmtime())
        for r in rows:
            self.assertRegex(r["day"], r"^\d{4}-\d\d-\d\d$")
            self.assertRegex(r["hour"], r"^\d{4}-\d\d-\d\dT\d\d:00Z$")
            self.assertRegex(r["minute"], r"^\d{4}-\d\d-\d\dT\d\d:\d\dZ$")
            self.assertTrue(r["minute"].startswith(r["hour"][:14]))
        self.assertIn(today, [r["day"] for r in rows])
        # Unique row ids: the same request id from two instances is two rows.
        self.assertEqual(chat(a.port, "same-id").status, 200)
        self.assertEqual(chat(b.port, "same-id").status, 200)
        self.assertTrue(wait_until(lambda: self.rows("request_id = 'same-id'") == 2))

    def test_budgets_start_from_the_whole_fleets_spend(self):
        # Another instance already spent $1 of project default today.
        a = self.start(tempfile.mkdtemp())
        self.assertEqual(chat(a.port, "warm").status, 200)  # creates the schema
        self.assertTrue(wait_until(lambda: self.rows() == 1))
        self.db.psql(self.db.database, (
            "INSERT INTO requests (row_id, request_id, ts_ms, key_id, project, model, provider, "
            "upstream_model, stream, status, outcome, input_tokens, output_tokens, cached_tokens, "
            "reasoning_tokens, usage_source, cost_nusd, latency_ms, attempts) VALUES "
            "('elsewhere-1', 'big', %d, '', 'default', 'gpt-4o-mini', 'mock', 'u', 0, 200, 'ok', "
            "1, 1, 0, 0, 'provider', 1000000000, 1, 1)") % int(time.time() * 1000))
        b = self.start(tempfile.mkdtemp(),
                       projects='{ "default": { "budget": { "usd_per_day": 0.5 } }, "team": {} }')
        r = chat(b.port, "over")
        self.assertEqual(r.status, 429, r.body)
        self.assertEqual(r.header("x-sluice-error-class"), "budget_exceeded")
        # The refusal never reached a provider: no overhead. The proxied one has one.
        self.assertTrue(wait_until(lambda: self.rows("request_id = 'over'") == 1))
        self.assertEqual(self.db.query(
            "SELECT attempts, overhead_us IS NULL FROM requests WHERE request_id = 'over'"),
            [["0", "t"]])
        [[overhead, latency]] = self.db.query(
            "SELECT overhead_us, latency_ms FROM requests WHERE request_id = 'warm'")
        self.assertLessEqual(0, int(overhead))
        self.assertLessEqual(int(overhead), int(latency) * 1000 + 999)  # µs within ms

    def test_a_version_3_table_gains_overhead_and_keeps_every_row(self):
        self.db.psql(self.db.database, VERSION_3_SCHEMA)
        p = self.start(tempfile.mkdtemp())
        self.assertEqual(chat(p.port, "after").status, 200)
        self.assertTrue(wait_until(lambda: self.rows() == 3))
        self.assertEqual(self.db.query("SELECT max(version) FROM sluice_schema_version"), [["5"]])
        self.assertEqual(self.db.query(
            "SELECT request_id, ts_ms, status, cost_nusd, (cost_usd * 1000000000)::bigint, "
            "latency_ms, "
            "COALESCE(ttft_ms::text, 'null'), attempts, error_class, upstream_request_id, "
            "COALESCE(overhead_us::text, 'null') FROM requests "
            "WHERE request_id LIKE 'old-%' ORDER BY row_id"),
            [["old-1", "1000", "200", "24300", "24300", "7", "3", "1", "", "up-1", "null"],
             ["old-2", "2000", "429", "0", "0", "0", "null", "0", "rate_limited", "", "null"]])
        [[overhead, latency]] = self.db.query(
            "SELECT overhead_us, latency_ms FROM requests WHERE request_id = 'after'")
        self.assertLessEqual(0, int(overhead))
        self.assertLessEqual(int(overhead), int(latency) * 1000 + 999)

    def test_a_version_4_table_gains_instance_and_keeps_every_row(self):
        self.assertIn("overhead_us      BIGINT", VERSION_4_SCHEMA)
        self.db.psql(self.db.database, VERSION_4_SCHEMA)
        p = self.start(tempfile.mkdtemp())
        self.assertEqual(chat(p.port, "after").status, 200)
        self.assertTrue(wait_until(lambda: self.rows() == 3))
        self.assertEqual(self.db.query("SELECT max(version) FROM sluice_schema_version"), [["5"]])
        # Old rows keep every value and name no instance; so does a process without a fleet.
        self.assertEqual(self.db.query(
            "SELECT request_id, ts_ms, status, cost_nusd, COALESCE(ttft_ms::text, 'null'), "
            "error_class, upstream_request_id, COALESCE(overhead_us::text, 'null'), "
            "'[' || instance || ']' FROM requests ORDER BY ts_ms"),
            [["old-1", "1000", "200", "24300", "3", "", "up-1", "null", "[]"],
             ["old-2", "2000", "429", "0", "null", "rate_limited", "", "null", "[]"],
             ["after"] + self.db.query(
                 "SELECT ts_ms, status, cost_nusd, ttft_ms, error_class, upstream_request_id, "
                 "overhead_us FROM requests WHERE request_id = 'after'")[0] + ["[]"]])

    def test_outage_spools_and_every_row_arrives_once(self):
        d = tempfile.mkdtemp()
        p = self.start(d)
        self.assertEqual(chat(p.port, "before").status, 200)
        self.assertTrue(wait_until(lambda: self.rows() == 1))
        load = Load(p.port, "outage")
        wait_until(lambda: load.count() >= 50)
        self.db.stop_server()
        at_stop = load.count()
        wait_until(lambda: load.count() >= at_stop + 200)
        metrics = h.http(p.port, "GET", "/metrics").body.decode()
        ready = h.http(p.port, "GET", "/readyz")
        self.db.start_server()
        wait_until(lambda: load.count() >= at_stop + 300)
        load.stop()
        statuses = [s for _, s in load.answers]
        self.assertEqual(load.errors, [])
        self.assertEqual(statuses, [200] * len(statuses))
        self.assertGreater(len(statuses), at_stop + 200)
        expected = len(statuses) + 1
        self.assertTrue(wait_until(lambda: self.rows() >= expected, timeout=15),
                        "%d of %d rows" % (self.rows(), expected))
        self.assertEqual(self.rows(), expected)
        self.assertEqual(int(self.db.query("SELECT count(DISTINCT row_id) FROM requests")[0][0]),
                         expected)
        self.assertEqual(int(self.db.query("SELECT count(DISTINCT request_id) FROM requests")[0][0]),
                         expected)
        # The outage showed: rows spooled, a connect failure counted, /readyz degraded.
        self.assertRegex(metrics, r'sluice_ledger_write_errors_total\{cause="connect"\} [1-9]')
        self.assertRegex(metrics, r"sluice_ledger_spooled_rows_total [1-9]")
        self.assertEqual(ready.status, 200)
        self.assertEqual(ready.json()["ledger"]["state"], "spooling")
        self.assertTrue(ready.json()["ledger"]["degraded"])
        after = h.http(p.port, "GET", "/metrics").body.decode()
        self.assertRegex(after, r"sluice_ledger_spool_replayed_rows_total [1-9]")
        self.assertIn("sluice_ledger_spool_backlog_rows 0", after)
        self.assertEqual(h.http(p.port, "GET", "/readyz").json()["ledger"],
                         {"state": "ok", "degraded": False, "spool_backlog": 0})
        # Logged once per cause, not once per batch.
        self.assertEqual(p.stderr().count("write failed (connect)"), 1, p.stderr()[-3000:])

    def test_retention_deletes_old_rows_in_chunks(self):
        # Rows another instance wrote long ago, more than one delete statement's worth.
        d = tempfile.mkdtemp()
        p = self.start(d, extra_ledger=', "retention_days": 30')
        self.assertEqual(chat(p.port, "fresh").status, 200)
        self.assertTrue(wait_until(lambda: self.rows() == 1))
        p.stop()
        old_ms = int(time.time() * 1000) - 31 * 86400_000
        self.db.psql(self.db.database, (
            "INSERT INTO requests (row_id, request_id, ts_ms, key_id, project, model, provider, "
            "upstream_model, stream, status, outcome, input_tokens, output_tokens, cached_tokens, "
            "reasoning_tokens, usage_source, cost_nusd, latency_ms, attempts) "
            "SELECT 'old-' || g, 'old', %d, '', 'default', 'm', 'p', 'u', 0, 200, 'ok', 1, 1, 0, 0, "
            "'provider', 5, 1, 1 FROM generate_series(1, 2500) g") % old_ms)
        self.assertEqual(self.rows("request_id = 'old'"), 2500)
        p = self.start(d, extra_ledger=', "retention_days": 30')
        self.assertEqual(chat(p.port, "fresh-2").status, 200)
        self.assertTrue(wait_until(lambda: self.rows("request_id = 'old'") == 0),
                        self.rows("request_id = 'old'"))
        self.assertEqual(self.rows(), 2)

    def refusing_with_a_small_spool_disk(self):
        """A gateway with `on_ledger_failure: refuse` whose spool is on a 1 MiB tmpfs,
        one row written to PostgreSQL, then PostgreSQL stopped (started again at the
        end). Skips where a tmpfs cannot be mounted."""
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        d = tempfile.mkdtemp()
        spool_dir = os.path.join(d, "spool")
        os.mkdir(spool_dir)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", spool_dir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            self.skipTest("cannot mount a tmpfs here: " + r.stderr.decode())
        self.addCleanup(subprocess.run, ["umount", "-l", spool_dir])
        self.addCleanup(self.ensure_server)
        ledger = ('"kind": "postgres", "url": "%s", "spool": "%s/spool.db", '
                  '"on_ledger_failure": "refuse"' % (self.db.url(), spool_dir))
        p = h.start_sluice(h.mock_config(self.mock.port, d, ledger=ledger))
        self.procs.append(p)
        self.assertEqual(chat(p.port, "up").status, 200)
        self.assertTrue(wait_until(lambda: self.rows() == 1))
        self.db.stop_server()
        return p, spool_dir

    def test_refuse_while_postgres_is_down_and_the_spool_disk_is_full(self):
        p, spool_dir = self.refusing_with_a_small_spool_disk()
        # PostgreSQL away and the spool's disk full. (Filled first: a row that reached
        # the spool before the disk filled would have to leave it again on a full disk.)
        filler = h.fill_disk(spool_dir)
        # Requests are served until the ledger has failed to keep a row, then refused.
        self.assertEqual(chat(p.port, "spooled").status, 200)
        statuses = until_refused(p.port)
        self.assertIn(503, statuses)
        self.assertLessEqual(set(statuses[:statuses.index(503)]), {200})
        ready = h.http(p.port, "GET", "/readyz")
        self.assertEqual(ready.status, 503)
        self.assertEqual(ready.json()["ledger"]["state"], "failing")
        # PostgreSQL back: the pending batch goes straight there, the spool follows.
        self.db.start_server()
        self.assertTrue(wait_until(lambda: chat(p.port, "back").status == 200))
        os.unlink(filler)
        served = 2 + statuses.index(503)  # "up", "spooled" and the 200s before the first 503
        self.assertTrue(wait_until(lambda: self.rows("status = 200") >= served + 1),
                        self.rows("status = 200"))
        self.assertEqual(int(self.db.query("SELECT count(DISTINCT row_id) FROM requests")[0][0]),
                         self.rows())

    def test_a_row_spooled_before_the_disk_filled_does_not_keep_it_refusing(self):
        # The other order of the test above: a row reaches the spool, then the disk
        # fills. Once PostgreSQL is back the row goes there, but the spool cannot delete
        # it on a full disk (a delete needs room too); that must not hold up the rows
        # behind it, nor keep the gateway refusing, while the disk stays full.
        p, spool_dir = self.refusing_with_a_small_spool_disk()
        self.assertEqual(chat(p.port, "spooled").status, 200)
        backlog = lambda: h.http(p.port, "GET", "/readyz").json()["ledger"]["spool_backlog"]
        self.assertTrue(wait_until(lambda: backlog() >= 1))
        filler = h.fill_disk(spool_dir)
        statuses = until_refused(p.port)
        self.assertIn(503, statuses)
        # PostgreSQL back, the disk still full: the spooled row reaches it, and the
        # gateway serves again.
        self.db.start_server()
        self.assertTrue(wait_until(lambda: chat(p.port, "back").status == 200, timeout=40),
                        p.stderr()[-3000:])
        self.assertTrue(wait_until(lambda: self.rows("request_id = 'spooled'") == 1))
        self.assertTrue(wait_until(lambda: self.rows("request_id = 'back'") >= 1))
        self.assertEqual(backlog(), 0)
        self.assertEqual(h.http(p.port, "GET", "/readyz").status, 200)
        # Room again: the rows already sent leave the file; nothing was written twice.
        os.unlink(filler)
        self.assertEqual(chat(p.port, "after").status, 200)
        self.assertTrue(wait_until(lambda: self.rows("request_id = 'after'") == 1))
        self.assertEqual(int(self.db.query("SELECT count(DISTINCT row_id) FROM requests")[0][0]),
                         self.rows())

    def test_kill_9_loses_at_most_one_flush_interval(self):
        flush_ms = 300
        p = self.start(tempfile.mkdtemp(), flush_ms=flush_ms)
        load = Load(p.port, "kill")
        # Long enough that most answers are older than the last window: the bound then
        # says something.
        time.sleep(12 * flush_ms / 1000.0)
        killed_at = time.monotonic()
        p.proc.send_signal(signal.SIGKILL)
        p.proc.wait()
        load.stop()
        answered = [t for t, s in load.answers if s == 200]
        self.assertGreater(len(answered), 0)
        self.assertGreater(self.rows("request_id LIKE 'kill-%'"), 0)
        # A row reaches PostgreSQL at the writer's next cycle, at most flush_ms after its
        # answer (twice that allows for the write itself): only rows answered in that last
        # window may be missing.
        window = 2 * flush_ms / 1000.0
        in_last_window = sum(1 for t in answered if t > killed_at - window)
        present = self.rows("request_id LIKE 'kill-%'")
        self.assertGreaterEqual(present, len(answered) - in_last_window,
                                "answered %d, %d in the last window, %d rows" % (
                                    len(answered), in_last_window, present))
        self.assertLessEqual(present, len(answered) + 4)  # at most the ones in flight


class StartupErrors(unittest.TestCase):
    def test_a_missing_url_variable_stops_the_start_naming_the_field(self):
        d = tempfile.mkdtemp()
        cfg = h.mock_config(1, d, ledger='"kind": "postgres", "url_env": "SLUICE_NO_SUCH_URL_VAR", '
                                         '"spool": "%s/spool.db"' % d)
        env = dict(os.environ)
        env.pop("SLUICE_NO_SUCH_URL_VAR", None)
        r = subprocess.run([h.SLUICE, "--config", cfg], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ledger.url_env", r.stderr.decode())
        self.assertIn("SLUICE_NO_SUCH_URL_VAR", r.stderr.decode())


if __name__ == "__main__":
    unittest.main()
