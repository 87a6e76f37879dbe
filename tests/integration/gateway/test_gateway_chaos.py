"""The chaos matrix: every fault sluice-mock can inject, against streamed and non-streamed
requests of each provider kind, through the real sluice. For each cell it checks what
the client received (status, envelope, final error event), the ledger row (outcome,
attempts, error_class, usage), and that the upstream tries the mock counted (per
x-mock-fault-key) are the tries the ledger recorded. Then breakers (/readyz, fail-fast
503 with the degraded marker, half-open probe), fallbacks, the retry budget, deadlines
and client cancellation. The matrix is printed at the end."""

import json
import os
import socket
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

MARKER = "[SLUICE_PROVIDER_DEGRADED]"
MATRIX = []  # (kind, stream, fault, status, outcome, attempts, error_class)

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello there"}]}
MESSAGES = {"model": "claude-sonnet-4-5", "max_tokens": 64,
            "messages": [{"role": "user", "content": "Hello there"}]}
GEMINI = {"contents": [{"role": "user", "parts": [{"text": "Hello there"}]}]}

# Fast retries and short deadlines so faults resolve quickly; breakers and budgets out of
# the way (the matrix tests classes, the classes below test those).
FAST = """ "retry": { "attempts": 2, "base_ms": 5, "cap_ms": 20, "max_wait_ms": 3000,
                     "budget_ratio": 1.0, "budget_min": 100000 },
          "breaker": { "failures": 60000, "cooldown_ms": 1000 },
          "timeouts": { "first_byte_ms": 1000, "idle_ms": 2000 } """


def providers(port, extra=""):
    return """{
    "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1", %s },
    "mock-anthropic": { "kind": "anthropic", "base_url": "http://127.0.0.1:%d", %s },
    "mock-gemini": { "kind": "gemini", "base_url": "http://127.0.0.1:%d", %s }%s
  }""" % (port, FAST, port, FAST, port, FAST, extra)


def config(directory, providers_json, models=None, server="{}"):
    models = models or """{
      "gpt-4o-mini": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini-2024-07-18" }],
                       "price": { "input_per_mtok": 0.15, "output_per_mtok": 0.60 } }
    }"""
    text = """{
  "listen": [{ "address": "127.0.0.1", "port": 0 }],
  "shards": 1,
  "ledger": { "path": "%s/ledger.db", "flush_ms": 20 },
  "server": %s,
  "providers": %s,
  "models": %s,
  "projects": { "default": {} },
  "allow_anonymous": true,
  "keys": []
}""" % (directory, server, providers_json, models)
    return h.write_config(directory, text)


def request_for(kind, stream):
    """(path, body) of a request of this provider kind."""
    if kind == "openai":
        return "/v1/chat/completions", dict(CHAT, stream=stream)
    if kind == "anthropic":
        return "/anthropic/v1/messages", dict(MESSAGES, stream=stream)
    model = "gemini-flash"
    if stream:
        return "/gemini/v1beta/models/%s:streamGenerateContent?alt=sse" % model, GEMINI
    return "/gemini/v1beta/models/%s:generateContent" % model, GEMINI


def mock_stats(mock):
    return h.http(mock.port, "GET", "/mock/stats").json()


def tries(mock, key):
    return mock_stats(mock)["fault_keys"].get(key, 0)


def readyz(gw):
    r = h.http(gw.port, "GET", "/readyz")
    assert r.status == 200, r.status
    return r.json()["providers"]


class Call:
    """One request through sluice; a connection the gateway cut reads as cut=True."""

    def __init__(self, gw, kind, stream, fault=None, headers=None):
        self.key = uuid.uuid4().hex
        self.request_id = "chaos-" + self.key
        path, body = request_for(kind, stream)
        hdrs = {"x-request-id": self.request_id, "x-mock-fault-key": self.key,
                "x-mock-output-tokens": "6"}
        if fault:
            hdrs["x-mock-fault"] = fault
        hdrs.update(headers or {})
        self.cut = False
        self.response = None
        s = h.connect(gw.port, timeout=20)
        try:
            s.sendall(h.request_bytes("POST", path, json.dumps(body).encode(), hdrs))
            self.response = h.Reader(s).read()
        except (EOFError, ConnectionResetError):
            self.cut = True
        finally:
            s.close()

    def row(self, directory):
        rows = h.ledger_rows(directory, "request_id = '%s'" % self.request_id, wait_for=1)
        assert len(rows) == 1, rows
        return rows[0]


