"""Compressed answers are metered: a provider that gzips when the request allows it (as
real providers do) is asked for identity, so the client gets a plain body and the ledger
the provider's tokens; a provider that gzips even so is decoded for the usage scanner.
Streamed and not, through the real sluice on loopback, with a Python stand-in provider."""

import gzip
import http.server
import json
import os
import sys
import tempfile
import threading
import unittest
import zlib

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

INPUT_TOKENS, OUTPUT_TOKENS = 10, 1000
# USD per million tokens: 1,000 output tokens cost exactly $1.00, 10 input ones $0.00001.
PRICE = '"price": { "input_per_mtok": 1.0, "output_per_mtok": 1000.0 }'
COST = (INPUT_TOKENS * 1.0 + OUTPUT_TOKENS * 1000.0) / 1e6
USAGE = {"prompt_tokens": INPUT_TOKENS, "completion_tokens": OUTPUT_TOKENS,
         "total_tokens": INPUT_TOKENS + OUTPUT_TOKENS}


class CompressingProvider(http.server.BaseHTTPRequestHandler):
    """OpenAI chat completions, gzipped when Accept-Encoding allows it, or always
    (`server.always`). Records each request's Accept-Encoding."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.server.seen.append(self.headers.get("Accept-Encoding"))
        accepts = "gzip" in (self.headers.get("Accept-Encoding") or "")
        zipped = self.server.always or accepts
        if body.get("stream"):
            self.stream(body, zipped)
        else:
            self.plain(body, zipped)

    def plain(self, body, zipped):
        answer = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": "x " * 1000}}],
                             "usage": USAGE}).encode()
        if zipped:
            answer = gzip.compress(answer)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if zipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def stream(self, body, zipped):
        events = [{"id": "chatcmpl-2", "object": "chat.completion.chunk", "model": body["model"],
                   "choices": [{"index": 0, "delta": {"content": "tok%d " % i}}]} for i in range(50)]
        events.append({"id": "chatcmpl-2", "object": "chat.completion.chunk", "model": body["model"],
                       "choices": [], "usage": USAGE})
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        if zipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        z = zlib.compressobj(6, zlib.DEFLATED, 31) if zipped else None
        for e in events + ["[DONE]"]:
            data = b"data: " + (e.encode() if isinstance(e, str) else json.dumps(e).encode()) + b"\n\n"
            if z:  # a streaming provider flushes each event
                data = z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        if z:
            tail = z.flush()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(tail), tail))
        self.wfile.write(b"0\r\n\r\n")


def start_provider(always):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CompressingProvider)
    server.daemon_threads = True
    server.always = always
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Compression(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.polite = start_provider(always=False)  # compresses only when asked
        cls.rogue = start_provider(always=True)    # compresses whatever it is asked
        p = cls.polite.server_address[1]
        extra = """,
    "polite": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" },
    "rogue": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" }""" % (p, cls.rogue.server_address[1])
        models = """{
      "polite-model": { "targets": [{ "provider": "polite", "model": "m-1" }], %s },
      "rogue-model": { "targets": [{ "provider": "rogue", "model": "m-2" }], %s }
    }""" % (PRICE, PRICE)
        cfg = h.mock_config(p, cls.dir, extra_providers=extra, models=models)
        cls.sluice = h.start_sluice(cfg)

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.polite.shutdown()
        cls.rogue.shutdown()

    def ask(self, model, stream, request_id, path="/v1/chat/completions", headers=None):
        body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
        if stream:
            body["stream"] = True
        hdrs = {"Accept-Encoding": "gzip, deflate", "x-request-id": request_id}
        hdrs.update(headers or {})
        return h.http(self.sluice.port, "POST", path, body, hdrs)

    def metered(self, request_id):
        rows = h.ledger_rows(self.dir, "request_id = '%s'" % request_id, wait_for=1)
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual(row["status"], 200)
        self.assertEqual(row["usage_source"], "provider", row)
        self.assertEqual(row["input_tokens"], INPUT_TOKENS)
        self.assertEqual(row["output_tokens"], OUTPUT_TOKENS)
        self.assertAlmostEqual(row["cost_usd"], COST, places=9)

    def test_provider_is_asked_for_identity_and_client_gets_a_plain_body(self):
        before = len(self.polite.seen)
        r = self.ask("polite-model", False, "gz-plain-1")
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("content-encoding"))
        self.assertEqual(r.json()["usage"]["completion_tokens"], OUTPUT_TOKENS)
        self.assertEqual(self.polite.seen[before:], ["identity"])
        self.metered("gz-plain-1")

    def test_stream_from_a_polite_provider_is_metered(self):
        r = self.ask("polite-model", True, "gz-stream-1")
        self.assertEqual(r.status, 200)
        self.assertIsNone(r.header("content-encoding"))
        self.assertIn(b"tok49", r.body)
        self.metered("gz-stream-1")

    def test_native_route_is_asked_for_identity_too(self):
        before = len(self.polite.seen)
        r = self.ask("m-1", False, "gz-native-1", path="/openai/v1/chat/completions",
                     headers={"x-sluice-provider": "polite"})
        self.assertEqual(r.status, 200)
        self.assertEqual(self.polite.seen[before:], ["identity"])
        self.metered("gz-native-1")

    def test_body_compressed_against_the_request_is_decoded_for_metering(self):
        r = self.ask("rogue-model", False, "gz-rogue-1")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("content-encoding"), "gzip")  # relayed as it came
        self.assertEqual(json.loads(gzip.decompress(r.body))["usage"]["completion_tokens"], OUTPUT_TOKENS)
        self.metered("gz-rogue-1")

    def test_stream_compressed_against_the_request_is_decoded_for_metering(self):
        r = self.ask("rogue-model", True, "gz-rogue-2")
        self.assertEqual(r.status, 200)
        self.assertIn(b"tok49", zlib.decompress(r.body, 31))
        self.metered("gz-rogue-2")


if __name__ == "__main__":
    unittest.main(verbosity=2)
