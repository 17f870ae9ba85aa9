#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Write base..HEAD of build/$BASE/linux as the base's queue: series, the
# cover letter and one git-format-patch file per commit. Deterministic:
# the same commits always give byte-identical files.
#
# usage: export.sh [OUTDIR]     (default: patches/$QUEUE/)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=${1:-$QDIR}
COVER_IN=$QDIR/0000-cover-letter.patch

[ -d "$KSRC/.git" ] || die "no kernel tree at $KSRC: run 'make tree' first"
git -C "$KSRC" rev-parse -q --verify base >/dev/null || die "$KSRC has no 'base' tag"

kgit() { git -C "$KSRC" -c core.abbrev=12 -c diff.noprefix=false \
	-c diff.mnemonicPrefix=false -c diff.renames=true "$@"; }

if [ "$OUT" = "$QDIR" ] && [ -n "$(kgit status --porcelain)" ]; then
	warn "uncommitted changes in ${KSRC#"$TOP"/} are not exported (commit them first)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"

n=$(kgit rev-list --count base..HEAD)
if [ "$n" -gt 0 ]; then
	kgit format-patch -q --zero-commit --no-signature --numbered \
		--subject-prefix=PATCH -o "$tmp/out" base..HEAD
fi

# Cover letter: subject and body are kept from the existing one (edit them
# in patches/$QUEUE/0000-cover-letter.patch); the rest is regenerated.
subject="KVM: precise, idempotent guest clock migration"
body=
date=
if [ -f "$COVER_IN" ]; then
	subject=$(awk '
		/^Subject: / { s = substr($0, 10); insub = 1; next }
		insub && /^[ \t]/ { sub(/^[ \t]+/, " "); s = s $0; next }
		{ insub = 0 }
		/^$/ { exit }
		END { sub(/^\[[^]]*\] */, "", s); print s }' "$COVER_IN")
	body=$(awk '
		!hdr { if (/^$/) hdr = 1; next }
		/^Based on Debian.s / { exit }
		{ print }' "$COVER_IN")
	date=$(sed -n 's/^Date: //p' "$COVER_IN" | head -n1)
fi
if [ "$n" -gt 0 ]; then
	date=$(kgit log -1 --format=%aD HEAD)
fi
[ -n "$date" ] || date="Thu, 1 Jan 2026 00:00:00 +0000"
name=$(git -C "$TOP" config user.name || echo "Unknown")
email=$(git -C "$TOP" config user.email || echo "unknown@localhost")
{
	echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
	echo "From: $name <$email>"
	echo "Date: $date"
	echo "Subject: [PATCH 0/$n] $subject"
	echo
	printf '%s\n' "$body"
	echo
	echo "Based on Debian's $PACKAGE $(base_version)."
	if [ "$n" -gt 0 ]; then
		echo
		kgit shortlog base..HEAD
		kgit diff --stat=72 --summary base HEAD
	fi
} >"$tmp/out/0000-cover-letter.patch"

{
	echo "# Applied in this order on top of the base in bases/$BASE.pin."
	echo "# 0000-cover-letter.patch describes the series and is not applied."
	(cd "$tmp/out" && ls -1 -- *.patch | grep -v '^0000-cover-letter.patch$' || true)
} >"$tmp/out/series"

mkdir -p "$OUT"
rm -f "$OUT"/*.patch "$OUT/series"
cp "$tmp/out/"* "$OUT/"
if [ "$OUT" = "$QDIR" ]; then
	say "exported $n patch(es) and the cover letter to ${QDIR#"$TOP"/}/"
fi
