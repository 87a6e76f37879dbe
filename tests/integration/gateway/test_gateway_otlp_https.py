"""OTLP export to a tracing backend where users already look (Langfuse's path, over
HTTPS with Basic auth): a receiver started by the test (Python http.server + ssl, with a
CA and a server certificate made here with the openssl CLI, trusted by sluice through
ca_file) checks the Authorization header, gunzips each body and records the spans.
With capture_content the span carries the prompt and the completion, streamed or not,
as the GenAI conventions name them; a project that turns it off gets none. A 503 is
retried, a wrong secret is refused (401), an untrusted certificate is never sent to,
and the API key never reaches the backend."""

import base64
import gzip
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
from test_gateway_metrics import parse_exposition, value  # noqa: E402
from test_gateway_telemetry import attrs  # noqa: E402

KEY = "sk-otlp-https-secret-key"
QUIET_KEY = "sk-otlp-https-quiet-key"
AUTH = {"Authorization": "Bearer " + KEY}
KEYS = ('[{ "id": "loud", "project": "team", "key": "%s" },'
        ' { "id": "quiet", "project": "quiet", "key": "%s" }]' % (KEY, QUIET_KEY))
PROJECTS = '{ "default": {}, "team": {}, "quiet": { "telemetry": { "capture_content": false } } }'
PUBLIC, SECRET = "pk-lf-1234", "sk-lf-5678"
BASIC = "Basic " + base64.b64encode(("%s:%s" % (PUBLIC, SECRET)).encode()).decode()
PATH = "/api/public/otel/v1/traces"
PROMPT = "Name three rivers in Norway"
SYSTEM = "You answer in one line."


