#!/usr/bin/env bash
# test.sh: builds goro and runs every test, each in its own process with a
# time limit:
#   1. the Release build's suite (ctest), every test at GORO_MAXPROCS=1 and 2;
#   2. the context switch natively (gcc, clang) and for aarch64 under qemu;
#   3. the runtime's suite cross-built for aarch64, under qemu-user.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh cmake gcc make clang python3 \
  aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu qemu-aarch64-static:qemu-user-static \
  go:golang-go wrk /usr/include/http_parser.h:libhttp-parser-dev

jobs=$(nproc)
echo "== Release build and suite"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs" >/dev/null
(cd build && ctest --output-on-failure -j2 --timeout 300)

echo "== context switch, native and aarch64"
scripts/arch-test.sh

if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64-static >/dev/null; then
  echo "== aarch64 cross build, run under qemu-user"
  cmake -S . -B build-aarch64 -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DGORO_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build build-aarch64 -j"$jobs" >/dev/null
  # The suite, less what emulation cannot give: guard-page madvise calls
  # (stack overflow), a thread count of our own (qemu-user adds threads, so
  # deadlock detection stays silent), real parallelism and scale (million,
  # parallel, steal), and the long reliability runs.
  (cd build-aarch64 && ctest --output-on-failure -j2 --timeout 600 \
    -E "million|parallel|steal|fatal|deadlock|io_|errno_migrate_clang|bench|race_|seed_|soak|fault")
else
  echo "== aarch64: cross compiler or qemu missing, skipped"
fi
echo "== all tests passed"
