"""Speaking OpenAI, Anthropic and Gemini through the real sluice: the unified API and
the native prefixes, streamed and not, virtual keys and their refusals in each API's
envelope, provider secrets, request ids, CORS, keygen, HTTPS upstreams, and a scan of
every log line for secrets."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

KEY = "sk-team-secret-0123456789"
LIMITED = "sk-limited-abcdef"
PROVIDER_SECRET = "sk-provider-secret-zyxwvu"
ADMIN = "admin-secret-42"

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello there"}]}
MESSAGES = {"model": "claude-sonnet-4-5", "max_tokens": 64,
            "messages": [{"role": "user", "content": "Hello there"}]}
GEMINI = {"contents": [{"role": "user", "parts": [{"text": "Hello there"}]}]}


def keys_json():
    return json.dumps([
        {"id": "team-key", "project": "team", "sha256": hashlib.sha256(KEY.encode()).hexdigest()},
        {"id": "limited", "project": "team", "key": LIMITED, "models": ["gpt-4o-mini"]},
    ])


class Providers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cfg = h.mock_config(cls.mock.port, cls.dir, keys=keys_json(),
                            extra=',\n  "cors": { "allowed_origins": ["https://app.example"] }')
        cls.sluice = h.start_sluice(cfg, env={"SLUICE_ADMIN_KEY": ADMIN})
        cls.port = cls.sluice.port

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def post(self, path, body, headers=None):
        return h.http(self.port, "POST", path, body, headers)

    # ---- unified API ----

    def test_unified_chat_non_stream(self):
        r = self.post("/v1/chat/completions", CHAT, {"Authorization": "Bearer " + KEY})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["model"], "gpt-4o-mini-2024-07-18")

    def test_unified_chat_stream(self):
        r = self.post("/v1/chat/completions", dict(CHAT, stream=True), {"Authorization": "Bearer " + KEY})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.sse_data()[-1], b"[DONE]")

    def test_unified_responses_and_embeddings(self):
        r = self.post("/v1/responses", {"model": "gpt-4o-mini", "input": "hi"}, {"Authorization": "Bearer " + KEY})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["object"], "response")
        r = self.post("/v1/embeddings", {"model": "gpt-4o-mini", "input": "hi"}, {"Authorization": "Bearer " + KEY})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["object"], "list")

    def test_models_lists_only_aliases_the_key_may_use(self):
        all_ids = [m["id"] for m in h.http(self.port, "GET", "/v1/models", headers={"Authorization": "Bearer " + KEY}).json()["data"]]
        self.assertEqual(all_ids, ["gpt-4o-mini", "claude", "gemini-flash"])
        limited = [m["id"] for m in h.http(self.port, "GET", "/v1/models", headers={"Authorization": "Bearer " + LIMITED}).json()["data"]]
        self.assertEqual(limited, ["gpt-4o-mini"])

    def test_alias_of_another_provider_kind_is_400_where_not_translated(self):
        # Chat is translated for any provider (test_gateway_translate.py); embeddings are not.
        r = self.post("/v1/embeddings", {"model": "claude", "input": "hi"}, {"Authorization": "Bearer " + KEY})
        self.assertEqual(r.status, 400)
        self.assertIn("anthropic", r.json()["error"]["message"])

    # ---- native pass-through ----

    def test_anthropic_native_non_stream_with_x_api_key(self):
        r = self.post("/anthropic/v1/messages", MESSAGES, {"x-api-key": KEY, "anthropic-version": "2023-06-01"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["type"], "message")

    def test_anthropic_native_stream_with_bearer(self):
        r = self.post("/anthropic/v1/messages", dict(MESSAGES, stream=True), {"Authorization": "Bearer " + KEY})
        self.assertEqual(r.status, 200)
        self.assertIn(b"event: message_stop", r.body)

    def test_gemini_native_non_stream_with_goog_key(self):
        r = self.post("/gemini/v1beta/models/gemini-2.5-flash:generateContent", GEMINI, {"x-goog-api-key": KEY})
        self.assertEqual(r.status, 200)
        self.assertIn("usageMetadata", r.json())

    def test_gemini_native_stream_with_query_key(self):
        r = self.post("/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=" + KEY, GEMINI)
        self.assertEqual(r.status, 200)
        self.assertIn(b"\r\n\r\n", r.body)  # Gemini frames SSE with CRLF
        self.assertIn(b"usageMetadata", r.body)

    def test_openai_native_pass_through(self):
        r = self.post("/openai/v1/chat/completions", dict(CHAT, model="gpt-4o-mini"), {"Authorization": "Bearer " + KEY})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["model"], "gpt-4o-mini")  # native: the body is not rewritten

    def test_x_sluice_provider_must_name_a_provider_of_that_kind(self):
        r = self.post("/anthropic/v1/messages", MESSAGES, {"x-api-key": KEY, "x-sluice-provider": "mock"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["type"], "error")
        r = self.post("/anthropic/v1/messages", MESSAGES, {"x-api-key": KEY, "x-sluice-provider": "mock-anthropic"})
        self.assertEqual(r.status, 200)

    # ---- refusals in each API's envelope ----

    def assert_openai_error(self, r, status, cls):
        self.assertEqual(r.status, status)
        self.assertEqual(r.header("x-sluice-error-class"), cls)
        e = r.json()["error"]
        self.assertTrue(e["message"])
        self.assertIn("type", e)
        self.assertIn("code", e)

    def assert_anthropic_error(self, r, status, cls, etype):
        self.assertEqual(r.status, status)
        self.assertEqual(r.header("x-sluice-error-class"), cls)
        b = r.json()
        self.assertEqual(b["type"], "error")
        self.assertEqual(b["error"]["type"], etype)
        self.assertTrue(b["error"]["message"])

    def assert_gemini_error(self, r, status, cls, gstatus):
        self.assertEqual(r.status, status)
        self.assertEqual(r.header("x-sluice-error-class"), cls)
        e = r.json()["error"]
        self.assertEqual(e["code"], status)
        self.assertEqual(e["status"], gstatus)
        self.assertTrue(e["message"])

    def test_missing_key_is_401_in_each_envelope(self):
        self.assert_openai_error(self.post("/v1/chat/completions", CHAT), 401, "unauthorized")
        self.assert_anthropic_error(self.post("/anthropic/v1/messages", MESSAGES), 401, "unauthorized", "authentication_error")
        self.assert_gemini_error(self.post("/gemini/v1beta/models/gemini-2.5-flash:generateContent", GEMINI),
                                 401, "unauthorized", "UNAUTHENTICATED")

    def test_unknown_key_is_401_in_each_envelope(self):
        self.assert_openai_error(self.post("/v1/chat/completions", CHAT, {"Authorization": "Bearer nope"}), 401, "unauthorized")
        self.assert_anthropic_error(self.post("/anthropic/v1/messages", MESSAGES, {"x-api-key": "nope"}),
                                    401, "unauthorized", "authentication_error")
        self.assert_gemini_error(self.post("/gemini/v1beta/models/gemini-2.5-flash:generateContent?key=nope", GEMINI),
                                 401, "unauthorized", "UNAUTHENTICATED")

    def test_model_not_allowed_is_403_in_each_envelope(self):
        self.assert_openai_error(self.post("/v1/chat/completions", dict(CHAT, model="claude"),
                                           {"Authorization": "Bearer " + LIMITED}), 403, "forbidden")
        self.assert_anthropic_error(self.post("/anthropic/v1/messages", MESSAGES, {"x-api-key": LIMITED}),
                                    403, "forbidden", "permission_error")
        self.assert_gemini_error(self.post("/gemini/v1beta/models/gemini-2.5-flash:generateContent", GEMINI,
                                           {"x-goog-api-key": LIMITED}), 403, "forbidden", "PERMISSION_DENIED")

    def test_unknown_alias_is_404(self):
        self.assert_openai_error(self.post("/v1/chat/completions", dict(CHAT, model="gpt-9"),
                                           {"Authorization": "Bearer " + KEY}), 404, "not_found")

    def test_malformed_body_is_400(self):
        r = self.post("/v1/chat/completions", b"{not json", {"Authorization": "Bearer " + KEY})
        self.assert_openai_error(r, 400, "bad_request")

    # ---- identity, CORS ----

    def test_request_id_is_echoed_sanitized_or_generated(self):
        r = self.post("/v1/chat/completions", CHAT, {"Authorization": "Bearer " + KEY, "x-request-id": "abc-123"})
        self.assertEqual(r.header("x-request-id"), "abc-123")
        r = self.post("/v1/chat/completions", CHAT, {"Authorization": "Bearer " + KEY, "x-request-id": "bad id\u00e9"})
        self.assertTrue(r.header("x-request-id").startswith("req-"))

    def test_cors_preflight_answered_for_allowed_origin_only(self):
        r = h.http(self.port, "OPTIONS", "/v1/chat/completions", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        self.assertEqual(r.status, 204)
        self.assertEqual(r.header("access-control-allow-origin"), "https://app.example")
        self.assertIn("authorization", r.header("access-control-allow-headers"))
        r = h.http(self.port, "OPTIONS", "/v1/chat/completions", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        self.assertEqual(r.status, 403)
        r = self.post("/v1/chat/completions", CHAT, {"Authorization": "Bearer " + KEY, "Origin": "https://app.example"})
        self.assertEqual(r.header("access-control-allow-origin"), "https://app.example")

    def test_access_log_has_one_json_line_per_request_and_no_secret(self):
        self.post("/v1/chat/completions", CHAT, {"Authorization": "Bearer " + KEY, "x-request-id": "log-probe"})
        import time
        for _ in range(50):
            if "log-probe" in self.sluice.stderr():
                break
            time.sleep(0.05)
        line = [l for l in self.sluice.stderr().splitlines() if "log-probe" in l][0]
        rec = json.loads(line)
        for field in ("time", "request_id", "key_id", "project", "route", "alias", "provider",
                      "upstream_model", "status", "bytes_in", "bytes_out", "latency_ms",
                      "upstream_ttfb_ms", "overhead_ms"):
            self.assertIn(field, rec)
        self.assertEqual(rec["key_id"], "team-key")
        self.assertNotIn(KEY, self.sluice.stderr())
        self.assertNotIn(LIMITED, self.sluice.stderr())

    def test_access_log_line_is_valid_json_for_a_model_name_that_is_not_utf8(self):
        body = b'{"model":"gpt\xff\xc0\xafx","messages":[{"role":"user","content":"hi"}]}'
        self.post("/v1/chat/completions", body, {"Authorization": "Bearer " + KEY,
                                                 "x-request-id": "log-bytes"})
        import time
        for _ in range(50):
            if "log-bytes" in self.sluice.stderr():
                break
            time.sleep(0.05)
        raw = [l for l in self.sluice.stderr_bytes().splitlines() if b"log-bytes" in l][0]
        rec = json.loads(raw.decode("utf-8"))  # strict: fails on a raw 0xff byte
        self.assertEqual(rec["alias"], "gpt\ufffd\ufffd\ufffdx")


class Secrets(unittest.TestCase):
    """What reaches the provider: its own secret per kind, never the client's key."""

    def run_kind(self, kind, path, body, client_headers, expect_header):
        up = h.FixtureServer(body=b'{"ok":true}', chunked=False, content_type="application/json")
        d = tempfile.mkdtemp()
        base = "http://127.0.0.1:%d%s" % (up.port, "/v1" if kind == "openai" else "")
        cfg = h.write_config(d, json.dumps({
            "listen": [{"address": "127.0.0.1", "port": 0}], "shards": 1,
            "ledger": {"path": d + "/ledger.db"},
            "providers": {"p": {"kind": kind, "base_url": base, "api_key_env": "P_SECRET"}},
            "models": {"m": {"targets": [{"provider": "p", "model": "up-model"}]}},
            "projects": {"team": {}},
            "keys": [{"id": "k", "project": "team", "key": KEY}]}))
        gw = h.start_sluice(cfg, env={"P_SECRET": PROVIDER_SECRET})
        try:
            r = h.http(gw.port, "POST", path, body, client_headers)
            self.assertEqual(r.status, 200, r.body)
            head, _ = up.requests[-1]
            head = head.decode()
            self.assertNotIn(KEY, head)
            self.assertIn(expect_header + PROVIDER_SECRET, head)
            self.assertIn("x-request-id:", head.lower())
            self.assertNotIn(PROVIDER_SECRET, gw.stderr())
            self.assertNotIn(KEY, gw.stderr())
            return head
        finally:
            gw.stop()
            up.close()

    def test_openai_gets_bearer(self):
        self.run_kind("openai", "/v1/chat/completions", dict(CHAT, model="m"),
                      {"Authorization": "Bearer " + KEY}, "Authorization: Bearer ")

    def test_anthropic_gets_x_api_key_and_the_clients_version(self):
        head = self.run_kind("anthropic", "/anthropic/v1/messages", MESSAGES,
                             {"x-api-key": KEY, "anthropic-version": "2023-06-01"}, "x-api-key: ")
        self.assertIn("anthropic-version: 2023-06-01", head)

    def test_gemini_gets_goog_key_and_no_query_key(self):
        head = self.run_kind("gemini", "/gemini/v1beta/models/up-model:generateContent?key=" + KEY,
                             GEMINI, {}, "x-goog-api-key: ")
        self.assertNotIn("key=", head.splitlines()[0])

    def test_secret_from_credentials_directory_file(self):
        up = h.FixtureServer(body=b'{"ok":true}', chunked=False, content_type="application/json")
        d = tempfile.mkdtemp()
        creds = tempfile.mkdtemp()
        with open(os.path.join(creds, "openai"), "w") as f:
            f.write(PROVIDER_SECRET + "\n")
        cfg = h.write_config(d, json.dumps({
            "listen": [{"address": "127.0.0.1", "port": 0}], "shards": 1,
            "ledger": {"path": d + "/ledger.db"},
            "providers": {"p": {"kind": "openai", "base_url": "http://127.0.0.1:%d/v1" % up.port,
                                "api_key_file": "openai"}},
            "models": {"m": {"targets": [{"provider": "p", "model": "x"}]}},
            "projects": {"team": {}}, "allow_anonymous": True}))
        gw = h.start_sluice(cfg, env={"CREDENTIALS_DIRECTORY": creds})
        try:
            self.assertEqual(h.http(gw.port, "POST", "/v1/chat/completions", dict(CHAT, model="m")).status, 200)
            self.assertIn("Authorization: Bearer " + PROVIDER_SECRET, up.requests[-1][0].decode())
        finally:
            gw.stop()
            up.close()


