#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench [BASE=7.3]: tools/clock-bench on the unpatched base kernel and
# on the series kernel, booted one after the other by this one command
# (same config, same binary, same test VM), base, series, series, base, and
# for each figure the ratio series/base of the means of the boots
# (BENCH_ROUNDS rounds of four boots, default 2). Then, unless
# BENCH_ICOUNT=0, the same on both kernels under QEMU's -icount, where the
# guest's clock counts instructions: each call's instruction count, exact
# where the timings are noisy.
# x86_64 only: the host-side costs it measures (kvmclock reads, master
# clock updates) are x86 code. Figures, not bounds: it fails only if a
# boot or the benchmark itself fails. Table: build/$BASE/bench-x86_64.tsv.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ARCH=x86_64
# The figures compare the normal kernels: the debug kernel's checks would
# swamp them, and the unpatched base is built without them.
[ "${DEBUG:-0}" != 1 ] || die "make bench compares the normal kernels; it takes no DEBUG=1"
arch_setup

"$TOP/scripts/build-kernel.sh"
(UNPATCHED=1 "$TOP/scripts/build-kernel.sh")
TESTS=tsc_msrs_test "$TOP/scripts/build-selftests.sh"
[ -x "$TOOLOBJ/clock-bench" ] || die "tools/clock-bench.c did not build (see $LOGDIR)"

declare -A image=([base]=$BUILD/$BASE/unpatched/kernel-$ARCH/$KIMAGE [series]=$KOBJ/$KIMAGE)
declare -A vmlinux=([base]=$BUILD/$BASE/unpatched/kernel-$ARCH/vmlinux [series]=$KOBJ/vmlinux)
out=$BDIR/bench-$ARCH
rm -rf "$out"
mkdir -p "$out"
# BENCH_ROUNDS times base, series, series, base: the speed of the emulator
# drifts from one boot to the next, and more boots average it out.
rounds=${BENCH_ROUNDS:-2}
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive number, not '$rounds'"
order=$(for _ in $(seq "$rounds"); do echo base series series base; done)
round=0
for k in $order; do
	round=$((round + 1))
	say "clock-bench on the $k kernel ($round/$((4 * rounds)))"
	# tsc_msrs_test only carries the boot (vmtest.sh runs listed tests);
	# under a heavy load its TSC rounding check can fail on either kernel,
	# which says nothing about the figures: clock-bench's own row decides
	# (it fails on a kernel report while it ran, too).
	VM_DIR=$out/$round-$k VM_KERNEL=${image[$k]} TESTS=tsc_msrs_test \
		EXTRA="$TOOLOBJ/clock-bench" "$TOP/scripts/vmtest.sh" >"$out/$round-$k.out" 2>&1 || true
	if ! grep -q "^clock-bench$(printf '\t')PASS" "$out/$round-$k/results.tsv" 2>/dev/null; then
		cat "$out/$round-$k.out" >&2
		die "clock-bench failed on the $k kernel (see $out/$round-$k/serial.log)"
	fi
	grep -q "^tsc_msrs_test$(printf '\t')PASS" "$out/$round-$k/results.tsv" ||
		warn "tsc_msrs_test, which carries the boot, did not pass on the $k kernel (see $out/$round-$k/serial.log)"
	tr -d '\r' <"$out/$round-$k/serial.log" | sed -n 's/.*\(bench\t.*\)$/\1/p' |
		awk -F'\t' -v k="$k" -v r="$round" '{ print r "\t" k "\t" $2 "\t" $3 }' >"$out/$round.tsv"
	[ -s "$out/$round.tsv" ] ||
		die "no bench lines from the $k kernel (see $out/$round-$k/serial.log)"
	cat "$out/$round.tsv" >>"$out/all.tsv"
done

