"""The client against a fake API on loopback (standard library only)."""

import socket
import unittest

from fakes import FakeClock, start_fake_api, stop_fake_api

import compute_orchestrator as orchestrator


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.server = start_fake_api()
        self.clock = FakeClock()
        self.client = orchestrator.Client("http://127.0.0.1:%d/" % self.server.server_port, "secret", sleep=self.clock.sleep, clock=lambda: self.clock.now)

    def tearDown(self):
        stop_fake_api(self.server)

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

    def test_follow_goes_on_through_an_outage_of_the_api_and_gives_up_on_a_long_one(self):
        unavailable = (503, {"error": {"code": "UNAVAILABLE", "message": "its workflow's worker did not answer"}})
        job = {"jobId": "j1", "phase": "RUNNING", "cleanedUp": False}
        # Each read tries 5 times (retries=4): two reads that fail, then the job again.
        self.script((200, job), *[unavailable] * 10, (200, dict(job, phase="SUCCEEDED", cleanedUp=True)))
        self.assertEqual(self.client.follow_spark_job("j1")["phase"], "SUCCEEDED")
        client = orchestrator.Client(self.client.url, "secret", outage_seconds=20, sleep=self.clock.sleep, clock=lambda: self.clock.now)
        self.script((200, job), *[unavailable] * 100)
        with self.assertRaises(orchestrator.ServerError):
            client.follow_spark_job("j1")
        self.assertLess(len(self.server.script), 100)

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

    def test_clusters_are_created_by_name_with_their_presets_and_followed_to_running(self):
        self.script((202, {"name": "c1", "workflowId": "cluster-c1"}), (202, {"name": "att", "workflowId": "cluster-att"}))
        self.client.create_cluster("c1", "gke", connection="prod", node_pools=("small", "gpu"), idle_ttl_seconds=3600)
        self.client.create_cluster("att", "static")
        self.assertEqual([request["body"] for request in self.server.requests], [
            {"name": "c1", "provider": "gke", "gke": {"connection": "prod", "nodePools": ["small", "gpu"]}, "idleTtlSeconds": 3600},
            {"name": "att", "provider": "static"},
        ])
        provisioning = {"name": "c1", "phase": "PROVISIONING", "progress": {"status": "creating", "at": "t1", "elapsedSeconds": 1}}
        self.script((200, provisioning), (200, dict(provisioning, progress=dict(provisioning["progress"], elapsedSeconds=3))),
                    (200, dict(provisioning, progress={"status": "creating", "percent": 50, "at": "t2", "elapsedSeconds": 5})),
                    (200, {"name": "c1", "phase": "RUNNING", "endpoint": "10.0.0.1"}))
        changes = []
        self.assertEqual(self.client.follow_cluster("c1", on_change=changes.append)["phase"], "RUNNING")
        # The seconds counting up are not a change: the poll keeps slowing down meanwhile.
        self.assertEqual([(change["phase"], change.get("progress", {}).get("percent")) for change in changes], [("PROVISIONING", None), ("PROVISIONING", 50), ("RUNNING", None)])
        self.assertGreater(self.clock.sleeps[1], self.clock.sleeps[0])
        self.assertEqual(self.server.requests[-1]["path"], "/v1/clusters/c1")

    def test_following_a_cluster_stops_at_its_end_whatever_was_awaited(self):
        self.script((200, {"name": "c1", "phase": "PROVISIONING"}), (200, {"name": "c1", "phase": "FAILED", "error": "quota"}))
        self.assertEqual(self.client.follow_cluster("c1")["error"], "quota")
        self.script((200, {"name": "c1", "phase": "DELETING"}), (200, {"name": "c1", "phase": "DELETED"}))
        self.assertEqual(self.client.follow_cluster("c1", until=())["phase"], "DELETED")

    def test_node_pool_operations_are_followed_in_the_cluster_status_until_done_or_failed(self):
        self.script((202, {"name": "c1", "pool": "small", "operationId": "op-1"}))
        self.assertEqual(self.client.resize_node_pool("c1", "small", 3)["operationId"], "op-1")
        self.assertEqual(self.server.requests[-1], dict(self.server.requests[-1], method="POST", path="/v1/clusters/c1/node-pools/small/size", body={"nodeCount": 3}))
        running = {"id": "op-1", "kind": "resize", "pool": "small", "nodeCount": 3, "state": "RUNNING", "requestedAt": "t"}
        other = {"id": "op-0", "kind": "add", "pool": "gpu", "state": "DONE", "requestedAt": "t"}
        self.script((200, {"name": "c1", "phase": "RUNNING", "nodePoolOperations": [other, running]}),
                    (200, {"name": "c1", "phase": "RUNNING", "nodePoolOperations": [other, dict(running, state="DONE")], "nodePools": [{"name": "small", "nodeCount": 3}]}))
        self.assertEqual(self.client.follow_node_pool_operation("c1", "op-1")["nodePools"], [{"name": "small", "nodeCount": 3}])

        self.script((202, {"name": "c1", "pool": "gpu2", "operationId": "op-2"}))
        self.client.add_node_pool("c1", "gpu2", "gpu")
        self.assertEqual((self.server.requests[-1]["path"], self.server.requests[-1]["body"]), ("/v1/clusters/c1/node-pools", {"name": "gpu2", "preset": "gpu"}))
        failed = {"id": "op-2", "kind": "add", "pool": "gpu2", "state": "FAILED", "error": "quota exceeded", "requestedAt": "t"}
        self.script((200, {"name": "c1", "phase": "RUNNING", "nodePoolOperations": [failed]}))
        with self.assertRaises(orchestrator.OperationFailed) as raised:
            self.client.follow_node_pool_operation("c1", "op-2")
        self.assertEqual(str(raised.exception), "cluster c1: add of node pool gpu2 failed: quota exceeded")

    def test_a_refused_resize_names_its_field(self):
        self.script((400, {"error": {"code": "VALIDATION", "message": "nodeCount must be between 0 and 3", "field": "nodeCount"}}))
        with self.assertRaises(orchestrator.ValidationError) as raised:
            self.client.resize_node_pool("c1", "small", -1)
        self.assertEqual(raised.exception.field, "nodeCount")

    def test_kubeconfig_destroy_and_list(self):
        self.script((200, {"apiVersion": "v1", "kind": "Config", "current-context": "ctx"}), (202, {"name": "c1"}), (200, {"clusters": [{"name": "local"}]}))
        self.assertEqual(self.client.cluster_kubeconfig("c1")["current-context"], "ctx")
        self.client.destroy_cluster("c1")
        self.assertEqual(self.client.list_clusters(), [{"name": "local"}])
        self.assertEqual([(request["method"], request["path"]) for request in self.server.requests],
                         [("GET", "/v1/clusters/c1/kubeconfig"), ("DELETE", "/v1/clusters/c1"), ("GET", "/v1/clusters")])

    def test_lease_calls(self):
        self.script((202, {"jobId": "j1", "workflowId": "spark-job-j1"}), (200, {"expiresAt": "t"}), (200, {"kubeconfig": {}, "tokenExpiresAt": "t"}), (202, {}))
        self.client.start_spark_lease("alice", job_id="j1", lease_seconds=120)
        self.client.renew_spark_lease("j1")
        self.client.spark_job_kubeconfig("j1")
        self.client.end_spark_job("j1", exit_code=0)
        self.assertEqual([(request["method"], request["path"], request["body"]) for request in self.server.requests], [
            ("POST", "/v1/spark-jobs", {"jobId": "j1", "user": "alice", "deployMode": "client", "leaseSeconds": 120}),
            ("POST", "/v1/spark-jobs/j1/lease", {}), ("POST", "/v1/spark-jobs/j1/kubeconfig", {}), ("POST", "/v1/spark-jobs/j1/end", {"exitCode": 0}),
        ])


if __name__ == "__main__":
    unittest.main()
