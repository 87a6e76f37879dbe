"""Admission end to end: the real sluice (several shards) in front of the real
sluice-mock. Limits admit no more than their bucket allows across all shards, budgets
refuse past their spend and remember it over a restart, queues wait instead of failing,
and a shared provider account is split by weight while the provider's own 429s stay rare.
Every assertion is on counts and contents; elapsed time only widens the bounds."""

import email.utils
import http.server
import json
import os
import re
import socket
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ADMIN = "admin-key-limits"
BODY = {"model": "gpt", "max_tokens": 16,
        "messages": [{"role": "user", "content": "Say something short."}]}


def config(directory, mock_port, shards=1, provider_limits="{}", projects=None, keys=None,
           chars_per_token=4.0, price="1000.0", extra="", kind="openai"):
    projects = projects or '{ "default": {} }'
    keys = keys or "[]"
    text = """{
  "listen": [{ "address": "127.0.0.1", "port": 0 }],
  "shards": %d,
  "ledger": { "path": "%s/ledger.db", "flush_ms": 20 },
  "server": { "access_log": "off" },
  "admission": { "tick_ms": 2 },
  "providers": {
    "mock": { "kind": "%s", "base_url": "http://127.0.0.1:%d%s",
              "chars_per_token": %s, "limits": %s }
  },
  "models": {
    "gpt": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini" }],
             "price": { "input_per_mtok": %s, "output_per_mtok": %s } }
  },
  "projects": %s,
  "allow_anonymous": %s,
  "keys": %s%s
}""" % (shards, directory, kind, mock_port, "/v1" if kind == "openai" else "", chars_per_token, provider_limits, price, price, projects,
        "true" if keys == "[]" else "false", keys, extra)
    return h.write_config(directory, text)


def post(port, key=None, body=None, timeout=60):
    headers = {"Authorization": "Bearer " + key} if key else {}
    return h.http(port, "POST", "/v1/chat/completions", body or BODY, headers, timeout=timeout)


