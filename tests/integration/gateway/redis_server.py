"""A real Redis server for tests: redis-server on a free port of 127.0.0.1 in a
temporary folder, without persistence, stopped and removed by stop(). Standard library
only; the client side is a few RESP commands over a socket.

    r = redis_server.Server()      # raises unittest.SkipTest when redis-server is missing
    r.url                          # redis://127.0.0.1:PORT/0
    r.command("KEYS", "*")         # -> [b"sluice:fleet:instances", ...]
    r.stop_server(); r.start_server()   # an outage and its end (same port)
    r.stop()
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, password=None, unix_socket=False):
        self.bin = shutil.which("redis-server")
        if self.bin is None:
            raise unittest.SkipTest("redis-server not installed (apt-get install redis-server)")
        self.dir = tempfile.mkdtemp(prefix="sluice-redis-")
        self.port = _free_port()
        self.password = password
        self.socket = os.path.join(self.dir, "redis.sock") if unix_socket else None
        self.url = ("unix://%s?db=0" % self.socket if unix_socket
                    else "redis://127.0.0.1:%d/0" % self.port)
        self.proc = None
        self.start_server()

    def start_server(self):
        self.proc = subprocess.Popen(
            [self.bin, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--enable-debug-command", "local", "--dir", self.dir, "--logfile", os.path.join(self.dir, "log")]
            + (["--requirepass", self.password] if self.password else [])
            + (["--unixsocket", self.socket, "--unixsocketperm", "700"] if self.socket else []),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if self.command("PING") == b"PONG":
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer on port %d" % self.port)

    def stop_server(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def stop(self):
        self.stop_server()
        shutil.rmtree(self.dir, ignore_errors=True)

    def command(self, *args, timeout=5):
        """One command; the reply as bytes, int, list or an exception for an error."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            out = b"*%d\r\n" % len(args)
            for a in args:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            if self.password:
                auth = b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(self.password),
                                                                 self.password.encode())
                out = auth + out
            s.sendall(out)
            f = s.makefile("rb")
            if self.password:
                _read(f)
            return _read(f)


def _read(f):
    line = f.readline()
    if not line:
        raise OSError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest
    if kind == b"-":
        return RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read(f) for _ in range(n)]
    raise OSError("bad reply: %r" % line)
