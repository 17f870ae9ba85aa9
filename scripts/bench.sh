#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench [BASE=7.3]: tools/clock-bench on the unpatched base kernel and
# on the series kernel, booted one after the other by this one command
# (same config, same binary, same test VM), base, series, series, base, and
# for each figure the ratio series/base of the means of the boots
# (BENCH_ROUNDS rounds of four boots, default 2).
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

python3 - "$out/all.tsv" "$BDIR/bench-$ARCH.tsv" "$BASE" "$BDIR/bench-$ARCH.summary" <<'PY'
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
with open(sys.argv[4], "w") as f:
    f.write(", ".join(short) + "\n")
    f.write((", ".join(got) if got else "not measured") + "\n")
PY
