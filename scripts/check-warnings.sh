#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# No new compiler (W=1) or sparse warnings in the C files BASE's series
# touches: build each of them for ARCH with W=1 C=1 at the base and at the
# tip of the series and fail on any warning the base does not have. Line
# numbers are ignored in the comparison, since patches move code.
#
# Like build-each.sh, it works in build/$BASE/linux and its object
# directory when the tree has no uncommitted change (it checks out the
# base and comes back), else in the scratch worktree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch_setup

"$TOP/scripts/tree.sh" --if-missing
REPRO="make warnings BASE=$BASE ARCH=$ARCH"
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD}

case "$ARCH" in
x86_64) own='^arch/x86/' ;;
arm64) own='^arch/arm64/' ;;
esac
tip=$(git -C "$KSRC" rev-parse HEAD)
mapfile -t files < <(git -C "$KSRC" diff --name-only --diff-filter=AM base "$tip" -- '*.c' |
	grep -v '^tools/' | grep -v '^arch/' || true)
mapfile -t -O "${#files[@]}" files < <(git -C "$KSRC" diff --name-only --diff-filter=AM base "$tip" -- '*.c' |
	grep "$own" || true)
# Only files that are objects of their own: a .c file that another one
# #includes (arch/x86/kvm/kvmclock_test.c, the KUnit suite x86.c includes)
# cannot be built alone, and is checked as part of the file including it.
own_objects=()
for f in "${files[@]}"; do
	d=$(dirname "$f") o=$(basename "${f%.c}").o
	if git -C "$KSRC" grep -q -w -F "$o" HEAD -- "$d/Makefile" "$d/Kbuild" 2>/dev/null; then
		own_objects+=("$f")
	else
		say "warnings ($BASE, $ARCH): $f is not an object of its own (included by another file): checked through that file"
	fi
done
files=("${own_objects[@]}")
if [ ${#files[@]} -eq 0 ]; then
	say "warnings ($BASE, $ARCH): the series touches no C file built for $ARCH"
	exit 0
fi

work_in_place
wt=$WT
bdir=$BDIR_WT
mkdir -p "$bdir/logs" "$bdir/warnings"
obj=$bdir/kernel-$ARCH

# warnings_at REV OUT: the W=1 and sparse warnings for the files at REV
# (those that exist there).
warnings_at() {
	local f objs=()
	git -C "$wt" checkout -q --detach "$1"
	BDIR=$bdir ARCH=$ARCH CONFIG_ONLY=1 "$TOP/scripts/build-kernel.sh" >/dev/null
	for f in "${files[@]}"; do
		[ -f "$wt/$f" ] || continue
		touch "$wt/$f"
		objs+=("${f%.c}.o")
	done
	[ ${#objs[@]} -gt 0 ] || { : >"$2"; return 0; }
	{ make -C "$wt" O="$obj" ARCH="$KARCH" CROSS_COMPILE="$CROSS" \
		CC="ccache ${CROSS}gcc" HOSTCC="ccache gcc" W=1 C=1 -j"$JOBS" \
		"${objs[@]}" 2>&1 || true; } |
		tee "$2.log" | { grep -E 'warning:|error:' || true; } |
		sed -E -e "s|$wt/||g" -e 's/:[0-9]+:[0-9]+:/:/; s/:[0-9]+:/:/' |
		sort -u >"$2"
}

out=$bdir/warnings
run_step "W=1 + sparse, base ($BASE, $ARCH)" "$LOGDIR/warnings-base-$ARCH.log" \
	warnings_at base "$out/base-$ARCH.txt"
run_step "W=1 + sparse, series ($BASE, $ARCH)" "$LOGDIR/warnings-series-$ARCH.log" \
	warnings_at "$tip" "$out/series-$ARCH.txt"
new=$(comm -13 "$out/base-$ARCH.txt" "$out/series-$ARCH.txt")
if [ -n "$new" ]; then
	echo "New warnings in ${files[*]}:"
	printf '%s\n' "$new" | sed 's/^/    /'
	die "the series adds W=1 or sparse warnings ($BASE, $ARCH; full output: ${out#"$TOP"/}/series-$ARCH.txt.log)"
fi
say "warnings ($BASE, $ARCH): no new W=1 or sparse warnings in ${files[*]} ($(wc -l <"$out/base-$ARCH.txt") at base, unchanged)"
