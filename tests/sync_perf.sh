#!/bin/sh
# sync_perf.sh: goro's sync/time numbers side by side with Go's, measured in
# the same run: the C program and its Go twin alternate, RUNS times each,
# at 1 and 2 processors; prints the medians and goro/Go ratios.
#   tests/sync_perf.sh [build-dir] [runs]
# The C program is built by CMake (target sync_perf); the Go one here.
set -e
B=${1:-build}
RUNS=${2:-9}
C=$B/tests/sync_perf
GO_BIN=/tmp/sync_perf_go
export GO111MODULE=off GOCACHE=/tmp/gocache GOPATH=/tmp/gopath
go build -o $GO_BIN "$(dirname "$0")/sync_perf.go"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

bench() { # label procs args...
  label=$1; procs=$2; shift 2
  : > /tmp/sp_c; : > /tmp/sp_go
  i=0
  while [ $i -lt $RUNS ]; do
    GORO_MAXPROCS=$procs $C "$@" | awk '/^RESULT/ {print $3}' >> /tmp/sp_c
    GOMAXPROCS=$procs $GO_BIN "$@" | awk '/^RESULT/ {print $3}' >> /tmp/sp_go
    i=$((i + 1))
  done
  mc=$(median < /tmp/sp_c); mg=$(median < /tmp/sp_go)
  printf "%-34s procs=%s  goro %10s  go %10s  ratio %s\n" "$label" "$procs" \
    "$mc" "$mg" "$(echo "$mc $mg" | awk '{printf "%.2f", $1/$2}')"
}

for p in 1 2; do
  bench "contended 8x1e6 (ns/op)" $p contended 8 1000000
  bench "uncontended 1e7 (ns/op)" $p uncontended 10000000
  bench "sleep 1e5 x10 x10ms (cpu ns/sleep)" $p sleep 100000 10 10
done
