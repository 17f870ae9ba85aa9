#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the harness needs (Debian packages, arm64 busybox, the pinned
# kernel source of every base in BASES). Idempotent and quick when
# everything is there already.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PACKAGES=(
	build-essential bc bison flex libelf-dev libssl-dev kmod cpio xz-utils
	perl python3 python3-ply python3-git git rsync ccache file sparse
	gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu libc6-dev-arm64-cross
	qemu-system-x86 qemu-system-arm busybox-static gnuplot-nox
	libc6-dev-i386 python3-sphinx python3-yaml gdb
)
# libc6-dev-i386: the 32-bit libc headers for the uAPI check's -m32
# compile (gcc-multilib itself conflicts with the arm64 cross compiler).
# python3-sphinx, python3-yaml: make docs (htmldocs; Documentation/sphinx/
# requirements.txt: Sphinx, its alabaster theme, pyyaml).
# gdb: make bench single-steps two ioctls through QEMU's gdbstub.
BASES=${BASES:-$BASES_ALL}
LOGDIR=$BUILD/logs

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	say "apt-get update"
	apt-get update -q >"$LOGDIR/apt-update.log" 2>&1 ||
		die "apt-get update failed, see $LOGDIR/apt-update.log"
	apt_updated=1
}

mkdir -p "$LOGDIR"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
	apt-get() { sudo apt-get "$@"; }
	dpkg() { sudo dpkg "$@"; }
fi

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	say "installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >"$LOGDIR/apt-install.log" 2>&1 ||
		die "apt-get install failed, see $LOGDIR/apt-install.log"
fi

# Static busybox for the arm64 initramfs, from Debian's arm64 archive.
BB_ARM64=$BUILD/busybox-arm64/bin/busybox
if [ ! -x "$BB_ARM64" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
		apt_updated=
	fi
	apt_update
	mkdir -p "$BUILD/dl"
	rm -f "$BUILD"/dl/busybox-static_*_arm64.deb
	(cd "$BUILD/dl" && apt-get download -q busybox-static:arm64) \
		>"$LOGDIR/busybox-arm64.log" 2>&1 ||
		die "could not download busybox-static:arm64, see $LOGDIR/busybox-arm64.log"
	rm -rf "$BUILD/busybox-arm64"
	dpkg-deb -x "$BUILD"/dl/busybox-static_*_arm64.deb "$BUILD/busybox-arm64"
fi

for b in $BASES; do
	BASE=$b "$TOP/scripts/fetch-base.sh"
done
