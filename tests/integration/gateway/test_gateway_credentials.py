"""Credentials and the files that hold them: a virtual key in the URL is accepted only
where Gemini clients put it, a provider secret with a line break (which would inject
header lines) stops the start with a clear error, --check-config reads each ca_file, and
the ledger file is created readable by its owner only. The real binaries on loopback."""

import os
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

KEY = "sk-credentials-test"
KEYS = '[{ "id": "k", "project": "default", "key": "%s" }]' % KEY
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
GEMINI = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


class QueryKeyAndLedgerMode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.mock = h.start_mock()
        cfg = h.mock_config(cls.mock.port, cls.dir, keys=KEYS)
        old = os.umask(0o022)  # the usual umask: it would leave the file world-readable
        try:
            cls.sluice = h.start_sluice(cfg)
        finally:
            os.umask(old)

    @classmethod
    def tearDownClass(cls):
        cls.sluice.stop()
        cls.mock.stop()

    def test_key_in_the_query_is_refused_off_the_gemini_routes(self):
        for path in ("/v1/chat/completions?key=" + KEY, "/openai/v1/chat/completions?key=" + KEY):
            with self.subTest(path=path):
                r = h.http(self.sluice.port, "POST", path, CHAT)
                self.assertEqual(r.status, 401, r.body)
                self.assertEqual(r.header("x-sluice-error-class"), "unauthorized")

    def test_key_in_a_header_still_works_there(self):
        r = h.http(self.sluice.port, "POST", "/v1/chat/completions", CHAT,
                   {"Authorization": "Bearer " + KEY})
        self.assertEqual(r.status, 200, r.body)

    def test_key_in_the_query_works_on_the_gemini_route(self):
        r = h.http(self.sluice.port, "POST",
                   "/gemini/v1beta/models/gemini-flash:generateContent?key=" + KEY, GEMINI)
        self.assertEqual(r.status, 200, r.body)

    def test_ledger_file_is_readable_by_its_owner_only(self):
        h.http(self.sluice.port, "POST", "/v1/chat/completions", CHAT, {"Authorization": "Bearer " + KEY})
        mode = stat.S_IMODE(os.stat(os.path.join(self.dir, "ledger.db")).st_mode)
        self.assertEqual(mode, 0o600, oct(mode))


class ProviderSecretsAndCaFiles(unittest.TestCase):
    def config(self, directory, provider_fields):
        extra = ',\n    "guarded": { "kind": "openai", "base_url": "https://127.0.0.1:9/v1", %s }' % provider_fields
        return h.mock_config(9, directory, extra_providers=extra)

    def test_a_secret_file_with_a_line_break_inside_stops_the_start(self):
        d = tempfile.mkdtemp()
        secret = os.path.join(d, "openai.key")
        with open(secret, "w") as f:
            f.write("sk-real\r\nx-injected: yes\n")
        p = h.Process([h.SLUICE, "--config", self.config(d, '"api_key_file": "%s"' % secret)],
                      wait_listen=False)
        self.assertNotEqual(p.wait(30), 0)
        self.assertIn("control characters", p.stderr())
        self.assertIn("guarded", p.stderr())

    def test_a_secret_file_with_one_trailing_newline_is_fine(self):
        d = tempfile.mkdtemp()
        secret = os.path.join(d, "openai.key")
        with open(secret, "w") as f:
            f.write("sk-real\n")
        p = h.start_sluice(self.config(d, '"api_key_file": "%s"' % secret))
        self.assertEqual(p.stop(), 0)

    def test_check_config_reads_the_ca_file(self):
        d = tempfile.mkdtemp()
        not_pem = os.path.join(d, "ca.pem")
        with open(not_pem, "w") as f:
            f.write("this is not a certificate\n")
        for ca, why in ((not_pem, "no PEM certificate"), (os.path.join(d, "missing.pem"), "cannot read")):
            with self.subTest(ca=ca):
                cfg = self.config(d, '"ca_file": "%s"' % ca)
                r = subprocess.run([h.SLUICE, "--check-config", "--config", cfg], capture_output=True,
                                   text=True, timeout=30)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("/providers/guarded/ca_file: ", r.stderr)
                self.assertIn(why, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
