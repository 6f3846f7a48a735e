"""A stand-in for the few parts of DSS's ``dataiku`` package that the plugin uses, with DSS's names
and signatures, for tests outside DSS. Its state (what DSS keeps: clusters' settings and start()
data, presets, the user) is files under DSS_STANDIN_HOME, written by ``tests/dss_host.py``."""

from ._state import DSSClient


def api_client():
    """The public API client of the DSS instance, as the user running the code."""
    return DSSClient()
