"""GET /metrics on the real sluice (two shards) in front of the real sluice-mock: a known
set of requests (ok, streamed, 401, 404, upstream error) over many connections, then one
scrape, parsed by a strict parser of the Prometheus text format, must show exact counts,
the token sums the ledger recorded, their cost, and one histogram observation per
request. Both shards serve some of the requests (their ids name the shard), so exact
totals prove that the scrape gathered every shard."""

import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

KEY = "sk-metrics-test"
AUTH = {"Authorization": "Bearer " + KEY}
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello there"}]}
STREAM = dict(CHAT, stream=True)
ANTHROPIC = {"model": "claude-sonnet-4-5", "max_tokens": 64, "stream": True,
             "messages": [{"role": "user", "content": "Hi"}]}

N_OK, N_STREAM, N_NATIVE, N_401, N_UPSTREAM_ERR = 6, 5, 2, 3, 2


# ---- a strict parser of the text exposition format (version 0.0.4) ---------------------

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE_RE = re.compile(r"^(%s)(\{.*\})? (\S+)$" % NAME)
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|\})')
UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


class ExpositionError(AssertionError):
    pass


def parse_labels(text):
    """`{a="x",b="y"}` -> (("a","x"),("b","y")); anything else is an error."""
    if not text:
        return ()
    pos, out = 1, []
    while pos < len(text):
        m = LABEL_RE.match(text, pos)
        if not m:
            raise ExpositionError("bad labels: " + text)
        value = re.sub(r'\\\\|\\"|\\n', lambda e: UNESCAPE[e.group(0)], m.group(2))
        out.append((m.group(1), value))
        pos = m.end()
        if m.group(3) == "}":
            break
    if pos != len(text):
        raise ExpositionError("trailing bytes after labels: " + text)
    names = [n for n, _ in out]
    if len(set(names)) != len(names):
        raise ExpositionError("repeated label: " + text)
    return tuple(out)


