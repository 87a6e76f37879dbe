"""The /ui dashboard in a real browser: sluice in front of sluice-mock takes a known set
of requests, then headless Chromium (Debian's, driven by playwright-core from npm; see
tests/ui/) opens /ui, signs in with the admin key and reports what the page shows. The
numbers must be the ones the admin API reports, the page must load with no console
error and fetch nothing from elsewhere, and the key must live in the session only. A
screenshot is left in the build directory (SLUICE_ARTIFACTS) as a test artifact."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

if os.environ.get("SLUICE_SANITIZER") == "thread":
    # Exit 77: meson counts the test as skipped.
    print("skipped under ThreadSanitizer: it drives Chromium, whose processes are not "
          "instrumented; the admin API it reads runs under TSan in gateway_admin_keys and "
          "gateway_metrics")
    sys.exit(77)

ADMIN = "admin-key-dashboard"
SOURCE = os.environ.get("SLUICE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../../.."))
UI_DIR = os.path.join(SOURCE, "tests", "ui")
ARTIFACTS = os.environ.get("SLUICE_ARTIFACTS", tempfile.gettempdir())
CHAT = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "How many moons has Jupiter?"}]


def usd(nusd):
    """The page's formatting of nano-USD: the exact decimal, at least cents, no rounding."""
    whole, frac = divmod(nusd, 10**9)
    return "%d.%s" % (whole, ("%09d" % frac).rstrip("0").ljust(2, "0"))


