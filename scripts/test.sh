#!/usr/bin/env bash
# Runs every test file (node 20's runner takes no globs). Each file runs in its own
# process, so each gets its own embedded ClickHouse; two at a time fits 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-chromium.sh
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' | sort); fi
exec node --import tsx --test --test-concurrency="${SYNCWATCH_TEST_CONCURRENCY:-2}" "${files[@]}"
