"""Any client format to any provider, through the real sluice in front of the real
sluice-mock: OpenAI Chat, Anthropic Messages and Gemini clients calling aliases of every
provider kind, streamed and not, text and tool calls; provider errors and mid-stream
failures in the client's format; cross-format fallback; dropped and refused parameters;
count_tokens; and ledger rows that carry the provider's own counts."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ALIASES = {"gpt": "mock", "claude": "mock-anthropic", "gemini": "mock-gemini"}
CLIENTS = ("openai", "anthropic", "gemini")
ARGS = [{"city": "Paris", "n": 0}, {"city": "Paris", "n": 1}]  # what the mock's calls carry

MODELS = """{
  "gpt": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini-2024-07-18" }],
           "price": { "input_per_mtok": 0.15, "output_per_mtok": 0.60 } },
  "claude": { "targets": [{ "provider": "mock-anthropic", "model": "claude-sonnet-4-5" }],
              "default_max_tokens": 300,
              "price": { "input_per_mtok": 3.0, "output_per_mtok": 15.0 } },
  "gemini": { "targets": [{ "provider": "mock-gemini", "model": "gemini-flash" }],
              "price": { "input_per_mtok": 0.30, "output_per_mtok": 2.50 } },
  "claude-strict": { "targets": [{ "provider": "mock-anthropic", "model": "claude-sonnet-4-5" }],
                     "unsupported_params": "refuse" },
  "gpt-broken": { "targets": [{ "provider": "broken", "model": "gpt-4o" }],
                  "fallbacks": ["claude"],
                  "price": { "input_per_mtok": 2.5, "output_per_mtok": 10.0 } }
}"""

WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "n": {"type": "integer"}},
                  "required": ["city"]}


def request(client, alias, stream, tools=False, extra=None):
    """(path, body, headers) of one generation request in the client's format."""
    if client == "openai":
        body = {"model": alias, "messages": [{"role": "system", "content": "Be brief."},
                                             {"role": "user", "content": "Weather in Paris?"}]}
        if stream:
            body.update({"stream": True, "stream_options": {"include_usage": True}})
        if tools:
            body["tools"] = [{"type": "function", "function": {
                "name": "get_weather", "description": "Weather now", "parameters": WEATHER_SCHEMA}}]
        path, headers = "/v1/chat/completions", {}
    elif client == "anthropic":
        body = {"model": alias, "max_tokens": 200, "system": "Be brief.",
                "messages": [{"role": "user", "content": "Weather in Paris?"}]}
        if stream:
            body["stream"] = True
        if tools:
            body["tools"] = [{"name": "get_weather", "description": "Weather now",
                              "input_schema": WEATHER_SCHEMA}]
        path, headers = "/v1/messages", {"anthropic-version": "2023-06-01"}
    else:
        body = {"systemInstruction": {"parts": [{"text": "Be brief."}]},
                "contents": [{"role": "user", "parts": [{"text": "Weather in Paris?"}]}]}
        if tools:
            body["tools"] = [{"functionDeclarations": [{
                "name": "get_weather", "description": "Weather now", "parameters": WEATHER_SCHEMA}]}]
        path = "/v1beta/models/%s:%s" % (alias, "streamGenerateContent?alt=sse" if stream else "generateContent")
        headers = {}
    body.update(extra or {})
    return path, body, headers


def sse_events(body):
    """(event name or None, parsed data) of every SSE event, [DONE] left out."""
    out = []
    for block in body.replace(b"\r\n", b"\n").split(b"\n\n"):
        name, data = None, []
        for line in block.split(b"\n"):
            if line.startswith(b"event:"):
                name = line[6:].strip().decode()
            elif line.startswith(b"data:"):
                data.append(line[5:].strip())
        if data and data != [b"[DONE]"]:
            out.append((name, json.loads(b"\n".join(data))))
    return out


class Answer:
    """A response in any of the three formats, read the way its SDK would."""

    def __init__(self):
        self.text = ""
        self.thinking = ""
        self.calls = []  # [name, args (dict)] in order
        self.finish = None
        self.input_tokens = None
        self.output_tokens = None
        self.error = None  # an error event or envelope


