#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Lay out build/$BASE/linux: the pinned base, committed and tagged 'base',
# with the base's queue (patches/$QUEUE) applied on top as commits.
# Refuses to throw away work that is not exported yet unless FORCE=1.
# With --if-missing, only when there is no tree yet.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FORCE=${FORCE:-0}
mkdir -p "$LOGDIR"
if [ "${1:-}" = --if-missing ] && [ -d "$KSRC/.git" ]; then
	exit 0
fi
tarball=$(base_tarball)
version=$(base_version)
base_id="$version $(sha256sum "$tarball" | cut -d' ' -f1)"
q=${QDIR#"$TOP"/}

# Is every commit and change in the tree also in the queue?
tree_is_exported() {
	local tmp rc=0
	[ -z "$(git -C "$KSRC" status --porcelain)" ] || return 1
	tmp=$(mktemp -d)
	"$TOP/scripts/export.sh" "$tmp" >/dev/null 2>&1 || rc=1
	if [ $rc -eq 0 ]; then
		diff -r -q "$tmp" "$QDIR" >/dev/null 2>&1 || rc=1
	fi
	rm -rf "$tmp"
	return $rc
}

reuse=0
if [ -d "$KSRC/.git" ]; then
	if [ "$FORCE" != 1 ] && ! tree_is_exported; then
		cat >&2 <<-MSG
		ERROR: ${KSRC#"$TOP"/} has commits or changes that are not in $q/.
		  keep them:    commit your changes in ${KSRC#"$TOP"/}, then 'make export BASE=$BASE'
		                and commit $q/ in the project repository
		  discard them: make tree BASE=$BASE FORCE=1
		MSG
		exit 1
	fi
	if [ "$(git -C "$KSRC" config harness.base || true)" = "$base_id" ]; then
		reuse=1
	fi
fi

if [ $reuse -eq 1 ]; then
	say "resetting ${KSRC#"$TOP"/} to base"
	git -C "$KSRC" am --abort >/dev/null 2>&1 || true
	git -C "$KSRC" checkout -q -f -B series base
	git -C "$KSRC" clean -fdq
else
	say "extracting $(basename "$tarball") ($version) into ${KSRC#"$TOP"/}"
	rm -rf "$KSRC" "$KSRC.tmp"
	mkdir -p "$KSRC.tmp"
	tar -C "$KSRC.tmp" -xf "$tarball"
	mv "$KSRC.tmp"/* "$KSRC"
	rmdir "$KSRC.tmp"
	say "committing the base (takes about half a minute)"
	git -C "$KSRC" init -q -b series
	# The pristine tarball is the base, including its .gitignore.
	git -C "$KSRC" add -f -A
	stamp=$(stat -c %Y "$KSRC/Makefile")
	GIT_AUTHOR_NAME="Debian $PACKAGE" GIT_AUTHOR_EMAIL="$PACKAGE@packages.debian.org" \
	GIT_COMMITTER_NAME="Debian $PACKAGE" GIT_COMMITTER_EMAIL="$PACKAGE@packages.debian.org" \
	GIT_AUTHOR_DATE="@$stamp +0000" GIT_COMMITTER_DATE="@$stamp +0000" \
		git -C "$KSRC" commit -q --no-verify \
		-m "$PACKAGE $version" \
		-m "Extracted from $(basename "$tarball"), sha256 ${base_id#* }."
	git -C "$KSRC" tag base
	git -C "$KSRC" config harness.base "$base_id"
	# Debian's .gitignore ends by ignoring every top-level entry, which
	# would hide new files from 'git status'. Drop that rule from the
	# working copy only and tell git to leave the file alone, so the base
	# stays byte-identical to the tarball and no patch touches .gitignore.
	sed -i -e '/^# Debian packaging/,$d' "$KSRC/.gitignore"
	git -C "$KSRC" update-index --skip-worktree .gitignore
fi

# Commits are made with the project's identity.
for k in user.name user.email; do
	v=$(git -C "$TOP" config "$k" || true)
	[ -z "$v" ] || git -C "$KSRC" config "$k" "$v"
done

n=0
while read -r p; do
	[ -f "$QDIR/$p" ] || die "$q/series names $p, which does not exist"
	if ! git -C "$KSRC" am -q --keep-cr "$QDIR/$p" >"$LOGDIR/tree-am.log" 2>&1; then
		git -C "$KSRC" am --abort >/dev/null 2>&1 || true
		cat "$LOGDIR/tree-am.log" >&2
		die "$q/$p does not apply (tree left at the patch before it)"
	fi
	n=$((n + 1))
done < <(series_patches)
say "${KSRC#"$TOP"/}: $PACKAGE $version + $n patch(es) of $q applied"
