#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# QEMU with the QEMU patch queue (patches/qemu/), and stock QEMU beside it.
#
#   qemu.sh setup    install what the build needs; download the pinned qemu
#                    source package (qemu/qemu.pin) and meson from
#                    bookworm-backports, through private apt/HTTP downloads
#   qemu.sh tree     build/qemu/src = the Debian source (its patches
#                    applied), committed and tagged 'base', plus
#                    patches/qemu/*.patch as commits (FORCE=1 to discard
#                    work in an existing tree)
#   qemu.sh build    static QEMU for each arch of QEMU_ARCHES (default
#                    x86_64), KVM only: stock (tag 'base', a worktree in
#                    build/qemu/stock/src) in build/qemu/stock/build-ARCH,
#                    patched (HEAD of build/qemu/src, linked with clockmig/)
#                    in build/qemu/build-ARCH; binaries in build/qemu/bin/.
#                    x86_64: the microvm machine. aarch64 (cross-built,
#                    arm64 libraries unpacked into build/qemu/sysroot-aarch64):
#                    the virt machine
#   qemu.sh export   write base..HEAD of build/qemu/src into patches/qemu/
#   qemu.sh lint     QEMU's scripts/checkpatch.pl on every patch of the queue
#
# The binaries are statically linked so that they run inside the test VM's
# initramfs: the system emulators of QEMU_ARCHES, KVM accelerator only,
# one machine each and the devices it selects.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# shellcheck source=../qemu/qemu.pin
. "$TOP/qemu/qemu.pin"
QBUILD=$BUILD/qemu
QSRC=$QBUILD/src
QQUEUE=$TOP/patches/qemu
QLOG=$QBUILD/logs
DL=$BUILD/dl
MESON_DIR=$QBUILD/meson
QEMU_ARCHES=${QEMU_ARCHES:-x86_64}
SYSROOT_A64=$QBUILD/sysroot-aarch64
XBIN=$QBUILD/xbin
mkdir -p "$QBUILD" "$QLOG" "$DL"
for a in $QEMU_ARCHES; do
	case $a in x86_64 | aarch64) ;; *) die "QEMU_ARCHES: x86_64 and/or aarch64, not $a" ;; esac
done
want_arch() { [[ " $QEMU_ARCHES " == *" $1 "* ]]; }

PACKAGES=(ninja-build pkg-config libglib2.0-dev libpcre2-dev libffi-dev zlib1g-dev
	libfdt-dev python3-venv python3-setuptools dpkg-dev seabios qemu-system-data)
! want_arch aarch64 || PACKAGES+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
# The arm64 libraries a static qemu-system-aarch64 links, unpacked into a
# private sysroot rather than installed: libfdt-dev is not Multi-Arch.
A64_DEBS=(libglib2.0-dev libglib2.0-0 libpcre2-dev libpcre2-8-0 libffi-dev libffi8
	zlib1g-dev zlib1g libfdt-dev libfdt1 libmount-dev libblkid-dev libselinux1-dev
	libsepol-dev)

mirror_url() {
	local m=${DEBIAN_MIRROR:-}
	if [ -z "$m" ]; then
		m=$({ cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
			awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) { print $i; break } }' \
				/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null; } |
			sed 's|/*$||' | grep -E '/debian$' | head -n1 || true)
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

sha_ok() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

fetch() {
	local f=$1 sha=$2 url
	sha_ok "$DL/$f" "$sha" && return 0
	url=$(mirror_url)/$QEMU_POOL/$f
	say "downloading $f"
	curl -fsS -o "$DL/$f.part" "$url" || die "could not download $url"
	sha_ok "$DL/$f.part" "$sha" || die "$f does not match its SHA-256 in qemu/qemu.pin"
	mv "$DL/$f.part" "$DL/$f"
}

