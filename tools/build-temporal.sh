#!/usr/bin/env bash
# The Temporal CLI (dev server with SQLite and the Web UI), from the Go module proxy.
. "$(dirname "$0")/lib.sh"
require_go

recipe() {
  GOBIN="$1/bin" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION"
}
build_once temporal "$TEMPORAL_CLI_VERSION" recipe
