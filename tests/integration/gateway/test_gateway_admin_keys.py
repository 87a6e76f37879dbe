"""Virtual keys at run time through the admin API of the real sluice (several shards,
several connections): created keys work on every shard at once, revoked ones are
refused everywhere, and both survive a restart. Secrets are never listed."""

import json
import os
import sqlite3
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ADMIN = "admin-key-keys-test"
CONFIG_KEY = "sk-config-key"
KEYS = '[{ "id": "from-config", "project": "default", "key": "%s" }]' % CONFIG_KEY


def admin(port, method, path, body=b"", key=ADMIN):
    headers = {"Authorization": "Bearer " + key} if key else {}
    return h.http(port, method, path, body, headers)


def chat_on(sock_reader, sock, key, model="gpt-4o-mini"):
    sock.sendall(h.request_bytes("POST", "/v1/chat/completions",
                                 {"model": model, "messages": [{"role": "user", "content": "hi"}]},
                                 {"Authorization": "Bearer " + key}))
    return sock_reader.read()


class Connections:
    """Many keep-alive connections, so SO_REUSEPORT spreads them over every shard."""

    def __init__(self, port, n=12):
        self.socks = [h.connect(port) for _ in range(n)]
        self.readers = [h.Reader(s) for s in self.socks]

    def statuses(self, key, model="gpt-4o-mini"):
        return [chat_on(r, s, key, model).status for s, r in zip(self.socks, self.readers)]

    def close(self):
        for s in self.socks:
            s.close()


class AdminKeys(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cls.cfg = h.mock_config(cls.mock.port, cls.dir, shards=3, keys=KEYS)
        cls.sluice = h.start_sluice(cls.cfg, env={"SLUICE_ADMIN_KEY": ADMIN})

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def restart(self):
        self.assertEqual(self.sluice.stop(), 0)
        type(self).sluice = h.start_sluice(self.cfg, env={"SLUICE_ADMIN_KEY": ADMIN})

    def create(self, body):
        r = admin(self.sluice.port, "POST", "/admin/keys", body)
        return r, (r.json() if r.body else None)

    def test_create_revoke_restart(self):
        conns = Connections(self.sluice.port)
        try:
            r, made = self.create({"id": "bot", "project": "team", "models": ["gpt-4o-mini"]})
            self.assertEqual(r.status, 201, r.body)
            key = made["key"]
            self.assertTrue(key.startswith("sk-sluice-"))
            self.assertEqual(made["id"], "bot")
            self.assertEqual(made["project"], "team")
            # Works at once on every connection, whichever shard holds it.
            self.assertEqual(conns.statuses(key), [200] * 12)
            # The key's model list applies.
            self.assertEqual(set(conns.statuses(key, "claude")), {403})
            # Recorded under the key's id and project.
            rows = h.ledger_rows(self.dir, "key_id = 'bot'", wait_for=12)
            self.assertEqual({row["project"] for row in rows}, {"team"})
            # Only the digest is stored.
            db = sqlite3.connect(os.path.join(self.dir, "ledger.db"))
            stored = db.execute("select sha256 from virtual_keys where id = 'bot'").fetchone()[0]
            db.close()
            self.assertEqual(len(stored), 64)
            self.assertNotIn(key.encode(), open(os.path.join(self.dir, "ledger.db"), "rb").read())

            r, other = self.create({"id": "keeper", "project": "default"})
            self.assertEqual(r.status, 201, r.body)

            r = admin(self.sluice.port, "DELETE", "/admin/keys/bot")
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json(), {"id": "bot", "revoked": True, "revoked_ms": r.json()["revoked_ms"]})
            # Refused at once everywhere, on connections that used it a moment ago.
            self.assertEqual(set(conns.statuses(key)), {401})
            self.assertEqual(conns.statuses(other["key"]), [200] * 12)
            self.assertEqual(conns.statuses(CONFIG_KEY), [200] * 12)
        finally:
            conns.close()

        self.restart()
        conns = Connections(self.sluice.port)
        try:
            self.assertEqual(set(conns.statuses(key)), {401})
            self.assertEqual(conns.statuses(other["key"]), [200] * 12)
            self.assertEqual(conns.statuses(CONFIG_KEY), [200] * 12)
        finally:
            conns.close()
        listed = admin(self.sluice.port, "GET", "/admin/keys").json()["data"]
        ids = {k["id"]: k for k in listed}
        self.assertNotIn("bot", ids)
        self.assertEqual(ids["keeper"]["source"], "admin")
        self.assertEqual(ids["from-config"]["source"], "config")
        # A revoked id is not handed out again.
        r, _ = self.create({"id": "bot", "project": "team"})
        self.assertEqual(r.status, 409)

    def test_list_never_shows_a_secret(self):
        r, made = self.create({"id": "listed", "project": "default"})
        self.assertEqual(r.status, 201, r.body)
        r = admin(self.sluice.port, "GET", "/admin/keys")
        self.assertEqual(r.status, 200)
        text = r.body.decode()
        self.assertNotIn(made["key"], text)
        self.assertNotIn(CONFIG_KEY, text)
        self.assertNotIn("sha256", text)
        entry = [k for k in r.json()["data"] if k["id"] == "listed"][0]
        self.assertEqual(entry["project"], "default")
        self.assertEqual(entry["models"], [])

    def test_id_is_chosen_when_absent(self):
        r, made = self.create({"project": "team"})
        self.assertEqual(r.status, 201, r.body)
        self.assertTrue(made["id"].startswith("team-"), made)
        self.assertEqual(Connections(self.sluice.port, 3).statuses(made["key"]), [200] * 3)

    def assertError(self, r, status, cls, text):
        self.assertEqual(r.status, status, r.body)
        self.assertEqual(r.header("x-sluice-error-class"), cls)
        err = r.json()["error"]
        self.assertIn(text, err["message"])

    def test_bad_requests_answer_in_the_openai_envelope(self):
        p = self.sluice.port
        self.assertError(admin(p, "POST", "/admin/keys", b"{not json"), 400, "bad_request", "not valid JSON")
        self.assertError(admin(p, "POST", "/admin/keys", {"id": "x"}), 400, "bad_request", "`project` is required")
        self.assertError(admin(p, "POST", "/admin/keys", {"project": "nope"}), 400, "bad_request", "unknown project")
        self.assertError(admin(p, "POST", "/admin/keys", {"project": "team", "models": ["nope"]}), 400,
                         "bad_request", "unknown model alias")
        self.assertError(admin(p, "POST", "/admin/keys", {"project": "team", "colour": 1}), 400,
                         "bad_request", "unknown field")
        self.assertError(admin(p, "POST", "/admin/keys", {"id": "has space", "project": "team"}), 400,
                         "bad_request", "`id` must be")
        self.assertError(admin(p, "POST", "/admin/keys", {"id": "from-config", "project": "team"}), 409,
                         "bad_request", "taken")
        self.assertError(admin(p, "DELETE", "/admin/keys/no-such"), 404, "not_found", "no key")
        self.assertError(admin(p, "DELETE", "/admin/keys/from-config"), 409, "bad_request", "config file")
        self.assertError(admin(p, "PUT", "/admin/keys", b"{}"), 405, "method_not_allowed", "not allowed")
        self.assertError(admin(p, "GET", "/admin/keys", key="wrong"), 401, "unauthorized", "admin key")
        self.assertError(admin(p, "GET", "/admin/keys", key=None), 401, "unauthorized", "admin key")
        r, made = self.create({"id": "twice", "project": "team"})
        self.assertEqual(r.status, 201)
        self.assertEqual(admin(p, "DELETE", "/admin/keys/twice").status, 200)
        self.assertError(admin(p, "DELETE", "/admin/keys/twice"), 404, "not_found", "already revoked")


