# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the harness scripts. Source it, do not run it.
#
# BASE selects the kernel base and its patch queue (bases/$BASE.pin):
# 7.3, the upstream base (default), or 6.12, the LTS backport. Everything
# built for a base lives in build/$BASE/; downloads (build/dl), the arm64
# busybox and the compiler cache are shared.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
BASES_ALL="7.3 6.12"

say()  { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# need_disk GIB WHAT: fail at once, with one clear line, when the file
# system of $BUILD has less than GIB GiB free, rather than half an hour
# later with a tar or git error. A cold "make check" leaves about 4.5 GiB
# under build/ per base (both arches) and 1 GiB of compiler cache.
need_disk() {
	local dir=$BUILD avail
	case $1 in
	'' | *[!0-9]*) die "need_disk: '$1' is not a whole number of GiB (MIN_FREE_GIB?)" ;;
	esac
	while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done
	avail=$(df -P -k "$dir" 2>/dev/null | awk 'NR == 2 { print int($4 / 1048576) }') || avail=
	if [ -z "$avail" ]; then
		warn "cannot tell the free space of $dir (df failed): going on"
		return 0
	fi
	[ "$avail" -ge "$1" ] ||
		die "$2 needs about $1 GiB free on the file system of $BUILD; it has $avail GiB (set MIN_FREE_GIB to override)"
}

# base_setup [BASE]: load bases/$BASE.pin and set the per-base paths.
# Called once below for $BASE; scripts that handle several bases call it
# again (in a subshell) for each.
base_setup() {
	BASE=${1:-${BASE:-7.3}}
	local pin=$TOP/bases/$BASE.pin
	[ -f "$pin" ] || die "unknown BASE '$BASE' (use one of: $BASES_ALL)"
	unset APT_SOURCES QUEUE BASE_ROLE
	# shellcheck source=../bases/7.3.pin
	. "$pin"
	BDIR=$BUILD/$BASE
	KSRC=$BDIR/linux
	LOGDIR=$BDIR/logs
	QDIR=$TOP/patches/$QUEUE
	SCRATCH=$BDIR/scratch
	BASEINFO=$BDIR/base
}
# A caller may point BDIR (and so the tree, object and log directories)
# at a scratch copy, or KSRC alone at another tree.
_bdir=${BDIR:-} _ksrc=${KSRC:-}
base_setup "${BASE:-7.3}"
if [ -n "$_bdir" ]; then
	BDIR=$_bdir
	KSRC=$BDIR/linux
	LOGDIR=$BDIR/logs
fi
[ -z "$_ksrc" ] || KSRC=$_ksrc
unset _bdir _ksrc

# UNPATCHED=1: the bare base, without the queue, for comparisons (make
# regress): its tree is a worktree of build/$BASE/linux at tag 'base' in
# build/$BASE/unpatched/linux, with its own object directories there.
if [ "${UNPATCHED:-0}" = 1 ]; then
	PATCHED_KSRC=$KSRC
	BDIR=$BUILD/$BASE/unpatched
	KSRC=$BDIR/linux
	LOGDIR=$BDIR/logs
fi
# unpatched_tree: create (or reset to 'base') the UNPATCHED=1 tree.
unpatched_tree() {
	[ "${UNPATCHED:-0}" = 1 ] || return 0
	[ -e "$PATCHED_KSRC/.git" ] || die "no kernel tree: run 'make tree BASE=$BASE' first"
	if [ -e "$KSRC/.git" ] && git -C "$KSRC" rev-parse -q --verify HEAD >/dev/null 2>&1; then
		[ "$(git -C "$KSRC" rev-parse HEAD)" = "$(git -C "$PATCHED_KSRC" rev-parse base)" ] ||
			git -C "$KSRC" checkout -q -f --detach base
	else
		rm -rf "$KSRC"
		mkdir -p "$BDIR"
		git -C "$PATCHED_KSRC" worktree prune
		git -C "$PATCHED_KSRC" worktree add -q --detach "$KSRC" base
	fi
}

