#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the patched kernel of BASE for ARCH out of tree in
# build/$BASE/kernel-$ARCH, from tinyconfig plus configs/common.config,
# configs/$ARCH.config and the lines of configs/$ARCH.series.config whose
# option the tree defines (the series' own options), with ccache; install its uAPI headers into
# build/$BASE/headers-$ARCH. CONFIG_ONLY=1 stops after writing the .config;
# KTARGET=vmlinux builds only that (no image, no headers). GUEST=1 builds
# the L2 guest kernel of the QEMU end-to-end test instead: tinyconfig plus
# configs/$ARCH.guest.config only, in build/$BASE/guest-$ARCH, no headers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch_setup

unpatched_tree
[ -e "$KSRC/.git" ] || die "no kernel tree: run 'make tree BASE=$BASE' first"
REPRO=${REPRO:-make kernel BASE=$BASE ARCH=$ARCH${UNPATCHED:+ UNPATCHED=$UNPATCHED}${DEBUG:+ DEBUG=$DEBUG}}
KTARGET=${KTARGET:-$(basename "$KIMAGE")}
mkdir -p "$KOBJ" "$LOGDIR"
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# kbuild passes absolute paths when the object directory is outside the
# source tree; make them relative in ccache's keys so that other checkouts
# (another base's build/$BASE/kernel-$ARCH, a scratch worktree, a fresh
# clone) hit the same cache entries. The kernel strips the source path from
# __FILE__ itself.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD}
KMAKE=(make -C "$KSRC" O="$KOBJ" ARCH="$KARCH" CROSS_COMPILE="$CROSS"
	CC="ccache ${CROSS}gcc" HOSTCC="ccache gcc" -j"$JOBS")
FRAGMENTS=("$TOP/configs/common.config" "$TOP/configs/$ARCH.config")
if [ "${GUEST:-0}" = 1 ]; then
	KOBJ=$BDIR/guest-$ARCH
	DBG=-guest
	BUILD_WHAT=${BUILD_WHAT:-L2 guest}
	REPRO="make qemu-e2e BASE=$BASE ARCH=$ARCH"
	KMAKE=(make -C "$KSRC" O="$KOBJ" ARCH="$KARCH" CROSS_COMPILE="$CROSS"
		CC="ccache ${CROSS}gcc" HOSTCC="ccache gcc" -j"$JOBS")
	mkdir -p "$KOBJ"
	FRAGMENTS=("$TOP/configs/$ARCH.guest.config")
elif [ "${DEBUG:-0}" = 1 ]; then
	FRAGMENTS+=("$TOP/configs/debug.config")
	[ ! -f "$TOP/configs/$ARCH.debug.config" ] || FRAGMENTS+=("$TOP/configs/$ARCH.debug.config")
	[ ! -f "$TOP/configs/$BASE.debug.config" ] || FRAGMENTS+=("$TOP/configs/$BASE.debug.config")
	BUILD_WHAT=${BUILD_WHAT:-debug}
fi

# The series' own options: those the tree at hand defines, so that a patch
# that adds one (at any point of build-each) changes the config id and the
# kernel is configured again with it.
series_fragment=$KOBJ/.harness-series.config
series_options() {
	local f=$TOP/configs/$ARCH.series.config line sym
	[ -f "$f" ] || return 0
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			sym=${line%%=*}
			if git -C "$KSRC" grep -q --untracked -E "^(menu)?config ${sym#CONFIG_}\$" -- '*Kconfig*'; then
				echo "$line"
			fi
			;;
		esac
	done <"$f"
}
if [ "${GUEST:-0}" != 1 ]; then
	series_options >"$series_fragment"
	FRAGMENTS+=("$series_fragment")
fi

config_id=$(cat "${FRAGMENTS[@]}" "$KSRC/Makefile" | sha256sum | cut -d' ' -f1)

make_config() {
	"${KMAKE[@]}" tinyconfig
	(cd "$KOBJ" && ARCH=$KARCH CROSS_COMPILE=$CROSS \
		"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$KOBJ" \
		"$KOBJ/.config" "${FRAGMENTS[@]}")
	"${KMAKE[@]}" olddefconfig
	# Every option the fragments ask for must have survived Kconfig.
	local bad=0 line sym
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$KOBJ/.config" || {
				echo "config: asked for $line, got: $(grep "^${line%%=*}=\|^# ${line%%=*} is not set" "$KOBJ/.config" || echo unset)"
				bad=1
			}
			;;
		"# CONFIG_"*" is not set")
			sym=${line#"# "}
			sym=${sym%% *}
			! grep -q "^$sym=" "$KOBJ/.config" || {
				echo "config: asked for $sym off, got: $(grep "^$sym=" "$KOBJ/.config")"
				bad=1
			}
			;;
		esac
	done < <(cat "${FRAGMENTS[@]}")
	[ $bad -eq 0 ] || return 1
	echo "$config_id" >"$KOBJ/.harness-config-id"
}

if [ "$(cat "$KOBJ/.harness-config-id" 2>/dev/null)" != "$config_id" ] ||
   [ ! -f "$KOBJ/.config" ]; then
	run_step "configuring kernel ($BASE, $ARCH${DBG:+, ${DBG#-}})" "$LOGDIR/config-$ARCH$DBG.log" make_config
fi
[ "${CONFIG_ONLY:-0}" = 1 ] && exit 0
run_step "building kernel ($BASE, $ARCH${BUILD_WHAT:+, $BUILD_WHAT})" "$LOGDIR/kernel-$ARCH$DBG.log" \
	"${KMAKE[@]}" "$KTARGET"
[ "$KTARGET" = "$(basename "$KIMAGE")" ] || exit 0
if [ "${GUEST:-0}" = 1 ]; then
	say "L2 guest kernel: ${KOBJ#"$TOP"/}/$KIMAGE"
	exit 0
fi
run_step "installing uAPI headers ($BASE, $ARCH)" "$LOGDIR/headers-$ARCH$DBG.log" \
	"${KMAKE[@]}" headers_install INSTALL_HDR_PATH="$KHDR"
say "kernel: ${KOBJ#"$TOP"/}/$KIMAGE"
