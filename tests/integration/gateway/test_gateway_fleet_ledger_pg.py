"""A fleet keeping one set of books in PostgreSQL (docs/FLEET.md "Budgets"): three real
sluice processes share one real PostgreSQL ledger (pg.py) and one real redis-server.
Every row names the instance that served it, and after every instance and Redis
(without persistence) restart, each instance puts back only its own rows' spend, so the
fleet's budget total is the real spend, not three times it, and the budget refuses
where it should. The waits poll for a state with a deadline; nothing asserts speed."""

import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
import pg  # noqa: E402
import redis_server  # noqa: E402

ADMIN = "admin-key-fleet-ledger-pg"
BODY = {"model": "gpt", "max_tokens": 16,
        "messages": [{"role": "user", "content": "Say something short."}]}
BUDGET_USD = 0.2
NAMES = ("gw-a", "gw-b", "gw-c")


def config(directory, mock_port, redis_url, ledger_url, instance):
    text = """{
  "listen": [{ "address": "127.0.0.1", "port": 0 }],
  "shards": 2,
  "ledger": { "kind": "postgres", "url": "%s", "spool": "%s/spool.db", "flush_ms": 20 },
  "server": { "access_log": "off" },
  "fleet": { "redis": "%s", "instance": "%s" },
  "providers": { "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" } },
  "models": { "gpt": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini" }],
                       "price": { "input_per_mtok": 1000.0, "output_per_mtok": 1000.0 } } },
  "projects": { "default": { "budget": { "usd_per_day": %s } } },
  "allow_anonymous": true,
  "keys": []
}""" % (ledger_url, directory, redis_url, instance, mock_port, BUDGET_USD)
    return h.write_config(directory, text)


def post(port, request_id):
    return h.http(port, "POST", "/v1/chat/completions", BODY, {"x-request-id": request_id},
                  timeout=30)


def admin(port, path):
    r = h.http(port, "GET", path, headers={"Authorization": "Bearer " + ADMIN})
    assert r.status == 200, (path, r.status, r.body)
    return r.json()


def day_spent_nusd(port):
    b = {x["id"]: x for x in admin(port, "/admin/limits")["budgets"]}["project:default"]
    return b["day"]["spent_nusd"]


def wait_until(what, check, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class FleetLedgerInPostgres(unittest.TestCase):
    def setUp(self):
        self.db = pg.Cluster()
        self.dirs = [tempfile.mkdtemp() for _ in NAMES]
        self.redis = redis_server.Server()
        self.mock = h.start_mock()
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.stop()
        self.mock.stop()
        self.redis.stop()
        self.db.stop()

    def start_all(self):
        self.procs = [h.start_sluice(config(d, self.mock.port, self.redis.url, self.db.url(), name),
                                     env={"SLUICE_ADMIN_KEY": ADMIN})
                      for d, name in zip(self.dirs, NAMES)]
        return [p.port for p in self.procs]

    def ok_rows(self):
        """(request_id, instance, cost_nusd) of every answered request in the shared books."""
        return [(r[0], r[1], int(r[2])) for r in self.db.query(
            "SELECT request_id, instance, cost_nusd FROM requests WHERE outcome = 'ok' "
            "ORDER BY request_id")]

    def spend_round_robin(self, ports, prefix, count):
        """Up to `count` requests, one instance after the other, each seen by the whole
        fleet before the next; the answers' statuses."""
        statuses = []
        for i in range(count):
            r = post(ports[i % 3], "%s-%s-%d" % (prefix, NAMES[i % 3], i))
            statuses.append(r.status)
            if r.status != 200:
                return statuses, r
            wait_until("the shared ledger", lambda: len(self.ok_rows()) == statuses.count(200)
                       + self.before)
            total = sum(c for _, _, c in self.ok_rows())
            wait_until("every instance to see %d nano-USD" % total,
                       lambda: all(day_spent_nusd(p) == total for p in ports))
        return statuses, None

    def test_each_instance_counts_its_own_rows_after_everything_restarts(self):
        ports = self.start_all()
        self.before = 0
        statuses, _ = self.spend_round_robin(ports, "first", 3)
        self.assertEqual(statuses, [200, 200, 200])
        rows = self.ok_rows()
        # Every row names the instance that served it, in the books and in /admin/requests.
        self.assertEqual([(rid.split("-")[1] + "-" + rid.split("-")[2], inst)
                          for rid, inst, _ in rows],
                         [(name, name) for name in NAMES])
        shown = {r["request_id"]: r["instance"] for r in admin(ports[0], "/admin/requests")["rows"]}
        self.assertEqual(shown, {rid: inst for rid, inst, _ in rows})
        spent = sum(c for _, _, c in rows)
        self.assertLess(spent, BUDGET_USD * 1e9)  # part of the budget only

        # Everything restarts; Redis has no persistence, so it comes back empty.
        for p in self.procs:
            p.stop()
        self.procs = []
        self.redis.stop_server()
        self.redis.start_server()
        self.assertEqual(self.redis.command("KEYS", "sluice:fleet:budget:*"), [])
        ports = self.start_all()
        # Each instance puts back its own rows of the shared ledger: the fleet sees the
        # real spend (reading the whole ledger each would make it three times that).
        wait_until("every instance to see %d nano-USD again" % spent,
                   lambda: all(day_spent_nusd(p) == spent for p in ports))
        key = self.redis.command("KEYS", "sluice:fleet:budget:project:default:day:*")
        self.assertEqual(len(key), 1, key)
        fields = self.redis.command("HGETALL", key[0])
        by_field = dict(zip(fields[0::2], (int(v) for v in fields[1::2])))
        self.assertEqual(by_field, {("i:" + name).encode(): c for (_, name, c) in rows})

        # The rest of the budget is still there, and the fleet refuses once it is spent.
        self.before = len(rows)
        statuses, last = self.spend_round_robin(ports, "second", 60)
        self.assertIsNotNone(last, "the budget never refused")
        self.assertEqual(last.status, 429, last.body)
        self.assertEqual(last.header("x-sluice-error-class"), "budget_exceeded")
        costs = [c for _, _, c in self.ok_rows()]
        print("\nfleet ledger in postgres: %d requests before the restart, %d after; "
              "spent %d of %d nano-USD" % (len(rows), statuses.count(200), sum(costs),
                                           int(BUDGET_USD * 1e9)), file=sys.stderr)
        self.assertGreater(statuses.count(200), 0)
        # As for one instance: at most one request's cost over the budget, and refused
        # no earlier than one request's estimate (here under two costs) before it.
        self.assertLessEqual(sum(costs), BUDGET_USD * 1e9 + max(costs))
        self.assertGreater(sum(costs), BUDGET_USD * 1e9 - 2 * max(costs))
        reached = h.http(self.mock.port, "GET", "/mock/stats").json()["requests"]["openai_chat"]
        self.assertEqual(reached, len(costs))


if __name__ == "__main__":
    unittest.main(verbosity=2)
