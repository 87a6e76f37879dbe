"""`sluice ledger export` on ledgers a real sluice wrote (SQLite) and on a real PostgreSQL:
every column, rows in ts_ms order, the time range honoured, CSV that Python's csv module
reads back field for field (commas, quotes and line breaks in values included), JSON
Lines that json reads back, and cost_usd exactly cost_nusd / 10^9. Bad arguments, a
missing ledger and an unreachable database exit non-zero with a message."""

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest
from decimal import Decimal

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
import pg  # noqa: E402

COLUMNS = ["request_id", "ts_ms", "key_id", "project", "model", "provider", "upstream_model",
           "stream", "status", "outcome", "input_tokens", "output_tokens", "cached_tokens",
           "reasoning_tokens", "usage_source", "cost_usd", "cost_nusd", "latency_ms", "ttft_ms",
           "attempts", "error_class", "upstream_request_id", "overhead_us", "instance"]
STORED = [c for c in COLUMNS if c != "cost_usd"]
ODD_ID = 'odd,"id"\r\nsecond line'


def export(*args, check=True):
    r = subprocess.run([h.SLUICE, "ledger", "export", *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError("export failed (%d): %s" % (r.returncode, r.stderr.decode()))
    return r


def exact_usd(nusd):
    return Decimal(nusd).scaleb(-9)


class ExportChecks:
    """Shared by the SQLite and the PostgreSQL case: self.cfg, self.expected (dicts of
    STORED columns, ts_ms order, within [self.lo, self.hi))."""

    def check_csv(self, text):
        rows = list(csv.reader(io.StringIO(text, newline="")))
        self.assertEqual(rows[0], COLUMNS)
        self.assertEqual(len(rows) - 1, len(self.expected))
        for got, want in zip(rows[1:], self.expected):
            got = dict(zip(COLUMNS, got))
            for c in STORED:
                self.assertEqual(got[c], "" if want[c] is None else str(want[c]), c)
            self.assertEqual(Decimal(got["cost_usd"]), exact_usd(want["cost_nusd"]))

    def check_jsonl(self, text):
        lines = text.split("\n")
        self.assertEqual(lines[-1], "")
        self.assertEqual(len(lines) - 1, len(self.expected))
        for line, want in zip(lines, self.expected):
            got = json.loads(line, parse_float=Decimal)
            self.assertEqual(list(got.keys()), COLUMNS)
            for c in STORED:
                self.assertEqual(got[c], want[c], c)
            self.assertEqual(Decimal(got["cost_usd"]), exact_usd(want["cost_nusd"]))

    def test_csv_reads_back_exactly(self):
        r = export("--config", self.cfg, "--from", str(self.lo), "--to", str(self.hi))
        self.assertIn(b"\r\n", r.stdout)
        self.check_csv(r.stdout.decode())
        self.assertIn('"odd,""id""\r\nsecond line"', r.stdout.decode())

    def test_jsonl_reads_back_exactly(self):
        r = export("--config", self.cfg, "--format", "jsonl", "--from", str(self.lo),
                   "--to", str(self.hi))
        self.check_jsonl(r.stdout.decode())

    def test_iso_dates_and_output_file(self):
        out = os.path.join(tempfile.mkdtemp(), "books.jsonl")
        # 2100-01-01 leaves out the row far in the future; 1970-01-01 takes every other.
        export("--config", self.cfg, "--format=jsonl", "--from", "1970-01-01",
               "--to", "2100-01-01T00:00:00Z", "--output", out)
        with open(out) as f:
            self.check_jsonl(f.read())
        self.assertFalse(os.path.exists(out + ".partial"))
        everything = export("--config", self.cfg, "--format", "jsonl").stdout.decode()
        self.assertEqual(len(everything.splitlines()), len(self.expected) + 1)

    def test_bad_arguments_exit_2_with_a_message(self):
        for args, words in ((["--from", "2026-02-30"], "no such date"),
                            (["--format", "xml"], "csv or jsonl"),
                            (["--to", "1", "--from", "2"], "before"),
                            (["--colour"], "unknown argument")):
            r = export("--config", self.cfg, *args, check=False)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(words, r.stderr.decode())
            self.assertEqual(r.stdout, b"")


class SqliteExport(ExportChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        mock = h.start_mock()
        cls.cfg = h.mock_config(mock.port, cls.dir, shards=2)
        sluice = h.start_sluice(cls.cfg)
        try:
            for i in range(4):
                r = h.http(sluice.port, "POST", "/v1/chat/completions",
                           {"model": "gpt-4o-mini", "stream": i == 3,
                            "messages": [{"role": "user", "content": "hello %d" % i}]},
                           {"x-request-id": "export-%d" % i})
                assert r.status == 200, r.body
            h.ledger_rows(cls.dir, wait_for=4)
        finally:
            sluice.stop()
            mock.stop()
        # Values the gateway never writes but a ledger may hold (a client's id from an
        # older version, an operator's import): a request id that needs quoting, no ttft.
        path = os.path.join(cls.dir, "ledger.db")
        db = sqlite3.connect(path)
        last = db.execute("SELECT max(ts_ms) FROM requests").fetchone()[0]
        extra = "INSERT INTO requests (%s) VALUES (%s)" % (", ".join(STORED),
                                                          ", ".join("?" * len(STORED)))
        for ts, rid in ((last + 1, ODD_ID), (4102444800000 + 5, "far-future")):
            db.execute(extra, [rid, ts, "", "default", "gpt-4o-mini", "", "", 0, 429, "rejected",
                               0, 0, 0, 0, "estimated", 123456789012, 1, None, 0,
                               "rate_limited", 'up"stream,id', None, "gw,\"b\""])
        db.commit()
        db.row_factory = sqlite3.Row
        cls.lo, cls.hi = 0, 4102444800000
        cls.expected = [dict(r) for r in db.execute(
            "SELECT %s FROM requests WHERE ts_ms < ? ORDER BY ts_ms, rowid" % ", ".join(STORED),
            (cls.hi,))]
        db.close()
        assert len(cls.expected) == 5, cls.expected
        assert any(r["cost_nusd"] > 0 and r["request_id"] == "export-1" for r in cls.expected)
        # The gateway measured each proxied request's overhead; a refusal has none.
        assert all(r["overhead_us"] is not None for r in cls.expected[:4]), cls.expected
        assert cls.expected[4]["overhead_us"] is None

    def test_rows_written_by_the_gateway_are_there(self):
        r = export("--config", self.cfg, "--format", "jsonl")
        ids = [json.loads(line)["request_id"] for line in r.stdout.decode().splitlines()]
        # In the ledger's order (ts_ms, then insertion): requests a millisecond apart or less
        # may tie on ts_ms.
        self.assertEqual(sorted(ids[:4]), ["export-0", "export-1", "export-2", "export-3"])
        self.assertEqual(ids[:4], [r["request_id"] for r in self.expected[:4]])
        self.assertEqual(ids[4:], [ODD_ID, "far-future"])

    def test_missing_ledger_exits_1(self):
        d = tempfile.mkdtemp()
        cfg = h.mock_config(1, d)
        r = export("--config", cfg, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not exist", r.stderr.decode())
        self.assertFalse(os.path.exists(os.path.join(d, "ledger.db")))  # not created


# The requests table as the PostgreSQL ledger keeps it (docs/LEDGER.md): the same
# columns as the SQLite table.
PG_TABLE = """CREATE TABLE IF NOT EXISTS requests (
  request_id TEXT NOT NULL, ts_ms BIGINT NOT NULL, key_id TEXT NOT NULL, project TEXT NOT NULL,
  model TEXT NOT NULL, provider TEXT NOT NULL, upstream_model TEXT NOT NULL,
  stream INTEGER NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL,
  input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL, cached_tokens BIGINT NOT NULL,
  reasoning_tokens BIGINT NOT NULL, usage_source TEXT NOT NULL, cost_nusd BIGINT NOT NULL,
  latency_ms BIGINT NOT NULL, ttft_ms BIGINT, attempts INTEGER NOT NULL,
  error_class TEXT NOT NULL, upstream_request_id TEXT NOT NULL, overhead_us BIGINT,
  instance TEXT NOT NULL DEFAULT '')"""


def sql_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + v.replace("'", "''") + "'"


class PostgresExport(ExportChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = pg.Cluster()
        cls.dir = tempfile.mkdtemp()
        cls.db.query(PG_TABLE)
        rows = []
        for i in range(30):
            rows.append({"request_id": ODD_ID if i == 7 else "pg-%02d" % i,
                         "ts_ms": 1796083200000 + (29 - i) * 1000,  # inserted out of order
                         "key_id": "k", "project": "team", "model": "gpt-4o-mini",
                         "provider": "mock", "upstream_model": "m", "stream": i % 2,
                         "status": 200, "outcome": "ok", "input_tokens": 14,
                         "output_tokens": 37, "cached_tokens": 0, "reasoning_tokens": 0,
                         "usage_source": "provider", "cost_nusd": 24300 * (i + 1),
                         "latency_ms": 5, "ttft_ms": None if i % 3 == 0 else 2, "attempts": 1,
                         "error_class": "", "upstream_request_id": "u\\\"\n" if i == 3 else "",
                         "overhead_us": None if i % 4 == 0 else i,
                         "instance": "gw-%d" % (i % 3) if i % 2 else ""})
        rows.append(dict(rows[0], request_id="far-future", ts_ms=4102444800000 + 5))
        cls.db.query("INSERT INTO requests (%s) VALUES %s" % (
            ", ".join(STORED),
            ", ".join("(" + ", ".join(sql_literal(r[c]) for c in STORED) + ")" for r in rows)))
        cls.lo, cls.hi = 0, 4102444800000
        cls.expected = sorted([r for r in rows if r["ts_ms"] < cls.hi], key=lambda r: r["ts_ms"])
        cls.cfg = cls.config(cls.db.url())

    @classmethod
    def config(cls, url):
        path = h.mock_config(1, cls.dir)
        with open(path) as f:
            text = f.read()
        text = text.replace('"ledger": {', '"ledger": { "kind": "postgres", "url": "%s",' % url)
        with open(path, "w") as f:
            f.write(text)
        return path

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()

    def test_unreachable_database_exits_1(self):
        cfg = self.config("postgresql://sluice@127.0.0.1:1/sluice")
        try:
            r = export("--config", cfg, check=False)
        finally:
            self.config(self.db.url())
        self.assertEqual(r.returncode, 1)
        self.assertIn("PostgreSQL", r.stderr.decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
