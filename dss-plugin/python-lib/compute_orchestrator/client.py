"""Client of compute-orchestrator's REST API for a DSS plugin: Spark jobs (cluster mode, and
client-mode identity leases), kernel sessions, clusters and their node pools.

Python 3.9+, standard library only, so it runs in any DSS code environment. The contract is the
one of ``openapi/compute-orchestrator.json``; the fields below are passed through as the API names
them (camelCase), answers are returned as the API's JSON objects (dicts).

    client = Client.from_settings(config["connection"])    # the plugin's connection preset, else the environment
    started = client.start_spark_job("alice", {"image": ..., "mainApplicationFile": ...})
    final = client.follow_spark_job(started["jobId"], on_change=print)
"""

import json
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

__all__ = [
    "Client", "Backoff", "ApiError", "ValidationError", "AuthenticationError", "PermissionDenied",
    "NotFound", "Conflict", "LimitExceeded", "ServerError", "Unreachable", "DeadlineExceeded",
    "OperationFailed", "SPARK_JOB_ENDS", "KERNEL_ENDS", "CLUSTER_ENDS", "new_request_id",
]

SPARK_JOB_ENDS = frozenset(["SUCCEEDED", "FAILED", "CANCELLED"])
KERNEL_ENDS = frozenset(["CULLED", "STOPPED", "FAILED"])
CLUSTER_ENDS = frozenset(["DELETED", "FAILED"])
NODE_POOL_OPERATION_ENDS = frozenset(["DONE", "FAILED"])

DEFAULT_URL = "http://127.0.0.1:8080"
URL_VARIABLE = "COMPUTE_ORCHESTRATOR_URL"
TOKEN_VARIABLE = "COMPUTE_ORCHESTRATOR_TOKEN"


class ApiError(Exception):
    """An answer ``{"error": {"code", "message", "field"?}}`` from the API, with its HTTP status."""

    def __init__(self, status, code, message, field=None):
        super().__init__("%s %s%s: %s" % (status, code, " (field %s)" % field if field else "", message))
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class ValidationError(ApiError):
    """400: the request is invalid; ``field`` names what to change (``app.image``, ``cluster``)."""


class AuthenticationError(ApiError):
    """401: no token, or one the API does not know."""


class PermissionDenied(ApiError):
    """403: the token lacks the route's scope, or the request asks for something forbidden (``field``)."""


class NotFound(ApiError):
    """404: no job, kernel or cluster by that id or name."""


class Conflict(ApiError):
    """409: the job, kernel or cluster has already ended, or the node pool to add exists."""


class LimitExceeded(Conflict):
    """409 LIMIT_EXCEEDED: the user already has the maximum of jobs in flight or kernels."""


class ServerError(ApiError):
    """5xx: the API could not do it now (Temporal unreachable, …); retried before it is raised."""


class Unreachable(Exception):
    """The API did not answer at all (connection refused, timeout), even after retries."""


class DeadlineExceeded(Exception):
    """Following a job, kernel, cluster or operation took longer than its deadline; ``last`` is the last status seen."""

    def __init__(self, what, seconds, last):
        super().__init__("%s: not done after %ss (last phase %s)" % (what, seconds, (last or {}).get("phase")))
        self.last = last


class OperationFailed(Exception):
    """A node pool operation ended FAILED; ``operation`` is its entry in the cluster's status."""

    def __init__(self, cluster, operation):
        super().__init__("cluster %s: %s of node pool %s failed: %s" % (cluster, operation.get("kind"), operation.get("pool"), operation.get("error", "no error given")))
        self.operation = operation


_ERRORS_BY_STATUS = {400: ValidationError, 401: AuthenticationError, 403: PermissionDenied, 404: NotFound, 409: Conflict}
# Worth asking again: the API is starting, restarting or cannot reach Temporal for a moment.
_RETRIED_STATUSES = frozenset([500, 502, 503, 504])


