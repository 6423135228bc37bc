// Command gobench is the Go yardstick for goro's benchmarks: one Go program
// per benchmark in bench/goro/, written as a Go programmer would write it,
// doing the same work and printing the same RESULT line.
//
//	gobench NAME [ARGS...]
//
// NAME is a benchmark (Gosched, ChanSync, ...); ARGS are the same positional
// integers the C program takes. The line printed on stdout is
//
//	RESULT name=ChanSync ns_per_op=123.4 ops=1000000 total_ns=... checksum=...
//
// and the checksum must equal the C program's for the same ARGS.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"
)

var benchmarks = map[string]func(args []int64){
	"Gosched":              benchGosched,
	"CreateGoroutines":     benchCreateGoroutines,
	"ChanSync":             benchChanSync,
	"ChanProdCons":         benchChanProdCons,
	"SelectProdCons":       benchSelectProdCons,
	"ChanNonblocking":      benchChanNonblocking,
	"MutexUncontended":     benchMutexUncontended,
	"MutexContended":       benchMutexContended,
	"WaitGroupUncontended": benchWaitGroupUncontended,
	"ParkedGoroutines":     benchParkedGoroutines,
	"Skynet":               benchSkynet,
	"PrimeSieve":           benchPrimeSieve,
	"TimerSleep":           benchTimerSleep,
}

func main() {
	if len(os.Args) < 2 || benchmarks[os.Args[1]] == nil {
		var names []string
		for name := range benchmarks {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: gobench NAME [ARGS...]\nNAME: %v\n", names)
		os.Exit(2)
	}
	var args []int64
	for _, s := range os.Args[2:] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			fail("bad argument %q (want an integer >= 0)", s)
		}
		args = append(args, v)
	}
	fmt.Fprintf(os.Stderr, "gobench %s: GOMAXPROCS=%d\n", os.Args[1], runtime.GOMAXPROCS(0))
	benchmarks[os.Args[1]](args)
}

// arg returns args[i], or def when it is absent.
func arg(args []int64, i int, def int64) int64 {
	if i < len(args) {
		return args[i]
	}
	return def
}

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "benchmark failed: "+format+"\n", a...)
	os.Exit(1)
}

// measure runs f once as a warm-up with n/10+1 and once timed with n, and
// returns the timed run's checksum and duration.
func measure(n int64, f func(n int64) int64) (checksum int64, elapsed time.Duration) {
	f(n/10 + 1)
	start := time.Now()
	checksum = f(n)
	return checksum, time.Since(start)
}

func resultNsPerOp(name string, elapsed time.Duration, ops, checksum int64) {
	ns := elapsed.Nanoseconds()
	fmt.Printf("RESULT name=%s ns_per_op=%.3f ops=%d total_ns=%d checksum=%d\n",
		name, float64(ns)/float64(ops), ops, ns, checksum)
}

// rssBytes is VmRSS from /proc/self/status, in bytes.
func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fail("read /proc/self/status: %v", err)
	}
	var kb int64 = -1
	for _, line := range splitLines(string(data)) {
		if len(line) > 6 && line[:6] == "VmRSS:" {
			var v int64
			if _, err := fmt.Sscanf(line[6:], "%d", &v); err == nil {
				kb = v
			}
			break
		}
	}
	if kb < 0 {
		fail("no VmRSS in /proc/self/status")
	}
	return kb * 1024
}

func splitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			lines = append(lines, s[start:i])
			start = i + 1
		}
	}
	return append(lines, s[start:])
}

// cpuTime is the process's user + system CPU time (every thread).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fail("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
