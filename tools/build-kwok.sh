#!/usr/bin/env bash
# kwok: fake nodes and pod lifecycles for the local control plane.
. "$(dirname "$0")/lib.sh"
require_go

recipe() {
  GOBIN="$1/bin" go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
}
build_once kwok "$KWOK_VERSION" recipe