def final_error_event(kind, body):
    """The error event sluice appended to a broken stream, as the client's SDK reads it."""
    text = body.decode()
    if kind == "anthropic":
        i = text.rfind("event: error\ndata: ")
        if i < 0:
            return None
        return json.loads(text[i + len("event: error\ndata: "):].split("\n")[0])
    datas = [line[len("data: "):] for line in text.split("\n") if line.startswith("data: ")]
    if not datas:
        return None
    last = json.loads(datas[-1])
    return last if "error" in last else None


class Matrix(unittest.TestCase):
    """Each fault x provider kind x stream / non-stream."""

    @classmethod
    def setUpClass(cls):
        cls.mock = h.start_mock()
        cls.dir = tempfile.mkdtemp()
        cls.gw = h.start_sluice(config(cls.dir, providers(cls.mock.port)))

    @classmethod
    def tearDownClass(cls):
        cls.gw.stop()
        cls.mock.stop()

    def cell(self, kind, stream, fault, status, outcome, attempts, error_class, headers=None):
        c = Call(self.gw, kind, stream, fault, headers)
        row = c.row(self.dir)
        got_status = "cut" if c.cut else c.response.status
        MATRIX.append((kind, "stream" if stream else "plain", fault + (" " + str(headers) if headers else ""),
                       got_status, row["outcome"], row["attempts"], row["error_class"]))
        with self.subTest(kind=kind, stream=stream, fault=fault):
            self.assertEqual(got_status, status)
            self.assertEqual(row["outcome"], outcome)
            self.assertEqual(row["error_class"], error_class)
            if attempts is not None:
                self.assertEqual(row["attempts"], attempts)
            # Every try the ledger counts reached the mock, and no other.
            self.assertEqual(tries(self.mock, c.key), row["attempts"])
        return c, row

    def test_server_error_is_retried_then_relayed(self):
        for kind in ("openai", "anthropic", "gemini"):
            for stream in (False, True):
                c, _ = self.cell(kind, stream, "status=500", 500, "upstream_error", 2, "server_error")
                self.assertIsNone(c.response.header("x-sluice-error-class"))  # the provider's own

    def test_transient_failure_is_retried_to_success(self):
        for kind in ("openai", "anthropic", "gemini"):
            for stream in (False, True):
                c, row = self.cell(kind, stream, "status=503", 200, "ok", 2, "",
                                   {"x-mock-fault-times": "1"})
                self.assertGreater(row["output_tokens"], 0)

    def test_rate_limit_honours_retry_after_then_relays(self):
        expected = {"openai": "upstream_rate_limited", "anthropic": "upstream_rate_limited",
                    "gemini": "resource_exhausted"}
        for kind, cls in expected.items():
            for stream in (False, True):
                c, _ = self.cell(kind, stream, "status=429,retry_after=0", 429, "upstream_error", 2, cls)
                self.assertEqual(c.response.header("retry-after"), "0")

    def test_retry_after_ms_is_honoured(self):
        self.cell("openai", False, "status=429,retry_after_ms=30", 429, "upstream_error", 2,
                  "upstream_rate_limited")

    def test_retry_after_beyond_max_wait_is_not_waited_for(self):
        self.cell("openai", False, "status=429,retry_after=60", 429, "upstream_error", 1,
                  "upstream_rate_limited")

    def test_should_retry_false_is_respected(self):
        for kind in ("openai", "anthropic", "gemini"):
            c, _ = self.cell(kind, False, "status=503,should_retry=0", 503, "upstream_error", 1,
                             "server_error")
            self.assertEqual(c.response.header("x-should-retry"), "false")

    def test_insufficient_quota_is_never_retried(self):
        for stream in (False, True):
            c, _ = self.cell("openai", stream, "status=429,code=insufficient_quota", 429,
                             "upstream_error", 1, "quota_exhausted")
            self.assertEqual(c.response.json()["error"]["code"], "insufficient_quota")

    def test_overloaded_529_is_retried(self):
        for kind in ("openai", "anthropic", "gemini"):
            for stream in (False, True):
                c, _ = self.cell(kind, stream, "status=529", 529, "upstream_error", 2, "overloaded")
        self.assertEqual(c.response.json()["error"]["status"] if kind == "gemini" else None,
                         c.response.json()["error"].get("status"))
        a = Call(self.gw, "anthropic", False, "status=529")
        self.assertEqual(a.response.json()["error"]["type"], "overloaded_error")

    def test_hang_before_first_byte_is_504_after_retries(self):
        for kind in ("openai", "anthropic", "gemini"):
            for stream in (False, True):
                c, row = self.cell(kind, stream, "hang", 504, "timeout", 2, "upstream_timeout")
                self.assertEqual(c.response.header("x-sluice-error-class"), "upstream_timeout")
                self.assertIn("sluice_error_class", c.response.body.decode())

    def test_refused_connection_is_retried_then_502(self):
        for kind in ("openai", "anthropic", "gemini"):
            for stream in (False, True):
                # A stale pooled connection gets one free extra try, so 2 or 3.
                c, row = self.cell(kind, stream, "refuse", 502, "upstream_error", None,
                                   "connection_reset")
                self.assertIn(row["attempts"], (2, 3))
                self.assertEqual(c.response.header("x-sluice-error-class"), "upstream_error")

    def test_drop_mid_stream_ends_with_an_error_event(self):
        for kind in ("openai", "anthropic", "gemini"):
            c, row = self.cell(kind, True, "drop_after=3", 200, "cut_off", 1, "connection_reset")
            ev = final_error_event(kind, c.response.body)
            self.assertIsNotNone(ev, c.response.body)
            if kind == "anthropic":
                self.assertEqual(ev["type"], "error")
                self.assertEqual(ev["error"]["type"], "api_error")
            elif kind == "gemini":
                self.assertEqual(ev["error"]["status"], "UNAVAILABLE")
            else:
                self.assertEqual(ev["error"]["type"], "server_error")
            self.assertEqual(row["usage_source"] in ("provider", "estimated"), True)
            self.assertGreater(row["input_tokens"], 0)

    def test_drop_of_a_plain_answer_cuts_the_connection(self):
        for kind in ("openai", "anthropic", "gemini"):
            self.cell(kind, False, "drop_after=20", "cut", "cut_off", 1, "connection_reset")

    def test_stall_mid_stream_ends_with_a_timeout_event(self):
        for kind in ("openai", "anthropic", "gemini"):
            c, row = self.cell(kind, True, "stall_after=3", 200, "cut_off", 1, "upstream_timeout")
            ev = final_error_event(kind, c.response.body)
            self.assertIsNotNone(ev, c.response.body)
            if kind == "anthropic":
                self.assertEqual(ev["error"]["type"], "timeout_error")
            elif kind == "gemini":
                self.assertEqual(ev["error"]["status"], "DEADLINE_EXCEEDED")

    def test_stall_of_a_plain_answer_cuts_the_connection(self):
        for kind in ("openai", "anthropic", "gemini"):
            self.cell(kind, False, "stall_after=20", "cut", "cut_off", 1, "upstream_timeout")

    def test_slow_drip_within_the_idle_gap_succeeds(self):
        for kind in ("openai", "anthropic", "gemini"):
            for stream in (False, True):
                self.cell(kind, stream, "drip,drip_ms=1", 200, "ok", 1, "",
                          {"x-mock-output-tokens": "1"})

    def test_unreachable_provider_is_connect_failed(self):
        d = tempfile.mkdtemp()
        gw = h.start_sluice(config(d, """{ "down": { "kind": "openai", "base_url": "http://127.0.0.1:1/v1",
            "retry": { "attempts": 3, "base_ms": 5, "cap_ms": 10 } } }""",
            models='{ "gpt-4o-mini": { "targets": [{ "provider": "down", "model": "m" }] } }'))
        try:
            c = Call(gw, "openai", False)
            self.assertEqual(c.response.status, 502)
            row = c.row(d)
            self.assertEqual((row["outcome"], row["attempts"], row["error_class"]),
                             ("upstream_error", 3, "connect_failed"))
            MATRIX.append(("openai", "plain", "closed port", 502, row["outcome"], row["attempts"],
                           row["error_class"]))
        finally:
            gw.stop()


