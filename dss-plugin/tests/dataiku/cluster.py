"""DSS's base class of a plugin's cluster (python-clusters/*/cluster.py)."""


class Cluster(object):
    def __init__(self, cluster_id, cluster_name, config, plugin_config, global_settings):
        self.cluster_id = cluster_id
        self.cluster_name = cluster_name
        self.config = config
        self.plugin_config = plugin_config
        self.global_settings = global_settings

    def start(self):
        """Returns ``[settings overrides, data]``; DSS keeps ``data`` and hands it to stop()."""
        raise NotImplementedError()

    def stop(self, data):
        raise NotImplementedError()
