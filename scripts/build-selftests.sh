#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build, statically linked, the KVM selftests that tests/$BASE/$ARCH.list
# (or TESTS) names, from the patched tree against its installed uAPI
# headers, into build/$BASE/selftests-$ARCH, and the harness's programs
# (tools/) into build/$BASE/tools-$ARCH.
#
# A harness program that does not compile against this base (it may need
# uAPI that the queue does not carry yet) is skipped with a warning, unless
# a selected test runs it: then the build fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch_setup

[ -d "$KHDR/include" ] || die "no uAPI headers in $KHDR: run 'make kernel BASE=$BASE ARCH=$ARCH' first"
# abs_objdir puts the arm64 generated headers here, not in the source tree.
mkdir -p "$STOBJ/tools" "$TOOLOBJ" "$LOGDIR"
REPRO="make selftests BASE=$BASE ARCH=$ARCH"
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD}

# Binaries to build: the first word of each selected test's command.
bins=$("$TOP/scripts/testlist.sh" | cut -f3 | awk '{ print $1 }' | sort -u)
targets=()
needed=()
for b in $bins; do
	case "$b" in
	tools/*) needed+=("${b#tools/}") ;;
	*) targets+=("$STOBJ/$b") ;;
	esac
done

selftests_make_setup
if [ ${#targets[@]} -gt 0 ]; then
	run_step "building KVM selftests ($BASE, $ARCH)" \
		"$LOGDIR/selftests-$ARCH.log" "${STMAKE[@]}" "${targets[@]}"
fi

# The harness programs, one by one.
progs=$("${STMAKE[@]}" -s print-harness-programs 2>/dev/null | tail -n1)
failed=0
for p in $progs; do
	log=$LOGDIR/tools-$ARCH-$p.log
	rm -f "$TOOLOBJ/$p"
	if "${STMAKE[@]}" "$TOOLOBJ/$p" >"$log" 2>&1; then
		continue
	fi
	if printf '%s\n' "${needed[@]}" | grep -qx "$p"; then
		grep -m5 'error' "$log" >&2 || tail -n 20 "$log" >&2
		printf 'FAILED: building tools/%s.c (%s, %s), which a selected test runs\n  reproduce: %s\n  full log:  %s\n' \
			"$p" "$BASE" "$ARCH" "$REPRO" "$log" >&2
		failed=1
	else
		warn "tools/$p.c does not build against $BASE ($ARCH): skipped; first error: $(grep -m1 'error' "$log" || echo "see $log")"
	fi
done
[ "$failed" -eq 0 ] || exit 1
say "harness programs ($BASE, $ARCH): $(cd "$TOOLOBJ" && ls $progs 2>/dev/null | tr '\n' ' ')"
