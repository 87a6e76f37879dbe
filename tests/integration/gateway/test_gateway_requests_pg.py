"""The request explorer's admin API with the ledger in PostgreSQL: a real cluster (pg.py)
behind two real sluice instances sharing one database, in front of the real sluice-mock.
GET /admin/requests on either instance lists both instances' rows, exactly as psql reads
them (order, money); filters and keyset paging (an opaque row_id cursor) walk every row
once; GET /admin/requests/<id> finds the other instance's rows; GET /admin/latency counts
them all; bad parameters are 400s; a database that went away is a 500 that says so, and
the reader reconnects when it returns."""

import decimal
import json
import os
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
import pg  # noqa: E402

ADMIN = "admin-key-requests-pg"
MESSAGES = [{"role": "user", "content": "Name a moon of Jupiter."}]
# Every column the API shows, in psql's order (cost_usd is the database's own exact
# NUMERIC from cost_nusd).
COLUMNS = ["request_id", "ts_ms", "key_id", "project", "model", "provider", "upstream_model",
           "stream", "status", "outcome", "input_tokens", "output_tokens", "cached_tokens",
           "reasoning_tokens", "usage_source", "cost_nusd", "latency_ms", "ttft_ms", "attempts",
           "error_class", "upstream_request_id", "cost_usd", "overhead_us", "instance"]
INTS = {"ts_ms", "status", "input_tokens", "output_tokens", "cached_tokens", "reasoning_tokens",
        "cost_nusd", "latency_ms", "attempts"}
ORDER = 'ORDER BY ts_ms DESC, row_id COLLATE "C" DESC'
MODELS = """{
  "gpt-4o-mini": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini-2024-07-18" }],
                   "price": { "input_per_mtok": 0.15, "output_per_mtok": 0.60 } },
  "gpt-4o": { "targets": [{ "provider": "mock", "model": "gpt-4o-2024-08-06" }],
              "price": { "input_per_mtok": 2.5, "output_per_mtok": 10.0 } } }"""


