#!/usr/bin/env python3
"""goro against Go and against OS threads, side by side.

Builds every benchmark three ways (goro's C programs in bench/goro/, their Go
twins in bench/go/, the pthread baselines in bench/pthread/), runs each goro
and Go pair alternately (goro, Go, goro, Go, ...) several times at each
processor count (GORO_MAXPROCS for goro, GOMAXPROCS for Go), and prints a
table of medians and ratios. Writes results.csv, results.json, results.md and
ratios.svg under build/bench/ (build/bench/quick/ with --quick).

Every number is a cost, so lower is better everywhere: ns per op, resident
bytes per goroutine, CPU ns per sleep, ms of wall time. The ratio is
goro's median over Go's median: below 1.0 goro is cheaper.

Each program prints one line, RESULT name=... <metric>=... checksum=...; the
checksum is computed from the work done and must equal the expected value
and the other side's. A goro benchmark that does not compile or link because
the goro functions it uses are not in the library yet is reported "not yet",
with no number. Any other failure (a crash, a wrong checksum, a build error
that is not a missing goro function) fails the run (exit status 1).

    python3 bench/run.py [--quick] [--runs N] [--procs 1,2] [--only NAME,...]

The usual entry point is bench/run.sh, which installs Go and builds the
library first. Standard library only.
"""

import argparse
import csv
import datetime
import fnmatch
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from xml.sax.saxutils import escape

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)


# ---------------------------------------------------------------------------
# The benchmarks
# ---------------------------------------------------------------------------


def tri(n):
    """0 + 1 + ... + (n-1)."""
    return n * (n - 1) // 2


def first_primes_sum(n):
    primes = []
    k = 2
    while len(primes) < n:
        if all(k % p for p in primes if p * p <= k):
            primes.append(k)
        k += 1
    return sum(primes)


class Bench:
    """One row of the comparison: a goro program and its Go twin.

    args(procs, quick) gives the positional arguments, the same for both
    languages; expected(args) the checksum the work must produce."""

    def __init__(self, name, goro_src, metric, unit, args, expected, what,
                 baseline=None):
        self.name = name          # Go's benchmark name; gobench NAME too
        self.goro_src = goro_src  # file in bench/goro/
        self.metric = metric      # key of the RESULT line to report
        self.unit = unit
        self.args = args
        self.expected = expected
        self.what = what
        self.baseline = baseline  # name of the pthread baseline to show

    @property
    def go_name(self):
        return "ChanProdCons" if self.name.startswith("ChanProdCons") else self.name


def q(quick, small, full):
    return small if quick else full


