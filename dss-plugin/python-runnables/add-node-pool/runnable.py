# The base is reached through its module: DSS takes the one Runnable class a macro's module defines.
from compute_orchestrator import cluster_macro
from compute_orchestrator.dss import add_node_pool, node_pools_html


class AddNodePool(cluster_macro.ClusterMacro):
    def run_on(self, client, cluster):
        status = add_node_pool(client, cluster, (self.config.get("nodePool") or "").strip(), (self.config.get("preset") or "").strip())
        return node_pools_html(status)
