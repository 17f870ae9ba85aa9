#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bisectability: build the kernel (vmlinux) of BASE at every commit of its
# series, for each of ARCHES. The commits are built in order, each on top
# of the previous one's objects in the same object directory, so only the
# first build can be a cold one, and with ccache even that is mostly hits.
# A commit is not built for an arch it cannot affect: one that changes only
# Documentation/, tools/ (but not what the kernel build uses from there),
# MAINTAINERS, or another arch's arch/ directory.
#
# When build/$BASE/linux has no uncommitted change, the commits are checked
# out there and built in its own object directories (build/$BASE/kernel-*),
# which 'make kernel' then finds up to date; the tree is put back on its
# branch at the end. Otherwise it works in the scratch worktree.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ARCHES=${ARCHES:-x86_64 arm64}
"$TOP/scripts/tree.sh" --if-missing
commits=$(git -C "$KSRC" rev-list --reverse base..HEAD)
[ -n "$commits" ] || { say "build-each ($BASE): no patches, nothing to build"; exit 0; }

work_in_place
wt=$WT
bdir=$BDIR_WT
where=$WHERE
say "build-each ($BASE): $(echo "$commits" | wc -l) commit(s) for $ARCHES, $where"

# affects ARCH FILE...: can a change to these files change ARCH's build?
affects() {
	local arch=$1 own f
	shift
	case "$arch" in
	x86_64) own=x86 ;;
	arm64) own=arm64 ;;
	esac
	for f in "$@"; do
		case "$f" in
		Documentation/*|MAINTAINERS|.mailmap|LICENSES/*) ;;
		tools/objtool/*|tools/include/*|tools/lib/*|tools/build/*|tools/scripts/*) return 0 ;;
		tools/arch/"$own"/*) return 0 ;;
		tools/*) ;;
		arch/"$own"/*) return 0 ;;
		arch/*) ;;
		*) return 0 ;;
		esac
	done
	return 1
}

failed=0
n=0
start=$(date +%s)
for c in $commits; do
	n=$((n + 1))
	git -C "$wt" checkout -q --detach "$c"
	subject=$(git -C "$KSRC" log -1 --format=%s "$c")
	mapfile -t files < <(git -C "$KSRC" diff --name-only "$c^" "$c")
	for arch in $ARCHES; do
		if ! affects "$arch" "${files[@]}"; then
			printf 'skip  %-7s %2d  %s (cannot affect its build)\n' "$arch" "$n" "$subject"
			continue
		fi
		t0=$(date +%s)
		# Quiet but for the build's heartbeat on long builds.
		if BDIR=$bdir ARCH=$arch KTARGET=vmlinux BUILD_WHAT="patch $n" \
			REPRO="make build-each BASE=$BASE ARCHES=$arch (at patch $n: $subject)" \
			"$TOP/scripts/build-kernel.sh" 2>&1 | tee "$bdir/logs/build-each-last.log" |
			{ grep --line-buffered '^    \.\.\. ' || true; }; then
			printf 'ok    %-7s %2d  %s (%s)\n' "$arch" "$n" "$subject" "$(fmt_secs $(($(date +%s) - t0)))"
		else
			printf 'FAIL  %-7s %2d  %s (log: %s)\n' "$arch" "$n" "$subject" \
				"${bdir#"$TOP"/}/logs/kernel-$arch.log"
			grep -m3 -E 'error:|Error [0-9]' "$bdir/logs/kernel-$arch.log" | sed 's/^/      /' || true
			failed=1
		fi
	done
done
[ $failed -eq 0 ] || die "some patches of $BASE do not build on their own (reproduce: make build-each BASE=$BASE)"
say "build-each ($BASE): every patch builds for $ARCHES ($(fmt_secs $(($(date +%s) - start))))"
