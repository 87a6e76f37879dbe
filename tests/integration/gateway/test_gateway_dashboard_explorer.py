"""The dashboard's request explorer, latency view and Keys tab in a real browser: sluice
in front of sluice-mock takes requests (one with a known x-request-id), then headless
Chromium (Debian's, driven by playwright-core; see tests/ui/) finds that request by its
id, opens its detail, narrows the list with filters, draws the latency chart, mints a
key (its secret shown once), which then works for a real request through the gateway,
revokes it (refused afterwards), and renders in dark mode. Every number is checked
against the ledger file. Screenshots are kept under SLUICE_ARTIFACTS/ui-screenshots."""

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

if os.environ.get("SLUICE_SANITIZER") == "thread":
    print("skipped under ThreadSanitizer: it drives Chromium, whose processes are not "
          "instrumented; the admin API it reads runs under TSan in gateway_requests")
    sys.exit(77)

ADMIN = "admin-key-explorer"
SOURCE = os.environ.get("SLUICE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../../.."))
UI_DIR = os.path.join(SOURCE, "tests", "ui")
ARTIFACTS = os.environ.get("SLUICE_ARTIFACTS", tempfile.gettempdir())
SHOTS = os.path.join(ARTIFACTS, "ui-screenshots")
CHAT = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "What is the tallest mountain?"}]
KEYS = """[
  { "id": "support-bot", "project": "support", "key": "sk-support" },
  { "id": "lab", "project": "research", "key": "sk-research" },
  { "id": "nightly", "project": "batch", "key": "sk-batch" } ]"""
PROJECTS = """{ "support": {}, "research": {},
  "batch": { "limits": { "requests_per_minute": 1 }, "queue": { "max_wait_ms": 100 } } }"""
WANTED = "find-me-7f3a"


