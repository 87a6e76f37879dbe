"""The SQLite ledger when its disk fails under it: a full file system (a small tmpfs this
test mounts) and a database another process holds locked. sluice does not crash, counts
and logs the failure once per cause, keeps answering (or answers 503 with
on_ledger_failure "refuse"), and writes the pending rows once the disk has room again."""

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

PROMPT = [{"role": "user", "content": "Count the stars in the sky, please."}]


def chat(port, request_id):
    return h.http(port, "POST", "/v1/chat/completions", {"model": "gpt-4o-mini", "messages": PROMPT},
                  {"x-request-id": request_id})


def metric(port, sample):
    for line in h.http(port, "GET", "/metrics").body.decode().splitlines():
        if line.startswith(sample + " "):
            return float(line.split()[-1])
    return 0.0


def wait_until(predicate, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


class FullDisk(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        self.top = tempfile.mkdtemp()
        self.dir = os.path.join(self.top, "disk")
        os.mkdir(self.dir)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", self.dir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode != 0:
            self.skipTest("cannot mount a tmpfs here: " + r.stderr.decode())
        self.mock = h.start_mock()
        self.sluice = None

    def tearDown(self):
        if self.sluice:
            self.sluice.kill()
        self.mock.stop()
        subprocess.run(["umount", "-l", self.dir])

    def start(self, on_failure):
        cfg = h.mock_config(self.mock.port, self.dir,
                            ledger='"on_ledger_failure": "%s"' % on_failure)
        self.sluice = h.start_sluice(cfg)
        return self.sluice.port

    def test_keeps_serving_and_writes_the_rows_once_there_is_room(self):
        port = self.start("continue")
        self.assertEqual(chat(port, "first").status, 200)
        self.assertEqual(len(h.ledger_rows(self.dir, wait_for=1)), 1)
        filler = h.fill_disk(self.dir)
        sent = 1
        sample = 'sluice_ledger_write_errors_total{cause="disk_full"}'
        while metric(port, sample) == 0 and sent < 400:
            sent += 1
            self.assertEqual(chat(port, "full-%d" % sent).status, 200)
        self.assertGreater(metric(port, sample), 0, "no disk_full failure seen")
        for i in range(20):  # still serving while the disk is full
            sent += 1
            self.assertEqual(chat(port, "full-%d" % sent).status, 200)
        self.assertIsNone(self.sluice.proc.poll(), "sluice exited")
        self.assertEqual(metric(port, "sluice_ledger_degraded"), 2)
        os.unlink(filler)
        self.assertTrue(wait_until(lambda: len(h.ledger_rows(self.dir)) >= sent),
                        "%d of %d rows" % (len(h.ledger_rows(self.dir)), sent))
        self.assertEqual(len(h.ledger_rows(self.dir)), sent)  # none lost, none doubled
        self.assertEqual(metric(port, "sluice_ledger_dropped_total"), 0)
        self.assertEqual(metric(port, "sluice_ledger_degraded"), 0)
        self.assertEqual(self.sluice.stderr().count("write failed (disk_full)"), 1)

    def test_refuse_answers_503_while_nothing_can_be_written(self):
        port = self.start("refuse")
        self.assertEqual(chat(port, "first").status, 200)
        self.assertEqual(len(h.ledger_rows(self.dir, wait_for=1)), 1)
        filler = h.fill_disk(self.dir)
        statuses = []
        while 503 not in statuses and len(statuses) < 400:
            r = chat(port, "refuse-%d" % len(statuses))
            statuses.append(r.status)
            if r.status == 503:
                body = r.json()
                self.assertEqual(r.header("x-sluice-error-class"), "provider_degraded")
                self.assertIn("ledger", body["error"]["message"])
            time.sleep(0.005)
        self.assertIn(503, statuses)
        self.assertEqual(set(statuses[:statuses.index(503)]), {200})
        ready = h.http(port, "GET", "/readyz")
        self.assertEqual(ready.status, 503)
        self.assertEqual(ready.json()["status"], "degraded")
        self.assertEqual(ready.json()["ledger"]["state"], "failing")
        os.unlink(filler)
        self.assertTrue(wait_until(lambda: chat(port, "again").status == 200))
        self.assertEqual(h.http(port, "GET", "/readyz").status, 200)


class LockedDatabase(unittest.TestCase):
    def test_a_held_lock_is_counted_and_the_rows_follow(self):
        d = tempfile.mkdtemp()
        mock = h.start_mock()
        cfg = h.mock_config(mock.port, d)
        p = h.start_sluice(cfg)
        try:
            self.assertEqual(chat(p.port, "first").status, 200)
            self.assertEqual(len(h.ledger_rows(d, wait_for=1)), 1)
            # Another process takes the write lock past sluice's 5 s busy timeout.
            other = sqlite3.connect(os.path.join(d, "ledger.db"), timeout=10, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            for i in range(10):
                self.assertEqual(chat(p.port, "locked-%d" % i).status, 200)
            sample = 'sluice_ledger_write_errors_total{cause="locked"}'
            self.assertTrue(wait_until(lambda: metric(p.port, sample) > 0, timeout=30))
            other.execute("ROLLBACK")
            other.close()
            self.assertEqual(len(h.ledger_rows(d, wait_for=11, timeout=30)), 11)
            self.assertIsNone(p.proc.poll())
        finally:
            p.stop()
            mock.stop()


if __name__ == "__main__":
    unittest.main()
