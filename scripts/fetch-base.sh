#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Find the pinned tarball of BASE (bases/$BASE.pin): the installed package
# if it is the pinned one, else the pinned .deb, downloaded through a
# private apt source list that only this script uses (the suites the
# system installs its packages from stay as they are). If the archive no
# longer has the pinned version, take the newest one and say so loudly.
#
#   DEBIAN_MIRROR=URL            the Debian archive (default: the machine's)
#   DEBIAN_SECURITY_MIRROR=URL   the security archive (default: the machine's)
#   USE_INSTALLED=0              ignore /usr/src/$TARBALL (test a fresh machine)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=$BASEINFO
DL=$BUILD/dl
USE_INSTALLED=${USE_INSTALLED:-1}
mkdir -p "$OUT" "$DL" "$LOGDIR"
log=$LOGDIR/fetch-base.log

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
	rm -f "$OUT/warning"
	exit 0
fi

installed=/usr/src/$TARBALL
if [ "$USE_INSTALLED" = 1 ] && sha_ok "$installed"; then
	rm -f "$OUT/warning"
	use "$installed" "$VERSION"
	exit 0
fi

# mirror ARCHIVE: the URI the machine's apt sources use for ARCHIVE
# ("debian" or "debian-security"), in deb822 or one-line format.
mirror() {
	local want=$1 override
	case "$want" in
	debian) override=${DEBIAN_MIRROR:-} ;;
	debian-security) override=${DEBIAN_SECURITY_MIRROR:-} ;;
	*) die "bases/$BASE.pin: unknown archive '$want' in APT_SOURCES" ;;
	esac
	if [ -n "$override" ]; then
		echo "$override"
		return
	fi
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n' || true
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break } }' || true
	} | sed 's|/*$||' | awk -v w="$want" '{ n = split($0, p, "/") } p[n] == w && !found { print; found = 1 }'
}

# A private apt configuration: its own source list, package lists and
# cache under build/dl, the system's keyring.
aptdir=$DL/apt-$BASE
apt_private() {
	local tool=$1
	shift
	"$tool" -q -o Dir::Etc::SourceList="$aptdir/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$aptdir/lists" \
		-o Dir::Cache="$aptdir/cache" "$@"
}
private_update() {
	local archive suite comp uri
	mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
	: >"$aptdir/sources.list"
	while read -r archive suite comp; do
		[ -n "$archive" ] || continue
		uri=$(mirror "$archive")
		[ -n "$uri" ] || die "no '$archive' archive in the apt sources of this machine; set DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR"
		echo "deb [arch=$(dpkg --print-architecture) signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite $comp" \
			>>"$aptdir/sources.list"
	done <<<"$APT_SOURCES"
	say "apt-get update of a private source list for $PACKAGE ($(awk '{ printf "%s%s", s, $(NF-1); s = ", " }' "$aptdir/sources.list"))"
	apt_private apt-get update >>"$log" 2>&1 ||
		die "apt-get update of $aptdir/sources.list failed, see $log"
}

# deb_of VERSION: the downloaded .deb of $PACKAGE at VERSION, if any.
deb_of() {
	local d
	for d in "$DL/${PACKAGE}_"*.deb; do
		[ -f "$d" ] && [ "$(dpkg-deb -f "$d" Version)" = "$1" ] && { echo "$d"; return; }
	done
	return 0
}

# download SPEC: apt-get download PACKAGE or PACKAGE=VERSION into build/dl.
download() {
	(cd "$DL" && apt_private apt-get download "$1") >>"$log" 2>&1
}

: >"$log"
debdir=$OUT/deb-$VERSION
if ! sha_ok "$debdir/usr/src/$TARBALL"; then
	deb=$(deb_of "$VERSION")
	if [ -z "$deb" ]; then
		private_update
		say "downloading $PACKAGE=$VERSION"
		download "$PACKAGE=$VERSION" || true
		deb=$(deb_of "$VERSION")
	fi
	if [ -n "$deb" ]; then
		rm -rf "$debdir"
		dpkg-deb -x "$deb" "$debdir"
		sha_ok "$debdir/usr/src/$TARBALL" ||
			die "$PACKAGE $VERSION: the tarball's sha256 does not match bases/$BASE.pin ($deb)"
	fi
fi
if sha_ok "$debdir/usr/src/$TARBALL"; then
	rm -f "$OUT/warning"
	use "$debdir/usr/src/$TARBALL" "$VERSION"
	exit 0
fi

# The pinned version is gone from the archive: the newest one it is.
[ -f "$aptdir/sources.list" ] || private_update
newest=$(apt_private apt-cache show "$PACKAGE" 2>>"$log" | sed -n 's/^Version: //p' |
	sort -V | tail -n1 || true)
[ -n "$newest" ] || die "the archive has no $PACKAGE at all, see $log"
deb=$(deb_of "$newest")
if [ -z "$deb" ]; then
	download "$PACKAGE=$newest" || die "cannot download $PACKAGE=$newest, see $log"
	deb=$(deb_of "$newest")
fi
debdir=$OUT/deb-$newest
rm -rf "$debdir"
dpkg-deb -x "$deb" "$debdir"
[ -f "$debdir/usr/src/$TARBALL" ] || die "$deb has no usr/src/$TARBALL"
use "$debdir/usr/src/$TARBALL" "$newest"
msg="bases/$BASE.pin asks for $PACKAGE $VERSION, which the archive no longer has; USING $newest INSTEAD (unverified sha256 $(sha256sum "$debdir/usr/src/$TARBALL" | cut -d' ' -f1))"
echo "$msg" >"$OUT/warning"
printf '\n!!!!!!!!\n!!! %s\n!!!!!!!!\n\n' "$msg" >&2
