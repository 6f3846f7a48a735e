"""What the plugin's clusters, macros and scenario step do, apart from DSS's entry points.

The entry points (``python-clusters/*/cluster.py``, ``python-runnables/*/runnable.py``,
``python-step/*/step.py``) only read DSS's settings and call these functions, so that everything
here runs, and is tested, without DSS.
"""

import contextlib
import hashlib
import html
import logging
import os
import re
import signal

from .client import Client, Conflict, DeadlineExceeded, NotFound, new_request_id
from .files import write_private_json

__all__ = [
    "PluginError", "api_cluster_name", "cluster_data_dir", "connection_client", "start_cluster", "stop_cluster", "make_overrides",
    "node_pools_html", "resize_node_pool", "add_node_pool", "spark_app", "run_spark_job", "abort_on_sigterm",
    "KUBECONFIG_DIR_VARIABLE",
]

_log = logging.getLogger(__name__)

KUBECONFIG_DIR_VARIABLE = "COMPUTE_ORCHESTRATOR_KUBECONFIG_DIR"
# GKE takes 5 to 10 minutes to create a cluster; an hour means something is stuck.
CLUSTER_START_DEADLINE_SECONDS = 3600
CLUSTER_STOP_DEADLINE_SECONDS = 3600
# After a cancel, how long to wait to see the job's cleanup before giving DSS its abort back.
CANCEL_WAIT_SECONDS = 120

_NAME_LENGTH = 40  # the API's cluster names: GKE's rule


class PluginError(Exception):
    """Something the user must change or know (the message says what, naming the setting)."""


def connection_client(config, **options):
    """The API client of the plugin's connection preset (``config["connection"]``: orchestratorUrl,
    orchestratorToken), else of the environment (COMPUTE_ORCHESTRATOR_URL, COMPUTE_ORCHESTRATOR_TOKEN)."""
    try:
        return Client.from_settings((config or {}).get("connection") or {}, **options)
    except ValueError as missing:
        raise PluginError("connection: %s" % missing) from None


def api_cluster_name(config, dss_cluster_name, field="clusterName"):
    """The API's name of the cluster: the setting ``field`` if given (the API checks it), else the
    DSS cluster's name made a valid one (lower case, letters, digits and dashes, at most 40, starting
    with a letter), with a short hash when that changed it, so that two DSS names never collide."""
    given = ((config or {}).get(field) or "").strip()
    if given:
        return given
    name = re.sub(r"[^a-z0-9-]+", "-", dss_cluster_name.lower()).strip("-")
    if not name[:1].isalpha():
        name = "dss-" + name
    if name == dss_cluster_name and len(name) <= _NAME_LENGTH:
        return name
    suffix = hashlib.sha256(dss_cluster_name.encode("utf-8")).hexdigest()[:6]
    return "%s-%s" % (name[:_NAME_LENGTH - len(suffix) - 1].rstrip("-"), suffix)


# --- clusters ---------------------------------------------------------------------------------

def cluster_data_dir(environ=None):
    """Where a cluster's files go: DSS runs start() and stop() in the cluster's own directory."""
    environ = os.environ if environ is None else environ
    return environ.get(KUBECONFIG_DIR_VARIABLE) or os.getcwd()


def start_cluster(client, name, provider, data_dir, connection=None, node_pools=None, idle_ttl_seconds=None,
                  deadline_seconds=CLUSTER_START_DEADLINE_SECONDS):
    """Creates (gke) or attaches (static) the cluster and follows it until RUNNING, then writes its
    kubeconfig under ``data_dir``. Returns DSS's ``[overrides, data]``; ``data`` is what
    ``stop_cluster`` and the macros need. Calling it again for the same name (the DSS host died in
    the middle) follows the same cluster: the API's create is idempotent on the name."""
    client.create_cluster(name, provider, connection=connection, node_pools=node_pools, idle_ttl_seconds=idle_ttl_seconds)
    status = client.follow_cluster(name, until=("RUNNING",), on_change=_log_cluster, deadline_seconds=deadline_seconds)
    if status["phase"] != "RUNNING":
        raise PluginError("cluster %s is %s: %s" % (name, status["phase"], status.get("error", "no error given")))
    kubeconfig = client.cluster_kubeconfig(name)
    path = os.path.join(data_dir, "kubeconfig-%s.json" % name)
    # No secret in it (an exec plugin or a token file), but it is the way in to the cluster.
    write_private_json(path, kubeconfig)
    data = {"cluster": name, "provider": provider, "endpoint": status.get("endpoint"), "kubeConfigPath": path,
            "kubeCtlContext": kubeconfig.get("current-context")}
    return [make_overrides(kubeconfig, path), data]


