#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every test: lint, then for each of ARCHES build the kernel and the
# selftests and run tests/$ARCH.list in the test VM. Goes on after a
# failure so that one run shows everything; exits non-zero if anything
# failed. The last line is "N passed, N failed, N skipped".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ARCHES=${ARCHES:-x86_64 arm64}
start=$(date +%s)
results=$BUILD/check-results.tsv
mkdir -p "$BUILD"
: >"$results"

"$TOP/scripts/setup.sh"
"$TOP/scripts/tree.sh" --if-missing
if [ -n "$(git -C "$KSRC" status --porcelain)" ] ||
   [ "$(git -C "$KSRC" rev-list --count base..HEAD)" != "$(series_patches | wc -l)" ]; then
	warn "build/linux differs from patches/: testing the tree as it is (see 'make export')"
fi

if python3 "$TOP/scripts/test-vmlog.py" >"$LOGDIR/test-vmlog.log" 2>&1; then
	printf 'harness self-test\tPASS\t\t%s\n' "$(tail -n1 "$LOGDIR/test-vmlog.log" | sed 's/^# //')" >>"$results"
else
	cat "$LOGDIR/test-vmlog.log"
	printf 'harness self-test\tFAIL\t\tsee %s\n' "build/logs/test-vmlog.log" >>"$results"
fi
if "$TOP/scripts/unit-test.sh" >"$LOGDIR/unit-test.out" 2>&1; then
	printf 'clockmig unit tests\tPASS\t\t%s\n' "$(tail -n1 "$LOGDIR/unit-test.out" | sed 's/^# //')" >>"$results"
	grep '^# fuzz' "$LOGDIR/unit-test.out" || true
else
	cat "$LOGDIR/unit-test.out"
	printf 'clockmig unit tests\tFAIL\t\tsee build/logs/unit-test.out\n' >>"$results"
fi
if "$TOP/scripts/lint.sh"; then
	printf 'lint\tPASS\t\tseries applies, checkpatch --strict clean\n' >>"$results"
else
	printf 'lint\tFAIL\t\tsee the output of make lint above\n' >>"$results"
fi

for arch in $ARCHES; do
	say "=== $arch ==="
	if ! ARCH=$arch "$TOP/scripts/build-kernel.sh"; then
		printf '(%s kernel build)\tFAIL\t\tsee %s\n' "$arch" "build/logs/kernel-$arch.log" >>"$results"
		continue
	fi
	if ! ARCH=$arch "$TOP/scripts/build-selftests.sh"; then
		printf '(%s selftests build)\tFAIL\t\tsee %s\n' "$arch" "build/logs/selftests-$arch.log" >>"$results"
		continue
	fi
	ARCH=$arch "$TOP/scripts/vmtest.sh" || true
	sed "s/^/$arch:/" "$BUILD/vm-$arch/results.tsv" >>"$results"
	if ARCH=$arch "$TOP/scripts/check-warnings.sh"; then
		printf '%s:(W=1 + sparse)\tPASS\t\tno new warnings in the C files the series touches\n' \
			"$arch" >>"$results"
	else
		printf '%s:(W=1 + sparse)\tFAIL\t\tsee make warnings ARCH=%s\n' "$arch" "$arch" >>"$results"
	fi
done

if [ "$(git -C "$KSRC" rev-list --count base..HEAD)" -gt 0 ]; then
	if ARCHES=$ARCHES "$TOP/scripts/build-each.sh"; then
		printf '(every patch builds)\tPASS\t\t%s\n' "$ARCHES" >>"$results"
	else
		printf '(every patch builds)\tFAIL\t\tsee make build-each\n' >>"$results"
	fi
fi

echo
echo "=== make check: summary ($(fmt_secs $(($(date +%s) - start)))) ==="
if [ -f "$BUILD/base/warning" ]; then
	echo "!!! $(cat "$BUILD/base/warning")"
fi
awk -F'\t' '{ printf "  %-40s %-6s %-7s %s\n", $1, $2, $3, substr($4, 1, 80) }' "$results"
passed=$(awk -F'\t' '$2 == "PASS"' "$results" | wc -l)
failed=$(awk -F'\t' '$2 == "FAIL"' "$results" | wc -l)
skipped=$(awk -F'\t' '$2 == "SKIP"' "$results" | wc -l)
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
