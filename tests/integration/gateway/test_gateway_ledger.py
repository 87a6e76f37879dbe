"""What every request cost: the real sluice in front of the real sluice-mock writes one
ledger row per request with the usage the provider reported (or an estimate, marked
so, when a stream is cut), priced by the config; the ledger survives a restart and
/admin/usage reads it."""

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ADMIN = "admin-key-ledger"
PRICES = {  # USD per million tokens, as in harness.mock_config
    "gpt-4o-mini": (0.15, 0.60, 0.075),
    "claude": (3.0, 15.0, 3.0),
    "gemini-flash": (0.30, 2.50, 0.30),
}
PROMPT = [{"role": "user", "content": "Count the stars in the sky, please."}]


def cost(alias, inp, out, cached=0):
    i, o, c = PRICES[alias]
    return ((inp - cached) * i + cached * c + out * o) / 1e6


class Ledger(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cls.cfg = h.mock_config(cls.mock.port, cls.dir, shards=2)
        cls.env = {"SLUICE_ADMIN_KEY": ADMIN}
        cls.sluice = h.start_sluice(cls.cfg, env=cls.env)

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def row(self, request_id):
        rows = h.ledger_rows(self.dir, "request_id = '%s'" % request_id, wait_for=1)
        self.assertEqual(len(rows), 1, "exactly one row for " + request_id)
        return rows[0]

    def check(self, row, alias, stream, inp, out, cached=0, reasoning=0, model=None):
        # Unified requests record the alias; native ones the provider's model name,
        # priced by the alias that targets it.
        self.assertEqual(row["model"], model or alias)
        self.assertEqual(row["stream"], 1 if stream else 0)
        self.assertEqual(row["status"], 200)
        self.assertEqual(row["outcome"], "ok")
        self.assertEqual(row["usage_source"], "provider")
        self.assertEqual(row["input_tokens"], inp)
        self.assertEqual(row["output_tokens"], out)
        self.assertEqual(row["cached_tokens"], cached)
        self.assertEqual(row["reasoning_tokens"], reasoning)
        self.assertAlmostEqual(row["cost_usd"], cost(alias, inp, out, cached), places=12)
        self.assertEqual(row["attempts"], 1)
        self.assertEqual(row["project"], "default")

    def test_openai_chat_non_stream(self):
        r = h.http(self.sluice.port, "POST", "/v1/chat/completions",
                   {"model": "gpt-4o-mini", "messages": PROMPT}, {"x-request-id": "oa-1", "x-mock-cached-tokens": "2"})
        u = r.json()["usage"]
        self.check(self.row("oa-1"), "gpt-4o-mini", False, u["prompt_tokens"], u["completion_tokens"],
                   u["prompt_tokens_details"]["cached_tokens"])

    def test_openai_chat_stream_usage_hidden_from_client_still_recorded(self):
        r = h.http(self.sluice.port, "POST", "/v1/chat/completions",
                   {"model": "gpt-4o-mini", "stream": True, "messages": PROMPT},
                   {"x-request-id": "oa-2", "x-mock-output-tokens": "21"})
        self.assertNotIn(b'"usage"', r.body)
        row = self.row("oa-2")
        self.assertEqual(row["output_tokens"], 21)
        self.assertGreater(row["input_tokens"], 0)
        self.check(row, "gpt-4o-mini", True, row["input_tokens"], 21)

    def test_openai_responses_stream(self):
        r = h.http(self.sluice.port, "POST", "/v1/responses",
                   {"model": "gpt-4o-mini", "stream": True, "input": "Count the stars"},
                   {"x-request-id": "oa-3", "x-mock-output-tokens": "9"})
        completed = [json.loads(d) for d in r.sse_data() if b"response.completed" in d][0]
        u = completed["response"]["usage"]
        self.check(self.row("oa-3"), "gpt-4o-mini", True, u["input_tokens"], u["output_tokens"])

    def test_anthropic_non_stream_and_stream(self):
        body = {"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": PROMPT}
        r = h.http(self.sluice.port, "POST", "/anthropic/v1/messages", body, {"x-request-id": "an-1"})
        u = r.json()["usage"]
        inp = u["input_tokens"] + u.get("cache_creation_input_tokens", 0) + u.get("cache_read_input_tokens", 0)
        row = self.row("an-1")
        self.assertEqual(row["provider"], "mock-anthropic")
        self.check(row, "claude", False, inp, u["output_tokens"], u.get("cache_read_input_tokens", 0),
                   model="claude-sonnet-4-5")

        r = h.http(self.sluice.port, "POST", "/anthropic/v1/messages", dict(body, stream=True),
                   {"x-request-id": "an-2", "x-mock-output-tokens": "13"})
        deltas = [json.loads(d) for d in r.sse_data() if b"message_delta" in d]
        self.assertEqual(deltas[-1]["usage"]["output_tokens"], 13)
        row = self.row("an-2")
        self.check(row, "claude", True, row["input_tokens"], 13, row["cached_tokens"],
                   model="claude-sonnet-4-5")

    def test_gemini_non_stream_and_stream(self):
        body = {"contents": [{"role": "user", "parts": [{"text": "Count the stars"}]}]}
        r = h.http(self.sluice.port, "POST", "/gemini/v1beta/models/gemini-flash:generateContent", body,
                   {"x-request-id": "ge-1"})
        m = r.json()["usageMetadata"]
        out = m.get("candidatesTokenCount", 0) + m.get("thoughtsTokenCount", 0)
        self.check(self.row("ge-1"), "gemini-flash", False, m["promptTokenCount"], out,
                   m.get("cachedContentTokenCount", 0), m.get("thoughtsTokenCount", 0))

        r = h.http(self.sluice.port, "POST",
                   "/gemini/v1beta/models/gemini-flash:streamGenerateContent?alt=sse", body,
                   {"x-request-id": "ge-2", "x-mock-output-tokens": "7"})
        last = json.loads(r.sse_data()[-1])["usageMetadata"]
        row = self.row("ge-2")
        self.check(row, "gemini-flash", True, last["promptTokenCount"],
                   last.get("candidatesTokenCount", 0) + last.get("thoughtsTokenCount", 0),
                   last.get("cachedContentTokenCount", 0), last.get("thoughtsTokenCount", 0))

    def test_stream_cut_by_the_provider_is_cut_off_with_estimated_usage(self):
        # The response itself is cut, so read it by hand until the connection ends.
        with h.connect(self.sluice.port) as s:
            s.sendall(h.request_bytes("POST", "/v1/chat/completions",
                                      {"model": "gpt-4o-mini", "stream": True, "messages": PROMPT},
                                      {"x-request-id": "cut-1", "x-mock-fault": "drop_after=4",
                                       "x-mock-output-tokens": "50"}))
            got = b""
            s.settimeout(10)
            try:
                while True:
                    d = s.recv(65536)
                    if not d:
                        break
                    got += d
            except ConnectionResetError:
                pass
        self.assertIn(b"200", got.split(b"\r\n")[0])
        self.assertNotIn(b"[DONE]", got)
        row = self.row("cut-1")
        self.assertEqual(row["outcome"], "cut_off")
        self.assertEqual(row["usage_source"], "estimated")
        self.assertGreater(row["input_tokens"], 0)
        self.assertGreater(row["output_tokens"], 0)
        self.assertLess(row["output_tokens"], 50)
        self.assertGreater(row["cost_usd"], 0)

    def test_usage_survives_a_restart(self):
        for i in range(3):
            h.http(self.sluice.port, "POST", "/v1/chat/completions",
                   {"model": "gpt-4o-mini", "messages": PROMPT}, {"x-request-id": "rs-%d" % i})
        for i in range(3):
            self.row("rs-%d" % i)  # committed
        before = h.http(self.sluice.port, "GET", "/admin/usage?group_by=model",
                        headers={"Authorization": "Bearer " + ADMIN})
        self.assertEqual(before.status, 200)
        self.assertEqual(type(self).sluice.stop(), 0)
        type(self).sluice = h.start_sluice(self.cfg, env=self.env)
        after = h.http(self.sluice.port, "GET", "/admin/usage?group_by=model",
                       headers={"Authorization": "Bearer " + ADMIN})
        self.assertEqual(after.status, 200)
        rows = {r["model"]: r for r in after.json()["rows"]}
        self.assertIn("gpt-4o-mini", rows)
        self.assertGreaterEqual(rows["gpt-4o-mini"]["requests"], 3)
        self.assertEqual(before.json()["rows"], after.json()["rows"])
        db = h.ledger_rows(self.dir)
        self.assertEqual(sum(r["model"] == "gpt-4o-mini" for r in db), rows["gpt-4o-mini"]["requests"])

    def test_admin_usage_needs_the_admin_key_and_checks_group_by(self):
        r = h.http(self.sluice.port, "GET", "/admin/usage")
        self.assertEqual(r.status, 401)
        r = h.http(self.sluice.port, "GET", "/admin/usage?group_by=colour",
                   headers={"Authorization": "Bearer " + ADMIN})
        self.assertEqual(r.status, 400)
        r = h.http(self.sluice.port, "GET", "/admin/usage?from=2000-01-01&group_by=project,day",
                   headers={"Authorization": "Bearer " + ADMIN})
        self.assertEqual(r.status, 200)
        self.assertIn("rows", r.json())


if __name__ == "__main__":
    unittest.main(verbosity=2)