def flood(port, threads, per_thread, key=None, body=None):
    """`threads` clients at once, each sending `per_thread` requests back to back.
    Returns the responses (None for a connection that failed)."""
    out = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def client():
        start.wait()
        for _ in range(per_thread):
            try:
                r = post(port, key, body)
            except OSError:
                r = None
            with lock:
                out.append(r)

    ts = [threading.Thread(target=client) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def mock_stats(port):
    return h.http(port, "GET", "/mock/stats").json()


class Overshoot(unittest.TestCase):
    """Four shards, hundreds of clients, one tight limit: never more than the bucket."""

    def run_flood(self, provider_limits, threads, per_thread, chars_per_token=4.0):
        d = tempfile.mkdtemp()
        mock = h.start_mock()
        try:
            sluice = h.start_sluice(config(d, mock.port, shards=4, provider_limits=provider_limits,
                                           chars_per_token=chars_per_token))
            try:
                t0 = time.monotonic()
                rs = flood(sluice.port, threads, per_thread)
                elapsed = time.monotonic() - t0
                stats = mock_stats(mock.port)
            finally:
                sluice.stop()
            return d, rs, elapsed, stats
        finally:
            mock.stop()

    def test_requests_never_exceed_burst_plus_rate(self):
        burst, rpm = 20, 600  # 10/s: the refill counts as well as the burst
        d, rs, elapsed, stats = self.run_flood(
            '{ "requests_per_minute": %d, "burst_requests": %d }' % (rpm, burst), 200, 4)
        ok = [r for r in rs if r and r.status == 200]
        refused = [r for r in rs if r and r.status == 429]
        self.assertEqual(len(ok) + len(refused), 800)
        bound = burst + rpm / 60.0 * elapsed
        print("\nrequests: admitted %d of %d, bound %.1f" % (len(ok), len(rs), bound), file=sys.stderr)
        self.assertLessEqual(len(ok), bound, "admitted %d > burst + rate * %.1fs" % (len(ok), elapsed))
        self.assertGreaterEqual(len(ok), burst)  # the full bucket was there to take
        self.assertEqual(stats["requests"]["openai_chat"], len(ok))
        # The refusals speak OpenAI's envelope and say when to come back.
        r = refused[0]
        self.assertEqual(r.header("x-sluice-error-class"), "rate_limited")
        self.assertEqual(r.json()["error"]["type"], "rate_limit_error")
        self.assertGreaterEqual(int(r.header("retry-after")), 1)
        self.assertGreaterEqual(int(r.header("retry-after-ms")), 1)
        # The message gives the same wait in seconds with three decimals.
        wait = re.search(r"; retry in (\d+)\.(\d{3})s$", r.json()["error"]["message"])
        self.assertIsNotNone(wait, r.json()["error"]["message"])
        self.assertEqual(int(wait.group(1)) * 1000 + int(wait.group(2)),
                         int(r.header("retry-after-ms")))
        # The reset header is a duration as OpenAI writes it ("6m0s", "1.5s", "20ms").
        self.assertRegex(r.header("x-ratelimit-reset-requests"),
                         r"^(\d+ms|\d+(\.\d{1,3})?s|\d+m\d+s)$")
        self.assertEqual(r.header("x-ratelimit-limit-requests"), str(rpm))
        self.assertIsNotNone(r.header("x-ratelimit-remaining-requests"))
        self.assertIsNotNone(r.header("x-ratelimit-reset-requests"))
        self.assertEqual(ok[0].header("x-ratelimit-limit-requests"), str(rpm))
        # Every refusal has its ledger row.
        rows = h.ledger_rows(d, "outcome = 'rejected'", wait_for=len(refused))
        self.assertEqual(len(rows), len(refused))
        self.assertTrue(all(row["status"] == 429 and row["error_class"] == "rate_limited" for row in rows))

    def test_tokens_never_exceed_burst_plus_rate(self):
        # chars_per_token 0.5 estimates above the real usage: settlement only refunds,
        # so the bound holds with no estimation error at all.
        burst, tpm = 2000, 6000
        d, rs, elapsed, stats = self.run_flood(
            '{ "tokens_per_minute": %d, "burst_tokens": %d }' % (tpm, burst), 100, 3,
            chars_per_token=0.5)
        ok = [r for r in rs if r and r.status == 200]
        self.assertEqual(len([r for r in rs if r and r.status in (200, 429)]), 300)
        rows = h.ledger_rows(d, "outcome = 'ok'", wait_for=len(ok))
        self.assertEqual(len(rows), len(ok))
        used = sum(row["input_tokens"] + row["output_tokens"] for row in rows)
        per_request = rows[0]["input_tokens"] + rows[0]["output_tokens"]
        bound = burst + tpm / 60.0 * elapsed
        print("\ntokens: %d requests admitted, %d tokens used, bound %.0f" % (len(ok), used, bound),
              file=sys.stderr)
        self.assertLessEqual(used, bound, "used %d tokens > %.0f" % (used, bound))
        self.assertGreater(len(ok), 0)
        self.assertLess(len(ok), 300)
        self.assertGreaterEqual(used, per_request)


class Budgets(unittest.TestCase):
    def test_budget_refuses_and_survives_restart(self):
        d = tempfile.mkdtemp()
        mock = h.start_mock()
        projects = '{ "default": { "budget": { "usd_per_day": 0.2 } } }'
        cfg = config(d, mock.port, projects=projects)
        try:
            sluice = h.start_sluice(cfg)
            statuses = []
            last = None
            try:
                for _ in range(30):
                    last = post(sluice.port)
                    statuses.append(last.status)
                    if last.status == 429:
                        break
            finally:
                sluice.stop()
            self.assertIn(200, statuses)
            self.assertEqual(statuses[-1], 429, statuses)
            self.assertEqual(last.header("x-sluice-error-class"), "budget_exceeded")
            self.assertEqual(last.json()["error"]["type"], "insufficient_quota")
            self.assertGreaterEqual(int(last.header("retry-after")), 1)
            costs = [r["cost_usd"] for r in h.ledger_rows(d, "outcome = 'ok'")]
            # Sequential requests: at most the estimation error of one request over.
            self.assertLessEqual(sum(costs), 0.2 + max(costs))
            # A restart reads the day's spend back from the ledger: still refused.
            sluice = h.start_sluice(cfg)
            try:
                again = post(sluice.port)
            finally:
                sluice.stop()
            self.assertEqual(again.status, 429)
            self.assertEqual(again.header("x-sluice-error-class"), "budget_exceeded")
            self.assertEqual(mock_stats(mock.port)["requests"]["openai_chat"], statuses.count(200))
        finally:
            mock.stop()


class Queueing(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        projects = """{ "default": {},
          "waits": { "queue": { "max_wait_ms": 20000, "max_length": 10 },
                     "limits": { "requests_per_minute": 60, "burst_requests": 1 } },
          "tiny": { "queue": { "max_wait_ms": 20000, "max_length": 1 },
                    "limits": { "requests_per_minute": 60, "burst_requests": 1 } } }"""
        keys = """[{ "id": "w", "project": "waits", "key": "sk-waits" },
                   { "id": "t", "project": "tiny", "key": "sk-tiny" }]"""
        cls.sluice = h.start_sluice(config(cls.dir, cls.mock.port, shards=2, projects=projects,
                                           keys=keys), env={"SLUICE_ADMIN_KEY": ADMIN})

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def limits(self):
        return h.http(self.sluice.port, "GET", "/admin/limits",
                      headers={"Authorization": "Bearer " + ADMIN}).json()

    def test_queued_requests_wait_and_get_through(self):
        rs = flood(self.sluice.port, 3, 1, key="sk-waits")
        # One from the bucket, two from the queue as the bucket refills (1/s).
        self.assertEqual(sorted(r.status for r in rs), [200, 200, 200])

    def test_client_that_hangs_up_leaves_the_queue(self):
        post(self.sluice.port, "sk-waits")  # empties the bucket (or waits for it)
        s = h.connect(self.sluice.port)
        s.sendall(h.request_bytes("POST", "/v1/chat/completions", BODY,
                                  {"Authorization": "Bearer sk-waits", "x-request-id": "gone-1"}))
        deadline = time.time() + 20
        while self.limits()["queues"]["waits"] == 0 and time.time() < deadline:
            time.sleep(0.01)
        s.close()
        while self.limits()["queues"]["waits"] != 0 and time.time() < deadline:
            time.sleep(0.01)
        self.assertEqual(self.limits()["queues"]["waits"], 0)
        rows = h.ledger_rows(self.dir, "request_id = 'gone-1'", wait_for=1)
        self.assertEqual(len(rows), 1)
        self.assertIn(rows[0]["outcome"], ("client_cancelled", "ok"))

    def test_queue_overflow_is_a_429(self):
        rs = flood(self.sluice.port, 8, 1, key="sk-tiny")
        statuses = [r.status for r in rs]
        self.assertIn(429, statuses)
        full = [r for r in rs if r.status == 429][0]
        self.assertIn("queue full", full.json()["error"]["message"])
        self.assertEqual(full.header("x-sluice-error-class"), "rate_limited")

    def test_admin_limits_lists_every_limit(self):
        self.assertEqual(h.http(self.sluice.port, "GET", "/admin/limits").status, 401)
        doc = self.limits()
        ids = {l["id"]: l for l in doc["limits"]}
        self.assertEqual(ids["project:waits"]["level"], "project")
        self.assertEqual(ids["project:waits"]["requests"]["per_minute"], 60)
        self.assertIn("remaining", ids["project:waits"]["requests"])
        self.assertIn("reserved_tokens", ids["project:waits"])
        self.assertIn("waits", ids["project:waits"]["queued"])


class ProviderFeedback(unittest.TestCase):
    def test_account_paced_to_the_provider_headers(self):
        # sluice believes the account allows 600/min; the provider allows 30.
        d = tempfile.mkdtemp()
        mock = h.start_mock("--rpm", "30")
        projects = '{ "default": { "queue": { "max_wait_ms": 2000, "max_length": 100 } } }'
        try:
            sluice = h.start_sluice(config(d, mock.port, shards=2, projects=projects,
                                           provider_limits='{ "requests_per_minute": 600 }'))
            try:
                t0 = time.monotonic()
                rs = flood(sluice.port, 8, 12)
                elapsed = time.monotonic() - t0
                stats = mock_stats(mock.port)
            finally:
                sluice.stop()
        finally:
            mock.stop()
        ok = sum(1 for r in rs if r and r.status == 200)
        provider_429 = stats["rate_limited"]
        print("\nfeedback: %d ok of %d, provider 429s %d" % (ok, len(rs), provider_429), file=sys.stderr)
        self.assertGreaterEqual(ok, 30)  # the provider's burst
        self.assertLessEqual(ok, 30 + 0.5 * elapsed + 1)
        # Without feedback sluice would have sent every one of the 96 requests.
        self.assertLessEqual(provider_429, 8, "provider 429s: %d" % provider_429)


    def test_anthropic_account_paced_to_its_headers(self):
        d = tempfile.mkdtemp()
        mock = h.start_mock("--rpm", "20")
        projects = '{ "default": { "queue": { "max_wait_ms": 1500, "max_length": 100 } } }'
        body = {"model": "claude-sonnet-4-5", "max_tokens": 16,
                "messages": [{"role": "user", "content": "Say something short."}]}
        try:
            sluice = h.start_sluice(config(d, mock.port, shards=2, projects=projects,
                                           kind="anthropic",
                                           provider_limits='{ "requests_per_minute": 600 }'))
            statuses = []
            lock = threading.Lock()

            def client():
                for _ in range(8):
                    r = h.http(sluice.port, "POST", "/anthropic/v1/messages", body,
                               {"anthropic-version": "2023-06-01"}, timeout=60)
                    with lock:
                        statuses.append(r.status)
                        if r.status == 429:
                            self.assertEqual(r.json()["type"], "error")

            try:
                ts = [threading.Thread(target=client) for _ in range(6)]
                for t in ts:
                    t.start()
                for t in ts:
                    t.join()
                stats = mock_stats(mock.port)
            finally:
                sluice.stop()
        finally:
            mock.stop()
        print("\nanthropic feedback: %d ok of %d, provider 429s %d"
              % (statuses.count(200), len(statuses), stats["rate_limited"]), file=sys.stderr)
        self.assertGreaterEqual(statuses.count(200), 15)  # most of the provider's burst of 20
        self.assertLessEqual(stats["rate_limited"], 6)


class StandIn(http.server.BaseHTTPRequestHandler):
    """A stand-in provider that counts what reached it (server.seen)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class DatedRetryAfter(StandIn):
    """Answers the first request 429 with `Retry-After` as an HTTP-date 60 s ahead, every
    later one 200."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen += 1
        if self.server.seen == 1:
            body = json.dumps({"error": {"message": "Rate limit reached", "type": "requests",
                                         "code": "rate_limit_exceeded"}}).encode()
            date = email.utils.formatdate(time.time() + 60, usegmt=True)
            self.answer(429, body, [("Retry-After", date)])
        else:
            self.answer(200, h.COMPLETION)


class DatedPause(unittest.TestCase):
    def test_a_429_with_an_http_date_pauses_the_account(self):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DatedRetryAfter)
        server.seen = 0
        threading.Thread(target=server.serve_forever, daemon=True).start()
        d = tempfile.mkdtemp()
        sluice = h.start_sluice(config(d, server.server_address[1], shards=2,
                                       provider_limits='{ "requests_per_minute": 600 }'))
        try:
            first = post(sluice.port)
            self.assertEqual(first.status, 429)
            # The account is paused until the date: nothing more reaches the provider.
            for _ in range(4):
                r = post(sluice.port)
                self.assertEqual(r.status, 429)
                self.assertNotEqual(r.header("retry-after"), None)
            self.assertEqual(server.seen, 1)
        finally:
            sluice.stop()
            server.shutdown()


class FarReset(StandIn):
    """Answers 200 saying the account has nothing left until a reset 2^64-1 ns away (more
    than 584 years)."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen += 1
        self.answer(200, h.COMPLETION, [("x-ratelimit-limit-requests", "1"),
                                        ("x-ratelimit-remaining-requests", "0"),
                                        ("x-ratelimit-reset-requests", "18446744073709551615ns")])


class FarResetPause(unittest.TestCase):
    def test_an_absurd_reset_pauses_for_an_hour_at_most(self):
        """The reset, added to the clock, would wrap it and pause only for the refill of a
        1-a-minute account (120 s); it is capped at an hour, like a retry-after."""
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FarReset)
        server.seen = 0
        threading.Thread(target=server.serve_forever, daemon=True).start()
        d = tempfile.mkdtemp()
        sluice = h.start_sluice(config(d, server.server_address[1],
                                       provider_limits='{ "requests_per_minute": 600 }'))
        try:
            self.assertEqual(post(sluice.port).status, 200)
            for _ in range(3):
                r = post(sluice.port)
                self.assertEqual(r.status, 429)
                wait = int(r.header("retry-after"))
                self.assertGreater(wait, 3000)
                # The hour, plus the refill of an account the provider says allows 1 a
                # minute (the request it owes for).
                self.assertLessEqual(wait, 3600 + 300)
            self.assertEqual(server.seen, 1)
        finally:
            sluice.stop()
            server.shutdown()


class ThreeAM(unittest.TestCase):
    """The provider account is shared: production (weight 3) at a steady rate, an
    experiment (weight 1) flooding at ten times the account's rate."""

    def test_production_keeps_its_share_while_experiments_flood(self):
        d = tempfile.mkdtemp()
        rpm = 120  # the provider's real account: 2 requests/s, burst 120
        mock = h.start_mock("--rpm", str(rpm))
        projects = """{
          "production":  { "weight": 3, "queue": { "max_wait_ms": 15000, "max_length": 50 } },
          "experiments": { "weight": 1, "queue": { "max_wait_ms": 3000, "max_length": 10 } } }"""
        keys = """[{ "id": "prod", "project": "production", "key": "sk-prod" },
                   { "id": "exp", "project": "experiments", "key": "sk-exp" }]"""
        duration = 12.0
        try:
            sluice = h.start_sluice(config(d, mock.port, shards=2, projects=projects, keys=keys,
                                           provider_limits='{ "requests_per_minute": 132 }'))
            try:
                stop = threading.Event()
                exp_results = []
                lock = threading.Lock()

                exp_waits = []

                def experiment():
                    while not stop.is_set():
                        t1 = time.monotonic()
                        try:
                            r = post(sluice.port, "sk-exp")
                        except OSError:
                            continue
                        with lock:
                            exp_results.append(r.status)
                            if r.status == 200:
                                exp_waits.append(time.monotonic() - t1)

                flooders = [threading.Thread(target=experiment) for _ in range(24)]
                for t in flooders:
                    t.start()
                prod_results = []
                prod_waits = []
                prod_threads = []

                def production():
                    t1 = time.monotonic()
                    prod_results.append(post(sluice.port, "sk-prod").status)
                    prod_waits.append(time.monotonic() - t1)

                t0 = time.monotonic()
                while time.monotonic() - t0 < duration:
                    t = threading.Thread(target=production)
                    t.start()
                    prod_threads.append(t)
                    time.sleep(0.8)
                for t in prod_threads:
                    t.join()
                stop.set()
                for t in flooders:
                    t.join()
                elapsed = time.monotonic() - t0
                stats = mock_stats(mock.port)
            finally:
                sluice.stop()
        finally:
            mock.stop()
        prod_ok = prod_results.count(200)
        exp_ok = exp_results.count(200)
        capacity = rpm + rpm / 60.0 * elapsed  # what the provider account can take
        report = {"production_sent": len(prod_results), "production_ok": prod_ok,
                  "experiments_sent": len(exp_results), "experiments_ok": exp_ok,
                  "provider_429": stats["rate_limited"], "elapsed_s": round(elapsed, 1),
                  "production_share": round(prod_ok / max(1, prod_ok + exp_ok), 3),
                  "production_wait_ms_median_max": [round(sorted(prod_waits)[len(prod_waits) // 2] * 1000),
                                                    round(max(prod_waits) * 1000)],
                  "experiments_ok_wait_ms_median_max": [round(sorted(exp_waits)[len(exp_waits) // 2] * 1000) if exp_waits else 0,
                                                        round(max(exp_waits) * 1000) if exp_waits else 0]}
        print("\n3am scenario: " + json.dumps(report), file=sys.stderr)
        self.assertEqual(prod_ok, len(prod_results), report)  # every production request
        # The experiment gets what production leaves (work-conserving), at least half of it.
        self.assertGreaterEqual(exp_ok, 0.5 * (capacity - prod_ok), report)
        self.assertGreaterEqual(len(exp_results), 3 * (exp_ok + prod_ok), report)  # it flooded
        self.assertLessEqual(prod_ok + exp_ok, capacity + 2, report)
        self.assertLessEqual(stats["rate_limited"], 5, report)


if __name__ == "__main__":
    unittest.main(verbosity=2)
