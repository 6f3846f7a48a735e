import dataiku
from dataiku.customstep import get_step_config

from compute_orchestrator.dss import abort_on_sigterm, connection_client, run_spark_job, spark_app

config = get_step_config()
# The job's temporary identity is the user's: the DSS login the scenario runs as.
user = dataiku.api_client().get_auth_info()["authIdentifier"]
with abort_on_sigterm():
    run_spark_job(connection_client(config), user, spark_app(config), cluster=(config.get("cluster") or "").strip() or None,
                  timeout_seconds=config.get("timeoutSeconds") or None)
