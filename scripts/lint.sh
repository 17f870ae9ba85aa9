#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Check the series as committed in patches/: it applies, in order, to the
# pinned base, every patch passes scripts/checkpatch.pl --strict, and every
# file the series adds is covered by MAINTAINERS.
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

# checkpatch warns about MAINTAINERS whenever a patch adds a file
# (FILE_PATH_CHANGES); answer that question instead: every added file must
# be covered by an entry of MAINTAINERS as the series leaves it.
if [ $failed -eq 0 ] && [ ${#patches[@]} -gt 0 ]; then
	GIT_INDEX_FILE=$idx git -C "$KSRC" show :MAINTAINERS >"$idx.maintainers"
	if ! python3 "$TOP/scripts/maintainers-cover.py" "$idx.maintainers" \
		"${patches[@]/#/$TOP/patches/}"; then
		echo "FAIL  new files not covered by MAINTAINERS (see above)"
		failed=1
	fi
	rm -f "$idx.maintainers"
fi

# checkpatch's SPDX check needs Debian's python3 (ply, git), not another one
# that happens to come first in PATH.
for p in "${patches[@]}"; do
	if (cd "$KSRC" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict \
		--ignore FILE_PATH_CHANGES --quiet --color=never \
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