def read_openai(r, stream):
    a = Answer()
    if not stream:
        c = r.json()["choices"][0]
        a.text = c["message"].get("content") or ""
        a.calls = [[t["function"]["name"], json.loads(t["function"]["arguments"])]
                   for t in c["message"].get("tool_calls") or []]
        a.finish = c["finish_reason"]
        u = r.json()["usage"]
        a.input_tokens, a.output_tokens = u["prompt_tokens"], u["completion_tokens"]
        return a
    calls = {}
    for _, d in sse_events(r.body):
        if "error" in d:
            a.error = d["error"]
            continue
        if d.get("usage"):
            a.input_tokens, a.output_tokens = d["usage"]["prompt_tokens"], d["usage"]["completion_tokens"]
        for c in d.get("choices", []):
            delta = c.get("delta", {})
            a.text += delta.get("content") or ""
            for t in delta.get("tool_calls") or []:
                call = calls.setdefault(t["index"], {"name": "", "args": ""})
                f = t.get("function", {})
                call["name"] += f.get("name") or ""
                call["args"] += f.get("arguments") or ""
            if c.get("finish_reason"):
                a.finish = c["finish_reason"]
    a.calls = [[calls[i]["name"], json.loads(calls[i]["args"])] for i in sorted(calls)]
    return a


def read_anthropic(r, stream):
    a = Answer()
    if not stream:
        m = r.json()
        for b in m["content"]:
            if b["type"] == "text":
                a.text += b["text"]
            elif b["type"] == "tool_use":
                a.calls.append([b["name"], b["input"]])
        a.finish = m["stop_reason"]
        a.input_tokens, a.output_tokens = m["usage"]["input_tokens"], m["usage"]["output_tokens"]
        return a
    blocks = {}
    for name, d in sse_events(r.body):
        t = d.get("type")
        if t == "error":
            a.error = d["error"]
        elif t == "message_start":
            a.input_tokens = d["message"]["usage"]["input_tokens"]
        elif t == "content_block_start":
            blocks[d["index"]] = dict(d["content_block"], json="")
        elif t == "content_block_delta":
            delta, b = d["delta"], blocks[d["index"]]
            if delta["type"] == "text_delta":
                a.text += delta["text"]
            elif delta["type"] == "input_json_delta":
                b["json"] += delta["partial_json"]
        elif t == "message_delta":
            a.finish = d["delta"]["stop_reason"]
            a.output_tokens = d["usage"]["output_tokens"]
            if d["usage"].get("input_tokens") is not None:
                a.input_tokens = d["usage"]["input_tokens"]
    a.calls = [[b["name"], json.loads(b["json"] or "{}")] for _, b in sorted(blocks.items())
               if b["type"] == "tool_use"]
    return a


def read_gemini(r, stream):
    a = Answer()
    chunks = [d for _, d in sse_events(r.body)] if stream else [r.json()]
    for d in chunks:
        if "error" in d:
            a.error = d["error"]
            continue
        for c in d.get("candidates", []):
            for p in c.get("content", {}).get("parts", []):
                if "functionCall" in p:
                    a.calls.append([p["functionCall"]["name"], p["functionCall"].get("args", {})])
                elif p.get("thought"):
                    a.thinking += p.get("text", "")
                else:
                    a.text += p.get("text", "")
            if c.get("finishReason"):
                a.finish = c["finishReason"]
        if d.get("usageMetadata"):
            u = d["usageMetadata"]
            a.input_tokens, a.output_tokens = u.get("promptTokenCount"), u.get("candidatesTokenCount")
    return a


READERS = {"openai": read_openai, "anthropic": read_anthropic, "gemini": read_gemini}
STOP = {"openai": "stop", "anthropic": "end_turn", "gemini": "STOP"}
TOOL_STOP = {"openai": "tool_calls", "anthropic": "tool_use", "gemini": "STOP"}


