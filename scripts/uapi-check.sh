#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One uAPI on both bases (part of 'make lint'):
#  (a) for every file under include/uapi/ and arch/*/include/uapi/, the
#      lines each queue adds and removes (base..tip, in order, context and
#      line numbers ignored) are the same in patches/upstream-7.3 and
#      patches/backport-6.12;
#  (b) BASE's queue installs uAPI headers with which tools/uapi-check.c
#      compiles: the new ioctls called with their struct types from
#      <linux/kvm.h> alone, the numbers and layouts of the v2 spec static-
#      asserted, for x86_64 (and -m32) and arm64.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

UAPI_PATHS=(include/uapi 'arch/*/include/uapi/*')
UAPI_DIFF_LINES=${UAPI_DIFF_LINES:-40}
failed=0

# uapi_changes: "file: +line" / "file: -line" of base..tip of the queue.
uapi_changes() {
	git -C "$KSRC" diff --no-color --no-ext-diff --no-renames -U0 base "$1" -- "${UAPI_PATHS[@]}" |
		awk '/^diff --git / { file = $4; sub(/^b\//, "", file); hdr = 1; next }
		     /^@@/ { hdr = 0; next }
		     !hdr && /^[-+]/ { print file ": " $0 }'
}

# (a) Both queues, applied to their bases.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
names=()
for b in $BASES_ALL; do
	if ! (
		base_setup "$b"
		[ -d "$KSRC/.git" ] || BASE=$b "$TOP/scripts/tree.sh" --if-missing >&2
		tip=$(queue_tip) || exit 1
		uapi_changes "$tip" >"$tmp/$QUEUE"
	); then
		echo "FAIL  uAPI: the queue of base $b does not apply, cannot compare"
		failed=1
	fi
	names+=("$(base_setup "$b"; echo "$QUEUE")")
done
if [ $failed -eq 0 ]; then
	a=${names[0]} b=${names[1]}
	if diff -q "$tmp/$a" "$tmp/$b" >/dev/null; then
		echo "ok    uAPI: $a and $b add and remove the same uAPI lines ($(wc -l <"$tmp/$a") line(s))"
	else
		echo "FAIL  uAPI: $a and $b change the uAPI differently (- only in $a, + only in $b):"
		{ diff -U0 --label "patches/$a" --label "patches/$b" "$tmp/$a" "$tmp/$b" || true; } |
			sed -e '/^@@/d' -e 's/^/      /' >"$tmp/diff"
		head -n "$UAPI_DIFF_LINES" "$tmp/diff"
		n=$(wc -l <"$tmp/diff")
		[ "$n" -le "$UAPI_DIFF_LINES" ] ||
			echo "      ... $((n - UAPI_DIFF_LINES)) more line(s) (UAPI_DIFF_LINES=$n shows all)"
		failed=1
	fi
fi

# (b) BASE's queue: install its uAPI headers, compile the check.
if ! tip=$(queue_tip); then
	echo "FAIL  uAPI: ${QDIR#"$TOP"/} does not apply, cannot install its headers"
	exit 1
fi
src=$TOP/tools/uapi-check.c
check_compile() {	# LABEL CC HDRDIR FLAGS...
	local label=$1 cc=$2 hdr=$3 out
	shift 3
	if out=$("$cc" -std=gnu11 -Wall -Wextra -Werror -fmax-errors=50 "$@" \
		-isystem "$hdr/include" -c "$src" -o /dev/null 2>&1); then
		echo "ok    uAPI compiles as specified: $label"
		return 0
	fi
	echo "FAIL  uAPI of ${QDIR#"$TOP"/} ($label): tools/uapi-check.c does not compile against it:"
	{ grep -E 'error: #error' <<<"$out" || grep -E 'error:' <<<"$out" || echo "$out"; } |
		sed -e "s|^$src:||" -e 's/^/      /' | head -n 25
	echo "      reproduce: make lint BASE=$BASE (headers in ${hdr#"$TOP"/})"
	return 1
}
for arch in x86_64 arm64; do
	(
		ARCH=$arch
		arch_setup
		hdr=$SCRATCH/uapi-$arch
		obj=$SCRATCH/uapi-obj-$arch
		mkdir -p "$obj"
		make -C "$SCRATCH/linux" O="$obj" ARCH="$KARCH" CROSS_COMPILE="$CROSS" \
			headers_install INSTALL_HDR_PATH="$hdr" >"$LOGDIR/uapi-headers-$arch.log" 2>&1
	) || { echo "FAIL  uAPI: make headers_install ($arch) failed, see ${LOGDIR#"$TOP"/}/uapi-headers-$arch.log"; failed=1; continue; }
	case "$arch" in
	x86_64)
		check_compile "x86_64" gcc "$SCRATCH/uapi-$arch" -m64 || failed=1
		check_compile "x86_64, -m32 (32-bit userspace)" gcc "$SCRATCH/uapi-$arch" -m32 || failed=1
		;;
	arm64)
		check_compile "arm64" aarch64-linux-gnu-gcc "$SCRATCH/uapi-$arch" || failed=1
		;;
	esac
done
exit $failed
