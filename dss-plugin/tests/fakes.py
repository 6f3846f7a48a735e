"""What the plugin's tests share: the library on the path (as DSS puts python-lib), a fake API on
loopback, a fake clock."""

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python-lib"))


class FakeApi(BaseHTTPRequestHandler):
    """Answers from ``server.script``: a list of (status, body) taken in order; records every request."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.server.requests.append({"method": self.command, "path": self.path, "body": body, "authorization": self.headers.get("Authorization")})
        status, answer = self.server.script.pop(0)
        payload = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args):
        pass


def start_fake_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    server.script, server.requests = [], []
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def stop_fake_api(server):
    server.shutdown()
    server.server_close()


class FakeClock:
    def __init__(self, now=0.0):
        self.now = now
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def time(self):
        return self.now
