"""The shape DSS gives every cluster macro; each macro only says what its run does."""

from dataiku.runnables import Runnable

from .dss_settings import started_cluster


class ClusterMacro(Runnable):
    def __init__(self, project_key, config, plugin_config):
        self.project_key = project_key
        self.config = config
        self.plugin_config = plugin_config

    def get_progress_target(self):
        return None

    def run(self, progress_callback):
        client, data = started_cluster(self.config["clusterId"])
        return self.run_on(client, data["cluster"])

    def run_on(self, client, cluster):
        """The macro's work on the orchestrator's cluster `cluster`; answers the HTML DSS shows."""
        raise NotImplementedError
