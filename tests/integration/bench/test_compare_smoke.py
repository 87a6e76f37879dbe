"""bench/compare in its smoke mode: the whole script runs (every phase, every gateway
that is installed, the JSON report and the SVG plot) against the real binaries on
loopback. It checks counts and the report's shape, never speed: the numbers of a
smoke run on a test machine mean nothing."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

SOURCE = os.environ.get("SLUICE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../../.."))
COMPARE = os.path.join(SOURCE, "bench", "compare")


def installed(name):
    return shutil.which(name) or os.access("/usr/sbin/" + name, os.X_OK)


class CompareSmoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="compare-smoke-")
        cls.json_path = os.path.join(cls.dir, "compare.json")
        cls.svg_path = os.path.join(cls.dir, "compare.svg")
        # Binaries come from the build under test (SLUICE_BIN, SLUICE_MOCK_BIN,
        # SLUICE_LOAD_BIN); the script must not build anything itself.
        cls.proc = subprocess.run(
            [sys.executable, COMPARE, "--smoke", "--no-build", "--json", cls.json_path,
             "--plot", cls.svg_path],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
        cls.stdout = cls.proc.stdout.decode(errors="replace")
        cls.stderr = cls.proc.stderr.decode(errors="replace")
        cls.report = None
        if os.path.exists(cls.json_path):
            with open(cls.json_path) as f:
                cls.report = json.load(f)
        cls.targets = ["direct"] + [t for t in ("nginx", "haproxy") if installed(t)] + ["sluice"]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_exits_zero_with_a_report(self):
        self.assertEqual(self.proc.returncode, 0, self.stderr[-4000:])
        self.assertIsNotNone(self.report)
        self.assertNotIn("exited_early", self.report)

    def test_every_target_answered_every_phase_without_errors(self):
        res = self.report["results"]
        self.assertEqual(sorted(res["max"]), sorted(self.targets))
        for t in self.targets:
            self.assertGreater(res["max"][t]["ok"], 0, t)
            self.assertEqual(res["max"][t]["errors"], 0, t)
        self.assertEqual(sorted(res["latency"]), ["100", "200"])
        for rate, per in res["latency"].items():
            self.assertEqual(sorted(per), sorted(self.targets), rate)
            for t, s in per.items():
                self.assertGreater(s["ok"], 0, (rate, t))
                self.assertEqual(s["errors"], 0, (rate, t))
                self.assertEqual(s["target_rate"], float(rate))
                self.assertIn("p99_9", s["latency_us"])
                if t != "direct":
                    self.assertIn("p99", s["added_us"])

    def test_streams_measure_ttft_gaps_and_gateway_cost(self):
        streams = self.report["results"]["streams"]
        self.assertEqual(sorted(streams), sorted(self.targets))
        for t, s in streams.items():
            self.assertEqual(s["errors"], 0, t)
            self.assertGreater(s["ttft_us"]["count"], 0, t)
            # 10 tokens per stream: 9 gaps each.
            self.assertGreaterEqual(s["inter_chunk_us"]["count"], 9 * s["ttft_us"]["count"], t)
            if t == "direct":
                self.assertNotIn("cpu_s_per_1k_streams", s)
                continue
            self.assertGreater(s["cpu_s"], 0, t)
            self.assertGreater(s["rss_peak_kib"], 0, t)
            self.assertIn("rss_kib_per_1k_streams", s)
            self.assertIn("inter_chunk_p99", s["added_us"])
            self.assertIn("ttft_p99", s["added_us"])

    def test_sluice_wrote_a_ledger_row_per_request(self):
        res = self.report["results"]
        measured = res["max"]["sluice"]["completed"] + res["streams"]["sluice"]["completed"] + sum(
            per["sluice"]["completed"] for per in res["latency"].values())
        # Warm-up and baseline requests are in the ledger too, so at least as many rows.
        self.assertGreaterEqual(self.report["sluice_ledger_rows"], measured)

    def test_table_ratios_and_goals(self):
        self.assertIn("maximum requests/s", self.stdout)
        self.assertIn("ratios (sluice / nginx, sluice / direct)", self.stdout)
        ratios = self.report["ratios"]
        self.assertIn("rps_sluice_over_direct", ratios)
        self.assertGreater(ratios["rps_sluice_over_direct"], 0)
        if "nginx" in self.targets:
            self.assertGreater(ratios["rps_sluice_over_nginx"], 0)
        goals = [g["goal"] for g in self.report["goals"]]
        self.assertTrue(any(g.startswith("requests/s") for g in goals), goals)
        self.assertTrue(any("inter-chunk" in g for g in goals), goals)

    def test_plot_is_svg_with_a_bar_per_target(self):
        root = ET.parse(self.svg_path).getroot()
        self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
        titles = [e.text for e in root.iter("{http://www.w3.org/2000/svg}title")]
        for t in self.targets:
            self.assertIn("%s requests/s" % t, " ".join(x for x in titles if x), t)


class CompareSmokePostgres(unittest.TestCase):
    """--ledger postgres: the run starts its own PostgreSQL and sluice writes its ledger
    there; every measured request has its row."""

    def test_rows_reach_postgresql(self):
        if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
            self.skipTest("PostgreSQL server binaries not installed")
        d = tempfile.mkdtemp(prefix="compare-smoke-pg-")
        json_path = os.path.join(d, "compare.json")
        try:
            proc = subprocess.run(
                [sys.executable, COMPARE, "--smoke", "--no-build", "--targets", "direct,sluice",
                 "--ledger", "postgres", "--json", json_path],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
            stderr = proc.stderr.decode(errors="replace")
            self.assertEqual(proc.returncode, 0, stderr[-4000:])
            self.assertIn("PostgreSQL ledger on 127.0.0.1:", stderr)
            with open(json_path) as f:
                report = json.load(f)
            res = report["results"]
            self.assertEqual(res["max"]["sluice"]["errors"], 0)
            measured = res["max"]["sluice"]["completed"] + res["streams"]["sluice"]["completed"] + sum(
                per["sluice"]["completed"] for per in res["latency"].values())
            self.assertGreater(measured, 0)
            self.assertGreaterEqual(report["sluice_ledger_rows"], measured)
        finally:
            shutil.rmtree(d, ignore_errors=True)


def run_compare(test, args, prefix):
    """Runs bench/compare --smoke --no-build with `args`; returns (report, stdout)."""
    d = tempfile.mkdtemp(prefix=prefix)
    test.addCleanup(shutil.rmtree, d, True)
    json_path = os.path.join(d, "compare.json")
    proc = subprocess.run([sys.executable, COMPARE, "--smoke", "--no-build", "--json", json_path]
                          + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    stderr = proc.stderr.decode(errors="replace")
    test.assertEqual(proc.returncode, 0, stderr[-4000:])
    with open(json_path) as f:
        report = json.load(f)
    test.assertNotIn("exited_early", report)
    return report, proc.stdout.decode(errors="replace")


class CompareSmokeCount(unittest.TestCase):
    """--count: sluice under callgrind and under strace for two request counts; the
    marginal instructions, allocations and system calls per request are reported."""

    def test_counts_per_request(self):
        if not (shutil.which("valgrind") and shutil.which("strace")):
            self.skipTest("valgrind and strace are not installed")
        if os.environ.get("SLUICE_SANITIZE", "none") != "none":
            # A sanitizer's runtime must load first, which valgrind does not allow.
            self.skipTest("valgrind cannot run a sanitizer build")
        report, stdout = run_compare(self, ["--targets", "direct,sluice", "--count",
                                            "--count-requests", "10,210",
                                            "--skip", "max,latency,streams"], "compare-count-")
        c = report["results"]["count"]["sluice"]
        self.assertEqual([r["ok"] for r in c["callgrind"]], [10, 210])
        self.assertEqual([r["ok"] for r in c["strace"]], [10, 210])
        # Two hundred more requests cost more instructions and system calls: enough of
        # them that the background threads' timing (ticks, ledger batches, a million or
        # two instructions either way; twenty requests once read -60,737 a request) does
        # not outweigh them. Allocations are counted in every run, but their marginal
        # moves with the ledger thread's batches by more.
        self.assertGreater(c["instructions_per_request"], 1000)
        self.assertGreater(c["syscalls_per_request"], 0)
        for run in c["callgrind"]:
            self.assertGreater(run["allocations"], 1000)
        self.assertIsInstance(c["allocations_per_request"], float)
        self.assertIn("counts per proxied request", stdout)
        self.assertNotIn("direct", report["results"]["count"])


class CompareSmokeHttps(unittest.TestCase):
    """--https: the mock serves TLS and every gateway verifies it; every request is
    answered 200 through each of them."""

    def test_every_target_relays_over_https(self):
        if not shutil.which("openssl"):
            self.skipTest("the openssl command is not installed")
        targets = ["direct"] + [t for t in ("nginx", "haproxy") if installed(t)] + ["sluice"]
        report, stdout = run_compare(self, ["--targets", ",".join(targets), "--https",
                                            "--skip", "latency,streams"], "compare-https-")
        self.assertEqual(report["upstream"], "https")
        self.assertIn("upstream: HTTPS", stdout)
        res = report["results"]["max"]
        self.assertEqual(sorted(res), sorted(targets))
        for t in targets:
            self.assertGreater(res[t]["ok"], 0, t)
            self.assertEqual(res[t]["errors"], 0, t)
            self.assertEqual(list(res[t]["status"]), ["200"], t)


class CompareSmokeTranslate(unittest.TestCase):
    """--translate: the OpenAI client through an Anthropic alias (translated) and the
    Anthropic client through the same alias (native) both answer every request, and the
    ratio of the one over the other is reported beside its target."""

    def test_translated_and_native_answer_and_are_compared(self):
        report, stdout = run_compare(self, ["--targets", "direct,sluice", "--translate",
                                            "anthropic", "--skip", "latency,streams"],
                                     "compare-translate-")
        res = report["results"]["max"]
        self.assertEqual(sorted(res), ["direct", "native", "sluice", "translated"])
        for t in ("native", "translated"):
            self.assertGreater(res[t]["ok"], 0, t)
            self.assertEqual(res[t]["errors"], 0, t)
            self.assertEqual(list(res[t]["status"]), ["200"], t)
        self.assertIsInstance(report["ratios"]["rps_translated_over_native"], float)
        goals = [g["goal"] for g in report["goals"]]
        self.assertIn("requests/s translated >= 0.9x the provider passed through", goals)
        self.assertIn("native", stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
