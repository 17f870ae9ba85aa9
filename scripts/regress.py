#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Classify the results of make regress (see scripts/regress.sh).

  regress.py RDIR RERUNS NOT_BUILT.TSV OUT.TSV

RDIR holds base/ and series/ (results.tsv and serial.log of a vmtest.sh
run each) and, for the tests that failed there, base-rerunN/ and
series-rerunN/. A test's result on a kernel is its first run's unless a
rerun disagrees: then it is "flaky" there. Classes:

  pass-both     passed on both kernels
  fail-both     failed on both (pre-existing: the base's reason is shown)
  skip          skipped on both (the reason), or skipped on the series
                kernel after failing on the base
  regression    passed or skipped on the base, fails with the series; or
                passed on the base and skips with the series
  fixed         failed or skipped on the base, passes with the series
  flaky         a rerun on some kernel gave another result: not counted as
                a regression, shown with both results
  not-built     the test did not build

Prints the table and the counts per class, writes OUT.TSV (test, class,
base result, series result, base reason, series reason); exits 1 if any
test regressed.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmlog  # noqa: E402


def read_results(path):
    res = {}
    if not os.path.exists(path):
        return res
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 4:
                res[parts[0]] = (parts[1], parts[3])
    return res


def assertion(log, name):
    """The assertion of a failed selftest: 'file.c:line: expr: message'."""
    if not os.path.exists(log):
        return ""
    sec, inside = [], False
    with open(log, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n").replace("\r", "")
            if line.startswith("@@TEST-BEGIN " + name + " ") or line == "@@TEST-BEGIN " + name:
                sec, inside = [], True
            elif line.startswith("@@TEST-END " + name + " "):
                inside = False
            elif inside and not vmlog.KERNEL_LINE.match(line):
                sec.append(line)
    for i, line in enumerate(sec):
        if "Test Assertion Failure" in line:
            where = sec[i + 1].strip() if i + 1 < len(sec) else ""
            msg = ""
            for m in sec[i + 2:i + 40]:
                s = m.strip()
                if (not s or s.startswith("pid=") or re.match(r"^\d+\s+0x", s)
                        or s.startswith("(stack") or "addr2line" in s):
                    continue
                msg = s
                break
            return f"{where}: {msg}" if msg else where
    return ""


def main():
    rdir, reruns, notbuilt, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    runs = {}
    for k in ("base", "series"):
        runs[k] = [read_results(os.path.join(rdir, k, "results.tsv"))]
        for i in range(1, reruns + 1):
            runs[k].append(read_results(os.path.join(rdir, f"{k}-rerun{i}", "results.tsv")))

    def result(k, name):
        first = runs[k][0].get(name, ("FAIL", "no result"))
        seen = {first[0]}
        for rr in runs[k][1:]:
            if name in rr:
                seen.add(rr[name][0])
        reason = first[1]
        if first[0] == "FAIL":
            a = assertion(os.path.join(rdir, k, "serial.log"), name)
            if a and a not in reason:
                reason = (reason + " " + a) if reason else a
            reason = reason.replace("==== Test Assertion Failure ==== ", "")
        if len(seen) > 1:
            return "+".join(sorted(seen)), reason
        return first[0], reason

    names = [n for n in runs["series"][0] if not n.startswith("(")]
    names += [n for n in runs["base"][0] if n not in names and not n.startswith("(")]
    rows = []
    for n in names:
        b, br = result("base", n)
        s, sr = result("series", n)
        if "+" in b or "+" in s:
            c = "flaky"
        elif b == s == "PASS":
            c = "pass-both"
        elif b == s == "FAIL":
            c = "fail-both"
        elif b == s == "SKIP":
            c = "skip"
        elif s == "FAIL" or (b == "PASS" and s == "SKIP"):
            c = "regression"
        elif s == "PASS":
            c = "fixed"
        else:            # FAIL on the base, SKIP with the series
            c = "skip"
        rows.append((n, c, b, s, br, sr))
    # Kernel-log and boot rows of either run: shown, and a series-only one
    # is a regression.
    for k in ("base", "series"):
        for n, (r, why) in runs[k][0].items():
            if n.startswith("(") and r == "FAIL":
                other = "series" if k == "base" else "base"
                both = n in runs[other][0] and runs[other][0][n][0] == "FAIL"
                if k == "series" and not both:
                    rows.append((n, "regression", "PASS", "FAIL", "", why))
                elif k == "base" and not both:
                    rows.append((n, "fixed", "FAIL", "PASS", why, ""))
                elif k == "series":
                    rows.append((n, "fail-both", "FAIL", "FAIL", runs["base"][0][n][1], why))
    if os.path.exists(notbuilt):
        with open(notbuilt) as f:
            for line in f:
                n, why = line.rstrip("\n").split("\t", 1)
                rows.append((n, "not-built", "-", "-", why, why))

    order = {"regression": 0, "flaky": 1, "fixed": 2, "fail-both": 3, "skip": 4,
             "not-built": 5, "pass-both": 6}
    rows.sort(key=lambda r: (order[r[1]], r[0]))
    w = max([len(r[0]) for r in rows] + [4])
    print(f"\n  {'TEST':<{w}}  {'CLASS':<10}  {'BASE':<9}  {'SERIES':<9}  REASON (base's for fail-both)")
    for n, c, b, s, br, sr in rows:
        why = sr if c in ("regression", "flaky", "fixed") and sr else (br or sr)
        if c == "pass-both":
            why = ""
        if c == "flaky":
            why = f"results across runs: base {b}, series {s}: {br or sr}"
        if len(why) > 110:
            why = why[:107] + "..."
        print(f"  {n:<{w}}  {c:<10}  {b:<9}  {s:<9}  {why}")
    with open(out, "w") as f:
        f.write("test\tclass\tbase\tseries\tbase_reason\tseries_reason\n")
        for r in rows:
            f.write("\t".join(x.replace("\t", " ") for x in r) + "\n")
    counts = {}
    for r in rows:
        counts[r[1]] = counts.get(r[1], 0) + 1
    print("\n  " + ", ".join(f"{counts.get(c, 0)} {c}" for c in order))
    return 1 if counts.get("regression") else 0


if __name__ == "__main__":
    sys.exit(main())
