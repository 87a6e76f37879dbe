"""The access log file under logrotate: the real sluice (two shards) in front of the
real sluice-mock writes server.access_log; the file is renamed and sluice gets SIGHUP
(what logrotate's postrotate does). The lines of requests answered before the rename
are in the renamed file, those after SIGHUP in a new file by the configured path, and
with requests running across the rename every line is in exactly one of the two files,
whole. A reopen that fails is logged and sluice writes on to the file it has."""

import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello there"}]}


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        text = f.read()
    return text.splitlines() if text.endswith("\n") or not text else text.splitlines() + ["<partial>"]


def request_ids(path):
    return [json.loads(l)["request_id"] for l in lines(path)]


def wait_lines(paths, count, timeout=20):
    """True once the files hold `count` lines together (each shard writes its lines at
    the end of the loop turn that answered them)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if sum(len(lines(p)) for p in paths) >= count:
            return True
        time.sleep(0.05)
    return False


class AccessLogReopen(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.logs = os.path.join(self.dir, "logs")
        os.mkdir(self.logs)
        self.path = os.path.join(self.logs, "access.log")
        self.mock = h.start_mock()
        cfg = h.mock_config(self.mock.port, self.dir, shards=2,
                            server='{ "access_log": "%s" }' % self.path)
        self.sluice = h.start_sluice(cfg)
        self.port = self.sluice.port

    def tearDown(self):
        self.sluice.stop()
        self.mock.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def send(self, rid):
        r = h.http(self.port, "POST", "/v1/chat/completions", CHAT, {"x-request-id": rid})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("x-request-id"), rid)

    def hup(self, count):
        self.sluice.signal(signal.SIGHUP)
        self.assertTrue(h.wait_for_log(self.sluice, "SIGHUP: reloading", count), self.sluice.stderr())

    def test_rename_and_sighup_moves_writing_to_a_new_file(self):
        before = ["before-%d" % i for i in range(10)]
        for rid in before:
            self.send(rid)
        self.assertTrue(wait_lines([self.path], len(before)), lines(self.path))
        rotated = self.path + ".1"
        os.rename(self.path, rotated)

        # Requests on four connections run while the file is renamed and reopened.
        during, stop, errors = [], threading.Event(), []
        lock = threading.Lock()

        def client(n):
            i = 0
            while not stop.is_set():
                rid = "during-%d-%d" % (n, i)
                i += 1
                try:
                    r = h.http(self.port, "POST", "/v1/chat/completions", CHAT, {"x-request-id": rid})
                    if r.status != 200:
                        errors.append((rid, r.status))
                    with lock:
                        during.append(rid)
                except Exception as e:  # noqa: BLE001
                    errors.append((rid, repr(e)))

        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        # Some lines go to the renamed file through the descriptor sluice still has.
        deadline = time.time() + 20
        while time.time() < deadline and len(lines(rotated)) < len(before) + 8:
            time.sleep(0.02)
        self.hup(1)
        self.assertTrue(h.wait_for_log(self.sluice, "reopened access log " + self.path),
                        self.sluice.stderr())
        deadline = time.time() + 20
        while time.time() < deadline and len(lines(self.path)) < 8:
            time.sleep(0.02)
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])

        after = ["after-%d" % i for i in range(10)]
        for rid in after:
            self.send(rid)
        total = len(before) + len(during) + len(after)
        self.assertTrue(wait_lines([rotated, self.path], total),
                        (len(lines(rotated)), len(lines(self.path)), total))

        old, new = request_ids(rotated), request_ids(self.path)
        self.assertEqual(old[:len(before)], before)
        self.assertEqual(new[-len(after):], after)
        self.assertTrue(any(r.startswith("during-") for r in old))
        self.assertTrue(any(r.startswith("during-") for r in new))
        # Every request has exactly one line, in one of the two files.
        self.assertEqual(sorted(old + new), sorted(before + during + after))
        self.assertNotIn("cannot reopen", self.sluice.stderr())

    def test_failed_reopen_is_logged_and_the_old_file_kept(self):
        for i in range(3):
            self.send("first-%d" % i)
        self.assertTrue(wait_lines([self.path], 3))
        # The directory goes away: the path cannot be opened again.
        moved = os.path.join(self.dir, "logs.old")
        os.rename(self.logs, moved)
        self.hup(1)
        self.assertTrue(h.wait_for_log(self.sluice, "cannot reopen access log " + self.path),
                        self.sluice.stderr())
        # The configuration itself still reloads.
        self.assertTrue(h.wait_for_log(self.sluice, "reloaded "), self.sluice.stderr())
        self.assertNotIn("reload refused", self.sluice.stderr())
        for i in range(3):
            self.send("second-%d" % i)
        kept = os.path.join(moved, "access.log")
        self.assertTrue(wait_lines([kept], 6), lines(kept))
        self.assertEqual(request_ids(kept), ["first-%d" % i for i in range(3)] +
                         ["second-%d" % i for i in range(3)])
        self.assertFalse(os.path.exists(self.path))

        # Once the directory is back, the next SIGHUP opens a new file there.
        os.mkdir(self.logs)
        self.hup(2)
        self.assertTrue(h.wait_for_log(self.sluice, "reopened access log " + self.path),
                        self.sluice.stderr())
        self.send("third-0")
        self.assertTrue(wait_lines([self.path], 1))
        self.assertEqual(request_ids(self.path), ["third-0"])
        self.assertEqual(len(lines(kept)), 6)


class AccessLogDrops(unittest.TestCase):
    """The access log is a pipe nobody reads: the log writer thread blocks on it, the
    shard's queue fills, and the lines that find it full are counted in
    sluice_access_log_dropped_total. sluice answers every request all along (the shard
    never writes the log itself), and every line is either in the pipe or counted."""

    REQUESTS = 2000  # the pipe holds ~190 lines and the queue 1,024 batches

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "access.fifo")
        os.mkfifo(self.path)
        # A reader exists (sluice's open would wait for one) but reads nothing yet.
        self.reader = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.mock = h.start_mock()
        cfg = h.mock_config(self.mock.port, self.dir, shards=1,
                            server='{ "access_log": "%s" }' % self.path)
        self.sluice = h.start_sluice(cfg)
        self.port = self.sluice.port

    def tearDown(self):
        self.sluice.stop()
        self.mock.stop()
        os.close(self.reader)
        shutil.rmtree(self.dir, ignore_errors=True)

    def dropped(self):
        r = h.http(self.port, "GET", "/metrics")
        self.assertEqual(r.status, 200)
        for line in r.body.decode().splitlines():
            if line.startswith("sluice_access_log_dropped_total "):
                return int(float(line.split()[1]))
        self.fail("no sluice_access_log_dropped_total in /metrics")

    def test_lines_that_find_the_queue_full_are_counted(self):
        self.assertEqual(self.dropped(), 0)
        with h.connect(self.port) as s:
            reader = h.Reader(s)
            for i in range(self.REQUESTS):
                s.sendall(h.request_bytes("POST", "/v1/chat/completions", CHAT,
                                          {"x-request-id": "drop-%d" % i}))
                r = reader.read()
                self.assertEqual(r.status, 200, r.body)
        dropped = self.dropped()
        self.assertGreater(dropped, 0)
        self.assertLess(dropped, self.REQUESTS)
        # Now read the pipe: the writer finishes what was queued, and the lines there
        # and the lines counted add up to the requests, each line whole.
        text = b""
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                chunk = os.read(self.reader, 65536)
            except BlockingIOError:
                chunk = b""
            text += chunk
            if text.count(b'"request_id":"drop-') + dropped >= self.REQUESTS and not chunk:
                break
            if not chunk:
                time.sleep(0.02)
        ids = [json.loads(l)["request_id"] for l in text.decode().splitlines()]
        written = [i for i in ids if i.startswith("drop-")]
        self.assertEqual(len(written) + dropped, self.REQUESTS)
        self.assertEqual(len(set(written)), len(written))
        self.assertIn("drop-0", written)  # the first lines went out before the pipe filled


if __name__ == "__main__":
    unittest.main()
