#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Check BASE's queue as committed in patches/$QUEUE/: it applies with
# 'git am', in order, to the pinned base (in the scratch worktree; the
# tree in build/$BASE/linux is left alone), every patch passes
# scripts/checkpatch.pl --strict, every file the series adds is covered by
# MAINTAINERS, and the uAPI is the one both queues share
# (scripts/uapi-check.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/tree.sh" --if-missing
mkdir -p "$LOGDIR"
failed=0
q=${QDIR#"$TOP"/}
mapfile -t patches < <(series_patches)
say "lint: $q (${#patches[@]} patch(es)) on $PACKAGE $(base_version)"

if tip=$(queue_tip); then
	echo "ok    $q applies with git am: ${#patches[@]} patch(es)"
else
	echo "FAIL  $q does not apply (see above)"
	failed=1
fi
wt=$SCRATCH/linux

# checkpatch warns about MAINTAINERS whenever a patch adds a file
# (FILE_PATH_CHANGES); answer that question instead: every added file must
# be covered by an entry of MAINTAINERS as the series leaves it.
if [ $failed -eq 0 ] && [ ${#patches[@]} -gt 0 ]; then
	git -C "$KSRC" show "$tip:MAINTAINERS" >"$LOGDIR/lint-maintainers"
	if python3 "$TOP/scripts/maintainers-cover.py" "$LOGDIR/lint-maintainers" \
		"${patches[@]/#/$QDIR/}"; then
		echo "ok    every file the series adds is covered by MAINTAINERS"
	else
		echo "FAIL  new files not covered by MAINTAINERS (see above)"
		failed=1
	fi
fi

# checkpatch's SPDX check needs Debian's python3 (ply, git), not another one
# that happens to come first in PATH. UNKNOWN_COMMIT_ID is ignored: the
# trees here are Debian source tarballs without upstream history, so
# checkpatch cannot find the commit any Fixes: tag names and would flag
# every correct one. Those are checked against a kernel git tree instead.
for p in "${patches[@]}"; do
	if (cd "$wt" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict \
		--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID --quiet --color=never \
		"$QDIR/$p") >"$LOGDIR/checkpatch.log" 2>&1; then
		echo "ok    checkpatch --strict $p"
	else
		echo "FAIL  checkpatch --strict $p"
		sed 's/^/      /' "$LOGDIR/checkpatch.log"
		failed=1
	fi
done

"$TOP/scripts/uapi-check.sh" || failed=1

if [ $failed -ne 0 ]; then
	echo "lint ($BASE): FAILED (reproduce: make lint BASE=$BASE)"
	exit 1
fi
say "lint ($BASE): ok"