do_setup() {
	local missing=() p aptdir=$DL/apt-meson
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing: ${missing[*]}"
		apt-get update -q >"$QLOG/apt-update.log" 2>&1 || die "apt-get update failed, see $QLOG/apt-update.log"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			"${missing[@]}" >"$QLOG/apt-install.log" 2>&1 ||
			die "apt-get install failed, see $QLOG/apt-install.log"
	fi
	fetch "$QEMU_DSC" "$QEMU_DSC_SHA256"
	fetch "$QEMU_ORIG" "$QEMU_ORIG_SHA256"
	fetch "$QEMU_DEBIAN" "$QEMU_DEBIAN_SHA256"
	# meson from $MESON_SUITE, unpacked privately (the system's meson stays).
	if [ ! -f "$MESON_DIR/usr/lib/python3/dist-packages/mesonbuild/__init__.py" ]; then
		mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
		echo "deb $(mirror_url) $MESON_SUITE main" >"$aptdir/sources.list"
		local apt=(apt-get -q -o Dir::Etc::SourceList="$aptdir/sources.list"
			-o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$aptdir/lists"
			-o Dir::Cache="$aptdir/cache")
		say "downloading meson from $MESON_SUITE"
		"${apt[@]}" update >"$QLOG/meson-apt.log" 2>&1 || die "apt-get update ($MESON_SUITE) failed, see $QLOG/meson-apt.log"
		rm -f "$aptdir"/meson_*.deb
		(cd "$aptdir" && "${apt[@]}" download meson) >>"$QLOG/meson-apt.log" 2>&1 ||
			die "could not download meson from $MESON_SUITE, see $QLOG/meson-apt.log"
		rm -rf "$MESON_DIR"
		dpkg-deb -x "$aptdir"/meson_*.deb "$MESON_DIR"
	fi
	! want_arch aarch64 || setup_sysroot_a64
}

# The arm64 sysroot for cross-building, and a pkg-config that looks there.
setup_sysroot_a64() {
	local d=$DL/arm64-debs id
	id=$(printf '%s:arm64\n' "${A64_DEBS[@]}" | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$SYSROOT_A64/.harness-debs" 2>/dev/null)" != "$id" ]; then
		if ! dpkg --print-foreign-architectures | grep -qx arm64; then
			dpkg --add-architecture arm64
			apt-get update -q >"$QLOG/apt-update-arm64.log" 2>&1 ||
				die "apt-get update (arm64) failed, see $QLOG/apt-update-arm64.log"
		fi
		say "downloading the arm64 libraries for qemu-system-aarch64"
		rm -rf "$d" "$SYSROOT_A64"
		mkdir -p "$d" "$SYSROOT_A64"
		# apt's sandbox user cannot write into build/: download as root.
		(cd "$d" && apt-get -q -o APT::Sandbox::User=root download \
			"${A64_DEBS[@]/%/:arm64}") >"$QLOG/arm64-debs.log" 2>&1 ||
			die "could not download the arm64 libraries, see $QLOG/arm64-debs.log"
		for f in "$d"/*.deb; do
			dpkg-deb -x "$f" "$SYSROOT_A64"
		done
		echo "$id" >"$SYSROOT_A64/.harness-debs"
	fi
	mkdir -p "$XBIN"
	cat >"$XBIN/aarch64-linux-gnu-pkg-config" <<-EOF
	#!/bin/sh
	PKG_CONFIG_SYSROOT_DIR=$SYSROOT_A64 \\
	PKG_CONFIG_LIBDIR=$SYSROOT_A64/usr/lib/aarch64-linux-gnu/pkgconfig:$SYSROOT_A64/usr/share/pkgconfig \\
		exec pkg-config "\$@"
	EOF
	chmod +x "$XBIN/aarch64-linux-gnu-pkg-config"
}

meson_env() {
	export PYTHONPATH=$MESON_DIR/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}
	export PATH=$MESON_DIR/usr/bin:$PATH
}

gitq() { git -C "$QSRC" "$@"; }

# The queue's fingerprint: make qemu applies it again when it changed.
queue_id() { cat "$QQUEUE"/[0-9]*.patch 2>/dev/null | sha256sum | cut -d' ' -f1; }

do_tree() {
	local name email
	# The project's identity where git has one; the base commit and git am
	# need some committer on a machine without.
	name=$(git -C "$TOP" config user.name || echo harness)
	email=$(git -C "$TOP" config user.email || echo harness@localhost)
	if [ -d "$QSRC/.git" ]; then
		if [ "${FORCE:-0}" != 1 ]; then
			if [ -n "$(gitq status --porcelain)" ] ||
			   [ "$(gitq rev-list --count base..HEAD)" != "$(ls "$QQUEUE"/[0-9]*.patch 2>/dev/null | grep -vc /0000-)" ]; then
				die "$QSRC has work that is not in patches/qemu (export it, or FORCE=1 to discard it)"
			fi
		fi
		gitq am --abort >/dev/null 2>&1 || true
		gitq checkout -q -f master
		gitq reset -q --hard base
		gitq clean -q -fdx
	else
		rm -rf "$QSRC" "$QSRC.tmp"
		say "extracting $QEMU_DSC (dpkg-source -x, Debian's patches applied)"
		dpkg-source --no-check -x "$DL/$QEMU_DSC" "$QSRC.tmp" >"$QLOG/dpkg-source.log" 2>&1 ||
			die "dpkg-source failed, see $QLOG/dpkg-source.log"
		rm -rf "$QSRC.tmp/.pc"
		mv "$QSRC.tmp" "$QSRC"
		gitq init -q -b master
		gitq add -A -f .
		gitq -c user.name="$name" -c user.email="$email" commit -q \
			-m "qemu $QEMU_VERSION: Debian's source package, its patches applied"
		gitq tag base
	fi
	gitq config user.name "$name"
	gitq config user.email "$email"
	# The devices file of our build: untracked, never exported.
	grep -qx '/configs/devices/\*/clockmig.mak' "$QSRC/.git/info/exclude" 2>/dev/null ||
		echo '/configs/devices/*/clockmig.mak' >>"$QSRC/.git/info/exclude"
	local p n=0
	for p in "$QQUEUE"/[0-9]*.patch; do
		[ -e "$p" ] || continue
		case "$p" in */0000-*) continue ;; esac
		gitq am -q --keep-cr "$p" >"$QLOG/am.log" 2>&1 ||
			die "patches/qemu/$(basename "$p") does not apply, see $QLOG/am.log"
		n=$((n + 1))
	done
	queue_id >"$QSRC/.git/harness-queue"
	say "build/qemu/src: qemu $QEMU_VERSION + $n patch(es) of patches/qemu"
}

