"""Exact money end to end: the real sluice in front of the real sluice-mock prices each
request in integer nano-USD, and /admin/usage, /admin/limits and /metrics print the sums
as exact decimals (100 requests of 14 input and 37 output tokens at $0.15 / $0.60 per
million are 0.00243, not 0.0024299999999999994)."""

import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ADMIN = "admin-key-money"
MODELS = """{
  "m": { "targets": [{ "provider": "mock", "model": "m" }],
         "price": { "input_per_mtok": 0.15, "output_per_mtok": 0.60 } }
}"""
PROJECTS = """{ "default": { "budget": { "usd_per_day": 0.1, "usd_per_month": 12.000000001 } } }"""


def body(pad):
    """A chat request whose upstream body is `pad` characters longer than the shortest."""
    return ('{"model":"m","messages":[{"role":"user","content":"%s"}]}' % ("x" * pad)).encode()


class Money(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cls.cfg = h.mock_config(cls.mock.port, cls.dir, models=MODELS, projects=PROJECTS, shards=2)
        cls.sluice = h.start_sluice(cls.cfg, env={"SLUICE_ADMIN_KEY": ADMIN})

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def get(self, path):
        r = h.http(self.sluice.port, "GET", path, headers={"Authorization": "Bearer " + ADMIN})
        self.assertEqual(r.status, 200, r.body)
        return r

    def send(self, pad, request_id):
        r = h.http(self.sluice.port, "POST", "/v1/chat/completions", body(pad),
                   {"x-request-id": request_id, "x-mock-output-tokens": "37"})
        self.assertEqual(r.status, 200, r.body)
        rows = h.ledger_rows(self.dir, "request_id = '%s'" % request_id, wait_for=1)
        self.assertEqual(len(rows), 1)
        return rows[0]

    def test_a_hundred_requests_sum_to_the_exact_decimal(self):
        # The mock counts a quarter of the body's bytes as input tokens; find the padding
        # that makes 14 (the first probe tells how the body is sent upstream).
        probe = self.send(0, "probe")
        pad = max(0, (14 - probe["input_tokens"]) * 4)
        first = self.send(pad, "probe-2")
        if first["input_tokens"] != 14:
            self.skipTest("cannot make a 14-token request: %d" % first["input_tokens"])
        start = int(time.time() * 1000) + 1
        time.sleep(0.002)  # the probes arrived before `start`
        for i in range(100):
            row = self.send(pad, "hundred-%d" % i)
            self.assertEqual((row["input_tokens"], row["output_tokens"]), (14, 37))
            self.assertEqual(row["cost_nusd"], 14 * 150 + 37 * 600)  # 24300 nano-USD
        end = int(time.time() * 1000) + 1
        r = self.get("/admin/usage?from=%d&to=%d&group_by=model" % (start, end))
        # The text itself: a JSON number printed from the integer sum.
        text = r.body.decode()
        self.assertIn('"requests":100,', text)
        self.assertIn('"cost_nusd":2430000,"cost_usd":0.00243}', text)
        row = r.json()["rows"][0]
        self.assertEqual(row["cost_nusd"], 2430000)

    def test_usage_and_metrics_agree_with_the_ledger_to_the_nano_dollar(self):
        for i in range(7):
            self.send(i, "agree-%d" % i)
        rows = h.ledger_rows(self.dir, "model = 'm'")
        nusd = sum(r["cost_nusd"] for r in rows)
        self.assertEqual(nusd, sum(r["input_tokens"] * 150 + r["output_tokens"] * 600 for r in rows))
        # cost_usd, the derived column, is the integer over 10^9.
        for r in rows:
            self.assertEqual(r["cost_usd"], r["cost_nusd"] / 1e9)
        usage = self.get("/admin/usage?group_by=model").json()["rows"][0]
        self.assertEqual(usage["cost_nusd"], nusd)
        whole, frac = divmod(nusd, 10**9)
        exact = ("%d.%09d" % (whole, frac)).rstrip("0").rstrip(".")
        metrics = h.http(self.sluice.port, "GET", "/metrics").body.decode()
        m = re.search(r'^sluice_cost_usd_total\{project="default",alias="m"\} (\S+)$', metrics, re.M)
        self.assertIsNotNone(m, metrics)
        self.assertEqual(m.group(1), exact)

    def test_budgets_show_exact_limits_and_spend(self):
        self.send(0, "budget-1")
        budgets = {b["id"]: b for b in self.get("/admin/limits").json()["budgets"]}
        day = budgets["project:default"]["day"]
        month = budgets["project:default"]["month"]
        self.assertEqual(day["limit_nusd"], 100000000)
        self.assertEqual(month["limit_nusd"], 12000000001)
        text = self.get("/admin/limits").body.decode()
        self.assertIn('"limit_usd":0.1,', text)
        self.assertIn('"limit_usd":12.000000001,', text)
        spent = h.ledger_rows(self.dir)
        self.assertEqual(month["spent_nusd"], sum(r["cost_nusd"] for r in spent))


if __name__ == "__main__":
    unittest.main()
