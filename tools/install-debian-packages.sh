#!/usr/bin/env bash
# Debian packages used as real components. The tests need PostgreSQL (the production-shaped
# Temporal's database), Chromium (the Web UI check, driven by playwright-core; no browser
# download), Python's venv module (Jupyter Server's virtualenv, tools/build-jupyter.sh) and, in
# Debian's own /usr/bin/python3, ipykernel and Cryptodome (test/unit/jupyter-*: a real kernel, and
# payloads encrypted as EG's launcher does). The real node needs containerd, runc, the CNI
# plugins, iptables (kube-proxy, the bridge's masquerading) and debootstrap (its images); a node
# needs root anyway, so elsewhere they are not asked for and the stack runs with the simulated
# node alone. Installed once with apt-get when missing; without root, install them and run again.
. "$(dirname "$0")/lib.sh"

missing=()
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
/usr/bin/python3 -c 'import ipykernel' >/dev/null 2>&1 || missing+=(python3-ipykernel)
/usr/bin/python3 -c 'import Cryptodome' >/dev/null 2>&1 || missing+=(python3-pycryptodome)
if [ "$(id -u)" = 0 ]; then
  for package in containerd runc iptables debootstrap; do
    command -v "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  fail "missing Debian packages: ${missing[*]} (install them, e.g. 'sudo apt-get install ${missing[*]}', and run again)"
fi
printf 'tools: installing %s from Debian (first time only)\n' "${missing[*]}" >&2
log="$CACHE_ROOT/apt-install.log"
mkdir -p "$CACHE_ROOT"
if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  fail "installing ${missing[*]} failed; the whole log is $log"
fi
