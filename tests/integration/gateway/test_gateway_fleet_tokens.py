"""A token limit shared by a fleet through a real Redis (docs/FLEET.md "The bound"):
three real sluice processes (two shards each) in front of one real sluice-mock, hundreds
of clients spread over all three. The mock makes every answer's usage known (a fixed
output of max_tokens, the prompt counted by the mock), so the tokens that reached the
provider are its request count times one answer's usage, and they never exceed the
limit's burst plus its rate over the flood. Elapsed time only widens the bound."""

import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
import redis_server  # noqa: E402
from test_gateway_fleet import Flood, mock_requests  # noqa: E402

ADMIN = "admin-key-fleet-tokens"
OUTPUT = 16
BODY = {"model": "gpt", "max_tokens": OUTPUT,
        "messages": [{"role": "user", "content": "Say something short."}]}
TPM, BURST = 3000, 300


def config(directory, mock_port, redis_url, instance):
    text = """{
  "listen": [{ "address": "127.0.0.1", "port": 0 }],
  "shards": 2,
  "ledger": { "path": "%s/ledger-%s.db", "flush_ms": 20 },
  "server": { "access_log": "off" },
  "admission": { "tick_ms": 2 },
  "fleet": { "redis": "%s", "instance": "%s", "lease_ms": 1000 },
  "providers": { "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" } },
  "models": {
    "gpt": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini" }],
             "limits": { "tokens_per_minute": %d, "burst_tokens": %d } }
  },
  "projects": { "default": {} },
  "allow_anonymous": true,
  "keys": []
}""" % (directory, instance, redis_url, instance, mock_port, TPM, BURST)
    path = os.path.join(directory, "sluice-%s.json" % instance)
    with open(path, "w") as f:
        f.write(text)
    return path


class FleetTokens(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.redis = redis_server.Server()
        self.mock = h.start_mock("--output-tokens", str(OUTPUT))
        self.procs = [h.start_sluice(config(self.dir, self.mock.port, self.redis.url, name),
                                     env={"SLUICE_ADMIN_KEY": ADMIN})
                      for name in ("gw-a", "gw-b", "gw-c")]
        self.ports = [p.port for p in self.procs]

    def tearDown(self):
        for p in self.procs:
            p.stop()
        self.mock.stop()
        self.redis.stop()

    def test_tokens_reaching_the_provider_stay_within_one_token_limit(self):
        # One answer's usage, asked of the mock itself: every answer of the flood is the same.
        direct = dict(BODY, model="gpt-4o-mini")
        usage = h.http(self.mock.port, "POST", "/v1/chat/completions", direct).json()["usage"]
        self.assertEqual(usage["completion_tokens"], OUTPUT)
        per_request = usage["total_tokens"]
        before = mock_requests(self.mock.port)
        flood = Flood(self.ports, 300)
        time.sleep(12)
        elapsed = flood.stop()
        reached = mock_requests(self.mock.port) - before
        statuses = flood.statuses()
        tokens = reached * per_request
        # The bound is on the estimates; real usage can pass it by the estimation error of
        # the requests in flight (a few tokens each, the prompt estimated a little short).
        # Stated slack: two requests' whole usage, more than that error for every request
        # the fleet can have in flight at about one admitted per second. A debt dropped by
        # the fleet (the error of every request, not only those in flight) passes it.
        bound = BURST + TPM / 60.0 * elapsed + 2 * per_request
        print("\nfleet tokens: %d requests (%d tokens, %d each) of %d reached the provider "
              "in %.1fs (bound %.1f)" % (reached, tokens, per_request, len(statuses), elapsed,
                                          bound), file=sys.stderr)
        self.assertLessEqual(tokens, bound)
        self.assertEqual(statuses.count(200), reached)
        self.assertLessEqual(set(statuses), {200, 429})
        # The limit was binding (most were refused) and the fleet still served: the leases
        # went where the demand was.
        self.assertGreater(statuses.count(429), reached)
        per_instance = [flood.statuses(port=p).count(200) for p in self.ports]
        print("admitted per instance: %s" % per_instance, file=sys.stderr)
        self.assertGreater(sum(1 for n in per_instance if n), 1, per_instance)
        # One token bucket in Redis for the fleet.
        self.assertIn(b"sluice:fleet:model:gpt:tokens",
                      self.redis.command("KEYS", "sluice:fleet:*"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
