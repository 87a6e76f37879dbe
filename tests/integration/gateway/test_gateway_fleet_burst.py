"""A fleet instance that went quiet meets a burst far below the limit (docs/FLEET.md
"Leases after a quiet spell"): every request is admitted. Its lease shrinks while it is
idle, but not below a tenth of a second of the limit's rate, so a burst within that
needs no string of doublings first; a larger burst waits for the grants that grow the
lease while the fleet's bucket has room, and is not answered 429 for a limit the fleet
has not reached. A real redis-server and two real sluice processes; nothing asserts
speed."""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
import redis_server  # noqa: E402
from test_gateway_fleet import config, metric, post  # noqa: E402

LOAD = os.environ.get("SLUICE_LOAD_BIN", "build/tools/load/sluice-load")


class FleetBurst(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.redis = redis_server.Server()
        self.mock = h.start_mock()
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.stop()
        self.mock.stop()
        self.redis.stop()

    def start(self, name, rpm):
        # The burst as deep as a minute of the rate: the limit itself never binds here.
        p = h.start_sluice(config(self.dir, self.mock.port, self.redis.url, name,
                                  rpm=rpm, burst=rpm))
        self.procs.append(p)
        return p.port

    def burst(self, port, connections, requests):
        """sluice-load: `requests` as fast as `connections` keep-alive connections carry
        them (anonymous: the config allows it). The statuses, counted."""
        out = os.path.join(self.dir, "load-%d.json" % port)
        run = subprocess.run(
            [LOAD, "--url", "http://127.0.0.1:%d" % port, "--model", "gpt",
             "--connections", str(connections), "--threads", "1", "--requests", str(requests),
             "--max-tokens", "16", "--no-progress", "--json", out],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        self.assertEqual(run.returncode, 0, run.stdout.decode(errors="replace"))
        with open(out) as f:
            return json.load(f)["totals"]["status"]

    def quiet_then_burst(self, rpm, connections, requests):
        port = self.start("gw-a", rpm)
        # Another instance in the fleet, idle: it holds a lease too.
        self.start("gw-b", rpm)
        self.assertEqual(post(port).status, 200)
        # Quiet for two lease lives: the lease shrinks to what an idle instance needs.
        time.sleep(2.5)
        statuses = self.burst(port, connections, requests)
        print("\nfleet burst after a quiet spell, %d/min: %d requests on %d connections, "
              "statuses %s, round trips %s" % (
                  rpm, requests, connections, statuses,
                  metric(port, "sluice_fleet_round_trips_total")), file=sys.stderr)
        self.assertEqual(statuses, {"200": requests})

    def test_a_burst_beyond_the_idle_lease_waits_for_the_grant(self):
        # A tenth of a second of 60,000/min is 100 requests: the idle lease holds that
        # much; the burst of 3,000 on 64 connections needs more, asked while they wait.
        self.quiet_then_burst(60_000, 64, 3000)

    def test_a_large_limit_keeps_a_tenth_of_a_second_of_its_rate_while_quiet(self):
        # 6,000,000/min: the idle lease still holds 10,000 requests.
        self.quiet_then_burst(6_000_000, 64, 5000)


if __name__ == "__main__":
    unittest.main()
