# Shared by the recipes in tools/: where the cache lives, how a build is made atomic, and how a
# missing prerequisite is reported. Sourced, never run.
set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$TOOLS_DIR/versions.env"
CACHE_ROOT=${COMPUTE_ORCHESTRATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/compute-orchestrator}/tools
export GOFLAGS=-buildvcs=false

fail() {
  printf 'tools: %s\n' "$*" >&2
  exit 1
}

require_command() { # name, what to install
  command -v "$1" >/dev/null 2>&1 || fail "'$1' is missing: install $2 and run again."
}

require_go() {
  require_command go "Go 1.24 or newer (https://go.dev/doc/install, or Debian's golang package)"
  local minor
  minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
  [ "$minor" -ge 24 ] || fail "Go $(go env GOVERSION) is too old: install Go 1.24 or newer."
}

# build_once NAME VERSION FUNCTION: runs FUNCTION STAGING_DIR unless NAME/VERSION is cached.
# The result appears in the cache only once complete (rename), and a lock keeps two runs
# (npm start and npm test, say) from building the same thing at once.
build_once() {
  local name=$1 version=$2 recipe=$3
  local dest="$CACHE_ROOT/$name/$version"
  [ -f "$dest/.complete" ] && return 0
  mkdir -p "$CACHE_ROOT/$name"
  exec {lock}>"$CACHE_ROOT/$name/.lock"
  flock "$lock"
  if [ ! -f "$dest/.complete" ]; then
    local staging="$CACHE_ROOT/$name/.staging-$version-$$"
    rm -rf "$staging"
    mkdir -p "$staging/bin"
    local started=$SECONDS log="$CACHE_ROOT/$name/build-$version.log"
    printf 'tools: building %s %s (first time only; log: %s)\n' "$name" "$version" "$log" >&2
    # A subshell of its own, outside any condition (`if`, `||`): only there does `set -e` stop
    # the recipe at its first failing step instead of caching a broken build.
    local status
    set +e
    ( set -e; "$recipe" "$staging" ) >"$log" 2>&1
    status=$?
    set -e
    if [ "$status" != 0 ]; then
      rm -rf "$staging"
      tail -n 20 "$log" >&2
      fail "building $name $version failed; the whole log is $log"
    fi
    touch "$staging/.complete"
    rm -rf "$dest"
    mv "$staging" "$dest"
    printf 'tools: built %s %s in %ss\n' "$name" "$version" "$((SECONDS - started))" >&2
  fi
  flock -u "$lock"
}

# A virtualenv from PyPI, cached as `<name>/<version>-py<minor>`: a virtualenv runs only on the
# Python that made it. Prints nothing; the caller's tests find bin/ by the same key.
build_python_venv() { # name, version, pip requirement...
  local name=$1 version=$2 python_minor
  shift 2
  require_command python3 "Python 3 with its venv module (Debian: 'apt-get install python3-venv')"
  python_minor=$(python3 -c 'import ensurepip, sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) ||
    fail "python3 cannot make a virtualenv: install its venv module (Debian: 'apt-get install python3-venv') and run again."
  VENV_KEY="$version-py$python_minor" VENV_NAME="$name" VENV_REQUIREMENTS="$*" build_once "$name" "$version-py$python_minor" python_venv_recipe
}

python_venv_recipe() {
  python3 -m venv --prompt "$VENV_NAME" "$1"
  # shellcheck disable=SC2086 # one word per requirement
  "$1/bin/pip" install --no-input $VENV_REQUIREMENTS
  # pip writes the virtualenv's absolute path into its launchers' #! lines, and build_once moves
  # the staging directory to its final place afterwards.
  grep -rlIF -- "$1" "$1/bin" "$1/pyvenv.cfg" | xargs -r sed -i "s|$1|$CACHE_ROOT/$VENV_NAME/$VENV_KEY|g"
}
