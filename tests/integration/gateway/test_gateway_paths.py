"""Native pass-through paths that servers after sluice could read differently are
refused before they reach a provider: path parameters, encoded '/', '\\' and '%', dot and
empty segments, a Gemini model path with more after its method (which would let a key
limited to one model call another), and methods provider APIs do not use (a TRACE would
echo the provider key). Raw request lines over sockets to the real sluice; the stand-in
provider records everything it receives."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

KEY = "sk-cheap-only"
ANSWER = json.dumps({"candidates": [], "usageMetadata": {"promptTokenCount": 1,
                                                         "candidatesTokenCount": 1}}).encode()


class Paths(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.provider = h.FixtureServer(content_type="application/json", body=ANSWER, chunked=False)
        models = """{
          "cheap": { "targets": [{ "provider": "mock-gemini", "model": "cheap" }],
                     "price": { "input_per_mtok": 0.1, "output_per_mtok": 0.1 } },
          "gemini-2.5-pro": { "targets": [{ "provider": "mock-gemini", "model": "gemini-2.5-pro" }],
                              "price": { "input_per_mtok": 10, "output_per_mtok": 10 } }
        }"""
        keys = '[{ "id": "cheap-key", "project": "default", "key": "%s", "models": ["cheap"] }]' % KEY
        cfg = h.mock_config(cls.provider.port, cls.dir, models=models, keys=keys)
        cls.sluice = h.start_sluice(cfg)

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.provider.close()

    def send(self, method, path, auth=("x-goog-api-key", KEY)):
        before = len(self.provider.requests)
        body = b'{"contents":[]}' if method == "POST" else b""
        headers = {auth[0]: auth[1], "Content-Type": "application/json"}
        r = h.send_raw(self.sluice.port, h.request_bytes(method, path, body, headers))
        self.assertIsNotNone(r, "no answer for %s %s" % (method, path))
        return r, self.provider.requests[before:]

    def refused(self, method, path, auth=("Authorization", "Bearer " + KEY), status=400):
        r, reached = self.send(method, path, auth)
        self.assertEqual(r.status, status, (path, r.body))
        self.assertEqual(reached, [], "%s %s reached the provider" % (method, path))
        self.assertIn("error", r.json())
        return r

    def test_control_a_plain_native_call_is_forwarded(self):
        r, reached = self.send("POST", "/gemini/v1beta/models/cheap:generateContent")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(len(reached), 1)
        self.assertTrue(reached[0][0].startswith(b"POST /v1beta/models/cheap:generateContent HTTP/1.1"))

    def test_path_tricks_on_the_openai_route_are_refused(self):
        for path in ("/openai/v1/..;/x", "/openai/v1/%2F..%2Fx", "/openai/v1/%2f..%2fx",
                     "/openai/v1/%252e%252e/x", "/openai/v1//evil.example/x", "/openai/v1/a%5Cb",
                     "/openai/v1/../../admin/keys", "/openai/v1/%2e%2e/x", "/openai/v1/models/"):
            with self.subTest(path=path):
                r = self.refused("GET", path)
                self.assertEqual(r.header("x-sluice-error-class"), "bad_request")

    def test_gemini_model_path_cannot_name_a_second_model(self):
        path = ("/gemini/v1beta/models/cheap:generateContent/..%2F..%2Fmodels%2F"
                "gemini-2.5-pro:generateContent")
        r = self.refused("POST", path, auth=("x-goog-api-key", KEY))
        self.assertEqual(r.json()["error"]["status"], "INVALID_ARGUMENT")  # Gemini's envelope
        for path in ("/gemini/v1beta/models/cheap:generateContent/x",
                     "/gemini/v1beta/models/cheap/../gemini-2.5-pro:generateContent"):
            with self.subTest(path=path):
                self.refused("POST", path, auth=("x-goog-api-key", KEY))

    def test_anthropic_route_refuses_them_too(self):
        self.refused("POST", "/anthropic/v1/messages;x", auth=("x-api-key", KEY))
        self.refused("POST", "/anthropic/v1/%2e/messages", auth=("x-api-key", KEY))

    def test_methods_provider_apis_do_not_use_are_refused_with_allow(self):
        for method in ("TRACE", "PUT", "PATCH", "OPTIONS"):
            with self.subTest(method=method):
                r = self.refused(method, "/gemini/v1beta/models", status=405,
                                 auth=("x-goog-api-key", KEY))
                self.assertEqual(r.header("allow"), "GET, POST, DELETE, HEAD")


if __name__ == "__main__":
    unittest.main(verbosity=2)
