#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host-side unit tests of the VMM-side library (clockmig/): its arithmetic
# and encoding, a decoder fuzz run with a fixed seed, and its ioctl
# sequences for both architectures against a fake KVM with failures
# injected (clockmig/tests/), built with the address and undefined-behaviour
# sanitizers. Also checks that the library builds without warnings, as a
# VMM would build it, for x86_64 and arm64, with the system's uAPI headers
# (older than the series: its own definitions stand in) and with the
# patched tree's (build/$BASE/headers-*) when they are installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$BDIR/clockmig-unit
mkdir -p "$out"
FUZZ_ITERATIONS=${FUZZ_ITERATIONS:-200000}
CFLAGS=(-std=gnu99 -O1 -g -Wall -Wextra -Werror -I"$TOP/clockmig")

# build_lib CC [HEADERS]: the library alone, as a VMM builds it.
build_lib() {
	local cc=$1 f
	shift
	for f in "$TOP"/clockmig/*.c; do
		"$cc" -std=gnu99 -O2 -Wall -Wextra -Werror -I"$TOP/clockmig" "$@" -c "$f" \
			-o /dev/null || return 1
	done
}
# Each step returns on failure: run_step calls this from an || list,
# where set -e does not apply.
build_all() {
	build_lib gcc || return
	[ ! -d "$BDIR/headers-x86_64/include" ] ||
		build_lib gcc -isystem "$BDIR/headers-x86_64/include" || return
	if command -v aarch64-linux-gnu-gcc >/dev/null; then
		build_lib aarch64-linux-gnu-gcc || return
		[ ! -d "$BDIR/headers-arm64/include" ] ||
			build_lib aarch64-linux-gnu-gcc -isystem "$BDIR/headers-arm64/include" || return
	fi
}
run_step "building clockmig for x86_64 and arm64, old and patched uAPI headers" \
	"$LOGDIR/clockmig-build.log" build_all

run_step "building the clockmig unit tests (host, fake KVM, ASan + UBSan)" \
	"$LOGDIR/clockmig-unit.log" \
	gcc "${CFLAGS[@]}" -DCLOCKMIG_FAKE_KVM -fsanitize=address,undefined \
	-fno-sanitize-recover=all "$TOP"/clockmig/*.c "$TOP"/clockmig/tests/*.c -o "$out/unit"
"$out/unit" "$FUZZ_ITERATIONS"