# Resolve ARCH (x86_64 or arm64) into everything that differs per arch.
# selftests_make_setup: STMAKE, the make command line that builds the KVM
# selftests of KSRC and the harness programs (tools/programs.mk) for ARCH,
# statically, against the installed uAPI headers of KHDR. After arch_setup.
selftests_make_setup() {
	STMAKE=(make -C "$KSRC/tools/testing/selftests/kvm"
		-f Makefile -f "$TOP/tools/programs.mk"
		OUTPUT="$STOBJ" ARCH="$KARCH" CROSS_COMPILE="$CROSS" CC="ccache ${CROSS}gcc"
		KHDR_INCLUDES="-isystem $KHDR/include" EXTRA_CFLAGS=-static
		LDFLAGS=-static abs_objdir="$STOBJ"
		HARNESS_SRC="$TOP/tools" HARNESS_OUT="$TOOLOBJ" -j"$JOBS")
}

arch_setup() {
	ARCH=${ARCH:-x86_64}
	case "$ARCH" in
	x86_64)
		KARCH=x86
		SELFTEST_ARCH=$SELFTEST_DIR_x86_64
		CROSS=
		KIMAGE=arch/x86/boot/bzImage
		QEMU=qemu-system-x86_64
		;;
	arm64|aarch64)
		ARCH=arm64
		KARCH=arm64
		SELFTEST_ARCH=$SELFTEST_DIR_arm64
		CROSS=aarch64-linux-gnu-
		KIMAGE=arch/arm64/boot/Image
		QEMU=qemu-system-aarch64
		;;
	*)
		die "unknown ARCH '$ARCH' (use x86_64 or arm64)"
		;;
	esac
	# DEBUG=1: the debug kernel (configs/debug.config), in its own object,
	# header and VM directories; the selftests are the same.
	DBG=
	[ "${DEBUG:-0}" != 1 ] || DBG=-debug
	KOBJ=$BDIR/kernel-$ARCH$DBG
	KHDR=$BDIR/headers-$ARCH$DBG
	STOBJ=$BDIR/selftests-$ARCH
	TOOLOBJ=$BDIR/tools-$ARCH
	VMDIR=${VM_DIR:-$BDIR/vm-$ARCH$DBG}
	JOBS=${JOBS:-$(nproc)}
}

fmt_secs() {
	printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
}

# run_step NAME LOG CMD...: run CMD with its output in LOG. Quiet apart
# from a heartbeat once a minute; on failure, show the end of the log, the
# command to reproduce and where the whole log is.
run_step() {
	local name=$1 log=$2 start rc hb
	shift 2
	mkdir -p "$(dirname "$log")"
	start=$(date +%s)
	say "$name (log: ${log#"$TOP"/})"
	(
		while sleep 60 </dev/null >/dev/null 2>&1; do
			printf '    ... %s, %s\n' "$name" "$(fmt_secs $(($(date +%s) - start)))"
		done
	) &
	hb=$!
	rc=0
	"$@" >"$log" 2>&1 || rc=$?
	kill "$hb" 2>/dev/null || true
	wait "$hb" 2>/dev/null || true
	if [ "$rc" -ne 0 ]; then
		printf '\n--- last lines of %s ---\n' "$log" >&2
		tail -n 30 "$log" >&2
		printf -- '---\n' >&2
		printf 'FAILED: %s (exit %d)\n  reproduce: %s\n  full log:  %s\n' \
			"$name" "$rc" "${REPRO:-$*}" "$log" >&2
		return "$rc"
	fi
	say "$name: done in $(fmt_secs $(($(date +%s) - start)))"
}