# Instruction counts. Under -icount shift=0 QEMU advances the guest's clock
# by 1 ns per instruction executed (a 1 GHz TSC; sleep=off: no idle time), so
# a call that no interrupt hits takes as many ns as it executes
# instructions, and clock-bench's shortest call of each kind ("benchmin") is
# its instruction count: no emulator speed in it, no noise. base, series,
# base, series: the second pair shows that the counts repeat.
icount=${BENCH_ICOUNT:-1}
[[ "$icount" =~ ^[01]$ ]] || die "BENCH_ICOUNT must be 0 or 1, not '$icount'"
: >"$out/icount.tsv"
if [ "$icount" = 1 ]; then
	n=0
	for k in base series base series; do
		n=$((n + 1))
		say "clock-bench on the $k kernel under -icount ($n/4)"
		VM_DIR=$out/icount-$n-$k VM_KERNEL=${image[$k]} VM_ICOUNT=shift=0,sleep=off \
			TESTS=tsc_msrs_test EXTRA="$TOOLOBJ/clock-bench" "$TOP/scripts/vmtest.sh" \
			>"$out/icount-$n-$k.out" 2>&1 || true
		grep -q "^clock-bench$(printf '\t')PASS" "$out/icount-$n-$k/results.tsv" 2>/dev/null ||
			die "clock-bench failed on the $k kernel under -icount (see $out/icount-$n-$k/serial.log)"
		tr -d '\r' <"$out/icount-$n-$k/serial.log" | sed -n 's/.*\(benchmin\t.*\)$/\1/p' |
			awk -F'\t' -v k="$k" -v r="$n" '{ print r "\t" k "\t" $2 "\t" $3 }' >>"$out/icount.tsv"
		# The eight figures and controls; on the series the paired calls too.
		[ "$(grep -c "^$n	" "$out/icount.tsv")" -ge 8 ] ||
			die "fewer than 8 benchmin lines from the $k kernel under -icount (see $out/icount-$n-$k/serial.log)"
	done
fi