def stop_cluster(client, data, deadline_seconds=CLUSTER_STOP_DEADLINE_SECONDS):
    """Destroys (gke) or detaches (static) the cluster ``data`` names and waits until DELETED; what
    has already ended, or is unknown to the API, is stopped already."""
    name = data["cluster"]
    try:
        client.destroy_cluster(name)
    except NotFound:
        _log.info("cluster %s: unknown to the API, nothing to stop", name)
        _remove(data.get("kubeConfigPath"))
        return None
    except Conflict:
        pass  # already ended: its status says how
    status = client.follow_cluster(name, until=(), on_change=_log_cluster, deadline_seconds=deadline_seconds)
    _remove(data.get("kubeConfigPath"))
    if status["phase"] != "DELETED":
        raise PluginError("cluster %s is %s: %s" % (name, status["phase"], status.get("error", "no error given")))
    return status


def make_overrides(kubeconfig, kubeconfig_path):
    """DSS's settings for a Kubernetes cluster: Spark on it, and containers through this kubeconfig."""
    return {
        "spark": {"sparkEnabled": True},
        "container": {"executionConfigsGenericOverrides": {"kubeCtlContext": kubeconfig["current-context"], "kubeConfigPath": kubeconfig_path}},
    }


def _log_cluster(status):
    progress = status.get("progress") or {}
    percent = " %s%%" % progress["percent"] if "percent" in progress else ""
    detail = " (%s%s, %ss)" % (progress.get("status"), percent, progress.get("elapsedSeconds")) if progress else ""
    _log.info("cluster %s: %s%s%s", status["name"], status["phase"], detail, ": %s" % status["error"] if status.get("error") else "")


def _remove(path):
    if path and os.path.exists(path):
        os.remove(path)


# --- node pools (the cluster macros) ----------------------------------------------------------

def node_pools_html(status):
    """The cluster's pools and its recent pool operations, as the macros show them."""
    rows = "".join(
        "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % tuple(html.escape(str(cell)) for cell in (
            pool["name"], pool.get("machineType", ""), pool.get("nodeCount", ""), pool.get("maxNodes", ""),
            "%(minNodes)s to %(maxNodes)s" % pool["autoscaling"] if pool.get("autoscaling") else "off", pool.get("state", ""),
        ))
        for pool in status.get("nodePools") or []
    )
    parts = ["<h4>Cluster %s: %s</h4>" % (html.escape(status["name"]), html.escape(status["phase"]))]
    if rows:
        parts.append("<table class=\"table table-striped\"><thead><tr><th>Node pool</th><th>Machine type</th><th>Nodes</th>"
                     "<th>Max nodes</th><th>Autoscaling</th><th>State</th></tr></thead><tbody>%s</tbody></table>" % rows)
    else:
        parts.append("<p>No node pools (%s cluster).</p>" % html.escape(status.get("provider", "")))
    operations = status.get("nodePoolOperations") or []
    if operations:
        parts.append("<h5>Node pool operations</h5><ul>%s</ul>" % "".join("<li>%s</li>" % html.escape(_describe_operation(operation)) for operation in operations))
    return "<div>%s</div>" % "".join(parts)


def _describe_operation(operation):
    what = "%s %s" % (operation["kind"], operation["pool"])
    if operation.get("nodeCount") is not None:
        what += " to %s nodes" % operation["nodeCount"]
    text = "%s: %s (requested %s" % (what, operation["state"], operation.get("requestedAt"))
    text += ", ended %s)" % operation["endedAt"] if operation.get("endedAt") else ")"
    return text + (": %s" % operation["error"] if operation.get("error") else "")