# Patch files named by the queue's series file, in order, comments skipped.
series_patches() {
	[ -f "$QDIR/series" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$QDIR/series" | grep -v '^$' || true
}

# The tarball of the base and its version, as resolved by fetch-base.sh
# (the pinned one, or the newest one with a warning).
base_tarball() {
	cat "$BASEINFO/tarball-path" 2>/dev/null ||
		die "base $BASE not fetched: run 'make setup'"
}
base_version() {
	cat "$BASEINFO/version" 2>/dev/null || echo "$VERSION"
}

# scratch_worktree DIR: a detached worktree of the kernel tree at DIR
# (re)created if it is missing or stale, for work at other commits that
# must leave build/$BASE/linux alone.
scratch_worktree() {
	if ! { [ -f "$1/.git" ] &&
	       git -C "$1" rev-parse -q --verify HEAD >/dev/null 2>&1; }; then
		rm -rf "$1"
		git -C "$KSRC" worktree prune
		git -C "$KSRC" worktree add -q --detach "$1" base
	fi
}

# tree_is_clean: build/$BASE/linux has no uncommitted change and no
# operation in progress, so scripts may check out other commits in it
# and come back.
tree_is_clean() {
	[ -z "$(git -C "$KSRC" status --porcelain)" ] &&
		git -C "$KSRC" symbolic-ref -q HEAD >/dev/null &&
		[ ! -d "$(git -C "$KSRC" rev-parse --git-path rebase-apply)" ] &&
		[ ! -d "$(git -C "$KSRC" rev-parse --git-path rebase-merge)" ]
}

# queue_tip: the queue of BASE applied to its base with 'git am' in the
# scratch worktree (build/$BASE/scratch/linux), which is left checked out
# there; prints the tip commit. Remembered per queue content, so a second
# call for an unchanged queue only checks the tip out. On a patch that
# does not apply, says which and returns 1.
queue_tip() {
	local key tip p wt=$SCRATCH/linux log=$LOGDIR/queue-am.log
	mkdir -p "$LOGDIR"
	key=$( (cat "$QDIR/series"; series_patches | sed "s|^|$QDIR/|" | xargs -r cat) |
		sha256sum | cut -c1-16)
	scratch_worktree "$wt"
	if tip=$(git -C "$KSRC" rev-parse -q --verify "refs/harness/queue-$key^{commit}"); then
		git -C "$wt" checkout -q -f --detach "$tip"
		echo "$tip"
		return 0
	fi
	git -C "$wt" am --abort >/dev/null 2>&1 || true
	git -C "$wt" checkout -q -f --detach base
	while read -r p; do
		[ -n "$p" ] || continue
		if [ ! -f "$QDIR/$p" ]; then
			echo "${QDIR#"$TOP"/}/series names $p, which does not exist" >&2
			return 1
		fi
		if ! git -C "$wt" am -q --keep-cr "$QDIR/$p" >"$log" 2>&1; then
			git -C "$wt" am --abort >/dev/null 2>&1 || true
			echo "${QDIR#"$TOP"/}/$p does not apply (git am) to $PACKAGE $(base_version) + the patches before it:" >&2
			sed 's/^/      /' "$log" >&2
			return 1
		fi
	done < <(series_patches)
	tip=$(git -C "$wt" rev-parse HEAD)
	git -C "$KSRC" update-ref "refs/harness/queue-$key" "$tip"
	echo "$tip"
}

# work_in_place: if build/$BASE/linux has no uncommitted change, set WT to
# it and BDIR_WT to its build directory, and make sure the tree is put back
# on its branch however the script ends (it may check out other commits);
# otherwise use the scratch worktree and its own object directories.
work_in_place() {
	if tree_is_clean; then
		WT=$KSRC
		BDIR_WT=$BDIR
		_branch=$(git -C "$KSRC" symbolic-ref -q --short HEAD)
		trap 'git -C "$KSRC" checkout -q "$_branch"' EXIT
		trap 'exit 130' INT TERM
		WHERE="in ${KSRC#"$TOP"/}"
	else
		scratch_worktree "$SCRATCH/linux"
		WT=$SCRATCH/linux
		BDIR_WT=$SCRATCH
		WHERE="in the scratch worktree ${WT#"$TOP"/} (${KSRC#"$TOP"/} has uncommitted changes)"
	fi
	mkdir -p "$BDIR_WT/logs"
}