class Translate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cls.broken = h.start_mock("--fault", "status=500")  # an OpenAI account that only fails
        extra = (',\n    "broken": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1", '
                 '"retry": { "attempts": 1 } }' % cls.broken.port)
        cls.cfg = h.mock_config(cls.mock.port, cls.dir, models=MODELS, extra_providers=extra)
        cls.sluice = h.start_sluice(cls.cfg)
        cls.port = cls.sluice.port
        cls.seq = 0

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()
        cls.broken.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def call(self, client, alias, stream, tools=False, headers=None, extra=None):
        path, body, hdrs = request(client, alias, stream, tools, extra)
        Translate.seq += 1
        rid = "tr-%s-%s-%d-%d" % (client, alias, int(stream), Translate.seq)
        hdrs.update({"x-request-id": rid, "x-mock-output-tokens": "3"})
        hdrs.update(headers or {})
        return h.http(self.port, "POST", path, body, hdrs), rid

    def row(self, rid):
        rows = h.ledger_rows(self.dir, "request_id = '%s'" % rid, wait_for=1)
        self.assertEqual(len(rows), 1, rid)
        return rows[0]

    def test_every_client_reaches_every_provider_with_text(self):
        for client in CLIENTS:
            for alias, provider in ALIASES.items():
                for stream in (False, True):
                    with self.subTest(client=client, alias=alias, stream=stream):
                        r, rid = self.call(client, alias, stream)
                        self.assertEqual(r.status, 200, r.body[:300])
                        want_type = "text/event-stream" if stream else "application/json"
                        self.assertIn(want_type, r.header("content-type"))
                        a = READERS[client](r, stream)
                        self.assertIsNone(a.error)
                        self.assertEqual(a.text, "tok0 tok1 tok2")
                        self.assertEqual(a.finish, STOP[client])
                        self.assertEqual(a.calls, [])
                        row = self.row(rid)
                        self.assertEqual(row["provider"], provider)
                        self.assertEqual(row["usage_source"], "provider")
                        self.assertEqual(row["output_tokens"], 3)
                        self.assertEqual(a.output_tokens, 3)
                        # The client sees the provider's own prompt count.
                        self.assertEqual(a.input_tokens, row["input_tokens"])
                        self.assertGreater(row["cost_nusd"], 0)

    def test_every_client_gets_tool_calls_from_every_provider(self):
        for client in CLIENTS:
            for alias in ALIASES:
                for stream in (False, True):
                    with self.subTest(client=client, alias=alias, stream=stream):
                        # Two calls in one answer: arguments split across chunks for each.
                        r, rid = self.call(client, alias, stream, tools=True,
                                           headers={"x-mock-tool-calls": "2"})
                        self.assertEqual(r.status, 200, r.body[:300])
                        a = READERS[client](r, stream)
                        self.assertEqual(a.calls, [["get_weather", ARGS[0]], ["get_weather", ARGS[1]]])
                        self.assertEqual(a.finish, TOOL_STOP[client])
                        self.assertEqual(self.row(rid)["output_tokens"], 3)

    def test_usage_chunk_only_for_an_openai_client_that_asked(self):
        for alias in ("claude", "gemini"):
            with self.subTest(alias=alias):
                r, rid = self.call("openai", alias, True, extra={"stream_options": None})
                chunks = [d for _, d in sse_events(r.body)]
                self.assertTrue(chunks)
                self.assertFalse([c for c in chunks if c.get("usage")], r.body[-400:])
                self.assertTrue(r.body.rstrip().endswith(b"data: [DONE]"))
                self.assertEqual(self.row(rid)["output_tokens"], 3)  # the ledger still has it

    def test_tool_call_ids_survive_the_way_back(self):
        # An Anthropic tool_use id reaches an OpenAI client as the call's id, so the
        # client's tool result can name it in the next turn.
        r, _ = self.call("openai", "claude", False, tools=True)
        call = r.json()["choices"][0]["message"]["tool_calls"][0]
        self.assertEqual(call["id"], "toolu_mock_0")
        follow = {"messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny"}]}
        r2, _ = self.call("openai", "claude", False, tools=True, extra=follow)
        self.assertEqual(r2.status, 200, r2.body[:300])

    def test_same_format_answers_are_the_providers_bytes(self):
        r, _ = self.call("anthropic", "claude", False)
        self.assertEqual(r.status, 200)
        self.assertTrue(r.json()["id"].startswith("msg_chatcmpl") or r.json()["id"].startswith("msg_"))
        self.assertEqual(r.header("request-id")[:8], "req_mock")  # the mock's own head, relayed
        native = h.http(self.port, "POST", "/anthropic/v1/messages",
                        request("anthropic", "claude-sonnet-4-5", False)[1],
                        {"anthropic-version": "2023-06-01", "x-mock-output-tokens": "3"})
        strip = lambda b: json.loads(b) | {"id": None}  # noqa: E731
        self.assertEqual(strip(r.body)["content"], strip(native.body)["content"])
        g, _ = self.call("gemini", "gemini", True)
        self.assertIn(b"\r\n\r\n", g.body)  # Gemini's own CRLF framing, untouched

    def test_gemini_json_array_stream(self):
        path, body, hdrs = request("gemini", "claude", True)
        path = path.replace("?alt=sse", "")
        r = h.http(self.port, "POST", path, body, dict(hdrs, **{"x-mock-output-tokens": "3"}))
        self.assertEqual(r.status, 200, r.body[:300])
        self.assertIn("application/json", r.header("content-type"))
        chunks = json.loads(r.body)
        text = "".join(p.get("text", "") for c in chunks for p in c["candidates"][0]["content"]["parts"])
        self.assertEqual(text, "tok0 tok1 tok2")

    def test_provider_errors_come_in_the_clients_envelope(self):
        for client in CLIENTS:
            for alias in ALIASES:
                with self.subTest(client=client, alias=alias):
                    r, _ = self.call(client, alias, False, headers={"x-mock-fault": "status=400"})
                    self.assertEqual(r.status, 400, r.body[:300])
                    e = r.json()
                    if client == "openai":
                        self.assertIsInstance(e["error"]["message"], str)
                    elif client == "anthropic":
                        self.assertEqual(e["type"], "error")
                        self.assertEqual(e["error"]["type"], "invalid_request_error")
                    else:
                        self.assertEqual(e["error"]["status"], "INVALID_ARGUMENT")
                        self.assertEqual(e["error"]["code"], 400)

    def test_a_stream_cut_off_ends_with_the_clients_error_event(self):
        r, rid = self.call("openai", "claude", True, headers={"x-mock-fault": "drop_after=4"})
        self.assertEqual(r.status, 200)
        a = read_openai(r, True)
        self.assertIsNotNone(a.error)
        self.assertEqual(self.row(rid)["outcome"], "cut_off")
        r, rid = self.call("anthropic", "gemini", True, headers={"x-mock-fault": "drop_after=2"})
        self.assertIsNotNone(read_anthropic(r, True).error)
        row = self.row(rid)
        self.assertEqual(row["outcome"], "cut_off")
        self.assertGreaterEqual(row["output_tokens"], 1)  # the partial usage reached the ledger

    def test_a_whole_answer_cut_off_is_an_error_in_the_clients_envelope(self):
        # Nothing of a translated whole body has gone out when it breaks: a clean error.
        r, rid = self.call("anthropic", "gemini", False, headers={"x-mock-fault": "drop_after=20"})
        self.assertEqual(r.status, 502, r.body[:300])
        self.assertEqual(r.json()["type"], "error")
        self.assertEqual(r.header("x-sluice-error-class"), "upstream_error")
        self.assertEqual(self.row(rid)["outcome"], "cut_off")

    def test_thinking_and_cache_fields_cross_formats(self):
        hdrs = {"x-mock-thinking": "1", "x-mock-cached-tokens": "5", "x-mock-cache-write-tokens": "3"}
        # Anthropic's thinking and cache reads to an OpenAI client.
        r, rid = self.call("openai", "claude", False, headers=hdrs)
        m = r.json()["choices"][0]["message"]
        self.assertEqual(m["reasoning_content"], "think0 think1")
        u = r.json()["usage"]
        self.assertEqual(u["prompt_tokens_details"]["cached_tokens"], 5)
        row = self.row(rid)
        self.assertEqual(u["prompt_tokens"], row["input_tokens"])  # input + cache reads + writes
        self.assertEqual(row["cached_tokens"], 5)
        # Gemini's thought and its signature to an Anthropic client, streamed.
        r, rid = self.call("anthropic", "gemini", True, headers=hdrs)
        blocks, sig = {}, ""
        for _, d in sse_events(r.body):
            if d.get("type") == "content_block_start":
                blocks[d["index"]] = d["content_block"]["type"]
            if d.get("type") == "content_block_delta" and d["delta"]["type"] == "signature_delta":
                sig += d["delta"]["signature"]
        self.assertEqual(blocks[0], "thinking")
        self.assertTrue(sig)
        thinking = "".join(d["delta"]["thinking"] for _, d in sse_events(r.body)
                           if d.get("type") == "content_block_delta" and d["delta"]["type"] == "thinking_delta")
        self.assertEqual(thinking, "think0 think1")
        row = self.row(rid)
        self.assertEqual(row["cached_tokens"], 5)
        self.assertEqual(row["reasoning_tokens"], 2)  # Gemini's thoughtsTokenCount
        # The thinking block goes back in the next turn through the same alias.
        m = {"role": "assistant", "content": [{"type": "thinking", "thinking": thinking, "signature": sig},
                                              {"type": "text", "text": "tok0 tok1 tok2"}]}
        follow = {"messages": [{"role": "user", "content": "Weather in Paris?"}, m,
                               {"role": "user", "content": "And tomorrow?"}]}
        r2, _ = self.call("anthropic", "gemini", False, extra=follow)
        self.assertEqual(r2.status, 200, r2.body[:300])
        # Anthropic's to a Gemini client: a thought part with its signature.
        r, rid = self.call("gemini", "claude", False, headers=hdrs)
        parts = r.json()["candidates"][0]["content"]["parts"]
        self.assertTrue(parts[0]["thought"])
        self.assertEqual(parts[0]["text"], "think0 think1")
        self.assertTrue(parts[0]["thoughtSignature"])
        self.assertEqual(r.json()["usageMetadata"]["cachedContentTokenCount"], 5)

    def test_a_client_that_leaves_a_translated_stream_is_settled_with_partial_usage(self):
        path, body, hdrs = request("openai", "claude", True)
        hdrs.update({"x-request-id": "tr-cancel", "x-mock-output-tokens": "200", "x-mock-itl-ms": "20"})
        with h.connect(self.port) as sock:
            sock.sendall(h.request_bytes("POST", path, body, hdrs))
            got = b""
            while got.count(b"tok") < 3:
                got += sock.recv(65536)
        row = self.row("tr-cancel")
        self.assertEqual(row["outcome"], "client_cancelled")
        self.assertGreaterEqual(row["output_tokens"], 1)

    def test_fallback_crosses_formats(self):
        for stream in (False, True):
            with self.subTest(stream=stream):
                r, rid = self.call("openai", "gpt-broken", stream)
                self.assertEqual(r.status, 200, r.body[:300])
                a = read_openai(r, stream)
                self.assertEqual(a.text, "tok0 tok1 tok2")
                self.assertEqual(a.finish, "stop")
                row = self.row(rid)
                self.assertEqual(row["provider"], "mock-anthropic")
                self.assertEqual(row["model"], "gpt-broken")  # the alias the client asked for
                self.assertGreaterEqual(row["attempts"], 2)
                self.assertEqual(row["output_tokens"], 3)

    def test_dropped_params_are_named_and_refused_where_asked(self):
        extra = {"seed": 7, "presence_penalty": 0.5}
        r, _ = self.call("openai", "claude", False, extra=extra)
        self.assertEqual(r.status, 200, r.body[:300])
        dropped = [p.strip() for p in (r.header("x-sluice-dropped-params") or "").split(",")]
        self.assertIn("seed", dropped)
        self.assertIn("presence_penalty", dropped)
        r, _ = self.call("openai", "claude-strict", False, extra=extra)
        self.assertEqual(r.status, 400, r.body[:300])
        self.assertIn("seed", r.json()["error"]["message"])
        r, _ = self.call("openai", "claude", False)
        self.assertIsNone(r.header("x-sluice-dropped-params"))

    def test_default_max_tokens_reaches_anthropic(self):
        # The alias's default_max_tokens (300) is what an OpenAI request without one asks
        # for; the mock stops at a lower cap, so 2 tokens come back when 2 are asked.
        r, _ = self.call("openai", "claude", False, extra={"max_tokens": 2})
        self.assertEqual(read_openai(r, False).finish, "length")
        r, _ = self.call("openai", "claude", False)
        self.assertEqual(read_openai(r, False).finish, "stop")

    def test_count_tokens_forwarded_or_estimated(self):
        path, body, hdrs = "/v1/messages/count_tokens", request("anthropic", "claude", False)[1], \
            {"anthropic-version": "2023-06-01"}
        body.pop("max_tokens")
        r = h.http(self.port, "POST", path, body, hdrs)
        self.assertEqual(r.status, 200, r.body)
        self.assertGreater(r.json()["input_tokens"], 0)
        self.assertIsNone(r.header("x-sluice-token-count"))
        r = h.http(self.port, "POST", path, dict(body, model="gemini"), hdrs)
        self.assertEqual(r.status, 200, r.body)
        self.assertGreater(r.json()["input_tokens"], 0)
        self.assertEqual(r.header("x-sluice-token-count"), "estimated")

    def test_models_lists_every_alias(self):
        r = h.http(self.port, "GET", "/v1/models")
        ids = {m["id"] for m in r.json()["data"]}
        self.assertTrue({"gpt", "claude", "gemini", "gpt-broken"} <= ids)

    def test_unknown_alias_in_the_clients_envelope(self):
        r = h.http(self.port, "POST", "/v1beta/models/nope:generateContent",
                   request("gemini", "x", False)[1])
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["error"]["code"], 404)
        r = h.http(self.port, "POST", "/v1/messages", request("anthropic", "nope", False)[1])
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["type"], "error")



