#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every test, for each base of BASES and each arch of ARCHES: lint (the
# queue applies, checkpatch, MAINTAINERS, one uAPI), the documentation
# build (no new warnings), W=1/sparse, every
# patch builds, the kernel, the selftests, the tests of
# tests/$BASE/$ARCH.list in the test VM, the cost figures of make bench
# (x86_64, the bases of BENCH_BASES), the clockmig unit tests; then the
# QEMU patch queue (QEMU_CHECK=0 skips it): it applies, builds and passes
# QEMU's checkpatch.pl. Goes on
# after a failure so that one run shows everything; exits non-zero if
# anything failed. Prints a summary line per base; the last line is
# "N passed, N failed, N skipped", with ", N flaky" and ", N figures (not
# checked against bounds)" when there are any.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BASES=${BASES:-$BASES_ALL}
ARCHES=${ARCHES:-x86_64 arm64}
# The bases whose x86_64 cost figures (make bench) make check prints.
BENCH_BASES=${BENCH_BASES-7.3}
start=$(date +%s)
results=$BUILD/check-results.tsv
mkdir -p "$BUILD/logs"
: >"$results"

# row BASE NAME RESULT DETAIL
row() { printf '%s\t%s\t%s\t\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; }
# count_row NAME LINE VAR: a bench summary row of exact counts: FAIL
# without figures, SKIP when VAR=0 turned them off ("not measured"), and
# otherwise FIGURE: a figure is reported, not checked against a bound.
count_row() {
	if [ -z "$2" ]; then
		row "$BASE" "x86_64:bench $1" FAIL "no figures (see ${log#"$TOP"/})"
	elif [ "$2" = "not measured" ]; then
		row "$BASE" "x86_64:bench $1" SKIP "not measured ($3=0?)"
	else
		row "$BASE" "x86_64:bench $1" FIGURE "$2"
	fi
}

# About 5 GiB for each base whose tree is not there yet, 1 GiB for one
# that is, 2 GiB more if its scratch worktree (build-each, W=1) is not,
# 3 GiB more for a base of BENCH_BASES without its unpatched tree (1.8 GiB)
# and kernel (0.3 GiB) and the boots of make bench, and
# 1 GiB for the compiler cache.
need=1
for base in $BASES; do
	if [ -d "$BUILD/$base/linux" ]; then
		need=$((need + 1))
		[ -d "$BUILD/$base/scratch/linux" ] || need=$((need + 2))
	else
		need=$((need + 5))
	fi
	if [[ " $BENCH_BASES " == *" $base "* ]] && [[ " $ARCHES " == *" x86_64 "* ]] &&
	   [ ! -d "$BUILD/$base/unpatched/linux" ]; then
		need=$((need + 3))
	fi
done
need_disk "${MIN_FREE_GIB:-$need}" "make check"

BASES=$BASES "$TOP/scripts/setup.sh"

log=$BUILD/logs/test-vmlog.log
if python3 "$TOP/scripts/test-vmlog.py" >"$log" 2>&1; then
	row - "harness self-test" PASS "$(tail -n1 "$log" | sed 's/^# //')"
else
	cat "$log"
	row - "harness self-test" FAIL "see ${log#"$TOP"/}"
fi

# CPU seconds (user + system) used so far by finished child processes: on
# a shared machine the wall time alone says little.
# (times must run in this shell, not in a command substitution.)
cpu_now() {
	times >"$BUILD/.check-times"
	CPU=$(tail -n1 "$BUILD/.check-times" | awk '{ s = 0
		for (i = 1; i <= 2; i++) { split($i, t, /[ms]/); s += t[1] * 60 + t[2] }
		printf "%d\n", s }')
}

declare -A took cpu
for base in $BASES; do
	t0=$(date +%s)
	cpu_now
	c0=$CPU
	(
		base_setup "$base"
		export BASE
		say "=== base $BASE: $PACKAGE $(base_version), ${QDIR#"$TOP"/} ==="
		if "$TOP/scripts/lint.sh"; then
			row "$BASE" lint PASS "applies with git am, checkpatch --strict, MAINTAINERS, uAPI"
		else
			row "$BASE" lint FAIL "see the output of make lint BASE=$BASE above"
		fi
		if "$TOP/scripts/docs.sh"; then
			row "$BASE" docs PASS "htmldocs (virt) and kernel-doc: no new warnings"
		else
			row "$BASE" docs FAIL "see the output of make docs BASE=$BASE above"
		fi
		"$TOP/scripts/tree.sh" --if-missing
		if [ -n "$(git -C "$KSRC" status --porcelain)" ] ||
		   [ "$(git -C "$KSRC" rev-list --count base..HEAD)" != "$(series_patches | wc -l)" ]; then
			warn "${KSRC#"$TOP"/} differs from ${QDIR#"$TOP"/}: testing the tree as it is (see 'make export BASE=$BASE')"
		fi
		npatches=$(git -C "$KSRC" rev-list --count base..HEAD)

		# W=1 and build-each first: they walk the commits in the tree's
		# own object directories and leave them built at the tip.
		for arch in $ARCHES; do
			if [ "$npatches" -eq 0 ]; then
				break
			elif ARCH=$arch "$TOP/scripts/check-warnings.sh"; then
				row "$BASE" "$arch:(W=1 + sparse)" PASS "no new warnings in the C files the series touches"
			else
				row "$BASE" "$arch:(W=1 + sparse)" FAIL "see make warnings BASE=$BASE ARCH=$arch"
			fi
		done
		if [ "$npatches" -gt 0 ]; then
			if ARCHES=$ARCHES "$TOP/scripts/build-each.sh"; then
				row "$BASE" "(every patch builds)" PASS "$npatches patch(es), $ARCHES"
			else
				row "$BASE" "(every patch builds)" FAIL "see make build-each BASE=$BASE"
			fi
		fi

		for arch in $ARCHES; do
			export ARCH=$arch
			arch_setup
			if ! "$TOP/scripts/build-kernel.sh"; then
				row "$BASE" "($arch kernel build)" FAIL "see ${LOGDIR#"$TOP"/}/kernel-$arch.log"
				continue
			fi
			if ! "$TOP/scripts/build-selftests.sh"; then
				row "$BASE" "($arch selftests build)" FAIL "see ${LOGDIR#"$TOP"/}/selftests-$arch.log"
				continue
			fi
			mkdir -p "$VMDIR"
			# No rows from an earlier run: vmtest.sh writes them anew.
			rm -f "$VMDIR/results.tsv"
			"$TOP/scripts/vmtest.sh" | tee "$VMDIR/vmtest.out" || true
			if [ ! -s "$VMDIR/results.tsv" ]; then
				row "$BASE" "($arch test VM)" FAIL "vmtest.sh gave no results (see ${VMDIR#"$TOP"/}/vmtest.out)"
				continue
			fi
			awk -F'\t' -v b="$BASE" -v a="$arch" '{ printf "%s\t%s:%s\t%s\t%s\t%s\n", b, a, $1, $2, $3, $4 }' \
				"$VMDIR/results.tsv" >>"$results"

			# The cost figures: make bench, the unpatched base kernel
			# against the series kernel in one run. Figures, not
			# bounds: the row fails only if the benchmark cannot run.
			if [ "$arch" = x86_64 ] && [[ " $BENCH_BASES " == *" $BASE "* ]]; then
				log=$LOGDIR/bench.out
				# One round of timings: the instruction counts
				# (-icount) and the single-stepped calls are exact.
				if BENCH_ROUNDS=${BENCH_ROUNDS:-1} "$TOP/scripts/bench.sh" >"$log" 2>&1; then
					sed -n '/^clock-bench, base/,$p' "$log"
					sum=$BDIR/bench-x86_64.summary
					l1=$(sed -n 1p "$sum" 2>/dev/null || true)
					l2=$(sed -n 2p "$sum" 2>/dev/null || true)
					if [ -z "$l1" ]; then
						row "$BASE" "x86_64:bench series/base (excess)" FAIL "no figures (see ${log#"$TOP"/})"
					else
						row "$BASE" "x86_64:bench series/base (excess)" FIGURE "$l1"
					fi
					l3=$(sed -n 3p "$sum" 2>/dev/null || true)
					l4=$(sed -n 4p "$sum" 2>/dev/null || true)
					if [ -z "$l2" ] || [ "$l2" = "not measured" ]; then
						row "$BASE" "x86_64:bench SET_CLOCK_GUEST/SET_CLOCK" SKIP "not measured (see ${log#"$TOP"/})"
					else
						row "$BASE" "x86_64:bench SET_CLOCK_GUEST/SET_CLOCK" FIGURE "$l2"
					fi
					# Instruction counts and the single-stepped blackout.
					count_row "series/base (instructions)" "$l3" BENCH_ICOUNT
					count_row "single-stepped, no debug code" "$l4" BENCH_TRACE
				else
					tail -n 30 "$log"
					row "$BASE" "x86_64:bench (figures)" FAIL "see ${log#"$TOP"/}"
				fi
			fi
		done

		log=$LOGDIR/unit-test.out
		if "$TOP/scripts/unit-test.sh" >"$log" 2>&1; then
			row "$BASE" "clockmig unit tests" PASS "$(tail -n1 "$log" | sed 's/^# //')"
		elif ! gcc -std=gnu11 -isystem "$BDIR/headers-x86_64/include" -c \
			"$TOP/tools/uapi-check.c" -o /dev/null >/dev/null 2>&1; then
			# The library needs the series' uAPI; lint already fails
			# for a queue that lacks it.
			row "$BASE" "clockmig unit tests" SKIP "${QDIR#"$TOP"/} lacks the series' uAPI (see lint)"
		else
			cat "$log"
			row "$BASE" "clockmig unit tests" FAIL "see ${log#"$TOP"/}"
		fi
	) || row "$base" "(harness)" FAIL "make check stopped early for base $base (see above)"
	took[$base]=$(($(date +%s) - t0))
	cpu_now
	cpu[$base]=$((CPU - c0))
done

# The QEMU patch queue (patches/qemu): it applies to the pinned qemu
# source, passes QEMU's checkpatch.pl, and stock and patched QEMU build
# (static x86_64); the patched one has the kvmclock properties it adds.
if [ "${QEMU_CHECK:-1}" = 1 ]; then
	log=$BUILD/logs/qemu.out
	if "$TOP/scripts/qemu.sh" all >"$log" 2>&1; then
		row - "QEMU: patches/qemu build" PASS "apply to qemu $(. "$TOP/qemu/qemu.pin"; echo "$QEMU_VERSION"); static x86_64, stock and patched"
		props=$("$BUILD/qemu/bin/qemu-system-x86_64-patched" -device kvmclock,help 2>&1 || true)
		if grep -q 'clock-migration=' <<<"$props" && grep -q 'x-clock-state=' <<<"$props" &&
		   nm "$BUILD/qemu/bin/qemu-system-x86_64-patched" | grep -c ' T clockmig_restore$' >/dev/null; then
			row - "QEMU: kvmclock properties" PASS "clock-migration, x-clock-state (patched); linked with clockmig"
		else
			row - "QEMU: kvmclock properties" FAIL "-device kvmclock,help: $(tr '\n' ' ' <<<"$props" | cut -c1-60)"
		fi
		# The real VMM end to end, with its bounds (x86_64, on 7.3:
		# the series kernel and the unpatched base as L1).
		log=$BUILD/logs/qemu-e2e.out
		if [[ " $BASES " != *" 7.3 "* || " $ARCHES " != *" x86_64 "* ]]; then
			row - "QEMU: end to end (x86_64)" SKIP "needs base 7.3 and x86_64 in BASES and ARCHES"
		elif BASE=7.3 ARCH=x86_64 E2E_CHECK=1 E2E_RUNS=3 E2E_BASE_KERNEL=1 E2E_VARIANTS= E2E_GUEST=bare \
		     "$TOP/scripts/qemu-e2e.sh" >"$log" 2>&1; then
			sed -n '/^=== A real VMM/,/^CSV:/p' "$log"
			row - "QEMU: end to end (x86_64)" PASS "patched: kvmclock step <= 1 ns, both policies; stock<->patched both ways; stock no worse than base"
		else
			sed -n '/^=== A real VMM/,$p' "$log" | grep . || tail -n 40 "$log"
			row - "QEMU: end to end (x86_64)" FAIL "$(grep -m1 '^FAIL' "$log" || echo "see ${log#"$TOP"/}")"
		fi
	else
		tail -n 20 "$log"
		row - "QEMU: patches/qemu build" FAIL "see ${log#"$TOP"/}"
		row - "QEMU: kvmclock properties" SKIP "no patched QEMU (its build failed)"
		row - "QEMU: end to end (x86_64)" SKIP "no QEMU (its build failed)"
	fi
	log=$BUILD/logs/qemu-lint.out
	if "$TOP/scripts/qemu.sh" lint >"$log" 2>&1; then
		row - "QEMU: checkpatch.pl" PASS "every patch of patches/qemu: QEMU's scripts/checkpatch.pl clean, signed off"
	else
		cat "$log"
		row - "QEMU: checkpatch.pl" FAIL "see ${log#"$TOP"/}"
	fi
fi

cpu_now
echo
echo "=== make check: summary ($(fmt_secs $(($(date +%s) - start))), CPU $(fmt_secs "$CPU"), load now $(cut -d' ' -f1-3 /proc/loadavg)) ==="
for base in $BASES; do
	(base_setup "$base"; [ ! -f "$BASEINFO/warning" ] || echo "!!! $(cat "$BASEINFO/warning")")
done
awk -F'\t' '{ name = ($1 == "-" ? "" : $1 " ") $2
	printf "  %-44s %-6s %-7s %s\n", name, $3, $4, substr($5, 1, 76) }' "$results"

# Figures per base and arch, as the VM runs printed them.
for base in $BASES; do
	for arch in $ARCHES; do
		out=$BUILD/$base/vm-$arch/vmtest.out
		[ -f "$out" ] || continue
		figs=$(sed -n '/^  Figures measured in this run:/,/^$/p' "$out" | sed '1d;/^$/d')
		[ -z "$figs" ] || printf '\n  Figures, %s %s:\n%s\n' "$base" "$arch" "$figs"
	done
done

echo
count() { awk -F'\t' -v b="$1" -v r="$2" '(b == "" || $1 == b) && $3 == r' "$results" | wc -l; }
for base in $BASES; do
	fl=$(count "$base" FLAKY)
	fg=$(count "$base" FIGURE)
	echo "base $base: $(count "$base" PASS) passed, $(count "$base" FAIL) failed, $(count "$base" SKIP) skipped$([ "$fl" -eq 0 ] || echo ", $fl flaky")$([ "$fg" -eq 0 ] || echo ", $fg figures") ($(fmt_secs "${took[$base]}"), CPU $(fmt_secs "${cpu[$base]}"))"
done
failed=$(count "" FAIL)
flaky=$(count "" FLAKY)
if [ "$flaky" -ne 0 ]; then
	# Not failures, never hidden: see the README, "Flaky tests".
	echo
	echo "Flaky (a known flaky failure, README \"Flaky tests\"; the rerun in a fresh boot passed):"
	awk -F'\t' '$3 == "FLAKY" { name = ($1 == "-" ? "" : $1 " ") $2
		printf "  %s: %s\n", name, $5 }' "$results"
