"""Run-time virtual keys shared by two real sluice instances through one real PostgreSQL
(ledger.kind = postgres): a key created on one instance works on the other without a
restart (NOTIFY/LISTEN), a key revoked on one is refused on both, an instance restarted
still knows every key, and a PostgreSQL outage leaves the loaded keys working while a
new key is refused with 503 until the database is back."""

import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
import pg  # noqa: E402

ADMIN = "admin-key-shared-test"
KEYS = '[{ "id": "from-config", "project": "default", "key": "sk-config-key" }]'
BOUND = 10.0  # seconds; generous: a change normally arrives within milliseconds


def admin(port, method, path, body=b""):
    return h.http(port, method, path, body, {"Authorization": "Bearer " + ADMIN})


def chat(port, key):
    return h.http(port, "POST", "/v1/chat/completions",
                  {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
                  {"Authorization": "Bearer " + key}).status


def until(fn, want, bound=BOUND):
    """Polls fn() until it returns `want`; the seconds it took, or None after `bound`."""
    start = time.monotonic()
    while time.monotonic() - start < bound:
        if fn() == want:
            return time.monotonic() - start
        time.sleep(0.02)
    return None


class SharedKeys(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = pg.Cluster()
        cls.mock = h.start_mock()
        cls.cfgs = []
        for name in ("a", "b"):
            d = tempfile.mkdtemp(prefix="sluice-shared-%s-" % name)
            path = h.mock_config(cls.mock.port, d, shards=2, keys=KEYS)
            with open(path) as f:
                text = f.read()
            text = text.replace(
                '"ledger": { "path": "%s/ledger.db",' % d,
                '"ledger": { "kind": "postgres", "url_env": "SLUICE_TEST_PG_URL", '
                '"spool": "%s/spool.db", "path": "%s/ledger.db",' % (d, d))
            with open(path, "w") as f:
                f.write(text)
            cls.cfgs.append(path)
        cls.env = {"SLUICE_ADMIN_KEY": ADMIN, "SLUICE_TEST_PG_URL": cls.db.url()}
        cls.a = h.start_sluice(cls.cfgs[0], env=cls.env)
        cls.b = h.start_sluice(cls.cfgs[1], env=cls.env)

    @classmethod
    def tearDownClass(cls):
        cls.a.stop()
        cls.b.stop()
        cls.mock.stop()
        cls.db.stop()

    def create(self, port, key_id):
        r = admin(port, "POST", "/admin/keys", {"id": key_id, "project": "team"})
        self.assertEqual(r.status, 201, r.body)
        return r.json()["key"]

    def test_created_on_one_works_on_both_revoked_on_one_refused_on_both(self):
        key = self.create(self.a.port, "fleet-bot")
        self.assertEqual(chat(self.a.port, key), 200)
        took = until(lambda: chat(self.b.port, key), 200)
        self.assertIsNotNone(took, "a key made on A never worked on B")
        sys.stderr.write("\ncreated on A, working on B after %.3f s\n" % took)
        self.assertEqual(self.db.query("SELECT project, revoked_ms FROM virtual_keys "
                                       "WHERE id = 'fleet-bot'"), [["team", "0"]])
        # Listed on B as a run-time key.
        listed = admin(self.b.port, "GET", "/admin/keys").json()["data"]
        self.assertIn("fleet-bot", [k["id"] for k in listed])

        r = admin(self.b.port, "DELETE", "/admin/keys/fleet-bot")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(chat(self.b.port, key), 401)
        took = until(lambda: chat(self.a.port, key), 401)
        self.assertIsNotNone(took, "a key revoked on B still worked on A")
        sys.stderr.write("revoked on B, refused on A after %.3f s\n" % took)
        self.assertNotEqual(self.db.query("SELECT revoked_ms FROM virtual_keys "
                                          "WHERE id = 'fleet-bot'"), [["0"]])

    def test_revoking_a_key_made_elsewhere_a_moment_ago(self):
        # B has not necessarily heard of the key yet: the revoke re-reads before a 404.
        key = self.create(self.a.port, "just-made")
        r = admin(self.b.port, "DELETE", "/admin/keys/just-made")
        self.assertEqual(r.status, 200, r.body)
        self.assertIsNotNone(until(lambda: chat(self.a.port, key), 401))
        self.assertEqual(admin(self.b.port, "DELETE", "/admin/keys/nobody").status, 404)

    def test_restarted_instance_knows_every_key(self):
        before = self.create(self.a.port, "before-restart")
        self.assertIsNotNone(until(lambda: chat(self.b.port, before), 200))
        self.assertEqual(self.b.stop(), 0)
        during = self.create(self.a.port, "while-b-down")
        type(self).b = h.start_sluice(self.cfgs[1], env=self.env)
        self.assertEqual(chat(self.b.port, before), 200)
        self.assertEqual(chat(self.b.port, during), 200)
        self.assertEqual(chat(self.b.port, "sk-sluice-not-a-key"), 401)

    def test_outage_keeps_loaded_keys_and_refuses_new_ones_with_503(self):
        key = self.create(self.a.port, "outage-old")
        self.assertIsNotNone(until(lambda: chat(self.b.port, key), 200))
        self.db.stop_server()
        try:
            r = admin(self.a.port, "POST", "/admin/keys", {"id": "outage-new", "project": "team"})
            self.assertEqual(r.status, 503, r.body)
            self.assertIn("key store cannot be reached", r.json()["error"]["message"])
            self.assertEqual(r.header("x-sluice-error-class"), "provider_degraded")
            self.assertEqual(admin(self.b.port, "DELETE", "/admin/keys/outage-old").status, 503)
            # Keys already loaded keep working on both, and the instances stay up.
            self.assertEqual(chat(self.a.port, key), 200)
            self.assertEqual(chat(self.b.port, key), 200)
        finally:
            self.db.start_server()
        # Reconnects (backoff up to 10 s), then creating works and reaches the other side.
        deadline = time.monotonic() + 30
        while True:
            r = admin(self.a.port, "POST", "/admin/keys", {"id": "outage-new", "project": "team"})
            if r.status == 201 or time.monotonic() > deadline:
                break
            self.assertEqual(r.status, 503, r.body)
            time.sleep(0.2)
        self.assertEqual(r.status, 201, r.body)
        new_key = r.json()["key"]
        self.assertIsNotNone(until(lambda: chat(self.b.port, new_key), 200, bound=30))

    def test_start_while_database_down_fails_closed_then_catches_up(self):
        key = self.create(self.a.port, "before-b-start")
        self.assertEqual(self.b.stop(), 0)
        self.db.stop_server()
        try:
            type(self).b = h.start_sluice(self.cfgs[1], env=self.env)
            # Up and serving config keys; run-time keys wait for the store (fail closed:
            # no key at all is refused too, though B alone holds none from the config).
            self.assertEqual(chat(self.b.port, "sk-config-key"), 200)
            self.assertEqual(chat(self.b.port, key), 401)
            self.assertTrue(h.wait_for_log(self.b, "run-time keys are refused until it answers"))
        finally:
            self.db.start_server()
        took = until(lambda: chat(self.b.port, key), 200, bound=30)
        self.assertIsNotNone(took, "B never read the keys once PostgreSQL was back")
        sys.stderr.write("\nB read the stored keys %.3f s after PostgreSQL came back\n" % took)


if __name__ == "__main__":
    unittest.main(verbosity=2)
