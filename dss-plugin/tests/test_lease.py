"""SparkIdentityLease with a fake API client and a fake clock: when it renews, refreshes, ends, cancels."""

import datetime
import json
import os
import stat
import tempfile
import unittest

from fakes import FakeClock

import compute_orchestrator as orchestrator
from compute_orchestrator.lease import LeaseFailed, SparkIdentityLease


def iso(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeClient:
    """Records each call as (name, time); answers kubeconfigs with a token that lives ``token_seconds``."""

    def __init__(self, clock, token_seconds=600, phase="RUNNING"):
        self.clock = clock
        self.token_seconds = token_seconds
        self.phase = phase
        self.calls = []
        self.tokens = 0
        self.fail_renewals = []  # exceptions to raise on the next renewals, in order

    def _call(self, name, *arguments):
        self.calls.append((name, self.clock.now) + arguments)

    def start_spark_lease(self, user, job_id=None, cluster=None, lease_seconds=None):
        self._call("start", user, job_id, lease_seconds)
        return {"jobId": job_id, "workflowId": "spark-job-" + job_id}

    def follow_spark_job(self, job_id, until=(), deadline_seconds=None, wait_for_cleanup=True):
        self._call("follow" if until else "follow-to-end")
        return {"jobId": job_id, "phase": self.phase, "cleanedUp": False, "error": "no quota"}

    def renew_spark_lease(self, job_id):
        self._call("renew")
        if self.fail_renewals:
            raise self.fail_renewals.pop(0)
        return {"expiresAt": iso(self.clock.now + 300)}

    def spark_job_kubeconfig(self, job_id):
        self._call("kubeconfig")
        self.tokens += 1
        kubeconfig = {
            "apiVersion": "v1", "kind": "Config", "current-context": "lease",
            "clusters": [{"name": "c", "cluster": {"server": "https://10.0.0.1:6443", "certificate-authority-data": "Q0E="}}],
            "contexts": [{"name": "lease", "context": {"cluster": "c", "user": "sa", "namespace": "dss-ns-alice"}}],
            "users": [{"name": "sa", "user": {"token": "token-%d" % self.tokens}}],
        }
        return {"kubeconfig": kubeconfig, "tokenExpiresAt": iso(self.clock.now + self.token_seconds), "namespace": "dss-ns-alice", "serviceAccount": "spark-j1"}

    def end_spark_job(self, job_id, exit_code=None):
        self._call("end", exit_code)

    def cancel_spark_job(self, job_id, reason=None):
        self._call("cancel", reason)

    def names(self):
        return [call[0] for call in self.calls]


class LeaseTest(unittest.TestCase):
    def setUp(self):
        self.clock = FakeClock(now=1_800_000_000.0)
        self.client = FakeClient(self.clock)
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "kubeconfig")

    def lease(self, until, **options):
        """A lease whose renewal thread runs on the fake clock, without sleeping, and stops when ``until`` seconds in."""
        limit = self.clock.now + until

        def wait(seconds):
            self.clock.now += seconds
            return self.clock.now >= limit
        return SparkIdentityLease(self.client, "alice", job_id="j1", kubeconfig_path=self.path, clock=self.clock.time, wait=wait, **options)

    def test_start_waits_for_the_identity_then_writes_a_private_kubeconfig(self):
        lease = self.lease(0, lease_seconds=300)
        with lease:
            lease._thread.join()
            with open(self.path) as file:
                self.assertEqual(json.load(file)["users"][0]["user"]["token"], "token-1")
            self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)
            self.assertEqual((lease.namespace, lease.service_account, lease.server), ("dss-ns-alice", "spark-j1", "https://10.0.0.1:6443"))
            self.assertEqual(lease.spark_submit_conf(), ["--conf", "spark.kubernetes.namespace=dss-ns-alice", "--conf", "spark.master=k8s://https://10.0.0.1:6443",
                                                         "--conf", "spark.submit.deployMode=client"])
        self.assertEqual(self.client.calls[0], ("start", 1_800_000_000.0, "alice", "j1", 300))
        self.assertEqual(self.client.names(), ["start", "follow", "kubeconfig", "end", "follow-to-end"])
        self.assertFalse(os.path.exists(self.path))

    def test_renews_every_third_of_the_lease_and_refreshes_the_token_a_margin_before_it_expires(self):
        start = self.clock.now
        lease = self.lease(1000, lease_seconds=300, refresh_margin_seconds=60)
        with lease:
            lease._thread.join()
        renewals = [call[1] - start for call in self.client.calls if call[0] == "renew"]
        refreshes = [call[1] - start for call in self.client.calls if call[0] == "kubeconfig"]
        self.assertEqual(renewals, [100, 200, 300, 400, 500, 600, 700, 800, 900])
        # Tokens of 600 s: a new one 60 s before each expires.
        self.assertEqual(refreshes, [0, 540])
        self.assertEqual(self.client.names()[-2:], ["end", "follow-to-end"])

    def test_a_short_lived_token_is_refreshed_halfway_through_its_life(self):
        self.client.token_seconds = 40
        start = self.clock.now
        lease = self.lease(100, lease_seconds=300, refresh_margin_seconds=60)
        with lease:
            lease._thread.join()
        self.assertEqual([call[1] - start for call in self.client.calls if call[0] == "kubeconfig"], [0, 20, 40, 60, 80])

    def test_an_unreachable_api_is_tried_again_soon_a_lost_lease_stops_renewing_and_fails_the_end(self):
        start = self.clock.now
        self.client.fail_renewals = [orchestrator.Unreachable("no answer"), orchestrator.Conflict(409, "CONFLICT", "spark job j1 has ended")]
        lease = self.lease(1000, lease_seconds=300)
        with self.assertLogs("compute_orchestrator.lease") as logs, self.assertRaises(LeaseFailed) as raised:
            with lease:
                lease._thread.join()
        self.assertEqual([call[1] - start for call in self.client.calls if call[0] == "renew"], [100, 105])
        self.assertEqual([record.getMessage() for record in logs.records], [
            "spark job j1: renew failed, trying again in 5.0s: no answer", "spark job j1: the lease is lost: 409 CONFLICT: spark job j1 has ended"])
        self.assertIn("revoked while in use", str(raised.exception))
        self.assertEqual(self.client.names()[-2:], ["end", "follow-to-end"])

    def test_an_exception_in_the_block_cancels_the_job_with_its_reason(self):
        lease = self.lease(0)
        with self.assertRaises(KeyboardInterrupt):
            with lease:
                raise KeyboardInterrupt("aborted")
        self.assertEqual(self.client.names()[-2:], ["cancel", "follow-to-end"])
        self.assertEqual(self.client.calls[-2][2], "KeyboardInterrupt in the driver's caller: aborted")
        self.assertFalse(os.path.exists(self.path))

    def test_a_job_that_ends_before_its_identity_is_ready_fails_the_start_and_is_cancelled(self):
        self.client.phase = "FAILED"
        with self.assertRaises(LeaseFailed) as raised:
            with self.lease(0):
                self.fail("the block must not run")
        self.assertIn("ended FAILED before its identity was ready: no quota", str(raised.exception))
        self.assertEqual(self.client.names(), ["start", "follow", "cancel"])

    def test_its_own_kubeconfig_directory_is_removed_at_the_end(self):
        lease = SparkIdentityLease(self.client, "alice", clock=self.clock.time, wait=lambda seconds: True)
        with lease:
            self.assertTrue(os.path.exists(lease.kubeconfig_path))
            self.assertRegex(lease.job_id, r"^dss-[0-9a-f]{20}$")
        self.assertFalse(os.path.exists(os.path.dirname(lease.kubeconfig_path)))

    def test_no_token_in_its_repr(self):
        lease = self.lease(0)
        with lease:
            self.assertNotIn("token", repr(lease))
            self.assertNotIn("token", repr(vars(lease).get("client")))


if __name__ == "__main__":
    unittest.main()
