#!/usr/bin/env bash
# Temporal server and its SQL schema tool from go.temporal.io/server, for the production-shaped
# run on PostgreSQL (the dev server in build-temporal.sh keeps serving npm start).
. "$(dirname "$0")/lib.sh"
require_go

recipe() {
  GOBIN="$1/bin" go install \
    "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION"
  mv "$1/bin/server" "$1/bin/temporal-server"
  mv "$1/bin/sql" "$1/bin/temporal-sql-tool"
}
build_once temporal-server "$TEMPORAL_SERVER_VERSION" recipe
