#!/bin/sh
# arch-test.sh: builds and runs tests/arch_switch.c, the standalone test of
# the context switch (src/arch/, no scheduler), in every configuration this
# machine can run:
#   - natively with gcc -O2 and clang -O2 (a missing compiler is skipped);
#   - for aarch64 with aarch64-linux-gnu-gcc -O2 -static under
#     qemu-aarch64-static, if both tools are installed (otherwise it says so
#     and skips that part; installing them is the caller's business).
# Build outputs go to build/arch-test/. Exits non-zero if any build or run
# fails.
set -eu

cd "$(dirname "$0")/.."
out=build/arch-test
mkdir -p "$out"

# The switch and its context layout; yield_x86_64.S is goro_yield's entry
# into the scheduler, which this test does not link.
srcs="tests/arch_switch.c $(ls src/arch/*.c src/arch/switch_*.S)"
warn="-Wall -Wextra"
failed=0
ran=0

# build_and_run NAME RUNNER CC FLAGS...   (RUNNER "" runs the binary directly)
build_and_run() {
  name=$1 runner=$2 cc=$3
  shift 3
  bin="$out/arch_switch-$name"
  echo "== $name: $cc $* $warn -g -o $bin $srcs -lm" | tr -s ' \n' '  '
  echo
  # shellcheck disable=SC2086 # $srcs and $warn are word lists
  if ! "$cc" "$@" $warn -g -o "$bin" $srcs -lm; then
    echo "FAIL: $name: build failed"
    failed=1
    return 0
  fi
  echo "== $name: run ${runner:+$runner }$bin"
  # shellcheck disable=SC2086 # $runner is empty or one word
  if $runner "$bin"; then
    ran=$((ran + 1))
  else
    echo "FAIL: $name: exit status $?"
    failed=1
  fi
}

have() { command -v "$1" >/dev/null 2>&1; }

native=$(uname -m)
for cc in gcc clang; do
  if have "$cc"; then
    build_and_run "$native-$cc" "" "$cc" -O2
  else
    echo "SKIP: $native-$cc: $cc not found"
  fi
done

if have aarch64-linux-gnu-gcc && have qemu-aarch64-static; then
  build_and_run aarch64-gcc-qemu qemu-aarch64-static aarch64-linux-gnu-gcc \
    -O2 -static
else
  echo "SKIP: aarch64 under qemu: needs aarch64-linux-gnu-gcc and" \
    "qemu-aarch64-static (Debian: gcc-aarch64-linux-gnu qemu-user-static)"
fi

if [ "$ran" -eq 0 ]; then
  echo "arch-test: no configuration could be built (no gcc or clang?)"
  failed=1
fi
if [ "$failed" -ne 0 ]; then
  echo "arch-test: FAILED"
  exit 1
fi
echo "arch-test: ok ($ran configurations passed)"
