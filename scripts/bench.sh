#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench [BASE=7.3]: tools/clock-bench on the unpatched base kernel and
# on the series kernel, booted one after the other by this one command
# (same config, same binary, same test VM), base, series, series, base, and
# for each figure the ratio series/base of the means of the two boots.
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
round=0
for k in base series series base; do
	round=$((round + 1))
	say "clock-bench on the $k kernel ($round/4)"
	if ! VM_DIR=$out/$round-$k VM_KERNEL=${image[$k]} TESTS=tsc_msrs_test \
		EXTRA="$TOOLOBJ/clock-bench" "$TOP/scripts/vmtest.sh" >"$out/$round-$k.out" 2>&1; then
		cat "$out/$round-$k.out" >&2
		die "clock-bench failed on the $k kernel (see $out/$round-$k/serial.log)"
	fi
	tr -d '\r' <"$out/$round-$k/serial.log" | sed -n 's/.*\(bench\t.*\)$/\1/p' |
		awk -F'\t' -v k="$k" '{ print k "\t" $2 "\t" $3 }' >"$out/$round.tsv"
	[ -s "$out/$round.tsv" ] ||
		die "no bench lines from the $k kernel (see $out/$round-$k/serial.log)"
	cat "$out/$round.tsv" >>"$out/all.tsv"
done

python3 - "$out/all.tsv" "$BDIR/bench-$ARCH.tsv" "$BASE" <<'PY'
import sys, collections
rows = collections.OrderedDict()
for line in open(sys.argv[1]):
    kernel, name, ns = line.rstrip("\n").split("\t")
    rows.setdefault(name, {"base": [], "series": []})[kernel].append(float(ns))
print(f"\nclock-bench, base {sys.argv[3]}: mean of two boots per kernel, ns per call (TCG)")
print(f"  {'figure':<30} {'base':>12} {'series':>12} {'series/base':>12}")
with open(sys.argv[2], "w") as tsv:
    tsv.write("figure\tbase_ns\tseries_ns\tratio\n")
    for name, v in rows.items():
        b = sum(v["base"]) / len(v["base"])
        s = sum(v["series"]) / len(v["series"])
        print(f"  {name:<30} {b:12.1f} {s:12.1f} {s / b:12.3f}")
        tsv.write(f"{name}\t{b:.1f}\t{s:.1f}\t{s / b:.4f}\n")
PY