class DashboardExplorer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cfg = h.mock_config(cls.mock.port, cls.dir, shards=2, projects=PROJECTS, keys=KEYS)
        cls.sluice = h.start_sluice(cfg, env={"SLUICE_ADMIN_KEY": ADMIN})
        cls.port = cls.sluice.port
        sent = 0
        for key, request_id, stream in [("sk-support", None, False), ("sk-support", None, True),
                                        ("sk-research", WANTED, True), ("sk-research", None, False),
                                        ("sk-batch", None, False), ("sk-batch", "refused-x", False)]:
            headers = {"Authorization": "Bearer " + key}
            if request_id:
                headers["x-request-id"] = request_id
            r = h.http(cls.port, "POST", CHAT, {"model": "gpt-4o-mini", "messages": MESSAGES,
                                                "stream": stream}, headers)
            assert r.status == (429 if request_id == "refused-x" else 200), (r.status, r.body)
            sent += 1
        assert len(h.ledger_rows(cls.dir, wait_for=sent)) == sent
        cls.rows = cls.ledger()

        assert os.path.isdir(os.path.join(UI_DIR, "node_modules", "playwright-core")), \
            "playwright-core is missing: run `npm ci --prefix tests/ui` (tools/setup test does)"
        out = subprocess.run(
            ["node", os.path.join(UI_DIR, "explorer_check.mjs"), "http://127.0.0.1:%d/ui" % cls.port,
             ADMIN, WANTED, "research", SHOTS],
            capture_output=True, text=True, timeout=240)
        assert out.returncode == 0, out.stderr + out.stdout
        cls.shown = json.loads(out.stdout.strip().splitlines()[-1])
        print("screenshots: " + ", ".join(cls.shown["shots"]), file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    @classmethod
    def ledger(cls):
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(cls.dir, "ledger.db"), uri=True)
        db.row_factory = sqlite3.Row
        rows = [dict(r) for r in db.execute("select * from requests order by ts_ms desc, rowid desc")]
        db.close()
        return rows

    def ids(self, keep=lambda r: True):
        return [r["request_id"] for r in self.rows if keep(r)]

    def test_no_console_error_and_nothing_from_elsewhere(self):
        self.assertEqual(self.shown["problems"], [])

    def test_explorer_finds_the_request_by_its_id(self):
        self.assertIn(WANTED, self.shown["allIds"])
        self.assertEqual(self.shown["allIds"], self.ids())
        self.assertEqual(self.shown["searchIds"], [WANTED])
        row = [r for r in self.rows if r["request_id"] == WANTED][0]
        detail = self.shown["detail"]
        self.assertEqual(detail["request_id"], WANTED)
        self.assertEqual(detail["project"], "research")
        self.assertEqual(detail["key_id"], "lab")
        self.assertEqual(detail["status"], "200")
        self.assertEqual(detail["stream"], "true")
        self.assertEqual(detail["latency_ms"], str(row["latency_ms"]))
        self.assertEqual(detail["ttft_ms"], str(row["ttft_ms"]))
        self.assertEqual(detail["overhead_us"], str(row["overhead_us"]))
        self.assertEqual(detail["attempts"], str(row["attempts"]))
        self.assertEqual(detail["usage_source"], row["usage_source"])
        self.assertEqual(detail["upstream_request_id"], row["upstream_request_id"] or "—")
        self.assertTrue(detail["cost_usd"].endswith("(%d nano-USD)" % row["cost_nusd"]))
        self.assertEqual(sorted(self.shown["timingBars"]), ["latency_ms", "ttft_ms"])

    def test_filters_narrow_the_list(self):
        research = self.ids(lambda r: r["project"] == "research")
        self.assertEqual(self.shown["projectIds"], research)
        self.assertLess(len(research), len(self.rows))
        self.assertEqual(set(self.shown["projectCells"]), {"research"})
        self.assertEqual(self.shown["refusedIds"], ["refused-x"])
        self.assertEqual(self.shown["clearedIds"], self.ids())

    def test_range_picker_and_auto_refresh(self):
        self.assertEqual(self.shown["pastIds"], [])
        self.assertIn(WANTED, self.shown["last15Ids"])
        self.assertTrue(self.shown["autoRefreshed"])

    def test_latency_chart_draws_the_api_percentiles(self):
        points = self.shown["latencyPoints"]
        self.assertTrue(points)
        self.assertEqual({p["model"] for p in points}, {"gpt-4o-mini"})
        self.assertEqual({p["stat"] for p in points},
                         {"ttft_p50_ms", "ttft_p99_ms", "overhead_p50_us", "overhead_p99_us"})
        # Every point is one of the API's percentiles, at its bucket...
        api = self.shown["latencyApi"]
        expected = sorted((r["model"], stat, r[stat], r["ts_ms"]) for r in api["rows"]
                          for stat in ("ttft_p50_ms", "ttft_p99_ms", "overhead_p50_us", "overhead_p99_us")
                          if r[stat] is not None)
        self.assertEqual(sorted((p["model"], p["stat"], p["value"], p["bucket"]) for p in points), expected)
        # ...and the API's percentiles are the ledger's (nearest rank over dispatched rows).
        dispatched = [r for r in self.rows if r["attempts"] > 0 and r["key_id"] != "ui-minted"]
        self.assertEqual(api["rows_scanned"], len(dispatched))
        self.assertEqual(sum(r["requests"] for r in api["rows"]), len(dispatched))
        self.assertEqual(api["overhead_source"], "overhead_us")
        if len(api["rows"]) == 1:  # one bucket holds every request of the test
            overhead = sorted(r["overhead_us"] for r in dispatched)
            self.assertEqual(api["rows"][0]["overhead_p50_us"], overhead[(len(overhead) + 1) // 2 - 1])
            self.assertEqual(api["rows"][0]["overhead_p99_us"], overhead[-1])
        self.assertIn("gpt-4o-mini/overhead_p99_us", self.shown["latencyPaths"])

    def test_key_minted_in_the_ui_works_then_is_revoked(self):
        s = self.shown
        self.assertEqual(s["secretPrefix"], "sk-sluice-")
        self.assertEqual(s["mintedRow"]["project"], "research")
        self.assertEqual(s["mintedRow"]["models"], "gpt-4o-mini")
        self.assertEqual(s["mintedRow"]["source"], "admin")
        self.assertIn(s["copyStatus"], ("copied", "selected: press Ctrl-C (or ⌘-C) to copy"))
        if s["copyStatus"] == "copied":
            self.assertIs(s["clipboardHasSecret"], True)
        self.assertEqual(s["statusWithNewKey"], 200)
        self.assertTrue(s["secretGoneAfterDone"], "the secret is shown once, then forgotten")
        self.assertTrue(s["secretPanelHidden"])
        self.assertIn("Revoke ui-minted?", s["confirmShown"])
        self.assertEqual(s["keyError"], "")
        self.assertEqual(s["statusAfterRevoke"], 401)
        minted = [r for r in self.ledger() if r["key_id"] == "ui-minted"]
        self.assertEqual([(r["project"], r["status"]) for r in minted], [("research", 200)])

    def test_dark_mode_follows_the_system(self):
        self.assertEqual(self.shown["lightBackground"], "rgb(247, 248, 250)")
        self.assertEqual(self.shown["darkBackground"], "rgb(13, 17, 23)")
        self.assertEqual(self.shown["darkText"], "rgb(228, 231, 236)")

    def test_screenshots_are_kept(self):
        self.assertEqual(len(self.shown["shots"]), 6)
        for path in self.shown["shots"]:
            self.assertTrue(path.startswith(SHOTS))
            self.assertGreater(os.path.getsize(path), 10000, path)


if __name__ == "__main__":
    unittest.main(verbosity=2)