class GarbageServer:
    """Answers every request with bytes that are not an HTTP response; counts requests."""

    def __init__(self):
        self.count = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                buf = b""
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        break
                    buf += d
                self.count += 1
                c.sendall(b"HTTP/1.1 2x0 Bogus\r\nnot a header line\r\n\r\n")
                time.sleep(0.2)
            except OSError:
                pass
            finally:
                c.close()

    def close(self):
        self.sock.close()


class UpstreamClasses(unittest.TestCase):
    """Failure classes the mock cannot fake: a TLS failure and an unparseable response."""

    def one_provider(self, d, base_url):
        return config(d, """{ "p": { "kind": "openai", "base_url": "%s",
            "retry": { "attempts": 2, "base_ms": 5, "cap_ms": 10 } } }""" % base_url,
            models='{ "gpt-4o-mini": { "targets": [{ "provider": "p", "model": "m" }] } }')

    def test_tls_handshake_failure_is_tls_failed(self):
        mock = h.start_mock()  # speaks plain HTTP: a TLS client hello gets no TLS answer
        d = tempfile.mkdtemp()
        gw = h.start_sluice(self.one_provider(d, "https://127.0.0.1:%d/v1" % mock.port))
        try:
            c = Call(gw, "openai", False)
            self.assertEqual(c.response.status, 502)
            self.assertIn("TLS", c.response.json()["error"]["message"])
            row = c.row(d)
            self.assertEqual((row["outcome"], row["attempts"], row["error_class"]),
                             ("upstream_error", 2, "tls_failed"))
            MATRIX.append(("openai", "plain", "TLS to a plain server", 502, row["outcome"],
                           row["attempts"], row["error_class"]))
        finally:
            gw.stop()
            mock.stop()

    def test_malformed_response_is_bad_response(self):
        up = GarbageServer()
        d = tempfile.mkdtemp()
        gw = h.start_sluice(self.one_provider(d, "http://127.0.0.1:%d/v1" % up.port))
        try:
            for stream in (False, True):
                c = Call(gw, "openai", stream)
                self.assertEqual(c.response.status, 502)
                self.assertEqual(c.response.header("x-sluice-error-class"), "upstream_error")
                row = c.row(d)
                self.assertEqual((row["outcome"], row["attempts"], row["error_class"]),
                                 ("upstream_error", 2, "bad_response"))
                MATRIX.append(("openai", "stream" if stream else "plain", "malformed response", 502,
                               row["outcome"], row["attempts"], row["error_class"]))
            self.assertEqual(up.count, 4)
        finally:
            gw.stop()
            up.close()


