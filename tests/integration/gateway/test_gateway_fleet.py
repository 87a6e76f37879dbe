"""A fleet of gateways sharing one quota through a real Redis (docs/FLEET.md): three
real sluice processes (two shards each) in front of one real sluice-mock, many clients
spread over all three. What reaches the mock never exceeds the limit's burst plus its
rate over the flood, when an instance is killed mid-flood, and (with a stated slack)
when Redis goes away; with Redis gone every instance keeps answering and comes back to
fleet mode by itself. Elapsed time only widens the bounds; nothing asserts speed."""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
import redis_server  # noqa: E402

ADMIN = "admin-key-fleet"
BODY = {"model": "gpt", "max_tokens": 16,
        "messages": [{"role": "user", "content": "Say something short."}]}
RPM, BURST = 120, 10
LOAD = os.environ.get("SLUICE_LOAD_BIN", "build/tools/load/sluice-load")


def config(directory, mock_port, redis_url, instance, on_down="local_share", lease_ms=1000,
           rpm=RPM, burst=BURST, password_env=None):
    password = ', "password_env": "%s"' % password_env if password_env else ""
    text = """{
  "listen": [{ "address": "127.0.0.1", "port": 0 }],
  "shards": 2,
  "ledger": { "path": "%s/ledger-%s.db", "flush_ms": 20 },
  "server": { "access_log": "off" },
  "admission": { "tick_ms": 2 },
  "fleet": { "redis": "%s", "instance": "%s", "lease_ms": %d, "on_redis_down": "%s"%s },
  "providers": { "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" } },
  "models": {
    "gpt": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini" }],
             "limits": { "requests_per_minute": %d, "burst_requests": %d } }
  },
  "projects": { "default": {} },
  "allow_anonymous": true,
  "keys": []
}""" % (directory, instance, redis_url, instance, lease_ms, on_down, password, mock_port, rpm,
       burst)
    path = os.path.join(directory, "sluice-%s.json" % instance)
    with open(path, "w") as f:
        f.write(text)
    return path


def post(port):
    return h.http(port, "POST", "/v1/chat/completions", BODY, timeout=30)


def admin(port, path):
    return h.http(port, "GET", path, headers={"Authorization": "Bearer " + ADMIN})


