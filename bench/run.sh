#!/bin/sh
# goro against Go and against OS threads: the whole comparison in one command.
#
#   bench/run.sh            full run: 5 alternating runs per side at 1 and 2
#                           processors (about 10 minutes on 2 cores)
#   bench/run.sh --quick    small counts, one run each; checks that every
#                           landed benchmark gives a number and that goro's and
#                           Go's checksums agree (exit 1 otherwise)
#   bench/run.sh --only ChanSync,Skynet --runs 9 --procs 1,2
#
# Installs Debian's golang-go if go is missing, builds the goro library
# (CMake, Release) if it is missing or stale, then runs bench/run.py, which
# writes build/bench/{results.csv,results.json,results.md,ratios.svg}.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

if ! command -v go >/dev/null 2>&1; then
  echo "== go not found: installing Debian's golang-go" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y golang-go ||
    { apt-get update && apt-get install -y golang-go; } || {
      echo "bench: cannot install golang-go" >&2
      exit 1
    }
fi

# The library: configure build/ once (Release), then let CMake decide what
# is stale. A build/ configured for another build type is reconfigured as
# Release: benchmarks of an unoptimised library would mean nothing.
unset GORO_BENCH_LIB_BROKEN
if [ -f CMakeLists.txt ]; then
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' build/CMakeCache.txt 2>/dev/null)
  if [ ! -f build/CMakeCache.txt ] || [ "$type" != Release ]; then
    echo "== configuring build/ (Release)" >&2
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >&2 ||
      GORO_BENCH_LIB_BROKEN="cmake configure failed"
  fi
  if [ -z "${GORO_BENCH_LIB_BROKEN:-}" ]; then
    # Only the static library: a test or example that does not build must
    # not hold the benchmarks back.
    target=
    targets=$(cmake --build build --target help 2>/dev/null)
    for t in goro_static goro; do
      if printf '%s\n' "$targets" | grep -Eq "(^|[ .:])$t([ :]|$)"; then
        target="--target $t"
        break
      fi
    done
    echo "== building the goro library (cmake --build build $target)" >&2
    # shellcheck disable=SC2086
    cmake --build build -j 2 $target >&2 ||
      GORO_BENCH_LIB_BROKEN="cmake --build failed"
  fi
  if [ -n "${GORO_BENCH_LIB_BROKEN:-}" ]; then
    echo "bench: WARNING: $GORO_BENCH_LIB_BROKEN; goro rows are 'not yet'" >&2
    export GORO_BENCH_LIB_BROKEN
  fi
else
  echo "bench: no CMakeLists.txt yet; goro rows are 'not yet'" >&2
fi

exec python3 "$root/bench/run.py" "$@"
