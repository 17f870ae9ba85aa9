#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read the serial console of the test VM (see vm-init.sh and vmtest.sh).

  vmlog.py follow LOG TESTS.TSV [--show-output] [--append]
      Copy stdin to LOG and show progress: which test runs, how long it took.
  vmlog.py next LOG TESTS.TSV
      After a boot of the VM: print how many tests have started so far (the
      harness.skip of the next boot), or "done" when no boot is needed.
  vmlog.py reruns LOG TESTS.TSV ALLOWED [ASSERTIONS [ARCH]]
      After the last boot: print the numbers (comma-separated) of the tests
      to run once more in a fresh boot, or "none": those named in the file
      ALLOWED that ran once and failed only because a guest triple faulted
      (x86_64 only: with another ARCH, ALLOWED is not read), and those that
      failed only by the assertion that the file ASSERTIONS ("test-name
      regex" lines) names for them (see rerun_candidates()).
  vmlog.py pattern
      Print KERNEL_REPORTS as a grep -E pattern file (vm-init.sh's check).
  vmlog.py summary LOG TESTS.TSV RESULTS.TSV [FIGURES]
      Decide each test's result from its exit code, its kselftest TAP totals,
      the kernel reports printed or found (@@KREPORT) while it ran and
      whether lockdep stayed on; fail on any kernel report anywhere in the
      log; print a table, the figures (the output lines of each test that
      match its pattern in FIGURES, a file of "test-name regex" lines) and
      the closing line "N passed, N failed, N skipped[, N flaky]". Exit 1
      if anything failed. LOG may hold several boots: after a test that
      left a report or turned lockdep off, the rest run in a fresh boot,
      and a test rerun (see reruns) is FLAKY if its second run passed,
      FAIL otherwise; both runs' outcomes are shown.
"""
import re
import sys
import time

# Kernel reports that fail a run wherever they appear. Also used as an
# extended regular expression (grep -E) inside the VM: keep it portable.
KERNEL_REPORTS = re.compile(
    r"WARNING:|BUG:|Oops|Kernel panic|kernel BUG at|general protection fault"
    r"|Unable to handle kernel|Internal error:|Call Trace:|Call trace:"
    r"|possible circular locking|possible recursive locking"
    r"|inconsistent lock state|suspicious RCU usage|DEBUG_LOCKS_WARN_ON"
    r"|turning off the locking correctness validator"
    r"|rcu: INFO:|detected stalls|self-detected stall"
    r"|blocked for more than [0-9]+ seconds|KASAN|UBSAN|soft lockup|hard LOCKUP")
KERNEL_LINE = re.compile(r"^\[\s*\d+\.\d+\]")
TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s*")
TOTALS = re.compile(r"# Totals: pass:(\d+) fail:(\d+) xfail:(\d+) xpass:(\d+)"
                    r" skip:(\d+) error:(\d+)")
KSFT_SKIP = 4
SIGKILL_RC = 137
TEST_ASSERT_RC = 254  # test_assert() in kvm_util exits with it

# The assertion an x86 test fails with when a guest triple faulted: the
# exit it got, not the one it wanted (run_vcpu() of kvm_clock_guest_test,
# TEST_ASSERT_KVM_EXIT_REASON's "got:"), or kvm_clock_update_test's
# assert_no_shutdown(), which a case reaches only once every other check
# of it passed; or the same test's report of a vCPU that hung with
# registers that are the host's, not the guest's (RIP in the test VM
# kernel's __svm_vcpu_run, after VMRUN), the state such guests fault in,
# which it also asserts only after the other checks. Under QEMU
# TCG's emulated SVM (no NRIP save) such guests triple fault now and then
# on the unpatched kernel as well (README, "Flaky tests"). Only for the tests listed in
# tests/$BASE/rerun-on-triple-fault, on x86_64, is a failure that is
# nothing but such assertions rerun once in a fresh boot, and reported
# FLAKY if the rerun passes; see rerun_candidates() for the conditions.
GUEST_TRIPLE_FAULT = re.compile(r"lost to a triple fault \(KVM_EXIT_SHUTDOWN\)"
                                r"|unexpected exit SHUTDOWN|got: 8 \(SHUTDOWN\)"
                                r"|lost their registers to the host's")
ASSERTION = "==== Test Assertion Failure ===="
TAP_CASE = re.compile(r"^(ok|not ok) \d+")
# What may follow the last TAP case of a test that failed only by triple
# faults: kselftest's closing lines (ksft_finished(), but not "Planned
# tests != run tests"), blank lines, kernel lines that are not reports.
# A bare TAP plan of no test case: with exit 0 and no Totals line, nothing
# ran. "1..0 # SKIP reason" is not one: get-reg-list prints it for each
# configuration it skips, beside the ones that pass, and exits 0.
EMPTY_PLAN = re.compile(r"1\.\.0\s*$")
TAP_TAIL = re.compile(r"# (Totals: |\d+ skipped test\(s\) detected\. )|$")


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


def follow(log, tests, show_output, append):
    n = len(tests)
    start = time.monotonic()
    test_start = None
    idx = 0
    with open(log, "ab" if append else "wb") as out:
        for raw in iter(sys.stdin.buffer.readline, b""):
            out.write(raw)
            out.flush()
            line = clean(raw)
            if line.startswith("@@BOOTED"):
                print(f"    booted in {time.monotonic() - start:.0f}s: "
                      f"{line[9:]}", flush=True)
            elif line.startswith("@@BOOT-FAILED"):
                print(f"    BOOT FAILED: {line[14:]}", flush=True)
            elif line.startswith("@@TEST-BEGIN "):
                m = re.search(r" n=(\d+)", line)
                idx = int(m.group(1)) if m else idx + 1
                test_start = time.monotonic()
                name = line.split()[1]
                end = "\n" if show_output else " "
                print(f"    [{idx}/{n}] {name} ...", end=end, flush=True)
            elif line.startswith("@@KREPORT "):
                if not show_output and test_start is not None:
                    print("kernel report ...", end=" ", flush=True)
            elif line.startswith("@@TEST-END "):
                rc = re.search(r"rc=(\d+)", line)
                rc = int(rc.group(1)) if rc else -1
                word = {0: "exit 0", KSFT_SKIP: "skip", SIGKILL_RC: "TIMEOUT"}.get(
                    rc, f"exit {rc}")
                if re.search(r"debug_locks=0", line):
                    word += ", lockdep off"
                secs = time.monotonic() - test_start if test_start else 0
                prefix = f"    [{idx}/{n}] done:" if show_output else ""
                print(f"{prefix} {word} ({secs:.1f}s)", flush=True)
                test_start = None
            elif line.startswith("@@RESTART "):
                print(f"    {line[10:]}: the remaining tests run in a fresh boot",
                      flush=True)
            elif show_output and test_start is not None and not KERNEL_LINE.match(line):
                print(f"      {line}", flush=True)


def read_lines(log):
    with open(log, "rb") as f:
        return [clean(raw) for raw in f.read().split(b"\n")]


def next_skip(log, tests):
    """How many tests the boots so far have started, or None if no other
    boot is needed (all done, or the last boot ran no test at all)."""
    started = 0
    last_boot_started = 0
    done = False
    for line in read_lines(log):
        if line.startswith("@@HOST-BOOT"):
            last_boot_started = 0
            done = False
        elif line.startswith("@@TEST-BEGIN "):
            m = re.search(r" n=(\d+)", line)
            started = max(started, int(m.group(1)) if m else started + 1)
            last_boot_started += 1
        elif line.startswith("@@DONE"):
            done = True
    if done or last_boot_started == 0 or started >= len(tests):
        return None
    return started


def first_match(lines, pattern):
    for line in lines:
        if re.search(pattern, line):
            return line.strip()
    return ""


ASSERT_NOISE = re.compile(r"^(pid=\d+ |sh: (\d+: )?addr2line|\d+\s+(0x[0-9a-f]+|\(inlined by\))"
                          r"|0x[0-9a-f]+:|\(stack trace empty\))")


def assertion_detail(section):
    """'FILE:LINE: EXPR: MESSAGE' of the first kselftest assertion in
    @section, so that a failure says which assertion it was ("" if none).
    MESSAGE is the first line of the message only; the search for it
    stops at a blank line, a '#' line or another banner, so that nothing
    unrelated is taken for it."""
    lines = [l.strip() for l in section]
    lines = [l for l in lines if not KERNEL_LINE.match(l)]
    if ASSERTION not in lines:
        return ""
    rest = lines[lines.index(ASSERTION) + 1:]
    where = rest[0] if rest and rest[0] != ASSERTION else ""
    msg = ""
    for l in rest[1:] if where else []:
        if not l or l.startswith("#") or l == ASSERTION or TAP_CASE.match(l):
            break
        if not ASSERT_NOISE.match(l):
            msg = l
            break
    out = " ".join(": ".join(x for x in (where, msg) if x).split())
    return out if len(out) <= 240 else out[:237] + "..."


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
        why = (assertion_detail(section)
               or first_match(section, r"Assertion|FAIL|not ok|[Ee]rror"))
        return "FAIL", f"exit {rc}" + (f": {why}" if why else "")
    if not totals and any(EMPTY_PLAN.match(strip_ts(line)) for line in section):
        return "FAIL", "exit 0 but its TAP plan is 1..0 (no test case)"
    if totals:
        p, f, xf, xp, s, e = totals
        if f or e or xp:
            return "FAIL", f"exit 0 but {tap}"
        if p + xf + s == 0:
            return "FAIL", f"exit 0 but no test case ran ({tap})"
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


def strip_ts(line):
    return TIMESTAMP.sub("", line.strip())


class Log:
    """The serial log, split into boots and test sections."""

    def __init__(self, lines):
        self.sections = {}      # test name -> its output lines
        # test name -> (sections, rcs, locks, kreports) of its first run,
        # for a test that ran again (vmlog.py reruns)
        self.first = {}
        self.rcs = {}           # test name -> (rc, secs)
        self.locks = {}         # test name -> debug_locks after it
        self.kreports = {}      # test name -> reports found in the VM
        self.outside_bad = []   # reports outside any test
        self.boot_locks = []    # debug_locks at each boot
        self.final_locks = None
        self.end_locks = []     # debug_locks at the end of each boot
        self.boots = 0          # boots that reached /init
        self.host_boots = 0     # boots vmtest.sh started
        self.silent_boots = []  # vmtest.sh boots that never reached /init
        self.boot_failed = []   # @@BOOT-FAILED messages
        self.restarts = []
        self.done = False
        current = None
        last_ended = None
        rerun_boot = False
        booted_now = True
        seen_lockdep = True
        for line in lines:
            if line.startswith("@@HOST-BOOT"):
                if not booted_now:
                    self.silent_boots.append(self.host_boots)
                self.host_boots += 1
                booted_now = False
                current = last_ended = None
            elif line.startswith("@@BOOTED"):
                rerun_boot = " only=" in line
                self.boots += 1
                booted_now = True
                seen_lockdep = False
                current = last_ended = None
            elif line.startswith("@@BOOT-FAILED "):
                self.boot_failed.append(line[14:].strip())
            elif line.startswith("@@LOCKDEP "):
                value = line.split(None, 1)[1].strip()
                if not seen_lockdep:
                    self.boot_locks.append(value)
                    seen_lockdep = True
                else:
                    self.final_locks = value
                    self.end_locks.append(value)
            elif line.startswith("@@KREPORT-BOOT "):
                self.outside_bad.append(line[15:].strip())
            elif line.startswith("@@TEST-BEGIN "):
                current = line.split()[1]
                if (rerun_boot and current in self.sections
                        and current not in self.first):
                    self.first[current] = (self.sections[current],
                                           self.rcs.pop(current, None),
                                           self.locks.pop(current, None),
                                           self.kreports.get(current, []))
                self.sections[current] = []
                self.kreports[current] = []
                last_ended = None
            elif line.startswith("@@KREPORT ") and current:
                self.kreports[current].append(line[10:].strip())
            elif line.startswith("@@TEST-END ") and current:
                m = re.search(r"rc=(\d+) secs=([\d.]+)", line)
                self.rcs[current] = (int(m.group(1)), float(m.group(2))) if m else (-1, 0.0)
                m = re.search(r"debug_locks=(\S+)", line)
                if m:
                    self.locks[current] = m.group(1)
                last_ended = current
                current = None
            elif line.startswith("@@RESTART "):
                self.restarts.append(line[10:].strip())
                current = None
            elif line.startswith("@@DONE"):
                self.done = True
            elif current is not None:
                self.sections[current].append(line)
            elif KERNEL_LINE.match(line) and KERNEL_REPORTS.search(line):
                # A report between two tests is the earlier one's: the
                # console can lag behind the kernel log.
                if last_ended:
                    self.kreports[last_ended].append(line.strip())
                else:
                    self.outside_bad.append(line.strip())
        if self.host_boots and not booted_now:
            self.silent_boots.append(self.host_boots)

    def test_reports(self, name):
        """Kernel reports during a test: found in the VM or on the console."""
        seen, out = set(), []
        console = [l.strip() for l in self.sections.get(name, [])
                   if KERNEL_LINE.match(l) and KERNEL_REPORTS.search(l)]
        for line in self.kreports.get(name, []) + console:
            if strip_ts(line) not in seen:
                seen.add(strip_ts(line))
                out.append(line)
        return out

    def lockdep_lost(self, name):
        """Lockdep was on at boot and off after this test."""
        return (self.locks.get(name) == "0"
                and "debug_locks:1" in self.boot_locks)


def asserted_triple_fault(block):
    """Whether the output of one failed case has a single assertion, and
    that assertion is a guest triple fault."""
    starts = [i for i, l in enumerate(block) if ASSERTION in l]
    return (len(starts) == 1
            and any(GUEST_TRIPLE_FAULT.search(l) for l in block[starts[0] + 1:]))


def failed_only_by_triple_fault(section, rc):
    """Whether @section failed by guest triple faults and nothing else:
    exit code 1 (a failed assertion, not a signal), at least one failed
    TAP case, each failed case with one assertion, a triple fault, and
    nothing after the last case but its totals.  A vCPU that hung, a
    guest assertion, a second assertion in the case, an assertion outside
    any case, a bail-out: each is a failure of its own."""
    if rc != 1:
        return False
    block, failed = [], 0
    for line in section:
        m = TAP_CASE.match(line)
        if m:
            if m.group(1) == "not ok":
                failed += 1
                if not asserted_triple_fault(block):
                    return False
            block = []
        else:
            block.append(line)
    return failed > 0 and all(
        TAP_TAIL.match(l.strip())
        or (KERNEL_LINE.match(l) and not KERNEL_REPORTS.search(l))
        for l in block)


FAILED_CASE = re.compile(r"^(not ok \d+|Bail out!|# Totals: .* fail:[1-9])")


def failed_only_by_assertion(section, rc, pattern):
    """Whether @section failed by one kselftest assertion (exit 254) and
    nothing else, the one whose assertion_detail() matches @pattern: no
    other banner, no failed TAP case or bail-out before it."""
    lines = [l.strip() for l in section]
    banners = sum(1 for l in lines if l == ASSERTION)
    return (rc == TEST_ASSERT_RC and banners == 1
            and not any(FAILED_CASE.match(l) for l in lines)
            and re.search(pattern, assertion_detail(section)) is not None)


def read_assertions(path):
    """The "test-name regex" lines of @path ({} if there is none); '#'
    lines and blank ones are comments. A line without a regex, a name
    listed twice, or a regex that does not compile is an error
    (ValueError, re.error)."""
    out = {}
    try:
        with open(path) as f:
            for l in f:
                l = l.strip()
                if not l or l.startswith("#"):
                    continue
                parts = l.split(None, 1)
                if len(parts) != 2:
                    raise ValueError(f"{path}: no regex for {parts[0]}")
                if parts[0] in out:
                    raise ValueError(f"{path}: {parts[0]} is listed twice")
                re.compile(parts[1])
                out[parts[0]] = parts[1]
    except FileNotFoundError:
        pass
    return out


def rerun_candidates(L, tests, allowed, assertions=None):
    """Numbers (1-based) of the tests that ran once and failed only
    because a guest triple faulted (named in @allowed; the failure nothing
    but triple faults, failed_only_by_triple_fault()) or only by the one
    assertion that @assertions (name -> regex) names for them
    (failed_only_by_assertion()); in both cases not killed by the
    timeout, no kernel report, lockdep still on."""
    assertions = assertions or {}
    out = []
    for i, (name, _, _) in enumerate(tests, 1):
        if name not in allowed and name not in assertions:
            continue
        if name in L.first or name not in L.sections:
            continue
        if name not in L.rcs or L.test_reports(name) or L.lockdep_lost(name):
            continue
        rc = L.rcs[name][0]
        if rc == SIGKILL_RC:
            continue
        section = L.sections[name]
        result, _ = judge(name, rc, section, [])
        if result != "FAIL":
            continue
        if ((name in allowed and failed_only_by_triple_fault(section, rc))
                or (name in assertions
                    and failed_only_by_assertion(section, rc, assertions[name]))):
            out.append(i)
    return out


def first_run(L, name):
    """(result, detail) of the first run of a test that ran twice."""
    section, rc, _, _ = L.first[name]
    if rc is None:
        return "FAIL", "did not finish"
    result, detail = judge(name, rc[0], section, [])
    return result, detail


def summary(log, tests, results_path, figures_path=None):
    L = Log(read_lines(log))
    rows = []
    blamed = set()
    names = [t[0] for t in tests]
    for name, _, _ in tests:
        if names.count(name) > 1:
            # The log marks a test by its name alone: two tests of one name
            # cannot be told apart, and one's failure would hide behind the
            # other's success. vmtest.sh refuses such lists; report it.
            if name not in [r[0] for r in rows]:
                rows.append((name, "FAIL", "", "the name is listed more than once:"
                             " their results cannot be told apart"))
            continue
        bad = L.test_reports(name)
        blamed.update(strip_ts(b) for b in bad)
        if name not in L.sections:
            rows.append((name, "FAIL", "", "did not run: the VM died or timed out before it"))
            continue
        if name not in L.rcs:
            why = "kernel: " + bad[0] if bad else "VM died or timed out"
            rows.append((name, "FAIL", "", "did not finish: " + why))
            continue
        rc, secs = L.rcs[name]
        if L.lockdep_lost(name):
            why = strip_ts(bad[0]) if bad else "no report found in the log"
            rows.append((name, "FAIL", f"{secs:.1f}s", "lockdep turned itself off: " + why))
            continue
        result, detail = judge(name, rc, L.sections[name], bad)
        if name in L.first:
            r1, d1 = first_run(L, name)
            if r1 == "FAIL" and result == "PASS":
                fault = first_match(L.first[name][0], GUEST_TRIPLE_FAULT.pattern)
                # The rerun first: the table cuts long details.
                result, detail = "FLAKY", ("passed when rerun in a fresh boot;"
                                           f" first run: {fault or d1}")
            elif r1 == "FAIL":
                result, detail = "FAIL", f"rerun failed too: {detail}; first run: {d1}"
        rows.append((name, result, f"{secs:.1f}s", detail))

    if not L.boots:
        rows.append(("(boot)", "FAIL", "", "the VM never reached /init"))
    elif L.silent_boots:
        rows.append(("(boot)", "FAIL", "", f"boot {L.silent_boots[0]} of {L.host_boots}"
                     " never reached /init"))
    for msg in L.boot_failed[:1]:
        rows.append(("(boot)", "FAIL", "", msg))
    outside = [l for l in L.outside_bad if strip_ts(l) not in blamed]
    if outside:
        rows.append(("(kernel log)", "FAIL", "", outside[0]))
    if any(v != "debug_locks:1" for v in L.boot_locks):
        what = ("lockdep is not enabled in this kernel"
                if any(v in ("missing", "debug_locks:missing") for v in L.boot_locks)
                else "lockdep was off from the boot on")
        rows.append(("(lockdep)", "FAIL", "", what))
    elif L.done and L.boots and not L.boot_locks and L.final_locks != "debug_locks:1":
        # A log without a lockdep line at boot (an older /init).
        what = ("lockdep is not enabled in this kernel" if L.final_locks in (None, "missing")
                else "lockdep turned itself off (debug_locks=0) after a report")
        rows.append(("(lockdep)", "FAIL", "", what))
    elif (any(v != "debug_locks:1" for v in L.end_locks)
          and not any(L.lockdep_lost(n) for n, _, _ in tests)):
        rows.append(("(lockdep)", "FAIL", "", "lockdep turned itself off (debug_locks=0)"))

    width = max([len(r[0]) for r in rows] + [4])
    print(f"\n  {'TEST':<{width}}  RESULT  TIME    DETAIL")
    for name, result, secs, detail in rows:
        if len(detail) > 90:
            detail = detail[:87] + "..."
        print(f"  {name:<{width}}  {result:<6}  {secs:<6}  {detail}")
    if L.host_boots > 1:
        why = L.restarts + [f"{n} rerun in a fresh boot" for n in L.first]
        print(f"\n  {L.host_boots} boots: " + "; ".join(why or ["the VM stopped early"]))
    with open(results_path, "w") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")
    print_figures(tests, L.sections, read_figures(figures_path))
    passed = sum(1 for r in rows if r[1] == "PASS")
    failed = sum(1 for r in rows if r[1] == "FAIL")
    skipped = sum(1 for r in rows if r[1] == "SKIP")
    flaky = sum(1 for r in rows if r[1] == "FLAKY")
    print(f"\n{passed} passed, {failed} failed, {skipped} skipped"
          + (f", {flaky} flaky" if flaky else ""))
    return 1 if failed else 0


def main():
    args = sys.argv[1:]
    if len(args) >= 3 and args[0] == "follow":
        follow(args[1], read_tests(args[2]), "--show-output" in args[3:],
               "--append" in args[3:])
        return 0
    if len(args) == 3 and args[0] == "next":
        skip = next_skip(args[1], read_tests(args[2]))
        print("done" if skip is None else skip)
        return 0
    if len(args) in (4, 5, 6) and args[0] == "reruns":
        allowed, assertions = set(), {}
        # Guest triple faults are rerun only under emulated SVM (x86).
        if len(args) < 6 or args[5] == "x86_64":
            try:
                with open(args[3]) as f:
                    allowed = {l.split("#")[0].strip() for l in f} - {""}
            except FileNotFoundError:
                pass
        if len(args) >= 5:
            assertions = read_assertions(args[4])
        picked = rerun_candidates(Log(read_lines(args[1])), read_tests(args[2]),
                                  allowed, assertions)
        print(",".join(str(n) for n in picked) or "none")
        return 0
    if args == ["pattern"]:
        print(KERNEL_REPORTS.pattern)
        return 0
    if len(args) in (4, 5) and args[0] == "summary":
        figures = args[4] if len(args) == 5 else None
        return summary(args[1], read_tests(args[2]), args[3], figures)
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