# The clockmig library, static, for the patched QEMU (pkg-config 'clockmig').
# aarch64: built with the cross compiler and installed into the sysroot
# (/usr), since the pkg-config wrapper prefixes every path with it.
build_clockmig() {
	local arch=$1 out=$QBUILD/clockmig-$1 cc=gcc prefix f
	prefix=$out
	if [ "$arch" = aarch64 ]; then
		cc=aarch64-linux-gnu-gcc
		prefix=/usr
	fi
	rm -rf "$out"
	mkdir -p "$out/obj" "$out/include" "$out/lib/pkgconfig"
	for f in "$TOP"/clockmig/*.c; do
		$cc -O2 -g -Wall -Wextra -Werror -fPIE -I"$TOP/clockmig" -c "$f" \
			-o "$out/obj/$(basename "$f" .c).o"
	done
	ar rcs "$out/lib/libclockmig.a" "$out"/obj/*.o
	cp "$TOP/clockmig/clockmig.h" "$out/include/"
	cat >"$out/lib/pkgconfig/clockmig.pc" <<-EOF
	prefix=$prefix
	Name: clockmig
	Description: KVM guest clock migration (clockmig/ of the KVM clock migration series)
	Version: $(sed -n 's/^#define CLOCKMIG_WIRE_VERSION[[:space:]]*//p' "$TOP/clockmig/clockmig.h")
	Libs: -L\${prefix}/lib -lclockmig
	Cflags: -I\${prefix}/include
	EOF
	if [ "$arch" = aarch64 ]; then
		sed -i 's|^Libs: .*|Libs: -L${prefix}/lib/aarch64-linux-gnu -lclockmig|' \
			"$out/lib/pkgconfig/clockmig.pc"
		cp "$out/lib/libclockmig.a" "$SYSROOT_A64/usr/lib/aarch64-linux-gnu/"
		cp "$out/include/clockmig.h" "$SYSROOT_A64/usr/include/"
		cp "$out/lib/pkgconfig/clockmig.pc" "$SYSROOT_A64/usr/lib/aarch64-linux-gnu/pkgconfig/"
	fi
}

