"""OTLP/HTTP trace export from the real sluice: a collector stand-in (Python http.server
on loopback, started by the test) records what sluice POSTs to /v1/traces; known
requests must arrive as one span each with the GenAI attributes, honouring an incoming
W3C traceparent. A full queue drops and counts; a dead collector never slows requests."""

import gzip
import json
import os
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
from test_gateway_metrics import parse_exposition, value  # noqa: E402

KEY = "sk-telemetry-test"
AUTH = {"Authorization": "Bearer " + KEY}
KEYS = '[{ "id": "tele-key", "project": "team", "key": "%s" }]' % KEY
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello there"}]}
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


class Collector:
    """Records the JSON of every POST to /v1/traces."""

    def __init__(self):
        self.posts = []
        self.paths = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers["Content-Encoding"] == "gzip":
                    body = gzip.decompress(body)
                with outer.lock:
                    outer.paths.append((self.path, self.headers["Content-Type"],
                                        self.headers["Content-Encoding"]))
                    outer.posts.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def spans(self):
        out = []
        with self.lock:
            for p in self.posts:
                for rs in p["resourceSpans"]:
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


def attrs(span):
    out = {}
    for a in span["attributes"]:
        (kind, v), = a["value"].items()
        out[a["key"]] = int(v) if kind == "intValue" else v
    return out


def scrape(port):
    return parse_exposition(h.http(port, "GET", "/metrics").body.decode())


def otlp_config(mock_port, directory, endpoint, batch_ms=50, max_queue=1024, shards=2, max_retries=5):
    extra = ',\n  "telemetry": { "otlp": { "endpoint": "%s", "batch_ms": %d, "max_queue": %d, "max_retries": %d, "service_name": "sluice-test" } }' % (
        endpoint, batch_ms, max_queue, max_retries)
    return h.mock_config(mock_port, directory, shards=shards, keys=KEYS, extra=extra)


class TraceExport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.collector = Collector()
        cls.mock = h.start_mock()
        cls.sluice = h.start_sluice(otlp_config(cls.mock.port, cls.dir, "http://127.0.0.1:%d" % cls.collector.port))
        cls.port = cls.sluice.port

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()
        cls.collector.close()

    def test_chat_span_has_genai_attributes_and_honours_traceparent(self):
        tp = "00-%s-%s-01" % (TRACE_ID, PARENT_ID)
        r = h.http(self.port, "POST", "/v1/chat/completions", CHAT, dict(AUTH, traceparent=tp))
        self.assertEqual(r.status, 200)
        usage = r.json()["usage"]
        span = self.collector.span_of(r.header("x-request-id"))
        self.assertEqual(span["traceId"], TRACE_ID)
        self.assertEqual(span["parentSpanId"], PARENT_ID)
        self.assertRegex(span["spanId"], "^[0-9a-f]{16}$")
        self.assertNotEqual(span["spanId"], PARENT_ID)
        self.assertEqual(span["name"], "chat gpt-4o-mini")
        self.assertEqual(span["kind"], 2)
        self.assertLessEqual(int(span["startTimeUnixNano"]), int(span["endTimeUnixNano"]))
        self.assertLess(abs(int(span["endTimeUnixNano"]) / 1e9 - time.time()), 600)
        a = attrs(span)
        self.assertEqual(a["gen_ai.operation.name"], "chat")
        self.assertEqual(a["gen_ai.provider.name"], "openai")
        self.assertEqual(a["gen_ai.system"], "openai")
        self.assertEqual(a["gen_ai.request.model"], "gpt-4o-mini")
        self.assertEqual(a["gen_ai.response.model"], "gpt-4o-mini-2024-07-18")
        self.assertEqual(a["gen_ai.usage.input_tokens"], usage["prompt_tokens"])
        self.assertEqual(a["gen_ai.usage.output_tokens"], usage["completion_tokens"])
        self.assertEqual(a["http.response.status_code"], 200)
        self.assertEqual(a["http.request.method"], "POST")
        self.assertEqual(a["sluice.project"], "team")
        self.assertEqual(a["sluice.key_id"], "tele-key")
        self.assertEqual(a["sluice.provider"], "mock")
        self.assertEqual(a["sluice.stream"], False)
        self.assertEqual(span["status"], {"code": 0})

    def test_request_without_traceparent_starts_a_trace(self):
        r = h.http(self.port, "POST", "/v1/chat/completions", dict(CHAT, stream=True), AUTH)
        self.assertEqual(r.status, 200)
        span = self.collector.span_of(r.header("x-request-id"))
        self.assertRegex(span["traceId"], "^[0-9a-f]{32}$")
        self.assertNotEqual(span["traceId"], "0" * 32)
        self.assertNotIn("parentSpanId", span)
        a = attrs(span)
        self.assertEqual(a["sluice.stream"], True)
        self.assertGreater(a["gen_ai.usage.output_tokens"], 0)

    def test_invalid_traceparent_is_ignored(self):
        for tp in ("00-%s-%s-01" % ("0" * 32, PARENT_ID), "ff-%s-%s-01" % (TRACE_ID, PARENT_ID),
                   "00-%s-%s-01" % (TRACE_ID.upper(), PARENT_ID), "garbage"):
            r = h.http(self.port, "POST", "/v1/chat/completions", CHAT, dict(AUTH, traceparent=tp))
            self.assertEqual(r.status, 200)
            span = self.collector.span_of(r.header("x-request-id"))
            self.assertNotIn("parentSpanId", span, tp)
            self.assertNotEqual(span["traceId"], TRACE_ID, tp)

    def test_native_anthropic_span(self):
        body = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "Hi"}]}
        r = h.http(self.port, "POST", "/anthropic/v1/messages", body,
                   dict(AUTH, **{"anthropic-version": "2023-06-01"}))
        self.assertEqual(r.status, 200)
        a = attrs(self.collector.span_of(r.header("x-request-id")))
        self.assertEqual(a["gen_ai.provider.name"], "anthropic")
        self.assertEqual(a["gen_ai.request.model"], "claude-sonnet-4-5")
        self.assertEqual(a["gen_ai.usage.input_tokens"], r.json()["usage"]["input_tokens"])

    def test_refusal_and_upstream_error_spans(self):
        r = h.http(self.port, "POST", "/v1/chat/completions", CHAT)
        self.assertEqual(r.status, 401)
        span = self.collector.span_of(r.header("x-request-id"))
        a = attrs(span)
        self.assertEqual(a["http.response.status_code"], 401)
        self.assertEqual(a["error.type"], "unauthorized")
        self.assertNotIn("gen_ai.usage.input_tokens", a)
        self.assertEqual(span["status"], {"code": 0})  # a 4xx is the client's error
        r = h.http(self.port, "POST", "/v1/chat/completions", CHAT, dict(AUTH, **{"x-mock-fault": "status=500"}))
        self.assertEqual(r.status, 500)
        span = self.collector.span_of(r.header("x-request-id"))
        self.assertEqual(attrs(span)["http.response.status_code"], 500)
        self.assertEqual(span["status"], {"code": 2})

    def test_content_is_not_captured_by_default(self):
        r = h.http(self.port, "POST", "/v1/chat/completions", CHAT, AUTH)
        a = attrs(self.collector.span_of(r.header("x-request-id")))
        self.assertNotIn("gen_ai.input.messages", a)
        self.assertNotIn("gen_ai.output.messages", a)

    def test_posts_go_to_v1_traces_as_gzipped_json_with_the_service_name(self):
        r = h.http(self.port, "GET", "/v1/models", headers=AUTH)
        self.collector.span_of(r.header("x-request-id"))
        with self.collector.lock:
            self.assertTrue(self.collector.paths)
            for path, ctype, encoding in self.collector.paths:
                self.assertEqual(path, "/v1/traces")
                self.assertEqual(ctype, "application/json")
                self.assertEqual(encoding, "gzip")
            res = self.collector.posts[0]["resourceSpans"][0]
        self.assertIn({"key": "service.name", "value": {"stringValue": "sluice-test"}},
                      res["resource"]["attributes"])
        self.assertEqual(res["scopeSpans"][0]["scope"]["name"], "sluice")

    def test_metrics_count_exported_spans(self):
        r = h.http(self.port, "POST", "/v1/chat/completions", CHAT, AUTH)
        self.collector.span_of(r.header("x-request-id"))
        deadline = time.time() + 30
        while True:
            f = scrape(self.port)
            exported = value(f, "sluice_otlp_spans_exported_total")
            if exported == len(self.collector.spans()) or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(exported, len(self.collector.spans()))
        self.assertEqual(value(f, "sluice_otlp_spans_dropped_total"), 0)


