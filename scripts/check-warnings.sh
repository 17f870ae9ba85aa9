#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# No new compiler (W=1) or sparse warnings in the C files the series
# touches: build each of them for ARCH with W=1 C=2 at the base and at the
# tip of the series (in build-each's scratch worktree, with its own object
# directory) and fail on any warning the base does not have. Line numbers
# are ignored in the comparison, since patches move code.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch_setup

"$TOP/scripts/tree.sh" --if-missing
work=$BUILD/warnings
mkdir -p "$work"
REPRO="make warnings ARCH=$ARCH"

case "$ARCH" in
x86_64) own='^arch/x86/' ;;
arm64) own='^arch/arm64/' ;;
esac
mapfile -t files < <(git -C "$KSRC" diff --name-only --diff-filter=AM base HEAD -- '*.c' |
	grep -v '^tools/' | grep -v '^arch/' || true)
mapfile -t -O "${#files[@]}" files < <(git -C "$KSRC" diff --name-only --diff-filter=AM base HEAD -- '*.c' |
	grep "$own" || true)
if [ ${#files[@]} -eq 0 ]; then
	say "warnings ($ARCH): the series touches no C file built for $ARCH"
	exit 0
fi
objs=("${files[@]/%.c/.o}")

scratch_worktree "$work/linux"

# warnings_at REV OUT: the W=1 and sparse warnings for the files at REV.
warnings_at() {
	git -C "$work/linux" checkout -q --detach "$1"
	KSRC=$work/linux BUILD=$work ARCH=$ARCH CONFIG_ONLY=1 \
		"$TOP/scripts/build-kernel.sh" >/dev/null
	touch "${files[@]/#/$work/linux/}"
	make -C "$work/linux" O="$work/kernel-$ARCH" ARCH="$KARCH" CROSS_COMPILE="$CROSS" \
		CC="${CROSS}gcc" W=1 C=1 "${objs[@]}" 2>&1 |
		grep -E 'warning:|error:' |
		sed -E -e "s|$work/linux/||g" -e 's/:[0-9]+:[0-9]+:/:/; s/:[0-9]+:/:/' |
		sort -u >"$2"
}

run_step "W=1 + sparse, base ($ARCH)" "$LOGDIR/warnings-base-$ARCH.log" \
	warnings_at base "$work/base-$ARCH.txt"
run_step "W=1 + sparse, series ($ARCH)" "$LOGDIR/warnings-series-$ARCH.log" \
	warnings_at "$(git -C "$KSRC" rev-parse HEAD)" "$work/series-$ARCH.txt"
new=$(comm -13 "$work/base-$ARCH.txt" "$work/series-$ARCH.txt")
if [ -n "$new" ]; then
	echo "New warnings in ${files[*]}:"
	printf '%s\n' "$new" | sed 's/^/    /'
	die "the series adds W=1 or sparse warnings ($ARCH)"
fi
say "warnings ($ARCH): no new W=1 or sparse warnings in ${files[*]} ($(wc -l <"$work/base-$ARCH.txt") at base, unchanged)"
