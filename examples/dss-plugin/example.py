#!/usr/bin/env python3
"""What a DSS plugin does with compute-orchestrator, from start to end.

    COMPUTE_ORCHESTRATOR_URL=http://127.0.0.1:8080 COMPUTE_ORCHESTRATOR_TOKEN=$(cat .local/api-token) \\
        python3 examples/dss-plugin/example.py --user alice

1. a SparkPi job for a DSS user, followed to its end with its progress;
2. a kernel, followed through its launch until RUNNING, used, then shut down;
3. a job cancelled while it runs (the user aborted the recipe);
4. a request the API refuses, and what the plugin can tell the user about it.

Exit status 0 when every step ended as expected, 1 otherwise.
"""

import argparse
import os
import sys

# The client is the DSS plugin's library; DSS puts python-lib on the path, here it is done by hand.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "dss-plugin", "python-lib"))

from compute_orchestrator import ApiError, Client, DeadlineExceeded, Unreachable, ValidationError  # noqa: E402

SIMULATE_RUN_SECONDS = "spark.kubernetes.driver.annotation.compute-orchestrator/simulate-run-seconds"


def say(subject, text):
    print("%s: %s" % (subject, text), flush=True)


def spark_pi(conf):
    return {
        "image": "apache/spark:4.0.1",
        "mainApplicationFile": "local:///opt/spark/examples/jars/spark-examples.jar",
        "mainClass": "org.apache.spark.examples.SparkPi",
        "args": ["100"],
        "conf": dict(conf, **{"spark.sql.shuffle.partitions": "8"}),
        "executor": {"instances": 2, "memory": "2g"},
    }


def describe_job(status):
    text = status["phase"]
    if status["phase"] == "RUNNING":
        text += " (driver %s in %s)" % (status["driverPod"], status["namespace"])
    if "exitCode" in status:
        text += ", exit code %d" % status["exitCode"]
    if "error" in status:
        text += ", error: %s" % status["error"]
    if status["cleanedUp"]:
        text += ", cleaned up"
    return text


def run_spark_job(client, user, conf):
    started = client.start_spark_job(user, spark_pi(conf), timeout_seconds=3600)
    subject = "spark job %s" % started["jobId"]
    say(subject, "started (workflow %s)" % started["workflowId"])
    final = client.follow_spark_job(started["jobId"], on_change=lambda status: say(subject, describe_job(status)), deadline_seconds=600)
    return final["phase"] == "SUCCEEDED"


def run_kernel(client, user):
    started = client.start_kernel(user, env={"KERNEL_CPUS": "1", "KERNEL_MEMORY": "1Gi"}, cull_idle_timeout_seconds=3600)
    kernel_id = started["kernelId"]
    subject = "kernel %s" % kernel_id
    say(subject, "started (workflow %s)" % started["workflowId"])
    status = client.follow_kernel(kernel_id, until=("RUNNING",), on_step=lambda step: say(subject, "[%s] %s" % (step["source"], step["step"])), deadline_seconds=120)
    if status["phase"] != "RUNNING":
        say(subject, "did not start: %s %s" % (status["phase"], status.get("error", "")))
        return False
    say(subject, "RUNNING in pod %s at %s" % (status["pod"], status["podIP"]))
    # What the notebook's traffic does in DSS: each use keeps the kernel from being culled.
    client.touch_kernel(kernel_id)
    client.shutdown_kernel(kernel_id)
    say(subject, "shutdown requested")
    final = client.follow_kernel(kernel_id, until=(), deadline_seconds=120)
    say(subject, "%s%s" % (final["phase"], ", cleaned up" if final["cleanedUp"] else ""))
    return final["phase"] == "STOPPED" and final["cleanedUp"]


def run_cancelled_job(client, user, conf):
    started = client.start_spark_job(user, spark_pi(conf))
    job_id = started["jobId"]
    subject = "spark job %s" % job_id
    say(subject, "started, to be cancelled once it runs")
    running = client.follow_spark_job(job_id, until=("RUNNING",), deadline_seconds=300)
    if running["phase"] != "RUNNING":
        say(subject, "ended before it could be cancelled: %s" % describe_job(running))
        return False
    client.cancel_spark_job(job_id, reason="aborted by the user in DSS")
    say(subject, "cancel requested while RUNNING")
    final = client.follow_spark_job(job_id, deadline_seconds=300)
    say(subject, describe_job(final))
    return final["phase"] == "CANCELLED" and final["cleanedUp"]


def run_refused_request(client, user):
    # DSS would hand over a file of the user's own; the orchestrator uploads nothing, and says which field is wrong.
    app = dict(spark_pi({}), mainApplicationFile="file:///home/%s/pi.jar" % user)
    try:
        client.start_spark_job(user, app)
    except ValidationError as refused:
        say("refused request", "%d %s field=%s: %s" % (refused.status, refused.code, refused.field, refused.message))
        return refused.field == "app.mainApplicationFile"
    say("refused request", "was accepted")
    return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--user", default="alice", help="the DSS login the compute is for (default alice)")
    parser.add_argument("--simulate-run-seconds", type=int, metavar="S",
                        help="on the embedded stack (npm start), how long its simulated Spark drivers run; without it they end after 3s")
    parser.add_argument("--only", choices=["spark-job", "kernel", "cancel", "refused"], action="append",
                        help="run only these steps (repeatable); all by default")
    options = parser.parse_args(argv)
    conf = {SIMULATE_RUN_SECONDS: str(options.simulate_run_seconds)} if options.simulate_run_seconds else {}
    client = Client.from_settings()  # in the plugin: Client.from_settings(config["connection"]), the connection preset
    steps = {
        "spark-job": lambda: run_spark_job(client, options.user, conf),
        "kernel": lambda: run_kernel(client, options.user),
        "cancel": lambda: run_cancelled_job(client, options.user, conf),
        "refused": lambda: run_refused_request(client, options.user),
    }
    failed = []
    for name in options.only or list(steps):
        try:
            ok = steps[name]()
        except (ApiError, Unreachable, DeadlineExceeded) as error:
            say(name, "%s: %s" % (type(error).__name__, error))
            ok = False
        if not ok:
            failed.append(name)
    say("example", "FAILED: %s" % ", ".join(failed) if failed else "every step ended as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
