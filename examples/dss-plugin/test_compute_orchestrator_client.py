"""The client against a fake API on loopback (standard library only): python3 -m unittest, in this folder."""

import json
import socket
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import compute_orchestrator_client as orchestrator


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


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
        self.server.script, self.server.requests = [], []
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.clock = FakeClock()
        self.client = orchestrator.Client("http://127.0.0.1:%d/" % self.server.server_port, "secret", sleep=self.clock.sleep, clock=lambda: self.clock.now)

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()

    def script(self, *answers):
        self.server.script.extend(answers)

    def test_start_sends_a_request_id_and_the_token_and_retries_with_the_same_id(self):
        self.script((503, {"error": {"code": "UNAVAILABLE", "message": "a moment"}}), (202, {"jobId": "any", "workflowId": "spark-job-any"}))
        self.client.start_spark_job("alice", {"image": "i", "mainApplicationFile": "local:///x.jar"}, timeout_seconds=60)
        first, second = self.server.requests
        self.assertEqual(first["body"], second["body"])
        self.assertRegex(first["body"]["jobId"], r"^dss-[0-9a-f]{20}$")
        self.assertEqual(first["body"]["timeoutSeconds"], 60)
        self.assertNotIn("cluster", first["body"])
        self.assertEqual(first["authorization"], "Bearer secret")
        self.assertEqual(len(self.clock.sleeps), 1)

    def test_errors_are_typed_with_code_field_and_message(self):
        self.script((400, {"error": {"code": "VALIDATION", "message": "app.image is required", "field": "app.image"}}))
        with self.assertRaises(orchestrator.ValidationError) as raised:
            self.client.start_spark_job("alice", {"mainApplicationFile": "local:///x.jar"})
        self.assertEqual((raised.exception.status, raised.exception.code, raised.exception.field), (400, "VALIDATION", "app.image"))
        self.script((409, {"error": {"code": "LIMIT_EXCEEDED", "message": "too many"}}), (409, {"error": {"code": "CONFLICT", "message": "ended"}}))
        self.assertRaises(orchestrator.LimitExceeded, self.client.start_kernel, "alice")
        with self.assertRaises(orchestrator.Conflict) as conflict:
            self.client.cancel_spark_job("j1")
        self.assertNotIsInstance(conflict.exception, orchestrator.LimitExceeded)
        self.assertEqual(self.server.requests[-1]["body"], {})
        self.script((404, {"error": {"code": "NOT_FOUND", "message": "no kernel 'k'"}}))
        self.assertRaises(orchestrator.NotFound, self.client.kernel, "k")

    def test_follow_polls_with_growing_delays_until_ended_and_cleaned_up(self):
        job = {"jobId": "j1", "phase": "RUNNING", "cleanedUp": False}
        self.script(*[(200, job)] * 4, (200, dict(job, phase="SUCCEEDED", exitCode=0)), (200, dict(job, phase="SUCCEEDED", exitCode=0, cleanedUp=True)))
        changes = []
        final = self.client.follow_spark_job("j1", on_change=changes.append)
        self.assertEqual(final["cleanedUp"], True)
        self.assertEqual([(change["phase"], change["cleanedUp"]) for change in changes], [("RUNNING", False), ("SUCCEEDED", False), ("SUCCEEDED", True)])
        unchanged = self.clock.sleeps[:4]
        self.assertTrue(all(later > earlier for earlier, later in zip(unchanged, unchanged[1:])), unchanged)
        self.assertLess(self.clock.sleeps[4], self.clock.sleeps[3])

    def test_follow_gives_up_at_its_deadline_with_the_last_status(self):
        self.script(*[(200, {"kernelId": "k", "phase": "STARTING", "cleanedUp": False})] * 50)
        with self.assertRaises(orchestrator.DeadlineExceeded) as raised:
            self.client.follow_kernel("k", until=("RUNNING",), deadline_seconds=10)
        self.assertEqual(raised.exception.last["phase"], "STARTING")
        self.assertLessEqual(self.clock.now, 10)

    def test_follow_kernel_reports_each_step_once(self):
        steps = [{"step": "namespace created", "at": "t1", "source": "orchestrator"}, {"step": "Normal Scheduled", "at": "t2", "source": "kubernetes"}]
        self.script((200, {"kernelId": "k", "phase": "STARTING", "cleanedUp": False}), (200, {"steps": steps[:1]}),
                    (200, {"kernelId": "k", "phase": "RUNNING", "cleanedUp": False}), (200, {"steps": steps}))
        seen = []
        self.assertEqual(self.client.follow_kernel("k", until=("RUNNING",), on_step=seen.append)["phase"], "RUNNING")
        self.assertEqual(seen, steps)

    def test_token_and_url_from_plugin_settings_then_the_environment(self):
        environ = {"COMPUTE_ORCHESTRATOR_URL": "http://env:8080", "COMPUTE_ORCHESTRATOR_TOKEN": "from-env"}
        from_settings = orchestrator.Client.from_settings({"orchestratorUrl": "https://orchestrator.example.com", "orchestratorToken": "from-settings"}, environ)
        self.assertEqual((from_settings.url, from_settings._token), ("https://orchestrator.example.com", "from-settings"))
        self.assertEqual(orchestrator.Client.from_settings(None, environ).url, "http://env:8080")
        self.assertNotIn("from-settings", repr(from_settings))
        self.assertRaises(ValueError, orchestrator.Client.from_settings, {}, {})

    def test_no_answer_at_all_is_unreachable_after_the_retries(self):
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            port = closed.getsockname()[1]
        client = orchestrator.Client("http://127.0.0.1:%d" % port, "secret", retries=2, sleep=self.clock.sleep)
        self.assertRaises(orchestrator.Unreachable, client.spark_job, "j1")
        self.assertEqual(len(self.clock.sleeps), 2)


if __name__ == "__main__":
    unittest.main()
