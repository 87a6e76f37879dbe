"""The request explorer's admin API on the real sluice in front of sluice-mock:
GET /admin/requests (filters, keyset paging, exact money), GET /admin/requests/<id>
(a client may reuse an id) and GET /admin/latency (percentiles per model), each checked
against the ledger file itself; bad parameters are 400s that name the parameter."""

import decimal
import json
import os
import sqlite3
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ADMIN = "admin-key-requests"
CHAT = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "Name a moon of Saturn."}]
KEYS = """[
  { "id": "bot-a", "project": "team", "key": "sk-a" },
  { "id": "bot-b", "project": "default", "key": "sk-b" },
  { "id": "bot-c", "project": "batch", "key": "sk-c" } ]"""
PROJECTS = """{ "team": {}, "default": {},
  "batch": { "limits": { "requests_per_minute": 1 }, "queue": { "max_wait_ms": 100 } } }"""


def nearest_rank(values, p):
    values = sorted(values)
    rank = max(1, -(-p * len(values) // 100))
    return values[rank - 1]


class AdminRequests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cls.cfg = h.mock_config(cls.mock.port, cls.dir, shards=2, projects=PROJECTS, keys=KEYS)
        cls.sluice = h.start_sluice(cls.cfg, env={"SLUICE_ADMIN_KEY": ADMIN})
        cls.port = cls.sluice.port
        sent = 0

        def chat(key, model, request_id=None, stream=False):
            nonlocal sent
            headers = {"Authorization": "Bearer " + key}
            if request_id:
                headers["x-request-id"] = request_id
            if model == "claude":  # an anthropic provider: its own API
                headers.update({"x-api-key": key, "anthropic-version": "2023-06-01"})
                path, body = "/anthropic/v1/messages", {"model": "claude", "max_tokens": 64,
                                                         "messages": MESSAGES, "stream": stream}
            else:
                path, body = CHAT, {"model": model, "messages": MESSAGES, "stream": stream}
            r = h.http(cls.port, "POST", path, body, headers)
            sent += 1
            return r

        for i in range(4):
            assert chat("sk-a", "gpt-4o-mini", "team-%d" % i).status == 200
        r = chat("sk-b", "claude", stream=True)
        assert r.status == 200, (r.status, r.body)
        assert chat("sk-b", "gpt-4o-mini", "dup-id", stream=True).status == 200
        r = chat("sk-a", "claude", "dup-id")
        assert r.status == 200, (r.status, r.body)
        # batch may send one request a minute: the second waits 100 ms and is refused.
        assert chat("sk-c", "gpt-4o-mini").status == 200
        assert chat("sk-c", "gpt-4o-mini", "refused-1").status == 429
        assert len(h.ledger_rows(cls.dir, wait_for=sent)) == sent
        # In the API's order reversed: by time, ties by insertion.
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(cls.dir, "ledger.db"), uri=True)
        db.row_factory = sqlite3.Row
        cls.rows = [dict(r) for r in db.execute("select * from requests order by ts_ms, rowid")]
        db.close()

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def get(self, path, key=ADMIN):
        headers = {"Authorization": "Bearer " + key} if key else {}
        return h.http(self.port, "GET", path, headers=headers)

    def page(self, query):
        r = self.get("/admin/requests?" + query)
        self.assertEqual(r.status, 200, r.body)
        return json.loads(r.body, parse_float=decimal.Decimal)

    def ids(self, query):
        return [row["request_id"] for row in self.page(query)["rows"]]

    def ledger_ids(self, keep=lambda row: True):
        # The API's order: newest first, ties broken by insertion (rowid) order reversed.
        rows = [r for r in self.rows if keep(r)]
        return [r["request_id"] for r in reversed(rows)]

    def test_every_row_newest_first_with_every_column(self):
        body = self.page("")
        self.assertIsNone(body["next"])
        self.assertEqual(len(body["rows"]), len(self.rows))
        ts = [row["ts_ms"] for row in body["rows"]]
        self.assertEqual(ts, sorted(ts, reverse=True))
        columns = set(self.rows[0]) - {"cost_usd"}
        for row in body["rows"]:
            self.assertLessEqual(columns, set(row), row)

    def test_overhead_is_within_latency_and_null_when_never_dispatched(self):
        for row in self.rows:
            if row["request_id"] == "refused-1":
                self.assertEqual(row["attempts"], 0, row)
                self.assertIsNone(row["overhead_us"], row)
            else:
                self.assertGreater(row["attempts"], 0, row)
                self.assertIsNotNone(row["overhead_us"], row)
                self.assertGreaterEqual(row["overhead_us"], 0, row)
                # microseconds, within the request's (truncated) milliseconds
                self.assertLessEqual(row["overhead_us"], row["latency_ms"] * 1000 + 999, row)
        shown = {row["request_id"]: row["overhead_us"] for row in self.page("")["rows"]
                 if row["request_id"] != "dup-id"}
        self.assertEqual(shown, {row["request_id"]: row["overhead_us"] for row in self.rows
                                 if row["request_id"] != "dup-id"})
        self.assertIsNone(shown["refused-1"])

    def test_money_is_the_exact_decimal_of_the_integer(self):
        body = self.page("")
        by_id = {}
        for r in self.rows:
            by_id.setdefault(r["request_id"], set()).add(r["cost_nusd"])
        charged = 0
        for row in body["rows"]:
            self.assertIsInstance(row["cost_usd"], (decimal.Decimal, int))
            self.assertEqual(decimal.Decimal(row["cost_usd"]) * 10**9, row["cost_nusd"])
            self.assertIn(row["cost_nusd"], by_id[row["request_id"]])
            charged += row["cost_nusd"] > 0
        self.assertGreater(charged, 0)

    def test_filters_narrow_the_list(self):
        self.assertEqual(self.ids("project=team"), self.ledger_ids(lambda r: r["project"] == "team"))
        self.assertEqual(self.ids("key=bot-b"), self.ledger_ids(lambda r: r["key_id"] == "bot-b"))
        self.assertEqual(self.ids("model=claude"), self.ledger_ids(lambda r: r["model"] == "claude"))
        self.assertEqual(self.ids("project=team&model=claude"), ["dup-id"])
        refused = self.ledger_ids(lambda r: r["status"] == 429)
        self.assertEqual(refused, ["refused-1"])
        self.assertEqual(self.ids("status=429"), refused)
        self.assertEqual(self.ids("outcome=rejected"), refused)
        error_class = [r for r in self.rows if r["request_id"] == "refused-1"][0]["error_class"]
        self.assertTrue(error_class)
        self.assertEqual(self.ids("error_class=" + error_class), refused)
        self.assertEqual(self.ids("request_id=team-2"), ["team-2"])
        self.assertEqual(self.ids("project=" + urllib.parse.quote("' OR 1=1 --")), [])
        # The time window: from is included, to is not.
        t = [r for r in self.rows if r["request_id"] == "team-1"][0]["ts_ms"]
        window = self.ids("from=%d&to=%d" % (t, t + 1))
        self.assertIn("team-1", window)
        self.assertEqual(window, self.ledger_ids(lambda r: r["ts_ms"] == t))

    def test_pages_walk_every_row_once(self):
        seen, before, pages = [], "", 0
        while True:
            body = self.page("limit=2" + ("&before=" + before if before else ""))
            pages += 1
            self.assertLessEqual(len(body["rows"]), 2)
            seen += [row["request_id"] for row in body["rows"]]
            if body["next"] is None:
                break
            before = urllib.parse.quote(body["next"])
        self.assertEqual(seen, self.ledger_ids())
        self.assertEqual(pages, (len(self.rows) + 1) // 2)

    def test_lookup_by_request_id(self):
        r = self.get("/admin/requests/dup-id")
        self.assertEqual(r.status, 200, r.body)
        body = r.json()
        self.assertEqual(body["request_id"], "dup-id")
        # Oldest first as the ledger orders them (ts_ms, then insertion): the two requests
        # may arrive in one millisecond, on different shards.
        self.assertEqual(sorted(row["project"] for row in body["rows"]), ["default", "team"])
        self.assertEqual([row["project"] for row in body["rows"]],
                         [r["project"] for r in self.rows if r["request_id"] == "dup-id"])
        self.assertEqual(sorted(row["model"] for row in body["rows"]), ["claude", "gpt-4o-mini"])
        self.assertEqual([(row["project"], row["model"]) for row in body["rows"]],
                         [(r["project"], r["model"]) for r in self.rows
                          if r["request_id"] == "dup-id"])
        missing = self.get("/admin/requests/no-such-request")
        self.assertEqual(missing.status, 404)
        self.assertEqual(missing.header("x-sluice-error-class"), "not_found")
        self.assertIn("no request with that id", missing.json()["error"]["message"])

    def test_bad_parameters_are_400s_that_name_them(self):
        cases = {
            "limit=0": "limit", "limit=5000": "limit", "status=abc": "status",
            "before=yesterday": "before", "from=soon": "from", "sort=ts_ms": "sort",
            "from=10&to=5": "from is after to", "model=a&model=b": "given twice",
        }
        for query, word in cases.items():
            r = self.get("/admin/requests?" + query)
            self.assertEqual(r.status, 400, query)
            self.assertEqual(r.header("x-sluice-error-class"), "bad_request")
            self.assertIn(word, r.json()["error"]["message"], query)
        for query, word in {"bucket_ms=10": "bucket_ms", "from=0&bucket_ms=1000": "buckets",
                            "window=1": "window"}.items():
            r = self.get("/admin/latency?" + query)
            self.assertEqual(r.status, 400, query)
            self.assertIn(word, r.json()["error"]["message"], query)

    def test_admin_key_and_method_are_checked(self):
        for path in ("/admin/requests", "/admin/requests/dup-id", "/admin/latency"):
            self.assertEqual(self.get(path, key=None).status, 401, path)
            self.assertEqual(self.get(path, key="wrong").status, 401, path)
        r = h.http(self.port, "POST", "/admin/requests", b"{}",
                   {"Authorization": "Bearer " + ADMIN})
        self.assertEqual(r.status, 405)

    def test_latency_percentiles_match_the_ledger(self):
        now = int(time.time() * 1000) + 1
        span = 10 * 60 * 1000
        r = self.get("/admin/latency?from=%d&to=%d&bucket_ms=%d" % (now - span, now, span))
        self.assertEqual(r.status, 200, r.body)
        body = r.json()
        self.assertEqual(body["overhead_source"], "overhead_us")
        self.assertFalse(body["truncated"])
        dispatched = [row for row in self.rows if row["attempts"] > 0]
        self.assertEqual(body["rows_scanned"], len(dispatched))
        models = {row["model"] for row in dispatched}
        self.assertEqual({row["model"] for row in body["rows"]}, models)
        for out in body["rows"]:
            mine = [row for row in dispatched if row["model"] == out["model"]]
            self.assertEqual(out["ts_ms"], now - span)
            self.assertEqual(out["requests"], len(mine))
            latency = [row["latency_ms"] for row in mine]
            self.assertEqual(out["latency_p50_ms"], nearest_rank(latency, 50))
            self.assertEqual(out["latency_p99_ms"], nearest_rank(latency, 99))
            ttft = [row["ttft_ms"] for row in mine if row["ttft_ms"] is not None]
            self.assertEqual(out["ttft_count"], len(ttft))
            self.assertEqual(out["ttft_p50_ms"], nearest_rank(ttft, 50) if ttft else None)
            self.assertEqual(out["ttft_p99_ms"], nearest_rank(ttft, 99) if ttft else None)
            overhead = [row["overhead_us"] for row in mine if row["overhead_us"] is not None]
            self.assertEqual(out["overhead_count"], len(overhead))
            self.assertEqual(out["overhead_p50_us"], nearest_rank(overhead, 50))
            self.assertEqual(out["overhead_p99_us"], nearest_rank(overhead, 99))
        only = self.get("/admin/latency?model=claude").json()
        self.assertEqual({row["model"] for row in only["rows"]}, {"claude"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