class Breakers(unittest.TestCase):
    """closed -> open after N failures; fail fast with the marker; half-open probe."""

    def setUp(self):
        self.mock = h.start_mock()
        self.dir = tempfile.mkdtemp()
        brk = """ "retry": { "attempts": 1 },
                  "breaker": { "failures": 3, "window_ms": 60000, "cooldown_ms": %d } """
        self.cooldown_ms = 1500
        prov = """{
    "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1", %s },
    "mock-anthropic": { "kind": "anthropic", "base_url": "http://127.0.0.1:%d", %s },
    "mock-gemini": { "kind": "gemini", "base_url": "http://127.0.0.1:%d", %s }
  }""" % ((self.mock.port, brk % self.cooldown_ms) * 3)
        self.gw = h.start_sluice(config(self.dir, prov, server='{ "degraded_marker": "%s" }' % MARKER))

    def tearDown(self):
        self.gw.stop()
        self.mock.stop()

    def trip(self, kind, provider):
        for i in range(3):
            c = Call(self.gw, kind, False, "status=500")
            self.assertEqual(c.response.status, 500)
        state = readyz(self.gw)[provider]
        self.assertEqual(state["breaker"], "open")
        self.assertEqual(state["failures"], 3)
        self.assertGreater(state["cooldown_until_ms"], 0)

    def assert_degraded(self, kind, c, provider):
        r = c.response
        self.assertEqual(r.status, 503)
        self.assertEqual(r.header("x-sluice-error-class"), "provider_degraded")
        self.assertGreaterEqual(int(r.header("retry-after")), 1)
        body = r.json()
        if kind == "openai":
            message = body["error"]["message"]
        elif kind == "anthropic":
            self.assertEqual(body["error"]["type"], "overloaded_error")
            message = body["error"]["message"]
        else:
            self.assertEqual(body["error"]["status"], "UNAVAILABLE")
            message = body["error"]["message"]
        self.assertTrue(message.startswith(MARKER), message)
        self.assertIn(provider, message)

    def test_open_breaker_fails_fast_in_each_envelope(self):
        for kind, provider in (("openai", "mock"), ("anthropic", "mock-anthropic"),
                               ("gemini", "mock-gemini")):
            self.trip(kind, provider)
            for stream in (False, True):
                c = Call(self.gw, kind, stream)
                self.assert_degraded(kind, c, provider)
                self.assertEqual(tries(self.mock, c.key), 0)  # the network was not touched
                row = c.row(self.dir)
                self.assertEqual((row["status"], row["outcome"], row["attempts"], row["error_class"]),
                                 (503, "upstream_error", 0, "provider_degraded"))
                MATRIX.append((kind, "stream" if stream else "plain", "breaker open", 503,
                               row["outcome"], row["attempts"], row["error_class"]))
        # Another provider's breaker is untouched by these.
        self.assertEqual(readyz(self.gw)["mock"]["breaker"], "open")

    def test_rate_limits_do_not_trip_the_breaker(self):
        for i in range(4):
            Call(self.gw, "openai", False, "status=429")
        state = readyz(self.gw)["mock"]
        self.assertEqual((state["breaker"], state["failures"]), ("closed", 0))

    def test_successful_probe_closes_a_failed_probe_reopens(self):
        self.trip("openai", "mock")
        deadline = time.time() + 30
        while readyz(self.gw)["mock"]["breaker"] != "half_open" and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(readyz(self.gw)["mock"]["breaker"], "half_open")
        probe = Call(self.gw, "openai", False, "status=500")
        self.assertEqual(tries(self.mock, probe.key), 1)
        self.assertEqual(readyz(self.gw)["mock"]["breaker"], "open")  # the probe failed
        while readyz(self.gw)["mock"]["breaker"] != "half_open" and time.time() < deadline:
            time.sleep(0.1)
        ok = Call(self.gw, "openai", False)
        self.assertEqual(ok.response.status, 200)
        state = readyz(self.gw)["mock"]
        self.assertEqual((state["breaker"], state["failures"], state["cooldown_until_ms"]),
                         ("closed", 0, 0))

    def test_mid_stream_cut_counts_for_the_breaker(self):
        for i in range(3):
            Call(self.gw, "anthropic", True, "drop_after=2")
        self.assertEqual(readyz(self.gw)["mock-anthropic"]["breaker"], "open")


