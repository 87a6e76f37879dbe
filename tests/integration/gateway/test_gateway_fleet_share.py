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
STALL_S = 1.0  # a request slower than this marks its window stalled


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
            slow = []  # (start, end) of every request that took longer than STALL_S

            admitted = {p: 0 for p in ports}  # 200s per instance
            lock = threading.Lock()

            def flood(port, key, project):
                headers = {"Authorization": "Bearer " + key, "x-mock-fault-key": project}
                while not done.is_set():
                    began = time.monotonic()
                    r = h.http(port, "POST", "/v1/chat/completions", BODY, headers, timeout=30)
                    ended = time.monotonic()
                    if ended - began > STALL_S:
                        slow.append((began, ended))
                    if r.status == 200:
                        with lock:
                            admitted[port] += 1

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
                # Windows of 5 s until six are clean. A window is stalled when a request
                # running in it took longer than STALL_S: a loaded machine can hold a
                # process (or its fleet thread) for seconds, and while it is held the
                # others rightly use the capacity it leaves; that is no skew of shares.
                windows, stalled = [], []
                last, at = counts(mock.port), time.monotonic()
                while len(windows) < 6 and len(windows) + len(stalled) < 12:
                    time.sleep(5)
                    now, now_at = counts(mock.port), time.monotonic()
                    w = (now[0] - last[0], now[1] - last[1])
                    time.sleep(STALL_S)  # a request still running at the end shows by then
                    if any(b < now_at and e > at for b, e in slow):
                        stalled.append(w)
                    else:
                        windows.append(w)
                    last, at = counts(mock.port), time.monotonic()
            finally:
                done.set()
                for t in threads:
                    t.join()
            errors = [h.metric_sum(p.port, "sluice_fleet_errors_total") for p in procs]
            prod, exp = sum(w[0] for w in windows), sum(w[1] for w in windows)
            ratio = prod / max(exp, 1)
            print("\nfleet share: production %d, experiments %d in %d clean windows of 5 s: "
                  "%.2f:1 (account %.0f per window)"
                  % (prod, exp, len(windows), ratio, RPM / 60.0 * 5), file=sys.stderr)
            steady = sorted(wp / max(we, 1) for wp, we in windows)
            median = (steady[(len(steady) - 1) // 2] + steady[len(steady) // 2]) / 2
            print("fleet share per window: %s, median %.2f:1; stalled windows %s; "
                  "Redis errors per instance %s"
                  % (" ".join("%d/%d" % w for w in windows), median,
                     " ".join("%d/%d" % w for w in stalled) or "none", errors), file=sys.stderr)
            # experiments' clients are split evenly between gw-b and gw-c: each instance
            # gets its part of the project's share, not one all of it and the other
            # nothing (its demand is what its clients ask for, refused or not).
            b, c = admitted[ports[1]], admitted[ports[2]]
            print("experiments admitted through gw-b %d, gw-c %d" % (b, c), file=sys.stderr)
            self.assertGreaterEqual(min(b, c), 0.3 * (b + c))
            self.assertEqual(len(windows), 6, "the machine stalled the test too often")
            # Both flood: the account is split 3:1, within 10 % in the median window and
            # within 20 % over the six clean windows together. Below by up to 15 %: a
            # project spread over two instances measures 4 to 10 % above its share
            # (docs/LIMITS.md "Fair share across instances").
            self.assertGreater(exp, 0)
            self.assertGreaterEqual(median, 3 * 0.85)
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
