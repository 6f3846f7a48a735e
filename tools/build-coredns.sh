#!/usr/bin/env bash
# CoreDNS: the real node's cluster DNS.
. "$(dirname "$0")/lib.sh"
require_go

recipe() {
  GOBIN="$1/bin" go install "github.com/coredns/coredns@$COREDNS_VERSION"
}
build_once coredns "$COREDNS_VERSION" recipe
