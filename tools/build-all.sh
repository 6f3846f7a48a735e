#!/usr/bin/env bash
# Builds every local component that is not cached yet; prints the cache root on success.
. "$(dirname "$0")/lib.sh"
for recipe in temporal temporal-server temporal-test-server kwok etcd kubernetes coredns spark spark-submitter compose-check jupyter schemathesis; do
  "$TOOLS_DIR/build-$recipe.sh"
done
# The real node's images need root (debootstrap), as the node itself does: elsewhere the stack
# runs with the simulated node alone.
if [ "$(id -u)" = 0 ]; then
  "$TOOLS_DIR/build-images.sh" >/dev/null
fi
echo "$CACHE_ROOT"