# Single-stepped calls, one boot of each kernel (make bench's third part):
# gdb steps through one call of each kind below, through QEMU's gdbstub,
# and writes the address of every instruction it executes
# (scripts/ioctl-trace.py). From those the analysis counts the instructions
# of each call with and without the debug code (lockdep, RCU and irq-state
# tracking) that these kernels have and a production kernel does not, and
# for KVM_SET_CLOCK and KVM_SET_CLOCK_GUEST the instructions from the kick
# (the KVM_REQ_MCLOCK_INPROGRESS request that stops the vCPUs) to the end
# of kvm_end_pvclock_update(), which lets them in again: clock-bench's
# twins cannot split a call there. In the order clock-bench makes them:
#   KVM_GET_CLOCK           a kvmclock read on the host
#   KVM_SET_CLOCK           without flags, in the update loop
#   update                  the vCPU's clock update (kvm_guest_time_update())
#                           at the KVM_RUN right after that KVM_SET_CLOCK
#   KVM_SET_CLOCK_GUEST     one that is not its refused twin (series only)
# BENCH_TRACE=0 skips this; it needs -icount for its boots (BENCH_ICOUNT=1).
trace=${BENCH_TRACE:-1}
[[ "$trace" =~ ^[01]$ ]] || die "BENCH_TRACE must be 0 or 1, not '$trace'"
: >"$out/trace.tsv"
vm=
stop_vm() {
	[ -n "$vm" ] || return 0
	# vmtest.sh's session first, so that it boots no other VM, then QEMU,
	# which runs under timeout(1) in a process group of its own.
	kill -- -"$vm" 2>/dev/null || true
	[ ! -s "$vmdir/qemu.pid" ] || kill "$(cat "$vmdir/qemu.pid")" 2>/dev/null || true
	wait "$vm" 2>/dev/null || true
	vm=
}
trap stop_vm EXIT
if [ "$icount" = 1 ] && [ "$trace" = 1 ]; then
	command -v gdb >/dev/null || die "gdb is missing: run 'make setup'"
	# The ioctl numbers and field offsets the breakpoints test, from the
	# series' uAPI headers.
	printf '%s\n' '#include <stdio.h>' '#include <stddef.h>' '#include <linux/kvm.h>' \
		'int main(void) { printf("%#x %#x %zu %#x %zu\n", (unsigned int)KVM_GET_CLOCK,' \
		'	(unsigned int)KVM_SET_CLOCK, offsetof(struct kvm_clock_data, flags),' \
		'	(unsigned int)KVM_SET_CLOCK_GUEST, offsetof(struct kvm_clock_guest, system_time));' \
		'	return 0; }' >"$out/ioctls.c"
	gcc -isystem "$BDIR/headers-$ARCH/include" -o "$out/ioctls" "$out/ioctls.c" ||
		die "cannot compile $out/ioctls.c against the series' uAPI headers"
	read -r nr_get nr_set off_flags nr_guest off_system_time < <("$out/ioctls")
	get="KVM_GET_CLOCK|*kvm_arch_vm_ioctl if \$esi == $nr_get|5"
	set="KVM_SET_CLOCK|*kvm_arch_vm_ioctl if \$esi == $nr_set && *(unsigned int *)(\$rdx + $off_flags) == 0|5"
	update='update|*kvm_guest_time_update|0'
	guest="KVM_SET_CLOCK_GUEST|*kvm_arch_vcpu_ioctl if \$esi == $nr_guest && *(long long *)(\$rdx + $off_system_time) != 0x7fffffffffffffff|5"
	# A master clock update that a vCPU requested, in the KVM_RUN after
	# clock-bench's write of HV_X64_MSR_REFERENCE_TSC: from the Hyper-V TSC
	# page request it starts with to the return of kvm_end_pvclock_update().
	# The request is called from the KVM_RUN path: inline in
	# kvm_arch_vcpu_ioctl_run() on the base, from kvm_update_masterclock()
	# on the series (which KVM_GET_CLOCK and the vCPU clock ioctls call too,
	# for a pending update; clock-bench leaves none pending for them).
	mclock_spec() {
		local cond= f a sz
		for f in kvm_arch_vcpu_ioctl_run kvm_update_masterclock; do
			a= sz=
			read -r a sz < <(nm -S "$1" | awk -v f="$f" '$4 == f { print $1, $2; exit }') || true
			[ -n "$sz" ] || continue
			# ("+" for "or": "|" separates the fields of a spec.)
			cond="${cond:+$cond + }(*(unsigned long *)\$rsp >= 0x$a && *(unsigned long *)\$rsp < 0x$a + 0x$sz)"
		done
		[ -n "$cond" ] || die "no kvm_arch_vcpu_ioctl_run in $1"
		echo "mclock|*kvm_hv_request_tsc_page_update if $cond|5|kvm_end_pvclock_update"
	}
	for k in base series; do
		specs="$get;$set;$update"
		[ "$k" = base ] || specs="$specs;$guest"
		specs="$specs;$(mclock_spec "${vmlinux[$k]}")"
		vmdir=$out/trace-$k
		rm -rf "$vmdir"
		mkdir -p "$vmdir"
		say "single-stepping calls on the $k kernel"
		sock=$vmdir/gdb.sock
		VM_DIR=$vmdir VM_KERNEL=${image[$k]} VM_ICOUNT=shift=0,sleep=off VM_GDB=$sock \
			TESTS=tsc_msrs_test EXTRA="$TOOLOBJ/clock-bench" \
			setsid "$TOP/scripts/vmtest.sh" >"$vmdir.out" 2>&1 &
		vm=$!
		rc=0
		TRACE_SOCKET=$sock TRACE_SPECS=$specs TRACE_DIR=$vmdir \
			timeout 900 gdb -q -batch -x "$TOP/scripts/ioctl-trace.py" \
			"${vmlinux[$k]}" >"$vmdir.gdb" 2>&1 || rc=$?
		# The traces are all it is booted for.
		stop_vm
		while IFS= read -r spec; do
			name=${spec%%|*}
			if [ "$rc" -ne 0 ] || [ ! -s "$vmdir/$name.pcs" ]; then
				grep -v '^0x' "$vmdir.gdb" | tail -n 20 >&2
				die "could not single-step $name on the $k kernel (gdb exit $rc; see $vmdir.gdb)"
			fi
			printf '%s\t%s\t%s\t%s\n' "$k" "$name" "$vmdir/$name.pcs" "${vmlinux[$k]}" >>"$out/trace.tsv"
		done <<<"${specs//;/$'\n'}"
	done
fi
trap - EXIT

python3 - "$out/all.tsv" "$BDIR/bench-$ARCH.tsv" "$BASE" "$BDIR/bench-$ARCH.summary" "$out/icount.tsv" \
	"$out/trace.tsv" <<'PY'
import sys, collections
rows = collections.OrderedDict()
boots = {"base": [], "series": []}	# per boot, in order: {figure: ns}
prev = None
for line in open(sys.argv[1]):
    boot, kernel, name, ns = line.rstrip("\n").split("\t")
    rows[name] = True
    if boot != prev:
        boots[kernel].append({})
        prev = boot
    boots[kernel][-1][name] = float(ns)
mean = lambda v: sum(v) / len(v) if v else None
def median(v):
    v = sorted(v)
    n = len(v)
    return None if not n else (v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2)