def wait_until(predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


class AdminRequestsInPostgres(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = pg.Cluster()
        cls.mock = h.start_mock()
        cls.procs = []
        cls.a = cls.start(tempfile.mkdtemp())
        cls.b = cls.start(tempfile.mkdtemp())
        sent = 0
        for i in range(7):
            for name, p in (("a", cls.a), ("b", cls.b)):
                model = "gpt-4o" if i % 3 == 0 else "gpt-4o-mini"
                r = h.http(p.port, "POST", "/v1/chat/completions",
                           {"model": model, "messages": MESSAGES, "stream": i % 2 == 1},
                           {"x-request-id": "%s-%d" % (name, i)})
                assert r.status == 200, (r.status, r.body)
                sent += 1
        # One id used on both instances, and one the provider refuses.
        for p in (cls.a, cls.b):
            r = h.http(p.port, "POST", "/v1/chat/completions",
                       {"model": "gpt-4o-mini", "messages": MESSAGES}, {"x-request-id": "dup-id"})
            assert r.status == 200, (r.status, r.body)
            sent += 1
        r = h.http(cls.b.port, "POST", "/v1/chat/completions",
                   {"model": "gpt-4o-mini", "messages": MESSAGES},
                   {"x-request-id": "b-refused", "x-mock-fault": "status=400"})
        assert r.status == 400, (r.status, r.body)
        sent += 1
        cls.sent = sent
        assert wait_until(lambda: cls.count() >= sent), (cls.count(), sent)
        assert cls.count() == sent

    @classmethod
    def start(cls, directory):
        ledger = '"kind": "postgres", "url": "%s", "spool": "%s/spool.db"' % (
            cls.db.url(), directory)
        cfg = h.mock_config(cls.mock.port, directory, models=MODELS, ledger=ledger)
        p = h.start_sluice(cfg, env={"SLUICE_ADMIN_KEY": ADMIN})
        cls.procs.append(p)
        return p

    @classmethod
    def count(cls, where="true"):
        return int(cls.db.query("SELECT count(*) FROM requests WHERE " + where)[0][0])

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs:
            p.stop()
        cls.mock.stop()
        cls.db.stop()

    def get(self, port, path):
        return h.http(port, "GET", path, headers={"Authorization": "Bearer " + ADMIN})

    def page(self, port, query):
        r = self.get(port, "/admin/requests?" + query)
        self.assertEqual(r.status, 200, r.body)
        return json.loads(r.body, parse_float=decimal.Decimal)

    def psql_rows(self, where="true"):
        rows = self.db.query("SELECT %s FROM requests WHERE %s %s" % (
            ", ".join("COALESCE(%s::text, 'null')" % c for c in COLUMNS), where, ORDER))
        return [dict(zip(COLUMNS, r)) for r in rows]

    def walk(self, port, query, limit):
        """Every page of `query`, `limit` rows a page: the ids in order and the cursors."""
        ids, cursors, before = [], [], None
        for _ in range(1000):
            q = query + "&limit=%d" % limit + ("&before=" + urllib.parse.quote(before)
                                               if before else "")
            body = self.page(port, q)
            self.assertLessEqual(len(body["rows"]), limit)
            ids += [row["request_id"] for row in body["rows"]]
            before = body["next"]
            if before is None:
                return ids, cursors
            cursors.append(before)
        self.fail("paging did not end")

    def test_each_instance_lists_both_instances_rows_as_psql_reads_them(self):
        expected = self.psql_rows()
        self.assertEqual(len(expected), self.sent)
        self.assertEqual({r["request_id"][0] for r in expected}, {"a", "b", "d"})
        for port in (self.a.port, self.b.port):
            body = self.page(port, "limit=1000")
            self.assertIsNone(body["next"])
            self.assertEqual([r["request_id"] for r in body["rows"]],
                             [r["request_id"] for r in expected])
            for got, want in zip(body["rows"], expected):
                for column in COLUMNS:
                    value = got[column]
                    if column == "stream":
                        value = int(value)
                    elif column == "cost_usd":
                        # The exact decimal, compared as numbers with the database's NUMERIC.
                        self.assertEqual(decimal.Decimal(value), decimal.Decimal(want[column]))
                        self.assertEqual(decimal.Decimal(value) * 10**9, got["cost_nusd"])
                        continue
                    elif value is None:
                        value = "null"
                    self.assertEqual(str(value), want[column], (column, got))
        self.assertGreater(sum(r["cost_nusd"] for r in body["rows"]), 0)

    def test_every_dispatched_row_has_an_overhead_within_its_latency(self):
        rows = self.db.query("SELECT request_id, overhead_us, latency_ms FROM requests")
        self.assertEqual(len(rows), self.sent)
        for request_id, overhead, latency in rows:
            self.assertIsNotNone(overhead, request_id)
            self.assertLessEqual(0, int(overhead), request_id)
            self.assertLessEqual(int(overhead), int(latency) * 1000 + 999, request_id)

    def test_paging_walks_every_row_once_with_an_opaque_cursor(self):
        expected = [r["request_id"] for r in self.psql_rows()]
        for limit in (1, 3, 7):
            ids, cursors = self.walk(self.a.port, "", limit)
            self.assertEqual(ids, expected, limit)
            self.assertEqual(len(cursors), -(-len(expected) // limit) - 1)
        # The key after the colon is the row_id, not a number.
        ts, key = cursors[0].split(":", 1)
        self.assertTrue(ts.isdigit())
        self.assertFalse(key.isdigit(), key)
        self.assertEqual(self.count("row_id = '%s'" % key), 1)
        # A cursor from instance A pages on instance B the same way.
        body = self.page(self.b.port, "limit=7&before=" + urllib.parse.quote(cursors[0]))
        self.assertEqual([r["request_id"] for r in body["rows"]], expected[7:14])

    def test_filters_page_through_both_instances(self):
        cases = [
            ("model=gpt-4o", "model = 'gpt-4o'"),
            ("status=200", "status = 200"),
            ("status=400", "status = 400"),
            ("outcome=ok&model=gpt-4o-mini", "outcome = 'ok' AND model = 'gpt-4o-mini'"),
            ("request_id=dup-id", "request_id = 'dup-id'"),
            ("project=%27%20OR%201%3D1%20--", "false"),
        ]
        for query, where in cases:
            expected = [r["request_id"] for r in self.psql_rows(where)]
            ids, _ = self.walk(self.a.port, query, 2)
            self.assertEqual(ids, expected, query)
        self.assertEqual(len(self.walk(self.a.port, "request_id=dup-id", 1)[0]), 2)
        self.assertGreater(len(self.walk(self.a.port, "model=gpt-4o", 2)[0]), 2)
        # A window: from / to bound ts_ms.
        ts = sorted(int(r["ts_ms"]) for r in self.psql_rows())
        middle = ts[len(ts) // 2]
        expected = [r["request_id"] for r in self.psql_rows("ts_ms >= %d" % middle)]
        self.assertEqual(self.walk(self.b.port, "from=%d" % middle, 4)[0], expected)

    def test_one_request_written_by_the_other_instance(self):
        r = self.get(self.a.port, "/admin/requests/b-3")
        self.assertEqual(r.status, 200, r.body)
        body = r.json()
        self.assertEqual(body["request_id"], "b-3")
        self.assertEqual(len(body["rows"]), 1)
        self.assertEqual(body["rows"][0]["cost_nusd"],
                         int(self.db.query("SELECT cost_nusd FROM requests "
                                           "WHERE request_id = 'b-3'")[0][0]))
        r = self.get(self.b.port, "/admin/requests/dup-id")
        self.assertEqual(r.status, 200, r.body)
        ts = [row["ts_ms"] for row in r.json()["rows"]]
        self.assertEqual(len(ts), 2)
        self.assertEqual(ts, sorted(ts))  # oldest first
        r = self.get(self.a.port, "/admin/requests/no-such-id")
        self.assertEqual(r.status, 404, r.body)
        self.assertIn("no request with that id", r.body.decode())
        r = self.get(self.a.port, "/admin/requests/%27%20OR%20%271%27%3D%271")
        self.assertEqual(r.status, 404, r.body)

    def test_latency_counts_both_instances(self):
        now = int(time.time() * 1000)
        r = self.get(self.a.port, "/admin/latency?from=%d&to=%d&bucket_ms=3600000" % (
            now - 3600_000, now + 1))
        self.assertEqual(r.status, 200, r.body)
        body = r.json()
        reached = self.count("attempts > 0")
        self.assertEqual(reached, self.sent)
        self.assertEqual(body["rows_scanned"], reached)
        self.assertFalse(body["truncated"])
        self.assertEqual(sum(row["requests"] for row in body["rows"]), reached)
        by_model = {}
        for row in body["rows"]:
            by_model[row["model"]] = by_model.get(row["model"], 0) + row["requests"]
        self.assertEqual(by_model["gpt-4o"],
                         self.count("attempts > 0 AND model = 'gpt-4o'"))
        latencies = sorted(int(v[0]) for v in self.db.query(
            "SELECT latency_ms FROM requests WHERE attempts > 0 AND model = 'gpt-4o-mini'"))
        rows = [row for row in body["rows"] if row["model"] == "gpt-4o-mini"]
        if len(rows) == 1:  # the window is one bucket unless it straddles the hour
            self.assertEqual(rows[0]["latency_p50_ms"],
                             latencies[max(1, -(-50 * len(latencies) // 100)) - 1])
        overheads = sorted(int(v[0]) for v in self.db.query(
            "SELECT overhead_us FROM requests WHERE attempts > 0 AND model = 'gpt-4o-mini'"))
        self.assertEqual(body["overhead_source"], "overhead_us")
        if len(rows) == 1:
            self.assertEqual(rows[0]["overhead_count"], len(overheads))
            self.assertEqual(rows[0]["overhead_p99_us"],
                             overheads[max(1, -(-99 * len(overheads) // 100)) - 1])
        r = self.get(self.b.port, "/admin/latency?model=gpt-4o")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(sum(row["requests"] for row in r.json()["rows"]),
                         by_model["gpt-4o"])

    def test_bad_parameters_are_400s(self):
        for query, message in [
            ("limit=0", "limit must be 1 to 1000"),
            ("before=12", "before must be the `next`"),
            ("before=12:a%27b", "before must be the `next`"),
            ("before=12:" + "a" * 65, "before must be the `next`"),
            ("sort=ts_ms", "unknown parameter sort"),
            ("status=abc", "status must be an HTTP status"),
        ]:
            r = self.get(self.a.port, "/admin/requests?" + query)
            self.assertEqual(r.status, 400, (query, r.body))
            self.assertIn(message, r.body.decode(), query)
        r = self.get(self.a.port, "/admin/latency?bucket_ms=5")
        self.assertEqual(r.status, 400, r.body)
        # A cursor of SQLite's shape is only a key here: "0" sorts before every row_id,
        # so at the oldest row's millisecond nothing is older.
        oldest = int(self.db.query("SELECT min(ts_ms) FROM requests")[0][0])
        self.assertEqual(self.page(self.a.port, "before=%d:0" % oldest)["rows"], [])
        self.assertEqual(len(self.page(self.a.port, "before=%d:0" % (oldest + 1))["rows"]),
                         self.count("ts_ms = %d" % oldest))

    def test_z_database_down_is_a_500_then_the_reader_reconnects(self):
        self.assertEqual(self.get(self.a.port, "/admin/requests?limit=1").status, 200)
        self.db.stop_server()
        try:
            for path in ("/admin/requests", "/admin/requests/a-1", "/admin/latency"):
                r = self.get(self.a.port, path)
                self.assertEqual(r.status, 500, (path, r.body))
                self.assertIn("ledger query failed", r.body.decode(), path)
        finally:
            self.db.start_server()
        # The dropped connection is replaced on the next read.
        body = self.page(self.a.port, "limit=1000")
        self.assertEqual(len(body["rows"]), self.count())
        self.assertEqual(self.get(self.a.port, "/admin/requests/b-2").status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
