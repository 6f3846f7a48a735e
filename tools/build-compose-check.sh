#!/usr/bin/env bash
# compose-check: docker-compose.yml loaded by compose-go (the loader inside `docker compose`),
# through the wrapper module in tools/compose-check; the unit tests run it in place of
# `docker compose config`, which needs a compose plugin this machine may not have.
. "$(dirname "$0")/lib.sh"
require_go

recipe() {
  local module_version
  module_version=$(cd "$TOOLS_DIR/compose-check" && go list -m -f '{{.Version}}' github.com/compose-spec/compose-go/v2)
  [ "$module_version" = "$COMPOSE_GO_VERSION" ] || fail "tools/compose-check/go.mod pins $module_version, versions.env says $COMPOSE_GO_VERSION"
  (cd "$TOOLS_DIR/compose-check" && go build -trimpath -o "$1/bin/compose-check" .)
}
build_once compose-check "$COMPOSE_GO_VERSION" recipe
