package main

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Gosched: ping-pong between two goroutines by yielding; see
// bench/goro/gosched.c. One op is one handoff. Checksum: n(n-1)/2.
func benchGosched(args []int64) {
	n := arg(args, 0, 1000000)
	checksum, elapsed := measure(n, func(n int64) int64 {
		var turn int32 // 0: ping's turn, 1: pong's
		var slot, pongSum int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // pong
			defer wg.Done()
			for i := int64(0); i < n; i++ {
				for atomic.LoadInt32(&turn) != 1 {
					runtime.Gosched()
				}
				pongSum += slot
				atomic.StoreInt32(&turn, 0)
			}
		}()
		for i := int64(0); i < n; i++ { // ping
			slot = i
			atomic.StoreInt32(&turn, 1)
			for atomic.LoadInt32(&turn) != 0 {
				runtime.Gosched()
			}
		}
		wg.Wait()
		return pongSum
	})
	resultNsPerOp("Gosched", elapsed, 2*n, checksum)
}
