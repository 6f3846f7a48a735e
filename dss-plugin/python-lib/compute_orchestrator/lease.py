"""A client-mode Spark identity for a driver that runs on the DSS host.

DSS runs Spark on Kubernetes in client mode: the driver is a process on the DSS host, and only the
executors are pods. The orchestrator gives such a driver a job of its own (``deployMode: "client"``):
a namespace, a temporary service account and its role binding, and short-lived tokens for it,
for as long as the caller keeps the job's lease. ``SparkIdentityLease`` is that caller:

    with SparkIdentityLease(client, "alice", lease_seconds=300) as lease:
        env = dict(os.environ, KUBECONFIG=lease.kubeconfig_path)
        subprocess.run(["spark-submit", "--deploy-mode", "client", *lease.spark_submit_conf(), ...], env=env, check=True)

On entry it starts the job, waits until the identity exists and writes a kubeconfig for it (0600).
A thread renews the lease every ``lease_seconds / 3`` and rewrites the kubeconfig with a fresh
token before the current one expires (Spark's Kubernetes client reads the file again when a call
is refused). On a normal exit the job is ended; on an exception (the user aborted, the driver
failed) it is cancelled; either way the file is deleted and the block is left once the identity
has been removed (its tokens refused from then on). A host that dies
stops renewing, and the orchestrator revokes the identity when the lease runs out.
"""

import datetime
import logging
import os
import shutil
import tempfile
import threading
import time

from .client import ApiError, Conflict, DeadlineExceeded, NotFound, Unreachable, new_request_id
from .files import write_private_json

__all__ = ["SparkIdentityLease", "LeaseFailed"]

_log = logging.getLogger(__name__)

# After a renewal or refresh that found no API (or a 5xx after the client's own retries), try again
# this soon rather than at the next period: the lease may have less than a period left.
_RETRY_SECONDS = 5.0
# How long leaving the block waits for the identity's removal (the API answers the end at once).
_CLEANUP_WAIT_SECONDS = 120


class LeaseFailed(Exception):
    """The identity could not be set up, or was revoked while in use (``cause``: the API's answer)."""

    def __init__(self, message, cause=None):
        super().__init__(message)
        self.cause = cause