fmt = lambda x, w=0, p=3: f"{x:{w}.{p}f}" if x is not None else f"{'-':>{w}}"
def ratio(a, b):
    return a / b if a is not None and b is not None and b > 0 else None
def values(kernel, name, boots_of=None):
    return [b[name] for b in (boots_of or boots[kernel]) if name in b]

nboots = len(boots["series"])
print(f"\nclock-bench, base {sys.argv[3]}: ns per call, mean of {nboots} boots per kernel (TCG, lockdep)")
print(f"  {'figure':<52} {'base':>10} {'series':>10} {'series/base':>11}")
with open(sys.argv[2], "w") as tsv:
    tsv.write("figure\tbase_ns\tseries_ns\tratio\n")
    for name in rows:
        b, s = mean(values("base", name)), mean(values("series", name))
        r = ratio(s, b)
        print(f"  {name:<52} {fmt(b, 10, 1)} {fmt(s, 10, 1)} {fmt(r, 11)}")
        tsv.write("\t".join([name] + ["" if x is None else f"{x:.4f}" for x in (b, s, r)]) + "\n")

# A figure's control runs code the series does not change, in the same
# batches of the same boot. In each boot, the figure's excess over its
# control in units of the control is the cost of the code between them
# with the emulator's speed in that boot taken out; series/base compares
# the medians of those (a boot now and then runs far slower than the
# others). Comparing a kernel's first and second half of boots the same way
# gives the noise of the method.
control = collections.OrderedDict([
    ("KVM_GET_CLOCK", ("GET_CLOCK", "KVM_CHECK_EXTENSION on the VM")),
    ("KVM_GET_MSRS TIME_REF_COUNT", ("kvmclock_ns", "KVM_GET_MSRS GUEST_OS_ID")),
    ("KVM_SET_CLOCK", ("SET_CLOCK", "KVM_SET_CLOCK refused at its flags")),
    ("KVM_RUN after KVM_SET_CLOCK", ("update", "KVM_RUN")),
    ("KVM_RUN after the Hyper-V TSC page write", ("requested update", "KVM_RUN after a GUEST_OS_ID write")),
])
def excess(name, ctl, boots_of):
    return [(b[name] - b[ctl]) / b[ctl] for b in boots_of if name in b and b.get(ctl)]
print("\nExcess over the control, in units of the control, per boot; series/base of the medians;")
print("and the same kernel's first half of boots against its second half (the noise):")
print(f"  {'figure (control)':<60} {'base':>16} {'series':>16} {'s/b':>6} {'noise':>12}")
short = []
for name, (tag, ctl) in control.items():
    e = {k: excess(name, ctl, boots[k]) for k in boots}
    if not e["base"] or not e["series"]:
        continue
    r = ratio(median(e["series"]), median(e["base"]))
    noise = []
    for k in boots:
        h = len(boots[k]) // 2
        if h:
            noise.append(ratio(median(excess(name, ctl, boots[k][:h])),
                               median(excess(name, ctl, boots[k][h:]))))
    rng = lambda v: f"{min(v):.3f}..{max(v):.3f}"
    ns = "/".join(fmt(x) for x in noise) if noise else "-"
    print(f"  {name + ' (' + ctl + ')':<60} {rng(e['base']):>16} {rng(e['series']):>16} "
          f"{fmt(r, 6)} {ns:>12}")
    short.append(f"{tag} {fmt(r, 0, 2)}")
print("  (noise: base's, then series' first half of boots over its second half)")

# KVM_SET_CLOCK_GUEST is the series' own: compare it with KVM_SET_CLOCK on
# the series kernel, paired in the same batches; per boot, then the mean.
pairs = [("whole call", "KVM_SET_CLOCK_GUEST", "KVM_SET_CLOCK (paired)"),
         ("in the call from the kick", "KVM_SET_CLOCK_GUEST: in the call from the kick",
          "KVM_SET_CLOCK: in the call from the kick"),
         ("update at the next entry", "KVM_SET_CLOCK_GUEST: the update at the next entry",
          "KVM_SET_CLOCK: the update at the next entry"),
         ("vCPU out of the guest", "KVM_SET_CLOCK_GUEST: vCPU out of the guest",
          "KVM_SET_CLOCK: vCPU out of the guest")]
got = []
per = {what: [ratio(b[g], b[c]) for b in boots["series"] if g in b and c in b]
       for what, g, c in pairs}