class ConfigWins(unittest.TestCase):
    """A reload that adds a config key with a run-time key's id shadows the run-time key."""

    def test_config_key_with_the_same_id_wins_after_reload(self):
        import signal
        import time
        d = tempfile.mkdtemp()
        mock = h.start_mock()
        cfg = h.mock_config(mock.port, d, shards=2, keys=KEYS)
        sluice = h.start_sluice(cfg, env={"SLUICE_ADMIN_KEY": ADMIN})
        try:
            r = admin(sluice.port, "POST", "/admin/keys", {"id": "dup", "project": "team"})
            self.assertEqual(r.status, 201, r.body)
            runtime_key = r.json()["key"]
            self.assertEqual(Connections(sluice.port, 4).statuses(runtime_key), [200] * 4)
            keys = KEYS[:-1] + ', { "id": "dup", "project": "default", "key": "sk-dup-config" }]'
            h.mock_config(mock.port, d, shards=2, keys=keys)
            sluice.signal(signal.SIGHUP)
            deadline = time.time() + 30
            while "reloaded " not in sluice.stderr() and time.time() < deadline:
                time.sleep(0.05)
            self.assertIn("stored key dup is ignored: a key in the config has the same id",
                          sluice.stderr())
            self.assertEqual(set(Connections(sluice.port, 4).statuses(runtime_key)), {401})
            self.assertEqual(Connections(sluice.port, 4).statuses("sk-dup-config"), [200] * 4)
            listed = [k for k in admin(sluice.port, "GET", "/admin/keys").json()["data"] if k["id"] == "dup"]
            self.assertEqual(listed, [{"id": "dup", "project": "default", "models": [], "source": "config"}])
        finally:
            self.assertEqual(sluice.stop(), 0)
            mock.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
