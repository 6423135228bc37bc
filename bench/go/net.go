// The network benchmarks' Go side: the same servers as bench/goro/tcp_echo.c
// and bench/goro/http_hello.c, written as a Go programmer writes them, driven
// by the same load generators: the C echo client (the goro benchmark binary
// in "client" mode, found next to this one) and wrk.
//
// CPUs: with GOMAXPROCS=1 on a machine with two or more CPUs the server
// re-executes itself under `taskset -c 0` (so every thread of the Go runtime
// is pinned from the start) and the load generator runs on CPU 1, exactly as
// the goro side does. With more processors nothing is pinned.

package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
)

func init() {
	benchmarks["TCPEcho"] = benchTCPEcho
	benchmarks["TCPEcho100"] = benchTCPEcho // the rows of bench/run.py
	benchmarks["TCPEcho1000"] = benchTCPEcho
	benchmarks["HTTPHello"] = benchHTTPHello
}

// pinServer returns the CPU for the load generator (-1: unpinned). With one
// processor it first re-executes this process under taskset -c 0.
func pinServer() int {
	if runtime.GOMAXPROCS(0) != 1 {
		return -1
	}
	if os.Getenv("GORO_BENCH_PINNED") == "1" {
		return 1
	}
	if runtime.NumCPU() < 2 {
		return -1
	}
	ts, err := exec.LookPath("taskset")
	if err != nil {
		fmt.Fprintln(os.Stderr, "warning: no taskset: server and load unpinned")
		return -1
	}
	exe, err := os.Executable()
	if err != nil {
		fail("os.Executable: %v", err)
	}
	argv := append([]string{"taskset", "-c", "0", exe}, os.Args[1:]...)
	env := append(os.Environ(), "GORO_BENCH_PINNED=1")
	err = syscall.Exec(ts, argv, env)
	fail("exec taskset: %v", err)
	return -1
}

// sibling is a program built next to gobench by bench/run.py.
func sibling(name string) string {
	exe, err := os.Executable()
	if err != nil {
		fail("os.Executable: %v", err)
	}
	p := filepath.Join(filepath.Dir(exe), name)
	if _, err := os.Stat(p); err != nil {
		fail("load generator %s is missing (it is built from bench/goro/)", p)
	}
	return p
}

func benchTCPEcho(args []int64) {
	conns := arg(args, 0, 100)
	rounds := arg(args, 1, 2000)
	cpu := pinServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						break
					}
					if _, err := c.Write(buf[:n]); err != nil {
						break
					}
				}
				c.Close()
			}(c)
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	cmd := exec.Command(sibling("goro_tcp_echo"), "client", strconv.Itoa(port),
		strconv.FormatInt(conns, 10), strconv.FormatInt(rounds, 10),
		strconv.Itoa(cpu))
	cmd.Stderr = os.Stderr
	cpu0 := cpuTime()
	out, err := cmd.Output()
	if err != nil {
		fail("client: %v", err)
	}
	cpuUsed := cpuTime() - cpu0
	var rt, wall, p50, p99, ok int64
	if _, err := fmt.Sscanf(string(out), "CLIENT roundtrips=%d wall_ns=%d p50_ns=%d p99_ns=%d ok=%d",
		&rt, &wall, &p50, &p99, &ok); err != nil {
		fail("client output %q: %v", out, err)
	}
	ln.Close()
	fmt.Printf("RESULT name=TCPEcho ns_per_op=%.3f ops=%d total_ns=%d roundtrips_per_sec=%.0f p50_us=%.1f p99_us=%.1f server_cpu_ns_per_op=%.0f conns=%d checksum=%d\n",
		float64(wall)/float64(rt), rt, wall, float64(rt)*1e9/float64(wall),
		float64(p50)/1e3, float64(p99)/1e3, float64(cpuUsed.Nanoseconds())/float64(rt), conns, ok)
}

func benchHTTPHello(args []int64) {
	conns := arg(args, 0, 100)
	seconds := arg(args, 1, 5)
	cpu := pinServer()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("Hello, World!"))
	})
	go http.Serve(ln, mux)
	port := ln.Addr().(*net.TCPAddr).Port
	runWrk(port, conns, seconds, cpu)
}

// runWrk runs wrk -t1 against the server and prints the RESULT line. The
// checksum is conns when every response was a 2xx and no socket error
// happened, 0 otherwise.
func runWrk(port int, conns, seconds int64, cpu int) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		fail("wrk not found (Debian package wrk)")
	}
	argv := []string{"-t1", "-c" + strconv.FormatInt(conns, 10),
		"-d" + strconv.FormatInt(seconds, 10) + "s", "--latency",
		fmt.Sprintf("http://127.0.0.1:%d/", port)}
	var cmd *exec.Cmd
	if cpu >= 0 {
		cmd = exec.Command("taskset", append([]string{"-c", strconv.Itoa(cpu), wrk}, argv...)...)
	} else {
		cmd = exec.Command(wrk, argv...)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fail("wrk: %v\n%s", err, out)
	}
	var rps, p50, p99 float64
	requests := int64(-1)
	bad := false
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "Requests/sec:":
			rps, _ = strconv.ParseFloat(f[1], 64)
		case len(f) >= 2 && f[0] == "50%":
			p50 = wrkDuration(f[1])
		case len(f) >= 2 && f[0] == "99%":
			p99 = wrkDuration(f[1])
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			requests, _ = strconv.ParseInt(f[0], 10, 64)
		case strings.HasPrefix(strings.TrimSpace(line), "Non-2xx"),
			strings.HasPrefix(strings.TrimSpace(line), "Socket errors"):
			bad = true
		}
	}
	if rps <= 0 || requests <= 0 {
		fail("cannot read wrk's output:\n%s", out)
	}
	checksum := conns
	if bad {
		fmt.Fprintf(os.Stderr, "wrk reported errors:\n%s", out)
		checksum = 0
	}
	fmt.Printf("RESULT name=HTTPHello ns_per_op=%.3f ops=%d requests_per_sec=%.0f p50_us=%.1f p99_us=%.1f conns=%d checksum=%d\n",
		1e9/rps, requests, rps, p50, p99, conns, checksum)
}

// wrkDuration turns wrk's "1.23ms" / "456.00us" / "1.01s" into microseconds.
func wrkDuration(s string) float64 {
	for _, u := range []struct {
		suffix string
		us     float64
	}{{"us", 1}, {"ms", 1e3}, {"m", 60e6}, {"s", 1e6}} {
		if strings.HasSuffix(s, u.suffix) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suffix), 64)
			if err == nil {
				return v * u.us
			}
		}
	}
	return 0
}