def metric(port, name):
    text = h.http(port, "GET", "/metrics").body.decode()
    m = re.search(r"^%s(?:\{[^}]*\})? (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def wait_for(check, timeout=30):
    """Polls `check` until it holds or `timeout` seconds pass; whether it held."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def mock_requests(port):
    return h.http(port, "GET", "/mock/stats").json()["requests"].get("openai_chat", 0)


class Flood:
    """`clients` threads, each sending requests back to back to the instances in turn,
    until stop(). Statuses are kept per instance port; a connection that fails is None."""

    def __init__(self, ports, clients):
        self.ports = list(ports)
        self.results = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(i,)) for i in range(clients)]
        self.t0 = time.monotonic()
        for t in self.threads:
            t.start()

    def _client(self, i):
        n = i
        while not self.done.is_set():
            port = self.ports[n % len(self.ports)]
            n += 1
            try:
                status = post(port).status
            except (OSError, EOFError):  # an instance killed under the request
                status = None
                time.sleep(0.01)
            with self.lock:
                self.results.append((port, status, time.monotonic()))

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join()
        return time.monotonic() - self.t0

    def statuses(self, since=0.0, port=None):
        with self.lock:
            return [s for p, s, t in self.results
                    if t >= since and (port is None or p == port)]


class Fleet(unittest.TestCase):
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

    def start(self, names, on_down="local_share"):
        for name in names:
            p = h.start_sluice(config(self.dir, self.mock.port, self.redis.url, name, on_down),
                               env={"SLUICE_ADMIN_KEY": ADMIN})
            self.procs.append(p)
        return [p.port for p in self.procs]

    def bound(self, elapsed, slack=0):
        return BURST + RPM / 60.0 * elapsed + slack

    def test_three_instances_admit_no_more_than_one_limit(self):
        ports = self.start(["gw-a", "gw-b", "gw-c"])
        before = mock_requests(self.mock.port)
        flood = Flood(ports, 24)
        time.sleep(12)
        elapsed = flood.stop()
        reached = mock_requests(self.mock.port) - before
        statuses = flood.statuses()
        bound = self.bound(elapsed)
        print("\nfleet: %d of %d requests reached the provider in %.1fs (bound %.1f)"
              % (reached, len(statuses), elapsed, bound), file=sys.stderr)
        self.assertLessEqual(reached, bound)
        self.assertEqual(statuses.count(200), reached)
        self.assertEqual(set(statuses), {200, 429})
        # Each instance admitted some: the leases move to where the demand is.
        per_instance = [flood.statuses(port=p).count(200) for p in ports]
        print("admitted per instance: %s" % per_instance, file=sys.stderr)
        self.assertTrue(all(per_instance), per_instance)
        # The fleet view in /admin/limits, beside the fields that were there before.
        doc = admin(ports[0], "/admin/limits").json()
        self.assertEqual(doc["fleet"]["instance"], "gw-a")
        self.assertTrue(doc["fleet"]["redis_up"])
        self.assertEqual(doc["fleet"]["mode"], "fleet")
        self.assertEqual(doc["fleet"]["instances_seen"], 3)
        lim = {l["id"]: l for l in doc["limits"]}["model:gpt"]
        self.assertEqual(lim["requests"]["per_minute"], RPM)
        self.assertIn("remaining", lim["requests"])
        self.assertIn("fleet_allowance", lim["requests"])
        ready = h.http(ports[1], "GET", "/readyz").json()
        self.assertEqual(ready["status"], "ready")
        self.assertEqual(ready["fleet"]["state"], "ok")
        self.assertEqual(metric(ports[2], "sluice_fleet_redis_up"), 1)
        self.assertGreater(metric(ports[2], "sluice_fleet_round_trips_total"), 0)
        self.assertGreater(metric(ports[2], "sluice_fleet_lease_grants_total"), 0)
        # The state lives in Redis: one bucket, three heartbeats.
        key = "sluice:fleet:model:gpt:requests"
        self.assertIn(key.encode(), self.redis.command("KEYS", "sluice:fleet:*"))
        self.assertEqual(self.redis.command("ZCARD", "sluice:fleet:instances"), 3)
        # A clean stop hands its leases back at once instead of letting them expire.
        self.procs[0].stop()
        self.assertIn("leases returned", self.procs[0].stderr())
        fields = self.redis.command("HKEYS", key)
        self.assertFalse([f for f in fields if f.startswith(b"l:gw-a:")], fields)

    def test_hundreds_of_clients_through_three_instances_stay_within_the_bound(self):
        # 300 keep-alive connections, a hundred on each instance, from three sluice-load
        # processes at once (open loop, 150 requests/s each: twenty times the limit).
        ports = self.start(["gw-a", "gw-b", "gw-c"])
        before = mock_requests(self.mock.port)
        loads = []
        t0 = time.monotonic()
        for port in ports:
            out = os.path.join(self.dir, "load-%d.json" % port)
            loads.append((out, subprocess.Popen(
                [LOAD, "--url", "http://127.0.0.1:%d" % port, "--model", "gpt",
                 "--connections", "100", "--threads", "1", "--rate", "150",
                 "--duration", "10s", "--drain", "10s", "--max-tokens", "16",
                 "--no-progress", "--json", out],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)))
        statuses = {}
        for out, proc in loads:
            text = proc.communicate(timeout=120)[0].decode(errors="replace")
            self.assertEqual(proc.returncode, 0, text)
            with open(out) as f:
                for code, n in json.load(f)["totals"]["status"].items():
                    statuses[code] = statuses.get(code, 0) + n
        elapsed = time.monotonic() - t0
        reached = mock_requests(self.mock.port) - before
        bound = self.bound(elapsed)
        print("\nfleet, 300 connections: %d reached in %.1fs (bound %.1f), statuses %s"
              % (reached, elapsed, bound, statuses), file=sys.stderr)
        self.assertLessEqual(reached, bound)
        self.assertEqual(statuses.get("200", 0), reached)
        self.assertEqual(set(statuses), {"200", "429"})
        # The flood was real: far more were asked for than the limit lets through.
        self.assertGreater(statuses["429"], 10 * reached)

    def test_admin_limits_shows_every_instances_leases_and_demand_from_redis(self):
        ports = self.start(["gw-a", "gw-b", "gw-c"])
        key = "sluice:fleet:model:gpt:requests"
        flood = Flood(ports, 12)
        try:
            # A lease of a unit or two at 2/s sits wherever the fair share puts it: one is
            # seen in some view, and a view shows the demand of all three instances.
            view, leased = None, set()
            deadline = time.time() + 30
            while time.time() < deadline:
                view = admin(ports[0], "/admin/limits").json()["fleet"]["view"]
                lim = {x["key"]: x for x in (view or {}).get("limits", [])}.get(key)
                if lim:
                    leased |= {x["instance"] for x in lim["leases"] if x["units"] > 0}
                    if leased and len(lim["demand"]) == 3 and \
                            lim["demand_by_project"].get("default", 0) > 0:
                        break
                time.sleep(0.05)
            else:
                self.fail("no fleet view with every lease and demand: %r %r" % (leased, view))
        finally:
            flood.stop()
        # What Redis holds, as every instance wrote it, seen from one instance.
        self.assertEqual(sorted(x["instance"] for x in view["instances"]),
                         ["gw-a", "gw-b", "gw-c"])
        self.assertTrue(all(x["heartbeat_age_ms"] >= 0 for x in view["instances"]), view)
        for lease in lim["leases"]:
            self.assertIn(lease["instance"], ("gw-a", "gw-b", "gw-c"))
            self.assertGreaterEqual(lease["units"], 0)
            # Live leases only, each within one lease_ms (1000) of Redis's clock.
            self.assertTrue(0 < lease["expires_in_ms"] <= 1000, lease)
        for d in lim["demand"]:
            self.assertEqual(d["project"], "default")
            self.assertEqual(d["weight"], 1)
            self.assertIn(d["instance"], ("gw-a", "gw-b", "gw-c"))
        self.assertAlmostEqual(lim["demand_by_project"]["default"],
                               sum(d["per_s"] for d in lim["demand"]), delta=0.01)
        fleet = admin(ports[0], "/admin/limits").json()["fleet"]
        self.assertGreater(fleet["last_round_trip_ms"], 0)
        self.assertGreaterEqual(fleet["last_rtt_us"], 0)
        # The view is read on the fleet thread and cached: it is refreshed while Redis
        # answers, and still served, as last read, once Redis is gone.
        first = fleet["view"]["read_ms"]
        self.assertTrue(wait_for(
            lambda: admin(ports[0], "/admin/limits").json()["fleet"]["view"]["read_ms"] > first))
        self.redis.stop_server()
        self.assertTrue(wait_for(
            lambda: admin(ports[0], "/admin/limits").json()["fleet"]["mode"] != "fleet"))
        down = admin(ports[0], "/admin/limits")
        self.assertEqual(down.status, 200)
        fleet = down.json()["fleet"]
        self.assertFalse(fleet["redis_up"])
        cached = fleet["view"]
        self.assertEqual(sorted(x["instance"] for x in cached["instances"]),
                         ["gw-a", "gw-b", "gw-c"])
        time.sleep(1.5)  # past a refresh period: nothing new can be read
        self.assertEqual(admin(ports[0], "/admin/limits").json()["fleet"]["view"]["read_ms"],
                         cached["read_ms"])

    def test_an_instance_killed_mid_flood_leaves_the_bound_intact(self):
        ports = self.start(["gw-a", "gw-b", "gw-c"])
        before = mock_requests(self.mock.port)
        flood = Flood(ports, 24)
        time.sleep(4)
        self.procs[0].proc.kill()  # SIGKILL: its lease is never returned
        self.procs[0].proc.wait()
        killed_at = time.monotonic()
        time.sleep(8)
        elapsed = flood.stop()
        reached = mock_requests(self.mock.port) - before
        bound = self.bound(elapsed)
        print("\nfleet, one killed: %d reached in %.1fs (bound %.1f)" % (reached, elapsed, bound),
              file=sys.stderr)
        self.assertLessEqual(reached, bound)
        # The survivors went on admitting after the kill, and answering.
        after = [flood.statuses(since=killed_at + 2, port=p) for p in ports[1:]]
        print("admitted after the kill, per survivor: %s"
              % [a.count(200) for a in after], file=sys.stderr)
        self.assertGreater(sum(a.count(200) for a in after), 0)
        for a in after:
            self.assertTrue(a and set(a) <= {200, 429}, "answers %s" % sorted(set(a), key=str))
        self.procs = self.procs[1:]

    def test_redis_down_local_share_then_back(self):
        ports = self.start(["gw-a", "gw-b", "gw-c"])
        flood = Flood(ports, 12)
        time.sleep(3)
        before = mock_requests(self.mock.port)
        self.redis.stop_server()
        down_at = time.monotonic()
        time.sleep(6)
        outage = time.monotonic() - down_at
        reached = mock_requests(self.mock.port) - before
        for port in ports:
            # Every instance keeps answering: 200 within its share, 429 beyond.
            got = flood.statuses(since=down_at + 1, port=port)
            self.assertEqual(set(got), {200, 429}, "answers %s" % sorted(set(got), key=str))
            self.assertEqual(metric(port, "sluice_fleet_redis_up"), 0)
            ready = h.http(port, "GET", "/readyz").json()
            self.assertEqual(ready["fleet"], {"state": "degraded", "redis_up": False,
                                              "mode": "local_share", "instances_seen": 3})
        # Shares of a third each add up to the limit; units the leases held when Redis
        # went away (at most the burst, fleet-wide) may be admitted on top.
        bound = self.bound(outage, slack=BURST)
        print("\nfleet, Redis down: %d reached in %.1fs (bound %.1f)" % (reached, outage, bound),
              file=sys.stderr)
        self.assertLessEqual(reached, bound)
        self.redis.start_server()
        deadline = time.time() + 30
        while time.time() < deadline and not all(
                metric(p, "sluice_fleet_redis_up") == 1 for p in ports):
            time.sleep(0.2)
        back_at = time.monotonic()
        time.sleep(2)
        flood.stop()
        for port in ports:
            self.assertEqual(metric(port, "sluice_fleet_redis_up"), 1)
            self.assertEqual(admin(port, "/admin/limits").json()["fleet"]["mode"], "fleet")
            back = set(flood.statuses(since=back_at, port=port))
            self.assertTrue(back and back <= {200, 429}, "answers %s" % sorted(back, key=str))
        for p in self.procs:
            self.assertIsNone(p.proc.poll())
            self.assertIn("Redis is back", p.stderr())

    def test_slow_redis_never_holds_a_request(self):
        ports = self.start(["gw-a", "gw-b"])
        flood = Flood(ports, 8)
        time.sleep(2)
        before = mock_requests(self.mock.port)
        t0 = time.monotonic()
        self.redis.command("DEBUG", "SLEEP", "4", timeout=30)  # Redis answers nobody for 4 s
        slow = time.monotonic() - t0
        deadline = time.time() + 20
        while time.time() < deadline and not all(
                metric(p, "sluice_fleet_redis_up") == 1 for p in ports):
            time.sleep(0.2)
        time.sleep(1)
        elapsed = flood.stop()
        # While Redis did not answer, both instances kept answering (from their leases,
        # then from their share), and nothing else than 200 or 429 came back.
        for port in ports:
            during = [s for p, s, t in flood.results if p == port and t0 + 1 < t < t0 + slow - 0.5]
            self.assertTrue(during, "gw on %d answered nothing while Redis slept" % port)
            self.assertLessEqual(set(during), {200, 429})
            self.assertEqual(metric(port, "sluice_fleet_redis_up"), 1)  # and came back
        print("\nfleet, Redis asleep %.1fs: %d reached" % (slow, mock_requests(self.mock.port) - before),
              file=sys.stderr)
        # Across an outage of d seconds and the recovery: the shares admitted up to
        # burst + rate * d that Redis never saw, on top of the fleet's own bound.
        self.assertLessEqual(mock_requests(self.mock.port) - before,
                             self.bound(elapsed, slack=BURST + RPM / 60.0 * slow))

    def test_redis_down_refuse_answers_503(self):
        ports = self.start(["gw-a", "gw-b"], on_down="refuse")
        self.assertEqual(post(ports[0]).status, 200)
        self.redis.stop_server()
        deadline = time.time() + 10
        while time.time() < deadline and any(
                metric(p, "sluice_fleet_redis_up") != 0 for p in ports):
            time.sleep(0.05)
        for port in ports:
            r = post(port)
            self.assertEqual(r.status, 503)
            self.assertEqual(r.header("x-sluice-error-class"), "provider_degraded")
            self.assertIn("Redis", r.json()["error"]["message"])
            self.assertEqual(h.http(port, "GET", "/readyz").json()["fleet"]["mode"], "refuse")
        self.redis.start_server()
        deadline = time.time() + 30
        while time.time() < deadline and not all(
                metric(p, "sluice_fleet_redis_up") == 1 for p in ports):
            time.sleep(0.2)
        time.sleep(0.5)
        for port in ports:
            self.assertIn(post(port).status, (200, 429))


class Reload(unittest.TestCase):
    """SIGHUP applies the fleet section's on_redis_down and lease_ms; what takes a
    restart (another Redis) is said in the log and the running Redis is kept."""

    def test_reload_switches_on_redis_down_and_lease_ms(self):
        import signal
        d = tempfile.mkdtemp()
        server = redis_server.Server()
        mock = h.start_mock()
        path = config(d, mock.port, server.url, "gw-a", "local_share")
        p = h.start_sluice(path, env={"SLUICE_ADMIN_KEY": ADMIN})
        try:
            self.assertEqual(post(p.port).status, 200)
            server.stop_server()
            deadline = time.time() + 10
            while time.time() < deadline and metric(p.port, "sluice_fleet_redis_up") != 0:
                time.sleep(0.05)
            self.assertEqual(h.http(p.port, "GET", "/readyz").json()["fleet"]["mode"],
                             "local_share")
            self.assertIn(post(p.port).status, (200, 429))
            # The same file, refusing while Redis is down, a longer lease and another Redis.
            config(d, mock.port, "redis://127.0.0.1:1/0", "gw-a", "refuse", lease_ms=3000)
            p.signal(signal.SIGHUP)
            self.assertTrue(h.wait_for_log(p, "on_redis_down is now refuse"), p.stderr())
            self.assertIn("lease_ms is now 3000", p.stderr())
            self.assertIn("another redis, password or instance takes a restart", p.stderr())
            deadline = time.time() + 10
            while time.time() < deadline and h.http(
                    p.port, "GET", "/readyz").json()["fleet"]["mode"] != "refuse":
                time.sleep(0.05)
            r = post(p.port)
            self.assertEqual(r.status, 503)
            self.assertEqual(r.header("x-sluice-error-class"), "provider_degraded")
            # The running Redis address is kept: once it is back, fleet mode resumes.
            server.start_server()
            deadline = time.time() + 30
            while time.time() < deadline and metric(p.port, "sluice_fleet_redis_up") != 1:
                time.sleep(0.2)
            self.assertEqual(admin(p.port, "/admin/limits").json()["fleet"]["mode"], "fleet")
        finally:
            p.stop()
            mock.stop()
            server.stop()


class Connection(unittest.TestCase):
    """How an instance reaches Redis: a password from the environment (a wrong one is
    a degraded instance with the reason in /admin/limits), a Unix socket."""

    def run_one(self, server, env, on_down="local_share"):
        d = tempfile.mkdtemp()
        mock = h.start_mock()
        try:
            pw = "SLUICE_TEST_REDIS_PW" if env else None
            p = h.start_sluice(config(d, mock.port, server.url, "gw-a", on_down, password_env=pw),
                               env=dict(env, SLUICE_ADMIN_KEY=ADMIN))
            try:
                statuses = [post(p.port).status for _ in range(3)]
                return statuses, admin(p.port, "/admin/limits").json()["fleet"]
            finally:
                p.stop()
        finally:
            mock.stop()
            server.stop()

    def test_password_from_the_environment(self):
        statuses, fleet = self.run_one(redis_server.Server(password="s3cret-pw"),
                                       {"SLUICE_TEST_REDIS_PW": "s3cret-pw"})
        self.assertTrue(fleet["redis_up"], fleet)
        self.assertEqual(fleet["mode"], "fleet")
        self.assertIn(200, statuses)

    def test_wrong_password_degrades_with_the_reason(self):
        statuses, fleet = self.run_one(redis_server.Server(password="s3cret-pw"),
                                       {"SLUICE_TEST_REDIS_PW": "wrong"}, on_down="refuse")
        self.assertFalse(fleet["redis_up"])
        self.assertEqual(fleet["mode"], "refuse")
        self.assertIn("AUTH", fleet["last_error"])
        self.assertEqual(statuses, [503, 503, 503])

    def test_unix_socket(self):
        statuses, fleet = self.run_one(redis_server.Server(unix_socket=True), {})
        self.assertTrue(fleet["redis_up"], fleet)
        self.assertIn(200, statuses)


if __name__ == "__main__":
    unittest.main(verbosity=2)
