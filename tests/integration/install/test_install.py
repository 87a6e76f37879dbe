"""`meson install --destdir`: the binaries, the systemd unit, the example config and the
man pages land where an operator expects them, the unit passes `systemd-analyze
verify`, the installed binary accepts the installed config, and a second install does
not overwrite an edited config."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

BUILD = os.environ["SLUICE_BUILD_DIR"]
SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"


def meson_option(name):
    out = subprocess.run(["meson", "introspect", "--buildoptions", BUILD], check=True,
                         capture_output=True, text=True).stdout
    for opt in json.loads(out):
        if opt["name"] == name:
            return opt["value"]
    raise KeyError(name)


def installed_dir(option):
    """An install directory option as an absolute path (relative ones are under prefix)."""
    value = meson_option(option)
    return value if value.startswith("/") else meson_option("prefix") + "/" + value


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dest = tempfile.mkdtemp()
        cls.install()
        prefix = meson_option("prefix")
        cls.root = cls.dest + prefix
        cls.etc = cls.dest + installed_dir("sysconfdir") + "/sluice"
        unit_dir = meson_option("systemd_unit_dir") or prefix + "/lib/systemd/system"
        cls.unit = cls.dest + unit_dir + "/sluice.service"

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dest, ignore_errors=True)

    @classmethod
    def install(cls):
        subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
                        "--destdir", cls.dest], check=True, capture_output=True)

    def test_files_are_in_place(self):
        for f in ("bin/sluice", "bin/sluice-mock", "bin/sluice-load"):
            self.assertTrue(os.access(os.path.join(self.root, f), os.X_OK), f)
        for f in ("share/man/man8/sluice.8", "share/man/man5/sluice.json.5"):
            with open(os.path.join(self.root, f)) as fh:
                self.assertTrue(fh.read().startswith(".TH SLUICE"), f)
        self.assertTrue(os.path.isfile(self.unit))
        self.assertTrue(os.path.isfile(os.path.join(self.etc, "sluice.json.example")))
        self.assertTrue(os.path.isfile(os.path.join(self.etc, "sluice.json")))

    def test_unit_names_the_installed_paths_and_required_settings(self):
        text = open(self.unit).read()
        self.assertNotIn("@bindir@", text)
        self.assertNotIn("@sysconfdir@", text)
        self.assertIn("ExecStart=%s/sluice --config %s/sluice/sluice.json\n"
                      % (installed_dir("bindir"), installed_dir("sysconfdir")), text)
        for line in ("Type=notify", "NotifyAccess=main", "WatchdogSec=", "Restart=on-failure",
                     "ExecReload=/bin/kill -HUP $MAINPID", "DynamicUser=yes", "StateDirectory=sluice",
                     "LoadCredential=", "LimitNOFILE=", "NoNewPrivileges=yes", "ProtectSystem=strict",
                     "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=\n",
                     "SystemCallFilter=@system-service io_uring_setup io_uring_enter io_uring_register"):
            self.assertIn(line, text)

    def test_unit_passes_systemd_analyze_verify(self):
        # The unit as installed, with ExecStart pointing into the destdir (the real
        # path exists only after a real install).
        text = open(self.unit).read()
        binary = os.path.join(self.root, "bin", "sluice")
        text = re.sub(r"^ExecStart=\S+", "ExecStart=" + binary, text, flags=re.M)
        d = tempfile.mkdtemp()
        try:
            path = os.path.join(d, "sluice.service")
            with open(path, "w") as f:
                f.write(text)
            r = subprocess.run([SYSTEMD_ANALYZE, "verify", "--man=no", path],
                               capture_output=True, text=True)
            # Only messages about this unit count: a container without a running
            # systemd may complain about the host's own units.
            mine = [l for l in (r.stdout + r.stderr).splitlines() if "sluice" in l]
            self.assertEqual(mine, [])
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        finally:
            shutil.rmtree(d)

    def test_installed_binary_accepts_the_installed_config(self):
        r = subprocess.run([os.path.join(self.root, "bin", "sluice"), "--check-config", "--config",
                            os.path.join(self.etc, "sluice.json")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("valid", r.stdout)

    def test_reinstall_keeps_an_edited_config(self):
        path = os.path.join(self.etc, "sluice.json")
        with open(path, "a") as f:
            f.write("\n// edited by the operator\n")
        self.install()
        self.assertIn("edited by the operator", open(path).read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