class Fallbacks(unittest.TestCase):
    def setUp(self):
        self.mock = h.start_mock()
        self.dir = tempfile.mkdtemp()
        extra = """,
    "backup": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1", %s }""" % (self.mock.port, FAST)
        models = """{
      "gpt-4o-mini": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini-2024-07-18" }],
                       "fallbacks": ["claude", "spare"] },
      "claude": { "targets": [{ "provider": "mock-anthropic", "model": "claude-sonnet-4-5" }] },
      "spare": { "targets": [{ "provider": "backup", "model": "spare-model" }] }
    }"""
        self.gw = h.start_sluice(config(self.dir, providers(self.mock.port, extra), models=models))

    def tearDown(self):
        self.gw.stop()
        self.mock.stop()

    def test_exhausted_retries_fall_back_across_formats(self):
        # Two tries of "mock" fail; "claude", the first fallback, answers although it
        # speaks another format: translated both ways (test_gateway_translate.py).
        for stream in (False, True):
            c = Call(self.gw, "openai", stream, "status=500", {"x-mock-fault-times": "2"})
            self.assertEqual(c.response.status, 200)
            row = c.row(self.dir)
            self.assertEqual((row["provider"], row["upstream_model"], row["attempts"], row["outcome"],
                              row["model"]), ("mock-anthropic", "claude-sonnet-4-5", 3, "ok", "gpt-4o-mini"))
            self.assertEqual(tries(self.mock, c.key), 3)
            MATRIX.append(("openai", "stream" if stream else "plain", "500 x2 -> fallback", 200,
                           row["outcome"], row["attempts"], row["provider"]))

    def test_rate_limit_beyond_max_wait_falls_back_at_once(self):
        c = Call(self.gw, "openai", False, "status=429,retry_after=60", {"x-mock-fault-times": "1"})
        self.assertEqual(c.response.status, 200)
        row = c.row(self.dir)
        self.assertEqual((row["provider"], row["attempts"]), ("mock-anthropic", 2))

    def test_quota_exhausted_falls_back_at_once(self):
        c = Call(self.gw, "openai", False, "status=429,code=insufficient_quota", {"x-mock-fault-times": "1"})
        self.assertEqual(c.response.status, 200)
        self.assertEqual(c.row(self.dir)["attempts"], 2)

    def test_every_fallback_failing_relays_the_last_answer(self):
        c = Call(self.gw, "openai", False, "status=500")
        self.assertEqual(c.response.status, 500)
        row = c.row(self.dir)
        # mock, claude, spare: two tries each.
        self.assertEqual((row["provider"], row["attempts"], row["outcome"]), ("backup", 6, "upstream_error"))

    def test_client_errors_are_not_retried_nor_fallen_back(self):
        c = Call(self.gw, "openai", False, "status=400")
        self.assertEqual(c.response.status, 400)
        row = c.row(self.dir)
        self.assertEqual((row["provider"], row["attempts"]), ("mock", 1))


