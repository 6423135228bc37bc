// chan_perf.go: the Go twin of chan_perf.c (same modes, same output).
// Run: GO111MODULE=off go build -o /tmp/chan_perf_go tests/chan_perf.go
//
//	GOMAXPROCS=1 /tmp/chan_perf_go pingpong 1000000
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

func pingpong(n int64) float64 {
	c := make(chan int64)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		for v := range c {
			c <- v
		}
		wg.Done()
	}()
	t0 := time.Now()
	var sum int64
	for i := int64(0); i < n; i++ {
		c <- i
		sum += <-c
	}
	d := time.Since(t0)
	close(c)
	wg.Wait()
	if sum != n*(n-1)/2 {
		panic("sum")
	}
	return float64(d.Nanoseconds()) / float64(n)
}

func buffered(n int64) float64 {
	c := make(chan int64, 1024)
	var wg sync.WaitGroup
	var s int64
	wg.Add(1)
	t0 := time.Now()
	go func() {
		var sum int64
		for v := range c {
			sum += v
		}
		s = sum
		wg.Done()
	}()
	for i := int64(0); i < n; i++ {
		c <- i
	}
	close(c)
	wg.Wait()
	d := time.Since(t0)
	if s != n*(n-1)/2 {
		panic("sum")
	}
	return float64(d.Nanoseconds()) / float64(n)
}

func select4(n int64) float64 {
	t0 := time.Now()
	cs := [4]chan int64{}
	for k := 0; k < 4; k++ {
		cs[k] = make(chan int64)
		go func(c chan int64, first int64) {
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
			if ok {
				sum += v
			} else {
				c0 = nil
				open--
			}
		case v, ok := <-c1:
			if ok {
				sum += v
			} else {
				c1 = nil
				open--
			}
		case v, ok := <-c2:
			if ok {
				sum += v
			} else {
				c2 = nil
				open--
			}
		case v, ok := <-c3:
			if ok {
				sum += v
			} else {
				c3 = nil
				open--
			}
		}
	}
	d := time.Since(t0)
	if sum != n*(n-1)/2 {
		panic("sum")
	}
	return float64(d.Nanoseconds()) / float64(n)
}

func generate(ch chan<- int64) {
	for i := int64(2); ; i++ {
		ch <- i
	}
}

func filter(in <-chan int64, out chan<- int64, p int64) {
	for i := range in {
		if i%p != 0 {
			out <- i
		}
	}
}

func sieve(n int64) float64 {
	t0 := time.Now()
	ch := make(chan int64)
	go generate(ch)
	var p int64
	for i := int64(0); i < n; i++ {
		p = <-ch
		ch1 := make(chan int64)
		go filter(ch, ch1, p)
		ch = ch1
	}
	d := time.Since(t0)
	if n == 3000 && p != 27449 {
		panic("wrong prime")
	}
	return float64(d.Nanoseconds()) / 1e6
}

func main() {
	mode := os.Args[1]
	n, _ := strconv.ParseInt(os.Args[2], 10, 64)
	var r float64
	switch mode {
	case "pingpong":
		pingpong(n/10 + 1)
		r = pingpong(n)
	case "buffered":
		buffered(n/10 + 1)
		r = buffered(n)
	case "select":
		select4(n/10 + 1)
		r = select4(n)
	case "sieve":
		r = sieve(n)
	default:
		panic("mode")
	}
	fmt.Printf("%s %.2f\n", mode, r)
}
