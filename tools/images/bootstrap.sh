#!/usr/bin/env bash
# An image's root file system: debootstrap's minbase with more packages, less what only
# installing needs. Run by build.sh, two at a time. Arguments: mirror, root directory, packages.
. "$(dirname "$0")/../lib.sh"
mirror=$1 root=$2 packages=$3
if ! debootstrap --variant=minbase --include="$packages" "$DEBIAN_SUITE" "$root" "$mirror"; then
  # The reason is in the target's own log, which goes away with the work directory.
  tail -n 40 "$root/debootstrap/debootstrap.log" >&2
  exit 1
fi
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
  "$root"/var/lib/dpkg/*-old "$root"/var/log/* "$root"/usr/share/man/* "$root"/usr/share/info/*
find "$root/usr/share/doc" -type f ! -name copyright -delete
# debootstrap copied the build machine's name and resolver; the runtime provides the container's.
: >"$root/etc/hostname"
: >"$root/etc/resolv.conf"