BENCHES = [
    Bench("Gosched", "gosched.c", "ns_per_op", "ns/op",
          lambda p, quick: [q(quick, 2000, 1000000)],
          lambda a: tri(a[0]),
          "ping-pong of two goroutines that wait for their turn by yielding; "
          "op = one handoff",
          baseline="FutexPingPong"),
    Bench("CreateGoroutines", "create_goroutines.c", "ns_per_op", "ns/op",
          lambda p, quick: [q(quick, 5000, 1000000)],
          lambda a: tri(a[0]),
          "spawn, run, exit, joined by a WaitGroup in batches of 1000; "
          "op = one goroutine",
          baseline="PthreadCreateJoin"),
    Bench("ChanSync", "chan_sync.c", "ns_per_op", "ns/op",
          lambda p, quick: [q(quick, 2000, 1000000)],
          lambda a: tri(a[0]),
          "ping-pong over one unbuffered channel; op = one message",
          baseline="FutexPingPong"),
    Bench("ChanProdCons0", "chan_prodcons.c", "ns_per_op", "ns/op",
          lambda p, quick: [q(quick, 5000, 1000000), 0, p],
          lambda a: a[0] * (a[0] + 1) // 2,
          "P producers, P consumers, unbuffered channel; op = one value"),
    Bench("ChanProdCons1", "chan_prodcons.c", "ns_per_op", "ns/op",
          lambda p, quick: [q(quick, 5000, 1000000), 1, p],
          lambda a: a[0] * (a[0] + 1) // 2,
          "P producers, P consumers, channel of capacity 1; op = one value"),
    Bench("ChanProdCons1024", "chan_prodcons.c", "ns_per_op", "ns/op",
          lambda p, quick: [q(quick, 5000, 2000000), 1024, p],
          lambda a: a[0] * (a[0] + 1) // 2,
          "P producers, P consumers, channel of capacity 1024; op = one value"),
    Bench("SelectProdCons", "select_prodcons.c", "ns_per_op", "ns/op",
          lambda p, quick: [q(quick, 5000, 1000000)],
          lambda a: tri(a[0]),
          "one consumer selects over 4 unbuffered channels fed by 4 "
          "producers; op = one value"),
    Bench("ChanNonblocking", "chan_nonblocking.c", "ns_per_op", "ns/op",
          lambda p, quick: [q(quick, 100000, 20000000), p],
          lambda a: a[0],
          "select with default on an empty channel, P goroutines; "
          "op = one attempt"),
    Bench("MutexUncontended", "mutex_uncontended.c", "ns_per_op", "ns/op",
          lambda p, quick: [q(quick, 100000, 20000000), p],
          lambda a: a[0],
          "Lock/Unlock of a private padded mutex, P goroutines; "
          "op = one pair"),
    Bench("MutexContended", "mutex_contended.c", "ns_per_op", "ns/op",
          lambda p, quick: [q(quick, 20000, 5000000), 8],
          lambda a: a[0],
          "8 goroutines Lock/count++/Unlock one mutex; op = one pair"),
    Bench("WaitGroupUncontended", "waitgroup_uncontended.c", "ns_per_op",
          "ns/op",
          lambda p, quick: [q(quick, 100000, 20000000), p],
          lambda a: a[0],
          "Add(1)/Done/Wait on a private padded WaitGroup, P goroutines; "
          "op = one triple"),
    Bench("ParkedGoroutines", "parked_goroutines.c", "bytes_per_goroutine",
          "bytes/goroutine",
          lambda p, quick: [q(quick, 2000, 1000000)],
          lambda a: tri(a[0]),
          "1,000,000 goroutines blocked on a channel receive; VmRSS growth "
          "per goroutine",
          baseline="ThreadMemory"),
    Bench("Skynet", "skynet.c", "ms", "ms",
          lambda p, quick: [q(quick, 1000, 1000000), 10],
          lambda a: tri(a[0]),
          "skynet tree of 1,111,111 goroutines (10^6 leaves) summing over "
          "unbuffered channels; wall ms"),
    Bench("PrimeSieve", "prime_sieve.c", "ms", "ms",
          lambda p, quick: [q(quick, 100, 3000)],
          lambda a: first_primes_sum(a[0]),
          "the Go tour's concurrent prime sieve, first 3,000 primes; wall ms"),
    Bench("TimerSleep", "timer_sleep.c", "cpu_ns_per_sleep", "CPU ns/sleep",
          lambda p, quick: q(quick, [1000, 3, 1], [100000, 10, 10]),
          lambda a: a[0] * a[1],
          "100,000 goroutines each sleep 10 ms ten times; process CPU time "
          "(user+sys) per sleep"),
    # The network rows (the I/O work): a server in goro or Go, the same load
    # generator for both; at P=1 server and load are pinned to CPUs 0 and 1.
    Bench("TCPEcho100", "tcp_echo.c", "ns_per_op", "ns/roundtrip",
          lambda p, quick: [100, q(quick, 200, 3000)],
          lambda a: a[0] * a[1],
          "echo server, a goroutine per connection; 100 connections of "
          "64-byte ping-pong from a C epoll client; op = one round trip"),
    Bench("TCPEcho1000", "tcp_echo.c", "ns_per_op", "ns/roundtrip",
          lambda p, quick: [1000, q(quick, 20, 300)],
          lambda a: a[0] * a[1],
          "as TCPEcho100 with 1,000 connections"),
    Bench("HTTPHello", "http_hello.c", "ns_per_op", "ns/request",
          lambda p, quick: [100, q(quick, 1, 5)],
          lambda a: a[0],
          "HTTP/1.1 hello server (goro + http_parser vs net/http) under "
          "wrk -t1 -c100; op = one request (1e9 / requests per second)"),
]

# Libraries a goro program links besides libgoro (Debian packages).
GORO_LDLIBS = {"http_hello.c": ["-lhttp_parser"]}

# Planned rows: no program on either side until goro has the feature (the
# network poller is not in API.md yet).
PLANNED = [
    ("TCPEcho", "TCP echo over loopback; needs goro's netpoller"),
    ("HTTPHello", "HTTP hello-world over loopback; needs goro's netpoller"),
]


class Baseline:
    """An OS-thread program, run once per round (it ignores the processor
    count: threads are scheduled by the kernel on every CPU)."""

    def __init__(self, name, src, metric, unit, args, expected, what,
                 compare):
        self.name, self.src, self.metric, self.unit = name, src, metric, unit
        self.args, self.expected, self.what = args, expected, what
        self.compare = compare


BASELINES = [
    Baseline("PthreadCreateJoin", "pthread_create_join.c", "ns_per_op",
             "ns/op", lambda quick: [q(quick, 200, 10000)],
             lambda a: tri(a[0]),
             "pthread_create + pthread_join, one thread at a time",
             "CreateGoroutines"),
    Baseline("FutexPingPong", "futex_pingpong.c", "ns_per_op", "ns/op",
             lambda quick: [q(quick, 200, 20000)],
             lambda a: tri(a[0]),
             "two threads hand a value back and forth through a futex; "
             "op = one handoff",
             "ChanSync, Gosched"),
    Baseline("ThreadMemory", "thread_memory.c", "bytes_per_thread",
             "bytes/thread", lambda quick: [q(quick, 100, 10000)],
             lambda a: tri(a[0]),
             "10,000 idle threads blocked on a futex; VmRSS growth per thread",
             "ParkedGoroutines"),
]


# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, cwd=None, env=None, timeout=None):
    """Run cmd; return (returncode, combined output)."""
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout
    except FileNotFoundError as e:
        return 127, str(e)
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        return 124, out + "\n(timed out)"


