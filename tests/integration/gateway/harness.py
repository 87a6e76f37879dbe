"""Integration harness: starts the real sluice and sluice-mock binaries on loopback
(port 0, the bound port read from their "listening on" log line) and talks to them
over plain sockets. Standard library only."""

import json
import os
import re
import select
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time

SLUICE = os.environ.get("SLUICE_BIN", "build/sluice")
MOCK = os.environ.get("SLUICE_MOCK_BIN", "build/tools/mock/sluice-mock")
FIXTURES = os.environ.get("SLUICE_FIXTURES", os.path.join(os.path.dirname(__file__), "../../../../shared/fixtures"))

LISTEN_RE = re.compile(rb"listening on [0-9.:\[\]a-f]+:(\d+)")


class Process:
    """A child process whose stderr is collected; `port` is the first port it logged."""

    def __init__(self, argv, env=None, wait_listen=True):
        e = dict(os.environ)
        if env:
            e.update(env)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=e)
        self.err = b""
        self.out = b""
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self.port = None
        self._t = threading.Thread(target=self._pump, args=(self.proc.stderr, "err"), daemon=True)
        self._t.start()
        self._t2 = threading.Thread(target=self._pump, args=(self.proc.stdout, "out"), daemon=True)
        self._t2.start()
        if wait_listen:
            if not self._listening.wait(20):
                self.kill()
                raise RuntimeError("no 'listening on' line from %s:\n%s" % (argv[0], self.stderr()))

    def _pump(self, f, which):
        for line in iter(f.readline, b""):
            with self._lock:
                if which == "err":
                    self.err += line
                    m = LISTEN_RE.search(line)
                    if m and self.port is None:
                        self.port = int(m.group(1))
                        self._listening.set()
                else:
                    self.out += line

    def stderr(self):
        with self._lock:
            return self.err.decode(errors="replace")

    def stderr_bytes(self):
        with self._lock:
            return bytes(self.err)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=30):
        rc = self.proc.wait(timeout)
        self._t.join(5)
        self._t2.join(5)
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        """SIGTERM and wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.wait(40)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9


def start_mock(*args):
    return Process([MOCK, "--port", "0", "--threads", "1", *args])


def write_config(directory, text):
    path = os.path.join(directory, "sluice.json")
    with open(path, "w") as f:
        f.write(text)
    return path


def mock_config(mock_port, directory, extra_providers="", models=None, projects=None, keys="[]",
                server='{}', shards=1, ledger_flush_ms=20, extra="", ledger=""):
    """A config fronting one sluice-mock: an openai, an anthropic and a gemini provider on it.
    `ledger`: more members of the "ledger" object, e.g. '"kind": "postgres", "url": "..."'."""
    models = models or """{
      "gpt-4o-mini": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini-2024-07-18" }],
                       "price": { "input_per_mtok": 0.15, "output_per_mtok": 0.60, "cached_input_per_mtok": 0.075 } },
      "claude": { "targets": [{ "provider": "mock-anthropic", "model": "claude-sonnet-4-5" }],
                  "price": { "input_per_mtok": 3.0, "output_per_mtok": 15.0 } },
      "gemini-flash": { "targets": [{ "provider": "mock-gemini", "model": "gemini-flash" }],
                        "price": { "input_per_mtok": 0.30, "output_per_mtok": 2.50 } }
    }"""
    projects = projects or '{ "default": {}, "team": {} }'
    text = """{
  "listen": [{ "address": "127.0.0.1", "port": 0 }],
  "shards": %d,
  "ledger": { "path": "%s/ledger.db", "flush_ms": %d%s },
  "server": %s,
  "providers": {
    "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" },
    "mock-anthropic": { "kind": "anthropic", "base_url": "http://127.0.0.1:%d" },
    "mock-gemini": { "kind": "gemini", "base_url": "http://127.0.0.1:%d" }%s
  },
  "models": %s,
  "projects": %s,
  "allow_anonymous": %s,
  "keys": %s%s
}""" % (shards, directory, ledger_flush_ms, (", " + ledger) if ledger else "", server, mock_port, mock_port, mock_port,
        extra_providers, models, projects, "true" if keys == "[]" else "false", keys, extra)
    return write_config(directory, text)


def wait_for_log(proc, text, count=1, timeout=30):
    """True once `text` appears `count` times in the process's stderr."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.stderr().count(text) >= count:
            return True
        time.sleep(0.05)
    return False