class Keygen(unittest.TestCase):
    def test_keygen_prints_a_key_once_and_an_entry_with_its_hash(self):
        out = subprocess.run([h.SLUICE, "keygen", "--project", "team", "--id", "bot"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0)
        key, entry = out.stdout.strip().splitlines()
        e = json.loads(entry)
        self.assertEqual(e["id"], "bot")
        self.assertEqual(e["project"], "team")
        self.assertEqual(e["sha256"], hashlib.sha256(key.encode()).hexdigest())
        self.assertNotIn(key, entry)


class HttpsUpstream(unittest.TestCase):
    """sluice-mock serving HTTPS with a throwaway CA made by the openssl CLI."""

    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp()
        run = lambda *a: subprocess.run(a, cwd=cls.pki, check=True, capture_output=True)
        run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=sluice test CA")
        run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
        with open(os.path.join(cls.pki, "ext.cnf"), "w") as f:
            f.write("subjectAltName=DNS:localhost\n")
        run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "ext.cnf")
        cls.mock = h.start_mock("--tls-cert", os.path.join(cls.pki, "server.pem"),
                                "--tls-key", os.path.join(cls.pki, "server.key"))

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()

    def gateway(self, host):
        d = tempfile.mkdtemp()
        cfg = h.write_config(d, json.dumps({
            "listen": [{"address": "127.0.0.1", "port": 0}], "shards": 1,
            "ledger": {"path": d + "/ledger.db"},
            "providers": {
                "tls": {"kind": "openai", "base_url": "https://%s:%d/v1" % (host, self.mock.port),
                        "ca_file": os.path.join(self.pki, "ca.pem")},
                "tls-anthropic": {"kind": "anthropic", "base_url": "https://%s:%d" % (host, self.mock.port),
                                  "ca_file": os.path.join(self.pki, "ca.pem")}},
            "models": {"m": {"targets": [{"provider": "tls", "model": "gpt-4o-mini"}]}},
            "projects": {"team": {}}, "allow_anonymous": True}))
        return h.start_sluice(cfg)

    def test_https_upstream_streamed_and_not(self):
        gw = self.gateway("localhost")
        try:
            for _ in range(3):  # later ones reuse the pooled connection or resume the session
                r = h.http(gw.port, "POST", "/v1/chat/completions", dict(CHAT, model="m"))
                self.assertEqual(r.status, 200, r.body)
            r = h.http(gw.port, "POST", "/v1/chat/completions", dict(CHAT, model="m", stream=True))
            self.assertEqual(r.sse_data()[-1], b"[DONE]")
            r = h.http(gw.port, "POST", "/anthropic/v1/messages", dict(MESSAGES, stream=True))
            self.assertIn(b"message_stop", r.body)
        finally:
            gw.stop()

    def test_wrong_hostname_is_a_502_that_says_why(self):
        gw = self.gateway("127.0.0.1")  # the certificate names only localhost
        try:
            r = h.http(gw.port, "POST", "/v1/chat/completions", dict(CHAT, model="m"))
            self.assertEqual(r.status, 502)
            self.assertEqual(r.header("x-sluice-error-class"), "upstream_error")
            self.assertIn("certificate verify failed", r.json()["error"]["message"])
        finally:
            gw.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
