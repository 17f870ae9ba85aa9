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
order=$(for _ in $(seq "$rounds"); do echo base series series base; done)
round=0
for k in $order; do
	round=$((round + 1))
	say "clock-bench on the $k kernel ($round/$((4 * rounds)))"
	if ! VM_DIR=$out/$round-$k VM_KERNEL=${image[$k]} TESTS=tsc_msrs_test \
		EXTRA="$TOOLOBJ/clock-bench" "$TOP/scripts/vmtest.sh" >"$out/$round-$k.out" 2>&1; then
		cat "$out/$round-$k.out" >&2
		die "clock-bench failed on the $k kernel (see $out/$round-$k/serial.log)"
	fi
	tr -d '\r' <"$out/$round-$k/serial.log" | sed -n 's/.*\(bench\t.*\)$/\1/p' |
		awk -F'\t' -v k="$k" -v r="$round" '{ print r "\t" k "\t" $2 "\t" $3 }' >"$out/$round.tsv"
	[ -s "$out/$round.tsv" ] ||
		die "no bench lines from the $k kernel (see $out/$round-$k/serial.log)"
	cat "$out/$round.tsv" >>"$out/all.tsv"
done

python3 - "$out/all.tsv" "$BDIR/bench-$ARCH.tsv" "$BASE" "$BDIR/bench-$ARCH.summary" <<'PY'
import sys, collections
rows = collections.OrderedDict()
boots = {"base": [], "series": []}	# per boot: {figure: ns}
prev = None
for line in open(sys.argv[1]):
    boot, kernel, name, ns = line.rstrip("\n").split("\t")
    rows.setdefault(name, {"base": [], "series": []})[kernel].append(float(ns))
    if boot != prev:
        boots[kernel].append({})
        prev = boot
    boots[kernel][-1][name] = float(ns)
mean = lambda v: sum(v) / len(v) if v else None
# A figure's control runs code the series does not change, in the same
# batches of the same boot: dividing by it takes out the emulator's speed,
# which differs from one boot to the next.
control = {
    "KVM_GET_CLOCK": "KVM_CHECK_EXTENSION on the VM",
    "KVM_GET_MSRS TIME_REF_COUNT": "KVM_GET_MSRS GUEST_OS_ID",
    "KVM_SET_CLOCK": "KVM_SET_CLOCK refused at its flags",
    "KVM_RUN after KVM_SET_CLOCK": "KVM_RUN",
}
def ratio(name):
    v = rows.get(name)
    if not v or not v["base"] or not v["series"]:
        return None
    return mean(v["series"]) / mean(v["base"])
def ratio_over_control(name):
    if name not in control:
        return None
    rel = {k: [b[name] / b[control[name]] for b in boots[k]
               if name in b and b.get(control[name])] for k in boots}
    if not rel["base"] or not rel["series"]:
        return None
    return mean(rel["series"]) / mean(rel["base"])
nboots = len(boots["series"])
fmt = lambda x, w, p: f"{x:{w}.{p}f}" if x is not None else f"{'-':>{w}}"
print(f"\nclock-bench, base {sys.argv[3]}: mean of {nboots} boots per kernel, ns per call (TCG)")
print(f"  {'figure':<52} {'base':>10} {'series':>10} {'series/base':>11} {'/control':>9}")
with open(sys.argv[2], "w") as tsv:
    tsv.write("figure\tbase_ns\tseries_ns\tratio\tratio_over_control\n")
    for name, v in rows.items():
        b, s, r = mean(v["base"]), mean(v["series"]), ratio(name)
        rc = ratio_over_control(name)
        print(f"  {name:<52} {fmt(b, 10, 1)} {fmt(s, 10, 1)} {fmt(r, 11, 3)} {fmt(rc, 9, 3)}")
        tsv.write("\t".join([name] + ["" if x is None else f"{x:.4f}" for x in (b, s, r, rc)]) + "\n")
print("  /control: the figure divided by its control in each boot, series/base of the")
print("  means of that; the control runs code the series does not change, in the same")
print("  batches: " + "; ".join(f"{k}: {c}" for k, c in control.items()) + ".")
print("  Figure / control in each boot, lowest to highest, base | series:")
for name, c in control.items():
    rel = {k: sorted(b[name] / b[c] for b in boots[k] if name in b and b.get(c)) for k in boots}
    print(f"    {name:<30} " + " | ".join(" ".join(f"{x:.3f}" for x in rel[k]) for k in ("base", "series")))

# KVM_SET_CLOCK_GUEST is the series' own: compare it with KVM_SET_CLOCK on
# the series kernel (clock-bench pairs the two calls in the same batches).
pairs = [("whole call", "KVM_SET_CLOCK_GUEST", "KVM_SET_CLOCK (paired)"),
         ("in the call from the kick", "KVM_SET_CLOCK_GUEST: in the call from the kick",
          "KVM_SET_CLOCK: in the call from the kick"),
         ("update at the next entry", "KVM_SET_CLOCK_GUEST: the update at the next entry",
          "KVM_SET_CLOCK: the update at the next entry"),
         ("vCPU out of the guest", "KVM_SET_CLOCK_GUEST: vCPU out of the guest",
          "KVM_SET_CLOCK: vCPU out of the guest")]
short = {"KVM_GET_CLOCK": "GET_CLOCK", "KVM_GET_MSRS TIME_REF_COUNT": "TIME_REF_COUNT",
         "KVM_SET_CLOCK": "SET_CLOCK", "KVM_RUN after KVM_SET_CLOCK": "update entry"}
summary = "series/base over control: " + ", ".join(
    f"{short[n]} {fmt(ratio_over_control(n), 0, 3)}" for n in control)
if all(g in rows and c in rows and rows[g]["series"] and rows[c]["series"] for _, g, c in pairs):
    print(f"\nKVM_SET_CLOCK_GUEST / KVM_SET_CLOCK on the series kernel (means of {nboots} boots):")
    got = []
    for what, g, c in pairs:
        r = mean(rows[g]["series"]) / mean(rows[c]["series"])
        print(f"  {what:<30} {r:7.3f}")
        got.append(f"{what} {r:.3f}")
    summary += "; SET_CLOCK_GUEST/SET_CLOCK: " + ", ".join(got)
with open(sys.argv[4], "w") as f:
    f.write(summary + "\n")
PY
