"""sluice under systemd's eyes: the notification protocol (sd_notify) as the real binary
speaks it to a NOTIFY_SOCKET this test listens on, the watchdog pings, reload and
drain. No systemd needed: the test plays the service manager's part."""

import os
import signal
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

KEY = "sk-systemd-test"


class NotifySocket:
    """An AF_UNIX datagram socket like the one systemd gives a Type=notify service."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []  # each a dict of the datagram's assignments

    def _read(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        msg = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
        self.messages.append(msg)
        return msg

    def wait_for(self, key, value="1", timeout=30):
        """The next message that sets `key` (others are kept in `messages`)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            msg = self._read(max(0.05, deadline - time.time()))
            if msg is not None and msg.get(key) == value:
                return msg
        raise AssertionError("no %s=%s within %ss; got %r" % (key, value, timeout, self.messages))

    def drain(self, seconds):
        """Everything that arrives within `seconds`."""
        got = []
        deadline = time.time() + seconds
        while time.time() < deadline:
            msg = self._read(max(0.01, deadline - time.time()))
            if msg is not None:
                got.append(msg)
        return got

    def close(self):
        self.sock.close()


def chat(port, key=KEY, model="gpt-4o-mini"):
    return h.http(port, "POST", "/v1/chat/completions",
                  {"model": model, "messages": [{"role": "user", "content": "hi"}]},
                  {"Authorization": "Bearer " + key})


def keys_json(*pairs):
    return "[%s]" % ", ".join('{ "id": "%s", "project": "default", "key": "%s" }' % p for p in pairs)


class Notify(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.mock = h.start_mock()
        self.notify = NotifySocket(self.dir)
        self.cfg = h.mock_config(self.mock.port, self.dir, shards=2, keys=keys_json(("app", KEY)))
        self.sluice = None

    def tearDown(self):
        if self.sluice:
            self.sluice.kill()
        self.mock.stop()
        self.notify.close()

    def start(self, **env):
        e = {"NOTIFY_SOCKET": self.notify.path}
        e.update(env)
        self.sluice = h.start_sluice(self.cfg, env=e)
        return self.sluice

    def test_ready_is_sent_once_every_shard_listens(self):
        s = self.start()
        msg = self.notify.wait_for("READY")
        # READY comes after the listeners are up: a request right away is served.
        self.assertEqual(chat(s.port).status, 200)
        self.assertEqual(msg.get("STATUS"), "serving")

    def test_reload_sends_reloading_with_monotonic_time_then_ready(self):
        s = self.start()
        self.notify.wait_for("READY")
        before = time.clock_gettime(time.CLOCK_MONOTONIC)
        s.signal(signal.SIGHUP)
        msg = self.notify.wait_for("RELOADING")
        usec = int(msg["MONOTONIC_USEC"])
        self.assertGreaterEqual(usec, int(before * 1e6))
        self.assertLessEqual(usec, int(time.clock_gettime(time.CLOCK_MONOTONIC) * 1e6))
        self.notify.wait_for("READY")
        self.assertEqual(chat(s.port).status, 200)

    def test_invalid_reload_keeps_serving_and_stays_ready(self):
        s = self.start()
        self.notify.wait_for("READY")
        with open(self.cfg) as f:
            good = f.read()
        # Two errors: both are logged, the running config stays.
        bad = good.replace('"shards": 2', '"shards": "many"').replace(
            '"flush_ms": 20', '"flush_ms": -5')
        with open(self.cfg, "w") as f:
            f.write(bad)
        s.signal(signal.SIGHUP)
        self.notify.wait_for("RELOADING")
        self.notify.wait_for("READY")
        # The log is read by another thread: wait until the refusal has arrived.
        deadline = time.time() + 30
        while "keeping the running configuration" not in s.stderr() and time.time() < deadline:
            time.sleep(0.05)
        log = s.stderr()
        self.assertIn("/shards", log)
        self.assertIn("/ledger/flush_ms", log)
        self.assertIn("keeping the running configuration", log)
        self.assertEqual(chat(s.port).status, 200)

    def test_sigterm_sends_stopping_and_flushes_the_ledger(self):
        s = self.start()
        self.notify.wait_for("READY")
        ids = []
        for i in range(20):
            r = h.http(s.port, "POST", "/v1/chat/completions",
                       {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
                       {"Authorization": "Bearer " + KEY, "x-request-id": "drain-%d" % i})
            self.assertEqual(r.status, 200)
            ids.append("drain-%d" % i)
        s.signal(signal.SIGTERM)
        self.notify.wait_for("STOPPING")
        self.assertEqual(s.wait(40), 0)
        # Every finished request is on disk once the process has exited.
        rows = h.ledger_rows(self.dir, "request_id like 'drain-%'")
        self.assertEqual(sorted(r["request_id"] for r in rows), sorted(ids))

    def test_watchdog_pings_while_the_shards_turn(self):
        s = self.start(WATCHDOG_USEC="300000")
        self.notify.wait_for("READY")
        got = self.notify.drain(3.0)
        pings = [m for m in got if m.get("WATCHDOG") == "1"]
        # One probe every 100 ms: at least a few pings in three seconds even on a
        # loaded machine; the exact count depends on scheduling and is not asserted.
        self.assertGreaterEqual(len(pings), 3, got)
        self.assertEqual(chat(s.port).status, 200)

    def test_no_watchdog_pings_when_not_asked(self):
        s = self.start()
        self.notify.wait_for("READY")
        got = self.notify.drain(1.5)
        self.assertEqual([m for m in got if "WATCHDOG" in m], [])
        self.assertEqual(chat(s.port).status, 200)

    def test_stopped_process_stops_pinging(self):
        s = self.start(WATCHDOG_USEC="300000")
        self.notify.wait_for("READY")
        self.notify.wait_for("WATCHDOG")
        s.signal(signal.SIGSTOP)
        try:
            self.notify.drain(0.5)  # a ping already in the socket may still arrive
            got = self.notify.drain(1.0)
            self.assertEqual([m for m in got if "WATCHDOG" in m], [])
        finally:
            s.signal(signal.SIGCONT)
        self.notify.wait_for("WATCHDOG")


if __name__ == "__main__":
    unittest.main(verbosity=2)
