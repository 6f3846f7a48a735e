#!/usr/bin/env bash
# Schemathesis from PyPI in a virtualenv: the API fuzzer of test/integration/api-fuzz.test.ts, which
# finds bin/schemathesis by the same key (build_python_venv in lib.sh).
. "$(dirname "$0")/lib.sh"
build_python_venv schemathesis "$SCHEMATHESIS_VERSION" "schemathesis==$SCHEMATHESIS_VERSION"
