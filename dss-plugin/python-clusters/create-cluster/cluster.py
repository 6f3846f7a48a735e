from dataiku.cluster import Cluster

from compute_orchestrator.dss import api_cluster_name, cluster_data_dir, connection_client, start_cluster, stop_cluster


class CreatedCluster(Cluster):
    """A GKE cluster of the orchestrator: start() creates it (or, after a DSS host died in the
    middle, follows the same creation), stop() deletes it."""

    def __init__(self, cluster_id, cluster_name, config, plugin_config, global_settings):
        self.cluster_id = cluster_id
        self.cluster_name = cluster_name
        self.config = config
        self.plugin_config = plugin_config
        self.global_settings = global_settings

    def start(self):
        return start_cluster(
            connection_client(self.config), api_cluster_name(self.config, self.cluster_name), "gke", cluster_data_dir(),
            connection=self.config.get("gkeConnection"), node_pools=self.config.get("nodePools") or [],
            # DSS gives 0 for an INT left empty: no idle TTL then.
            idle_ttl_seconds=self.config.get("idleTtlSeconds") or None,
        )

    def stop(self, data):
        stop_cluster(connection_client(self.config), data)
