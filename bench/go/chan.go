package main

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// ChanSync: ping-pong over one unbuffered channel; see
// bench/goro/chan_sync.c. One op is one message. Checksum: n(n-1)/2.
func benchChanSync(args []int64) {
	n := arg(args, 0, 1000000)
	checksum, elapsed := measure(n, func(n int64) int64 {
		c := make(chan int64)
		var pongSum int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // pong
			defer wg.Done()
			for v := range c {
				pongSum += v
				c <- v
			}
		}()
		var sum int64
		for i := int64(0); i < n; i++ { // ping
			c <- i
			sum += <-c
		}
		close(c)
		wg.Wait()
		if pongSum != sum {
			fail("pong saw %d, ping %d", pongSum, sum)
		}
		return sum
	})
	resultNsPerOp("ChanSync", elapsed, 2*n, checksum)
}

// ChanProdCons<cap>: p producers and p consumers on one channel; see
// bench/goro/chan_prodcons.c. Checksum: n(n+1)/2.
func benchChanProdCons(args []int64) {
	n, size, p := arg(args, 0, 1000000), arg(args, 1, 0), arg(args, 2, 1)
	if p < 1 {
		fail("p must be >= 1")
	}
	checksum, elapsed := measure(n, func(n int64) int64 {
		c := make(chan int64, size)
		var total int64
		var wg sync.WaitGroup
		wg.Add(int(2 * p))
		for k := int64(0); k < p; k++ {
			go func(first int64) { // producer
				defer wg.Done()
				for v := first; v <= n; v += p {
					c <- v
				}
				c <- 0
			}(k + 1)
			go func() { // consumer
				defer wg.Done()
				var sum int64
				for {
					v := <-c
					if v == 0 {
						break
					}
					sum += v
				}
				atomic.AddInt64(&total, sum)
			}()
		}
		wg.Wait()
		return total
	})
	resultNsPerOp(fmt.Sprintf("ChanProdCons%d", size), elapsed, n, checksum)
}

// SelectProdCons: one consumer selects over 4 unbuffered channels fed by 4
// producers; see bench/goro/select_prodcons.c. Checksum: n(n-1)/2.
func benchSelectProdCons(args []int64) {
	n := arg(args, 0, 1000000)
	checksum, elapsed := measure(n, func(n int64) int64 {
		var cs [4]chan int64
		for k := range cs {
			cs[k] = make(chan int64)
			go func(c chan<- int64, first int64) {
				for v := first; v < n; v += 4 {
					c <- v
				}
				close(c)
			}(cs[k], int64(k))
		}
		c0, c1, c2, c3 := cs[0], cs[1], cs[2], cs[3]
		var sum int64
		for open := 4; open > 0; {
			select {
			case v, ok := <-c0:
				if !ok {
					c0 = nil
					open--
					continue
				}
				sum += v
			case v, ok := <-c1:
				if !ok {
					c1 = nil
					open--
					continue
				}
				sum += v
			case v, ok := <-c2:
				if !ok {
					c2 = nil
					open--
					continue
				}
				sum += v
			case v, ok := <-c3:
				if !ok {
					c3 = nil
					open--
					continue
				}
				sum += v
			}
		}
		return sum
	})
	resultNsPerOp("SelectProdCons", elapsed, n, checksum)
}

// ChanNonblocking: select with a default on an empty unbuffered channel,
// from p goroutines; see bench/goro/chan_nonblocking.c. Checksum: n.
func benchChanNonblocking(args []int64) {
	n, p := arg(args, 0, 10000000), arg(args, 1, 1)
	if p < 1 {
		fail("p must be >= 1")
	}
	c := make(chan int64)
	checksum, elapsed := measure(n, func(n int64) int64 {
		var defaults int64
		var wg sync.WaitGroup
		wg.Add(int(p))
		for k := int64(0); k < p; k++ {
			share := n / p
			if k == 0 {
				share += n % p
			}
			go func(share int64) {
				defer wg.Done()
				var miss int64
				for i := int64(0); i < share; i++ {
					select {
					case v := <-c:
						fail("received %d from an empty channel", v)
					default:
						miss++
					}
				}
				atomic.AddInt64(&defaults, miss)
			}(share)
		}
		wg.Wait()
		return defaults
	})
	resultNsPerOp("ChanNonblocking", elapsed, n, checksum)
}