def _error_from(status, body):
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {"code": "HTTP_%d" % status, "message": str(body)[:500]}
    code, message, field = error.get("code", ""), error.get("message", ""), error.get("field")
    if status == 409 and code == "LIMIT_EXCEEDED":
        return LimitExceeded(status, code, message, field)
    kind = _ERRORS_BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
    return kind(status, code, message, field)


class Backoff:
    """Delays that grow from ``initial`` by ``factor`` up to ``maximum``, with a little jitter so that
    many followers do not poll in step; ``reset`` goes back to ``initial`` (something just changed,
    so the next change is likely soon)."""

    def __init__(self, initial=0.5, factor=1.6, maximum=5.0, jitter=0.1):
        self.initial, self.factor, self.maximum, self.jitter = initial, factor, maximum, jitter
        self._next = initial

    def reset(self):
        self._next = self.initial

    def next_delay(self):
        delay = self._next
        self._next = min(self._next * self.factor, self.maximum)
        return delay * (1 + random.uniform(-self.jitter, self.jitter))


class Client:
    """One orchestrator API. ``token`` is a bearer token with the ``spark-jobs``, ``kernels`` and
    ``clusters`` scopes (each call needs its own).

    Every call that fails without an answer, or with a 5xx, is tried again (``retries`` times, with
    backoff): starts are safe to repeat because they carry their id, which this client makes up
    when the caller gives none. Following goes on through such failures for up to
    ``outage_seconds`` in a row.
    """

    def __init__(self, url, token, timeout=30.0, retries=4, outage_seconds=300.0, sleep=time.sleep, clock=time.monotonic):
        if not token:
            raise ValueError("no API token: set orchestratorToken in the connection preset, or %s" % TOKEN_VARIABLE)
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout
        self.retries = retries
        self.outage_seconds = outage_seconds
        self._sleep = sleep
        self._clock = clock

    def __repr__(self):
        return "Client(%r)" % self.url  # never the token: clients end up in logs

    @classmethod
    def from_settings(cls, settings=None, environ=None, **options):
        """From the plugin's connection preset (parameter set ``orchestrator-connection``:
        ``orchestratorUrl``, ``orchestratorToken`` a PASSWORD parameter), each falling back to the environment (COMPUTE_ORCHESTRATOR_URL,
        COMPUTE_ORCHESTRATOR_TOKEN), then to the local default URL."""
        settings = settings or {}
        environ = os.environ if environ is None else environ
        url = settings.get("orchestratorUrl") or environ.get(URL_VARIABLE) or DEFAULT_URL
        token = settings.get("orchestratorToken") or environ.get(TOKEN_VARIABLE)
        return cls(url, token, **options)

    # --- HTTP -------------------------------------------------------------------------------

    def _request(self, method, path, body=None, query=None):
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Authorization": "Bearer " + self._token, "Accept": "application/json", "User-Agent": "compute-orchestrator-dss-plugin"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        backoff = Backoff(initial=0.5, maximum=8.0)
        attempt = 0
        while True:
            attempt += 1
            try:
                with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers, method=method), timeout=self.timeout) as response:
                    text = response.read()
                    return json.loads(text) if text else None
            except urllib.error.HTTPError as answer:
                error = _error_from(answer.code, _json_or_text(answer.read()))
                if answer.code not in _RETRIED_STATUSES or attempt > self.retries:
                    raise error from None
            except (urllib.error.URLError, OSError) as failure:
                if attempt > self.retries:
                    raise Unreachable("%s %s: %s" % (method, url, getattr(failure, "reason", failure))) from None
            self._sleep(backoff.next_delay())

    # --- Spark jobs -------------------------------------------------------------------------

    def start_spark_job(self, user, app, job_id=None, cluster=None, namespace=None, admin_properties=None, timeout_seconds=None):
        """POST /v1/spark-jobs. ``app``: ``{image, mainApplicationFile, mainClass?, args?, conf?,
        driver?: {cores?, memory?}, executor?: {cores?, memory?, instances?}}``. The same ``job_id``
        again is the same job. Returns ``{jobId, workflowId}``."""
        body = {"jobId": job_id or new_request_id("dss"), "user": user, "app": app}
        _put_optional(body, cluster=cluster, namespace=namespace, adminProperties=admin_properties, timeoutSeconds=timeout_seconds)
        return self._request("POST", "/v1/spark-jobs", body)

    def spark_job(self, job_id):
        """GET /v1/spark-jobs/{jobId}: ``{jobId, user, phase, namespace, serviceAccount, driverPod, exitCode?, error?, cleanedUp}``."""
        return self._request("GET", "/v1/spark-jobs/" + _quote(job_id))

    def cancel_spark_job(self, job_id, reason=None):
        """POST /v1/spark-jobs/{jobId}/cancel; Conflict when the job has already ended."""
        return self._request("POST", "/v1/spark-jobs/" + _quote(job_id) + "/cancel", {"reason": reason} if reason else {})

    def list_spark_jobs(self, user=None):
        return self._request("GET", "/v1/spark-jobs", query={"user": user} if user else None)["jobs"]

    def follow_spark_job(self, job_id, until=(), on_change=None, deadline_seconds=24 * 3600, wait_for_cleanup=True):
        """Polls the job until its phase is in ``until`` (``("RUNNING",)``) or it has ended and, unless
        ``wait_for_cleanup`` is false, been cleaned up; ``on_change(status)`` at every change. Returns
        the last status, whose phase the caller checks; DeadlineExceeded after ``deadline_seconds``."""
        done = _reached(until, SPARK_JOB_ENDS, wait_for_cleanup)
        return self._follow("spark job %s" % job_id, lambda: self.spark_job(job_id), done, on_change, deadline_seconds)

    # --- Client-mode Spark identities (leases) ----------------------------------------------

    def start_spark_lease(self, user, job_id=None, cluster=None, namespace=None, lease_seconds=None, timeout_seconds=None):
        """POST /v1/spark-jobs with ``deployMode: "client"``: the job's namespace, temporary service
        account and role binding, for a driver the caller runs itself. The identity lives while the
        caller renews the lease (``renew_spark_lease``) and until it ends or cancels the job.
        Returns ``{jobId, workflowId}``; see ``SparkIdentityLease`` for the whole protocol."""
        body = {"jobId": job_id or new_request_id("dss"), "user": user, "deployMode": "client"}
        _put_optional(body, cluster=cluster, namespace=namespace, leaseSeconds=lease_seconds, timeoutSeconds=timeout_seconds)
        return self._request("POST", "/v1/spark-jobs", body)

    def renew_spark_lease(self, job_id):
        """POST /v1/spark-jobs/{jobId}/lease: ``{expiresAt}``; Conflict once the job has ended."""
        return self._request("POST", "/v1/spark-jobs/" + _quote(job_id) + "/lease", {})

    def spark_job_kubeconfig(self, job_id):
        """POST /v1/spark-jobs/{jobId}/kubeconfig: ``{kubeconfig, tokenExpiresAt, namespace,
        serviceAccount}``, the kubeconfig holding a fresh short-lived token: keep it out of logs."""
        return self._request("POST", "/v1/spark-jobs/" + _quote(job_id) + "/kubeconfig", {})

    def end_spark_job(self, job_id, exit_code=None):
        """POST /v1/spark-jobs/{jobId}/end: the caller's driver is done; the identity is removed."""
        return self._request("POST", "/v1/spark-jobs/" + _quote(job_id) + "/end", {"exitCode": exit_code} if exit_code is not None else {})

    # --- Kernels ----------------------------------------------------------------------------

    def start_kernel(self, user, kernel_id=None, kernel_name=None, cluster=None, env=None, cull_idle_timeout_seconds=None, max_age_seconds=None):
        """POST /v1/kernels (``env``: KERNEL_* variables only). The same ``kernel_id`` again is the
        same kernel. Returns ``{kernelId, workflowId}``."""
        body = {"kernelId": kernel_id or new_request_id("k"), "user": user}
        _put_optional(body, kernelName=kernel_name, cluster=cluster, env=env, cullIdleTimeoutSeconds=cull_idle_timeout_seconds, maxAgeSeconds=max_age_seconds)
        return self._request("POST", "/v1/kernels", body)

    def kernel(self, kernel_id):
        """GET /v1/kernels/{kernelId}: ``{kernelId, user, kernelName, phase, namespace, pod, podIP?, lastActivity, restarts, error?, cleanedUp}``."""
        return self._request("GET", "/v1/kernels/" + _quote(kernel_id))

    def kernel_progress(self, kernel_id):
        """GET /v1/kernels/{kernelId}/progress: the steps ``{step, at, source}``, oldest first."""
        return self._request("GET", "/v1/kernels/" + _quote(kernel_id) + "/progress")["steps"]

    def touch_kernel(self, kernel_id):
        """POST /v1/kernels/{kernelId}/activity: the idle timer starts again."""
        self._request("POST", "/v1/kernels/" + _quote(kernel_id) + "/activity")

    def shutdown_kernel(self, kernel_id):
        """DELETE /v1/kernels/{kernelId}; Conflict when the kernel has already ended."""
        return self._request("DELETE", "/v1/kernels/" + _quote(kernel_id))

    def list_kernels(self, user=None):
        return self._request("GET", "/v1/kernels", query={"user": user} if user else None)["kernels"]

    def follow_kernel(self, kernel_id, until=(), on_change=None, on_step=None, deadline_seconds=3600, wait_for_cleanup=True):
        """As follow_spark_job (``until=("RUNNING",)`` waits for a usable kernel), and also
        ``on_step(step)`` for each new launch step or Kubernetes event of its pod."""
        seen = [0]

        def read():
            status = self.kernel(kernel_id)
            # Read after the status, so that every step up to the phase it shows is reported before it.
            if on_step:
                steps = self.kernel_progress(kernel_id)
                for step in steps[seen[0]:]:
                    on_step(step)
                seen[0] = max(seen[0], len(steps))
            return status

        return self._follow("kernel %s" % kernel_id, read, _reached(until, KERNEL_ENDS, wait_for_cleanup), on_change, deadline_seconds)

    # --- Clusters ---------------------------------------------------------------------------

    def create_cluster(self, name, provider, connection=None, node_pools=None, idle_ttl_seconds=None):
        """POST /v1/clusters: ``provider`` ``"gke"`` creates a cluster with the GKE connection preset
        ``connection`` and the node pool presets ``node_pools``; ``"static"`` attaches the static
        cluster preset ``name``. The same name while the cluster lives is the same cluster (a
        second call follows the first's workflow). Returns ``{name, workflowId}``."""
        body = {"name": name, "provider": provider}
        if connection is not None or node_pools is not None:
            body["gke"] = {"connection": connection, "nodePools": list(node_pools or [])}
        _put_optional(body, idleTtlSeconds=idle_ttl_seconds)
        return self._request("POST", "/v1/clusters", body)

    def cluster(self, name):
        """GET /v1/clusters/{name}: ``{name, provider, phase, endpoint?, progress?, nodePools?,
        nodePoolOperations?, error?, ...}``."""
        return self._request("GET", "/v1/clusters/" + _quote(name))

    def list_clusters(self):
        """GET /v1/clusters: every cluster a job may use (``local``, static presets, cluster workflows)."""
        return self._request("GET", "/v1/clusters")["clusters"]

    def destroy_cluster(self, name):
        """DELETE /v1/clusters/{name}: deletes a GKE cluster, detaches a static one; Conflict once ended."""
        return self._request("DELETE", "/v1/clusters/" + _quote(name))

    def cluster_kubeconfig(self, name):
        """GET /v1/clusters/{name}/kubeconfig: a kubeconfig (as a dict) whose user section holds no
        secret (GKE: the ``gke-gcloud-auth-plugin`` exec section)."""
        return self._request("GET", "/v1/clusters/" + _quote(name) + "/kubeconfig")

    def resize_node_pool(self, cluster, pool, node_count):
        """POST /v1/clusters/{name}/node-pools/{pool}/size: ``{name, pool, operationId}``; a
        ValidationError names ``nodeCount`` or ``pool``."""
        return self._request("POST", "/v1/clusters/%s/node-pools/%s/size" % (_quote(cluster), _quote(pool)), {"nodeCount": node_count})

    def add_node_pool(self, cluster, pool, preset):
        """POST /v1/clusters/{name}/node-pools: a pool named ``pool`` made from the node pool preset
        ``preset``: ``{name, pool, operationId}``; Conflict when the pool exists."""
        return self._request("POST", "/v1/clusters/%s/node-pools" % _quote(cluster), {"name": pool, "preset": preset})

    def follow_cluster(self, name, until=("RUNNING",), on_change=None, deadline_seconds=3600):
        """Polls the cluster until its phase is in ``until`` or it is DELETED or FAILED;
        ``on_change(status)`` at every change of its phase, progress or pools. Returns the last
        status; DeadlineExceeded after ``deadline_seconds``."""
        def done(status):
            return status["phase"] in until or status["phase"] in CLUSTER_ENDS

        return self._follow("cluster %s" % name, lambda: self.cluster(name), done, on_change, deadline_seconds, key=_without_elapsed)

    def follow_node_pool_operation(self, cluster, operation_id, on_change=None, deadline_seconds=3600):
        """Polls the cluster until its node pool operation ``operation_id`` is DONE (returns the
        cluster's status then) or FAILED (OperationFailed, with the API's error)."""
        def operation_of(status):
            for operation in status.get("nodePoolOperations") or []:
                if operation.get("id") == operation_id:
                    return operation
            return None

        def done(status):
            operation = operation_of(status)
            return status["phase"] in CLUSTER_ENDS or (operation is not None and operation["state"] in NODE_POOL_OPERATION_ENDS)

        status = self._follow("cluster %s operation %s" % (cluster, operation_id), lambda: self.cluster(cluster), done, on_change, deadline_seconds, key=_without_elapsed)
        operation = operation_of(status)
        if operation is None or operation["state"] != "DONE":
            raise OperationFailed(cluster, operation or {"id": operation_id, "error": "cluster %s is %s" % (cluster, status["phase"])})
        return status

    # --- following --------------------------------------------------------------------------

    def _follow(self, what, read, done, on_change, deadline_seconds, key=lambda status: status):
        deadline = self._clock() + deadline_seconds
        backoff = Backoff()
        last = None
        failing_since = None
        while True:
            try:
                status = read()
            except (ServerError, Unreachable):
                # The API or its worker restarting: what is followed goes on meanwhile, so following
                # it does too, unless the API stays away for longer than an outage.
                now = self._clock()
                failing_since = now if failing_since is None else failing_since
                if now - failing_since >= self.outage_seconds:
                    raise
            else:
                failing_since = None
                if last is None or key(status) != key(last):
                    backoff.reset()
                    if on_change:
                        on_change(status)
                last = status
                if done(status):
                    return status
            delay = backoff.next_delay()
            if self._clock() + delay > deadline:
                raise DeadlineExceeded(what, deadline_seconds, last)
            self._sleep(delay)


def _reached(until, ends, wait_for_cleanup):
    def done(status):
        if status["phase"] in ends:
            return status["cleanedUp"] or not wait_for_cleanup
        return status["phase"] in until
    return done


def _without_elapsed(status):
    # A cluster's progress counts its seconds at every read: a change of that alone is no news.
    progress = status.get("progress")
    if not progress:
        return status
    return dict(status, progress={field: value for field, value in progress.items() if field != "elapsedSeconds"})


def new_request_id(prefix):
    """An id made before the first attempt, so that a start repeated after a lost answer is the same start."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:20])


def _put_optional(body, **fields):
    body.update((name, value) for name, value in fields.items() if value is not None)


def _quote(identifier):
    return urllib.parse.quote(identifier, safe="")


def _json_or_text(raw):
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