def go_env(build):
    env = dict(os.environ)
    env.update({
        "GOCACHE": os.path.join(build, "go-cache"),
        "GOPATH": os.path.join(build, "go-path"),
        "GO111MODULE": "on",
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
    })
    return env


def build_go(build, bindir):
    go = shutil.which("go")
    if go is None:
        return None, "go not found (bench/run.sh installs Debian's golang-go)"
    out = os.path.join(bindir, "gobench")
    rc, text = sh([go, "build", "-o", out, "."],
                  cwd=os.path.join(BENCH_DIR, "go"), env=go_env(build))
    if rc != 0:
        return None, "go build failed:\n" + text
    return out, None


def c_flags():
    return ["-std=c11", "-O2", "-Wall", "-Werror=implicit-function-declaration",
            "-pthread", "-I", os.path.join(BENCH_DIR, "common")]


def build_pthread(cc, bindir, logdir):
    built = {}
    for b in BASELINES:
        out = os.path.join(bindir, "pthread_" + b.src[:-2])
        rc, text = sh([cc] + c_flags() +
                      [os.path.join(BENCH_DIR, "pthread", b.src), "-o", out])
        with open(os.path.join(logdir, "pthread_" + b.src[:-2] + ".build.log"),
                  "w") as f:
            f.write(text)
        built[b.name] = (out, None) if rc == 0 else (None, text)
    return built


# Compiler and linker messages that mean "the library does not have this
# goro name yet". Only these make a row "not yet"; any other build error is
# a failure of the benchmark itself.
# Public names only (goro_x, GORO_X): a missing internal goro__ symbol is
# a broken library, not a feature still to come.
_PUB = r"((?:goro_(?!_)|GORO_)\w+)"
MISSING_PATTERNS = [
    r"implicit declaration of function [‘'`\"]" + _PUB,
    r"[‘'`\"]" + _PUB + r"[’'`\"] undeclared",
    r"unknown type name [‘'`\"]" + _PUB,
    r"undefined reference to [‘'`\"]" + _PUB,
    r"invalid use of undefined type [‘'`\"]struct " + _PUB,
    r"(goro\.h): No such file or directory",
]


def missing_names(text):
    names = []
    for pat in MISSING_PATTERNS:
        for m in re.finditer(pat, text):
            name = m.group(1)
            if name not in names:
                names.append(name)
    return names


def find_goro_lib(override=None):
    if override:
        return override if os.path.isfile(override) else None
    cand = os.path.join(ROOT, "build", "libgoro.a")
    if os.path.isfile(cand):
        return cand
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, "build")):
        dirnames[:] = [d for d in dirnames if d != "bench"]
        if "libgoro.a" in filenames:
            return os.path.join(dirpath, "libgoro.a")
    return None


def build_goro(cc, bindir, logdir, lib, include, benches, broken_reason):
    """Compile each goro program on its own. Returns
    {src: (binary, None) | (None, ("not yet", reason)) | (None, ("fail", log))}."""
    built = {}
    extra = os.environ.get("GORO_BENCH_LDLIBS", "").split()
    for src in sorted({b.goro_src for b in benches}):
        stem = src[:-2]
        if broken_reason:
            built[src] = (None, ("not yet", broken_reason))
            continue
        if lib is None or not os.path.isfile(os.path.join(include, "goro.h")):
            what = "libgoro.a" if lib is None else "goro.h"
            built[src] = (None, ("not yet", "no %s yet" % what))
            continue
        out = os.path.join(bindir, "goro_" + stem)
        rc, text = sh([cc] + c_flags() + ["-I", include,
                      os.path.join(BENCH_DIR, "goro", src), lib,
                      "-lpthread", "-lm"] + GORO_LDLIBS.get(src, []) +
                      extra + ["-o", out])
        with open(os.path.join(logdir, "goro_" + stem + ".build.log"), "w") as f:
            f.write(text)
        if rc == 0:
            built[src] = (out, None)
            continue
        names = missing_names(text)
        if names:
            built[src] = (None, ("not yet", "missing " + ", ".join(names)))
        else:
            built[src] = (None, ("fail", "build error:\n" + text))
    return built


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------


def parse_result(stdout):
    """The key=value fields of the last RESULT line, or None."""
    fields = None
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            fields = {}
            for tok in line.split()[1:]:
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    fields[k] = v
    return fields


