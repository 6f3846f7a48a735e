#!/usr/bin/env bash
# etcd, through the wrapper module in tools/etcd.
. "$(dirname "$0")/lib.sh"
require_go

recipe() {
  local module_version
  module_version=$(cd "$TOOLS_DIR/etcd" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
  [ "$module_version" = "$ETCD_VERSION" ] || fail "tools/etcd/go.mod pins $module_version, versions.env says $ETCD_VERSION"
  (cd "$TOOLS_DIR/etcd" && go build -trimpath -o "$1/bin/etcd" .)
}
build_once etcd "$ETCD_VERSION" recipe