def parse_value(text):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.match(r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$", text):
        raise ExpositionError("bad value: " + text)
    return float(text)


def parse_exposition(text):
    """{family: {"type", "help", "samples": {(name, labels): value}}}. Checks that every
    family has HELP then TYPE before its samples, appears once, that every sample belongs
    to the family declared last, that no series repeats, and that histograms have
    cumulative buckets ending in +Inf equal to _count."""
    if not text.endswith("\n"):
        raise ExpositionError("the text must end with a newline")
    families, current = {}, None
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            if name in families:
                raise ExpositionError("family declared twice: " + name)
            families[name] = {"help": help_text, "type": None, "samples": {}}
            current = name
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            if name != current or families[name]["type"] is not None:
                raise ExpositionError("TYPE without its HELP: " + line)
            if kind not in ("counter", "gauge", "histogram"):
                raise ExpositionError("unknown type: " + line)
            families[name]["type"] = kind
        elif line.startswith("#") or not line:
            raise ExpositionError("unexpected line: %r" % line)
        else:
            m = SAMPLE_RE.match(line)
            if not m or current is None or families[current]["type"] is None:
                raise ExpositionError("sample outside a family: %r" % line)
            name, fam = m.group(1), families[current]
            allowed = {current}
            if fam["type"] == "histogram":
                allowed = {current + s for s in ("_bucket", "_sum", "_count")}
            if name not in allowed:
                raise ExpositionError("%s does not belong to family %s" % (name, current))
            if fam["type"] == "counter" and not current.endswith("_total"):
                raise ExpositionError("counter without _total: " + current)
            key = (name, parse_labels(m.group(2)))
            if key in fam["samples"]:
                raise ExpositionError("series repeated: %r" % line)
            fam["samples"][key] = parse_value(m.group(3))
    for name, fam in families.items():
        if fam["type"] == "histogram":
            check_histogram(name, fam["samples"])
    return families


def check_histogram(name, samples):
    series = {}
    for (n, labels), v in samples.items():
        base = tuple(l for l in labels if l[0] != "le")
        s = series.setdefault(base, {"buckets": [], "sum": None, "count": None})
        if n.endswith("_bucket"):
            le = dict(labels)["le"]
            s["buckets"].append((parse_value(le), v))
        elif n.endswith("_sum"):
            s["sum"] = v
        else:
            s["count"] = v
    for base, s in series.items():
        bounds = [b for b, _ in s["buckets"]]
        if not bounds or bounds[-1] != float("inf") or bounds != sorted(bounds):
            raise ExpositionError("%s%r: buckets must ascend and end with +Inf" % (name, base))
        counts = [c for _, c in s["buckets"]]
        if counts != sorted(counts):
            raise ExpositionError("%s%r: buckets are not cumulative" % (name, base))
        if s["count"] is None or s["sum"] is None or counts[-1] != s["count"]:
            raise ExpositionError("%s%r: +Inf bucket must equal _count" % (name, base))


def value(families, family, **labels):
    """The sample of `family` whose labels are exactly `labels` (0 when absent)."""
    want = tuple(sorted(labels.items()))
    for (n, ls), v in families[family]["samples"].items():
        if n == family and tuple(sorted(ls)) == want:
            return v
    return 0


def series(families, name, family=None):
    family = family or name
    return [(dict(ls), v) for (n, ls), v in families[family]["samples"].items() if n == name]


class ParserSelfTest(unittest.TestCase):
    def test_parser_accepts_a_well_formed_text(self):
        f = parse_exposition('# HELP a_total A.\n# TYPE a_total counter\na_total{x="q\\"\\n\\\\"} 3\n')
        self.assertEqual(value(f, "a_total", x='q"\n\\'), 3)

    def test_parser_rejects_malformed_texts(self):
        for bad in ['a_total 1\n',                                            # no family
                    '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} one\n',
                    '# HELP a_total A.\n# TYPE a_total counter\nb_total 1\n',
                    '# HELP a A.\n# TYPE a counter\na 1\n',                    # no _total
                    '# HELP h H.\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
                    '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1} 1\n',
                    '# HELP a_total A.\n# TYPE a_total counter\na_total 1\na_total 2\n']:
            with self.assertRaises(ExpositionError, msg=bad):
                parse_exposition(bad)


# ---- the gateway ------------------------------------------------------------------------

class GatewayMetrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        keys = '[{ "id": "metrics-key", "project": "team", "key": "%s" }]' % KEY
        cfg = h.mock_config(cls.mock.port, cls.dir, shards=2, keys=keys)
        cls.sluice = h.start_sluice(cfg)
        cls.port = cls.sluice.port
        cls.shards = set()
        cls.run_known_requests()
        cls.ledger = h.ledger_rows(cls.dir, wait_for=cls.proxied, timeout=30)
        cls.text = h.http(cls.port, "GET", "/metrics")
        cls.families = parse_exposition(cls.text.body.decode())

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    @classmethod
    def send(cls, method, path, body=b"", headers=None):
        r = h.http(cls.port, method, path, body, headers)  # one connection per request
        rid = r.header("x-request-id")
        if rid:
            cls.shards.add(rid.split("-")[2])
        return r

    @classmethod
    def run_known_requests(cls):
        for _ in range(N_OK):
            assert cls.send("POST", "/v1/chat/completions", CHAT, AUTH).status == 200
        for _ in range(N_STREAM):
            r = cls.send("POST", "/v1/chat/completions", STREAM, AUTH)
            assert r.status == 200 and r.sse_data()[-1] == b"[DONE]"
        for _ in range(N_NATIVE):
            r = cls.send("POST", "/anthropic/v1/messages", ANTHROPIC,
                         dict(AUTH, **{"anthropic-version": "2023-06-01"}))
            assert r.status == 200, r.body
        for _ in range(N_401):
            assert cls.send("POST", "/v1/chat/completions", CHAT).status == 401
        assert cls.send("GET", "/v1/nothing-here", headers=AUTH).status == 404
        assert cls.send("POST", "/v1/chat/completions", dict(CHAT, model="no-such-alias"),
                        AUTH).status == 404
        for _ in range(N_UPSTREAM_ERR):
            r = cls.send("POST", "/v1/chat/completions", CHAT, dict(AUTH, **{"x-mock-fault": "status=500"}))
            assert r.status == 500, r.status
        cls.proxied = N_OK + N_STREAM + N_NATIVE + N_UPSTREAM_ERR

    def v(self, family, **labels):
        return value(self.families, family, **labels)

    def test_both_shards_served_requests(self):
        self.assertEqual(self.shards, {"00", "01"})

    def test_scrape_is_prometheus_text(self):
        self.assertEqual(self.text.status, 200)
        self.assertEqual(self.text.header("content-type"), "text/plain; version=0.0.4; charset=utf-8")
        for name in self.families:
            self.assertTrue(name.startswith("sluice_"), name)
            self.assertTrue(self.families[name]["help"], name)

    def test_requests_counted_exactly_by_route_provider_alias_status(self):
        chat = dict(route="chat_completions", provider="mock", alias="gpt-4o-mini")
        self.assertEqual(self.v("sluice_requests_total", status="200", **chat), N_OK + N_STREAM)
        self.assertEqual(self.v("sluice_requests_total", status="500", **chat), N_UPSTREAM_ERR)
        self.assertEqual(self.v("sluice_requests_total", route="anthropic", provider="mock-anthropic",
                                alias="claude-sonnet-4-5", status="200"), N_NATIVE)
        self.assertEqual(self.v("sluice_requests_total", route="chat_completions", provider="",
                                alias="", status="401"), N_401)
        self.assertEqual(self.v("sluice_requests_total", route="unknown", provider="", alias="",
                                status="404"), 1)
        # A model name the config does not know is no label value of its own.
        self.assertEqual(self.v("sluice_requests_total", route="chat_completions", provider="",
                                alias="other", status="404"), 1)
        total = sum(v for _, v in series(self.families, "sluice_requests_total"))
        self.assertEqual(total, self.proxied + N_401 + 2)

    def test_refusals_by_error_class(self):
        self.assertEqual(self.v("sluice_refusals_total", error_class="unauthorized", project=""), N_401)
        # An unknown path is refused before authentication; an unknown alias after it.
        self.assertEqual(self.v("sluice_refusals_total", error_class="not_found", project=""), 1)
        self.assertEqual(self.v("sluice_refusals_total", error_class="not_found", project="team"), 1)
        total = sum(v for _, v in series(self.families, "sluice_refusals_total"))
        self.assertEqual(total, N_401 + 2)

    def test_tokens_and_cost_match_the_ledger(self):
        self.assertEqual(len(self.ledger), self.proxied)
        for alias in ("gpt-4o-mini", "claude-sonnet-4-5"):
            rows = [r for r in self.ledger if r["model"] == alias]
            self.assertTrue(rows)
            for kind in ("input", "output", "cached", "reasoning"):
                want = sum(r[kind + "_tokens"] for r in rows)
                self.assertEqual(self.v("sluice_tokens_total", kind=kind, project="team", alias=alias),
                                 want, (alias, kind))
            self.assertGreater(self.v("sluice_tokens_total", kind="output", project="team", alias=alias), 0)
            cost = sum(r["cost_usd"] for r in rows)
            self.assertGreater(cost, 0)
            self.assertAlmostEqual(self.v("sluice_cost_usd_total", project="team", alias=alias), cost, places=12)

    def test_one_duration_observation_per_request(self):
        d = "sluice_request_duration_seconds_count"
        fam = "sluice_request_duration_seconds"
        counts = {(l["route"], l["provider"]): v for l, v in series(self.families, d, fam)}
        self.assertEqual(counts[("chat_completions", "mock")], N_OK + N_STREAM + N_UPSTREAM_ERR)
        self.assertEqual(counts[("anthropic", "mock-anthropic")], N_NATIVE)
        self.assertEqual(sum(counts.values()), self.proxied + N_401 + 2)

    def test_overhead_and_first_token_for_proxied_requests(self):
        o = {(l["route"], l["provider"]): v for l, v in
             series(self.families, "sluice_gateway_overhead_seconds_count", "sluice_gateway_overhead_seconds")}
        self.assertEqual(o, {("chat_completions", "mock"): N_OK + N_STREAM + N_UPSTREAM_ERR,
                             ("anthropic", "mock-anthropic"): N_NATIVE})
        t = {(l["alias"], l["stream"]): v for l, v in
             series(self.families, "sluice_time_to_first_token_seconds_count", "sluice_time_to_first_token_seconds")}
        # Upstream errors have a body too (the provider's error JSON).
        self.assertEqual(t[("gpt-4o-mini", "false")], N_OK + N_UPSTREAM_ERR)
        self.assertEqual(t[("gpt-4o-mini", "true")], N_STREAM)
        self.assertEqual(t[("claude-sonnet-4-5", "true")], N_NATIVE)

    def test_gauges_cover_every_provider_and_shard(self):
        for p in ("mock", "mock-anthropic", "mock-gemini"):
            self.assertEqual(self.v("sluice_breaker_state", provider=p), 0)
            self.assertIn(p, {l["provider"] for l, _ in series(self.families, "sluice_upstream_connections")})
        # Nothing is in flight: every upstream connection is idle in its pool, and the
        # pools kept some for reuse.
        for l, v in series(self.families, "sluice_upstream_connections"):
            if l["state"] == "active":
                self.assertEqual(v, 0, l)
        self.assertGreater(self.v("sluice_upstream_connections", provider="mock", state="idle"), 0)
        conns = {l["shard"]: v for l, v in series(self.families, "sluice_connections")}
        self.assertEqual(set(conns), {"0", "1"})
        # Only the scrape's own connection stays open (a shard may not have seen the
        # earlier clients' closes yet when a scrape comes quickly: wait for it).
        self.assertEqual(self.open_connections(1), 1)

    def open_connections(self, want, timeout=30):
        deadline = time.time() + timeout
        while True:
            f = parse_exposition(h.http(self.port, "GET", "/metrics").body.decode())
            n = sum(v for _, v in series(f, "sluice_connections"))
            if n == want or time.time() > deadline:
                return n
            time.sleep(0.05)

    def test_ledger_figures_are_exported(self):
        self.assertEqual(self.v("sluice_ledger_dropped_total"), 0)
        self.assertEqual(self.families["sluice_ledger_rows_written_total"]["type"], "counter")

    def test_open_connections_are_counted_per_shard(self):
        socks = [h.connect(self.port) for _ in range(12)]
        try:
            for s in socks:  # a request on each makes sure the shard accepted it
                s.sendall(h.request_bytes("GET", "/healthz"))
                h.Reader(s).read()
            self.assertEqual(self.open_connections(len(socks) + 1), len(socks) + 1)
        finally:
            for s in socks:
                s.close()

    def test_scrapes_do_not_count_themselves(self):
        a = parse_exposition(h.http(self.port, "GET", "/metrics").body.decode())
        b = parse_exposition(h.http(self.port, "GET", "/metrics").body.decode())
        self.assertEqual(series(a, "sluice_requests_total"), series(b, "sluice_requests_total"))


if __name__ == "__main__":
    unittest.main()
