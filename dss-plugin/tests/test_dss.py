"""What the plugin's clusters, macros and step do, with a fake API client; and the plugin's layout
as DSS reads it (with the ``dataiku`` stand-in of this folder)."""

import glob
import inspect
import json
import os
import signal
import stat
import tempfile
import unittest

import fakes  # noqa: F401 (puts python-lib on the path)

import compute_orchestrator as orchestrator
from compute_orchestrator import dss

PLUGIN = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

KUBECONFIG = {"apiVersion": "v1", "kind": "Config", "current-context": "gke_p_europe-west1_c1",
              "clusters": [{"name": "gke_p_europe-west1_c1", "cluster": {"server": "https://10.0.0.1"}}],
              "contexts": [{"name": "gke_p_europe-west1_c1", "context": {"cluster": "gke_p_europe-west1_c1", "user": "gke_p_europe-west1_c1"}}],
              "users": [{"name": "gke_p_europe-west1_c1", "user": {"exec": {"command": "gke-gcloud-auth-plugin"}}}]}


class FakeClusterClient:
    """Cluster calls answered from ``statuses`` (what each follow ends on); records each call."""

    def __init__(self, *statuses):
        self.statuses = list(statuses)
        self.calls = []
        self.destroy_error = None

    def create_cluster(self, name, provider, connection=None, node_pools=None, idle_ttl_seconds=None):
        self.calls.append(("create", name, provider, connection, node_pools, idle_ttl_seconds))

    def follow_cluster(self, name, until=("RUNNING",), on_change=None, deadline_seconds=None):
        self.calls.append(("follow", name, tuple(until)))
        status = self.statuses.pop(0)
        on_change(status)
        return status

    def cluster_kubeconfig(self, name):
        self.calls.append(("kubeconfig", name))
        return KUBECONFIG

    def destroy_cluster(self, name):
        self.calls.append(("destroy", name))
        if self.destroy_error:
            raise self.destroy_error

    def cluster(self, name):
        self.calls.append(("cluster", name))
        return self.statuses.pop(0)

    def resize_node_pool(self, cluster, pool, node_count):
        self.calls.append(("resize", cluster, pool, node_count))
        return {"operationId": "op-1"}

    def follow_node_pool_operation(self, cluster, operation_id, on_change=None, deadline_seconds=None):
        self.calls.append(("follow-operation", cluster, operation_id))
        return self.statuses.pop(0)


class ClusterTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def test_start_creates_follows_to_running_and_writes_the_kubeconfig_for_dss(self):
        client = FakeClusterClient({"name": "c1", "phase": "RUNNING", "endpoint": "10.0.0.1"})
        overrides, data = dss.start_cluster(client, "c1", "gke", self.dir, connection="prod", node_pools=["small"], idle_ttl_seconds=600)
        path = os.path.join(self.dir, "kubeconfig-c1.json")
        self.assertEqual(overrides, {"spark": {"sparkEnabled": True}, "container": {"executionConfigsGenericOverrides": {"kubeCtlContext": "gke_p_europe-west1_c1", "kubeConfigPath": path}}})
        self.assertEqual(data, {"cluster": "c1", "provider": "gke", "endpoint": "10.0.0.1", "kubeConfigPath": path, "kubeCtlContext": "gke_p_europe-west1_c1"})
        with open(path) as file:
            self.assertEqual(json.load(file), KUBECONFIG)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(client.calls, [("create", "c1", "gke", "prod", ["small"], 600), ("follow", "c1", ("RUNNING",)), ("kubeconfig", "c1")])
        json.dumps(data)  # DSS keeps it as JSON

    def test_a_cluster_that_fails_is_the_apis_error(self):
        client = FakeClusterClient({"name": "c1", "phase": "FAILED", "error": "Insufficient regional quota"})
        with self.assertRaises(dss.PluginError) as raised:
            dss.start_cluster(client, "c1", "gke", self.dir, connection="prod", node_pools=["small"])
        self.assertEqual(str(raised.exception), "cluster c1 is FAILED: Insufficient regional quota")
        self.assertEqual(os.listdir(self.dir), [])

    def test_stop_destroys_waits_for_deleted_and_removes_the_kubeconfig(self):
        client = FakeClusterClient({"name": "c1", "phase": "RUNNING"}, {"name": "c1", "phase": "DELETED"})
        _, data = dss.start_cluster(client, "c1", "static", self.dir)
        self.assertEqual(dss.stop_cluster(client, data)["phase"], "DELETED")
        self.assertEqual(client.calls[-2:], [("destroy", "c1"), ("follow", "c1", ())])
        self.assertFalse(os.path.exists(data["kubeConfigPath"]))

    def test_stop_of_what_has_ended_or_is_unknown_is_done_and_a_failed_destroy_is_an_error(self):
        ended = FakeClusterClient({"name": "c1", "phase": "DELETED"})
        ended.destroy_error = orchestrator.Conflict(409, "CONFLICT", "cluster 'c1' has ended")
        self.assertEqual(dss.stop_cluster(ended, {"cluster": "c1"})["phase"], "DELETED")
        unknown = FakeClusterClient()
        unknown.destroy_error = orchestrator.NotFound(404, "NOT_FOUND", "no cluster 'c1'")
        self.assertIsNone(dss.stop_cluster(unknown, {"cluster": "c1"}))
        failed = FakeClusterClient({"name": "c1", "phase": "FAILED", "error": "DeleteCluster: permission denied"})
        self.assertRaisesRegex(dss.PluginError, "cluster c1 is FAILED: DeleteCluster: permission denied", dss.stop_cluster, failed, {"cluster": "c1"})

    def test_the_apis_cluster_name_is_the_setting_else_the_dss_name_made_valid_without_collisions(self):
        self.assertEqual(dss.api_cluster_name({"clusterName": " spark-prod "}, "Whatever"), "spark-prod")
        self.assertEqual(dss.api_cluster_name({}, "dss-spark"), "dss-spark")
        made = [dss.api_cluster_name({"clusterName": ""}, name) for name in ("My_Cluster", "my.cluster", "9 lives", "x" * 60)]
        for name in made:
            self.assertRegex(name, r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")
        self.assertNotEqual(made[0], made[1])
        self.assertTrue(made[0].startswith("my-cluster-") and made[2].startswith("dss-9-lives-"), made)

    def test_the_connection_preset_or_the_environment_else_an_error_naming_the_setting(self):
        client = dss.connection_client({"connection": {"orchestratorUrl": "https://o.example.com/", "orchestratorToken": "t"}})
        self.assertEqual(client.url, "https://o.example.com")
        previous = os.environ.pop(orchestrator.client.TOKEN_VARIABLE, None)
        try:
            self.assertRaisesRegex(dss.PluginError, "^connection: no API token", dss.connection_client, {"connection": {}})
        finally:
            if previous is not None:
                os.environ[orchestrator.client.TOKEN_VARIABLE] = previous

    def test_the_data_dir_is_the_working_directory_unless_the_environment_names_one(self):
        self.assertEqual(dss.cluster_data_dir({}), os.getcwd())
        self.assertEqual(dss.cluster_data_dir({dss.KUBECONFIG_DIR_VARIABLE: self.dir}), self.dir)


class NodePoolTest(unittest.TestCase):
    status = {
        "name": "c1", "phase": "RUNNING", "provider": "gke",
        "nodePools": [{"name": "small", "machineType": "e2-standard-4", "nodeCount": 3, "maxNodes": 5, "state": "RUNNING"},
                      {"name": "<gpu>", "machineType": "a2", "nodeCount": 0, "maxNodes": 2, "autoscaling": {"minNodes": 0, "maxNodes": 2}, "state": "ADDING"}],
        "nodePoolOperations": [{"id": "op-1", "kind": "resize", "pool": "small", "nodeCount": 3, "state": "DONE", "requestedAt": "t1", "endedAt": "t2"},
                               {"id": "op-2", "kind": "add", "pool": "<gpu>", "state": "FAILED", "error": "quota", "requestedAt": "t3"}],
    }

    def test_the_pools_and_operations_as_html_escaped(self):
        page = dss.node_pools_html(self.status)
        self.assertIn("<tr><td>small</td><td>e2-standard-4</td><td>3</td><td>5</td><td>off</td><td>RUNNING</td></tr>", page)
        self.assertIn("<td>&lt;gpu&gt;</td>", page)
        self.assertIn("<td>0 to 2</td>", page)
        self.assertIn("<li>resize small to 3 nodes: DONE (requested t1, ended t2)</li>", page)
        self.assertIn("<li>add &lt;gpu&gt;: FAILED (requested t3): quota</li>", page)
        self.assertIn("No node pools (static cluster)", dss.node_pools_html({"name": "att", "phase": "RUNNING", "provider": "static"}))

    def test_resize_of_the_only_pool_when_none_is_named_and_an_error_naming_the_setting_when_several(self):
        client = FakeClusterClient({"name": "c1", "phase": "RUNNING", "nodePools": [{"name": "small"}]}, self.status)
        self.assertEqual(dss.resize_node_pool(client, "c1", "", 3), self.status)
        self.assertIn(("resize", "c1", "small", 3), client.calls)
        several = FakeClusterClient(self.status)
        self.assertRaisesRegex(dss.PluginError, r"^nodePool: cluster c1 has 2 node pools \(small, <gpu>\)", dss.resize_node_pool, several, "c1", "", 3)


class FakeJobClient:
    def __init__(self, *follows):
        self.follows = list(follows)
        self.calls = []

    def start_spark_job(self, user, app, job_id=None, cluster=None, timeout_seconds=None):
        self.calls.append(("start", user, job_id, cluster, timeout_seconds))

    def follow_spark_job(self, job_id, on_change=None, deadline_seconds=None):
        self.calls.append(("follow", job_id))
        outcome = self.follows.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def cancel_spark_job(self, job_id, reason=None):
        self.calls.append(("cancel", job_id, reason))


class SparkStepTest(unittest.TestCase):
    def test_the_app_from_the_step_settings(self):
        config = {"image": " apache/spark:4.0.1 ", "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
                  "mainClass": "org.apache.spark.examples.SparkPi", "args": ["100"], "conf": {"spark.sql.shuffle.partitions": 8},
                  "executorInstances": 2, "executorMemory": "2g", "timeoutSeconds": 0}
        self.assertEqual(dss.spark_app(config), {
            "image": "apache/spark:4.0.1", "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
            "mainClass": "org.apache.spark.examples.SparkPi", "args": ["100"], "conf": {"spark.sql.shuffle.partitions": "8"},
            "executor": {"instances": 2, "memory": "2g"},
        })
        self.assertEqual(dss.spark_app({"image": "i", "mainApplicationFile": "local:///a.jar", "mainClass": "", "args": [], "executorInstances": 0}),
                         {"image": "i", "mainApplicationFile": "local:///a.jar"})

    def test_an_abort_while_following_cancels_the_job_and_raises_again(self):
        client = FakeJobClient(KeyboardInterrupt("aborted (signal 15)"), {"jobId": "j1", "phase": "CANCELLED", "cleanedUp": True})
        with self.assertRaises(KeyboardInterrupt):
            dss.run_spark_job(client, "alice", {}, job_id="j1")
        self.assertEqual(client.calls, [("start", "alice", "j1", None, None), ("follow", "j1"), ("cancel", "j1", "aborted in DSS"), ("follow", "j1")])

    def test_a_job_that_did_not_succeed_fails_the_step_with_its_error(self):
        client = FakeJobClient({"jobId": "j1", "phase": "FAILED", "exitCode": 3, "error": "driver failed", "cleanedUp": True})
        self.assertRaisesRegex(dss.PluginError, r"^spark job j1 ended FAILED \(exit code 3\): driver failed$", dss.run_spark_job, client, "alice", {}, job_id="j1")
        self.assertEqual(dss.run_spark_job(FakeJobClient({"jobId": "j2", "phase": "SUCCEEDED", "cleanedUp": True}), "alice", {}, job_id="j2")["phase"], "SUCCEEDED")

    def test_sigterm_is_an_abort_within_abort_on_sigterm_only(self):
        before = signal.getsignal(signal.SIGTERM)
        with self.assertRaises(KeyboardInterrupt):
            with dss.abort_on_sigterm():
                signal.raise_signal(signal.SIGTERM)
                self.fail("SIGTERM did not interrupt")
        self.assertIs(signal.getsignal(signal.SIGTERM), before)


class LayoutTest(unittest.TestCase):
    """The files DSS reads when it installs the plugin, and the classes it instantiates."""

    def read(self, *parts):
        with open(os.path.join(PLUGIN, *parts)) as file:
            return json.load(file)

    def test_plugin_and_connection_preset(self):
        self.assertEqual(self.read("plugin.json")["id"], "compute-orchestrator")
        params = {param["name"]: param["type"] for param in self.read("parameter-sets", "orchestrator-connection", "parameter-set.json")["params"]}
        self.assertEqual(params, {"orchestratorUrl": "STRING", "orchestratorToken": "PASSWORD"})

    def test_clusters_are_kubernetes_clusters_with_a_connection_and_a_cluster_class_of_dss_signature(self):
        from dataiku.cluster import Cluster
        kinds = sorted(os.path.basename(os.path.dirname(path)) for path in glob.glob(os.path.join(PLUGIN, "python-clusters", "*", "cluster.json")))
        self.assertEqual(kinds, ["attach-cluster", "create-cluster"])
        for kind in kinds:
            descriptor = self.read("python-clusters", kind, "cluster.json")
            self.assertEqual(descriptor["architecture"], "KUBERNETES")
            self.assertIn({"name": "connection", "label": "Orchestrator", "type": "PRESET", "parameterSetId": "orchestrator-connection", "mandatory": True}, descriptor["params"])
            element = self.element(os.path.join("python-clusters", kind, "cluster.py"), Cluster)
            self.assertEqual(list(inspect.signature(element.__init__).parameters), ["self", "cluster_id", "cluster_name", "config", "plugin_config", "global_settings"])
            self.assertEqual(list(inspect.signature(element.stop).parameters), ["self", "data"])

    def test_macros_are_cluster_macros_with_a_runnable_of_dss_signature(self):
        from dataiku.runnables import Runnable
        names = sorted(os.path.basename(os.path.dirname(path)) for path in glob.glob(os.path.join(PLUGIN, "python-runnables", "*", "runnable.json")))
        self.assertEqual(names, ["add-node-pool", "inspect-node-pools", "resize-node-pool"])
        for name in names:
            descriptor = self.read("python-runnables", name, "runnable.json")
            self.assertEqual(descriptor["macroRoles"], [{"type": "CLUSTER", "targetParamsKey": "clusterId", "limitToSamePlugin": True}])
            self.assertEqual(descriptor["params"][0]["type"], "CLUSTER")
            element = self.element(os.path.join("python-runnables", name, "runnable.py"), Runnable)
            self.assertEqual(list(inspect.signature(element.__init__).parameters), ["self", "project_key", "config", "plugin_config"])
            self.assertEqual(list(inspect.signature(element.run).parameters), ["self", "progress_callback"])

    def test_the_spark_step_declares_the_settings_its_code_reads(self):
        params = {param["name"] for param in self.read("python-step", "spark-job", "step.json")["params"]}
        self.assertEqual(params, {"connection", "cluster", "image", "mainApplicationFile", "mainClass", "args", "conf", "executorInstances", "executorMemory", "timeoutSeconds"})

    def element(self, relative, base):
        from dss_host import element_class
        return element_class(os.path.join(PLUGIN, relative), base)


if __name__ == "__main__":
    unittest.main()
