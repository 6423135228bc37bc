package main

import "sync"

// CreateGoroutines: spawn, run, exit, joined by a WaitGroup, in batches of
// 1000; see bench/goro/create_goroutines.c. Checksum: n(n-1)/2.
func benchCreateGoroutines(args []int64) {
	n := arg(args, 0, 1000000)
	const batch = 1000
	var slots [batch]int64
	checksum, elapsed := measure(n, func(n int64) int64 {
		var sum int64
		var wg sync.WaitGroup
		for base := int64(0); base < n; base += batch {
			k := n - base
			if k > batch {
				k = batch
			}
			wg.Add(int(k))
			for v := base; v < base+k; v++ {
				go func(v int64) {
					slots[v%batch] = v
					wg.Done()
				}(v)
			}
			wg.Wait()
			for j := int64(0); j < k; j++ {
				sum += slots[j]
			}
		}
		return sum
	})
	resultNsPerOp("CreateGoroutines", elapsed, n, checksum)
}
