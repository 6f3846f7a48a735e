# The base is reached through its module: DSS takes the one Runnable class a macro's module defines.
from compute_orchestrator import cluster_macro
from compute_orchestrator.dss import node_pools_html


class InspectNodePools(cluster_macro.ClusterMacro):
    def run_on(self, client, cluster):
        return node_pools_html(client.cluster(cluster))
