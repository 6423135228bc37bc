#!/bin/sh
# chan_perf.sh: runs chan_perf (goro) and its Go twin alternately and prints
# medians, best runs and goro/Go ratios. Usage (from the repository root,
# after a build):
#   tests/chan_perf.sh [rounds] [modes...]
# Environment: BUILD (default build), GO_BIN (default /tmp/chan_perf_go).
set -e
rounds=${1:-11}
[ $# -gt 0 ] && shift
modes=${*:-"pingpong buffered select sieve"}
build=${BUILD:-build}
gobin=${GO_BIN:-/tmp/chan_perf_go}
if [ ! -x "$gobin" ]; then
  GO111MODULE=off GOCACHE=${GOCACHE:-/tmp/gocache} GOPATH=${GOPATH:-/tmp/gopath} \
    go build -o "$gobin" "$(dirname "$0")/chan_perf.go"
fi
arg() {
  case $1 in
  pingpong) echo 1000000 ;;
  buffered) echo 5000000 ;;
  select) echo 1000000 ;;
  sieve) echo 3000 ;;
  esac
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
minimum() { sort -n | head -1; }
tmp=$(mktemp -d)
for m in $modes; do
  for p in 1 2; do
    for r in $(seq "$rounds"); do
      GORO_MAXPROCS=$p "$build/tests/chan_perf" "$m" "$(arg "$m")" | awk '{print $2}' >>"$tmp/goro.$m.$p"
      GOMAXPROCS=$p "$gobin" "$m" "$(arg "$m")" | awk '{print $2}' >>"$tmp/go.$m.$p"
    done
    g=$(median <"$tmp/goro.$m.$p")
    o=$(median <"$tmp/go.$m.$p")
    unit="ns/op"
    [ "$m" = sieve ] && unit="ms"
    gm=$(minimum <"$tmp/goro.$m.$p")
    om=$(minimum <"$tmp/go.$m.$p")
    echo "$m procs=$p median: goro=$g go=$o $unit ratio=$(echo "$g $o" | awk '{printf "%.2f", $1/$2}')" \
      "  best: goro=$gm go=$om ratio=$(echo "$gm $om" | awk '{printf "%.2f", $1/$2}')"
  done
done
rm -rf "$tmp"