def make_certificates(d):
    """A CA, and a certificate for localhost and 127.0.0.1 signed by it."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, cert = (os.path.join(d, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(d, "san.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=sluice test CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "2", "-extfile", ext)
    return ca, cert, key


class Receiver:
    """An HTTPS OTLP receiver on Langfuse's path that wants Basic auth. `fail_next`
    POSTs are answered 503 (retry-after: 0) before any is accepted."""

    def __init__(self, cert, key):
        self.lock = threading.Lock()
        self.bodies = []       # decompressed, accepted
        self.raw = []          # every body as received
        self.statuses = []     # what each POST got
        self.fail_next = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.raw.append(body)
                    if self.path != PATH:
                        status = 404
                    elif self.headers["Authorization"] != BASIC:
                        status = 401
                    elif outer.fail_next > 0:
                        outer.fail_next -= 1
                        status = 503
                    else:
                        status = 200
                        assert self.headers["Content-Encoding"] == "gzip"
                        assert self.headers["Content-Type"] == "application/json"
                        outer.bodies.append(gzip.decompress(body))
                    outer.statuses.append(status)
                self.send_response(status)
                if status == 503:
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def spans(self):
        out = []
        with self.lock:
            for b in self.bodies:
                for rs in json.loads(b)["resourceSpans"]:
                    for ss in rs["scopeSpans"]:
                        out.extend(ss["spans"])
        return out

    def span_of(self, request_id, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for s in self.spans():
                if attrs(s).get("sluice.request_id") == request_id:
                    return s
            time.sleep(0.05)
        raise AssertionError("no span for " + request_id)


def config(mock_port, d, receiver_port, ca_file=None, capture=True, max_retries=3,
           projects=PROJECTS):
    otlp = {"endpoint": "https://localhost:%d/api/public/otel" % receiver_port,
            "headers_env": "SLUICE_TEST_OTLP_HEADERS", "batch_ms": 50,
            "max_retries": max_retries, "capture_content": capture, "max_content_bytes": 4096}
    if ca_file:
        otlp["ca_file"] = ca_file
    extra = ',\n  "telemetry": %s' % json.dumps({"otlp": otlp})
    return h.mock_config(mock_port, d, shards=2, keys=KEYS, projects=projects, extra=extra)


def headers_env(value):
    return {"SLUICE_TEST_OTLP_HEADERS": value}


def scrape(port):
    return parse_exposition(h.http(port, "GET", "/metrics").body.decode())


def streamed_text(body, path):
    """The text a client assembles from an OpenAI chat or Anthropic stream."""
    text = ""
    for line in body.decode().split("\n"):
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        ev = json.loads(line[6:])
        for c in ev.get("choices", []):
            text += (c.get("delta") or {}).get("content") or ""
        if ev.get("type") == "content_block_delta" and ev["delta"].get("type") == "text_delta":
            text += ev["delta"]["text"]
    return text


def message_text(attr_value):
    """The text parts of GenAI messages, joined."""
    return "".join(p.get("content", "") for m in json.loads(attr_value) for p in m["parts"]
                   if p["type"] == "text")


class HttpsExport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.ca, cert, key = make_certificates(cls.dir)
        cls.receiver = Receiver(cert, key)
        cls.mock = h.start_mock()
        # The header value is percent-encoded, as OTEL_EXPORTER_OTLP_HEADERS wants.
        cls.sluice = h.start_sluice(config(cls.mock.port, cls.dir, cls.receiver.port, cls.ca),
                                    env=headers_env(" Authorization = %s " % BASIC.replace(" ", "%20")))
        cls.port = cls.sluice.port

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()
        cls.receiver.close()

    def chat(self, stream, key=KEY):
        body = {"model": "gpt-4o-mini", "stream": stream,
                "messages": [{"role": "system", "content": SYSTEM},
                             {"role": "user", "content": PROMPT}]}
        r = h.http(self.port, "POST", "/v1/chat/completions", body, {"Authorization": "Bearer " + key})
        self.assertEqual(r.status, 200)
        return r

    def test_non_streamed_answer_and_prompt_are_on_the_span(self):
        r = self.chat(stream=False)
        answer = r.json()["choices"][0]["message"]["content"]
        self.assertTrue(answer)
        a = attrs(self.receiver.span_of(r.header("x-request-id")))
        self.assertEqual(a["gen_ai.usage.input_tokens"], r.json()["usage"]["prompt_tokens"])
        self.assertEqual(a["gen_ai.usage.output_tokens"], r.json()["usage"]["completion_tokens"])
        self.assertEqual(json.loads(a["gen_ai.system_instructions"]),
                         [{"type": "text", "content": SYSTEM}])
        self.assertEqual(json.loads(a["gen_ai.input.messages"]),
                         [{"role": "user", "parts": [{"type": "text", "content": PROMPT}]}])
        out = json.loads(a["gen_ai.output.messages"])
        self.assertEqual(out[0]["role"], "assistant")
        self.assertEqual(message_text(a["gen_ai.output.messages"]), answer)

    def test_streamed_answer_is_assembled_on_the_span(self):
        r = self.chat(stream=True)
        answer = streamed_text(r.body, "chat")
        self.assertTrue(answer)
        a = attrs(self.receiver.span_of(r.header("x-request-id")))
        self.assertEqual(a["sluice.stream"], True)
        self.assertGreater(a["gen_ai.usage.output_tokens"], 0)
        self.assertIn(PROMPT, a["gen_ai.input.messages"])
        self.assertEqual(message_text(a["gen_ai.output.messages"]), answer)

    def test_anthropic_stream_text_is_assembled(self):
        body = {"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": True, "system": SYSTEM,
                "messages": [{"role": "user", "content": PROMPT}]}
        r = h.http(self.port, "POST", "/anthropic/v1/messages", body,
                   dict(AUTH, **{"anthropic-version": "2023-06-01"}))
        self.assertEqual(r.status, 200)
        answer = streamed_text(r.body, "anthropic")
        self.assertTrue(answer)
        a = attrs(self.receiver.span_of(r.header("x-request-id")))
        self.assertEqual(a["gen_ai.provider.name"], "anthropic")
        self.assertEqual(message_text(a["gen_ai.output.messages"]), answer)
        self.assertEqual(json.loads(a["gen_ai.system_instructions"]),
                         [{"type": "text", "content": SYSTEM}])

    def test_a_project_that_turns_capture_off_gets_usage_only(self):
        for stream in (False, True):
            r = self.chat(stream=stream, key=QUIET_KEY)
            a = attrs(self.receiver.span_of(r.header("x-request-id")))
            self.assertEqual(a["sluice.project"], "quiet")
            self.assertGreater(a["gen_ai.usage.input_tokens"], 0)
            for k in ("gen_ai.input.messages", "gen_ai.output.messages",
                      "gen_ai.system_instructions"):
                self.assertNotIn(k, a)
            span = json.dumps(a)
            self.assertNotIn(PROMPT, span)

    def test_keys_and_the_backend_secret_never_reach_a_body(self):
        self.chat(stream=False)
        r = self.chat(stream=True, key=QUIET_KEY)
        self.receiver.span_of(r.header("x-request-id"))
        with self.receiver.lock:
            bodies = list(self.receiver.bodies)
            statuses = list(self.receiver.statuses)
        self.assertTrue(bodies)
        self.assertTrue(all(s in (200, 503) for s in statuses), statuses)  # 503: the retry test
        for b in bodies:
            for secret in (KEY, QUIET_KEY, SECRET, BASIC.split()[1]):
                self.assertNotIn(secret.encode(), b)
        self.assertNotIn(SECRET, self.sluice.stderr())
        self.assertNotIn(BASIC.split()[1], self.sluice.stderr())

    def test_a_503_is_retried_until_the_spans_are_accepted(self):
        before = value(scrape(self.port), "sluice_otlp_export_retries_total")
        with self.receiver.lock:
            self.receiver.fail_next = 1
        r = self.chat(stream=False)
        self.receiver.span_of(r.header("x-request-id"))
        with self.receiver.lock:
            self.assertIn(503, self.receiver.statuses)
            self.assertEqual(self.receiver.fail_next, 0)
        f = scrape(self.port)
        self.assertGreaterEqual(value(f, "sluice_otlp_export_retries_total"), before + 1)
        self.assertEqual(value(f, "sluice_otlp_spans_dropped_total"), 0)


class ProjectOptIn(unittest.TestCase):
    def test_a_project_may_capture_while_the_process_does_not(self):
        d = tempfile.mkdtemp()
        ca, cert, key = make_certificates(d)
        receiver = Receiver(cert, key)
        mock = h.start_mock()
        projects = '{ "default": {}, "team": { "telemetry": { "capture_content": true } }, "quiet": {} }'
        sluice = h.start_sluice(config(mock.port, d, receiver.port, ca, capture=False, projects=projects),
                                env=headers_env("Authorization=" + BASIC.replace(" ", "%20")))
        try:
            body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": PROMPT}]}
            loud = h.http(sluice.port, "POST", "/v1/chat/completions", body, AUTH)
            quiet = h.http(sluice.port, "POST", "/v1/chat/completions", body,
                           {"Authorization": "Bearer " + QUIET_KEY})
            self.assertEqual((loud.status, quiet.status), (200, 200))
            a = attrs(receiver.span_of(loud.header("x-request-id")))
            self.assertIn(PROMPT, a["gen_ai.input.messages"])
            self.assertEqual(message_text(a["gen_ai.output.messages"]),
                             loud.json()["choices"][0]["message"]["content"])
            a = attrs(receiver.span_of(quiet.header("x-request-id")))
            self.assertNotIn("gen_ai.input.messages", a)
            self.assertNotIn("gen_ai.output.messages", a)
        finally:
            self.assertEqual(sluice.stop(), 0)
            mock.stop()
            receiver.close()


class RefusedExports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.ca, cert, key = make_certificates(cls.dir)
        cls.receiver = Receiver(cert, key)
        cls.mock = h.start_mock()

    @classmethod
    def tearDownClass(cls):
        cls.mock.stop()
        cls.receiver.close()

    def run_and_drop(self, ca_file, header):
        d = tempfile.mkdtemp()
        sluice = h.start_sluice(config(self.mock.port, d, self.receiver.port, ca_file),
                                env=headers_env(header))
        try:
            r = h.http(sluice.port, "POST", "/v1/chat/completions",
                       {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": PROMPT}]}, AUTH)
            self.assertEqual(r.status, 200)  # the backend's trouble is never the client's
            deadline = time.time() + 30
            while True:
                f = scrape(sluice.port)
                if value(f, "sluice_otlp_spans_dropped_total") >= 1 or time.time() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual(value(f, "sluice_otlp_spans_dropped_total"), 1)
            self.assertEqual(value(f, "sluice_otlp_spans_exported_total"), 0)
            return f, sluice
        finally:
            self.assertEqual(sluice.stop(), 0)

    def test_a_wrong_secret_gets_401_and_is_not_retried(self):
        wrong = "Authorization=Basic%20" + base64.b64encode(b"pk-lf-1234:wrong-secret").decode()
        f, sluice = self.run_and_drop(self.ca, wrong)
        self.assertEqual(value(f, "sluice_otlp_export_retries_total"), 0)
        with self.receiver.lock:
            self.assertIn(401, self.receiver.statuses)
            self.assertNotIn(200, self.receiver.statuses)
        self.assertIn("HTTP 401", sluice.stderr())
        self.assertNotIn("wrong-secret", sluice.stderr())

    def test_an_untrusted_certificate_is_never_sent_to(self):
        with self.receiver.lock:
            sent_before = len(self.receiver.raw)
        # No ca_file: the system store does not know the test's CA.
        f, sluice = self.run_and_drop(None, "Authorization=" + BASIC.replace(" ", "%20"))
        self.assertGreaterEqual(value(f, "sluice_otlp_export_failures_total"), 1)
        with self.receiver.lock:
            self.assertEqual(len(self.receiver.raw), sent_before)
        self.assertIn("certificate verify failed", sluice.stderr())

    def test_malformed_headers_stop_the_start_without_the_secret(self):
        d = tempfile.mkdtemp()
        path = config(self.mock.port, d, self.receiver.port, self.ca)
        p = subprocess.run([h.SLUICE, "--config", path], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, SLUICE_TEST_OTLP_HEADERS="Authorization=Basic%2zsupersecret"))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("SLUICE_TEST_OTLP_HEADERS", p.stderr)
        self.assertNotIn("supersecret", p.stderr)


if __name__ == "__main__":
    unittest.main()