class BreakerFallback(unittest.TestCase):
    def test_open_breaker_sends_requests_to_the_fallback_without_network(self):
        mock = h.start_mock()
        d = tempfile.mkdtemp()
        prov = """{
    "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1",
              "retry": { "attempts": 1 }, "breaker": { "failures": 2, "cooldown_ms": 600000 } },
    "backup": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" }
  }""" % (mock.port, mock.port)
        models = """{
      "gpt-4o-mini": { "targets": [{ "provider": "mock", "model": "primary" }], "fallbacks": ["spare"] },
      "spare": { "targets": [{ "provider": "backup", "model": "spare-model" }] }
    }"""
        gw = h.start_sluice(config(d, prov, models=models))
        try:
            for i in range(2):  # fails on mock, then served by backup
                c = Call(gw, "openai", False, "status=500", {"x-mock-fault-times": "1"})
                self.assertEqual(c.response.status, 200)
            self.assertEqual(readyz(gw)["mock"]["breaker"], "open")
            c = Call(gw, "openai", True)
            self.assertEqual(c.response.status, 200)
            row = c.row(d)
            self.assertEqual((row["provider"], row["attempts"], row["outcome"]), ("backup", 1, "ok"))
            self.assertEqual(tries(mock, c.key), 1)
        finally:
            gw.stop()
            mock.stop()


    def test_fallback_is_admitted_on_its_own_account(self):
        """A fallback moves the request to another provider account: that account's
        limit must admit it, and when it refuses, the client gets the primary's answer."""
        mock = h.start_mock()
        d = tempfile.mkdtemp()
        prov = """{
    "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1", "retry": { "attempts": 1 } },
    "backup": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1",
                "limits": { "requests_per_minute": 1 } }
  }""" % (mock.port, mock.port)
        models = """{
      "gpt-4o-mini": { "targets": [{ "provider": "mock", "model": "primary" }], "fallbacks": ["spare"] },
      "spare": { "targets": [{ "provider": "backup", "model": "spare-model" }] }
    }"""
        gw = h.start_sluice(config(d, prov, models=models))
        try:
            first = Call(gw, "openai", False, "status=500", {"x-mock-fault-times": "1"})
            self.assertEqual(first.response.status, 200)
            self.assertEqual(first.row(d)["provider"], "backup")
            second = Call(gw, "openai", False, "status=500", {"x-mock-fault-times": "1"})
            self.assertEqual(second.response.status, 500)  # backup's one request is spent
            row = second.row(d)
            self.assertEqual((row["provider"], row["attempts"]), ("mock", 1))
        finally:
            gw.stop()
            mock.stop()

    def test_open_breaker_target_is_skipped_within_an_alias(self):
        mock = h.start_mock()
        d = tempfile.mkdtemp()
        prov = """{
    "down": { "kind": "openai", "base_url": "http://127.0.0.1:1/v1",
              "retry": { "attempts": 1 }, "breaker": { "failures": 2, "cooldown_ms": 600000 } },
    "up": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" }
  }""" % mock.port
        models = """{ "gpt-4o-mini": { "targets": [{ "provider": "down", "model": "a" },
                                                  { "provider": "up", "model": "b" }] } }"""
        gw = h.start_sluice(config(d, prov, models=models))
        try:
            for i in range(10):  # weighted round robin: every other request tries "down"
                if readyz(gw)["down"]["breaker"] == "open":
                    break
                Call(gw, "openai", False)
            self.assertEqual(readyz(gw)["down"]["breaker"], "open")
            for i in range(6):
                c = Call(gw, "openai", i % 2 == 1)
                self.assertEqual(c.response.status, 200)
                row = c.row(d)
                self.assertEqual((row["provider"], row["attempts"]), ("up", 1))
        finally:
            gw.stop()
            mock.stop()