class Headroom(unittest.TestCase):
    """Several targets of one alias on different provider accounts: chosen by what each
    account's rate-limit headers say remains (less what is in flight), and an account
    paused by a 429 is skipped until its retry-after ends."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.roomy = h.start_mock("--rpm", "100000")
        cls.tight = h.start_mock("--rpm", "1000")
        extra = (',\n    "roomy": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" },'
                 '\n    "tight": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" }'
                 % (cls.roomy.port, cls.tight.port))
        models = """{
          "shared": { "targets": [{ "provider": "tight", "model": "m", "weight": 1 },
                                  { "provider": "roomy", "model": "m", "weight": 1 }] }
        }"""
        cls.cfg = h.mock_config(cls.roomy.port, cls.dir, models=models, extra_providers=extra)
        cls.sluice = h.start_sluice(cls.cfg)

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.roomy.stop()
        cls.tight.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def send(self, n, prefix, headers=None):
        for i in range(n):
            hdrs = {"x-request-id": "%s-%d" % (prefix, i)}
            hdrs.update(headers or {})
            r = h.http(self.sluice.port, "POST", "/v1/chat/completions",
                       {"model": "shared", "messages": [{"role": "user", "content": "hi"}]}, hdrs)
            self.assertEqual(r.status, 200, r.body[:200])
        rows = h.ledger_rows(self.dir, "request_id like '%s-%%'" % prefix, wait_for=n)
        return [row["provider"] for row in rows]

    def test_1_the_account_with_more_room_takes_the_requests(self):
        # The first two go round robin (neither account has spoken yet); from then on both
        # have, and the one with 100,000 a minute has far more left than the one with 1,000.
        providers = self.send(12, "room")
        self.assertEqual(sorted(providers[:2]), ["roomy", "tight"])
        self.assertEqual(providers[2:], ["roomy"] * 10)

    def test_2_an_account_paused_by_a_429_is_skipped(self):
        # After test_1 (names keep the order): both accounts have spoken.
        self.send(2, "warm")
        # Make the roomy account answer 429 with a long retry-after: it is paused (the
        # request itself goes on to the other target's account only through its retry),
        # and the next requests go to the tight one while the pause lasts.
        r = h.http(self.sluice.port, "POST", "/v1/chat/completions",
                   {"model": "shared", "messages": [{"role": "user", "content": "hi"}]},
                   {"x-mock-fault": "status=429,retry_after=600", "x-mock-fault-times": "1",
                    "x-mock-fault-key": "pause-roomy"})
        self.assertIn(r.status, (200, 429))
        providers = self.send(4, "paused")
        self.assertEqual(providers, ["tight"] * 4)


if __name__ == "__main__":
    unittest.main(verbosity=2)
