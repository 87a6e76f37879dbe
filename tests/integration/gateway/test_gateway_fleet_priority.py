"""Priority across a fleet (docs/FLEET.md "Fair share"): a project of the better tier
(priority 0) floods one instance and one of a lower tier (priority 1) floods another;
each renewal publishes its projects' priority with their demand, so the lower tier gets
only what the better one leaves, fleet-wide, as it would inside one process. Real
redis-server, three real sluice processes, sluice-mock counting requests per project
(by a header the gateway passes through)."""

import os
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
import redis_server  # noqa: E402

BODY = {"model": "gpt", "max_tokens": 16,
        "messages": [{"role": "user", "content": "Say something short."}]}
RPM = 600  # the account: 10 requests/s for the whole fleet


def config(directory, mock_port, redis_url, instance):
    text = """{
  "listen": [{ "address": "127.0.0.1", "port": 0 }],
  "shards": 2,
  "ledger": { "path": "%s/ledger-%s.db", "flush_ms": 20 },
  "server": { "access_log": "off" },
  "admission": { "tick_ms": 2 },
  "fleet": { "redis": "%s", "instance": "%s" },
  "providers": { "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1",
                           "limits": { "requests_per_minute": %d, "burst_requests": 10 } } },
  "models": { "gpt": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini" }] } },
  "projects": {
    "urgent": { "priority": 0 },
    "batch":  { "priority": 1 } },
  "keys": [{ "id": "urgent", "project": "urgent", "key": "sk-urgent" },
           { "id": "batch", "project": "batch", "key": "sk-batch" }]
}""" % (directory, instance, redis_url, instance, mock_port, RPM)
    path = os.path.join(directory, "sluice-%s.json" % instance)
    with open(path, "w") as f:
        f.write(text)
    return path


def counts(mock_port):
    keys = h.http(mock_port, "GET", "/mock/stats").json().get("fault_keys", {})
    return keys.get("urgent", 0), keys.get("batch", 0)


class FleetPriority(unittest.TestCase):
    def test_the_better_tier_is_served_first_across_instances(self):
        d = tempfile.mkdtemp()
        redis = redis_server.Server()
        mock = h.start_mock()
        procs = []
        try:
            procs = [h.start_sluice(config(d, mock.port, redis.url, name))
                     for name in ("gw-a", "gw-b", "gw-c")]
            ports = [p.port for p in procs]
            urgent_done, batch_done = threading.Event(), threading.Event()

            def flood(port, key, project, done):
                headers = {"Authorization": "Bearer " + key, "x-mock-fault-key": project}
                while not done.is_set():
                    h.http(port, "POST", "/v1/chat/completions", BODY, headers, timeout=30)

            # urgent enters through gw-a only, batch through gw-b only: each instance
            # alone sees one project, only the fleet sees both.
            urgent = [threading.Thread(target=flood,
                                       args=(ports[0], "sk-urgent", "urgent", urgent_done))
                      for _ in range(8)]
            batch = [threading.Thread(target=flood,
                                      args=(ports[1], "sk-batch", "batch", batch_done))
                     for _ in range(8)]
            for t in urgent + batch:
                t.start()
            try:
                time.sleep(5)  # leases and demand settle
                u0, b0 = counts(mock.port)
                t0 = time.monotonic()
                time.sleep(15)
                u1, b1 = counts(mock.port)
                elapsed = time.monotonic() - t0
                # Once the better tier has no demand, the lower one gets the account.
                urgent_done.set()
                for t in urgent:
                    t.join()
                time.sleep(3)
                _, b2 = counts(mock.port)
                time.sleep(5)
                _, b3 = counts(mock.port)
            finally:
                urgent_done.set()
                batch_done.set()
                for t in urgent + batch:
                    t.join()
            u, b = u1 - u0, b1 - b0
            print("\nfleet priority: urgent %d, batch %d in %.1fs (account %.0f); "
                  "batch alone then %d in 5s" % (u, b, elapsed, RPM / 60.0 * elapsed, b3 - b2),
                  file=sys.stderr)
            # Both flood: the better tier gets (nearly) all of it. Stated slack: a tenth,
            # for the units the lower tier leased before the better one's demand reached
            # Redis and for refills the better one left unleased between its asks.
            self.assertGreater(u, 0)
            self.assertGreaterEqual(u, 0.9 * (u + b), (u, b))
            # Alone, the lower tier gets more than it did beside the better one.
            self.assertGreater((b3 - b2) / 5.0, b / elapsed)
        finally:
            for p in procs:
                p.stop()
            mock.stop()
            redis.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
