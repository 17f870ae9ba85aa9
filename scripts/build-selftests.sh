#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build, statically linked, the KVM selftests that tests/$ARCH.list (or
# TESTS) names, from the patched tree against its installed uAPI headers,
# into build/selftests-$ARCH, and the harness's programs (tools/) into
# build/tools-$ARCH.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch_setup

[ -d "$KHDR/include" ] || die "no uAPI headers in $KHDR: run 'make kernel ARCH=$ARCH' first"
# abs_objdir puts the arm64 generated headers here, not in the source tree.
mkdir -p "$STOBJ/tools" "$LOGDIR"
REPRO="make selftests ARCH=$ARCH"
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD}

# Binaries to build: the first word of each selected test's command.
bins=$("$TOP/scripts/testlist.sh" | cut -f3 | awk '{ print $1 }' | sort -u)
targets=()
for b in $bins; do
	case "$b" in
	tools/*) ;;	# a harness program, built below
	*) targets+=("$STOBJ/$b") ;;
	esac
done

STMAKE=(make -C "$KSRC/tools/testing/selftests/kvm"
	-f Makefile -f "$TOP/tools/programs.mk"
	OUTPUT="$STOBJ" ARCH="$KARCH" CROSS_COMPILE="$CROSS" CC="ccache ${CROSS}gcc"
	KHDR_INCLUDES="-isystem $KHDR/include" EXTRA_CFLAGS=-static
	LDFLAGS=-static abs_objdir="$STOBJ"
	HARNESS_SRC="$TOP/tools" HARNESS_OUT="$TOOLOBJ" -j"$JOBS")
run_step "building KVM selftests and harness programs ($ARCH)" \
	"$LOGDIR/selftests-$ARCH.log" "${STMAKE[@]}" "${targets[@]}" harness-programs
