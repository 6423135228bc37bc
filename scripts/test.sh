#!/usr/bin/env bash
# test.sh: builds goro and runs every test, each in its own process with a
# time limit:
#   1. the Release build's suite (ctest), every test at GORO_MAXPROCS=1 and 2;
#   2. the deterministic mode: 2000 seeds per protocol (tests/seed_*.c);
#   3. the soak's short run (tests/soak.c; the long one is scripts/soak.sh);
#   4. the context switch natively (gcc, clang) and for aarch64 under qemu;
#   5. the runtime's suite cross-built for aarch64, under qemu-user;
#   6. the suite under AddressSanitizer with UBSan (leaks checked at exit,
#      fault injection included);
#   7. the suite under ThreadSanitizer, with the race-detection contract;
#   8. a short valgrind pass;
#   9. the benchmark harness's own check (bench/run.sh --quick).
# docs/reliability.md says what stages 2, 3, 6 and 7 check.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh cmake gcc make clang python3 \
  aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu qemu-aarch64-static:qemu-user-static \
  go:golang-go wrk /usr/include/http_parser.h:libhttp-parser-dev

jobs=$(nproc)
# Each stage's banner says how long the run has taken so far.
stage() { echo "== $* (at ${SECONDS}s)"; }
stage "Release build and suite"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs" >/dev/null
(cd build && ctest --output-on-failure -j2 --timeout 300 -E "seed_|soak")

# Run directly (each under a time limit) so that their numbers show.
stage "deterministic mode (GORO_SEED): 2000 seeds per protocol"
# Two at a time (each is one thread): xargs fails if any of them does.
printf '%s\n' seed_chan seed_select seed_sync |
  xargs -P2 -I{} timeout 600 build/tests/test_{}

stage "soak, short run (scripts/soak.sh runs it for longer)"
for p in 1 2; do
  GORO_MAXPROCS=$p timeout 180 build/tests/test_soak 5
done

stage "context switch, native and aarch64"
scripts/arch-test.sh

if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64-static >/dev/null; then
  stage "aarch64 cross build, run under qemu-user"
  cmake -S . -B build-aarch64 -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DGORO_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build build-aarch64 -j"$jobs" >/dev/null
  # The suite, less what emulation cannot give: guard-page madvise calls
  # (stack overflow), a thread count of our own (qemu-user adds threads, so
  # deadlock detection stays silent), real parallelism and scale (million,
  # parallel, steal), and the long reliability runs.
  (cd build-aarch64 && ctest --output-on-failure -j2 --timeout 600 \
    -E "million|parallel|steal|fatal|deadlock|io_|errno_migrate_clang|bench|race_|seed_|soak|fault|fork")
else
  stage "aarch64: cross compiler or qemu missing, skipped"
fi
# Sanitizer builds skip the million-goroutine test (memory and time) and
# the measuring programs.
stage "AddressSanitizer + UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGORO_SANITIZE=address \
  -DGORO_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
# Seeds are about the protocols' logic (stage 2): a few per protocol here.
(cd build-asan && SEED_COUNT=50 ctest --output-on-failure -j2 --timeout 600 -E "million|perf")

stage "ThreadSanitizer, with the race-detection contract"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGORO_SANITIZE=thread \
  >/dev/null
cmake --build build-tsan -j"$jobs" >/dev/null
# The I/O tests and the examples run here too (the runtime orders
# operations on one fd as Go's fdMutex does; docs/reliability.md), and so
# do the deadlock and fatal-error tests. Not under TSan:
# chan_powser, chan_select, chan_closed, chan_stress and chan_threads
# close channels that other goroutines are blocked sending on (-EPIPE is
# their teardown signal), which Go's race detector reports as a race (Go
# would also panic) and so does goro's; time_many is too slow instrumented; seeds and fault injection are about
# logic and leaks (stages 2 and 6). The race contract runs on its own
# below, so that its counts show.
(cd build-tsan && ctest --output-on-failure -j2 --timeout 600 \
  -E "million|perf|time_many|race_|seed_|fault|chan_(powser|select|closed|stress|threads)")
for t in race_chan race_sync; do
  timeout 600 "build-tsan/tests/test_$t"
done

stage "valgrind (goroutine stacks registered)"
cmake -S . -B build-vg -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGORO_VALGRIND=ON \
  -DGORO_BUILD_EXAMPLES=OFF >/dev/null
cmake --build build-vg -j"$jobs" >/dev/null
# Two at a time: valgrind runs one thread at a time per process, so a
# pair uses the two CPUs; xargs fails if any run does.
for t in spawn sleep_wg chan_fifo chan_nonblock sync_wg sync_mutex; do
  for p in 1 2; do echo "$t $p"; done
done | xargs -P2 -L1 sh -c 'echo "valgrind: $1 at GORO_MAXPROCS=$2";
  GORO_MAXPROCS=$2 timeout 300 valgrind -q --error-exitcode=1 \
    "build-vg/tests/test_$1" >/dev/null || { echo "valgrind: $1 at $2 FAILED"; exit 1; }' sh

stage "the benchmark harness (quick mode: every benchmark once, checksums)"
bench/run.sh --quick

stage "all tests passed"