def start_sluice(config_path, env=None):
    return Process([SLUICE, "--config", config_path], env=env)


# ---- raw HTTP over sockets ------------------------------------------------------------

def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Response:
    def __init__(self, status, reason, headers, body, raw_body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as sent
        self.body = body        # decoded (de-chunked) bytes
        self.raw_body = raw_body  # bytes as framed on the wire

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def sse_data(self):
        """The `data:` payloads of an SSE body, in order (CRLF or LF framing)."""
        out = []
        for line in self.body.replace(b"\r\n", b"\n").split(b"\n"):
            if line.startswith(b"data:"):
                out.append(line[5:].strip())
        return out


class Reader:
    """Reads HTTP/1.1 responses off one socket, keeping leftovers for pipelining.
    `buf[pos:]` is unread; it is compacted now and then so long streams stay linear."""

    def __init__(self, sock):
        self.sock = sock
        self._buf = bytearray()
        self._pos = 0

    @property
    def buf(self):
        return bytes(self._buf[self._pos:])

    @buf.setter
    def buf(self, value):
        self._buf = bytearray(value)
        self._pos = 0

    def _fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise EOFError("connection closed")
        if self._pos > 1 << 20:
            del self._buf[:self._pos]
            self._pos = 0
        self._buf += chunk

    def _line(self):
        while True:
            i = self._buf.find(b"\r\n", self._pos)
            if i >= 0:
                line = bytes(self._buf[self._pos:i])
                self._pos = i + 2
                return line
            self._fill()

    def _exact(self, n):
        while len(self._buf) - self._pos < n:
            self._fill()
        data = bytes(self._buf[self._pos:self._pos + n])
        self._pos += n
        return data

    def read(self, head_request=False):
        while True:
            status_line = self._line()
            parts = status_line.split(b" ", 2)
            status = int(parts[1])
            headers = []
            while True:
                line = self._line()
                if not line:
                    break
                k, v = line.split(b":", 1)
                headers.append((k.decode(), v.strip().decode()))
            if 100 <= status < 200:
                continue
            break
        hdr = {k.lower(): v for k, v in headers}
        raw = b""
        body = b""
        if head_request or status in (204, 304):
            pass
        elif hdr.get("transfer-encoding", "").lower() == "chunked":
            raw_parts, body_parts = [], []  # joined once: += on bytes is quadratic
            while True:
                size_line = self._line()
                raw_parts.append(size_line + b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                if size == 0:
                    trailer = self._line()
                    raw_parts.append(trailer + b"\r\n")
                    while trailer:
                        trailer = self._line()
                        raw_parts.append(trailer + b"\r\n")
                    break
                data = self._exact(size)
                crlf = self._exact(2)
                raw_parts.append(data + crlf)
                body_parts.append(data)
            raw, body = b"".join(raw_parts), b"".join(body_parts)
        elif "content-length" in hdr:
            body = self._exact(int(hdr["content-length"]))
            raw = body
        else:
            try:
                while True:
                    self._fill()
            except EOFError:
                pass
            body = self.buf
            self.buf = b""
            raw = body
        return Response(status, parts[2].decode() if len(parts) > 2 else "", headers, body, raw)


def request_bytes(method, path, body=b"", headers=None, http10=False):
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    # JSON unless the test says otherwise (a header given in any case, or None to send none).
    if body and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    headers = {k: v for k, v in headers.items() if v is not None}
    lines = ["%s %s HTTP/1.%d" % (method, path, 0 if http10 else 1), "Host: 127.0.0.1"]
    for k, v in headers.items():
        lines.append("%s: %s" % (k, v))
    if body or method in ("POST", "PUT"):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def http(port, method, path, body=b"", headers=None, timeout=20):
    with connect(port, timeout) as s:
        s.sendall(request_bytes(method, path, body, headers))
        return Reader(s).read(head_request=(method == "HEAD"))


def send_raw(port, data, timeout=10):
    """Sends raw bytes; returns the first response, or None if the connection closed."""
    with connect(port, timeout) as s:
        s.sendall(data)
        try:
            return Reader(s).read()
        except (EOFError, ConnectionResetError):
            return None


def closed_after(sock, timeout=5):
    """True when the peer closes the connection within `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


# ---- ledger ---------------------------------------------------------------------------

def metric_sum(port, name):
    """The sum of one metric's samples in /metrics, over its labels (0 when absent)."""
    total = 0.0
    for line in http(port, "GET", "/metrics").body.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def ledger_rows(directory, where="1=1", wait_for=None, timeout=10):
    """Rows of the requests table as dicts; waits until `wait_for` rows are there."""
    path = os.path.join(directory, "ledger.db")
    deadline = time.time() + timeout
    while True:
        rows = []
        try:
            db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
            db.row_factory = sqlite3.Row
            rows = [dict(r) for r in db.execute("select * from requests where " + where + " order by ts_ms")]
            db.close()
        except sqlite3.OperationalError:
            pass
        if wait_for is None or len(rows) >= wait_for or time.time() > deadline:
            return rows
        time.sleep(0.05)


# A small non-streamed chat completion, as a stand-in provider answers it.
COMPLETION = json.dumps({"id": "c", "object": "chat.completion", "model": "gpt-4o-mini",
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": "hi"}}],
                         "usage": {"prompt_tokens": 5, "completion_tokens": 1,
                                   "total_tokens": 6}}).encode()


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


class FixtureServer:
    """A stand-in provider that answers every request with fixed bytes (a fixture) and
    records what it received. `split` sends the body in pieces of that many bytes with a
    short pause, as a real provider's stream arrives."""

    def __init__(self, status=200, content_type="text/event-stream", body=b"", chunked=True,
                 split=0, delay_first=0.0, hang=False, drop_after=None, headers=""):
        self.status, self.content_type, self.body = status, content_type, body
        self.headers = headers  # extra raw header lines ("Name: value\r\n") in every answer
        self.chunked, self.split, self.delay_first, self.hang = chunked, split, delay_first, hang
        self.drop_after = drop_after
        self.requests = []  # (head bytes, body bytes)
        self.closed_early = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self):
        self._stop = True
        self.sock.close()

    def _serve(self):
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._conn, args=(c,), daemon=True).start()

    def _conn(self, c):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                n = int(m.group(1)) if m else 0
                while len(buf) < n:
                    buf += c.recv(65536)
                body, buf = buf[:n], buf[n:]
                self.requests.append((head, body))
                if self.hang:
                    time.sleep(30)
                    return
                if self.delay_first:
                    time.sleep(self.delay_first)
                self._answer(c)
        except (BrokenPipeError, ConnectionResetError):
            self.closed_early.set()
        finally:
            c.close()

    def _answer(self, c):
        head = "HTTP/1.1 %d OK\r\nContent-Type: %s\r\n%s" % (self.status, self.content_type, self.headers)
        if self.chunked:
            c.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
            pieces = [self.body[i:i + self.split] for i in range(0, len(self.body), self.split)] if self.split else [self.body]
            for i, p in enumerate(pieces):
                if self.drop_after is not None and i >= self.drop_after:
                    c.shutdown(socket.SHUT_RDWR)
                    return
                c.sendall(b"%x\r\n%s\r\n" % (len(p), p))
                if self.split:
                    time.sleep(0.01)
            c.sendall(b"0\r\n\r\n")
        else:
            c.sendall((head + "Content-Length: %d\r\n\r\n" % len(self.body)).encode() + self.body)


def fill_disk(directory):
    """Writes a file in `directory` until its file system is full; the file's path."""
    filler = os.path.join(directory, "filler")
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    return filler