class SparkIdentityLease:
    """See the module's documentation. ``clock`` (epoch seconds) and ``wait`` (sleeps up to its
    argument, returns True when told to stop) are for tests; by default the wall clock and an event."""

    def __init__(self, client, user, cluster=None, lease_seconds=300, job_id=None, kubeconfig_path=None,
                 refresh_margin_seconds=60, start_deadline_seconds=600, clock=time.time, wait=None):
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive, not %r" % lease_seconds)
        self.client = client
        self.user = user
        self.cluster = cluster
        self.lease_seconds = lease_seconds
        self.job_id = job_id or new_request_id("dss")
        self.refresh_margin_seconds = refresh_margin_seconds
        self.start_deadline_seconds = start_deadline_seconds
        self._clock = clock
        self._stopping = threading.Event()
        self._wait = wait or self._stopping.wait
        self._own_dir = None
        if kubeconfig_path is None:
            self._own_dir = tempfile.mkdtemp(prefix="spark-lease-")
            kubeconfig_path = os.path.join(self._own_dir, "kubeconfig")
        self.kubeconfig_path = kubeconfig_path
        self.exit_code = 0
        self.namespace = None
        self.service_account = None
        self.server = None
        self.expires_at = None
        self.token_expires_at = None
        self.lost = None
        self._next_renewal = None
        self._next_refresh = None
        self._thread = None

    def __repr__(self):
        return "SparkIdentityLease(%r, job %s)" % (self.user, self.job_id)

    # --- the context manager -----------------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, kind, error, traceback):
        if kind is None:
            self.end()
        else:
            self.cancel("%s in the driver's caller: %s" % (kind.__name__, error))
        return False

    def start(self):
        """Starts the job, waits for its identity, writes the kubeconfig and starts renewing."""
        self.client.start_spark_lease(self.user, job_id=self.job_id, cluster=self.cluster, lease_seconds=self.lease_seconds)
        try:
            status = self.client.follow_spark_job(self.job_id, until=("RUNNING",), deadline_seconds=self.start_deadline_seconds, wait_for_cleanup=False)
            if status["phase"] != "RUNNING":
                raise LeaseFailed("spark job %s (client mode) ended %s before its identity was ready: %s" % (self.job_id, status["phase"], status.get("error", "no error given")))
            now = self._clock()
            self._next_renewal = now + self.lease_seconds / 3.0
            self._refresh(now)
        except BaseException as failure:
            self._stop_renewing()
            self._cancel_quietly("could not start: %s" % failure)
            self._remove_kubeconfig()
            raise
        self._thread = threading.Thread(target=self._renew_until_stopped, name="lease-%s" % self.job_id, daemon=True)
        self._thread.start()

    def end(self):
        """Ends the job (``exit_code``, 0 unless set); LeaseFailed if the identity was revoked meanwhile."""
        self._stop_renewing()
        try:
            self.client.end_spark_job(self.job_id, exit_code=self.exit_code)
        except Conflict as ended:
            raise LeaseFailed("spark job %s (client mode) had already ended: %s" % (self.job_id, self.lost or ended), ended) from None
        finally:
            self._remove_kubeconfig()
        self._await_cleanup()
        if self.lost is not None:
            raise LeaseFailed("the identity of spark job %s was revoked while in use: %s" % (self.job_id, self.lost), self.lost)

    def cancel(self, reason):
        """Cancels the job: the identity is removed now, whatever the lease's time left."""
        self._stop_renewing()
        self._cancel_quietly(reason)
        self._remove_kubeconfig()
        self._await_cleanup()

    # --- renewal ---------------------------------------------------------------------------

    def spark_submit_conf(self):
        """``--conf`` arguments for spark-submit in client mode against the lease's namespace."""
        conf = {"spark.master": "k8s://" + self.server, "spark.submit.deployMode": "client", "spark.kubernetes.namespace": self.namespace}
        return [argument for name in sorted(conf) for argument in ("--conf", "%s=%s" % (name, conf[name]))]

    def tick(self):
        """Renews and refreshes what is due at the clock's time; returns the seconds until the next."""
        now = self._clock()
        if now >= self._next_renewal:
            self._next_renewal = self._attempt(now, self._renew, self.lease_seconds / 3.0)
        if self.lost is None and now >= self._next_refresh:
            self._next_refresh = self._attempt(now, self._refresh, None)
        return max(0.0, min(self._next_renewal, self._next_refresh) - now)

    def _renew_until_stopped(self):
        delay = self.tick()
        while self.lost is None and not self._wait(delay):
            delay = self.tick()

    def _attempt(self, now, step, period):
        """Runs ``step(now)``; returns when it is due next (``period`` later, or what the step set)."""
        try:
            step(now)
        except (Conflict, NotFound) as ended:
            # The job has ended or been revoked (lease run out, cancelled by someone): no token will come back.
            self.lost = ended
            _log.error("spark job %s: the lease is lost: %s", self.job_id, ended)
            return float("inf")
        except (ApiError, Unreachable) as failure:
            _log.warning("spark job %s: %s failed, trying again in %ss: %s", self.job_id, step.__name__.strip("_"), _RETRY_SECONDS, failure)
            return now + _RETRY_SECONDS
        return now + period if period is not None else self._next_refresh

    def _renew(self, now):
        self.expires_at = self.client.renew_spark_lease(self.job_id).get("expiresAt")

    def _refresh(self, now):
        answer = self.client.spark_job_kubeconfig(self.job_id)
        kubeconfig = answer["kubeconfig"]
        write_private_json(self.kubeconfig_path, kubeconfig)
        self.namespace = answer.get("namespace")
        self.service_account = answer.get("serviceAccount")
        self.server = _server_of(kubeconfig)
        self.token_expires_at = answer["tokenExpiresAt"]
        self.expires_at = answer.get("expiresAt", self.expires_at)  # a kubeconfig renews the lease too
        expires = _epoch_seconds(self.token_expires_at)
        # A token shorter-lived than twice the margin is refreshed halfway through its life instead.
        self._next_refresh = expires - min(self.refresh_margin_seconds, max(0.0, expires - now) / 2.0)

    def _stop_renewing(self):
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _cancel_quietly(self, reason):
        try:
            self.client.cancel_spark_job(self.job_id, reason=reason[:500])
        except Conflict:
            pass  # it has already ended: nothing left to revoke
        except (ApiError, Unreachable) as failure:
            # The lease then runs out by itself; the identity is revoked within lease_seconds.
            _log.error("spark job %s: cancel failed, the identity will be revoked when its lease runs out: %s", self.job_id, failure)

    def _await_cleanup(self):
        try:
            self.client.follow_spark_job(self.job_id, deadline_seconds=_CLEANUP_WAIT_SECONDS)
        except DeadlineExceeded:
            _log.warning("spark job %s: its identity is still being removed after %ss", self.job_id, _CLEANUP_WAIT_SECONDS)
        except (ApiError, Unreachable) as failure:
            _log.warning("spark job %s: could not see its identity removed: %s", self.job_id, failure)

    def _remove_kubeconfig(self):
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
        elif os.path.exists(self.kubeconfig_path):
            os.remove(self.kubeconfig_path)


def _server_of(kubeconfig):
    contexts = {entry["name"]: entry["context"] for entry in kubeconfig.get("contexts", [])}
    clusters = {entry["name"]: entry["cluster"] for entry in kubeconfig.get("clusters", [])}
    context = contexts.get(kubeconfig.get("current-context")) or next(iter(contexts.values()), {})
    return clusters.get(context.get("cluster"), {}).get("server")


def _epoch_seconds(timestamp):
    """ISO 8601 as the API writes it (``2026-01-01T10:00:00.000Z``) to epoch seconds, on Python 3.9 too."""
    return datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
