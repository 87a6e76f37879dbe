"""A real PostgreSQL cluster for tests: created with initdb in a temporary folder, started
with pg_ctl on a Unix socket in that folder and a free port on 127.0.0.1, stopped and
removed by stop(). As root the server runs as the `postgres` user (PostgreSQL refuses to
run as root). Standard library only; the client side is psql.

    db = pg.Cluster()            # raises unittest.SkipTest when PostgreSQL is missing
    url = db.url("sluice")       # postgresql://sluice@127.0.0.1:PORT/sluice
    db.query("SELECT count(*) FROM requests")  -> [["12"]]
    db.stop_server(); db.start_server()        # an outage and its end
    db.stop()
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import unittest


def _bin_dir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for d in dirs:
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    return None


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Cluster:
    def __init__(self, user="sluice", database="sluice"):
        self.bin = _bin_dir()
        if self.bin is None:
            raise unittest.SkipTest("PostgreSQL server binaries not installed (apt-get install postgresql)")
        self.user = user
        self.database = database
        self.dir = tempfile.mkdtemp(prefix="sluice-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.sock = self.dir
        self.port = _free_port()
        self._as = None
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._as = (pw.pw_uid, pw.pw_gid)
        self._run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "postgres",
                   "--auth=trust", "-E", "UTF8", "--no-sync"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "listen_addresses = '127.0.0.1'\nport = %d\n"
                    "unix_socket_directories = '%s'\nmax_connections = 50\n" % (self.port, self.sock))
        self.start_server()
        self.psql("postgres", "CREATE ROLE %s LOGIN SUPERUSER" % user)
        self.psql("postgres", "CREATE DATABASE %s OWNER %s" % (database, user))

    def _preexec(self):
        if self._as:
            os.setgid(self._as[1])
            os.setuid(self._as[0])

    def _run(self, argv, check=True, input=None):
        r = subprocess.run(argv, preexec_fn=self._preexec, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, input=input, cwd=self.dir)
        if check and r.returncode != 0:
            raise RuntimeError("%s failed (%d):\n%s%s" % (argv[0], r.returncode,
                                                        r.stdout.decode(), r.stderr.decode()))
        return r

    def start_server(self):
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-w", "-t", "60",
                   "-l", os.path.join(self.dir, "server.log"), "start"])

    def stop_server(self, mode="fast"):
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-w", "-t", "60",
                   "-m", mode, "stop"], check=False)

    def url(self, database=None):
        return "postgresql://%s@127.0.0.1:%d/%s" % (self.user, self.port, database or self.database)

    def socket_url(self, database=None):
        return "postgresql://%s@/%s?host=%s&port=%d" % (self.user, database or self.database,
                                                       self.sock, self.port)

    def psql(self, database, sql):
        r = self._run([os.path.join(self.bin, "psql") if os.path.exists(os.path.join(self.bin, "psql"))
                       else "psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                       "-h", self.sock, "-p", str(self.port), "-U", "postgres", "-d", database,
                       "-c", sql])
        return r.stdout.decode()

    def query(self, sql, database=None):
        """Rows as lists of strings (NULL as '')."""
        out = self.psql(database or self.database, sql)
        return [line.split("\t") for line in out.splitlines() if line != ""]

    def stop(self):
        self.stop_server("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
