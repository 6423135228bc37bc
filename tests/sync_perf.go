// sync_perf.go: the Go twin of tests/sync_perf.c (same modes, arguments
// and output). Build: GO111MODULE=off go build -o sync_perf_go sync_perf.go
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func arg(i int) int64 {
	v, err := strconv.ParseInt(os.Args[i], 10, 64)
	if err != nil {
		os.Exit(2)
	}
	return v
}

func main() {
	switch os.Args[1] {
	case "contended":
		g, n := arg(2), arg(3)
		var mu sync.Mutex
		var count int64
		var wg sync.WaitGroup
		t0 := time.Now()
		wg.Add(int(g))
		for i := int64(0); i < g; i++ {
			go func() {
				for j := int64(0); j < n; j++ {
					mu.Lock()
					count++
					mu.Unlock()
				}
				wg.Done()
			}()
		}
		wg.Wait()
		el := time.Since(t0)
		fmt.Printf("RESULT contended %.2f %d\n", float64(el.Nanoseconds())/float64(g*n), count)
	case "uncontended":
		n := arg(2)
		var m sync.Mutex
		var c int64
		done := make(chan bool)
		go func() { // in a goroutine, as the C program is
			t0 := time.Now()
			for i := int64(0); i < n; i++ {
				m.Lock()
				c++
				m.Unlock()
			}
			el := time.Since(t0)
			fmt.Printf("RESULT uncontended %.2f %d\n", float64(el.Nanoseconds())/float64(n), c)
			done <- true
		}()
		<-done
	case "sleep":
		g, k, d := arg(2), arg(3), arg(4)
		var wg sync.WaitGroup
		var slept int64
		c0, t0 := cpuNs(), time.Now()
		wg.Add(int(g))
		for i := int64(0); i < g; i++ {
			go func() {
				var n int64
				for j := int64(0); j < k; j++ {
					time.Sleep(time.Duration(d) * time.Millisecond)
					n++
				}
				atomic.AddInt64(&slept, n)
				wg.Done()
			}()
		}
		wg.Wait()
		cpu, wall := cpuNs()-c0, time.Since(t0)
		fmt.Printf("RESULT sleep %.1f %d wall_ms=%.1f\n", float64(cpu)/float64(g*k), slept, float64(wall.Nanoseconds())/1e6)
	default:
		os.Exit(2)
	}
}
