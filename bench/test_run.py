#!/usr/bin/env python3
"""Unit tests for the benchmark harness (bench/run.py): result parsing, the
"not yet" rule, checksum checks, and the SVG and CSV/JSON writers.

    python3 bench/test_run.py

The end-to-end test of the harness is `bench/run.sh --quick`, which runs
every benchmark once with small counts and fails on a missing number or a
checksum mismatch.
"""

import csv
import json
import os
import stat
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


def fake_program(directory, name, body):
    """A shell script standing in for a benchmark binary."""
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
    return path


def make_row(name, procs, goro_vals, go_vals, checksum=None):
    bench = next(b for b in run.BENCHES if b.name == name)
    r = run.Row(bench, procs, bench.args(procs, True))
    cs = r.expected if checksum is None else checksum
    for v in goro_vals:
        run.check_run(r.goro, v, cs, {}, None, r.expected)
    for v in go_vals:
        run.check_run(r.go, v, r.expected, {}, None, r.expected)
    if not goro_vals:
        r.goro.status, r.goro.reason = "not yet", "missing goro_chan_make"
    run.finish(r.goro)
    run.finish(r.go)
    return r


class ParseTest(unittest.TestCase):
    def test_last_result_line_wins(self):
        out = ("noise\nRESULT name=A ns_per_op=1 checksum=1\n"
               "RESULT name=A ns_per_op=2.5 ops=4 checksum=10\n")
        f = run.parse_result(out)
        self.assertEqual(f["ns_per_op"], "2.5")
        self.assertEqual(f["checksum"], "10")

    def test_no_result_line(self):
        self.assertIsNone(run.parse_result("hello\n"))


class NotYetTest(unittest.TestCase):
    def test_missing_public_names_are_not_yet(self):
        text = ("chan_sync.c:12:3: error: implicit declaration of function "
                "‘goro_chan_make’\n"
                "x.c:1: error: unknown type name ‘goro_case’\n"
                "x.c:2: error: ‘GORO_MUTEX_INIT’ undeclared here\n"
                "/usr/bin/ld: x.o: undefined reference to `goro_select'\n")
        self.assertEqual(run.missing_names(text),
                         ["goro_chan_make", "GORO_MUTEX_INIT", "goro_case",
                          "goro_select"])

    def test_missing_header(self):
        self.assertEqual(run.missing_names(
            "x.c:1:10: fatal error: goro.h: No such file or directory"),
            ["goro.h"])

    def test_other_errors_are_failures(self):
        # An internal symbol, or an error in the benchmark itself, is a
        # failure: it must never hide as "not yet".
        self.assertEqual(run.missing_names(
            "undefined reference to `goro__slot_g'"), [])
        self.assertEqual(run.missing_names(
            "x.c:3: error: too few arguments to function ‘goro_chan_send’"),
            [])

    def test_build_goro_classifies(self):
        with tempfile.TemporaryDirectory() as d:
            inc = os.path.join(d, "include")
            os.makedirs(inc)
            with open(os.path.join(inc, "goro.h"), "w") as f:
                f.write("#include <stdint.h>\n")  # an empty API
            lib = os.path.join(d, "libgoro.a")
            open(lib, "w").close()
            benches = [b for b in run.BENCHES if b.name == "ChanSync"]
            built = run.build_goro("cc", d, d, lib, inc, benches, None)
            binpath, err = built["chan_sync.c"]
            self.assertIsNone(binpath)
            self.assertEqual(err[0], "not yet")
            self.assertIn("goro_chan_make", err[1])
            built = run.build_goro("cc", d, d, None, inc, benches, None)
            self.assertEqual(built["chan_sync.c"][1][0], "not yet")


class CheckTest(unittest.TestCase):
    def test_wrong_checksum_fails(self):
        s = run.Side()
        run.check_run(s, 12.0, 0, {}, None, expected=499500)
        run.finish(s)
        self.assertEqual(s.status, "fail")
        self.assertIn("checksum 0", s.reason)

    def test_error_fails(self):
        s = run.Side()
        run.check_run(s, None, None, None, "exit status 2: boom", 1)
        run.finish(s)
        self.assertEqual(s.status, "fail")

    def test_ratio_and_spread(self):
        r = make_row("ChanSync", 1, [10.0, 12.0, 11.0], [20.0, 22.0, 24.0])
        self.assertEqual(r.goro.status, "ok")
        self.assertAlmostEqual(r.ratio, 0.5)
        lo, hi = r.ratio_range
        self.assertAlmostEqual(lo, 10.0 / 24.0)
        self.assertAlmostEqual(hi, 12.0 / 20.0)

    def test_not_yet_has_no_ratio(self):
        r = make_row("Skynet", 2, [], [5.0])
        self.assertIsNone(r.ratio)
        self.assertEqual(run.cell(r.goro), "not yet")

    def test_expected_checksums(self):
        self.assertEqual(run.first_primes_sum(3000), 38645211)
        skynet = next(b for b in run.BENCHES if b.name == "Skynet")
        self.assertEqual(skynet.expected(skynet.args(1, False)), 499999500000)


