"""What a plugin's custom scenario step (python-step/*/step.py) reads: its settings, resolved."""

from ._state import read, resolve


def get_step_config():
    return resolve(read("step.json")["config"])


def get_plugin_config():
    return read("step.json").get("pluginConfig", {})


def get_step_resource():
    return read("step.json").get("resource")
