"""A concurrency limit shared by a fleet (docs/FLEET.md): three real sluice processes
lease slots of one `concurrent_requests` limit from a real Redis, so the provider never
has more requests in flight than the limit, whichever instance they came through, also
after one instance is killed with its slots leased. The provider is a small HTTP server
in this test that holds each answer a while and counts what it has in flight."""

import http.server
import os
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
import redis_server  # noqa: E402

BODY = {"model": "gpt", "max_tokens": 16,
        "messages": [{"role": "user", "content": "Say something short."}]}
LIMIT = 4


class SlowProvider(http.server.BaseHTTPRequestHandler):
    """Answers every chat completion after 150 ms; counts requests in flight."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        srv = self.server
        with srv.lock:
            srv.in_flight += 1
            srv.served += 1
            srv.max_in_flight = max(srv.max_in_flight, srv.in_flight)
        time.sleep(0.15)
        with srv.lock:
            srv.in_flight -= 1
        body = h.COMPLETION
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def config(directory, port, redis_url, instance):
    text = """{
  "listen": [{ "address": "127.0.0.1", "port": 0 }],
  "shards": 2,
  "ledger": { "path": "%s/ledger-%s.db", "flush_ms": 20 },
  "server": { "access_log": "off" },
  "fleet": { "redis": "%s", "instance": "%s", "lease_ms": 1000 },
  "providers": { "mock": { "kind": "openai", "base_url": "http://127.0.0.1:%d/v1" } },
  "models": { "gpt": { "targets": [{ "provider": "mock", "model": "gpt-4o-mini" }],
                       "limits": { "concurrent_requests": %d } } },
  "projects": { "default": {} },
  "allow_anonymous": true,
  "keys": []
}""" % (directory, instance, redis_url, instance, port, LIMIT)
    path = os.path.join(directory, "sluice-%s.json" % instance)
    with open(path, "w") as f:
        f.write(text)
    return path


class FleetConcurrency(unittest.TestCase):
    def test_one_concurrency_limit_for_the_fleet_also_when_an_instance_dies(self):
        d = tempfile.mkdtemp()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowProvider)
        server.handle_error = lambda request, address: None  # the killed one's resets
        server.lock = threading.Lock()
        server.in_flight = server.served = server.max_in_flight = 0
        threading.Thread(target=server.serve_forever, daemon=True).start()
        redis = redis_server.Server()
        procs = []
        try:
            procs = [h.start_sluice(config(d, server.server_address[1], redis.url, name))
                     for name in ("gw-a", "gw-b", "gw-c")]
            ports = [p.port for p in procs]
            live = set(ports)
            done = threading.Event()
            statuses = []
            lock = threading.Lock()

            def client(i):
                n = i
                while not done.is_set():
                    port = ports[n % 3]
                    n += 1
                    if port not in live:
                        continue
                    try:
                        status = h.http(port, "POST", "/v1/chat/completions", BODY,
                                        timeout=30).status
                    except (OSError, EOFError):
                        status = None
                    with lock:
                        statuses.append((port, status))
                    if status == 429:
                        time.sleep(0.01)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(12)]
            for t in threads:
                t.start()
            try:
                time.sleep(4)
                live.discard(ports[0])
                procs[0].proc.kill()  # SIGKILL with slots leased: they expire in Redis
                procs[0].proc.wait()
                with lock:
                    killed_at = len(statuses)
                time.sleep(4)
            finally:
                done.set()
                for t in threads:
                    t.join()
            after = [s for p, s in statuses[killed_at:] if p != ports[0]]
            print("\nfleet concurrency: at most %d in flight at the provider (limit %d), "
                  "%d served" % (server.max_in_flight, LIMIT, server.served), file=sys.stderr)
            self.assertLessEqual(server.max_in_flight, LIMIT)
            self.assertGreaterEqual(server.max_in_flight, 2)  # the slots are used
            # The slots went to more than one instance (how many each got depends on the
            # machine's load), and the survivors go on after the kill.
            admitting = {p for p, s in statuses if s == 200}
            self.assertGreaterEqual(len(admitting), 2, statuses[:50])
            self.assertIn(200, after)
            self.assertLessEqual(set(after), {200, 429})
            procs = procs[1:]
        finally:
            for p in procs:
                p.stop()
            redis.stop()
            server.shutdown()


if __name__ == "__main__":
    unittest.main(verbosity=2)
