#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Check the series as committed in patches/: it applies, in order, to the
# pinned base, and every patch passes scripts/checkpatch.pl --strict.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/tree.sh" --if-missing
mkdir -p "$LOGDIR"
failed=0
mapfile -t patches < <(series_patches)

# Apply to the base in a scratch index: no checkout, the tree is untouched.
idx=$(mktemp)
trap 'rm -f "$idx"' EXIT
GIT_INDEX_FILE=$idx git -C "$KSRC" read-tree base
for p in "${patches[@]}"; do
	if ! GIT_INDEX_FILE=$idx git -C "$KSRC" apply --cached "$TOP/patches/$p" \
		>"$LOGDIR/lint-apply.log" 2>&1; then
		echo "FAIL  $p does not apply to base + the patches before it:"
		sed 's/^/      /' "$LOGDIR/lint-apply.log"
		failed=1
		break
	fi
done
[ $failed -eq 0 ] && say "series applies to the base: ${#patches[@]} patch(es)"

for p in "${patches[@]}"; do
	if (cd "$KSRC" && ./scripts/checkpatch.pl --strict --quiet --color=never \
		"$TOP/patches/$p") >"$LOGDIR/checkpatch.log" 2>&1; then
		echo "ok    checkpatch --strict $p"
	else
		echo "FAIL  checkpatch --strict $p"
		sed 's/^/      /' "$LOGDIR/checkpatch.log"
		failed=1
	fi
done
if [ $failed -ne 0 ]; then
	echo "lint: FAILED (reproduce: make lint)"
	exit 1
fi
say "lint: ok"
