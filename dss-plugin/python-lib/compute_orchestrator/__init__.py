"""compute-orchestrator's DSS plugin library: the API client (``client``), client-mode Spark
identity leases (``lease``), and what the plugin's clusters, macros and step do (``dss``; and
``dss_settings``, which needs DSS's ``dataiku`` package)."""

from .client import *  # noqa: F401,F403 (the client is the package's API)
from .client import __all__ as _client_names
from .lease import LeaseFailed, SparkIdentityLease

__all__ = list(_client_names) + ["SparkIdentityLease", "LeaseFailed"]