if all(v and None not in v for v in per.values()):
    print(f"\nKVM_SET_CLOCK_GUEST / KVM_SET_CLOCK on the series kernel, per boot, and their median:")
    for what, v in per.items():
        print(f"  {what:<30} {' '.join(fmt(x) for x in v)}   median {fmt(median(v))}")
        tag = {"whole call": "whole", "in the call from the kick": "from kick",
               "update at the next entry": "update", "vCPU out of the guest": "out of guest"}[what]
        got.append(f"{tag} {fmt(median(v), 0, 2)}")

# The instruction counts (-icount): per kernel, the count of each figure
# less its control's; series/base of those. And KVM_SET_CLOCK_GUEST against
# KVM_SET_CLOCK, each less its refused twin.
ic = collections.defaultdict(dict)	# (kernel, boot) -> {figure: count}
for line in open(sys.argv[5]):
    boot, kernel, name, n = line.rstrip("\n").split("\t")
    ic[(kernel, boot)][name] = float(n)
icount = []
if ic:
    print("\nInstruction counts under -icount (the shortest call of each kind), per boot;")
    print("a figure less its control, and series/base of those:")
    print(f"  {'figure (control)':<60} {'base':>13} {'series':>13} {'s/b':>7}")
    per_k = lambda k: [v for (kk, _), v in sorted(ic.items()) if kk == k]
    for name, (tag, ctl) in control.items():
        d = {k: [b[name] - b[ctl] for b in per_k(k) if name in b and ctl in b]
             for k in ("base", "series")}
        if len(d["base"]) != len(per_k("base")) or len(d["series"]) != len(per_k("series")):
            sys.exit(f"bench: {name} or {ctl} missing from a boot under -icount")
        r = ratio(median(d["series"]), median(d["base"]))
        cell = lambda v: "/".join(f"{x:.0f}" for x in v)
        print(f"  {name + ' (' + ctl + ')':<60} {cell(d['base']):>13} {cell(d['series']):>13} {fmt(r, 7)}")
        icount.append(f"{tag} {fmt(r, 0, 3)}")
    twins = [("call less twin", "in the call from the twin's refusal", ""),
             ("entry update", "update at the next entry", ": the KVM_RUN after it"),]
    g = {}
    for b in per_k("series"):
        if "KVM_SET_CLOCK_GUEST" not in b:
            continue
        for tag, what, sfx in twins:
            guest = b["KVM_SET_CLOCK_GUEST" + sfx] - b["KVM_SET_CLOCK_GUEST refused" + sfx]
            clock = b["KVM_SET_CLOCK (paired)" + sfx] - b["KVM_SET_CLOCK refused" + sfx]
            g.setdefault(tag, []).append((guest, clock))
    if g:
        print("KVM_SET_CLOCK_GUEST against KVM_SET_CLOCK on the series kernel, each less its")
        print("refused twin, per boot:")
        out = [(sum(x[0] for x in v), sum(x[1] for x in v)) for v in zip(*g.values())]
        g["out of guest"] = out
        for tag, v in g.items():
            cells = " ".join(f"{a:.0f}/{c:.0f}" for a, c in v)
            r = median([ratio(a, c) for a, c in v])
            print(f"  {tag:<14} {cells}   ratio {fmt(r)}")
            icount.append(f"{tag} {fmt(r, 0, 3)}")

# The single-stepped calls. Debug code that a production kernel lacks:
# lockdep, RCU's lockdep checks and the irq-state tracking of
# CONFIG_PROVE_LOCKING (the spinlock debugging checks stay in).
import bisect, re, subprocess
DEBUG = re.compile(r"lockdep|^(__)?lock_(acquire|release|is_held|is_held_type|acquired|contended)$"
                   r"|hlock|held_lock|mark_lock|mark_held_locks|chain|^__bfs|check_(noncircular|prev_add"
                   r"|irq_usage|wait_context|deadlock)|usage_(match|accumulate)|lock_class"
                   r"|^rcu_is_watching$|^rcu_read_lock_held|^debug_lockdep_rcu_enabled$"
                   r"|^trace_hardirqs_|^trace_irq_(disable|enable)|task_wait_context")
syms = {}
def symbolize(vmlinux):
    if vmlinux not in syms:
        nm = subprocess.run(["nm", "-n", vmlinux], capture_output=True, text=True, check=True)
        addr, name = [], []
        for l in nm.stdout.splitlines():
            p = l.split()
            if len(p) == 3 and p[1] in "tTwW":
                addr.append(int(p[0], 16))
                name.append(p[2])
        syms[vmlinux] = (addr, name)
    return syms[vmlinux]
