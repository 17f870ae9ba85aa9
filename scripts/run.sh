#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job: build what is missing, boot the patched kernel for ARCH and
# show, from inside it, what KVM offers a VMM for guest clocks.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch_setup

"$TOP/scripts/setup.sh"
"$TOP/scripts/tree.sh" --if-missing
"$TOP/scripts/build-kernel.sh"
TESTS= "$TOP/scripts/build-selftests.sh"
TESTS= EXTRA="$TOOLOBJ/clockinfo" EXTRA_TIMEOUT=120 SHOW_OUTPUT=1 \
	"$TOP/scripts/vmtest.sh" >"$VMDIR/run.out" || {
	cat "$VMDIR/run.out"
	die "the clock report did not complete (serial log: $VMDIR/serial.log)"
}
echo
echo "=== Guest clocks on the patched $ARCH kernel ($(git -C "$KSRC" rev-list --count base..HEAD) patch(es) on $PACKAGE $(cat "$BUILD/base/version")) ==="
sed -n '/@@TEST-BEGIN clockinfo/,/@@TEST-END/p' "$VMDIR/serial.log" |
	sed -e '1d' -e '$d' -e 's/\r$//' | grep -v '^Random seed:' | grep -v '^\[ *[0-9]*\.[0-9]*\]'
if [ -f "$BUILD/base/warning" ]; then
	echo "!!! $(cat "$BUILD/base/warning")"
fi
echo
echo "(serial log: ${VMDIR#"$TOP"/}/serial.log)"
