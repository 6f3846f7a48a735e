#!/usr/bin/env bash
# Jupyter Server and JupyterLab from PyPI in a virtualenv; test/integration/stack/jupyter-server.ts
# finds bin/jupyter by the same key (build_python_venv in lib.sh).
. "$(dirname "$0")/lib.sh"
build_python_venv jupyter "$JUPYTERLAB_VERSION-server$JUPYTER_SERVER_VERSION" "jupyterlab==$JUPYTERLAB_VERSION" "jupyter_server==$JUPYTER_SERVER_VERSION"
