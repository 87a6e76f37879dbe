"""Fair share across a fleet (docs/FLEET.md "Fair share"): two projects of weight 3 and
1 flood one provider account through different instances; each instance publishes its
projects' demand in Redis, so the weights apply to the fleet's whole demand and the
provider sees them 3:1. Real redis-server, three real sluice processes, sluice-mock
counting requests per project (by a header the gateway passes through)."""

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
RPM = 1200  # the account: 20 requests/s for the whole fleet


def config(directory, mock_port, redis_url, instance):
    text = """{
  "listen": [{ "address": "127.0.0.1", "port": 0 }],
  "shards": 2,
  "ledger": { "path": "%s/ledger-%s.db", "flush_ms": 20 },
  "server": { "access_log": "off" },
  "admission": { "tick_ms": 2 },
  "fleet": { "redis": "%s", "instance": "%s" },
  "providers": { "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1",
                           "limits": { "requests_per_minute": %d, "burst_requests": 20 } } },
  "models": { "gpt": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini" }] } },
  "projects": {
    "production":  { "weight": 3 },
    "experiments": { "weight": 1 } },
  "keys": [{ "id": "prod", "project": "production", "key": "sk-prod" },
           { "id": "exp", "project": "experiments", "key": "sk-exp" }]
}""" % (directory, instance, redis_url, instance, mock_port, RPM)
    path = os.path.join(directory, "sluice-%s.json" % instance)
    with open(path, "w") as f:
        f.write(text)
    return path


def counts(mock_port):
    keys = h.http(mock_port, "GET", "/mock/stats").json().get("fault_keys", {})
    return keys.get("production", 0), keys.get("experiments", 0)


class FleetShare(unittest.TestCase):
    def test_weights_3_to_1_hold_across_instances(self):
        d = tempfile.mkdtemp()
        redis = redis_server.Server()
        mock = h.start_mock()
        procs = []
        try:
            procs = [h.start_sluice(config(d, mock.port, redis.url, name))
                     for name in ("gw-a", "gw-b", "gw-c")]
            ports = [p.port for p in procs]
            done = threading.Event()

            def flood(port, key, project):
                headers = {"Authorization": "Bearer " + key, "x-mock-fault-key": project}
                while not done.is_set():
                    h.http(port, "POST", "/v1/chat/completions", BODY, headers, timeout=30)

            # production enters through gw-a only, experiments through gw-b and gw-c:
            # each instance alone sees one project, only the fleet sees both.
            threads = [threading.Thread(target=flood, args=(ports[0], "sk-prod", "production"))
                       for _ in range(8)]
            threads += [threading.Thread(target=flood, args=(ports[1 + i % 2], "sk-exp",
                                                                "experiments"))
                        for i in range(8)]
            for t in threads:
                t.start()
            try:
                time.sleep(6)  # leases and shares settle
                p0, e0 = counts(mock.port)
                t0 = time.monotonic()
                # Six windows of 5 s: a stall of one instance (a busy machine can hold a
                # process for a second) skews one window, not the steady state.
                windows = []
                last = (p0, e0)
                for _ in range(6):
                    time.sleep(5)
                    now = counts(mock.port)
                    windows.append((now[0] - last[0], now[1] - last[1]))
                    last = now
                p1, e1 = last
                elapsed = time.monotonic() - t0
            finally:
                done.set()
                for t in threads:
                    t.join()
            prod, exp = p1 - p0, e1 - e0
            ratio = prod / max(exp, 1)
            print("\nfleet share: production %d, experiments %d in %.1fs: %.2f:1 (account %.0f)"
                  % (prod, exp, elapsed, ratio, RPM / 60.0 * elapsed), file=sys.stderr)
            steady = sorted(wp / max(we, 1) for wp, we in windows)
            median = (steady[2] + steady[3]) / 2
            print("fleet share per 5 s window: %s, median %.2f:1"
                  % (" ".join("%d/%d" % w for w in windows), median), file=sys.stderr)
            # Both flood: the account is split 3:1, within 10 % in the steady state (the
            # median window) and within 20 % over the whole 30 s.
            self.assertGreater(exp, 0)
            self.assertGreaterEqual(median, 3 * 0.9)
            self.assertLessEqual(median, 3 * 1.1)
            self.assertGreaterEqual(ratio, 3 * 0.8)
            self.assertLessEqual(ratio, 3 * 1.2)
        finally:
            for p in procs:
                p.stop()
            mock.stop()
            redis.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
