"""The Debian package: `dpkg-buildpackage -b -uc -us` on a copy of the source tree
builds sluice_<version>_<arch>.deb with the binaries, the packaged systemd unit (system
user "sluice"), the config as a conffile, the logrotate file and the man pages, and
lintian finds no error in it.

The build compiles everything once, in release mode: it runs under
SLUICE_PACKAGE_DIR (default: BUILD/package), with ccache when there is one.
SLUICE_PACKAGE_REUSE=1 checks the package a previous run left there instead."""

import fnmatch
import os
import re
import shutil
import subprocess
import sys
import unittest

SOURCE = os.environ["SLUICE_SOURCE_DIR"]
WORK = os.environ.get("SLUICE_PACKAGE_DIR") or os.path.join(os.environ["SLUICE_BUILD_DIR"],
                                                            "package")


def meson_version():
    text = open(os.path.join(SOURCE, "meson.build")).read()
    return re.search(r"project\('sluice'.*?version\s*:\s*'([^']+)'", text, re.S).group(1)


def source_files():
    """Tracked files and new ones git does not ignore; every file but build trees
    when the source is not a git checkout."""
    try:
        out = subprocess.run(["git", "-C", SOURCE, "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], check=True, capture_output=True).stdout
        return [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for root, dirs, names in os.walk(SOURCE):
            dirs[:] = [d for d in dirs if not d.startswith(("build", ".git", "node_modules"))]
            files += [os.path.relpath(os.path.join(root, n), SOURCE) for n in names]
        return files


def build_env():
    env = dict(os.environ)
    env["DEB_BUILD_OPTIONS"] = "parallel=%d nocheck" % min(os.cpu_count() or 1, 2)
    # debhelper points HOME at a directory of its own: name ccache's cache and config
    # so that a rebuild of unchanged sources is quick.
    if shutil.which("ccache"):
        home = os.path.expanduser("~")
        env.setdefault("CCACHE_DIR", os.path.join(home, ".cache", "ccache"))
        conf = os.path.join(home, ".config", "ccache", "ccache.conf")
        if os.path.exists(conf):
            env.setdefault("CCACHE_CONFIGPATH", conf)
    return env


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.version = meson_version()
        cls.arch = subprocess.run(["dpkg", "--print-architecture"], check=True,
                                  capture_output=True, text=True).stdout.strip()
        cls.deb = os.path.join(WORK, "sluice_%s_%s.deb" % (cls.version, cls.arch))
        if not (os.environ.get("SLUICE_PACKAGE_REUSE") and os.path.exists(cls.deb)):
            cls.build()
        cls.root = os.path.join(WORK, "root")
        shutil.rmtree(cls.root, ignore_errors=True)
        subprocess.run(["dpkg-deb", "-x", cls.deb, cls.root], check=True)
        cls.control = os.path.join(WORK, "control")
        shutil.rmtree(cls.control, ignore_errors=True)
        subprocess.run(["dpkg-deb", "-e", cls.deb, cls.control], check=True)

    @classmethod
    def build(cls):
        """A fresh copy of the source tree, then dpkg-buildpackage in it."""
        shutil.rmtree(WORK, ignore_errors=True)
        tree = os.path.join(WORK, "sluice-" + cls.version)
        for f in source_files():
            src = os.path.join(SOURCE, f)
            if not os.path.isfile(src):
                continue  # deleted in the work tree but not yet in git
            os.makedirs(os.path.dirname(os.path.join(tree, f)), exist_ok=True)
            shutil.copy2(src, os.path.join(tree, f))
        log = os.path.join(WORK, "build.log")
        with open(log, "w") as out:
            r = subprocess.run(["dpkg-buildpackage", "-b", "-uc", "-us"], cwd=tree,
                               env=build_env(), stdout=out, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            sys.stderr.write(open(log).read()[-6000:])
            raise AssertionError("dpkg-buildpackage failed (%d), log in %s" % (r.returncode, log))

    def dpkg_deb(self, *args):
        return subprocess.run(["dpkg-deb", *args, self.deb], check=True, capture_output=True,
                              text=True).stdout

    def test_package_is_named_by_the_project_version(self):
        self.assertTrue(os.path.isfile(self.deb), self.deb)
        info = self.deb_info()
        self.assertEqual(info["Package"], "sluice")
        self.assertEqual(info["Version"], self.version)
        self.assertEqual(info["Architecture"], self.arch)
        self.assertIn("adduser", info["Depends"])
        self.assertIn("liburing", info["Depends"])  # shlibs found the libraries it links

    def deb_info(self):
        fields = {}
        for line in self.dpkg_deb("-f").splitlines():
            if ":" in line and not line.startswith(" "):
                k, v = line.split(":", 1)
                fields[k] = v.strip()
        return fields

    def test_contents(self):
        listing = self.dpkg_deb("-c")
        paths = {l.split()[-1].lstrip(".") for l in listing.splitlines()}
        for p in ("/usr/bin/sluice", "/usr/bin/sluice-mock", "/usr/bin/sluice-load",
                  "/lib/systemd/system/sluice.service", "/etc/sluice/sluice.json",
                  "/etc/logrotate.d/sluice", "/usr/share/man/man8/sluice.8.gz",
                  "/usr/share/man/man5/sluice.json.5.gz", "/usr/share/doc/sluice/copyright"):
            self.assertIn(p, paths)
        for b in ("sluice", "sluice-mock", "sluice-load"):
            self.assertTrue(os.access(os.path.join(self.root, "usr/bin", b), os.X_OK), b)
        # Tests and benchmarks are not built into the package.
        self.assertFalse([p for p in paths if "bench" in p or "_test" in p])

    def test_conffiles_and_maintainer_scripts(self):
        conffiles = open(os.path.join(self.control, "conffiles")).read().split()
        self.assertIn("/etc/sluice/sluice.json", conffiles)
        self.assertIn("/etc/logrotate.d/sluice", conffiles)
        postinst = open(os.path.join(self.control, "postinst")).read()
        self.assertIn("adduser --system", postinst)
        self.assertIn("/var/lib/sluice", postinst)
        # Not enabled on installation; once enabled, restarted on upgrade, stopped on removal.
        self.assertIn("deb-systemd-helper --quiet was-enabled 'sluice.service'", postinst)
        self.assertIn("deb-systemd-invoke $_dh_action 'sluice.service'", postinst)
        prerm = open(os.path.join(self.control, "prerm")).read()
        self.assertIn("deb-systemd-invoke stop 'sluice.service'", prerm)

    def test_unit_runs_as_the_system_user_with_the_packaged_paths(self):
        text = open(os.path.join(self.root, "lib/systemd/system/sluice.service")).read()
        self.assertIn("ExecStart=/usr/bin/sluice --config /etc/sluice/sluice.json\n", text)
        self.assertIn("\nUser=sluice\nGroup=sluice\n", text)
        self.assertNotIn("DynamicUser", text)
        self.assertIn("StateDirectory=sluice", text)
        self.assertIn("WorkingDirectory=/var/lib/sluice", text)
        self.assertIn("EnvironmentFile=-/etc/sluice/sluice.env", text)
        self.assertNotIn("@bindir@", text)
        self.assertNotIn("@sysconfdir@", text)
        # systemd-analyze verify, with ExecStart pointing at the unpacked binary.
        d = os.path.join(WORK, "unit")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "sluice.service"), "w") as f:
            f.write(text.replace("ExecStart=/usr/bin/sluice",
                                 "ExecStart=" + os.path.join(self.root, "usr/bin/sluice")))
        analyze = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
        r = subprocess.run([analyze, "verify", "--man=no", os.path.join(d, "sluice.service")],
                           capture_output=True, text=True)
        self.assertEqual([l for l in (r.stdout + r.stderr).splitlines() if "sluice" in l], [])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_packaged_binary_accepts_the_packaged_config(self):
        config = os.path.join(self.root, "etc/sluice/sluice.json")
        r = subprocess.run([os.path.join(self.root, "usr/bin/sluice"), "--check-config",
                            "--config", config], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        text = open(config).read()
        self.assertIn('"/var/lib/sluice/', text)  # the ledger in the state directory
        self.assertNotRegex(text, r"sk-[A-Za-z0-9]{8}")  # no provider key in the file

    def test_logrotate_covers_the_access_log_and_sends_hup(self):
        config = open(os.path.join(self.root, "etc/sluice/sluice.json")).read()
        access_log = re.search(r'"access_log"\s*:\s*"([^"]+)"', config).group(1)
        rotate = open(os.path.join(self.root, "etc/logrotate.d/sluice")).read()
        pattern = rotate.split("{", 1)[0].strip()
        self.assertTrue(fnmatch.fnmatch(access_log, pattern), (access_log, pattern))
        self.assertRegex(rotate, r"postrotate\s+(#[^\n]*\n\s*)*systemctl kill --signal=HUP")

    def test_lintian_reports_no_errors(self):
        r = subprocess.run(["lintian", "--tag-display-limit", "0", self.deb], capture_output=True,
                           text=True)
        tags = [l for l in r.stdout.splitlines() if re.match(r"[EWIPNX]: ", l)]
        sys.stderr.write("lintian:\n" + "\n".join(tags) + "\n")
        self.assertEqual([t for t in tags if t.startswith("E: ")], [])
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
