#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host-side unit tests of the VMM-side library (clockmig/): its arithmetic
# and encoding, and a decoder fuzz run with a fixed seed, built with the
# address and undefined-behaviour sanitizers against BASE's uAPI headers
# (build/$BASE/headers-*, from 'make kernel'). Also checks that the library
# builds for arm64 without warnings.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$BDIR/clockmig-unit
mkdir -p "$out"
FUZZ_ITERATIONS=${FUZZ_ITERATIONS:-200000}
CFLAGS=(-std=gnu99 -O1 -g -Wall -Wextra -Werror -I"$TOP/clockmig")
# The library's own uAPI needs (x86 pvclock ABI) come from the series.
hdrs=$BDIR/headers-x86_64/include
[ -d "$hdrs" ] && CFLAGS+=(-isystem "$hdrs")

run_step "building the clockmig unit tests (host, ASan + UBSan)" "$LOGDIR/clockmig-unit.log" \
	gcc "${CFLAGS[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all \
	"$TOP"/clockmig/*.c "$TOP/clockmig/tests/unit.c" -o "$out/unit"
build_arm64() {
	for f in "$TOP"/clockmig/*.c; do
		aarch64-linux-gnu-gcc -std=gnu99 -O2 -Wall -Wextra -Werror -I"$TOP/clockmig" \
			-isystem "$BDIR/headers-arm64/include" -c "$f" -o /dev/null || return 1
	done
}
if command -v aarch64-linux-gnu-gcc >/dev/null && [ -d "$BDIR/headers-arm64/include" ]; then
	run_step "building clockmig for arm64" "$LOGDIR/clockmig-arm64.log" build_arm64
fi
"$out/unit" "$FUZZ_ITERATIONS"
