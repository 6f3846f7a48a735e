#!/usr/bin/env bash
# Jupyter Server and JupyterLab from PyPI in a virtualenv. The cache key carries the Python minor
# version as well: a virtualenv runs only on the Python that made it.
. "$(dirname "$0")/lib.sh"
require_command python3 "Python 3 with its venv module (Debian: 'apt-get install python3-venv')"
python_minor=$(python3 -c 'import ensurepip, sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) ||
  fail "python3 cannot make a virtualenv: install its venv module (Debian: 'apt-get install python3-venv') and run again."
# test/integration/stack/jupyter-server.ts finds bin/jupyter by the same key.
version="$JUPYTERLAB_VERSION-server$JUPYTER_SERVER_VERSION-py$python_minor"

recipe() {
  python3 -m venv --prompt jupyter "$1"
  "$1/bin/pip" install --no-input "jupyterlab==$JUPYTERLAB_VERSION" "jupyter_server==$JUPYTER_SERVER_VERSION"
  # pip writes the virtualenv's absolute path into its launchers' #! lines, and build_once moves
  # the staging directory to its final place afterwards.
  grep -rlIF -- "$1" "$1/bin" "$1/pyvenv.cfg" | xargs -r sed -i "s|$1|$CACHE_ROOT/jupyter/$version|g"
}
build_once jupyter "$version" recipe
