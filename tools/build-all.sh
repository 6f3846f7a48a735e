#!/usr/bin/env bash
# Builds every local component that is not cached yet; prints the cache root on success.
. "$(dirname "$0")/lib.sh"
for recipe in temporal temporal-server kwok etcd kubernetes spark compose-check; do
  "$TOOLS_DIR/build-$recipe.sh"
done
echo "$CACHE_ROOT"