tr = {}		# (kernel, call) -> {"all", "nodebug", "kick", "kick_nodebug"}
for line in open(sys.argv[6]):
    kernel, call, path, vmlinux = line.rstrip("\n").split("\t")
    addr, name = symbolize(vmlinux)
    fn = [name[bisect.bisect_right(addr, int(l, 16)) - 1] for l in open(path)]
    t = {"all": len(fn), "nodebug": sum(1 for f in fn if not DEBUG.search(f))}
    # The kick: the first vCPU request after the Hyper-V TSC page request
    # that both calls make right before it; the end: the return of
    # kvm_end_pvclock_update().
    if "kvm_end_pvclock_update" in fn and "kvm_hv_request_tsc_page_update" in fn:
        h = max(k for k, f in enumerate(fn) if f == "kvm_hv_request_tsc_page_update")
        j = max(k for k, f in enumerate(fn) if f == "kvm_end_pvclock_update")
        i = next((k for k in range(h, j) if fn[k] == "kvm_make_all_cpus_request"), None)
        if i is not None:
            t["kick"] = j - i + 1
            t["kick_nodebug"] = sum(1 for f in fn[i:j + 1] if not DEBUG.search(f))
    tr[(kernel, call)] = t
blackout = []
if tr:
    print("\nSingle-stepped calls, instructions, all / without the debug code (lockdep, RCU")
    print("checks, irq tracing) that a production kernel does not have:")
    print(f"  {'call':<42} {'base':>15} {'series':>15} {'s/b':>13}")
    for call, what in (("KVM_GET_CLOCK", "KVM_GET_CLOCK"), ("KVM_SET_CLOCK", "KVM_SET_CLOCK"),
                       ("update", "the vCPU's clock update after it"),
                       ("mclock", "a requested master clock update")):
        b, s = tr.get(("base", call)), tr.get(("series", call))
        if not b or not s:
            continue
        cell = lambda t: f"{t['all']}/{t['nodebug']}"
        r = f"{fmt(ratio(s['all'], b['all']))}/{fmt(ratio(s['nodebug'], b['nodebug']))}"
        print(f"  {what:<42} {cell(b):>15} {cell(s):>15} {r:>13}")
        tag = {"KVM_GET_CLOCK": "GET_CLOCK", "KVM_SET_CLOCK": "SET_CLOCK", "update": "update",
               "mclock": "requested update"}[call]
        blackout.append(f"{tag} {fmt(ratio(s['nodebug'], b['nodebug']), 0, 3)}")
    g, c = tr.get(("series", "KVM_SET_CLOCK_GUEST")), tr.get(("series", "KVM_SET_CLOCK"))
    if g and c and ("kick" not in g or "kick" not in c):
        sys.exit("bench: no kick (kvm_make_all_cpus_request after kvm_hv_request_tsc_page_update"
                 " .. kvm_end_pvclock_update) in a single-stepped trace")
    if g and c:
        print("On the series kernel, from the kick (KVM_REQ_MCLOCK_INPROGRESS) to the end of")
        print("kvm_end_pvclock_update(), while the other vCPUs stay out of the guest:")
        print(f"  {'':<42} {'SET_CLOCK_GUEST':>15} {'SET_CLOCK':>15} {'ratio':>13}")
        for k, what in (("kick", "all"), ("kick_nodebug", "without the debug code")):
            print(f"  {what:<42} {g[k]:>15} {c[k]:>15} {fmt(ratio(g[k], c[k])):>13}")
        print(f"  {'the whole call, all/without debug code':<42} {g['all']:>7}/{g['nodebug']:<7} "
              f"{c['all']:>7}/{c['nodebug']:<7}")
        blackout.append(f"kick to end {fmt(ratio(g['kick_nodebug'], c['kick_nodebug']), 0, 3)} "
                        f"({g['kick_nodebug']}/{c['kick_nodebug']})")
with open(sys.argv[4], "w") as f:
    f.write(", ".join(short) + "\n")
    f.write((", ".join(got) if got else "not measured") + "\n")
    f.write((", ".join(icount) if icount else "not measured") + "\n")
    f.write((", ".join(blackout) if blackout else "not measured") + "\n")
PY
