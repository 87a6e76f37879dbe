"""The monitoring files that ship with sluice cannot drift from it: every sluice_* name
in configs/grafana/sluice.json and configs/prometheus/alerts.yml is a family the real
sluice (in front of the real sluice-mock, after a few requests) writes on GET /metrics,
or a histogram family's _bucket/_sum/_count series. The alert rules pass
`promtool check rules` and their unit tests (tests/integration/monitoring)."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

SOURCE = os.environ.get("SLUICE_SOURCE_DIR",
                        os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DASHBOARD = os.path.join(SOURCE, "configs", "grafana", "sluice.json")
ALERTS = os.path.join(SOURCE, "configs", "prometheus", "alerts.yml")
ALERT_TESTS = os.path.join(SOURCE, "tests", "integration", "monitoring", "alerts_test.yml")
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
NAME_RE = re.compile(r"\bsluice_[a-z0-9_]+")
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello there"}]}


def dashboard_exprs():
    dash = json.load(open(DASHBOARD))
    out = []

    def walk(panels):
        for p in panels:
            out.extend(t["expr"] for t in p.get("targets", []))
            walk(p.get("panels", []))

    walk(dash["panels"])
    for v in dash["templating"]["list"]:
        if v["type"] == "query":
            out.append(v["definition"])
    return out


def alert_exprs():
    """The `expr:` of every rule: a one-line value or a `|` block (no YAML library)."""
    out, lines = [], open(ALERTS).read().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)expr:\s*(.*)$", line)
        if not m:
            continue
        if m.group(2) not in ("|", ">", "|-", ">-"):
            out.append(m.group(2))
            continue
        block, indent = [], len(m.group(1))
        for nxt in lines[i + 1:]:
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= indent:
                break
            block.append(nxt.strip())
        out.append(" ".join(block))
    return out


class MonitoringFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        # With a ledger (mock_config has one) and OTLP export on, every family is
        # written; the spans go to the mock, which answers them 404 (counted failures).
        otlp = ',\n  "telemetry": { "otlp": { "endpoint": "http://127.0.0.1:%d" } }' % cls.mock.port
        cls.sluice = h.start_sluice(h.mock_config(cls.mock.port, cls.dir, extra=otlp))
        port = cls.sluice.port
        assert h.http(port, "POST", "/v1/chat/completions", CHAT).status == 200
        assert h.http(port, "POST", "/v1/chat/completions", dict(CHAT, stream=True)).status == 200
        assert h.http(port, "POST", "/v1/chat/completions", dict(CHAT, model="nope")).status >= 400
        r = h.http(port, "GET", "/metrics")
        assert r.status == 200, r.status
        cls.families = {}
        for line in r.body.decode().splitlines():
            m = re.match(r"^# TYPE (\S+) (\S+)$", line)
            if m:
                cls.families[m.group(1)] = m.group(2)

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def exists(self, name):
        if name in self.families:
            return True
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[:-len(suffix)]
            if name.endswith(suffix) and self.families.get(base) == "histogram":
                return True
        return False

    def check_names(self, exprs, what):
        self.assertTrue(exprs, what)
        used = set()
        for e in exprs:
            names = NAME_RE.findall(e)
            self.assertTrue(names, "%s: no sluice metric in %r" % (what, e))
            used.update(names)
        missing = sorted(n for n in used if not self.exists(n))
        self.assertEqual(missing, [], "%s names metrics sluice does not export" % what)
        return used

    def test_scrape_has_the_families(self):
        self.assertIn("sluice_requests_total", self.families)
        self.assertEqual(self.families.get("sluice_request_duration_seconds"), "histogram")

    def test_dashboard_names_only_real_metrics(self):
        used = self.check_names(dashboard_exprs(), "configs/grafana/sluice.json")
        for family in ("sluice_requests_total", "sluice_time_to_first_token_seconds_bucket",
                       "sluice_tokens_total", "sluice_cost_usd_total", "sluice_breaker_state",
                       "sluice_queue_wait_seconds_bucket", "sluice_ledger_dropped_total"):
            self.assertIn(family, used)
        unused = sorted(f for f in self.families if not any(u == f or u.startswith(f + "_")
                                                            for u in used))
        if unused:
            sys.stderr.write("families without a dashboard panel: %s\n" % ", ".join(unused))

    def test_dashboard_is_importable(self):
        dash = json.load(open(DASHBOARD))
        self.assertEqual(dash["uid"], "sluice-gateway")
        ids = []
        for p in dash["panels"]:
            ids.append(p["id"])
            self.assertIn("gridPos", p)
            if p["type"] != "row":
                self.assertTrue(p["targets"], p["title"])
                self.assertEqual(p["datasource"]["uid"], "${datasource}")
        self.assertEqual(len(ids), len(set(ids)))
        # Panels sit on Grafana's 24-column grid without covering each other.
        boxes = [(p["title"], p["gridPos"]) for p in dash["panels"]]
        for i, (a, g) in enumerate(boxes):
            self.assertLessEqual(g["x"] + g["w"], 24, a)
            for b, o in boxes[i + 1:]:
                overlap = (g["x"] < o["x"] + o["w"] and o["x"] < g["x"] + g["w"] and
                           g["y"] < o["y"] + o["h"] and o["y"] < g["y"] + g["h"])
                self.assertFalse(overlap, (a, b))

    def test_alerts_name_only_real_metrics(self):
        exprs = [e for e in alert_exprs() if "sluice_" in e]
        self.assertGreaterEqual(len(exprs), 10)
        self.check_names(exprs, "configs/prometheus/alerts.yml")

    def test_promtool_checks_and_unit_tests_the_rules(self):
        self.assertTrue(os.access(PROMTOOL, os.X_OK), "promtool (Debian package prometheus)")
        r = subprocess.run([PROMTOOL, "check", "rules", ALERTS], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS", r.stdout + r.stderr)
        d = tempfile.mkdtemp()
        try:
            shutil.copy(ALERTS, os.path.join(d, "alerts.yml"))
            shutil.copy(ALERT_TESTS, os.path.join(d, "alerts_test.yml"))
            r = subprocess.run([PROMTOOL, "test", "rules", "alerts_test.yml"], cwd=d,
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main(verbosity=2)
