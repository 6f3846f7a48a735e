"""The DSS cluster a macro acts on: what its start() returned, and its settings resolved."""

import json

import dataiku
from dataiku.core.intercom import backend_json_call

from .dss import PluginError, connection_client


def started_cluster(dss_cluster_id):
    """``(client, data)`` of a DSS cluster of this plugin: the API client of its connection preset,
    and the data its start() returned (``data["cluster"]``: the API's name)."""
    settings = dataiku.api_client().get_cluster(dss_cluster_id).get_settings()
    data = settings.get_plugin_data()
    if not data or "cluster" not in data:
        raise PluginError("clusterId: the DSS cluster %s is not started, or not one of this plugin" % dss_cluster_id)
    raw = settings.get_raw()
    # The raw settings name the connection preset; the token is in the preset, which DSS resolves.
    resolved = backend_json_call("plugins/get-resolved-settings", data={"elementConfig": json.dumps(raw["params"]["config"]), "elementType": raw["type"]})
    return connection_client(resolved["config"]), data
