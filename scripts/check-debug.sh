#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check-debug: the debug kernel (DEBUG=1: configs/debug.config, KASAN,
# UBSAN, lockdep, ...) of BASE for each arch of ARCHES (default x86_64),
# built in build/$BASE/kernel-$ARCH-debug, and the tests of
# tests/$BASE/$ARCH.list (the series' tests, the clock-related upstream
# tests and the fuzzer) in its test VM (build/$BASE/vm-$ARCH-debug), with
# the timeouts multiplied by DEBUG_TIMEOUT_FACTOR (3). Any kernel report
# fails the test it came with, as in make vmtest. Prints per arch the
# counts and the number of kernel reports in the serial log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ARCHES=${ARCHES:-x86_64}
export DEBUG=1
# A failure on the debug kernel is a failure: no rerun in a fresh boot.
export VM_RERUN=0
rc=0
summary=()
for arch in $ARCHES; do
	(
		export ARCH=$arch
		arch_setup
		t0=$(date +%s)
		# set -e does not apply on the left of "|| rc=1" below.
		"$TOP/scripts/build-kernel.sh" || exit 1
		t1=$(date +%s)
		"$TOP/scripts/build-selftests.sh" || exit 1
		r=0
		"$TOP/scripts/vmtest.sh" || r=$?
		t2=$(date +%s)
		reports=$(grep -cE '@@KREPORT|KASAN|UBSAN|BUG:|WARNING:' "$VMDIR/serial.log" || true)
		echo "$arch: $(tail -n1 "$VMDIR/results.tsv" >/dev/null; awk -F'\t' '{ n[$2]++ } END { printf "%d passed, %d failed, %d skipped, %d flaky", n["PASS"], n["FAIL"], n["SKIP"], n["FLAKY"] }' "$VMDIR/results.tsv"); $reports kernel report line(s); build $(fmt_secs $((t1 - t0))), tests $(fmt_secs $((t2 - t1)))" \
			>"$BDIR/check-debug-$arch.summary"
		# Any kernel report fails the debug run, whatever the tests said.
		[ "$reports" -eq 0 ] || r=1
		exit "$r"
	) || rc=1
	summary+=("$(cat "$BUILD/$BASE/check-debug-$arch.summary" 2>/dev/null || echo "$arch: did not finish")")
done
echo
say "debug kernel ($BASE):"
printf '    %s\n' "${summary[@]}"
exit "$rc"
