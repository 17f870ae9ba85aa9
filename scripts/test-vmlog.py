#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Self-test of vmlog.py's judgement on made-up serial logs: a harness
that passes a run with a kernel WARNING in it, or lets a test run with
lockdep off, is worse than no harness."""
import os
import subprocess
import sys
import tempfile

VMLOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vmlog.py")
BOOT = ("@@HOST-BOOT n=1 skip=0\n[    0.000000] Linux version 7.3\n"
        "@@BOOTED kernel=7.3 clocksource=tsc kvm=yes skip=0\n@@LOCKDEP debug_locks:1\n")
END = "@@LOCKDEP debug_locks:1\n@@DONE\n"
SPLAT = "[   20.1] BUG: Invalid wait context\n"
RERUN_BOOT = ("@@HOST-BOOT n=2 skip=0\n"
              "@@BOOTED kernel=7.3 clocksource=tsc kvm=yes skip=0 only=2\n"
              "@@LOCKDEP debug_locks:1\n")


def reboot(skip):
    return (f"@@HOST-BOOT n=2 skip={skip}\n"
            f"@@BOOTED kernel=7.3 clocksource=tsc kvm=yes skip={skip}\n"
            "@@LOCKDEP debug_locks:1\n")


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
            rows = [l.rstrip("\n").split("\t") for l in f if l.strip()]
        global DETAILS
        DETAILS = {r[0]: r[3] for r in rows}
        return p.returncode, {r[0]: r[1] for r in rows}, p.stdout.strip().splitlines()


DETAILS = {}


def vmlog_query(cmd, log, n, extra=None, extra2=None, args=()):
    """Run 'vmlog.py CMD LOG TESTS [EXTRA [EXTRA2]] [ARGS...]' on tests
    t0..t{n-1}; its output."""
    with tempfile.TemporaryDirectory() as d:
        files = {"log": log, "tests": "".join(f"t{i}\t60\tt{i}\n" for i in range(n))}
        if extra is not None:
            files["extra"] = extra
        if extra2 is not None:
            files["extra2"] = extra2
        paths = []
        for name, text in files.items():
            paths.append(os.path.join(d, name))
            with open(paths[-1], "w") as f:
                f.write(text)
        p = subprocess.run([sys.executable, VMLOG, cmd] + paths + list(args),
                           capture_output=True, text=True)
        if p.returncode:
            # An error: what it said last, so that a case can name it.
            lines = p.stderr.strip().splitlines()
            return f"error: {lines[-1] if lines else ''}".replace(d, "{dir}")
        return p.stdout.strip()


def next_skip(log, n):
    return vmlog_query("next", log, n)


def reruns(log, n, allowed=None, assertions=None, arch=None):
    if allowed is None:
        allowed = [f"t{i}" for i in range(n)]
    if arch is not None and assertions is None:
        assertions = ""
    return vmlog_query("reruns", log, n, "# comment\n" + "".join(f"{t}\n" for t in allowed),
                       None if assertions is None else "# comment\n" + assertions,
                       () if arch is None else (arch,))


# xen_shinfo_test's known flaky failure, as it prints it.
def xen_irq(msg="Unexpected event channel IRQ", expr="evtchn_irq_expected"):
    return ("Testing event channel after memslot change\n"
            "==== Test Assertion Failure ====\n"
            f"  x86_64/xen_shinfo_test.c:976: {expr}\n"
            "  pid=389 tid=389 errno=4 - Interrupted system call\n"
            f"sh: addr2line: not found\n  {msg}\n")


def shipped(base, test="xen_shinfo_test", as_name=None):
    """The "TEST REGEX" line of tests/BASE/rerun-on-assertion, with TEST
    renamed @as_name if given; an error if there is not exactly one."""
    path = os.path.join(os.path.dirname(VMLOG), "..", "tests", base, "rerun-on-assertion")
    with open(path) as f:
        lines = [l for l in f if l.startswith(test + " ")]
    if len(lines) != 1:
        raise ValueError(f"{path}: {len(lines)} lines for {test}, want 1")
    return lines[0] if as_name is None else lines[0].replace(test + " ", as_name + " ", 1)


SHIPPED_612 = shipped("6.12")
SHIPPED_73 = shipped("7.3")
XEN_KNOWN = "t0 xen_shinfo_test\\.c:[0-9]+: evtchn_irq_expected: Unexpected event channel IRQ$\n"


# hyperv_clock's host-side check of the reference counter against the TSC,
# as the 7.3 test printed it in a CI run (2026-11-23).
def hv_elapsed(msr=198959700, tsc=203788069):
    return ("==== Test Assertion Failure ====\n"
            "  x86/hyperv_clock.c:201: delta_ns * 100 < (t2 - t1) * 100\n"
            "  pid=412 tid=412 errno=4 - Interrupted system call\n"
            "sh: addr2line: not found\n"
            f"  Elapsed time does not match (MSR={msr}, TSC={tsc})\n")


# arch_timer's guest check that each timer interrupt came within the
# period and its margin, as the 7.3 arm64 test printed it in a CI run
# (2026-11-23).
def timer_late(cfg="0x1", irq="0x0", line=133, expr="config_iter + 1 == irq_iter"):
    return ("==== Test Assertion Failure ====\n"
            f"  arm64/arch_timer.c:{line}: {expr}\n"
            "  pid=301 tid=304 errno=4 - Interrupted system call\n"
            "     1\t0x0000000000401a2c: test_vcpu_run at arch_timer.c:73\n"
            f"  config_iter + 1 = {cfg}, irq_iter = {irq}.\n"
            "  Guest timer interrupt was not triggered within the specified\n"
            "  interval, try to increase the error margin by [-e] option.\n")


# A guest assertion of hyperv_clock: GUEST_ASSERT() passes the condition
# as the message too.
def hv_guest(expr="delta_ns * 100 < (t2 - t1) * 100", line=76):
    return ("==== Test Assertion Failure ====\n"
            f"  x86/hyperv_clock.c:{line}: {expr}\n"
            "  pid=412 tid=412 errno=4 - Interrupted system call\n"
            "     1\t0x0000000000402b1c: test_tsc_page at hyperv_clock.c:229\n"
            f"  {expr}\n")


def figures_shown():
    """The matching output lines, and only those, come before the last line."""
    log = BOOT + section("a", "# ratio 4.2\n# noise\n", 0) + section("b", "# ratio 9\n", 0) + END
    rc, rows, out = run(log, ["a", "b"], "# comment\na   ^# ratio\n")
    return (rc == 0 and "    # ratio 4.2" in out and "# noise" not in "\n".join(out)
            and "    # ratio 9" not in out and out[-1] == "2 passed, 0 failed, 0 skipped")


def section(name, body, rc, n=1, locks=1):
    return (f"@@TEST-BEGIN {name} n={n}\n{body}"
            f"@@TEST-END {name} rc={rc} secs=1.0 debug_locks={locks}\n")


# A failed TAP case as kvm_clock_update_test prints it when a guest
# triple faulted: report_shutdown()'s line, then one assertion.
def fault(n, case="x", msg="x: 1 vCPUs lost to a triple fault (KVM_EXIT_SHUTDOWN)",
          before=""):
    return (f"# vCPU 2: KVM_EXIT_SHUTDOWN at rip 0xfff0 rsp 0x0\n{before}"
            "==== Test Assertion Failure ====\n"
            "  x86/kvm_clock_update_test.c:733: !__atomic_load_n(&cvm->nr_shutdowns, 5)\n"
            "  pid=96 tid=96 errno=4 - Interrupted system call\n"
            "sh: addr2line: not found\n"
            f"  {msg}\nnot ok {n} {case}\n")


TOTALS_LINE = "# Totals: pass:1 fail:1 xfail:0 xpass:0 skip:0 error:0\n"


CASES = [
    ("clean pass", BOOT + section("a", "ok\n", 0) + END,
     ["a"], 0, {"a": "PASS"}),
    ("exit 4 is a skip", BOOT + section("a", "1..0 # SKIP\n", 4) + END,
     ["a"], 0, {"a": "SKIP"}),
    ("all TAP cases skipped is a skip",
     BOOT + section("a", "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:3 error:0\n", 0) + END,
     ["a"], 0, {"a": "SKIP"}),
    ("a TAP run in which no case ran fails",
     BOOT + section("a", "1..0\n# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:0 error:0\n", 0)
     + END, ["a"], 1, {"a": "FAIL"}, ("a", "no test case ran")),
    ("a TAP plan of no case with exit 0 and no Totals line fails",
     BOOT + section("a", "TAP version 13\n1..0\n", 0) + END,
     ["a"], 1, {"a": "FAIL"}, ("a", "TAP plan is 1..0")),
    ("a program whose output merely contains 1..0 passes",
     BOOT + section("a", "range 1..0x10 ok\n", 0) + END,
     ["a"], 0, {"a": "PASS"}),
    ("a line that ends in 1..0 is no TAP plan",
     BOOT + section("a", "counting down 1..0\n", 0) + END,
     ["a"], 0, {"a": "PASS"}),
    ("1..0 in the middle of a line is no TAP plan",
     BOOT + section("a", "steps 1..0 items\n", 0) + END,
     ["a"], 0, {"a": "PASS"}),
    ("1..0x at the start of a line is no TAP plan",
     BOOT + section("a", "1..0x10 ok\n", 0) + END,
     ["a"], 0, {"a": "PASS"}),
    ("a timestamped TAP plan of no case with exit 0 fails",
     BOOT + section("a", "[    1.0] 1..0\n", 0) + END,
     ["a"], 1, {"a": "FAIL"}, ("a", "TAP plan is 1..0")),
    ("1..0 # SKIP lines with exit 0 pass, as get-reg-list prints them",
     BOOT + section("a", "vregs: PASS\n1..0 # SKIP - sve: sve not available, skipping tests\n"
                    "1..0 # SKIP - EL2+vregs: EL2 not available, skipping tests\n", 0) + END,
     ["a"], 0, {"a": "PASS"}),
    ("a bare 1..0 with trailing blanks and exit 0 fails",
     BOOT + section("a", "1..0  \n", 0) + END,
     ["a"], 1, {"a": "FAIL"}, ("a", "TAP plan is 1..0")),
    ("TAP failure with exit 0 fails",
     BOOT + section("a", "# Totals: pass:2 fail:1 xfail:0 xpass:0 skip:0 error:0\n", 0) + END,
     ["a"], 1, {"a": "FAIL"}),
    ("kernel WARNING during a test fails it",
     BOOT + section("a", "[   12.5] WARNING: CPU: 1 PID: 80 at arch/x86/kvm/x86.c:1\n", 0)
     + section("b", "", 0) + END,
     ["a", "b"], 1, {"a": "FAIL", "b": "PASS"}),
    ("report printed after a test's end is that test's",
     BOOT + section("a", "", 0)
     + "[   13.0] WARNING: possible circular locking dependency detected\n" + END,
     ["a"], 1, {"a": "FAIL", "(kernel log)": None}),
    ("report before the first test fails the run",
     BOOT + "[   1.0] WARNING: CPU: 0 PID: 1 at kernel/foo.c:1\n" + section("a", "", 0) + END,
     ["a"], 1, {"a": "PASS", "(kernel log)": "FAIL"}),
    ("report found in the kernel log at boot fails the run",
     BOOT + "@@KREPORT-BOOT [   1.0] BUG: sleeping function called\n" + section("a", "", 0) + END,
     ["a"], 1, {"a": "PASS", "(kernel log)": "FAIL"}),
    ("report found in the VM's kernel log fails the test, named",
     BOOT + section("a", "@@KREPORT [  20.1] WARNING: CPU: 1 PID: 80 at x86.c:9\n", 0) + END,
     ["a"], 1, {"a": "FAIL"}, ("a", "WARNING: CPU: 1 PID: 80 at x86.c:9")),
    ("lockdep off after a test: it fails naming the report, the rest pass in a fresh boot",
     BOOT + section("a", "", 0, 1)
     + section("x", "ok\n" + SPLAT + "@@KREPORT " + SPLAT, 0, 2, 0)
     + SPLAT.replace("BUG: Invalid wait context", "Call Trace:")
     + "@@RESTART after x: kernel report\n" + reboot(2) + section("b", "", 0, 3) + END,
     ["a", "x", "b"], 1,
     {"a": "PASS", "x": "FAIL", "b": "PASS", "(kernel log)": None, "(lockdep)": None},
     ("x", "lockdep turned itself off: BUG: Invalid wait context")),
    ("lockdep off after a test without a report still fails it",
     BOOT + section("x", "", 0, 1, 0) + "@@RESTART after x: lockdep turned itself off\n"
     + reboot(1) + section("b", "", 0, 2) + END,
     ["x", "b"], 1, {"x": "FAIL", "b": "PASS", "(lockdep)": None},
     ("x", "lockdep turned itself off: no report found in the log")),
    ("lockdep off from the boot on fails the run",
     BOOT.replace("debug_locks:1", "debug_locks:0") + section("a", "", 0, 1, 0)
     + "@@LOCKDEP debug_locks:0\n@@DONE\n",
     ["a"], 1, {"a": "PASS", "(lockdep)": "FAIL"}),
    ("clocksource not final in time fails the boot",
     BOOT.replace("@@BOOTED", "@@BOOT-FAILED clocksource is 'tsc-early' after 60s, expected 'tsc'\n@@BOOTED")
     + section("a", "", 0) + END,
     ["a"], 1, {"a": "PASS", "(boot)": "FAIL"}),
    ("a crash: the test fails, the rest run in a fresh boot",
     BOOT + "@@TEST-BEGIN a n=1\n[   5.0] Kernel panic - not syncing: x\n"
     + reboot(1) + section("b", "", 0, 2) + END,
     ["a", "b"], 1, {"a": "FAIL", "b": "PASS", "(boot)": None}),
    ("a fresh boot that never reaches /init fails the boot and the rest",
     BOOT + "@@TEST-BEGIN a n=1\n" + "@@HOST-BOOT n=2 skip=1\ngarbage\n",
     ["a", "b"], 1, {"a": "FAIL", "b": "FAIL", "(boot)": "FAIL"}),
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
     BOOT.replace("debug_locks:1", "debug_locks:missing")
     + section("a", "", 0, 1, "missing") + "@@LOCKDEP debug_locks:missing\n@@DONE\n",
     ["a"], 1, {"(lockdep)": "FAIL"}),
    ("VM died mid-run fails the rest",
     BOOT + "@@TEST-BEGIN a n=1\n[   5.0] Kernel panic - not syncing\n",
     ["a", "b"], 1, {"a": "FAIL", "b": "FAIL", "(kernel log)": None}),
    ("no boot fails", "garbage\n", ["a"], 1, {"a": "FAIL", "(boot)": "FAIL"}),
    ("a failure names its assertion: where and the message",
     BOOT + section("a", "Testing event channel after memslot change\n"
                    "==== Test Assertion Failure ====\n"
                    "  x86_64/xen_shinfo_test.c:976: evtchn_irq_expected\n"
                    "  pid=389 tid=389 errno=4 - Interrupted system call\n"
                    "sh: addr2line: not found\n"
                    "  Unexpected event channel IRQ\n", 254) + END,
     ["a"], 1, {"a": "FAIL"},
     ("a", "exit 254: x86_64/xen_shinfo_test.c:976: evtchn_irq_expected: "
      "Unexpected event channel IRQ")),
    ("an assertion without a message: no later line taken for one, no tab",
     BOOT + section("a", "==== Test Assertion Failure ====\n"
                    "  x.c:1: e\n"
                    "  pid=9 tid=9 errno=0 - Success\n"
                    "     1\t0x0000000000401a2c: main at x.c:1\n"
                    "     2\t (inlined by) main at x.c:9\n"
                    "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0\n", 254) + END,
     ["a"], 1, {"a": "FAIL"}, ("a", "=exit 254: x.c:1: e")),
    ("an assertion's message: its first line, up to a blank line, tabs as spaces",
     BOOT + section("a", "==== Test Assertion Failure ====\n"
                    "  x.c:1: e\n"
                    "  pid=9 tid=9 errno=0 - Success\n"
                    "\n"
                    "  not the message\n", 254) + section("b", "==== Test Assertion Failure ====\n"
                    "  x.c:2: f\n"
                    "  pid=9 tid=9 errno=0 - Success\n"
                    "  got\t1 want\t2\n", 254, 2) + END,
     ["a", "b"], 1, {"a": "FAIL", "b": "FAIL"},
     ("a", "=exit 254: x.c:1: e"), ("b", "=exit 254: x.c:2: f: got 1 want 2")),
    ("a guest assertion: its message, past the stack and kernel lines",
     BOOT + section("a", "==== Test Assertion Failure ====\n"
                    "  aarch64/arch_timer.c:133: config_iter + 1 == irq_iter\n"
                    "  pid=90 tid=93 errno=4 - Interrupted system call\n"
                    "     1\t0x0000000000401a2c: test_vcpu_run at arch_timer.c:73\n"
                    "[   30.1] kvm: some message\n"
                    "  config_iter + 1 = 0x2, irq_iter = 0x1.\n"
                    "  Guest timer interrupt was not triggered within the specified\n", 254) + END,
     ["a"], 1, {"a": "FAIL"},
     ("a", "arch_timer.c:133: config_iter + 1 == irq_iter: config_iter + 1 = 0x2, irq_iter = 0x1.")),
    ("guest triple fault, passed when rerun: FLAKY, counted, the run passes",
     BOOT + section("a", "", 0, 1)
     + section("b", fault(3), 1, 2) + END
     + RERUN_BOOT + section("b", "ok 3 x\n", 0, 2) + END,
     ["a", "b"], 0, {"a": "PASS", "b": "FLAKY"},
     ("b", "first run: x: 1 vCPUs lost to a triple fault"), ("b", "passed when rerun")),
    ("a known flaky assertion, passed when rerun: FLAKY, the first run's assertion named",
     BOOT + section("a", "", 0, 1)
     + section("b", xen_irq(), 254, 2) + END
     + RERUN_BOOT + section("b", "", 0, 2) + END,
     ["a", "b"], 0, {"a": "PASS", "b": "FLAKY"},
     ("b", "first run: exit 254: x86_64/xen_shinfo_test.c:976: evtchn_irq_expected: "
      "Unexpected event channel IRQ")),
    ("lockdep off at the end of a boot that a rerun followed fails",
     BOOT + section("b", fault(3), 1, 1) + "@@LOCKDEP debug_locks:0\n@@DONE\n"
     + RERUN_BOOT + section("b", "ok 3 x\n", 0, 1) + END,
     ["b"], 1, {"b": "FLAKY", "(lockdep)": "FAIL"}),
    ("guest triple fault twice: FAIL, both runs named",
     BOOT + section("b", "  vCPU 0: unexpected exit SHUTDOWN\n", 1, 1) + END
     + RERUN_BOOT + section("b", "  vCPU 0: unexpected exit SHUTDOWN\n", 1, 1) + END,
     ["b"], 1, {"b": "FAIL"}, ("b", "rerun failed too: exit 1; first run: exit 1")),
    ("a name listed twice fails: a pass must not hide the other's failure",
     BOOT + section("a", "# vCPU 0: KVM_EXIT_SHUTDOWN at rip 0xfff0\n", 1, 1)
     + section("a", "", 0, 2) + END,
     ["a", "a"], 1, {"a": "FAIL"}, ("a", "listed more than once")),
    ("a name listed twice fails even when both instances pass",
     BOOT + section("a", "", 0, 1) + section("a", "", 0, 2) + END,
     ["a", "a"], 1, {"a": "FAIL"}),
    ("test output that is not a kernel line is not a kernel report",
     BOOT + section("a", "WARNING: this is the test talking\n", 0) + END,
     ["a"], 0, {"a": "PASS"}),
]


# Where the next boot starts (vmtest.sh's loop): log, number of tests, answer.
NEXT = [
    ("all done: no other boot", BOOT + section("t0", "", 0, 1) + END, 1, "done"),
    ("restart after test 2 of 3: skip 2",
     BOOT + section("t0", "", 0, 1) + section("t1", "", 0, 2, 0) + "@@RESTART after t1\n",
     3, "2"),
    ("crash in test 1 of 2: skip 1", BOOT + "@@TEST-BEGIN t0 n=1\n", 2, "1"),
    ("crash in the last test: done", BOOT + "@@TEST-BEGIN t0 n=1\n", 1, "done"),
    ("a boot that ran no test: done (no loop)",
     BOOT + "@@TEST-BEGIN t0 n=1\n@@HOST-BOOT n=2 skip=1\n", 3, "done"),
]


# Which tests vmtest.sh runs again in a fresh boot: log, tests, answer.
RERUNS = [
    ("the known flaky assertion of a test is rerun",
     BOOT + section("t0", xen_irq(), 254, 1) + END, 1, "1", [], XEN_KNOWN),
    ("not without the file naming it",
     BOOT + section("t0", xen_irq(), 254, 1) + END, 1, "none", []),
    ("not another assertion of the same test",
     BOOT + section("t0", xen_irq("Expected event channel IRQ but it didn't happen",
                                  "!evtchn_irq_expected"), 254, 1) + END,
     1, "none", [], XEN_KNOWN),
    ("not the known assertion with a second one",
     BOOT + section("t0", xen_irq() + xen_irq(), 254, 1) + END, 1, "none", [], XEN_KNOWN),
    ("not the known assertion with a kernel report",
     BOOT + section("t0", xen_irq() + SPLAT, 254, 1) + END, 1, "none", [], XEN_KNOWN),
    ("not the known assertion when killed by the timeout",
     BOOT + section("t0", xen_irq(), 137, 1) + END, 1, "none", [], XEN_KNOWN),
    ("not the known assertion with another exit code",
     BOOT + section("t0", xen_irq(), 1, 1) + END, 1, "none", [], XEN_KNOWN),
    ("not a test that is not listed, failing the same way",
     BOOT + section("t0", xen_irq(), 254, 1) + section("t1", xen_irq(), 254, 2) + END,
     2, "1", [], XEN_KNOWN),
    ("not the known assertion after a failed TAP case",
     BOOT + section("t0", "not ok 1 a\n" + xen_irq(), 254, 1) + END, 1, "none", [], XEN_KNOWN),
    ("the shipped 6.12 file: the listed assertion, not the runstate one",
     BOOT + section("t0", xen_irq(), 254, 1)
     + section("t1", "==== Test Assertion Failure ====\n"
               "  x86_64/xen_shinfo_test.c:225: rs->time[1] == 0\n"
               "  pid=760 tid=760 errno=4 - Interrupted system call\n"
               "sh: addr2line: not found\n  rs->time[RUNSTATE_runnable] == 0\n", 254, 2)
     + section("t2", xen_irq("Expected event channel IRQ but it didn't happen",
                             "!evtchn_irq_expected"), 254, 3) + END,
     3, "1", [], SHIPPED_612.replace("xen_shinfo_test ", "t0 ", 1)
     + SHIPPED_612.replace("xen_shinfo_test ", "t1 ", 1)
     + SHIPPED_612.replace("xen_shinfo_test ", "t2 ", 1)),
    ("the shipped 7.3 file: the listed assertion, as the 7.3 test prints it",
     BOOT + section("t0", xen_irq().replace("x86_64/xen_shinfo_test.c:976",
                                            "x86/xen_shinfo_test.c:954"), 254, 1)
     + section("t1", "==== Test Assertion Failure ====\n"
               "  x86/xen_shinfo_test.c:631: rs->state_entry_time == rs->time[0]\n"
               "  pid=706 tid=706 errno=4 - Interrupted system call\n"
               "sh: addr2line: not found\n  runstate times don't add up\n", 254, 2) + END,
     2, "1", [], SHIPPED_73.replace("xen_shinfo_test ", "t0 ", 1)
     + SHIPPED_73.replace("xen_shinfo_test ", "t1 ", 1)),
    ("the shipped 7.3 file: hyperv_clock's 1% checks (guest, host), none of its others",
     BOOT + section("t0", hv_elapsed(), 254, 1)
     + section("t1", hv_guest(), 254, 2)
     + section("t2", hv_guest("r1 >= t1 && r1 - t1 < 100000", 93), 254, 3)
     + section("t3", hv_guest("r2 >= t1 && r2 - t2 < 100000", 98), 254, 4)
     + section("t4", hv_guest("get_tscpage_ts(tsc_page) < 100000", 137), 254, 5)
     + section("t5", hv_elapsed().replace(
         "delta_ns * 100 < (t2 - t1) * 100", "t2 > t1").replace(
         "Elapsed time does not match (MSR=198959700, TSC=203788069)",
         "Time reference MSR is not monotonic (5 <= 4)"), 254, 6)
     + section("t6", hv_guest("tsc_page->tsc_offset != tsc_offset", 139), 254, 7)
     + section("t7", hv_guest("r2 > r1 && t2 > t1", 68), 254, 8)
     + section("t8", hv_elapsed(tsc=-203788069), 254, 9)
     + section("t9", hv_elapsed().replace(":201:", ":202:"), 254, 10)
     + section("t10", "==== Test Assertion Failure ====\n"
               "  x86/hyperv_clock.c:290: ref + 2 >= before.clock / 100 && "
               "ref <= after.clock / 100 + 2\n"
               "  pid=412 tid=412 errno=4 - Interrupted system call\n"
               "  Reference counter 100 (100ns), kvmclock 20000..20100 ns\n", 254, 11) + END,
     11, "1,2", [], "".join(shipped("7.3", "hyperv_clock", f"t{i}") for i in range(11))),
    ("the shipped 7.3 file: a late timer interrupt in the listed arch_timer runs, on arm64",
     BOOT + section("t0", timer_late(), 254, 1)
     + section("t1", timer_late("0x5", "0x4"), 254, 2) + END,
     2, "1,2", [], shipped("7.3", "arch_timer", "t0")
     + shipped("7.3", "arch_timer_counter_offset", "t1"), "arm64"),
    ("the shipped 7.3 file: not arch_timer's other assertions, lines, or counts",
     BOOT + section("t0", timer_late(expr="xcnt >= cval").replace(
         "  config_iter + 1 = 0x1, irq_iter = 0x0.\n",
         "  xcnt = 0x1, cval = 0x2, xcnt_diff_us = 0x3\n"), 254, 1)
     + section("t1", timer_late(line=134), 254, 2)
     + section("t2", timer_late().replace("arm64/", "x86/"), 254, 3)
     + section("t3", timer_late("0x2", "0x3"), 254, 4)
     + section("t4", timer_late("0x3", "0x1"), 254, 5)
     + section("t5", timer_late("0x6", "0x5"), 254, 6) + END,
     6, "none", [], shipped("7.3", "arch_timer", "t0")
     + shipped("7.3", "arch_timer_counter_offset", "t1")
     + "".join(shipped("7.3", "arch_timer", f"t{i}") for i in range(2, 6)), "arm64"),
    ("a test listed twice is an error, not the last line winning",
     BOOT + section("t0", xen_irq(), 254, 1) + END,
     1, "error: ValueError: {dir}/extra2: t0 is listed twice", [], XEN_KNOWN + "t0 other$\n"),
    ("known assertions are rerun on arm64 too, guest triple faults not",
     BOOT + section("t0", xen_irq(), 254, 1) + section("t1", fault(3), 1, 2) + END,
     2, "1", ["t1"], XEN_KNOWN, "arm64"),
    ("on x86_64 both",
     BOOT + section("t0", xen_irq(), 254, 1) + section("t1", fault(3), 1, 2) + END,
     2, "1,2", ["t1"], XEN_KNOWN, "x86_64"),
    ("not the known assertion with lockdep off after it",
     BOOT + section("t0", xen_irq(), 254, 1, locks=0) + END, 1, "none", [], XEN_KNOWN),
    ("a guest triple fault is rerun",
     BOOT + section("t0", "", 0, 1)
     + section("t1", "ok 1 a\n" + fault(2) + TOTALS_LINE + "[  9.1] kvm: some line\n",
               1, 2) + END,
     2, "2"),
    ("kselftest's closing lines after the last case do not stop a rerun",
     BOOT + section("t0", "ok 1 a\n" + fault(14, "concurrency")
                    + "# 1 skipped test(s) detected. Consider enabling relevant config"
                    " options to improve coverage.\n" + TOTALS_LINE, 1, 1) + END,
     1, "1"),
    ("not when fewer cases ran than planned",
     BOOT + section("t0", fault(1) + "# Planned tests != run tests (14 != 1)\n" + TOTALS_LINE,
                    1, 1) + END,
     1, "none"),
    ("not when other comments follow the last case",
     BOOT + section("t0", fault(1) + "# kvmclock went back 3 times\n" + TOTALS_LINE, 1, 1) + END,
     1, "none"),
    ("not when the triple fault only was printed, the assertion another",
     BOOT + section("t0", fault(1, msg="vCPU 0 saw kvmclock go back 3 times"), 1, 1) + END,
     1, "none"),
    ("not when a guest assertion came with the triple fault",
     BOOT + section("t0", fault(1, before="==== Test Assertion Failure ====\n"
                                "  x86/kvm_clock_update_test.c:99: kvmclock went back\n"),
                    1, 1) + END,
     1, "none"),
    ("not when an assertion followed the last case",
     BOOT + section("t0", fault(1) + "ok 2 b\n==== Test Assertion Failure ====\n"
                    "  lib/x86/kvm_clock.c:280: waitpid() failed\n", 1, 1) + END,
     1, "none"),
    ("not when it bailed out",
     BOOT + section("t0", fault(1) + "Bail out! kvmclock went back\n", 1, 1) + END,
     1, "none"),
    ("not when it died of a signal",
     BOOT + section("t0", fault(1) + "Segmentation fault\n", 139, 1) + END,
     1, "none"),
    ("not when it exited with another code",
     BOOT + section("t0", fault(1), 2, 1) + END,
     1, "none"),
    ("not when it failed with every case passed",
     BOOT + section("t0", "ok 1 a\n" + TOTALS_LINE, 1, 1) + END,
     1, "none"),
    ("not when no TAP case failed",
     BOOT + section("t0", "==== Test Assertion Failure ====\n"
                    "  x: 1 vCPUs lost to a triple fault (KVM_EXIT_SHUTDOWN)\n", 1, 1) + END,
     1, "none"),
    ("not when the test is not listed",
     BOOT + section("t0", fault(1), 1, 1) + END,
     1, "none", []),
    ("not when it was killed by its timeout",
     BOOT + section("t0", fault(1) + "Killed\n", 137, 1) + END,
     1, "none"),
    ("a vCPU that hung with the host's registers is rerun",
     BOOT + section("t0", "# concurrency: vCPU 3 stuck in KVM_RUN, kvmclock v1032, 164400 reads\n"
                    "# vCPU 3: kicked out at rip 0xffffffff812e2780 rsp 0xffffc90000abbce0\n"
                    "==== Test Assertion Failure ====\n"
                    "  concurrency: 1 vCPUs lost their registers to the host's (after VMRUN"
                    " in its __svm_vcpu_run)\n"
                    "not ok 1 concurrency\n", 1, 1) + END,
     1, "1"),
    ("not when a vCPU hung, even where another triple faulted",
     BOOT + section("t0", "# vCPU 0: KVM_EXIT_SHUTDOWN at rip 0xfff0\n"
                    "# concurrency: vCPU 1 stuck in KVM_RUN, kvmclock v22, 5400 reads\n"
                    "==== Test Assertion Failure ====\n"
                    "  concurrency: vCPU 1 did not leave the guest (1 vCPUs triple faulted)\n"
                    "not ok 1 concurrency\n", 1, 1) + END,
     1, "none"),
    ("not when another case failed without a triple fault",
     BOOT + section("t0", fault(1) + "==== Test Assertion Failure ====\n"
                    "  vCPU 3 saw kvmclock go back\nnot ok 2 b\n", 1, 1) + END,
     1, "none"),
    ("every failed case with its triple fault: rerun",
     BOOT + section("t0", "ok 1 a\n==== Test Assertion Failure ====\n"
                    "  vCPU 0: unexpected exit SHUTDOWN\nnot ok 2 b\n" + fault(3, "c"),
                    1, 1) + END,
     1, "1"),
    ("kvm_util's exit reason that the test got counts",
     BOOT + section("t0", "==== Test Assertion Failure ====\n"
                    "  Wanted KVM exit reason: 2 (IO), got: 8 (SHUTDOWN)\nnot ok 1 a\n",
                    1, 1) + END,
     1, "1"),
    ("a shutdown the test wanted and did not get does not",
     BOOT + section("t0", "==== Test Assertion Failure ====\n"
                    "  Wanted KVM exit reason: 8 (SHUTDOWN), got: 2 (IO)\nnot ok 1 a\n",
                    1, 1) + END,
     1, "none"),
    ("another failure is not rerun", BOOT + section("t0", "not ok 1 x\n", 1, 1) + END, 1, "none"),
    ("a triple fault with a kernel report is not rerun",
     BOOT + section("t0", fault(1) + "@@KREPORT [ 3.0] WARNING: x\n", 1, 1) + END,
     1, "none"),
    ("a test that already ran twice is not rerun again",
     BOOT + section("t0", fault(1), 1, 1) + END
     + RERUN_BOOT + section("t0", fault(1), 1, 1) + END,
     1, "none"),
    ("not when lockdep turned itself off in it",
     BOOT + section("t0", fault(1), 1, 1, 0) + END,
     1, "none"),
    ("a passing test that printed the word is not rerun",
     BOOT + section("t0", "# 0 vCPUs lost to KVM_EXIT_SHUTDOWN\n", 0, 1) + END, 1, "none"),
]


def main():
    failed = 0
    for name, log, tests, want_rc, want, *detail in CASES:
        rc, rows, out = run(log, tests)
        last = out[-1]
        ok = rc == want_rc and all(rows.get(k) == v for k, v in want.items())
        ok = ok and (last.endswith("skipped") or last.endswith("flaky"))
        for test, text in detail:
            # "=TEXT": the whole detail; else a part of it.
            got = DETAILS.get(test, "")
            ok = ok and (got == text[1:] if text.startswith("=") else text in got)
        print(f"{'ok' if ok else 'not ok'} - {name}")
        if not ok:
            print(f"#   rc={rc} rows={rows} details={DETAILS} last={last!r}")
            failed += 1
    for name, log, n, want in NEXT:
        got = next_skip(log, n)
        ok = got == want
        print(f"{'ok' if ok else 'not ok'} - next boot: {name}")
        if not ok:
            print(f"#   got {got!r}, want {want!r}")
            failed += 1
    for name, log, n, want, *allowed in RERUNS:
        got = reruns(log, n, *allowed)
        ok = got == want
        print(f"{'ok' if ok else 'not ok'} - rerun: {name}")
        if not ok:
            print(f"#   got {got!r}, want {want!r}")
            failed += 1
    ok = figures_shown()
    print(f"{'ok' if ok else 'not ok'} - figures: matching output lines shown")
    failed += not ok
    total = len(CASES) + len(NEXT) + len(RERUNS) + 1
    print(f"# {total - failed} of {total} vmlog cases ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
