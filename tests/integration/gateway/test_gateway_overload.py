"""What a client can make the real sluice hold, and how it copes when it is full:
a request without a valid key is refused on its head (no body read, no 100 Continue),
connections and buffered request bodies are capped per shard (503 with retry-after
past them), and out of file descriptors the accept loop backs off, logs a bounded
number of lines and closes idle keep-alive connections so new clients get in.
Assertions are on answers, counts and log size; waits only bound how long a test may
take."""

import json
import os
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

KEY = "sk-overload-test-key"
KEYS = '[{ "id": "k1", "project": "default", "key": "%s" }]' % KEY


def chat_body(size):
    """A chat request of exactly `size` bytes."""
    base = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": ""}]}
    pad = size - len(json.dumps(base).encode())
    base["messages"][0]["content"] = "x" * pad
    body = json.dumps(base).encode()
    assert len(body) == size
    return body


def head(path, length, headers=None):
    lines = ["POST %s HTTP/1.1" % path, "Host: 127.0.0.1", "Content-Type: application/json",
             "Content-Length: %d" % length]
    for k, v in (headers or {}).items():
        lines.append("%s: %s" % (k, v))
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def read_exactly(s, n):
    data = b""
    while len(data) < n:
        got = s.recv(n - len(data))
        if not got:
            break
        data += got
    return data


class HeadAuthentication(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cfg = h.mock_config(cls.mock.port, cls.dir, keys=KEYS,
                            server='{ "access_log": "off", "max_body_bytes": 16777216 }')
        cls.sluice = h.start_sluice(cfg)
        cls.port = cls.sluice.port

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def refused_on_head(self, path, headers=None):
        """Sends only a head announcing 15 MiB; the answer must come without the body."""
        s = h.connect(self.port, timeout=10)
        s.sendall(head(path, 15 << 20, headers))
        r = h.Reader(s).read()
        self.assertTrue(h.closed_after(s), "the connection stays open with its body unread")
        s.close()
        return r

    def test_missing_key_is_refused_before_the_body(self):
        r = self.refused_on_head("/v1/chat/completions")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.header("x-sluice-error-class"), "unauthorized")
        self.assertEqual(r.header("connection").lower(), "close")
        self.assertIn("error", r.json())
        self.assertTrue(r.header("x-request-id"))

    def test_unknown_key_is_refused_before_the_body(self):
        r = self.refused_on_head("/v1/chat/completions", {"Authorization": "Bearer sk-nope"})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["error"]["message"], "invalid API key")

    def test_native_route_refusal_speaks_the_providers_format(self):
        r = self.refused_on_head("/anthropic/v1/messages", {"x-api-key": "sk-nope"})
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["type"], "error")  # Anthropic's envelope

    def test_stranger_gets_no_100_continue(self):
        s = h.connect(self.port, timeout=10)
        s.sendall(head("/v1/chat/completions", 15 << 20, {"Expect": "100-continue"}))
        self.assertEqual(read_exactly(s, len(CONTINUE)), b"HTTP/1.1 401 Unauthorized\r\n"[:len(CONTINUE)])
        s.close()

    def test_valid_key_gets_100_continue_then_its_answer(self):
        body = chat_body(2000)
        s = h.connect(self.port, timeout=10)
        s.sendall(head("/v1/chat/completions", len(body),
                       {"Authorization": "Bearer " + KEY, "Expect": "100-continue"}))
        self.assertEqual(read_exactly(s, len(CONTINUE)), CONTINUE)
        s.sendall(body)
        self.assertEqual(h.Reader(s).read().status, 200)
        s.close()

    def test_many_strangers_with_huge_bodies_cost_no_memory(self):
        # Thirty connections announcing 15 MiB each: every one is refused on its head, so
        # none of the 450 MiB is ever held.
        socks = []
        for _ in range(30):
            s = h.connect(self.port, timeout=10)
            s.sendall(head("/v1/chat/completions", 15 << 20))
            socks.append(s)
        for s in socks:
            self.assertEqual(h.Reader(s).read().status, 401)
            s.close()
        r = h.http(self.port, "POST", "/v1/chat/completions", json.loads(chat_body(500)),
                   {"Authorization": "Bearer " + KEY})
        self.assertEqual(r.status, 200)

    def test_strangers_that_keep_sending_their_body_are_cut_off_and_forgotten(self):
        # A client does not wait for the refusal: it goes on writing the body it
        # announced while the 401 goes out. The gateway stops listening to it and stays
        # up for everyone else.
        chunk = b"x" * (1 << 20)
        for _ in range(30):
            s = h.connect(self.port, timeout=5)
            s.sendall(head("/v1/chat/completions", 15 << 20))
            try:
                for _ in range(15):
                    s.sendall(chunk)
            except OSError:
                pass  # closed by the gateway, as it should be
            s.close()
        self.assertIsNone(self.sluice.proc.poll(), self.sluice.stderr()[-2000:])
        r = h.http(self.port, "POST", "/v1/chat/completions", json.loads(chat_body(500)),
                   {"Authorization": "Bearer " + KEY})
        self.assertEqual(r.status, 200)

    def test_request_refused_whole_keeps_its_connection(self):
        s = h.connect(self.port, timeout=10)
        reader = h.Reader(s)
        s.sendall(h.request_bytes("POST", "/v1/chat/completions", json.loads(chat_body(300)),
                                  {"Authorization": "Bearer sk-nope"}))
        self.assertEqual(reader.read().status, 401)
        s.sendall(h.request_bytes("POST", "/v1/chat/completions", json.loads(chat_body(300)),
                                  {"Authorization": "Bearer " + KEY}))
        self.assertEqual(reader.read().status, 200)
        s.close()

    def test_operational_routes_are_not_asked_for_a_key_on_the_head(self):
        r = h.http(self.port, "POST", "/no/such/path", {"a": 1})
        self.assertEqual(r.status, 404)