class RetryBudget(unittest.TestCase):
    def test_retries_never_exceed_the_budget(self):
        mock = h.start_mock()
        d = tempfile.mkdtemp()
        prov = """{ "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1",
            "retry": { "attempts": 5, "base_ms": 1, "cap_ms": 2, "budget_ratio": 0.2,
                       "budget_min": 1, "budget_window_ms": 600000 },
            "breaker": { "failures": 60000 } } }""" % mock.port
        gw = h.start_sluice(config(d, prov))
        try:
            key = uuid.uuid4().hex
            n = 20
            for i in range(n):
                s = h.http(gw.port, "POST", "/v1/chat/completions", json.dumps(CHAT).encode(),
                           {"x-mock-fault": "status=500", "x-mock-fault-key": key})
                self.assertEqual(s.status, 500)
            upstream = tries(mock, key)
            rows = h.ledger_rows(d, wait_for=n)
            self.assertEqual(sum(r["attempts"] for r in rows), upstream)
            # Without a budget: 5 tries each. With it: the first tries, plus at most 20 %
            # of them (plus the floor of 1).
            self.assertGreaterEqual(upstream, n)
            self.assertLessEqual(upstream - n, int(0.2 * n) + 1)
            self.assertGreater(upstream, n)  # the budget did allow some retries
            MATRIX.append(("openai", "plain", "budget 0.2, 20x status=500", 500, "upstream_error",
                           upstream, "retries=%d" % (upstream - n)))
        finally:
            gw.stop()
            mock.stop()