class ExportFailures(unittest.TestCase):
    def test_full_queue_drops_and_counts_then_stop_sends_the_rest(self):
        d = tempfile.mkdtemp()
        collector = Collector()
        mock = h.start_mock()
        # One shard, a queue of 2 and a tick that never comes while the test runs.
        sluice = h.start_sluice(otlp_config(mock.port, d, "http://127.0.0.1:%d" % collector.port,
                                            batch_ms=60000, max_queue=2, shards=1))
        try:
            for _ in range(5):
                self.assertEqual(h.http(sluice.port, "POST", "/v1/chat/completions", CHAT, AUTH).status, 200)
            f = scrape(sluice.port)
            self.assertEqual(value(f, "sluice_otlp_spans_dropped_total"), 3)
            self.assertEqual(value(f, "sluice_otlp_spans_exported_total"), 0)
        finally:
            self.assertEqual(sluice.stop(), 0)
            mock.stop()
        self.assertEqual(len(collector.spans()), 2)
        collector.close()

    def test_dead_collector_never_fails_requests(self):
        d = tempfile.mkdtemp()
        dead = Collector()
        endpoint = "http://127.0.0.1:%d" % dead.port
        dead.close()  # nothing listens there now
        mock = h.start_mock()
        # No retries: every failed batch is dropped at once.
        sluice = h.start_sluice(otlp_config(mock.port, d, endpoint, batch_ms=20, max_retries=0))
        try:
            for _ in range(4):
                self.assertEqual(h.http(sluice.port, "POST", "/v1/chat/completions", CHAT, AUTH).status, 200)
            deadline = time.time() + 30
            while True:
                f = scrape(sluice.port)
                if value(f, "sluice_otlp_spans_dropped_total") >= 4 or time.time() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual(value(f, "sluice_otlp_spans_dropped_total"), 4)
            self.assertGreaterEqual(value(f, "sluice_otlp_export_failures_total"), 1)
            self.assertEqual(value(f, "sluice_otlp_spans_exported_total"), 0)
        finally:
            self.assertEqual(sluice.stop(), 0)
            mock.stop()
        self.assertIn("OTLP export to", sluice.stderr())


if __name__ == "__main__":
    unittest.main()
