"""The operator's command line against a real gateway: `sluice keys|usage|limits|breakers`
run as the real binary, talking to the real sluice (in front of the real sluice-mock)
through its admin API over loopback. Keys it creates work and revoked ones are refused,
usage counts match the ledger in JSON and CSV, and every failure exits non-zero with a
message on stderr and nothing on stdout."""

import csv
import io
import json
import os
import pty
import socket
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ADMIN = "admin-key-cli-test"
CONFIG_KEY = "sk-config-key-cli"
KEYS = '[{ "id": "from-config", "project": "default", "key": "%s" }]' % CONFIG_KEY
PROJECTS = """{ "default": {},
  "team": { "limits": { "requests_per_minute": 600 }, "budget": { "usd_per_day": 5 } } }"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cli(*args, env=None, cwd=None):
    """Runs the real sluice binary with `args`; the environment holds only what is given."""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    e.update(env or {})
    return subprocess.run([h.SLUICE, *args], capture_output=True, text=True, env=e,
                          cwd=cwd or tempfile.gettempdir(), timeout=60)


MODELS = """{
  "gpt-4o-mini": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini-2024-07-18" }],
                   "price": { "input_per_mtok": 0.15, "output_per_mtok": 0.60 } },
  "gpt-4o": { "targets": [{ "provider": "mock", "model": "gpt-4o-2024-08-06" }],
              "price": { "input_per_mtok": 2.50, "output_per_mtok": 10.00 } }
}"""


def chat(port, key, model="gpt-4o-mini"):
    return h.http(port, "POST", "/v1/chat/completions",
                  {"model": model, "messages": [{"role": "user", "content": "hi"}]},
                  {"Authorization": "Bearer " + key})


class CommandLine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cls.cfg = h.mock_config(cls.mock.port, cls.dir, keys=KEYS, projects=PROJECTS,
                                models=MODELS)
        cls.sluice = h.start_sluice(cls.cfg, env={"SLUICE_ADMIN_KEY": ADMIN})
        cls.url = "http://127.0.0.1:%d" % cls.sluice.port

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def run_ok(self, *args, key=ADMIN):
        out = cli(*args, "--url", self.url, env={"SLUICE_ADMIN_KEY": key}, cwd=self.dir)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stderr, "")
        return out.stdout

    def run_fails(self, *args, env=None, code=1):
        out = cli(*args, env=env if env is not None else {"SLUICE_ADMIN_KEY": ADMIN}, cwd=self.dir)
        self.assertEqual(out.returncode, code, (out.stdout, out.stderr))
        self.assertEqual(out.stdout, "")
        self.assertTrue(out.stderr.startswith("sluice: "), out.stderr)
        return out.stderr

    def test_create_list_revoke(self):
        # Not a terminal: JSON by default, which a script reads.
        made = json.loads(self.run_ok("keys", "create", "--project", "team", "--id", "cli-bot",
                                      "--models", "gpt-4o-mini"))
        self.assertEqual((made["id"], made["project"], made["models"]),
                         ("cli-bot", "team", ["gpt-4o-mini"]))
        key = made["key"]
        self.assertTrue(key.startswith("sk-sluice-"))
        self.assertEqual(chat(self.sluice.port, key).status, 200)
        self.assertEqual(chat(self.sluice.port, key, "gpt-4o").status, 403)

        # The table form prints the secret on a line of its own, and it works too.
        text = self.run_ok("keys", "create", "--project", "default", "--id", "cli-other",
                           "--format", "table")
        self.assertIn("created key cli-other for project default (models: all)", text)
        secret = [l for l in text.splitlines() if l.startswith("sk-sluice-")]
        self.assertEqual(len(secret), 1, text)
        self.assertEqual(chat(self.sluice.port, secret[0], "gpt-4o").status, 200)

        table = self.run_ok("keys", "list", "--format", "table").splitlines()
        self.assertEqual(table[0].split(), ["ID", "PROJECT", "MODELS", "SOURCE", "CREATED"])
        bot = [l.split() for l in table if l.startswith("cli-bot ")]
        self.assertEqual(len(bot), 1, table)
        self.assertEqual(bot[0][:4], ["cli-bot", "team", "gpt-4o-mini", "admin"])
        self.assertEqual(bot[0][-1], "UTC")
        self.assertIn(["from-config", "default", "(all)", "config", "-"],
                      [l.split() for l in table])
        self.assertNotIn(key, "\n".join(table))

        rows = list(csv.DictReader(io.StringIO(self.run_ok("keys", "list", "--format", "csv"),
                                               newline="")))
        by_id = {r["id"]: r for r in rows}
        self.assertEqual(by_id["cli-bot"]["models"], "gpt-4o-mini")
        self.assertEqual(by_id["cli-bot"]["created_ms"], str(made["created_ms"]))
        self.assertEqual(by_id["from-config"]["source"], "config")

        text = self.run_ok("keys", "revoke", "cli-bot", "--format", "table")
        self.assertTrue(text.startswith("revoked key cli-bot at "), text)
        self.assertEqual(chat(self.sluice.port, key).status, 401)
        self.assertEqual(chat(self.sluice.port, secret[0]).status, 200)
        listed = json.loads(self.run_ok("keys", "list"))["data"]
        self.assertNotIn("cli-bot", [k["id"] for k in listed])
        err = self.run_fails("keys", "revoke", "cli-bot", "--url", self.url)
        self.assertIn("404", err)
        self.assertIn("already revoked", err)

    def test_usage_counts_in_json_csv_and_table(self):
        made = json.loads(self.run_ok("keys", "create", "--project", "default", "--id", "usage-bot"))
        for model, n in (("gpt-4o-mini", 3), ("gpt-4o", 2)):
            for _ in range(n):
                self.assertEqual(chat(self.sluice.port, made["key"], model).status, 200)
        ledger = h.ledger_rows(self.dir, "key_id = 'usage-bot'", wait_for=5)
        self.assertEqual(len(ledger), 5)
        nusd = {}
        for row in ledger:
            nusd[row["model"]] = nusd.get(row["model"], 0) + row["cost_nusd"]

        # Money stays exact: decimals are read as text, never as floats.
        report = json.loads(self.run_ok("usage", "--key", "usage-bot", "--group-by", "model",
                                        "--format", "json"), parse_float=str)
        got = {r["model"]: r for r in report["rows"]}
        self.assertEqual({m: r["requests"] for m, r in got.items()}, {"gpt-4o-mini": 3, "gpt-4o": 2})
        self.assertEqual({m: r["cost_nusd"] for m, r in got.items()}, nusd)

        rows = list(csv.DictReader(io.StringIO(
            self.run_ok("usage", "--key", "usage-bot", "--group-by", "model", "--format", "csv"),
            newline="")))
        self.assertEqual({r["model"]: r["requests"] for r in rows}, {"gpt-4o-mini": "3", "gpt-4o": "2"})
        for r in rows:
            self.assertEqual(int(r["cost_nusd"]), nusd[r["model"]])
            self.assertEqual(r["cost_usd"], str(got[r["model"]]["cost_usd"]))
            self.assertEqual(int(r["input_tokens"]), got[r["model"]]["input_tokens"])

        table = self.run_ok("usage", "--key", "usage-bot", "--group-by", "model",
                            "--from", "2020-01-01", "--format", "table").splitlines()
        self.assertTrue(table[0].startswith("usage from 2020-01-01 00:00:00 UTC to "), table)
        total = [l.split() for l in table if l.startswith("total ")]
        self.assertEqual(len(total), 1, table)
        self.assertEqual(total[0][1], "5")
        self.assertTrue(total[0][-1].startswith("$"), total)

        err = self.run_fails("usage", "--group-by", "colour", "--url", self.url)
        self.assertIn("400", err)
        self.assertIn("colour", err)

    def test_limits_and_breakers_print(self):
        text = self.run_ok("limits", "--format", "table")
        lines = text.splitlines()
        self.assertEqual(lines[0].split()[:3], ["LIMIT", "LEVEL", "REQ/MIN"])
        team = [l.split() for l in lines if "team" in l and "project" in l]
        self.assertTrue(any("600" in row for row in team), text)
        budgets = [l.split() for l in lines if l.startswith("BUDGET") or ("team" in l and "$5" in l)]
        self.assertEqual(len(budgets), 2, text)
        self.assertIn("limits", json.loads(self.run_ok("limits", "--format", "json")))

        text = self.run_ok("breakers", "--format", "table")
        rows = [l.split() for l in text.splitlines()]
        self.assertEqual(rows[0][:3], ["PROVIDER", "BREAKER", "FAILURES"])
        self.assertIn(["mock", "closed", "0", "-", "-"], rows)
        self.assertEqual(json.loads(self.run_ok("breakers"))["providers"]["mock"]["breaker"], "closed")

    def test_errors_exit_non_zero_with_a_message(self):
        err = self.run_fails("keys", "list", "--url", self.url, env={"SLUICE_ADMIN_KEY": "wrong"})
        self.assertIn("401", err)
        self.assertIn("admin key required", err)

        err = self.run_fails("limits", "--url", self.url, env={})
        self.assertIn("the admin key is not set", err)
        self.assertIn("SLUICE_ADMIN_KEY", err)

        down = "http://127.0.0.1:%d" % free_port()
        err = self.run_fails("breakers", "--url", down)
        self.assertIn("cannot reach the gateway at " + down, err)

        err = self.run_fails("keys", "create", "--id", "x", "--url", self.url, code=2)
        self.assertIn("keys create needs --project", err)
        err = self.run_fails("keys", "rotate", code=2)
        self.assertIn('unknown subcommand "rotate"', err)
        err = self.run_fails("usage", "--format", "xml", code=2)
        self.assertIn("--format", err)
        out = cli("frobnicate")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("frobnicate", out.stderr)

        # The gateway refuses: unknown project.
        err = self.run_fails("keys", "create", "--project", "nope", "--url", self.url)
        self.assertIn("nope", err)

    def test_a_terminal_gets_a_table(self):
        # stdout on a pseudo-terminal: the table is the default there.
        master, slave = pty.openpty()
        try:
            p = subprocess.run([h.SLUICE, "breakers", "--url", self.url], stdout=slave,
                               stderr=subprocess.PIPE, env={"SLUICE_ADMIN_KEY": ADMIN},
                               cwd=self.dir, timeout=60)
            os.close(slave)
            slave = None
            out = b""
            while True:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO once the writer is gone
                    break
                if not chunk:
                    break
                out += chunk
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(out.startswith(b"PROVIDER"), out)

    def test_help(self):
        out = cli("usage", "--help")
        self.assertEqual(out.returncode, 0)
        self.assertIn("--group-by", out.stdout)
        self.assertIn("keys create|list|revoke", cli("--help").stdout)


class AddressAndKeyFromConfig(unittest.TestCase):
    """Without --url: the address comes from the config's listen entry, and the admin key
    from the variable its admin.key_env names."""

    def test_config_gives_address_and_key_variable(self):
        d = tempfile.mkdtemp()
        mock = h.start_mock()
        try:
            cfg = h.mock_config(mock.port, d, keys=KEYS,
                                extra=',\n  "admin": { "key_env": "CLI_TEST_ADMIN" }')
            port = free_port()
            with open(cfg) as f:
                text = f.read().replace('"port": 0', '"port": %d' % port, 1)
            with open(cfg, "w") as f:
                f.write(text)
            gw = h.start_sluice(cfg, env={"CLI_TEST_ADMIN": ADMIN})
            try:
                self.assertEqual(gw.port, port)
                out = cli("breakers", "--config", cfg, "--format", "json",
                          env={"CLI_TEST_ADMIN": ADMIN})
                self.assertEqual(out.returncode, 0, out.stderr)
                self.assertIn("mock", json.loads(out.stdout)["providers"])
                out = cli("breakers", "--config", cfg, env={"SLUICE_ADMIN_KEY": "wrong"})
                self.assertEqual(out.returncode, 1)
                self.assertIn("401", out.stderr)
                out = cli("limits", "--config", os.path.join(d, "missing.json"),
                          env={"CLI_TEST_ADMIN": ADMIN})
                self.assertEqual(out.returncode, 1)
                self.assertIn("missing.json:0:0", out.stderr)
                self.assertIn("cannot read the file", out.stderr)
                # A config that does not load stops the command, with the config's errors.
                bad = h.write_config(tempfile.mkdtemp(), '{ "listen": 5 }')
                out = cli("limits", "--config", bad, env={"CLI_TEST_ADMIN": ADMIN})
                self.assertEqual(out.returncode, 1)
                self.assertIn(bad + ":", out.stderr)
                self.assertEqual(out.stdout, "")
            finally:
                gw.stop()
        finally:
            mock.stop()


if __name__ == "__main__":
    unittest.main()
