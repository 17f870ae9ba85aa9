#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Find the pinned base tarball (base.pin): the installed package if it is the
# pinned one, else the pinned .deb from the archive. If the archive no longer
# has the pinned version, take the newest one and say so loudly.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=$BUILD/base
mkdir -p "$OUT" "$LOGDIR"

sha_ok() {
	[ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]
}

use() {
	echo "$1" >"$OUT/tarball-path"
	echo "$2" >"$OUT/version"
}

# Fast path: resolved before and unchanged.
if [ -f "$OUT/tarball-path" ] && [ "$(cat "$OUT/version" 2>/dev/null)" = "$VERSION" ] &&
   sha_ok "$(cat "$OUT/tarball-path")"; then
	exit 0
fi

installed=/usr/src/$TARBALL
if sha_ok "$installed"; then
	use "$installed" "$VERSION"
	exit 0
fi

debdir=$OUT/deb-$VERSION
if ! sha_ok "$debdir/usr/src/$TARBALL"; then
	say "fetching $PACKAGE=$VERSION from the Debian archive"
	mkdir -p "$BUILD/dl"
	rm -f "$BUILD/dl/${PACKAGE}_"*.deb
	if ! (cd "$BUILD/dl" && apt-get download -q "$PACKAGE=$VERSION") \
		>"$LOGDIR/fetch-base.log" 2>&1; then
		apt-get update -q >>"$LOGDIR/fetch-base.log" 2>&1 || true
		(cd "$BUILD/dl" && apt-get download -q "$PACKAGE=$VERSION") \
			>>"$LOGDIR/fetch-base.log" 2>&1 || true
	fi
	deb=$(ls "$BUILD/dl/${PACKAGE}_"*.deb 2>/dev/null | head -n1 || true)
	if [ -n "$deb" ]; then
		rm -rf "$debdir"
		dpkg-deb -x "$deb" "$debdir"
		sha_ok "$debdir/usr/src/$TARBALL" ||
			die "$PACKAGE $VERSION: tarball sha256 does not match base.pin"
	fi
fi
if sha_ok "$debdir/usr/src/$TARBALL"; then
	rm -f "$OUT/warning"
	use "$debdir/usr/src/$TARBALL" "$VERSION"
	exit 0
fi

# The pinned version is gone from the archive: newest 6.12 it is.
(cd "$BUILD/dl" && apt-get download -q "$PACKAGE") >>"$LOGDIR/fetch-base.log" 2>&1 ||
	die "cannot download $PACKAGE at all, see $LOGDIR/fetch-base.log"
deb=$(ls -t "$BUILD/dl/${PACKAGE}_"*.deb | head -n1)
newest=$(dpkg-deb -f "$deb" Version)
debdir=$OUT/deb-$newest
rm -rf "$debdir"
dpkg-deb -x "$deb" "$debdir"
use "$debdir/usr/src/$TARBALL" "$newest"
msg="base.pin asks for $PACKAGE $VERSION, which the archive no longer has; USING $newest INSTEAD (unverified sha256 $(sha256sum "$debdir/usr/src/$TARBALL" | cut -d' ' -f1))"
echo "$msg" >"$OUT/warning"
printf '\n!!!!!!!!\n!!! %s\n!!!!!!!!\n\n' "$msg" >&2