def run_one(argv, env, metric, timeout, logpath):
    """Run one benchmark process. Returns (value, checksum, fields, error)."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = None, e.stdout or "", e.stderr or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        if isinstance(err, bytes):
            err = err.decode(errors="replace")
    wall = time.monotonic() - t0
    with open(logpath, "a") as f:
        f.write("$ %s  (%.2fs, exit %s)\n%s%s\n" % (" ".join(argv), wall, rc,
                                                     out, err))
    if rc is None:
        return None, None, None, "timed out after %ds" % timeout
    if rc != 0:
        tail = (err.strip().splitlines() or ["(no output)"])[-1]
        return None, None, None, "exit status %d: %s" % (rc, tail)
    fields = parse_result(out)
    if fields is None or metric not in fields or "checksum" not in fields:
        return None, None, fields, "no RESULT line with %s and checksum" % metric
    try:
        value = float(fields[metric])
        checksum = int(fields["checksum"])
    except ValueError:
        return None, None, fields, "unparsable RESULT line"
    if not math.isfinite(value) or value < 0:
        return None, None, fields, "bad %s=%s" % (metric, fields[metric])
    return value, checksum, fields, None


def side_env(side, procs):
    env = dict(os.environ)
    env.pop("GOMAXPROCS", None)
    env.pop("GORO_MAXPROCS", None)
    if side == "goro":
        env["GORO_MAXPROCS"] = str(procs)
    elif side == "go":
        env["GOMAXPROCS"] = str(procs)
    return env


class Side:
    """The runs of one side (goro, go or pthread) of one row."""

    def __init__(self, status="pending", reason=""):
        self.status = status  # pending, ok, not yet, fail
        self.reason = reason
        self.values = []
        self.checksums = []
        self.fields = []

    def add(self, value, checksum, fields):
        self.values.append(value)
        self.checksums.append(checksum)
        self.fields.append(fields)

    def failed(self, why):
        self.status = "fail"
        if why not in self.reason:
            self.reason = (self.reason + "; " if self.reason else "") + why

    @property
    def median(self):
        return statistics.median(self.values) if self.values else None

    @property
    def lo(self):
        return min(self.values) if self.values else None

    @property
    def hi(self):
        return max(self.values) if self.values else None

    def as_dict(self):
        return {"status": self.status, "reason": self.reason,
                "values": self.values, "median": self.median, "min": self.lo,
                "max": self.hi,
                "checksum": self.checksums[0] if self.checksums else None,
                "results": self.fields}


class Row:
    def __init__(self, bench, procs, args):
        self.bench, self.procs, self.args = bench, procs, args
        self.expected = bench.expected(args)
        self.goro = Side()
        self.go = Side()

    @property
    def ratio(self):
        if self.goro.status == "ok" and self.go.status == "ok" and self.go.median:
            return self.goro.median / self.go.median
        return None

    @property
    def ratio_range(self):
        if self.ratio is None or not self.go.lo:
            return None, None
        return self.goro.lo / self.go.hi, self.goro.hi / self.go.lo


def check_run(side, value, checksum, fields, err, expected, other=None):
    """Record one run of one side and check its checksum."""
    if err:
        side.failed(err)
        return
    if checksum != expected:
        side.failed("checksum %d, expected %d" % (checksum, expected))
        return
    if other is not None and other.checksums and other.checksums[-1] != checksum:
        side.failed("checksum %d differs from the other side's %d" %
                    (checksum, other.checksums[-1]))
        return
    side.add(value, checksum, fields)


def finish(side):
    if side.status == "pending":
        side.status = "ok" if side.values else "fail"
        if not side.values and not side.reason:
            side.reason = "no run"


# ---------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------


def fmt(v):
    if v is None:
        return ""
    a = abs(v)
    if a >= 100:
        return "{:,.0f}".format(v)
    if a >= 10:
        return "%.1f" % v
    return "%.2f" % v


def fmt_ratio(v):
    if v >= 100:
        return "%.0f" % v
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def spread(side):
    if side.status != "ok":
        return ""
    return "%s–%s" % (fmt(side.lo), fmt(side.hi))


def cell(side):
    if side.status == "ok":
        return fmt(side.median)
    if side.status == "not yet":
        return "not yet"
    return "FAIL"


def table_lines(rows, baselines, planned, markdown=False):
    head = ["benchmark", "P", "unit", "goro median", "goro min–max",
            "Go median", "Go min–max", "goro/Go", "pthread"]
    base_by_name = {b.bench.name: b for b in baselines}
    body = []
    for r in rows:
        ratio = fmt_ratio(r.ratio) if r.ratio is not None else (
            "not yet" if r.goro.status == "not yet" else "—")
        pt = ""
        bl = base_by_name.get(r.bench.baseline)
        if bl is not None and bl.side.status == "ok":
            pt = "%s (%s)" % (fmt(bl.side.median), bl.bench.name)
        body.append([r.bench.name, str(r.procs), r.bench.unit, cell(r.goro),
                     spread(r.goro), cell(r.go), spread(r.go), ratio, pt])
    for name, what in planned:
        body.append([name, "", "", "not yet", "", "not yet", "", "not yet",
                     ""])
    bhead = ["OS-thread baseline", "unit", "median", "min–max",
             "compare with"]
    bbody = [[b.bench.name, b.bench.unit, cell(b.side), spread(b.side),
              b.bench.compare] for b in baselines]
    return render(head, body, markdown), render(bhead, bbody, markdown)


def render(head, body, markdown):
    if markdown:
        out = ["| " + " | ".join(head) + " |",
               "|" + "|".join("---" if i == 0 else "---:"
                              for i in range(len(head))) + "|"]
        out += ["| " + " | ".join(c for c in row) + " |" for row in body]
        return out
    widths = [max(len(x) for x in col) for col in zip(head, *body)]

    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths)))
    return [line(head), "  ".join("-" * w for w in widths)] + \
        [line(r) for r in body]


def machine_info(lib, include):
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M UTC"),
        "hostname": platform.node(),
        "kernel": platform.release(),
        "cpus_online": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        m = re.search(r"^model name\s*:\s*(.*)$", text, re.M)
        info["cpu"] = m.group(1).strip() if m else platform.machine()
        info["virtualized"] = " hypervisor" in text
    except OSError:
        info["cpu"] = platform.machine()
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"MemTotal:\s*(\d+)", f.read())
        info["memory_gib"] = round(int(m.group(1)) / 1048576, 1)
    except (OSError, AttributeError):
        pass
    rc, out = sh(["go", "version"])
    info["go"] = out.strip() if rc == 0 else None
    rc, out = sh([os.environ.get("CC", "cc"), "--version"])
    info["cc"] = out.splitlines()[0] if rc == 0 and out else None
    rc, out = sh(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    info["goro_commit"] = out.strip() if rc == 0 else None
    rc, out = sh(["git", "-C", ROOT, "status", "--porcelain", "--", "src",
                  "include"])
    info["goro_tree_dirty"] = bool(out.strip()) if rc == 0 else None
    info["goro_lib"] = lib
    info["goro_include"] = include
    cache = os.path.join(ROOT, "build", "CMakeCache.txt")
    if os.path.isfile(cache):
        with open(cache) as f:
            text = f.read()
        m = re.search(r"^CMAKE_BUILD_TYPE:\w+=(.*)$", text, re.M)
        info["goro_build_type"] = m.group(1) if m else None
        m = re.search(r"^CMAKE_C_FLAGS_RELEASE:\w+=(.*)$", text, re.M)
        info["goro_release_cflags"] = m.group(1) if m else None
    info["bench_cflags"] = " ".join(c_flags()[:2])
    info["go_build"] = "go build (gc defaults: optimised, inlined; CGO off)"
    return info


def write_csv(path, rows, baselines):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["benchmark", "procs", "side", "status", "unit", "runs",
                    "median", "min", "max", "ratio_goro_over_go", "checksum",
                    "expected_checksum", "args", "values", "note"])
        for r in rows:
            for name, s in (("goro", r.goro), ("go", r.go)):
                w.writerow([r.bench.name, r.procs, name, s.status, r.bench.unit,
                            len(s.values), s.median, s.lo, s.hi,
                            "" if r.ratio is None else "%.4f" % r.ratio,
                            s.checksums[0] if s.checksums else "",
                            r.expected, " ".join(map(str, r.args)),
                            " ".join(repr(v) for v in s.values), s.reason])
        for b in baselines:
            s = b.side
            w.writerow([b.bench.name, "all", "pthread", s.status, b.bench.unit,
                        len(s.values), s.median, s.lo, s.hi, "",
                        s.checksums[0] if s.checksums else "", b.expected,
                        " ".join(map(str, b.args)),
                        " ".join(repr(v) for v in s.values), s.reason])
        for name, what in PLANNED:
            w.writerow([name, "", "goro", "not yet", "", 0, "", "", "", "", "",
                        "", "", "", what])


def write_json(path, meta, rows, baselines):
    doc = {
        "meta": meta,
        "note": "Every number is a cost: lower is better. ratio = goro "
                "median / Go median; below 1.0 goro is cheaper.",
        "rows": [{
            "benchmark": r.bench.name, "procs": r.procs, "unit": r.bench.unit,
            "metric": r.bench.metric, "what": r.bench.what, "args": r.args,
            "expected_checksum": r.expected, "goro": r.goro.as_dict(),
            "go": r.go.as_dict(), "ratio": r.ratio,
            "ratio_low": r.ratio_range[0], "ratio_high": r.ratio_range[1],
            "pthread_baseline": r.bench.baseline,
        } for r in rows],
        "baselines": [{
            "benchmark": b.bench.name, "unit": b.bench.unit,
            "metric": b.bench.metric, "what": b.bench.what, "args": b.args,
            "compare_with": b.bench.compare, "expected_checksum": b.expected,
            "pthread": b.side.as_dict(),
        } for b in baselines],
        "not_yet_planned": [{"benchmark": n, "what": w} for n, w in PLANNED],
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def write_svg(path, rows, procs_list, meta, planned):
    """A horizontal bar chart of goro/Go per benchmark and processor count,
    on a log scale, bars growing from the line at 1.0."""
    names = []
    for r in rows:
        if r.bench.name not in names:
            names.append(r.bench.name)
    names += [n for n, _ in planned]
    planned_names = dict(planned)
    by = {(r.bench.name, r.procs): r for r in rows}
    colors = ["#3b6fb6", "#e0892b", "#4a9a5b", "#9b59b6"]

    vals = [1.0]
    for r in rows:
        if r.ratio is not None:
            vals += [r.ratio, r.ratio_range[0], r.ratio_range[1]]
    lo = min(min(vals), 0.5) / 1.25
    hi = max(max(vals), 2.0) * 1.25
    left, right, top = 190, 70, 104
    plot_w = 640
    bar_h = 11
    group_h = max(len(procs_list), 1) * (bar_h + 3) + 12
    height = top + group_h * len(names) + 60
    width = left + plot_w + right

    def x(v):
        return left + plot_w * (math.log(v) - math.log(lo)) / \
            (math.log(hi) - math.log(lo))

    out = []
    a = out.append
    a('<?xml version="1.0" encoding="UTF-8"?>')
    a('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
      'viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" '
      'font-size="12">' % (width, height, width, height))
    a('<rect width="100%" height="100%" fill="white"/>')
    a('<text x="%d" y="24" font-size="16" font-weight="bold">goro / Go, '
      'median cost ratio per benchmark (log scale; lower is better for goro)'
      '</text>' % 12)
    sub = "%s, %s CPUs, %s; %s" % (meta.get("cpu", "?"),
                                   meta.get("cpus_usable", "?"),
                                   meta.get("go") or "go ?",
                                   meta.get("date", ""))
    a('<text x="12" y="44" fill="#555">%s</text>' % escape(sub))
    # Legend.
    lx = 12
    for i, p in enumerate(procs_list):
        a('<rect x="%d" y="56" width="12" height="12" fill="%s"/>' %
          (lx, colors[i % len(colors)]))
        a('<text x="%d" y="66">%d processor%s</text>' %
          (lx + 16, p, "" if p == 1 else "s"))
        lx += 120
    a('<text x="%d" y="66" fill="#555">whiskers: goro min/Go max to '
      'goro max/Go min</text>' % lx)
    bottom = top + group_h * len(names)
    # Grid and ticks.
    ticks = []
    for e in range(int(math.floor(math.log10(lo))),
                   int(math.ceil(math.log10(hi))) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** e
            if lo <= v <= hi:
                ticks.append(v)
    for v in ticks:
        a('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' %
          (x(v), top - 6, x(v), bottom))
        a('<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>' %
          (x(v), bottom + 16, ("%g" % v)))
    a('<text x="%.1f" y="%d" text-anchor="end" fill="#2e7d32">'
      '&#8592; goro cheaper</text>' % (x(1.0) - 8, bottom + 34))
    a('<text x="%.1f" y="%d" fill="#c62828">Go cheaper &#8594;</text>' %
      (x(1.0) + 8, bottom + 34))
    # Rows.
    for gi, name in enumerate(names):
        gy = top + gi * group_h
        if gi % 2 == 1:
            a('<rect x="0" y="%d" width="%d" height="%d" fill="#f6f6f6"/>' %
              (gy, width, group_h))
        a('<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">'
          '%s</text>' % (left - 10, gy + group_h / 2, escape(name)))
        if name in planned_names:
            a('<text x="%.1f" y="%.1f" dominant-baseline="middle" '
              'fill="#888" font-style="italic">not yet (%s)</text>' %
              (x(1.0) + 6, gy + group_h / 2,
               escape(planned_names[name].split("; ")[-1])))
            continue
        for pi, p in enumerate(procs_list):
            by_ = gy + 6 + pi * (bar_h + 3)
            r = by.get((name, p))
            color = colors[pi % len(colors)]
            if r is None or r.ratio is None:
                if r is not None and r.goro.status == "fail":
                    label = "FAIL"
                elif r is not None and r.go.status == "fail":
                    label = "Go side failed"
                else:
                    label = "not yet"
                a('<text x="%.1f" y="%.1f" dominant-baseline="middle" '
                  'fill="#888" font-style="italic">%s (P=%d)</text>' %
                  (x(1.0) + 6, by_ + bar_h / 2, label, p))
                continue
            x0, x1 = sorted((x(1.0), x(r.ratio)))
            a('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s">'
              '<title>%s P=%d: goro %s, Go %s %s, ratio %.3f</title></rect>' %
              (x0, by_, max(x1 - x0, 1.0), bar_h, color, escape(name), p,
               fmt(r.goro.median), fmt(r.go.median), escape(r.bench.unit),
               r.ratio))
            rl, rh = r.ratio_range
            cy = by_ + bar_h / 2
            a('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#222" '
              'stroke-width="1"/>' % (x(rl), cy, x(rh), cy))
            tx = x(max(r.ratio, rh)) + 5 if r.ratio >= 1 else \
                x(min(r.ratio, rl)) - 5
            anchor = "start" if r.ratio >= 1 else "end"
            a('<text x="%.1f" y="%.1f" text-anchor="%s" '
              'dominant-baseline="middle" font-size="10">%s</text>' %
              (tx, cy, anchor, fmt_ratio(r.ratio)))
    # The line at 1.0, drawn last so it stays on top.
    a('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="black" '
      'stroke-width="2"/>' % (x(1.0), top - 10, x(1.0), bottom))
    a('<text x="%.1f" y="%d" text-anchor="middle" font-weight="bold">'
      '1.0 = same cost as Go</text>' % (x(1.0), top - 14))
    a('</svg>')
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def write_md(path, meta, args, lines_main, lines_base):
    with open(path, "w") as f:
        f.write("Run: %s, %s, %s CPUs usable, %s GiB; kernel %s; %s; %s.\n" % (
            meta.get("date"), meta.get("cpu"), meta.get("cpus_usable"),
            meta.get("memory_gib"), meta.get("kernel"), meta.get("go"),
            meta.get("cc")))
        f.write("goro commit %s%s, library built %s (%s), benchmark programs "
                "%s; %d run(s) per side and processor count.\n\n"
                % (meta.get("goro_commit") or "(none)",
                   " (work tree differs)" if meta.get("goro_tree_dirty")
                   else "", meta.get("goro_build_type"),
                   meta.get("goro_release_cflags"), meta.get("bench_cflags"),
                   args.runs))
        f.write("\n".join(lines_main) + "\n\n" + "\n".join(lines_base) + "\n")


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def select_names(only, names):
    if not only:
        return set(names)
    pats = [s.strip().lower() for s in only.split(",") if s.strip()]
    return {n for n in names
            if any(fnmatch.fnmatch(n.lower(), p) or n.lower() == p
                   for p in pats)}


class BaseRow:
    def __init__(self, bench, args):
        self.bench, self.args = bench, args
        self.expected = bench.expected(args)
        self.side = Side()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="small counts, one run each; check mode: exit 1 if a "
                         "landed benchmark gives no number or a wrong checksum")
    ap.add_argument("--runs", type=int, default=None,
                    help="runs per side and processor count (default 5; 1 "
                         "with --quick)")
    ap.add_argument("--procs", default="1,2",
                    help="processor counts, comma-separated (default 1,2)")
    ap.add_argument("--only", default="",
                    help="benchmarks to run, comma-separated names or globs "
                         "(e.g. ChanSync,ChanProdCons*)")
    ap.add_argument("--timeout", type=int, default=None,
                    help="seconds per process (default 300; 60 with --quick)")
    ap.add_argument("--out", default=None,
                    help="output directory (default build/bench, or "
                         "build/bench/quick with --quick)")
    ap.add_argument("--goro-lib", default=None,
                    help="libgoro.a to link (default build/libgoro.a)")
    ap.add_argument("--goro-include", default=os.path.join(ROOT, "include"),
                    help="directory with goro.h (default include/)")
    args = ap.parse_args(argv)
    if args.runs is None:
        args.runs = 1 if args.quick else 5
    if args.timeout is None:
        args.timeout = 60 if args.quick else 300
    try:
        procs_list = [int(p) for p in args.procs.split(",") if p.strip()]
    except ValueError:
        ap.error("--procs wants integers, e.g. 1,2")
    if not procs_list or min(procs_list) < 1 or args.runs < 1:
        ap.error("--procs and --runs must be >= 1")

    build = os.path.join(ROOT, "build", "bench")
    out_dir = args.out or (os.path.join(build, "quick") if args.quick
                           else build)
    bindir = os.path.join(build, "bin")
    logdir = os.path.join(out_dir, "logs")
    for d in (build, out_dir, bindir, logdir):
        os.makedirs(d, exist_ok=True)
    for name in os.listdir(logdir):
        if name.endswith(".run.log"):
            os.remove(os.path.join(logdir, name))
    cc = os.environ.get("CC", "cc")

    wanted = select_names(args.only, [b.name for b in BENCHES] +
                          [b.name for b in BASELINES] + [n for n, _ in PLANNED])
    if not wanted:
        ap.error("--only matched no benchmark")
    benches = [b for b in BENCHES if b.name in wanted]
    base_defs = [b for b in BASELINES if b.name in wanted]
    planned = [(n, w) for n, w in PLANNED if n in wanted and
               not any(b.name.startswith(n) for b in BENCHES)]

    # Build.
    log("== building (outputs in %s)" % out_dir)
    gobin, goerr = build_go(build, bindir) if benches else (None, None)
    if goerr:
        log(goerr)
        return 1
    pt_built = build_pthread(cc, bindir, logdir) if base_defs else {}
    lib = find_goro_lib(args.goro_lib)
    include = os.path.abspath(args.goro_include)
    broken = os.environ.get("GORO_BENCH_LIB_BROKEN")
    if broken:
        broken = "library does not build (%s)" % broken
    goro_built = build_goro(cc, bindir, logdir, lib, include, benches, broken)
    if args.goro_lib:
        log("NOTE: linking goro programs against %s, not the project's "
            "build/libgoro.a" % args.goro_lib)
    for src, (binpath, err) in sorted(goro_built.items()):
        if err:
            log("  goro %-26s %s" % (src, err[0] + ": " +
                                     err[1].splitlines()[0]))
        else:
            log("  goro %-26s built" % src)
    meta = machine_info(lib, include)

    # Rows.
    rows = []
    for p in procs_list:
        for b in benches:
            r = Row(b, p, b.args(p, args.quick))
            binpath, err = goro_built[b.goro_src]
            if err:
                r.goro.status, r.goro.reason = err[0], err[1]
            rows.append(r)
    bases = []
    for bd in base_defs:
        br = BaseRow(bd, bd.args(args.quick))
        binpath, err = pt_built[bd.name]
        if err:
            br.side.status, br.side.reason = "fail", "build error:\n" + err
        bases.append(br)

    # Run: for each processor count and round, every pair goro then Go.
    t_start = time.monotonic()
    for p in procs_list:
        for rnd in range(args.runs):
            for r in (r for r in rows if r.procs == p):
                b = r.bench
                logpath = os.path.join(logdir, "%s.P%d.run.log" % (b.name, p))
                msg = "[P=%d %d/%d] %-20s" % (p, rnd + 1, args.runs, b.name)
                if r.goro.status == "pending":
                    res = run_one([goro_built[b.goro_src][0]] +
                                  [str(x) for x in r.args],
                                  side_env("goro", p), b.metric, args.timeout,
                                  logpath)
                    check_run(r.goro, *res, r.expected, other=None)
                    msg += "  goro %10s" % (fmt(res[0]) if res[0] is not None
                                            else "FAIL")
                else:
                    msg += "  goro %10s" % ("not yet" if r.goro.status ==
                                            "not yet" else "FAIL")
                if r.go.status == "pending":
                    res = run_one([gobin, b.go_name] + [str(x) for x in r.args],
                                  side_env("go", p), b.metric, args.timeout,
                                  logpath)
                    check_run(r.go, *res, r.expected,
                              other=r.goro if r.goro.status == "pending"
                              else None)
                    msg += "  Go %10s %s" % (fmt(res[0]) if res[0] is not None
                                             else "FAIL", b.unit)
                log(msg)
    for rnd in range(args.runs):
        for br in bases:
            if br.side.status != "pending":
                continue
            b = br.bench
            res = run_one([pt_built[b.name][0]] + [str(x) for x in br.args],
                          side_env("pthread", 0), b.metric, args.timeout,
                          os.path.join(logdir, "%s.run.log" % b.name))
            check_run(br.side, *res, br.expected)
            log("[threads %d/%d] %-20s  pthread %10s %s" % (
                rnd + 1, args.runs, b.name,
                fmt(res[0]) if res[0] is not None else "FAIL", b.unit))
    for r in rows:
        finish(r.goro)
        finish(r.go)
        # A checksum that differs between the sides fails both rows' goro
        # side (the Go side is the reference).
        if r.goro.status == "ok" and r.go.status == "ok" and \
                set(r.goro.checksums) != set(r.go.checksums):
            r.goro.failed("checksums differ from Go's")
    for br in bases:
        finish(br.side)
    meta["elapsed_s"] = round(time.monotonic() - t_start, 1)
    meta["runs"] = args.runs
    meta["procs"] = procs_list
    meta["quick"] = args.quick
    meta["command"] = " ".join(["bench/run.sh"] + (argv if argv is not None
                                                    else sys.argv[1:]))

    # Report.
    class BL:
        pass
    bl_view = []
    for br in bases:
        v = BL()
        v.bench, v.side = br.bench, br.side
        bl_view.append(v)
    main_lines, base_lines = table_lines(rows, bl_view, planned)
    print()
    print("goro vs Go: medians of %d run(s); every number is a cost (lower "
          "is better); goro/Go < 1 means goro is cheaper." % args.runs)
    print("P = processors (GORO_MAXPROCS / GOMAXPROCS). %s, %s usable CPUs."
          % (meta.get("cpu"), meta.get("cpus_usable")))
    print()
    print("\n".join(main_lines))
    if base_lines and bases:
        print()
        print("\n".join(base_lines))
    md_main, md_base = table_lines(rows, bl_view, planned, markdown=True)
    write_csv(os.path.join(out_dir, "results.csv"), rows, bases)
    write_json(os.path.join(out_dir, "results.json"), meta, rows, bases)
    write_md(os.path.join(out_dir, "results.md"), meta, args, md_main,
             md_base if bases else [])
    write_svg(os.path.join(out_dir, "ratios.svg"), rows, procs_list, meta,
              planned)
    print()
    print("wrote %s/{results.csv,results.json,results.md,ratios.svg} "
          "(%.1fs of runs)" % (os.path.relpath(out_dir, ROOT),
                               meta["elapsed_s"]))

    # Verdict: one check per side of each row and per baseline.
    passed = failed = skipped = 0
    problems = []
    for r in rows:
        for name, s in (("goro", r.goro), ("Go", r.go)):
            if s.status == "ok":
                passed += 1
            elif s.status == "not yet":
                skipped += 1
            else:
                failed += 1
                problems.append("%s P=%d %s: %s" % (r.bench.name, r.procs,
                                                    name, s.reason))
    for br in bases:
        if br.side.status == "ok":
            passed += 1
        else:
            failed += 1
            problems.append("%s: %s" % (br.bench.name, br.side.reason))
    skipped += len(planned)
    for pr in problems:
        print("FAIL " + pr.splitlines()[0])
        for extra in pr.splitlines()[1:8]:
            print("     " + extra)
    print("bench: %d passed, %d failed, %d skipped" % (passed, failed,
                                                        skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