# build_one NAME ARCH TOP EXTRA-CONFIGURE-ARGS...: the source in TOP/src,
# the build in TOP/build-ARCH. Both builds of an arch see the same
# relative paths (../src), so that ccache serves the patched build every
# object the patches do not change (CCACHE_BASEDIR=TOP, the directory not
# hashed).
build_one() {
	local name=$1 arch=$2 top=$3 src=$3/src out=$3/build-$2 log=$QLOG/build-$1-$2.log id
	shift 3
	local args=(--static --without-default-features --without-default-devices
		"--with-devices-$arch=clockmig" --enable-kvm --disable-tcg --disable-download
		--disable-docs --disable-install-blobs --enable-fdt=system --audio-drv-list=
		--host-cc="ccache gcc" "$@")
	local devs=$src/configs/devices/$arch-softmmu/clockmig.mak
	case $arch in
	x86_64)
		args+=(--target-list=x86_64-softmmu --cc="ccache gcc")
		echo 'CONFIG_MICROVM=y' >"$devs"
		;;
	aarch64)
		# The cross compiler ignores LIBRARY_PATH: -B makes meson's
		# find_library() see the sysroot's libfdt.a.
		args+=(--target-list=aarch64-softmmu --cross-prefix=aarch64-linux-gnu-
			--cc="ccache aarch64-linux-gnu-gcc -B$SYSROOT_A64/usr/lib/aarch64-linux-gnu/"
			--extra-cflags="-I$SYSROOT_A64/usr/include -I$SYSROOT_A64/usr/include/aarch64-linux-gnu"
			--extra-ldflags="-L$SYSROOT_A64/usr/lib/aarch64-linux-gnu")
		# hw/arm/Kconfig: ARM_VIRT selects ACPI_CXL, whose code needs
		# CXL (which depends on PXB), the CXL type 3 device and the PCIe
		# root port cxl-rp derives from; a --without-default-devices
		# build has none of them otherwise and fails to link or start.
		printf '%s\n' CONFIG_ARM_VIRT=y CONFIG_PXB=y CONFIG_CXL=y \
			CONFIG_CXL_MEM_DEVICE=y CONFIG_PCIE_PORT=y >"$devs"
		;;
	esac
	id=$(printf '%s\n' "${args[@]}" "$(git -C "$src" rev-parse HEAD)" "$(cat "$devs")" |
		sha256sum | cut -d' ' -f1)
	if [ ! -f "$out/build.ninja" ] || [ "$(cat "$out/.harness-config" 2>/dev/null)" != "$id" ]; then
		rm -rf "$out"
		mkdir -p "$out"
		say "configuring $name QEMU for $arch (log: ${log#"$TOP"/})"
		(cd "$out" && CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1 ../src/configure "${args[@]}") >"$log" 2>&1 ||
			die "configure of $name QEMU ($arch) failed, see $log"
		echo "$id" >"$out/.harness-config"
	fi
	say "building $name QEMU for $arch"
	CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1 ninja -C "$out" -j"$(nproc)" "qemu-system-$arch" >>"$log" 2>&1 ||
		die "build of $name QEMU ($arch) failed, see $log"
	file -L "$out/qemu-system-$arch" | grep -q -E 'statically linked|static-pie linked' ||
		die "$out/qemu-system-$arch is not statically linked"
	mkdir -p "$QBUILD/bin"
	cp "$out/qemu-system-$arch" "$QBUILD/bin/qemu-system-$arch-$name"
}

do_build() {
	[ -d "$QSRC/.git" ] || die "no QEMU tree: run 'make qemu' (or scripts/qemu.sh tree)"
	meson_env
	! want_arch aarch64 || export PATH=$XBIN:$PATH
	# Stock QEMU: a worktree of the tree at 'base'.
	if [ ! -e "$QBUILD/stock/src/.git" ]; then
		rm -rf "$QBUILD/stock/src"
		mkdir -p "$QBUILD/stock"
		gitq worktree prune
		gitq worktree add -q --detach "$QBUILD/stock/src" base
	else
		git -C "$QBUILD/stock/src" checkout -q -f --detach base
	fi
	local arch
	for arch in $QEMU_ARCHES; do
		build_one stock "$arch" "$QBUILD/stock"
	done
	[ "${QEMU_STOCK_ONLY:-0}" = 0 ] || return 0
	for arch in $QEMU_ARCHES; do
		build_clockmig "$arch"
		PKG_CONFIG_PATH=$QBUILD/clockmig-$arch/lib/pkgconfig \
			build_one patched "$arch" "$QBUILD" --enable-clockmig
	done
	say "QEMU binaries: $(cd "$QBUILD/bin" && ls qemu-system-* | tr '\n' ' ')(build/qemu/bin)"
}

