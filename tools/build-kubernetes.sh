#!/usr/bin/env bash
# From the wrapper module in tools/kubernetes, stamped with their real version (components
# compare it): the control plane (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl) and, cached apart so that one never waits for the other, the node (kubelet,
# kube-proxy).
. "$(dirname "$0")/lib.sh"
require_go

build_commands() { # staging dir, commands under k8s.io/kubernetes/cmd/
  local dest=$1 module_version
  shift
  module_version=$(cd "$TOOLS_DIR/kubernetes" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
  [ "$module_version" = "$KUBERNETES_VERSION" ] || fail "tools/kubernetes/go.mod pins $module_version, versions.env says $KUBERNETES_VERSION"
  local v=${KUBERNETES_VERSION#v} pkg ldflags="" packages=()
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=${v%%.*}"
    ldflags+=" -X $pkg.gitMinor=$(echo "$v" | cut -d. -f2) -X $pkg.gitTreeState=clean"
  done
  for pkg in "$@"; do packages+=("k8s.io/kubernetes/cmd/$pkg"); done
  (cd "$TOOLS_DIR/kubernetes" && go build -trimpath -ldflags "-s -w$ldflags" -o "$dest/bin/" "${packages[@]}")
}
control_plane() { build_commands "$1" kube-apiserver kube-controller-manager kube-scheduler kubectl; }
node() { build_commands "$1" kubelet kube-proxy; }

build_once kubernetes "$KUBERNETES_VERSION" control_plane
build_once kubernetes-node "$KUBERNETES_VERSION" node
