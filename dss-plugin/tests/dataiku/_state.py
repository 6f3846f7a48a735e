"""What the stand-in's DSS keeps, as JSON files under DSS_STANDIN_HOME (see ``tests/dss_host.py``)."""

import json
import os

HOME_VARIABLE = "DSS_STANDIN_HOME"
USER_VARIABLE = "DSS_STANDIN_USER"


def home():
    path = os.environ.get(HOME_VARIABLE)
    if not path:
        raise RuntimeError("the dataiku stand-in needs %s (a directory)" % HOME_VARIABLE)
    return path


def read(*parts):
    with open(os.path.join(home(), *parts)) as file:
        return json.load(file)


def write(document, *parts):
    path = os.path.join(home(), *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as file:
        json.dump(document, file, indent=2)


def resolve(config):
    """As DSS resolves a plugin element's settings: each PRESET parameter (``{"mode": "PRESET",
    "name"}``) becomes the preset's values, an inline one (``{"mode": "INLINE", "inlineParams"}``) its own."""
    def value(entry):
        if isinstance(entry, dict) and entry.get("mode") == "PRESET":
            return read("presets", entry["name"] + ".json")
        if isinstance(entry, dict) and entry.get("mode") == "INLINE":
            return entry.get("inlineParams", {})
        return entry
    return {name: value(entry) for name, entry in (config or {}).items()}


class DSSClusterSettings(object):
    def __init__(self, cluster_id, record):
        self.cluster_id = cluster_id
        self.settings = record

    def get_raw(self):
        return self.settings

    def get_plugin_data(self):
        return self.settings.get("data")


class DSSCluster(object):
    def __init__(self, client, cluster_id):
        self.client = client
        self.cluster_id = cluster_id

    def get_settings(self):
        return DSSClusterSettings(self.cluster_id, read("clusters", self.cluster_id + ".json"))


class DSSClient(object):
    def get_cluster(self, cluster_id):
        return DSSCluster(self, cluster_id)

    def get_auth_info(self, with_secrets=False):
        return {"authIdentifier": os.environ.get(USER_VARIABLE, "admin"), "groups": []}
