"""A USD budget shared by a fleet through Redis (docs/FLEET.md "Budgets"): spend through
three real sluice processes adds up to one budget that refuses on all of them, and it
still does after every instance and Redis (without persistence) restart: each instance
puts its own ledger's spend back. Real redis-server, sluice-mock and SQLite ledgers; the
waits poll for a state with a deadline, nothing asserts speed."""

import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
import redis_server  # noqa: E402

ADMIN = "admin-key-fleet-budget"
BODY = {"model": "gpt", "max_tokens": 16,
        "messages": [{"role": "user", "content": "Say something short."}]}
BUDGET_USD = 0.2
NAMES = ("gw-a", "gw-b", "gw-c")


def config(directory, mock_port, redis_url, instance):
    text = """{
  "listen": [{ "address": "127.0.0.1", "port": 0 }],
  "shards": 2,
  "ledger": { "path": "%s/ledger.db", "flush_ms": 20 },
  "server": { "access_log": "off" },
  "fleet": { "redis": "%s", "instance": "%s" },
  "providers": { "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" } },
  "models": { "gpt": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini" }],
                       "price": { "input_per_mtok": 1000.0, "output_per_mtok": 1000.0 } } },
  "projects": { "default": { "budget": { "usd_per_day": %s } } },
  "allow_anonymous": true,
  "keys": []
}""" % (directory, redis_url, instance, mock_port, BUDGET_USD)
    return h.write_config(directory, text)


def post(port):
    return h.http(port, "POST", "/v1/chat/completions", BODY, timeout=30)


def day_spent_nusd(port):
    doc = h.http(port, "GET", "/admin/limits",
                 headers={"Authorization": "Bearer " + ADMIN}).json()
    b = {x["id"]: x for x in doc["budgets"]}["project:default"]
    return b["day"]["spent_nusd"]


def wait_until(what, check, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class FleetBudget(unittest.TestCase):
    def setUp(self):
        self.dirs = [tempfile.mkdtemp() for _ in NAMES]
        self.redis = redis_server.Server()
        self.mock = h.start_mock()
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.stop()
        self.mock.stop()
        self.redis.stop()

    def start_all(self):
        self.procs = [h.start_sluice(config(d, self.mock.port, self.redis.url, name),
                                     env={"SLUICE_ADMIN_KEY": ADMIN})
                      for d, name in zip(self.dirs, NAMES)]
        return [p.port for p in self.procs]

    def ledger_nusd(self):
        return sum(r["cost_nusd"] for d in self.dirs
                   for r in h.ledger_rows(d, "outcome = 'ok'"))

    def all_see(self, ports, nusd):
        return all(day_spent_nusd(p) == nusd for p in ports)

    def test_a_budget_spent_across_instances_refuses_on_all_also_after_a_restart(self):
        ports = self.start_all()
        ok_per_instance = [0, 0, 0]
        last = None
        for i in range(60):
            last = post(ports[i % 3])
            if last.status != 200:
                break
            ok_per_instance[i % 3] += 1
            # Each instance's ledger has the row and every instance sees the fleet's
            # spend before the next request (what a request sees after the next round trip).
            wait_until("the ledgers", lambda: sum(
                len(h.ledger_rows(d, "outcome = 'ok'")) for d in self.dirs) == sum(ok_per_instance))
            total = self.ledger_nusd()
            wait_until("every instance to see %d nano-USD" % total,
                       lambda: self.all_see(ports, total))
        print("\nfleet budget: admitted per instance %s, refused by %s"
              % (ok_per_instance, ports.index(ports[i % 3])), file=sys.stderr)
        self.assertEqual(last.status, 429)
        self.assertEqual(last.header("x-sluice-error-class"), "budget_exceeded")
        # Spent through all three, and all three add up to one budget: at most one
        # request's estimate over it, as for a single instance.
        self.assertTrue(all(ok_per_instance), ok_per_instance)
        costs = [r["cost_nusd"] for d in self.dirs for r in h.ledger_rows(d, "outcome = 'ok'")]
        self.assertLessEqual(sum(costs), BUDGET_USD * 1e9 + max(costs))
        for port in ports:
            r = post(port)
            self.assertEqual(r.status, 429)
            self.assertEqual(r.header("x-sluice-error-class"), "budget_exceeded")
        reached = h.http(self.mock.port, "GET", "/mock/stats").json()["requests"]["openai_chat"]
        self.assertEqual(reached, sum(ok_per_instance))

        # Everything restarts; Redis has no persistence, so it comes back empty.
        total = self.ledger_nusd()
        for p in self.procs:
            p.stop()
        self.procs = []
        self.redis.stop_server()
        self.redis.start_server()
        self.assertEqual(self.redis.command("KEYS", "sluice:fleet:budget:*"), [])
        ports = self.start_all()
        # Each instance puts back its own ledger's spend, once: the fleet sees the same
        # total as before, no more (no double count) and no less.
        wait_until("every instance to see %d nano-USD again" % total,
                   lambda: self.all_see(ports, total))
        key = self.redis.command("KEYS", "sluice:fleet:budget:project:default:day:*")
        self.assertEqual(len(key), 1, key)
        fields = self.redis.command("HGETALL", key[0])
        self.assertEqual(sorted(fields[0::2]), [b"i:gw-a", b"i:gw-b", b"i:gw-c"])
        self.assertEqual(sum(int(v) for v in fields[1::2]), total)
        for port in ports:
            r = post(port)
            self.assertEqual(r.status, 429)
            self.assertEqual(r.header("x-sluice-error-class"), "budget_exceeded")
        reached = h.http(self.mock.port, "GET", "/mock/stats").json()["requests"]["openai_chat"]
        self.assertEqual(reached, sum(ok_per_instance))


if __name__ == "__main__":
    unittest.main(verbosity=2)