class ConnectionLimit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cfg = h.mock_config(cls.mock.port, cls.dir,
                            server='{ "access_log": "off", "max_connections": 4 }')
        cls.sluice = h.start_sluice(cfg)
        cls.port = cls.sluice.port

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def test_connections_past_the_limit_get_503_with_retry_after(self):
        held = []
        for _ in range(4):
            s = h.connect(self.port, timeout=10)
            s.sendall(h.request_bytes("GET", "/healthz"))
            self.assertEqual(h.Reader(s).read().status, 200)
            held.append(s)
        extra = h.connect(self.port, timeout=10)
        r = h.Reader(extra).read()
        self.assertEqual(r.status, 503)
        self.assertEqual(r.header("retry-after"), "1")
        self.assertEqual(r.header("x-sluice-error-class"), "overloaded")
        self.assertTrue(h.closed_after(extra))
        extra.close()
        # A connection that goes frees its place.
        held.pop().close()
        deadline = time.monotonic() + 10
        status = None
        while time.monotonic() < deadline and status != 200:
            resp = h.send_raw(self.port, h.request_bytes("GET", "/healthz"))
            status = resp.status if resp else None
            if status != 200:
                time.sleep(0.05)
        self.assertEqual(status, 200)
        for s in held:
            s.close()
        # The refusal is counted where operators look.
        metrics = None
        while time.monotonic() < deadline and metrics is None:
            resp = h.send_raw(self.port, h.request_bytes("GET", "/metrics"))
            metrics = resp.body.decode() if resp and resp.status == 200 else None
        refused = [l for l in (metrics or "").splitlines()
                   if l.startswith("sluice_connections_refused_total ")]
        self.assertEqual(len(refused), 1, metrics)
        self.assertGreaterEqual(int(refused[0].split()[1]), 1)


class BodyBudget(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cfg = h.mock_config(cls.mock.port, cls.dir, server="""{ "access_log": "off",
            "max_body_bytes": 65536, "max_buffered_body_bytes": 100000 }""")
        cls.sluice = h.start_sluice(cfg)
        cls.port = cls.sluice.port

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def test_bodies_past_the_shards_budget_get_503_and_fit_once_it_frees(self):
        body = chat_body(60000)
        a = h.connect(self.port, timeout=10)
        a.sendall(head("/v1/chat/completions", len(body), {"Expect": "100-continue"}))
        self.assertEqual(read_exactly(a, len(CONTINUE)), CONTINUE)  # admitted: budgeted
        # A second body of the same size does not fit beside the first.
        b = h.connect(self.port, timeout=10)
        b.sendall(head("/v1/chat/completions", len(body)))
        r = h.Reader(b).read()
        self.assertEqual(r.status, 503)
        self.assertEqual(r.header("retry-after"), "1")
        b.close()
        a.sendall(body)
        self.assertEqual(h.Reader(a).read().status, 200)
        a.close()
        # The first one's budget went back with its answer.
        r = h.http(self.port, "POST", "/v1/chat/completions", json.loads(body))
        self.assertEqual(r.status, 200)

    def test_chunked_bodies_count_against_the_budget(self):
        a = h.connect(self.port, timeout=10)
        a.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 30000
        # Held twice while it arrives (framed and decoded): 2 x 60000 > 100000.
        a.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2)
        r = h.Reader(a).read()
        self.assertEqual(r.status, 503)
        a.close()


class OutOfDescriptors(unittest.TestCase):
    """The gateway under a descriptor limit a few connections above what it needs."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cfg = h.mock_config(cls.mock.port, cls.dir, server='{ "access_log": "off" }')
        cls.sluice = h.Process(["prlimit", "--nofile=32:32", h.SLUICE, "--config", cfg])
        cls.port = cls.sluice.port

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def test_new_clients_get_in_by_closing_idle_ones_and_the_log_stays_small(self):
        started = time.monotonic()
        held = []
        # Twice as many keep-alive connections as the limit allows: each asks once and
        # stays idle. Every one must be answered.
        for i in range(64):
            s = h.connect(self.port, timeout=15)
            s.sendall(h.request_bytes("GET", "/healthz"))
            r = h.Reader(s).read()
            self.assertEqual(r.status, 200, "connection %d" % i)
            held.append(s)
        # The oldest idle connections were closed to make room.
        self.assertTrue(h.closed_after(held[0], timeout=5))
        # Still answering on a fresh connection and on a surviving one.
        self.assertEqual(h.http(self.port, "GET", "/healthz", timeout=15).status, 200)
        held[-1].sendall(h.request_bytes("GET", "/healthz"))
        self.assertEqual(h.Reader(held[-1]).read().status, 200)
        for s in held:
            s.close()
        elapsed = time.monotonic() - started
        log = self.sluice.stderr()
        failures = [line for line in log.splitlines() if "accept failed" in line]
        self.assertGreater(len(failures), 0, "the descriptor limit was never reached")
        # At most one line a second, whatever the rate of failed accepts.
        self.assertLessEqual(len(failures), elapsed + 2)
        self.assertLess(len(log), 64 * 1024)


if __name__ == "__main__":
    unittest.main(verbosity=2)
