#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read the serial console of the test VM (see vm-init.sh).

  vmlog.py follow LOG TESTS.TSV [--show-output]
      Copy stdin to LOG and show progress: which test runs, how long it took.
  vmlog.py summary LOG TESTS.TSV RESULTS.TSV [FIGURES]
      Decide each test's result from its exit code, its kselftest TAP totals
      and the kernel messages printed while it ran; fail on any kernel
      report anywhere in the log; print a table, the figures (the output
      lines of each test that match its pattern in FIGURES, a file of
      "test-name regex" lines) and the closing line
      "N passed, N failed, N skipped". Exit 1 if anything failed.
"""
import re
import sys
import time

# Kernel reports that fail a run wherever they appear.
KERNEL_REPORTS = re.compile(
    r"WARNING:|BUG:|Oops|Kernel panic|kernel BUG at|general protection fault"
    r"|Unable to handle kernel|Internal error:|Call Trace:|Call trace:"
    r"|possible circular locking|possible recursive locking"
    r"|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON"
    r"|turning off the locking correctness validator"
    r"|rcu: INFO:|detected stalls|self-detected stall"
    r"|blocked for more than \d+ seconds|KASAN|UBSAN|soft lockup|hard LOCKUP")
KERNEL_LINE = re.compile(r"^\[\s*\d+\.\d+\]")
TOTALS = re.compile(r"# Totals: pass:(\d+) fail:(\d+) xfail:(\d+) xpass:(\d+)"
                    r" skip:(\d+) error:(\d+)")
KSFT_SKIP = 4
SIGKILL_RC = 137


def read_tests(path):
    tests = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 3 and parts[0]:
                tests.append((parts[0], float(parts[1]), parts[2]))
    return tests


def clean(raw):
    return raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")


def follow(log, tests, show_output):
    n = len(tests)
    idx = 0
    start = time.monotonic()
    test_start = None
    with open(log, "wb") as out:
        for raw in iter(sys.stdin.buffer.readline, b""):
            out.write(raw)
            out.flush()
            line = clean(raw)
            if line.startswith("@@BOOTED"):
                print(f"    booted in {time.monotonic() - start:.0f}s: "
                      f"{line[9:]}", flush=True)
            elif line.startswith("@@TEST-BEGIN "):
                idx += 1
                test_start = time.monotonic()
                name = line.split()[1]
                end = "\n" if show_output else " "
                print(f"    [{idx}/{n}] {name} ...", end=end, flush=True)
            elif line.startswith("@@TEST-END "):
                rc = re.search(r"rc=(\d+)", line)
                rc = int(rc.group(1)) if rc else -1
                word = {0: "exit 0", KSFT_SKIP: "skip", SIGKILL_RC: "TIMEOUT"}.get(
                    rc, f"exit {rc}")
                secs = time.monotonic() - test_start if test_start else 0
                prefix = f"    [{idx}/{n}] done:" if show_output else ""
                print(f"{prefix} {word} ({secs:.1f}s)", flush=True)
                test_start = None
            elif show_output and test_start is not None and not KERNEL_LINE.match(line):
                print(f"      {line}", flush=True)


def first_match(lines, pattern):
    for line in lines:
        if re.search(pattern, line):
            return line.strip()
    return ""


def judge(name, rc, section, kernel_bad):
    """Return (result, detail) for one test."""
    totals = None
    for line in section:
        m = TOTALS.search(line)
        if m:
            totals = [int(x) for x in m.groups()]
    tap = ""
    if totals:
        p, f, xf, xp, s, e = totals
        tap = f"TAP pass:{p} fail:{f} skip:{s}" + (f" error:{e}" if e else "")
    if kernel_bad:
        return "FAIL", "kernel: " + kernel_bad[0]
    if rc == SIGKILL_RC:
        return "FAIL", "timed out (killed)"
    if rc == KSFT_SKIP:
        why = first_match(section, r"SKIP|[Rr]equirement not met|not supported")
        return "SKIP", why or "exit 4 (skip)"
    if rc != 0:
        why = first_match(section, r"Assertion|FAIL|not ok|[Ee]rror")
        return "FAIL", f"exit {rc}" + (f": {why}" if why else "")
    if totals:
        p, f, xf, xp, s, e = totals
        if f or e or xp:
            return "FAIL", f"exit 0 but {tap}"
        if p + xf == 0 and s > 0:
            return "SKIP", tap
        return "PASS", tap
    return "PASS", ""


def read_figures(path):
    """Return {test name: compiled regex} from a FIGURES file."""
    figures = {}
    if not path:
        return figures
    with open(path) as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, pattern = line.rstrip("\n").split(None, 1)
            figures[name] = re.compile(pattern.strip())
    return figures


def print_figures(tests, sections, figures):
    shown = [(name, [l.rstrip() for l in sections.get(name, [])
                     if figures[name].search(l)])
             for name, _, _ in tests if name in figures]
    shown = [(name, lines) for name, lines in shown if lines]
    if not shown:
        return
    print("\n  Figures measured in this run:")
    for name, lines in shown:
        print(f"  {name}:")
        for line in lines:
            print(f"    {line}")


def summary(log, tests, results_path, figures_path=None):
    with open(log, "rb") as f:
        lines = [clean(raw) for raw in f.read().split(b"\n")]

    sections = {}
    rcs = {}
    current = None
    outside_bad = []
    lockdep = None
    booted = done = False
    for line in lines:
        if line.startswith("@@BOOTED"):
            booted = True
        elif line.startswith("@@TEST-BEGIN "):
            current = line.split()[1]
            sections[current] = []
        elif line.startswith("@@TEST-END ") and current:
            m = re.search(r"rc=(\d+) secs=([\d.]+)", line)
            rcs[current] = (int(m.group(1)), float(m.group(2))) if m else (-1, 0.0)
            current = None
        elif line.startswith("@@LOCKDEP "):
            lockdep = line.split(None, 1)[1]
        elif line.startswith("@@DONE"):
            done = True
        elif current is not None:
            sections[current].append(line)
        elif KERNEL_LINE.match(line) and KERNEL_REPORTS.search(line):
            outside_bad.append(line.strip())

    rows = []
    for name, _, _ in tests:
        section = sections.get(name, [])
        bad = [l.strip() for l in section
               if KERNEL_LINE.match(l) and KERNEL_REPORTS.search(l)]
        if name not in rcs:
            why = "kernel: " + bad[0] if bad else "VM died or timed out"
            rows.append((name, "FAIL", "", "did not finish: " + why))
            continue
        rc, secs = rcs[name]
        result, detail = judge(name, rc, section, bad)
        rows.append((name, result, f"{secs:.1f}s", detail))

    if not booted:
        rows.append(("(boot)", "FAIL", "", "the VM never reached /init"))
    if outside_bad:
        rows.append(("(kernel log)", "FAIL", "", outside_bad[0]))
    if done and lockdep != "debug_locks:1":
        what = ("lockdep is not enabled in this kernel" if lockdep in (None, "missing")
                else "lockdep turned itself off (debug_locks=0) after a report")
        rows.append(("(lockdep)", "FAIL", "", what))

    width = max([len(r[0]) for r in rows] + [4])
    print(f"\n  {'TEST':<{width}}  RESULT  TIME    DETAIL")
    for name, result, secs, detail in rows:
        if len(detail) > 90:
            detail = detail[:87] + "..."
        print(f"  {name:<{width}}  {result:<6}  {secs:<6}  {detail}")
    with open(results_path, "w") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")
    print_figures(tests, sections, read_figures(figures_path))
    passed = sum(1 for r in rows if r[1] == "PASS")
    failed = sum(1 for r in rows if r[1] == "FAIL")
    skipped = sum(1 for r in rows if r[1] == "SKIP")
    print(f"\n{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "follow":
        follow(sys.argv[2], read_tests(sys.argv[3]), "--show-output" in sys.argv[4:])
        return 0
    if len(sys.argv) in (5, 6) and sys.argv[1] == "summary":
        figures = sys.argv[5] if len(sys.argv) == 6 else None
        return summary(sys.argv[2], read_tests(sys.argv[3]), sys.argv[4], figures)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
