"""SIGHUP reload of the real sluice: a changed config reaches every shard while
sluice-load keeps it busy and no request fails; pooled upstream connections survive a
reload that leaves their provider alone; what only a restart can change is kept."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

LOAD = os.environ.get("SLUICE_LOAD_BIN", "build/tools/load/sluice-load")
KEY = "sk-reload-app"


def keys_json(pairs):
    return "[%s]" % ", ".join('{ "id": "%s", "project": "default", "key": "%s" }' % p for p in pairs)


def models_json(aliases, provider="mock"):
    return "{%s}" % ", ".join(
        '"%s": { "targets": [{ "provider": "%s", "model": "gpt-4o-mini-2024-07-18" }] }' % (a, provider)
        for a in aliases)


def chat(port, key, model, headers=None):
    hdr = {"Authorization": "Bearer " + key}
    hdr.update(headers or {})
    return h.http(port, "POST", "/v1/chat/completions",
                  {"model": model, "messages": [{"role": "user", "content": "hi"}]}, hdr)


wait_for_log = h.wait_for_log


class ReloadUnderLoad(unittest.TestCase):
    def test_reloads_under_load_fail_no_request_and_the_new_alias_works(self):
        d = tempfile.mkdtemp()
        mock = h.start_mock("--threads", "2")
        try:
            aliases, keys = ["gpt-4o-mini"], [("app", KEY)]

            def write():
                return h.mock_config(mock.port, d, shards=2, models=models_json(aliases),
                                     keys=keys_json(keys))
            cfg = write()
            sluice = h.start_sluice(cfg)
            try:
                out = os.path.join(d, "load.json")
                # Streams of ~20 chunks 20 ms apart: reloads land while many are open.
                load = subprocess.Popen(
                    [LOAD, "--url", "http://127.0.0.1:%d" % sluice.port, "--key", KEY,
                     "--model", "gpt-4o-mini", "--stream", "--connections", "16",
                     "--threads", "1", "--duration", "6s", "--no-progress",
                     "--header", "x-mock-itl-ms: 20", "--header", "x-mock-output-tokens: 20",
                     "--json", out],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                time.sleep(1.0)
                reloads = 4
                for i in range(reloads):
                    aliases.append("alias-%d" % i)
                    keys.append(("k-%d" % i, "sk-reload-%d" % i))
                    write()
                    sluice.signal(signal.SIGHUP)
                    self.assertTrue(wait_for_log(sluice, "reloaded ", i + 1), sluice.stderr())
                    time.sleep(0.6)
                stdout, stderr = load.communicate(timeout=120)
                self.assertEqual(load.returncode, 0, stderr.decode())
                with open(out) as f:
                    report = json.load(f)
                req = report["totals"]["requests"]
                self.assertGreater(req["completed"], 50, stdout.decode())
                self.assertEqual(req["errors"], 0, json.dumps(report["totals"], indent=1))
                self.assertEqual(req["http_errors"], 0)
                self.assertEqual(req["transport_errors"], 0)
                self.assertEqual(req["ok"], req["completed"])
                self.assertEqual(report["unfinished"], 0)
                self.assertEqual(sluice.stderr().count("reloaded "), reloads)
                # The last alias and key are in force on every connection (both shards).
                for _ in range(8):
                    r = chat(sluice.port, "sk-reload-3", "alias-3")
                    self.assertEqual(r.status, 200, r.body)
                    self.assertEqual(r.json()["model"], "gpt-4o-mini-2024-07-18")
            finally:
                self.assertEqual(sluice.stop(), 0)
        finally:
            mock.stop()


class InFlight(unittest.TestCase):
    """A request in flight during a reload finishes on the snapshot it started under."""

    def write(self, price_in, price_out):
        models = ('{ "gpt-4o-mini": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini-2024-07-18" }],'
                  ' "price": { "input_per_mtok": %s, "output_per_mtok": %s } } }' % (price_in, price_out))
        return h.mock_config(self.mock.port, self.dir, shards=1, models=models,
                             keys=keys_json([("app", KEY)]))

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.mock = h.start_mock()
        self.cfg = self.write(1.0, 2.0)
        self.sluice = h.start_sluice(self.cfg)

    def tearDown(self):
        self.sluice.stop()
        self.mock.stop()

    def test_stream_in_flight_is_priced_by_the_config_it_started_under(self):
        sock = h.connect(self.sluice.port, timeout=30)
        body = {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
        sock.sendall(h.request_bytes("POST", "/v1/chat/completions", body, {
            "Authorization": "Bearer " + KEY, "x-request-id": "in-flight",
            "x-mock-itl-ms": "40", "x-mock-output-tokens": "30"}))
        first = sock.recv(4096)  # the head and first chunks: the request is dispatched
        self.assertIn(b"200", first.split(b"\r\n")[0])
        self.write(100.0, 200.0)
        self.sluice.signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(self.sluice, "reloaded "))
        rest = first
        while not rest.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        sock.close()
        self.assertIn(b"[DONE]", rest)
        after = chat(self.sluice.port, KEY, "gpt-4o-mini", {"x-request-id": "after"})
        self.assertEqual(after.status, 200)
        old = h.ledger_rows(self.dir, "request_id = 'in-flight'", wait_for=1)[0]
        new = h.ledger_rows(self.dir, "request_id = 'after'", wait_for=1)[0]
        self.assertEqual(old["output_tokens"], 30)
        self.assertAlmostEqual(old["cost_usd"], (old["input_tokens"] * 1.0 + 30 * 2.0) / 1e6, places=12)
        self.assertAlmostEqual(new["cost_usd"],
                               (new["input_tokens"] * 100.0 + new["output_tokens"] * 200.0) / 1e6, places=12)


class CountingServer(h.FixtureServer):
    """A stand-in provider that counts the connections it accepted."""

    def __init__(self, **kw):
        self.connections = 0
        super().__init__(**kw)

    def _conn(self, c):
        self.connections += 1
        super()._conn(c)


BODY = (b'{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini-2024-07-18",'
        b'"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],'
        b'"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}')


class Reload(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.upstream = CountingServer(content_type="application/json", body=BODY, chunked=False)
        self.aliases = ["gpt-4o-mini"]
        self.extra = ""
        self.cfg = self.write()
        self.sluice = h.start_sluice(self.cfg)

    def tearDown(self):
        self.sluice.stop()
        self.upstream.close()

    def write(self, text_filter=None):
        path = h.mock_config(self.upstream.port, self.dir, shards=1,
                             models=models_json(self.aliases), keys=keys_json([("app", KEY)]),
                             extra=self.extra)
        if text_filter:
            with open(path) as f:
                text = text_filter(f.read())
            with open(path, "w") as f:
                f.write(text)
        return path

    def reload(self):
        n = self.sluice.stderr().count("SIGHUP: reloading")
        self.sluice.signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(self.sluice, "SIGHUP: reloading", n + 1))
        # Applied ("reloaded") or refused ("keeping the running"): wait for either.
        deadline = time.time() + 30
        while time.time() < deadline:
            log = self.sluice.stderr()
            if log.count("reloaded ") + log.count("keeping the running configuration") >= n + 1:
                return log
            time.sleep(0.05)
        self.fail("reload did not finish:\n" + self.sluice.stderr())

    def test_pooled_connections_survive_a_reload_that_keeps_the_provider(self):
        for _ in range(3):
            self.assertEqual(chat(self.sluice.port, KEY, "gpt-4o-mini").status, 200)
        self.assertEqual(self.upstream.connections, 1)
        self.aliases.append("fresh")
        self.write()
        self.reload()
        for model in ("gpt-4o-mini", "fresh", "fresh"):
            self.assertEqual(chat(self.sluice.port, KEY, model).status, 200)
        self.assertEqual(self.upstream.connections, 1, "the pooled connection was reused")

    def test_a_changed_provider_gets_new_connections(self):
        self.assertEqual(chat(self.sluice.port, KEY, "gpt-4o-mini").status, 200)
        self.write(lambda t: t.replace(
            '"base_url": "http://127.0.0.1:%d/v1" }' % self.upstream.port,
            '"base_url": "http://127.0.0.1:%d/v1", "pool": { "max_idle_per_shard": 8 } }'
            % self.upstream.port, 1))
        self.assertIn("max_idle_per_shard", open(self.cfg).read())
        self.reload()
        self.assertEqual(chat(self.sluice.port, KEY, "gpt-4o-mini").status, 200)
        self.assertEqual(self.upstream.connections, 2)

    def test_removed_alias_is_unknown_after_reload(self):
        self.aliases = ["renamed"]
        self.write()
        self.reload()
        r = chat(self.sluice.port, KEY, "gpt-4o-mini")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.header("x-sluice-error-class"), "not_found")
        self.assertEqual(chat(self.sluice.port, KEY, "renamed").status, 200)

    def test_fixed_settings_are_kept_with_a_warning(self):
        port = self.sluice.port
        self.aliases.append("also")
        self.write(lambda t: t.replace('"port": 0', '"port": 1').replace('"shards": 1', '"shards": 3'))
        log = self.reload()
        self.assertIn("listen changed: it takes effect only after a restart", log)
        self.assertIn("shards changed: it takes effect only after a restart", log)
        # The rest of the file is applied.
        self.assertEqual(chat(port, KEY, "also").status, 200)

    def test_invalid_config_is_refused_and_the_old_one_serves(self):
        self.write(lambda t: t.replace('"provider": "mock"', '"provider": "nowhere"'))
        log = self.reload()
        self.assertIn("reload refused", log)
        self.assertIn("/models/gpt-4o-mini/targets/0/provider", log)
        self.assertEqual(chat(self.sluice.port, KEY, "gpt-4o-mini").status, 200)

    def test_missing_provider_secret_is_refused(self):
        self.write(lambda t: t.replace(
            '"kind": "openai", "base_url"', '"kind": "openai", "api_key_env": "SLUICE_TEST_UNSET_VAR", "base_url"', 1))
        log = self.reload()
        self.assertIn("reload refused", log)
        self.assertIn("SLUICE_TEST_UNSET_VAR", log)
        self.assertEqual(chat(self.sluice.port, KEY, "gpt-4o-mini").status, 200)


class StateCarriesOver(unittest.TestCase):
    """Limit buckets and breakers are process-wide and keyed by name: a reload that
    changes other things leaves a spent limit spent and an open breaker open."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.mock = h.start_mock()
        self.aliases = ["gpt-4o-mini"]
        # The breaker test must not meet the request limit first.
        self.limited = self._testMethodName == "test_a_spent_request_limit_stays_spent"
        self.write()
        self.sluice = h.start_sluice(self.cfg)

    def tearDown(self):
        self.sluice.stop()
        self.mock.stop()

    def write(self):
        limits = '"limits": { "requests_per_minute": 2 }' if self.limited else ""
        path = h.mock_config(self.mock.port, self.dir, shards=2, models=models_json(self.aliases),
                             keys=keys_json([("app", KEY)]),
                             projects='{ "default": { %s } }' % limits)
        with open(path) as f:
            text = f.read()
        mock = '"mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1"' % self.mock.port
        self.assertIn(mock, text)
        text = text.replace(mock, mock + ', "retry": { "attempts": 1 }, '
                            '"breaker": { "failures": 2, "window_ms": 600000, "cooldown_ms": 600000 }')
        self.cfg = h.write_config(self.dir, text)

    def reload(self, n):
        self.sluice.signal(signal.SIGHUP)
        self.assertTrue(wait_for_log(self.sluice, "reloaded ", n), self.sluice.stderr())

    def breaker(self):
        return h.http(self.sluice.port, "GET", "/readyz").json()["providers"]["mock"]

    def test_a_spent_request_limit_stays_spent(self):
        statuses = [chat(self.sluice.port, KEY, "gpt-4o-mini").status for _ in range(3)]
        self.assertEqual(statuses, [200, 200, 429])
        self.aliases.append("added")
        self.write()
        self.reload(1)
        # A fresh bucket would admit two more; the carried one refuses (both aliases).
        self.assertEqual(chat(self.sluice.port, KEY, "gpt-4o-mini").status, 429)
        r = chat(self.sluice.port, KEY, "added")
        self.assertEqual(r.status, 429)
        self.assertEqual(r.header("x-sluice-error-class"), "rate_limited")

    def test_an_open_breaker_stays_open(self):
        for _ in range(2):
            r = chat(self.sluice.port, KEY, "gpt-4o-mini", {"x-mock-fault": "status=500"})
            self.assertEqual(r.status, 500)
        self.assertEqual(self.breaker()["breaker"], "open")
        self.aliases.append("added")
        self.write()
        self.reload(1)
        self.assertEqual(self.breaker()["breaker"], "open")
        r = chat(self.sluice.port, KEY, "added")
        self.assertEqual(r.status, 503)
        self.assertEqual(r.header("x-sluice-error-class"), "provider_degraded")


if __name__ == "__main__":
    unittest.main(verbosity=2)
