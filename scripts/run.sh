#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job: build what is missing, boot the patched kernel of BASE
# (default 7.3, the upstream base) for ARCH and show, from inside it, what
# KVM offers a VMM for guest clocks, then the clockmig migration demo: one
# table, and the per-migration figures as CSV and a plot under
# build/$BASE/run-$ARCH/; then the real VMM: stock and patched QEMU
# migrating a guest inside the test VM (scripts/qemu-e2e.sh, table, CSV
# and plot under build/$BASE/e2e/, arm64: e2e-arm64/; about 20 minutes
# more on arm64, where each QEMU takes half a minute to start). A harness program that does not
# build against BASE (the queue lacks the uAPI it needs) is left out, with
# a warning.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch_setup

if [ -d "$KSRC" ]; then
	need_disk "${MIN_FREE_GIB:-2}" "make run"
else
	need_disk "${MIN_FREE_GIB:-5}" "make run"
fi
BASES=$BASE "$TOP/scripts/setup.sh"
"$TOP/scripts/tree.sh" --if-missing
"$TOP/scripts/build-kernel.sh"
TESTS= "$TOP/scripts/build-selftests.sh"
progs=
for p in clockinfo clockmig_demo; do
	if [ -x "$TOOLOBJ/$p" ]; then
		progs="$progs $TOOLOBJ/$p"
	else
		warn "tools/$p.c does not build against $BASE: not run"
	fi
done
[ -n "$progs" ] || die "no harness program builds against $BASE ($ARCH)"
TESTS= EXTRA="$progs" EXTRA_TIMEOUT=300 SHOW_OUTPUT=1 \
	"$TOP/scripts/vmtest.sh" >"$VMDIR/run.out" || {
	cat "$VMDIR/run.out"
	die "the clock report or the demo did not complete (serial log: $VMDIR/serial.log)"
}

# The output of one program in the serial log, without kernel messages.
section() {
	sed -n "/@@TEST-BEGIN $1/,/@@TEST-END/p" "$VMDIR/serial.log" |
		sed -e '1d' -e '$d' -e 's/\r$//' | grep -v '^Random seed:' |
		grep -v '^\[ *[0-9]*\.[0-9]*\]' || true
}

echo
echo "=== Guest clocks on the patched $ARCH kernel ($(git -C "$KSRC" rev-list --count base..HEAD) patch(es) of ${QDIR#"$TOP"/} on $PACKAGE $(base_version)) ==="
[ ! -x "$TOOLOBJ/clockinfo" ] || section clockinfo
if [ -x "$TOOLOBJ/clockmig_demo" ]; then
	echo
	echo "=== Migrating a guest's clocks with clockmig (clockmig/, see README) ==="
	section clockmig_demo | grep -v '^csv,'

	out=$BDIR/run-$ARCH
	mkdir -p "$out"
	{
		echo "arch,method,policy,migration,step_ns,error_ns,error_ticks,held_us,zero_ns_fraction,pvclock_identical"
		section clockmig_demo | sed -n 's/^csv,//p'
	} >"$out/migrations.csv"
	"$TOP/scripts/plot-migrations.sh" "$out/migrations.csv" "$out/migrations.png" ||
		warn "gnuplot failed; the CSV is still there"
	if [ -f "$BASEINFO/warning" ]; then
		echo "!!! $(cat "$BASEINFO/warning")"
	fi
	echo
	echo "per-migration figures: ${out#"$TOP"/}/migrations.csv"
	[ -f "$out/migrations.png" ] && echo "plot:                  ${out#"$TOP"/}/migrations.png"
	echo "serial log:            ${VMDIR#"$TOP"/}/serial.log"
fi

# The headline: a real VMM. Stock and patched QEMU migrate a guest inside
# the test VM, on the series kernel and on the unpatched base
# (RUN_QEMU=0 leaves it out).
if [ "${RUN_QEMU:-1}" = 1 ]; then
	log=$LOGDIR/qemu-e2e.out
	say "the real VMM: building QEMU and running it in the test VM (log: ${log#"$TOP"/})"
	if "$TOP/scripts/qemu-e2e.sh" >"$log" 2>&1; then
		sed -n '/^=== A real VMM/,$p' "$log"
	else
		tail -n 40 "$log"
		die "the QEMU end-to-end run failed (log: ${log#"$TOP"/})"
	fi
fi
