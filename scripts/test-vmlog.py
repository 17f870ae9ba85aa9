#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-test of vmlog.py's judgement on made-up serial logs: a harness
that passes a run with a kernel WARNING in it is worse than no harness."""
import os
import subprocess
import sys
import tempfile

VMLOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vmlog.py")
BOOT = "[    0.000000] Linux version 6.12\n@@BOOTED kernel=6.12 clocksource=tsc kvm=yes\n"
END = "@@LOCKDEP debug_locks:1\n@@DONE\n"


def run(log, tests, figures=None):
    with tempfile.TemporaryDirectory() as d:
        paths = [os.path.join(d, n) for n in ("log", "tests", "results")]
        with open(paths[0], "w") as f:
            f.write(log)
        with open(paths[1], "w") as f:
            f.writelines(f"{t}\t60\t{t}\n" for t in tests)
        if figures is not None:
            paths.append(os.path.join(d, "figures"))
            with open(paths[3], "w") as f:
                f.write(figures)
        p = subprocess.run([sys.executable, VMLOG, "summary"] + paths,
                           capture_output=True, text=True)
        with open(paths[2]) as f:
            rows = {l.split("\t")[0]: l.split("\t")[1] for l in f if l.strip()}
        return p.returncode, rows, p.stdout.strip().splitlines()


def figures_shown():
    """The matching output lines, and only those, come before the last line."""
    log = BOOT + section("a", "# ratio 4.2\n# noise\n", 0) + section("b", "# ratio 9\n", 0) + END
    rc, rows, out = run(log, ["a", "b"], "# comment\na   ^# ratio\n")
    return (rc == 0 and "    # ratio 4.2" in out and "# noise" not in "\n".join(out)
            and "    # ratio 9" not in out and out[-1] == "2 passed, 0 failed, 0 skipped")


def section(name, body, rc):
    return f"@@TEST-BEGIN {name}\n{body}@@TEST-END {name} rc={rc} secs=1.0\n"


CASES = [
    ("clean pass", BOOT + section("a", "ok\n", 0) + END,
     ["a"], 0, {"a": "PASS"}),
    ("exit 4 is a skip", BOOT + section("a", "1..0 # SKIP\n", 4) + END,
     ["a"], 0, {"a": "SKIP"}),
    ("all TAP cases skipped is a skip",
     BOOT + section("a", "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:3 error:0\n", 0) + END,
     ["a"], 0, {"a": "SKIP"}),
    ("TAP failure with exit 0 fails",
     BOOT + section("a", "# Totals: pass:2 fail:1 xfail:0 xpass:0 skip:0 error:0\n", 0) + END,
     ["a"], 1, {"a": "FAIL"}),
    ("kernel WARNING during a test fails it",
     BOOT + section("a", "[   12.5] WARNING: CPU: 1 PID: 80 at arch/x86/kvm/x86.c:1\n", 0)
     + section("b", "", 0) + END,
     ["a", "b"], 1, {"a": "FAIL", "b": "PASS"}),
    ("lockdep report outside a test fails the run",
     BOOT + section("a", "", 0)
     + "[   13.0] WARNING: possible circular locking dependency detected\n" + END,
     ["a"], 1, {"a": "PASS", "(kernel log)": "FAIL"}),
    ("RCU stall fails",
     BOOT + section("a", "[   70.0] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:\n", 0) + END,
     ["a"], 1, {"a": "FAIL"}),
    ("hung task fails",
     BOOT + section("a", "[  200.0] INFO: task kvm:99 blocked for more than 120 seconds.\n", 0) + END,
     ["a"], 1, {"a": "FAIL"}),
    ("timeout fails", BOOT + section("a", "", 137) + END, ["a"], 1, {"a": "FAIL"}),
    ("lockdep off fails",
     BOOT + section("a", "", 0) + "@@LOCKDEP debug_locks:0\n@@DONE\n",
     ["a"], 1, {"a": "PASS", "(lockdep)": "FAIL"}),
    ("lockdep missing fails",
     BOOT + section("a", "", 0) + "@@LOCKDEP missing\n@@DONE\n",
     ["a"], 1, {"(lockdep)": "FAIL"}),
    ("VM died mid-run fails the rest",
     BOOT + "@@TEST-BEGIN a\n[   5.0] Kernel panic - not syncing\n",
     ["a", "b"], 1, {"a": "FAIL", "b": "FAIL", "(kernel log)": None}),
    ("no boot fails", "garbage\n", ["a"], 1, {"a": "FAIL", "(boot)": "FAIL"}),
    ("test output that is not a kernel line is not a kernel report",
     BOOT + section("a", "WARNING: this is the test talking\n", 0) + END,
     ["a"], 0, {"a": "PASS"}),
]


def main():
    failed = 0
    for name, log, tests, want_rc, want in CASES:
        rc, rows, out = run(log, tests)
        last = out[-1]
        ok = rc == want_rc and all(rows.get(k) == v for k, v in want.items())
        print(f"{'ok' if ok else 'not ok'} - {name}")
        if not ok:
            print(f"#   rc={rc} rows={rows} last={last!r}")
            failed += 1
    ok = figures_shown()
    print(f"{'ok' if ok else 'not ok'} - figures: matching output lines shown")
    failed += not ok
    print(f"# {len(CASES) + 1 - failed} of {len(CASES) + 1} vmlog cases ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