class RunOneTest(unittest.TestCase):
    def test_run_one(self):
        with tempfile.TemporaryDirectory() as d:
            logp = os.path.join(d, "log")
            ok = fake_program(d, "ok",
                              "echo 'RESULT name=X ns_per_op=3.5 checksum=7'")
            v, cs, fields, err = run.run_one([ok], dict(os.environ),
                                             "ns_per_op", 10, logp)
            self.assertEqual((v, cs, err), (3.5, 7, None))
            silent = fake_program(d, "silent", "true")
            self.assertIsNotNone(run.run_one([silent], dict(os.environ),
                                             "ns_per_op", 10, logp)[3])
            crash = fake_program(d, "crash", "echo oops >&2; exit 2")
            err = run.run_one([crash], dict(os.environ), "ns_per_op", 10,
                              logp)[3]
            self.assertIn("oops", err)
            slow = fake_program(d, "slow", "sleep 5")
            err = run.run_one([slow], dict(os.environ), "ns_per_op", 1,
                              logp)[3]
            self.assertIn("timed out", err)

    def test_env(self):
        env = run.side_env("goro", 2)
        self.assertEqual(env["GORO_MAXPROCS"], "2")
        self.assertNotIn("GOMAXPROCS", env)
        env = run.side_env("go", 1)
        self.assertEqual(env["GOMAXPROCS"], "1")
        self.assertNotIn("GORO_MAXPROCS", env)


class WriterTest(unittest.TestCase):
    def rows(self):
        return [make_row("ChanSync", 1, [10.0, 11.0], [20.0, 21.0]),
                make_row("ChanSync", 2, [30.0, 33.0], [20.0, 21.0]),
                make_row("Skynet", 1, [], [5.0]),
                make_row("Skynet", 2, [], [5.0])]

    def test_svg(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.svg")
            run.write_svg(path, self.rows(), [1, 2], {"cpu": "x & y"},
                          run.PLANNED)
            root = ET.parse(path).getroot()
            self.assertEqual(root.tag, SVG + "svg")
            texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
            self.assertTrue(any("1.0 = same cost as Go" in t for t in texts))
            self.assertTrue(any(t.startswith("not yet") for t in texts))
            self.assertTrue(any("TCPEcho" == t for t in texts))
            self.assertIn("0.51", texts)  # ChanSync at P=1: 10.5/20.5
            self.assertIn("1.54", texts)  # ChanSync at P=2: 31.5/20.5
            # The 1.0 line: a vertical line, drawn black.
            lines = [ln for ln in root.iter(SVG + "line")
                     if ln.get("stroke") == "black"]
            self.assertEqual(len(lines), 1)
            self.assertEqual(lines[0].get("x1"), lines[0].get("x2"))

    def test_svg_with_nothing_landed(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "r.svg")
            rows = [make_row("Skynet", 1, [], [5.0])]
            run.write_svg(path, rows, [1], {}, [])
            ET.parse(path)

    def test_csv_json(self):
        with tempfile.TemporaryDirectory() as d:
            rows = self.rows()
            run.write_csv(os.path.join(d, "r.csv"), rows, [])
            with open(os.path.join(d, "r.csv")) as f:
                recs = list(csv.DictReader(f))
            goro = [x for x in recs if x["benchmark"] == "ChanSync" and
                    x["procs"] == "1" and x["side"] == "goro"][0]
            self.assertEqual(goro["status"], "ok")
            self.assertAlmostEqual(float(goro["ratio_goro_over_go"]),
                                   10.5 / 20.5, places=4)
            self.assertTrue(any(x["benchmark"] == "HTTPHello" and
                                x["status"] == "not yet" for x in recs))
            run.write_json(os.path.join(d, "r.json"), {"cpu": "x"}, rows, [])
            with open(os.path.join(d, "r.json")) as f:
                doc = json.load(f)
            sky = [x for x in doc["rows"] if x["benchmark"] == "Skynet"][0]
            self.assertEqual(sky["goro"]["status"], "not yet")
            self.assertIsNone(sky["ratio"])

    def test_table(self):
        main_lines, _ = run.table_lines(self.rows(), [], run.PLANNED)
        text = "\n".join(main_lines)
        self.assertIn("not yet", text)
        self.assertIn("0.51", text)


if __name__ == "__main__":
    unittest.main(verbosity=1)
