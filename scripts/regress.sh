#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make regress: every KVM selftest of the series tree for ARCH, run in the
# test VM on the unpatched base kernel (UNPATCHED=1 build, same config
# fragments) and on the series kernel, with the same test binaries (built
# from the series tree against its uAPI headers, so that the kernel is the
# only difference). Each test whose result differs between the kernels
# runs again on both (REGRESS_RERUNS times, in a fresh boot) to tell flaky
# tests from real regressions and fixes. scripts/regress.py classifies
# each test (pass on both, fail on both with the base's reason, skip,
# regression, fixed, flaky), prints the table and writes it to
# build/$BASE/regress-$ARCH.tsv. Exits non-zero if anything regressed.
#
#   REGRESS_TIMEOUT=N    per-test timeout in seconds (default 60; the
#                        stress and perf tests take minutes under TCG and
#                        then count as timed out on both kernels); a test
#                        that tests/$BASE/$ARCH.list runs gets at least the
#                        timeout it has there
#   REGRESS_RERUNS=N     reruns of a differing test on both kernels (default 1)
#   REGRESS_LIST=FILE    run only the tests named in FILE (one name or
#                        selftest path a line, '#' comments), e.g.
#                        tests/$BASE/$ARCH.regress-subset
#   TESTS="a b"          run only these (names or selftest paths)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch_setup

REGRESS_TIMEOUT=${REGRESS_TIMEOUT:-60}
REGRESS_RERUNS=${REGRESS_RERUNS:-1}
RDIR=$BDIR/regress-$ARCH
TSV=$BDIR/regress-$ARCH.tsv
mkdir -p "$RDIR" "$LOGDIR"
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD}
t_start=$(date +%s)
declare -A took

phase() { took[$1]=$(($(date +%s) - $2)); }

# 1. The two kernels.
t=$(date +%s)
"$TOP/scripts/build-kernel.sh"
phase "series kernel" "$t"
t=$(date +%s)
(UNPATCHED=1 "$TOP/scripts/build-kernel.sh")
phase "base kernel" "$t"
base_image=$BUILD/$BASE/unpatched/kernel-$ARCH/$KIMAGE

# 2. Every selftest of the arch, built from the series tree. A test that
# does not build is reported, not silently dropped.
t=$(date +%s)
selftests_make_setup
mkdir -p "$STOBJ/tools" "$TOOLOBJ"
all=$("${STMAKE[@]}" -s print-kvm-selftests 2>/dev/null | tail -n1)
[ -n "$all" ] || die "no KVM selftests found for $ARCH in ${KSRC#"$TOP"/}"
sel=()
if [ -n "${TESTS:-}" ] || [ -n "${REGRESS_LIST:-}" ]; then
	want=$( { printf '%s\n' ${TESTS:-}; [ -z "${REGRESS_LIST:-}" ] ||
		sed -e 's/#.*//' "$REGRESS_LIST" | awk 'NF { print $1 }'; } | sort -u)
	for p in $all; do
		if printf '%s\n' "$want" | grep -qx -e "$p" -e "$(basename "$p")"; then
			sel+=("$p")
		fi
	done
	[ ${#sel[@]} -gt 0 ] || die "none of the selected tests is a KVM selftest of $BASE ($ARCH)"
else
	read -r -a sel <<<"$all"
fi
REPRO="make regress BASE=$BASE ARCH=$ARCH" \
run_step "building ${#sel[@]} KVM selftests ($BASE, $ARCH)" "$LOGDIR/regress-selftests-$ARCH.log" \
	"${STMAKE[@]}" -k $(printf "$STOBJ/%s " "${sel[@]}") || true
phase "selftests build" "$t"

list=$RDIR/all.list
notbuilt=$RDIR/not-built.tsv
: >"$list"
: >"$notbuilt"
# A test that tests/$BASE/$ARCH.list runs gets at least the time it has
# there (the series' own tests take minutes under TCG; with the default
# they would time out on the series kernel, while they skip on the base).
declare -A listed
while read -r _ secs cmd _; do
	[ "${listed[$cmd]:-0}" -ge "$secs" ] || listed[$cmd]=$secs
done < <(sed -e 's/#.*//' "$TOP/tests/$BASE/$ARCH.list" | awk 'NF >= 3')
for p in "${sel[@]}"; do
	if [ -x "$STOBJ/$p" ]; then
		secs=$REGRESS_TIMEOUT
		[ "${listed[$p]:-0}" -le "$secs" ] || secs=${listed[$p]}
		printf '%s  %s  %s\n' "$(basename "$p")" "$secs" "$p" >>"$list"
	else
		printf '%s\t%s\n' "$(basename "$p")" "does not build: see ${LOGDIR#"$TOP"/}/regress-selftests-$ARCH.log" >>"$notbuilt"
	fi
done
say "$(wc -l <"$list") test(s) built, $(wc -l <"$notbuilt") not"

# 3. Both kernels, then the reruns of what failed.
runvm() { # NAME IMAGE [TESTS...]
	local name=$1 image=$2 rc=0
	shift 2
	rm -rf "$RDIR/$name"
	mkdir -p "$RDIR/$name"
	say "running on the $name kernel: ${*:-all $(wc -l <"$list") tests}"
	local tests=all
	[ $# -eq 0 ] || tests="$*"
	VM_RERUN=0 VM_DIR=$RDIR/$name VM_KERNEL=$image TEST_LIST=$list TESTS="$tests" \
		"$TOP/scripts/vmtest.sh" >"$RDIR/$name.out" 2>&1 || rc=$?
	tail -n 3 "$RDIR/$name.out" | sed 's/^/    /'
	[ -f "$RDIR/$name/results.tsv" ] ||
		die "the $name run left no results: see ${RDIR#"$TOP"/}/$name.out"
}
t=$(date +%s)
runvm base "$base_image"
phase "base run" "$t"
t=$(date +%s)
runvm series "$KOBJ/$KIMAGE"
phase "series run" "$t"

# A test whose result differs between the kernels runs again on both
# (REGRESS_RERUNS times): a rerun that disagrees makes it flaky, so that a
# flaky test is never taken for a regression or a fix, and a regression is
# never passed by a lucky rerun. Tests with the same result on both are
# not rerun (a fail-both is pre-existing whatever its rerun does).
t=$(date +%s)
differ=$(join -t $'\t' <(cut -f1,2 "$RDIR/base/results.tsv" | sort) \
		      <(cut -f1,2 "$RDIR/series/results.tsv" | sort) |
	awk -F'\t' '$1 !~ /^\(/ && $2 != $3 { print $1 }' | tr '\n' ' ')
if [ -n "${differ// /}" ]; then
	for i in $(seq 1 "$REGRESS_RERUNS"); do
		runvm "base-rerun$i" "$base_image" $differ
		runvm "series-rerun$i" "$KOBJ/$KIMAGE" $differ
	done
fi
phase "reruns" "$t"

# 4. Classify.
rc=0
python3 "$TOP/scripts/regress.py" "$RDIR" "$REGRESS_RERUNS" "$notbuilt" "$TSV" || rc=$?
total=$(($(date +%s) - t_start))
printf '\n  time (%s, %s, TCG; wall, shared machine):' "$BASE" "$ARCH"
for k in "series kernel" "base kernel" "selftests build" "base run" "series run" "reruns"; do
	printf ' %s %s;' "$k" "$(fmt_secs "${took[$k]}")"
done
printf ' total %s\n' "$(fmt_secs "$total")"
echo "  table: ${TSV#"$TOP"/}; logs: ${RDIR#"$TOP"/}/{base,series}*/serial.log"
exit "$rc"
