"""DSS's base class of a plugin's macro (python-runnables/*/runnable.py)."""


class Runnable(object):
    def __init__(self, project_key, config, plugin_config):
        self.project_key = project_key
        self.config = config
        self.plugin_config = plugin_config

    def get_progress_target(self):
        return None

    def run(self, progress_callback):
        raise NotImplementedError()