def resize_node_pool(client, cluster, pool, node_count):
    """Resizes the pool (``pool`` empty: the cluster's only pool), waits for the operation's end and
    returns the cluster's status then. The API refuses a bad size or pool naming its field."""
    if not pool:
        pools = [entry["name"] for entry in client.cluster(cluster).get("nodePools") or []]
        if len(pools) != 1:
            raise PluginError("nodePool: cluster %s has %d node pools (%s): name the one to resize" % (cluster, len(pools), ", ".join(pools) or "none"))
        pool = pools[0]
    started = client.resize_node_pool(cluster, pool, node_count)
    return client.follow_node_pool_operation(cluster, started["operationId"], on_change=_log_cluster)


def add_node_pool(client, cluster, pool, preset):
    """Adds the pool ``pool`` from the node pool preset ``preset``, waits for the operation's end and
    returns the cluster's status then."""
    started = client.add_node_pool(cluster, pool, preset)
    return client.follow_node_pool_operation(cluster, started["operationId"], on_change=_log_cluster)


# --- the Spark job scenario step --------------------------------------------------------------

def spark_app(config):
    """The API's ``app`` from the step's settings; empty settings are left to the API's defaults."""
    app = {"image": (config.get("image") or "").strip(), "mainApplicationFile": (config.get("mainApplicationFile") or "").strip()}
    if (config.get("mainClass") or "").strip():
        app["mainClass"] = config["mainClass"].strip()
    if config.get("args"):
        app["args"] = list(config["args"])
    if config.get("conf"):
        app["conf"] = {name: str(value) for name, value in config["conf"].items()}
    executor = {}
    if config.get("executorInstances"):
        executor["instances"] = config["executorInstances"]
    if (config.get("executorMemory") or "").strip():
        executor["memory"] = config["executorMemory"].strip()
    if executor:
        app["executor"] = executor
    return app


def run_spark_job(client, user, app, cluster=None, job_id=None, timeout_seconds=None, deadline_seconds=24 * 3600):
    """Submits the job (cluster mode) and follows it to its end and cleanup. If DSS aborts the step
    meanwhile (KeyboardInterrupt, or SIGTERM under ``abort_on_sigterm``), the job is cancelled, its
    cleanup awaited for a while, and the abort raised again. Returns the final status when the job
    SUCCEEDED; PluginError otherwise."""
    job_id = job_id or new_request_id("dss")
    try:
        client.start_spark_job(user, app, job_id=job_id, cluster=cluster, timeout_seconds=timeout_seconds)
        _log.info("spark job %s: submitted for %s", job_id, user)
        final = client.follow_spark_job(job_id, on_change=_log_job, deadline_seconds=deadline_seconds)
    except KeyboardInterrupt:
        _cancel_job(client, job_id)
        raise
    if final["phase"] != "SUCCEEDED":
        raise PluginError("spark job %s ended %s%s: %s" % (
            job_id, final["phase"], " (exit code %s)" % final["exitCode"] if "exitCode" in final else "", final.get("error", "no error given")))
    return final


def _cancel_job(client, job_id):
    _log.info("spark job %s: aborted in DSS, cancelling it", job_id)
    try:
        client.cancel_spark_job(job_id, reason="aborted in DSS")
    except (Conflict, NotFound):
        return  # it ended on its own meanwhile, or the abort came before the start reached the API
    try:
        client.follow_spark_job(job_id, on_change=_log_job, deadline_seconds=CANCEL_WAIT_SECONDS)
    except DeadlineExceeded:
        _log.warning("spark job %s: cancelled, its cleanup goes on in the orchestrator", job_id)


def _log_job(status):
    _log.info("spark job %s: %s%s%s", status["jobId"], status["phase"],
              ": %s" % status["error"] if status.get("error") else "", ", cleaned up" if status.get("cleanedUp") else "")


@contextlib.contextmanager
def abort_on_sigterm():
    """Within it, SIGTERM (how DSS stops a step's process when the step is aborted) raises
    KeyboardInterrupt, so that the code running unwinds through its cancel."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt("aborted (signal %d)" % signum)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
