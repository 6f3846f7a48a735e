#!/usr/bin/env bash
# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl, through the wrapper
# module in tools/kubernetes, stamped with their real version (components compare it).
. "$(dirname "$0")/lib.sh"
require_go

recipe() {
  local module_version
  module_version=$(cd "$TOOLS_DIR/kubernetes" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
  [ "$module_version" = "$KUBERNETES_VERSION" ] || fail "tools/kubernetes/go.mod pins $module_version, versions.env says $KUBERNETES_VERSION"
  local v=${KUBERNETES_VERSION#v} pkg ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=${v%%.*}"
    ldflags+=" -X $pkg.gitMinor=$(echo "$v" | cut -d. -f2) -X $pkg.gitTreeState=clean"
  done
  (cd "$TOOLS_DIR/kubernetes" && go build -trimpath -ldflags "-s -w$ldflags" -o "$1/bin/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl)
}
build_once kubernetes "$KUBERNETES_VERSION" recipe
