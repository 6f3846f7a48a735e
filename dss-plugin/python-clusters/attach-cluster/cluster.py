from dataiku.cluster import Cluster

from compute_orchestrator.dss import PluginError, cluster_data_dir, connection_client, start_cluster, stop_cluster


class AttachedCluster(Cluster):
    """A static cluster preset of the orchestrator: start() attaches it, stop() detaches it (the
    cluster itself is never deleted)."""

    def __init__(self, cluster_id, cluster_name, config, plugin_config, global_settings):
        self.cluster_id = cluster_id
        self.cluster_name = cluster_name
        self.config = config
        self.plugin_config = plugin_config
        self.global_settings = global_settings

    def start(self):
        preset = (self.config.get("staticCluster") or "").strip()
        if not preset:
            raise PluginError("staticCluster: name the orchestrator's static cluster preset to attach")
        return start_cluster(connection_client(self.config), preset, "static", cluster_data_dir())

    def stop(self, data):
        stop_cluster(connection_client(self.config), data)