fi
if [ "$failed" -ne 0 ]; then
	# Again at the very end, where a CI log's tail shows it.
	echo
	echo "Failed:"
	awk -F'\t' '$3 == "FAIL" { name = ($1 == "-" ? "" : $1 " ") $2
		printf "  %s: %s\n", name, $5 }' "$results"
	# The first kernel report behind each "kernel:" failure, from its
	# test VM's serial log: a CI log keeps only its tail, and the next
	# boot's log replaces this one.
	pat=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import vmlog
print(vmlog.KERNEL_REPORTS.pattern)' "$TOP/scripts")
	awk -F'\t' '$3 == "FAIL" && $5 ~ /^kernel: / { split($2, a, ":"); print $1 "\t" a[1] }' \
		"$results" | sort -u | while IFS=$'\t' read -r b a; do
		log=$BUILD/$b/vm-$a/serial.log
		[ -f "$log" ] || continue
		echo "Kernel report, $b $a (${log#"$TOP"/}):"
		grep -a -m1 -A30 -E "$pat" "$log" | sed -e 's/\r$//' -e 's/^/  /' || true
	done
fi
echo
figures=$(count "" FIGURE)
echo "$(count "" PASS) passed, $failed failed, $(count "" SKIP) skipped$([ "$flaky" -eq 0 ] || echo ", $flaky flaky")$([ "$figures" -eq 0 ] || echo ", $figures figures (not checked against bounds)")"
[ "$failed" -eq 0 ]
