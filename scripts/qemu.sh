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
#   qemu.sh build    static x86_64 QEMU, KVM only, microvm: stock (tag
#                    'base', a worktree in build/qemu/stock/src) in
#                    build/qemu/stock/build-x86_64, patched (HEAD of
#                    build/qemu/src, linked with clockmig/) in
#                    build/qemu/build-x86_64; binaries in build/qemu/bin/
#   qemu.sh export   write base..HEAD of build/qemu/src into patches/qemu/
#   qemu.sh lint     QEMU's scripts/checkpatch.pl on every patch of the queue
#
# The binaries are statically linked so that they run inside the test VM's
# initramfs. Only the x86_64 system emulator is built (KVM accelerator,
# the microvm machine and the devices it selects).
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
mkdir -p "$QBUILD" "$QLOG" "$DL"

PACKAGES=(ninja-build pkg-config libglib2.0-dev libpcre2-dev libffi-dev zlib1g-dev
	libfdt-dev python3-venv python3-setuptools dpkg-dev seabios qemu-system-data)

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
build_clockmig() {
	local out=$QBUILD/clockmig-x86_64 f
	rm -rf "$out"
	mkdir -p "$out/obj" "$out/include" "$out/lib/pkgconfig"
	for f in "$TOP"/clockmig/*.c; do
		gcc -O2 -g -Wall -Wextra -fPIE -I"$TOP/clockmig" -c "$f" \
			-o "$out/obj/$(basename "$f" .c).o"
	done
	ar rcs "$out/lib/libclockmig.a" "$out"/obj/*.o
	cp "$TOP/clockmig/clockmig.h" "$out/include/"
	cat >"$out/lib/pkgconfig/clockmig.pc" <<-EOF
	prefix=$out
	Name: clockmig
	Description: KVM guest clock migration (clockmig/ of the KVM clock migration series)
	Version: $(sed -n 's/^#define CLOCKMIG_WIRE_VERSION[[:space:]]*//p' "$TOP/clockmig/clockmig.h")
	Libs: -L\${prefix}/lib -lclockmig
	Cflags: -I\${prefix}/include
	EOF
}

# build_one NAME TOP EXTRA-CONFIGURE-ARGS...: the source in TOP/src, the
# build in TOP/build-x86_64. Both builds see the same relative paths
# (../src), so that ccache serves the patched build every object the
# patches do not change (CCACHE_BASEDIR=TOP, the directory not hashed).
build_one() {
	local name=$1 top=$2 src=$2/src out=$2/build-x86_64 log=$QLOG/build-$1.log id
	shift 2
	local args=(--target-list=x86_64-softmmu --static --without-default-features
		--without-default-devices --with-devices-x86_64=clockmig
		--enable-kvm --disable-tcg --disable-download --disable-docs
		--disable-install-blobs --enable-fdt=system --audio-drv-list=
		--cc="ccache gcc" --host-cc="ccache gcc" "$@")
	echo 'CONFIG_MICROVM=y' >"$src/configs/devices/x86_64-softmmu/clockmig.mak"
	id=$(printf '%s\n' "${args[@]}" "$(git -C "$src" rev-parse HEAD)" | sha256sum | cut -d' ' -f1)
	if [ ! -f "$out/build.ninja" ] || [ "$(cat "$out/.harness-config" 2>/dev/null)" != "$id" ]; then
		rm -rf "$out"
		mkdir -p "$out"
		say "configuring $name QEMU (log: ${log#"$TOP"/})"
		(cd "$out" && CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1 ../src/configure "${args[@]}") >"$log" 2>&1 ||
			die "configure of $name QEMU failed, see $log"
		echo "$id" >"$out/.harness-config"
	fi
	say "building $name QEMU"
	CCACHE_BASEDIR=$top CCACHE_NOHASHDIR=1 ninja -C "$out" -j"$(nproc)" qemu-system-x86_64 >>"$log" 2>&1 ||
		die "build of $name QEMU failed, see $log"
	mkdir -p "$QBUILD/bin"
	cp "$out/qemu-system-x86_64" "$QBUILD/bin/qemu-system-x86_64-$name"
}

do_build() {
	[ -d "$QSRC/.git" ] || die "no QEMU tree: run 'make qemu' (or scripts/qemu.sh tree)"
	meson_env
	# Stock QEMU: a worktree of the tree at 'base'.
	if [ ! -e "$QBUILD/stock/src/.git" ]; then
		rm -rf "$QBUILD/stock/src"
		mkdir -p "$QBUILD/stock"
		gitq worktree prune
		gitq worktree add -q --detach "$QBUILD/stock/src" base
	else
		git -C "$QBUILD/stock/src" checkout -q -f --detach base
	fi
	build_one stock "$QBUILD/stock"
	[ "${QEMU_STOCK_ONLY:-0}" = 0 ] || return 0
	build_clockmig
	PKG_CONFIG_PATH=$QBUILD/clockmig-x86_64/lib/pkgconfig \
		build_one patched "$QBUILD" --enable-clockmig
	local f
	for f in stock patched; do
		file -L "$QBUILD/bin/qemu-system-x86_64-$f" | grep -q -E 'statically linked|static-pie linked' ||
			die "$QBUILD/bin/qemu-system-x86_64-$f is not statically linked"
	done
	say "QEMU binaries: build/qemu/bin/qemu-system-x86_64-{stock,patched}"
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
