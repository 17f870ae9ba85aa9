# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the harness scripts. Source it, do not run it.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
KSRC=${KSRC:-$BUILD/linux}
LOGDIR=$BUILD/logs
# shellcheck source=../base.pin
. "$TOP/base.pin"

say()  { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Resolve ARCH (x86_64 or arm64) into everything that differs per arch.
arch_setup() {
	ARCH=${ARCH:-x86_64}
	case "$ARCH" in
	x86_64)
		KARCH=x86
		SELFTEST_ARCH=x86_64
		CROSS=
		KIMAGE=arch/x86/boot/bzImage
		QEMU=qemu-system-x86_64
		;;
	arm64|aarch64)
		ARCH=arm64
		KARCH=arm64
		SELFTEST_ARCH=aarch64
		CROSS=aarch64-linux-gnu-
		KIMAGE=arch/arm64/boot/Image
		QEMU=qemu-system-aarch64
		;;
	*)
		die "unknown ARCH '$ARCH' (use x86_64 or arm64)"
		;;
	esac
	KOBJ=$BUILD/kernel-$ARCH
	KHDR=$BUILD/headers-$ARCH
	STOBJ=$BUILD/selftests-$ARCH
	TOOLOBJ=$BUILD/tools-$ARCH
	VMDIR=$BUILD/vm-$ARCH
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

# Patch files named by patches/series, in order, comments skipped.
series_patches() {
	[ -f "$TOP/patches/series" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$TOP/patches/series" | grep -v '^$' || true
}

# The tarball of the base, as resolved by fetch-base.sh.
base_tarball() {
	cat "$BUILD/base/tarball-path" 2>/dev/null || die "base not fetched: run 'make setup'"
}

# scratch_worktree DIR: a detached worktree of the kernel tree at DIR
# (re)created if it is missing or stale, for builds at other commits.
scratch_worktree() {
	if ! { [ -f "$1/.git" ] &&
	       git -C "$1" rev-parse -q --verify HEAD >/dev/null 2>&1; }; then
		rm -rf "$1"
		git -C "$KSRC" worktree prune
		git -C "$KSRC" worktree add -q --detach "$1" base
	fi
}
