#!/usr/bin/env bash
# soak.sh [seconds]: the long soak (tests/soak.c) on a Release build, at
# GORO_MAXPROCS=1 and at the machine's CPU count, one after the other.
# Every message is checked (no loss, no duplicate, no corruption) and the
# resident set must stay flat. Default: 600 s for each run.
#   scripts/soak.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target test_soak >/dev/null
GORO_MAXPROCS=1 build/tests/test_soak "$secs"
GORO_MAXPROCS="$(nproc)" build/tests/test_soak "$secs"