def integer(v):
    return "{:,}".format(v)


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        keys = """[
          { "id": "support-bot", "project": "support", "key": "sk-support" },
          { "id": "lab", "project": "research", "key": "sk-research" },
          { "id": "nightly", "project": "batch", "key": "sk-batch" } ]"""
        projects = """{ "support": {}, "research": {},
          "batch": { "limits": { "requests_per_minute": 1 }, "queue": { "max_wait_ms": 300 } } }"""
        cls.cfg = h.mock_config(cls.mock.port, cls.dir, shards=2, projects=projects, keys=keys)
        cls.sluice = h.start_sluice(cls.cfg, env={"SLUICE_ADMIN_KEY": ADMIN})
        cls.port = cls.sluice.port
        cls.send_known_requests()

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    @classmethod
    def send_known_requests(cls):
        def chat(key, model, stream=False):
            body = {"model": model, "messages": MESSAGES, "stream": stream}
            r = h.http(cls.port, "POST", CHAT, body, {"Authorization": "Bearer " + key})
            assert r.status == 200, (r.status, r.body)

        for _ in range(3):
            chat("sk-support", "gpt-4o-mini")
        for _ in range(2):
            chat("sk-research", "gpt-4o-mini", stream=True)
        r = h.http(cls.port, "POST", "/anthropic/v1/messages",
                   {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": MESSAGES},
                   {"x-api-key": "sk-research", "anthropic-version": "2023-06-01"})
        assert r.status == 200, (r.status, r.body)
        r = h.http(cls.port, "POST", CHAT, {"model": "gpt-4o-mini", "messages": MESSAGES},
                   {"Authorization": "Bearer sk-wrong"})
        assert r.status == 401
        # batch may send one request a minute: the first goes through, the next two wait
        # in the queue for up to 300 ms and are refused (429) at their deadline.
        statuses = []
        for _ in range(3):
            r = h.http(cls.port, "POST", CHAT, {"model": "gpt-4o-mini", "messages": MESSAGES},
                       {"Authorization": "Bearer sk-batch"})
            statuses.append(r.status)
        assert statuses == [200, 429, 429], statuses
        cls.rows = h.ledger_rows(cls.dir, wait_for=9)
        assert len(cls.rows) == 9, cls.rows

    def admin(self, query):
        r = h.http(self.port, "GET", "/admin/usage?" + query,
                   headers={"Authorization": "Bearer " + ADMIN})
        self.assertEqual(r.status, 200, r.body)
        return r.json()["rows"]

    def browse(self):
        if not hasattr(type(self), "shown"):
            self.assertTrue(os.path.isdir(os.path.join(UI_DIR, "node_modules", "playwright-core")),
                            "playwright-core is missing: run `npm ci --prefix tests/ui` "
                            "(tools/setup test does)")
            shot = os.path.join(ARTIFACTS, "dashboard.png")
            out = subprocess.run(
                ["node", os.path.join(UI_DIR, "dashboard_check.mjs"),
                 "http://127.0.0.1:%d/ui" % self.port, ADMIN, shot],
                capture_output=True, text=True, timeout=180)
            self.assertEqual(out.returncode, 0, out.stderr + out.stdout)
            type(self).shown = json.loads(out.stdout.strip().splitlines()[-1])
            self.assertTrue(os.path.getsize(shot) > 10000, "screenshot saved: " + shot)
        return type(self).shown

    def test_page_is_one_self_contained_document(self):
        r = h.http(self.port, "GET", "/ui")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("content-type").startswith("text/html"))
        csp = r.header("content-security-policy")
        self.assertIn("default-src 'none'", csp)
        self.assertIn("connect-src 'self'", csp)
        page = r.body.decode()
        for external in ("src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import", "url("):
            self.assertNotIn(external, page)
        self.assertEqual(h.http(self.port, "GET", "/ui/other").status, 404)

    def test_loads_without_console_errors_or_outside_requests(self):
        shown = self.browse()
        self.assertTrue(shown["loginShown"], "the page asks for the admin key first")
        self.assertIn("refused", shown["wrongKeyMessage"])
        self.assertEqual(shown["problems"], [])
        self.assertEqual(shown["external"], [])

    def test_key_is_kept_in_the_session_only(self):
        shown = self.browse()
        self.assertEqual(shown["stored"], {"session": ["sluice.adminKey"], "local": [], "cookies": ""})

    def test_totals_match_the_admin_api(self):
        shown = self.browse()
        total = self.admin("group_by=")[0]
        self.assertEqual(total["requests"], 9)
        tiles = shown["tiles"]
        self.assertEqual(tiles["total-requests"], integer(total["requests"]))
        self.assertEqual(tiles["total-input-tokens"], integer(total["input_tokens"]))
        self.assertEqual(tiles["total-output-tokens"], integer(total["output_tokens"]))
        self.assertEqual(tiles["total-cost"], usd(total["cost_nusd"]))
        refused = sum(r["requests"] for r in self.admin("group_by=outcome") if r["outcome"] == "rejected")
        self.assertEqual(refused, 2)
        self.assertEqual(tiles["total-refusals"], integer(refused))

    def test_tables_match_the_admin_api(self):
        shown = self.browse()["tables"]
        projects = {r["project"]: r for r in self.admin("group_by=project")}
        self.assertEqual(set(projects), {"support", "research", "batch"})
        self.assertEqual(len(shown["table-projects"]), 3)
        for row in shown["table-projects"]:
            api = projects[row["project"]]
            self.assertEqual(row["requests"], integer(api["requests"]))
            self.assertEqual(row["cost_usd"], usd(api["cost_nusd"]))
        self.assertEqual(projects["support"]["requests"], 3)
        models = {r["model"]: r for r in self.admin("group_by=model")}
        self.assertEqual({r["model"] for r in shown["table-models"]}, set(models))
        keys = sorted(self.admin("group_by=key"), key=lambda r: (-r["cost_nusd"], -r["requests"]))
        self.assertEqual([r["key"] for r in shown["table-keys"]], [r["key"] for r in keys])
        outcomes = self.admin("group_by=outcome,error_class")
        self.assertEqual(sum(int(r["requests"].replace(",", "")) for r in shown["table-outcomes"]),
                         sum(r["requests"] for r in outcomes))

    def admin_json(self, path):
        r = h.http(self.port, "GET", path, headers={"Authorization": "Bearer " + ADMIN})
        self.assertEqual(r.status, 200, r.body)
        return r.json()

    def test_limits_queues_and_breakers_match_the_admin_api(self):
        shown = self.browse()["tables"]
        limits = self.admin_json("/admin/limits")
        self.assertEqual([(r["id"], r["level"]) for r in shown["table-limits"]],
                         [(l["id"], l["level"]) for l in limits["limits"]])
        self.assertIn("project:batch", [r["id"] for r in shown["table-limits"]])
        waits = limits["queue_waits"]["batch"]
        self.assertEqual(waits["waited"], 2)
        queues = {r["project"]: r for r in shown["table-queues"]}
        self.assertEqual(set(queues), {"batch"})
        self.assertEqual(queues["batch"]["waited"], "2")
        self.assertEqual(queues["batch"]["max_ms"], "%.1f" % waits["max_ms"])
        breakers = self.admin_json("/admin/breakers")["providers"]
        self.assertEqual({r["provider"]: r["state"] for r in shown["table-breakers"]},
                         {name: b["breaker"] for name, b in breakers.items()})
        self.assertEqual(set(breakers), {"mock", "mock-anthropic", "mock-gemini"})

    def test_charts_draw_the_admin_api_numbers(self):
        charts = self.browse()["charts"]
        spend = {r["project"]: r["cost_nusd"] for r in self.admin("group_by=project")}
        self.assertEqual(set(charts["chart-spend"]), {p for p, c in spend.items() if c > 0})
        # Bars are drawn from the integer nano-USD sums, so they add up exactly.
        self.assertEqual(charts["chart-spend"], {p: c for p, c in spend.items() if c > 0})
        tokens = {r["model"]: r["input_tokens"] + r["output_tokens"] for r in self.admin("group_by=model")}
        self.assertEqual(charts["chart-tokens"], {m: t for m, t in tokens.items() if t > 0})


if __name__ == "__main__":
    unittest.main(verbosity=2)