class Deadlines(unittest.TestCase):
    def setUp(self):
        self.mock = h.start_mock()
        self.dir = tempfile.mkdtemp()
        prov = """{ "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1",
            "retry": { "attempts": 3, "base_ms": 5, "cap_ms": 10 },
            "timeouts": { "first_byte_ms": 60000, "idle_ms": 60000, "total_ms": 700 } } }""" % self.mock.port
        self.gw = h.start_sluice(config(self.dir, prov))

    def tearDown(self):
        self.gw.stop()
        self.mock.stop()

    def test_total_deadline_before_first_byte_is_504(self):
        c = Call(self.gw, "openai", False, "hang")
        self.assertEqual(c.response.status, 504)
        self.assertEqual(c.response.header("x-sluice-error-class"), "upstream_timeout")
        row = c.row(self.dir)
        self.assertEqual((row["outcome"], row["attempts"], row["error_class"]),
                         ("timeout", 1, "upstream_timeout"))

    def test_total_deadline_mid_stream_cuts_with_an_error_event(self):
        c = Call(self.gw, "openai", True, None, {"x-mock-itl-ms": "100", "x-mock-output-tokens": "200"})
        self.assertEqual(c.response.status, 200)
        ev = final_error_event("openai", c.response.body)
        self.assertEqual(ev["error"]["sluice_error_class"], "upstream_timeout")
        row = c.row(self.dir)
        self.assertEqual((row["outcome"], row["error_class"]), ("cut_off", "upstream_timeout"))
        self.assertGreater(row["output_tokens"], 0)  # the partial answer is accounted
        MATRIX.append(("openai", "stream", "total_ms mid-stream", 200, row["outcome"],
                       row["attempts"], row["error_class"]))


class ClientCancel(unittest.TestCase):
    def test_hang_up_mid_stream_closes_the_upstream(self):
        mock = h.start_mock()
        d = tempfile.mkdtemp()
        gw = h.start_sluice(config(d, providers(mock.port)))
        try:
            for kind in ("openai", "anthropic", "gemini"):
                rid = "cancel-" + uuid.uuid4().hex
                path, body = request_for(kind, True)
                s = h.connect(gw.port)
                s.sendall(h.request_bytes("POST", path, json.dumps(body).encode(),
                                          {"x-request-id": rid, "x-mock-itl-ms": "50",
                                           "x-mock-output-tokens": "400"}))
                got = b""
                while got.count(b"data:") < 3:
                    got += s.recv(4096)
                s.close()
                rows = h.ledger_rows(d, "request_id = '%s'" % rid, wait_for=1)
                self.assertEqual(rows[0]["outcome"], "client_cancelled")
                self.assertEqual(rows[0]["status"], 499)
                self.assertGreater(rows[0]["input_tokens"], 0)
                # The mock sees its stream end long before its 20 s of tokens.
                deadline = time.time() + 15
                while mock_stats(mock)["streams_open"] != 0 and time.time() < deadline:
                    time.sleep(0.05)
                self.assertEqual(mock_stats(mock)["streams_open"], 0)
                MATRIX.append((kind, "stream", "client hangs up", 499, rows[0]["outcome"],
                               rows[0]["attempts"], rows[0]["error_class"]))
        finally:
            gw.stop()
            mock.stop()


class MockSchedule(unittest.TestCase):
    def test_fault_schedule_fails_the_named_requests(self):
        mock = h.start_mock("--fault-schedule", "1-2:status=503;4:status=429")
        try:
            got = [h.http(mock.port, "POST", "/v1/chat/completions", json.dumps(CHAT).encode()).status
                   for _ in range(5)]
            self.assertEqual(got, [503, 503, 200, 429, 200])
        finally:
            mock.stop()


def tearDownModule():
    if not MATRIX:
        return
    print("\nchaos matrix: kind | mode | fault | client status | outcome | attempts | error_class",
          file=sys.stderr)
    for row in MATRIX:
        print("  " + " | ".join(str(x) for x in row), file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
