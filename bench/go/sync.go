package main

import "sync"

// MutexUncontended: Lock/Unlock of a mutex per goroutine, p goroutines;
// see bench/goro/mutex_uncontended.c. Checksum: n.
func benchMutexUncontended(args []int64) {
	n, p := arg(args, 0, 10000000), arg(args, 1, 1)
	if p < 1 {
		fail("p must be >= 1")
	}
	type paddedMutex struct {
		mu    sync.Mutex
		count int64 // guarded by mu
		pad   [128]byte
	}
	workers := make([]paddedMutex, p)
	checksum, elapsed := measure(n, func(n int64) int64 {
		var wg sync.WaitGroup
		wg.Add(int(p))
		for k := range workers {
			share := n / p
			if k == 0 {
				share += n % p
			}
			w := &workers[k]
			w.count = 0
			go func() {
				defer wg.Done()
				for i := int64(0); i < share; i++ {
					w.mu.Lock()
					w.count++
					w.mu.Unlock()
				}
			}()
		}
		wg.Wait()
		var sum int64
		for k := range workers {
			sum += workers[k].count
		}
		return sum
	})
	resultNsPerOp("MutexUncontended", elapsed, n, checksum)
}

// MutexContended: g goroutines (8) share one mutex; see
// bench/goro/mutex_contended.c. Checksum: n.
func benchMutexContended(args []int64) {
	n, g := arg(args, 0, 10000000), arg(args, 1, 8)
	if g < 1 {
		fail("g must be >= 1")
	}
	var mu sync.Mutex
	var count int64 // guarded by mu
	checksum, elapsed := measure(n, func(n int64) int64 {
		count = 0
		var wg sync.WaitGroup
		wg.Add(int(g))
		for k := int64(0); k < g; k++ {
			share := n / g
			if k == 0 {
				share += n % g
			}
			go func(share int64) {
				defer wg.Done()
				for i := int64(0); i < share; i++ {
					mu.Lock()
					count++
					mu.Unlock()
				}
			}(share)
		}
		wg.Wait()
		return count
	})
	resultNsPerOp("MutexContended", elapsed, n, checksum)
}

// WaitGroupUncontended: Add(1); Done(); Wait() on a WaitGroup per
// goroutine, p goroutines; see bench/goro/waitgroup_uncontended.c.
// Checksum: n.
func benchWaitGroupUncontended(args []int64) {
	n, p := arg(args, 0, 10000000), arg(args, 1, 1)
	if p < 1 {
		fail("p must be >= 1")
	}
	type paddedWaitGroup struct {
		wg    sync.WaitGroup
		waits int64
		pad   [128]byte
	}
	workers := make([]paddedWaitGroup, p)
	checksum, elapsed := measure(n, func(n int64) int64 {
		var done sync.WaitGroup
		done.Add(int(p))
		for k := range workers {
			share := n / p
			if k == 0 {
				share += n % p
			}
			w := &workers[k]
			w.waits = 0
			go func() {
				defer done.Done()
				for i := int64(0); i < share; i++ {
					w.wg.Add(1)
					w.wg.Done()
					w.wg.Wait()
					w.waits++
				}
			}()
		}
		done.Wait()
		var sum int64
		for k := range workers {
			sum += workers[k].waits
		}
		return sum
	})
	resultNsPerOp("WaitGroupUncontended", elapsed, n, checksum)
}
