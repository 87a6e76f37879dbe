"""Doors that anyone who can reach the port (or a web page in a browser that can) would
walk through, tried against the real sluice on loopback: operational endpoints on the
public listener, CORS on them, a gateway without keys, blind cross-site text/plain
POSTs and DNS rebinding."""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ADMIN = "admin-key-doors"
KEY = "sk-team-doors"
KEYS = '[{ "id": "team", "project": "team", "key": "%s" }]' % KEY
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
AUTH = {"Authorization": "Bearer " + KEY}
ADMIN_AUTH = {"Authorization": "Bearer " + ADMIN}
ADMIN_PORT_RE = r"admin endpoints \(/admin, /ui, /metrics, /readyz\) on 127\.0\.0\.1:(\d+)"


def admin_port(proc):
    import re
    import time
    deadline = time.time() + 10
    while time.time() < deadline:
        m = re.search(ADMIN_PORT_RE, proc.stderr())
        if m:
            return int(m.group(1))
        time.sleep(0.02)
    raise AssertionError("no admin listener line:\n" + proc.stderr())


class AdminListener(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        extra = ''',
  "admin": { "key_env": "SLUICE_ADMIN_KEY", "listen": [{ "port": 0 }] },
  "cors": { "allowed_origins": ["*"] }'''
        cls.sluice = h.start_sluice(h.mock_config(cls.mock.port, cls.dir, keys=KEYS, extra=extra),
                                    env={"SLUICE_ADMIN_KEY": ADMIN})
        cls.admin = admin_port(cls.sluice)

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def test_operational_routes_answer_only_on_the_admin_listener(self):
        for path in ("/metrics", "/readyz", "/admin/limits", "/ui", "/admin/usage"):
            r = h.http(self.sluice.port, "GET", path, b"", ADMIN_AUTH)
            self.assertEqual(r.status, 404, path)
            self.assertIn(b"no such endpoint", r.body)
            r = h.http(self.admin, "GET", path, b"", ADMIN_AUTH)
            self.assertEqual(r.status, 200, (path, r.body[:200]))
        # Liveness stays on both, for load balancers.
        self.assertEqual(h.http(self.sluice.port, "GET", "/healthz").status, 200)
        self.assertEqual(h.http(self.admin, "GET", "/healthz").status, 200)

    def test_the_admin_listener_serves_no_data_route(self):
        self.assertEqual(h.http(self.sluice.port, "POST", "/v1/chat/completions", CHAT, AUTH).status, 200)
        for path in ("/v1/chat/completions", "/openai/v1/chat/completions"):
            self.assertEqual(h.http(self.admin, "POST", path, CHAT, AUTH).status, 404, path)

    def test_no_cors_headers_on_operational_routes(self):
        origin = {"Origin": "null"}
        for path in ("/metrics", "/readyz", "/healthz"):
            r = h.http(self.admin, "GET", path, b"", origin)
            self.assertIsNone(r.header("access-control-allow-origin"), path)
        r = h.http(self.admin, "OPTIONS", "/admin/keys", b"",
                   {"Origin": "null", "Access-Control-Request-Method": "POST"})
        self.assertNotEqual(r.status, 204)
        self.assertIsNone(r.header("access-control-allow-origin"))
        # The data routes keep the CORS the config asks for.
        r = h.http(self.sluice.port, "POST", "/v1/chat/completions", CHAT,
                   dict(AUTH, Origin="https://app.example"))
        self.assertEqual(r.header("access-control-allow-origin"), "https://app.example")


class MetricsAuth(unittest.TestCase):
    def test_metrics_can_require_the_admin_key(self):
        d = tempfile.mkdtemp()
        mock = h.start_mock()
        extra = ''',
  "admin": { "key_env": "SLUICE_ADMIN_KEY", "metrics_auth": true }'''
        sluice = h.start_sluice(h.mock_config(mock.port, d, keys=KEYS, extra=extra),
                                env={"SLUICE_ADMIN_KEY": ADMIN})
        try:
            r = h.http(sluice.port, "GET", "/metrics")
            self.assertEqual(r.status, 401)
            self.assertNotIn(b"sluice_cost", r.body)
            r = h.http(sluice.port, "GET", "/metrics", b"", ADMIN_AUTH)
            self.assertEqual(r.status, 200)
            self.assertIn(b"sluice_cost_usd_total", r.body)
        finally:
            sluice.stop()
            mock.stop()


class NoKeys(unittest.TestCase):
    """Without keys, sluice serves anonymously only when the config says so."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.mock = h.start_mock()

    def tearDown(self):
        self.mock.stop()

    def config(self, anonymous):
        path = h.mock_config(self.mock.port, self.dir)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(text.replace('"allow_anonymous": true', '"allow_anonymous": %s' % anonymous))
        return path

    def test_refuses_to_start_without_keys_unless_allowed(self):
        env = dict(os.environ)
        env.pop("SLUICE_ADMIN_KEY", None)
        out = subprocess.run([h.SLUICE, "--config", self.config("false")], env=env,
                             capture_output=True, timeout=30)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn(b"allow_anonymous", out.stderr)

    def test_with_the_admin_api_on_it_starts_closed_until_a_key_exists(self):
        sluice = h.start_sluice(self.config("false"), env={"SLUICE_ADMIN_KEY": ADMIN})
        try:
            r = h.http(sluice.port, "POST", "/v1/chat/completions", CHAT)
            self.assertEqual(r.status, 401, r.body)
            # Refused on its head: no 100 Continue, the announced body is never read.
            r = h.send_raw(sluice.port, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                           b"Content-Length: 15000000\r\n\r\n")
            self.assertEqual(r.status, 401)
            made = h.http(sluice.port, "POST", "/admin/keys", {"project": "team"}, ADMIN_AUTH)
            self.assertEqual(made.status, 201, made.body)
            r = h.http(sluice.port, "POST", "/v1/chat/completions", CHAT,
                       {"Authorization": "Bearer " + made.json()["key"]})
            self.assertEqual(r.status, 200, r.body)
        finally:
            sluice.stop()

    def test_allow_anonymous_serves_without_a_key(self):
        sluice = h.start_sluice(self.config("true"))
        try:
            self.assertEqual(h.http(sluice.port, "POST", "/v1/chat/completions", CHAT).status, 200)
            self.assertIn("allow_anonymous", sluice.stderr())
        finally:
            sluice.stop()


class BrowserAttacks(unittest.TestCase):
    """A web page can POST text/plain anywhere without a preflight, and a rebound DNS
    name reaches a loopback gateway under the attacker's host name."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        server = '{ "allowed_hosts": ["gw.internal", "127.0.0.1"] }'
        cls.sluice = h.start_sluice(h.mock_config(cls.mock.port, cls.dir, server=server))

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def post(self, path, content_type, host=None):
        data = h.request_bytes("POST", path, CHAT, {"Content-Type": content_type})
        if host is not None:
            data = data.replace(b"Host: 127.0.0.1", b"Host: " + host.encode())
        return h.send_raw(self.sluice.port, data)

    def test_a_text_plain_post_is_refused_on_every_json_api(self):
        for ct in ("text/plain", "application/x-www-form-urlencoded", "text/plain; charset=utf-8"):
            for path in ("/v1/chat/completions", "/openai/v1/chat/completions"):
                r = self.post(path, ct)
                self.assertEqual(r.status, 415, (ct, path))
                self.assertEqual(r.header("x-sluice-error-class"), "unsupported_media_type")
        rows = h.ledger_rows(self.dir, "status = 200")
        self.assertEqual(rows, [])
        for ct in ("application/json", "application/json; charset=utf-8", "Application/JSON"):
            self.assertEqual(self.post("/v1/chat/completions", ct).status, 200, ct)

    def test_only_the_allowed_host_names_are_served(self):
        for host in ("attacker.example", "attacker.example:8080", "gw.internal.attacker.example"):
            r = self.post("/v1/chat/completions", "application/json", host)
            self.assertEqual(r.status, 403, host)
            self.assertIn(b"host", r.body)
        for host in ("gw.internal", "GW.internal:8080", "127.0.0.1:%d" % self.sluice.port):
            self.assertEqual(self.post("/v1/chat/completions", "application/json", host).status,
                             200, host)
        # Probes by address reach liveness whatever the host.
        r = h.send_raw(self.sluice.port, b"GET /healthz HTTP/1.1\r\nHost: 10.1.2.3\r\n\r\n")
        self.assertEqual(r.status, 200)


class ShippedExamples(unittest.TestCase):
    def test_the_production_example_is_not_open(self):
        src = os.environ.get("SLUICE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../../.."))
        with open(os.path.join(src, "configs", "sluice.production.json")) as f:
            text = f.read()
        self.assertNotIn('"allow_anonymous": true', text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
