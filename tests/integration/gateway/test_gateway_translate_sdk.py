"""The official SDKs end to end through translation: the OpenAI SDK calling a Claude and a
Gemini alias, the Anthropic SDK calling a GPT alias, the Google Gen AI SDK calling a Claude
alias, each with only its base URL pointed at sluice, in front of the real sluice-mock.
tests/sdk/translate_sdks.mjs makes the calls (the SDKs are pinned in tests/sdk and
installed by `npm ci --prefix tests/sdk` in tools/setup); this checks that text, tool
calls, stop reasons and token counts are what the mock sent and the ledger recorded."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

SOURCE = os.environ.get("SLUICE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../../.."))
SDK_DIR = os.path.join(SOURCE, "tests", "sdk")
KEY = "sk-sdk-translate-0123"
ARGS = [{"city": "Paris", "n": 0}, {"city": "Paris", "n": 1}]  # what the mock's calls carry

MODELS = """{
  "gpt": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini-2024-07-18" }] },
  "claude": { "targets": [{ "provider": "mock-anthropic", "model": "claude-sonnet-4-5" }] },
  "gemini": { "targets": [{ "provider": "mock-gemini", "model": "gemini-flash" }] }
}"""

if not os.path.isdir(os.path.join(SDK_DIR, "node_modules", "openai")):
    # Exit 77: meson counts the test as skipped.
    print("skipped: the SDKs are not installed (npm ci --prefix tests/sdk)")
    sys.exit(77)


class OfficialSdks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        keys = json.dumps([{"id": "sdk", "project": "team", "key": KEY}])
        cls.cfg = h.mock_config(cls.mock.port, cls.dir, models=MODELS, keys=keys)
        cls.sluice = h.start_sluice(cls.cfg)
        env = dict(os.environ, SLUICE_URL="http://127.0.0.1:%d" % cls.sluice.port, SLUICE_KEY=KEY)
        p = subprocess.run(["node", os.path.join(SDK_DIR, "translate_sdks.mjs")], cwd=SDK_DIR, env=env,
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("node failed:\n" + p.stdout + p.stderr)
        cls.out = json.loads(p.stdout.strip().splitlines()[-1])

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def case(self, name):
        got = self.out[name]
        self.assertNotIn("error", got, got.get("error"))
        rows = h.ledger_rows(self.dir, "request_id = 'sdk-%s'" % name, wait_for=1)
        self.assertEqual(len(rows), 1, name)
        row = rows[0]
        # The counts the SDK reports are the provider's, as the ledger recorded them.
        self.assertEqual(row["usage_source"], "provider")
        self.assertEqual(got["output"], row["output_tokens"])
        self.assertEqual(got["input"], row["input_tokens"])
        self.assertEqual(row["output_tokens"], 3)
        return got, row

    def test_openai_sdk_chat_with_claude_and_gemini(self):
        for alias, provider in (("claude", "mock-anthropic"), ("gemini", "mock-gemini")):
            with self.subTest(alias=alias):
                got, row = self.case("openai-%s-chat" % alias)
                self.assertEqual(got["text"], "tok0 tok1 tok2")
                self.assertEqual(got["finish"], "stop")
                self.assertEqual(got["model"], alias)
                self.assertEqual(row["provider"], provider)

    def test_openai_sdk_stream_with_usage(self):
        for alias in ("claude", "gemini"):
            with self.subTest(alias=alias):
                got, _ = self.case("openai-%s-stream" % alias)
                self.assertEqual(got["text"], "tok0 tok1 tok2")
                self.assertEqual(got["finish"], "stop")

    def test_openai_sdk_accumulates_a_streamed_tool_call(self):
        for alias in ("claude", "gemini"):
            with self.subTest(alias=alias):
                got, _ = self.case("openai-%s-stream-tools" % alias)
                self.assertEqual([c[:2] for c in got["calls"]], [["get_weather", ARGS[0]], ["get_weather", ARGS[1]]])
                self.assertEqual(got["finish"], "tool_calls")
                ids = [c[2] for c in got["calls"]]
                self.assertTrue(all(ids) and len(set(ids)) == 2, ids)
        # Anthropic's own tool_use ids reach the OpenAI client unchanged.
        self.assertEqual([c[2] for c in self.out["openai-claude-stream-tools"]["calls"]],
                         ["toolu_mock_0", "toolu_mock_1"])

    def test_anthropic_sdk_create_with_gpt(self):
        got, row = self.case("anthropic-gpt-create")
        self.assertEqual(got["text"], "tok0 tok1 tok2")
        self.assertEqual(got["finish"], "end_turn")
        self.assertEqual(got["model"], "gpt")
        self.assertEqual(row["provider"], "mock")

    def test_anthropic_sdk_stream_final_message_with_a_tool_use(self):
        got, _ = self.case("anthropic-gpt-stream-tools")
        self.assertEqual(got["text"], "tok0 tok1 tok2")
        self.assertEqual([c[:2] for c in got["calls"]], [["get_weather", ARGS[0]]])
        self.assertEqual(got["calls"][0][2], "call_mock_0")
        self.assertEqual(got["finish"], "tool_use")

    def test_google_sdk_with_claude(self):
        got, row = self.case("google-claude-generate")
        self.assertEqual(got["text"], "tok0 tok1 tok2")
        self.assertEqual(got["finish"], "STOP")
        self.assertEqual(row["provider"], "mock-anthropic")
        got, _ = self.case("google-claude-stream-tools")
        self.assertEqual(got["text"], "tok0 tok1 tok2")
        self.assertEqual(got["calls"], [["get_weather", ARGS[0]]])
        self.assertEqual(got["finish"], "STOP")


if __name__ == "__main__":
    unittest.main(verbosity=2)
