#!/usr/bin/env bash
# tour.sh: builds goro and runs the tour (examples/tour.c).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh cmake gcc make
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DGORO_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" --target tour >/dev/null
exec ./build/examples/tour