do_export() {
	[ -d "$QSRC/.git" ] || die "no QEMU tree at $QSRC"
	local tmp cover=$QQUEUE/0000-cover-letter.patch body subject n
	[ -z "$(gitq status --porcelain)" ] || warn "uncommitted changes in build/qemu/src are not exported"
	tmp=$(mktemp -d)
	n=$(gitq rev-list --count base..HEAD)
	gitq -c core.abbrev=12 format-patch -q --zero-commit --no-signature --numbered \
		--subject-prefix=PATCH -o "$tmp" base..HEAD
	subject="kvm: migrate guest clocks exactly (TSC and kvmclock)"
	body=
	if [ -f "$cover" ]; then
		subject=$(sed -n 's/^Subject: \[[^]]*\] //p' "$cover" | head -n1)
		body=$(awk '!hdr { if (/^$/) hdr = 1; next } /^Based on Debian.s /{ exit } { print }' "$cover")
	fi
	mkdir -p "$QQUEUE"
	rm -f "$QQUEUE"/[0-9]*.patch
	{
		echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
		echo "From: $(git -C "$TOP" config user.name || echo Unknown) <$(git -C "$TOP" config user.email || echo unknown@localhost)>"
		echo "Date: $(gitq log -1 --format=%aD HEAD)"
		echo "Subject: [PATCH 0/$n] $subject"
		echo
		[ -z "$body" ] || printf '%s\n\n' "$body"
		echo "Based on Debian's qemu $QEMU_VERSION (qemu/qemu.pin), Debian's patches applied."
		echo
		gitq shortlog base..HEAD
		gitq diff --stat base..HEAD
	} >"$cover"
	cp "$tmp"/*.patch "$QQUEUE/"
	rm -rf "$tmp"
	say "exported $n patch(es) to patches/qemu/"
}

do_lint() {
	[ -d "$QSRC/.git" ] || die "no QEMU tree: run 'make qemu'"
	local p rc=0 out from
	for p in "$QQUEUE"/[0-9]*.patch; do
		case "$p" in */0000-*) continue ;; esac
		out=$(cd "$QSRC" && ./scripts/checkpatch.pl --no-color "$p" 2>&1) || rc=1
		if ! grep -q '^total: 0 errors, 0 warnings' <<<"$out"; then
			echo "$out" | sed "s|^|$(basename "$p"): |"
			rc=1
		fi
		# Signed off by its author (the From: line), as the DCO wants.
		from=$(git mailinfo /dev/null /dev/null <"$p" |
			awk -F': ' '$1 == "Author" { a = $2 } $1 == "Email" { e = $2 } END { print a " <" e ">" }')
		grep -qxF "Signed-off-by: $from" "$p" ||
			{ echo "$(basename "$p"): no Signed-off-by from its author ($from)"; rc=1; }
	done
	[ "$rc" -eq 0 ] && say "patches/qemu: QEMU's checkpatch.pl clean, signed off"
	return "$rc"
}

case "${1:-}" in
setup) do_setup ;;
tree) do_setup; do_tree ;;
build) do_build ;;
export) do_export ;;
lint) do_lint ;;
all)
	do_setup
	# A missing tree, or one made from another queue (the guard in
	# do_tree keeps unexported work unless FORCE=1).
	if [ ! -d "$QSRC/.git" ] || [ "${FORCE:-0}" = 1 ] ||
	   [ "$(cat "$QSRC/.git/harness-queue" 2>/dev/null)" != "$(queue_id)" ]; then
		do_tree
	fi
	do_build
	;;
*) die "usage: qemu.sh setup|tree|build|export|lint|all" ;;
esac
