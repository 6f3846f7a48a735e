# The base is reached through its module: DSS takes the one Runnable class a macro's module defines.
from compute_orchestrator import cluster_macro
from compute_orchestrator.dss import node_pools_html, resize_node_pool


class ResizeNodePool(cluster_macro.ClusterMacro):
    def run_on(self, client, cluster):
        # The API checks the size against the pool's maximum and refuses naming nodeCount or pool.
        status = resize_node_pool(client, cluster, (self.config.get("nodePool") or "").strip(), self.config.get("nodeCount"))
        return node_pools_html(status)
