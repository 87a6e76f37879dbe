"""Ways a tenant could spend without paying, each tried against the real sluice on
loopback: a body that names its model twice, a native model no alias prices, a run-time
key that reaches other models through a fallback, a key whose project is gone, and a
model name of megabytes."""

import os
import signal
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ADMIN = "admin-key-attacks"
KEY = "sk-team-attacks"
BUDGET_KEY = "sk-budget-attacks"


def chat_body(model, **extra):
    body = {"model": model, "messages": [{"role": "user", "content": "hello there"}]}
    body.update(extra)
    return body


class NativePricing(unittest.TestCase):
    """The native surface (/openai/...) forwards the body as sent, so what sluice prices
    must be what the provider obeys, and a model no alias prices must not be free."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        projects = """{ "team": {},
          "capped": { "budget": { "usd_per_day": 3.0 } } }"""
        keys = """[{ "id": "team", "project": "team", "key": "%s" },
                   { "id": "capped", "project": "capped", "key": "%s" }]""" % (KEY, BUDGET_KEY)
        # A second openai account with a default price for models no alias names.
        extra = """,
    "priced": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1",
                "default_price": { "input_per_mtok": 1000, "output_per_mtok": 2000 } }""" % cls.mock.port
        models = """{
      "gpt-4o-mini": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini-2024-07-18" }],
                       "price": { "input_per_mtok": 0.15, "output_per_mtok": 0.60 } },
      "free": { "targets": [{ "provider": "mock", "model": "free-model" }] }
    }"""
        cls.cfg = h.mock_config(cls.mock.port, cls.dir, projects=projects, keys=keys,
                                extra_providers=extra, models=models)
        cls.sluice = h.start_sluice(cls.cfg)

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def post(self, path, body, key=KEY, headers=None):
        hd = {"Authorization": "Bearer " + key}
        hd.update(headers or {})
        return h.http(self.sluice.port, "POST", path, body, hd)

    def test_a_body_naming_its_model_twice_is_refused(self):
        # sluice would read one "model" and the provider the other.
        body = (b'{"model":"gpt-4o-mini-2024-07-18","messages":[{"role":"user","content":"x"}],'
                b'"model":"gpt-4o"}')
        for path in ("/openai/v1/chat/completions", "/v1/chat/completions"):
            r = self.post(path, body)
            self.assertEqual(r.status, 400, (path, r.body))
            self.assertIn(b"model", r.body)
        r = self.post("/openai/v1/chat/completions",
                      b'{"model":"m","stream":false,"stream":true,"messages":[]}')
        self.assertEqual(r.status, 400, r.body)

    def test_an_unpriced_native_model_is_refused_for_a_project_with_a_budget(self):
        r = self.post("/openai/v1/chat/completions", chat_body("some-unlisted-model"),
                      key=BUDGET_KEY)
        self.assertEqual(r.status, 403, r.body)
        self.assertEqual(r.header("x-sluice-error-class"), "forbidden")
        self.assertIn(b"no price", r.body)
        # A multipart upload names no model sluice can read: refused the same way.
        r = self.post("/openai/v1/audio/transcriptions", b"--b\r\n\r\nx\r\n--b--\r\n",
                      key=BUDGET_KEY, headers={"Content-Type": "multipart/form-data; boundary=b"})
        self.assertEqual(r.status, 403, r.body)
        # Reading costs nothing: still served.
        r = h.http(self.sluice.port, "GET", "/openai/v1/models", b"",
                   {"Authorization": "Bearer " + BUDGET_KEY})
        self.assertEqual(r.status, 200, r.body)

    def test_an_unpriced_alias_is_refused_for_a_project_with_a_budget(self):
        r = self.post("/v1/chat/completions", chat_body("free"), key=BUDGET_KEY)
        self.assertEqual(r.status, 403, r.body)
        self.assertIn(b"no price", r.body)
        self.assertEqual(self.post("/v1/chat/completions", chat_body("free")).status, 200)

    def test_an_unpriced_native_model_without_a_budget_still_passes(self):
        r = self.post("/openai/v1/chat/completions", chat_body("some-unlisted-model"))
        self.assertEqual(r.status, 200, r.body)

    def test_the_provider_default_price_prices_an_unlisted_model_and_the_budget_holds(self):
        hd = {"x-sluice-provider": "priced", "x-mock-output-tokens": "1000"}
        # 1,000 output tokens at $2,000 per million: $2 of the $3 daily budget.
        r = self.post("/openai/v1/chat/completions", chat_body("unlisted-2", max_tokens=1000),
                      key=BUDGET_KEY, headers=hd)
        self.assertEqual(r.status, 200, r.body)
        rid = r.header("x-request-id")
        rows = h.ledger_rows(self.dir, "request_id = '%s'" % rid, wait_for=1)
        self.assertEqual(len(rows), 1)
        row = rows[0]
        self.assertEqual(row["output_tokens"], 1000)
        self.assertEqual(row["usage_source"], "provider")
        expected = (row["input_tokens"] * 1000 + 1000 * 2000) / 1e6
        self.assertAlmostEqual(row["cost_usd"], expected, places=9)
        # Another $2 would overrun the budget: refused.
        r = self.post("/openai/v1/chat/completions", chat_body("unlisted-2", max_tokens=1000),
                      key=BUDGET_KEY, headers=hd)
        self.assertEqual(r.status, 429, r.body)
        self.assertEqual(r.header("x-sluice-error-class"), "budget_exceeded")


class LongNames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cls.sluice = h.start_sluice(h.mock_config(cls.mock.port, cls.dir))

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def test_a_model_name_of_megabytes_is_refused_and_never_a_label(self):
        huge = "m" * (4 << 20)
        for path in ("/v1/chat/completions", "/openai/v1/chat/completions"):
            r = h.http(self.sluice.port, "POST", path, chat_body(huge), timeout=60)
            self.assertEqual(r.status, 400, path)
            self.assertIn(b"longer than 256 bytes", r.body)
            self.assertLess(len(r.body), 4096)
        ok = "m" * 256  # at the cap: no alias of that name, so a 404, not a 400
        self.assertEqual(h.http(self.sluice.port, "POST", "/v1/chat/completions",
                                chat_body(ok)).status, 404)
        # A native model that is not configured is served, under the label "other".
        self.assertEqual(h.http(self.sluice.port, "POST", "/openai/v1/chat/completions",
                                chat_body("not-configured-" + "x" * 200)).status, 200)
        metrics = h.http(self.sluice.port, "GET", "/metrics").body
        self.assertNotIn(b"mmmmmmmm", metrics)
        self.assertNotIn(b"not-configured-", metrics)
        self.assertIn(b'alias="other"', metrics)
        self.assertLess(len(metrics), 200000)


class RunTimeKeys(unittest.TestCase):
    """Keys made through /admin/keys carry their own model list into fallbacks, and stop
    working when their project leaves the config."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.mock = h.start_mock()
        # "cheap" targets a port nothing listens on, so it fails over to "gpt-4o".
        self.models = """{
      "cheap": { "targets": [{ "provider": "dead", "model": "cheap-1" }], "fallbacks": ["gpt-4o"],
                 "price": { "input_per_mtok": 0.1, "output_per_mtok": 0.1 } },
      "gpt-4o": { "targets": [{ "provider": "mock", "model": "gpt-4o" }],
                  "price": { "input_per_mtok": 2.5, "output_per_mtok": 10 } }
    }"""
        dead = """,
    "dead": { "kind": "openai", "base_url": "http://127.0.0.1:1/v1",
              "retry": { "attempts": 1 } }"""
        self.write("""{ "default": {}, "team": {}, "interns": {} }""", dead)
        self.sluice = h.start_sluice(self.cfg, env={"SLUICE_ADMIN_KEY": ADMIN})

    def write(self, projects, dead=None):
        if dead is not None:
            self.dead = dead
        keys = '[{ "id": "cfg", "project": "team", "key": "%s" }]' % KEY
        self.cfg = h.mock_config(self.mock.port, self.dir, models=self.models, projects=projects,
                                 keys=keys, extra_providers=self.dead)

    def tearDown(self):
        self.sluice.stop()
        self.mock.stop()

    def create(self, body):
        r = h.http(self.sluice.port, "POST", "/admin/keys", body,
                   {"Authorization": "Bearer " + ADMIN})
        self.assertEqual(r.status, 201, r.body)
        return r.json()["key"]

    def chat(self, key, model):
        return h.http(self.sluice.port, "POST", "/v1/chat/completions", chat_body(model),
                      {"Authorization": "Bearer " + key})

    def test_a_fallback_obeys_the_run_time_key_model_list(self):
        key = self.create({"id": "cheap-only", "project": "team", "models": ["cheap"]})
        self.assertEqual(self.chat(key, "gpt-4o").status, 403)
        r = self.chat(key, "cheap")
        # cheap's provider is down and the key may not use gpt-4o: no answer from gpt-4o.
        self.assertNotEqual(r.status, 200, r.body)
        self.assertNotIn(b"gpt-4o", r.body)
        rows = h.ledger_rows(self.dir, "key_id = 'cheap-only' AND provider = 'mock'")
        self.assertEqual(rows, [])
        # A key allowed both does fail over (the fallback itself works).
        both = self.create({"id": "both", "project": "team", "models": ["cheap", "gpt-4o"]})
        self.assertEqual(self.chat(both, "cheap").status, 200)

    def test_a_key_whose_project_left_the_config_is_refused(self):
        key = self.create({"id": "intern", "project": "interns"})
        self.assertEqual(self.chat(key, "gpt-4o").status, 200)
        self.write("""{ "default": {}, "team": {} }""")
        self.sluice.signal(signal.SIGHUP)
        self.assertTrue(h.wait_for_log(self.sluice, "reloaded "), self.sluice.stderr())
        r = self.chat(key, "gpt-4o")
        self.assertEqual(r.status, 401, r.body)
        self.assertIn("stored key intern is refused", self.sluice.stderr())
        # The config's own key still works; the project coming back restores the key.
        self.assertEqual(self.chat(KEY, "gpt-4o").status, 200)
        self.write("""{ "default": {}, "team": {}, "interns": {} }""")
        self.sluice.signal(signal.SIGHUP)
        self.assertTrue(h.wait_for_log(self.sluice, "reloaded ", 2), self.sluice.stderr())
        self.assertEqual(self.chat(key, "gpt-4o").status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
