#!/usr/bin/env python3
"""A DSS host, as far as the plugin sees one: it runs the plugin's clusters, macros and scenario
step the way DSS does (the element's class or script, its settings resolved, a cluster's start()
in the cluster's own directory and its data kept for stop() and the macros), with the ``dataiku``
stand-in of this folder. State lives under DSS_STANDIN_HOME.

    dss_host.py preset NAME VALUES_JSON
    dss_host.py cluster-start TYPE CLUSTER_ID CLUSTER_NAME CONFIG_JSON
    dss_host.py cluster-stop CLUSTER_ID
    dss_host.py macro RUNNABLE CONFIG_JSON
    dss_host.py step STEP CONFIG_JSON

Prints one JSON document: what the element returned, or ``{"error": {"type", "message", "field"?}}``
(then exit status 1).
"""

import importlib.util
import inspect
import json
import logging
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(PLUGIN, "python-lib"), HERE]

from dataiku import _state  # noqa: E402 (after the path is set, as DSS sets it)
from dataiku.cluster import Cluster  # noqa: E402
from dataiku.runnables import Runnable  # noqa: E402


def element_class(path, base):
    """The subclass of ``base`` that the plugin's file defines, as DSS finds it."""
    spec = importlib.util.spec_from_file_location("plugin_element", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = [value for value in vars(module).values() if inspect.isclass(value) and issubclass(value, base) and value is not base]
    if len(found) != 1:
        raise RuntimeError("%s defines %d subclasses of %s" % (path, len(found), base.__name__))
    return found[0]


def cluster_record(cluster_id):
    return _state.read("clusters", cluster_id + ".json")


def new_cluster(cluster_id, record):
    path = os.path.join(PLUGIN, "python-clusters", record["type"].split("_")[-1], "cluster.py")
    data_dir = os.path.join(_state.home(), "clusters", cluster_id)
    os.makedirs(data_dir, exist_ok=True)
    os.chdir(data_dir)
    return element_class(path, Cluster)(cluster_id, record["name"], _state.resolve(record["params"]["config"]), {}, {})


def cluster_start(kind, cluster_id, cluster_name, config):
    record = {"type": "pycluster_compute-orchestrator_" + kind, "name": cluster_name, "params": {"config": config}}
    _state.write(record, "clusters", cluster_id + ".json")
    overrides, data = new_cluster(cluster_id, record).start()
    record["data"] = data
    _state.write(record, "clusters", cluster_id + ".json")
    return {"overrides": overrides, "data": data}


def cluster_stop(cluster_id):
    record = cluster_record(cluster_id)
    new_cluster(cluster_id, record).stop(record.get("data"))
    record["data"] = None
    _state.write(record, "clusters", cluster_id + ".json")
    return {"stopped": cluster_id}


def macro(runnable, config):
    path = os.path.join(PLUGIN, "python-runnables", runnable, "runnable.py")
    instance = element_class(path, Runnable)("PROJECT", config, {})
    return {"result": instance.run(lambda progress: None)}


def step(name, config):
    _state.write({"config": config, "pluginConfig": {}}, "step.json")
    runpy.run_path(os.path.join(PLUGIN, "python-step", name, "step.py"), run_name="__main__")
    return {"step": name, "ended": True}


def main(argv):
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    command, arguments = argv[0], argv[1:]
    try:
        if command == "preset":
            _state.write(json.loads(arguments[1]), "presets", arguments[0] + ".json")
            answer = {"preset": arguments[0]}
        elif command == "cluster-start":
            answer = cluster_start(arguments[0], arguments[1], arguments[2], json.loads(arguments[3]))
        elif command == "cluster-stop":
            answer = cluster_stop(arguments[0])
        elif command == "macro":
            answer = macro(arguments[0], json.loads(arguments[1]))
        elif command == "step":
            answer = step(arguments[0], json.loads(arguments[1]))
        else:
            raise SystemExit("unknown command %s" % command)
    except (Exception, KeyboardInterrupt) as failure:
        logging.exception("%s failed", command)
        error = {"type": type(failure).__name__, "message": str(failure)}
        if getattr(failure, "field", None):
            error["field"] = failure.field
        print(json.dumps({"error": error}), flush=True)
        return 1
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
