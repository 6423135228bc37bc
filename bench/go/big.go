package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ParkedGoroutines: RSS per goroutine with n goroutines blocked on <-release;
// see bench/goro/parked_goroutines.c. Checksum: n(n-1)/2.
func benchParkedGoroutines(args []int64) {
	n := arg(args, 0, 1000000)
	if n < 1 {
		fail("n must be >= 1")
	}
	release := make(chan struct{})
	var started, exited sync.WaitGroup
	var wokeSum int64
	rssBefore := rssBytes()
	t0 := time.Now()
	started.Add(int(n))
	exited.Add(int(n))
	for i := int64(0); i < n; i++ {
		go func(i int64) {
			started.Done()
			<-release
			atomic.AddInt64(&wokeSum, i)
			exited.Done()
		}(i)
	}
	started.Wait()
	t1 := time.Now()
	rssAfter := rssBytes()
	close(release)
	exited.Wait()
	wake := time.Since(t1)
	spawn := t1.Sub(t0)
	fmt.Printf("RESULT name=ParkedGoroutines bytes_per_goroutine=%.1f goroutines=%d "+
		"rss_before=%d rss_after=%d spawn_ns_per_goroutine=%.1f "+
		"wake_ns_per_goroutine=%.1f checksum=%d\n",
		float64(rssAfter-rssBefore)/float64(n), n, rssBefore, rssAfter,
		float64(spawn.Nanoseconds())/float64(n), float64(wake.Nanoseconds())/float64(n),
		atomic.LoadInt64(&wokeSum))
}

// Skynet: see bench/goro/skynet.c. Checksum: n(n-1)/2.
func benchSkynet(args []int64) {
	n, div := arg(args, 0, 1000000), arg(args, 1, 10)
	if div < 2 {
		fail("div must be >= 2")
	}
	s := n
	for s > 1 && s%div == 0 {
		s /= div
	}
	if s != 1 {
		fail("n must be a power of div")
	}
	var goroutines int64
	for level := n; level >= 1; level /= div {
		goroutines += level
	}
	start := time.Now()
	c := make(chan int64)
	go skynet(c, 0, n, div)
	sum := <-c
	elapsed := time.Since(start)
	fmt.Printf("RESULT name=Skynet ms=%.3f goroutines=%d ns_per_goroutine=%.1f checksum=%d\n",
		float64(elapsed.Nanoseconds())/1e6, goroutines,
		float64(elapsed.Nanoseconds())/float64(goroutines), sum)
}

func skynet(c chan<- int64, num, size, div int64) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int64)
	for i := int64(0); i < div; i++ {
		go skynet(rc, num+i*(size/div), size/div, div)
	}
	var sum int64
	for i := int64(0); i < div; i++ {
		sum += <-rc
	}
	c <- sum
}

// PrimeSieve: the Go tour's concurrent prime sieve; see
// bench/goro/prime_sieve.c. Checksum: the sum of the first n primes.
func benchPrimeSieve(args []int64) {
	n := arg(args, 0, 3000)
	start := time.Now()
	ch := make(chan int64)
	go generate(ch)
	var sum, prime int64
	for i := int64(0); i < n; i++ {
		prime = <-ch
		sum += prime
		ch1 := make(chan int64)
		go filter(ch, ch1, prime)
		ch = ch1
	}
	elapsed := time.Since(start)
	fmt.Printf("RESULT name=PrimeSieve ms=%.3f primes=%d last=%d checksum=%d\n",
		float64(elapsed.Nanoseconds())/1e6, n, prime, sum)
}

func generate(ch chan<- int64) {
	for i := int64(2); ; i++ {
		ch <- i
	}
}

func filter(in <-chan int64, out chan<- int64, prime int64) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

// TimerSleep: g goroutines each sleep k times for d ms; the cost is CPU
// time per sleep; see bench/goro/timer_sleep.c. Checksum: g*k.
func benchTimerSleep(args []int64) {
	g, k, d := arg(args, 0, 100000), arg(args, 1, 10), arg(args, 2, 10)
	if g*k < 1 {
		fail("g and k must be >= 1")
	}
	var wg sync.WaitGroup
	var slept int64
	c0, t0 := cpuTime(), time.Now()
	wg.Add(int(g))
	for i := int64(0); i < g; i++ {
		go func() {
			defer wg.Done()
			var n int64
			for j := int64(0); j < k; j++ {
				time.Sleep(time.Duration(d) * time.Millisecond)
				n++
			}
			atomic.AddInt64(&slept, n)
		}()
	}
	wg.Wait()
	wall, cpu := time.Since(t0), cpuTime()-c0
	sleeps := g * k
	fmt.Printf("RESULT name=TimerSleep cpu_ns_per_sleep=%.1f sleeps=%d cpu_ms=%.3f wall_ms=%.3f checksum=%d\n",
		float64(cpu.Nanoseconds())/float64(sleeps), sleeps,
		float64(cpu.Nanoseconds())/1e6, float64(wall.Nanoseconds())/1e6,
		atomic.LoadInt64(&slept))
}
