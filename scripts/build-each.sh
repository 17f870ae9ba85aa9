#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bisectability: build the kernel (and the x86 selftests' uAPI headers) at
# every commit of the series, for each of ARCHES, in a scratch worktree so
# build/linux is left alone. Incremental and ccache'd: slow only the first
# time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ARCHES=${ARCHES:-x86_64 arm64}
"$TOP/scripts/tree.sh" --if-missing
work=$BUILD/build-each
commits=$(git -C "$KSRC" rev-list --reverse base..HEAD)
[ -n "$commits" ] || { say "no patches: nothing to build"; exit 0; }

scratch_worktree "$work/linux"
failed=0
for c in $commits; do
	git -C "$work/linux" checkout -q --detach "$c"
	subject=$(git -C "$KSRC" log -1 --format=%s "$c")
	# A commit that touches only documentation builds like its parent.
	if [ -z "$(git -C "$KSRC" diff --name-only "$c^" "$c" -- . ':!Documentation')" ]; then
		echo "ok    (documentation only)  $subject"
		continue
	fi
	for arch in $ARCHES; do
		if KSRC=$work/linux BUILD=$work ARCH=$arch REPRO="make build-each" \
			"$TOP/scripts/build-kernel.sh" >"$work/last.log" 2>&1; then
			echo "ok    $arch  $subject"
		else
			echo "FAIL  $arch  $subject (log: $work/logs/kernel-$arch.log)"
			failed=1
		fi
	done
done
[ $failed -eq 0 ] || die "some patches do not build on their own"
say "every patch builds on its own for: $ARCHES"
