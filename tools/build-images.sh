#!/usr/bin/env bash
# Container images for the real node, built from Debian packages and Maven Central (no registry
# is reachable) as OCI archives for `ctr -n k8s.io images import`: the pod sandbox (pause),
# Spark and the Python kernel. The recipe is tools/images/build.sh; its version is a hash of
# everything that defines the images, so that changing any of it builds a new cache entry.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || fail "building the images needs root: debootstrap and chroot build their file systems."
require_command debootstrap "debootstrap (Debian: 'apt-get install debootstrap')"
require_command gcc "gcc with static glibc (Debian: 'apt-get install gcc libc6-dev')"
require_command javac "a JDK 17 or newer (Debian: 'apt-get install openjdk-17-jdk-headless')"
require_command jar "a JDK 17 or newer (Debian: 'apt-get install openjdk-17-jdk-headless')"
require_command node "Node.js 20 or newer"

version=$(
  cd "$TOOLS_DIR/images"
  { echo "$SPARK_VERSION $DEBIAN_SUITE"; find . -type f -print0 | sort -z | xargs -0 sha256sum; } |
    sha256sum | cut -c1-12
)
recipe() { "$TOOLS_DIR/images/build.sh" "$1"; }
build_once images "$version" recipe
# Where they are, for the stack that imports them.
echo "$CACHE_ROOT/images/$version"
