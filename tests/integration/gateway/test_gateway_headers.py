"""Headers across the gateway: what a client may not tell a provider (hop-by-hop
headers, those its Connection header names, cookies, proxy claims, the shared account's
organization and project), what a provider may not tell a client (cookies, its
organization and project), and one x-request-id per answer, the provider's passed on as
x-upstream-request-id and kept in the ledger. The real sluice on loopback in front of a
stand-in provider that records what it receives."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ANSWER = json.dumps({"id": "chatcmpl-h", "object": "chat.completion", "model": "m",
                     "choices": [{"index": 0, "finish_reason": "stop",
                                  "message": {"role": "assistant", "content": "hi"}}],
                     "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}).encode()
PROVIDER_HEADERS = ("x-request-id: req_provider_42\r\n"
                    "Set-Cookie: __cf_bm=abc; path=/; domain=.api.openai.com\r\n"
                    "openai-organization: org-shared-account\r\n"
                    "openai-project: proj_shared\r\n"
                    "Connection: x-provider-hop\r\n"
                    "x-provider-hop: internal\r\n"
                    "openai-processing-ms: 12\r\n")


def names(head):
    """Header names of a raw request head, lower-cased, in order."""
    return [line.split(b":", 1)[0].strip().lower().decode() for line in head.split(b"\r\n")[1:] if b":" in line]


def values(head, name):
    out = []
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == name.encode():
            out.append(v.strip().decode())
    return out


class Headers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.provider = h.FixtureServer(content_type="application/json", body=ANSWER, chunked=False,
                                       headers=PROVIDER_HEADERS)
        cfg = h.mock_config(cls.provider.port, cls.dir)
        cls.sluice = h.start_sluice(cfg)

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.provider.close()

    def ask(self, headers, path="/v1/chat/completions", model="gpt-4o-mini"):
        before = len(self.provider.requests)
        r = h.http(self.sluice.port, "POST", path,
                   {"model": model, "messages": [{"role": "user", "content": "hi"}]}, headers)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(len(self.provider.requests), before + 1)
        return r, self.provider.requests[-1][0]

    def test_client_headers_a_provider_must_not_see_are_dropped(self):
        _, head = self.ask({
            "Connection": "keep-alive, X-Client-Hop",
            "X-Client-Hop": "secret for the next hop only",
            "Cookie": "session=browser-state",
            "Forwarded": "for=6.6.6.6;host=evil.example",
            "X-Forwarded-For": "6.6.6.6",
            "OpenAI-Organization": "org-someone-else",
            "OpenAI-Project": "proj_someone_else",
            "Accept-Encoding": "gzip",
            "X-Custom-Trace": "kept",
        })
        seen = names(head)
        for dropped in ("x-client-hop", "cookie", "forwarded", "openai-organization", "openai-project"):
            self.assertNotIn(dropped, seen)
        self.assertEqual(values(head, "x-forwarded-for"), ["127.0.0.1"])  # the peer, replaced
        self.assertEqual(values(head, "accept-encoding"), ["identity"])
        self.assertEqual(values(head, "x-custom-trace"), ["kept"])

    def test_native_route_drops_them_too(self):
        _, head = self.ask({"OpenAI-Organization": "org-someone-else", "Cookie": "a=b",
                            "Connection": "X-Other", "X-Other": "1"},
                           path="/openai/v1/chat/completions", model="gpt-4o-mini-2024-07-18")
        seen = names(head)
        for dropped in ("openai-organization", "cookie", "x-other"):
            self.assertNotIn(dropped, seen)
        self.assertEqual(values(head, "x-forwarded-for"), ["127.0.0.1"])

    def test_provider_headers_a_client_must_not_see_are_dropped(self):
        r, _ = self.ask({})
        got = [k.lower() for k, _ in r.headers]
        for dropped in ("set-cookie", "openai-organization", "openai-project", "x-provider-hop"):
            self.assertNotIn(dropped, got)
        self.assertEqual(r.header("openai-processing-ms"), "12")  # end-to-end ones pass

    def test_one_request_id_per_answer_and_the_providers_is_passed_on_and_kept(self):
        r, head = self.ask({"x-request-id": "client-id-7"})
        ids = [v for k, v in r.headers if k.lower() == "x-request-id"]
        self.assertEqual(ids, ["client-id-7"])
        self.assertEqual(r.header("x-upstream-request-id"), "req_provider_42")
        self.assertEqual(values(head, "x-request-id"), ["client-id-7"])
        rows = h.ledger_rows(self.dir, "request_id = 'client-id-7'", wait_for=1)
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0]["upstream_request_id"], "req_provider_42")

    def test_sluice_id_is_the_one_id_when_the_client_sent_none(self):
        r, head = self.ask({})
        ids = [v for k, v in r.headers if k.lower() == "x-request-id"]
        self.assertEqual(len(ids), 1)
        self.assertTrue(ids[0].startswith("req-"), ids)
        self.assertEqual(values(head, "x-request-id"), ids)


if __name__ == "__main__":
    unittest.main(verbosity=2)
