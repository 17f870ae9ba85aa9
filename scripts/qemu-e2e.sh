#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The real VMM: stock QEMU and QEMU with patches/qemu migrate a guest (L2)
# inside the test VM (L1 = the series kernel of BASE, and the unpatched
# base for comparison), on ARCH x86_64 (default) or arm64. Builds what is
# missing (make qemu, the L2: tools/guest-bare.c, or with E2E_GUEST=linux
# the L2 kernel from configs/x86_64.guest.config with tools/guest-clock.c
# as its /init; on arm64 tools/guest-bare-arm64.c and a cross-built
# qemu-system-aarch64; tools/qemu-mig.c as the driver in L1), runs
# scripts/e2e-l1.sh in each test VM and prints one table; CSV and plot in
# build/$BASE/e2e/ (arm64: build/$BASE/e2e-arm64/).
#
#   E2E_GUEST=bare   the L2 (default): tools/guest-bare.c, a 32-bit
#                    multiboot guest that reads its kvmclock page with
#                    interrupts off. E2E_GUEST=linux: the L2 kernel with
#                    tools/guest-clock.c as /init, whose interrupts stop
#                    under the emulated nested SVM here (see the README)
#   E2E_RUNS=N       migrations per variant (default 3)
#   E2E_VARIANTS="a b"  only these variants of scripts/e2e-l1.sh (default: all)
#   E2E_BASE_KERNEL=0  skip the run on the unpatched base kernel
#   E2E_CHECK=1      also assert the bounds (make check, see
#                    scripts/e2e-report.py): with patched QEMU the guest's
#                    kvmclock steps by at most 1 ns at every migration and
#                    its clock jumps by the downtime (catch-up) or not
#                    (freeze); every migration of every variant completes,
#                    both ways between stock and patched QEMU; stock QEMU
#                    on the series kernel steps by less than half the
#                    downtime, with a median within 3 times the base's.
#                    arm64: the counter steps by at most 1 tick against
#                    the host's realtime with catch-up, and jumps by the
#                    downtime (catch-up) or not (freeze); stock QEMU's
#                    jump on the series kernel, as above; the physical
#                    counter never moves back against the virtual one,
#                    by value ahead by at most the downtime, and not at
#                    all where both sides tie them (patched QEMU)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch_setup

E2E_GUEST=${E2E_GUEST:-bare}
E2E_RUNS=${E2E_RUNS:-3}
E2E_BASE_KERNEL=${E2E_BASE_KERNEL:-1}
E2E_CHECK=${E2E_CHECK:-0}
if [ "$ARCH" = arm64 ]; then
	QARCH=aarch64
	OUT=$BDIR/e2e-arm64
	[ "$E2E_GUEST" = bare ] || die "E2E_GUEST=$E2E_GUEST: arm64 has the bare guest only"
else
	QARCH=x86_64
	OUT=$BDIR/e2e
fi
FILES=$OUT/files
mkdir -p "$OUT" "$LOGDIR"

BASES=$BASE "$TOP/scripts/setup.sh"
"$TOP/scripts/tree.sh" --if-missing
QEMU_ARCHES=$QARCH "$TOP/scripts/qemu.sh" all
"$TOP/scripts/build-kernel.sh"
case $E2E_GUEST in
bare) ;;
linux) GUEST=1 "$TOP/scripts/build-kernel.sh" ;;
*) die "E2E_GUEST=$E2E_GUEST: bare or linux" ;;
esac
if [ "$E2E_BASE_KERNEL" = 1 ]; then
	UNPATCHED=1 "$TOP/scripts/build-kernel.sh"
fi

# The programs: static, for the L2 and for L1. No results of an earlier
# run may stand in for this one's.
rm -rf "$FILES" "$OUT/l2root" "$OUT"/vm-series* "$OUT"/vm-base* "$OUT/migrations".*
mkdir -p "$FILES"
"${CROSS}gcc" -O2 -static -Wall -Wextra -o "$FILES/qemu-mig" "$TOP/tools/qemu-mig.c" ||
	die "tools/qemu-mig.c does not build"
if [ "$E2E_GUEST" = linux ]; then
	mkdir -p "$OUT/l2root/dev" "$OUT/l2root/proc" "$OUT/l2root/sys"
	gcc -O2 -static -Wall -Wextra -o "$OUT/l2root/init" "$TOP/tools/guest-clock.c" ||
		die "tools/guest-clock.c does not build"
	(cd "$OUT/l2root" && find . | cpio -o -H newc --quiet | gzip -1) >"$FILES/l2.cpio.gz"
	cp "$BDIR/guest-x86_64/arch/x86/boot/bzImage" "$FILES/bzImage"
fi
if [ "$ARCH" = arm64 ]; then
	# No FP/SIMD code, no unaligned access (the MMU is off): the guest
	# enables neither.
	aarch64-linux-gnu-gcc -O2 -Wall -Wextra -ffreestanding -fno-pic -fno-stack-protector \
		-mgeneral-regs-only -mstrict-align -fno-asynchronous-unwind-tables -nostdlib \
		-no-pie -static -Wl,-T,"$TOP/tools/guest-bare-arm64.ld" -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments -o "$FILES/guest-bare-arm64" \
		"$TOP/tools/guest-bare-arm64.c" -lgcc ||
		die "tools/guest-bare-arm64.c does not build"
else
# No SSE or x87 code: the guest enables neither.
gcc -m32 -O2 -Wall -Wextra -ffreestanding -fno-pic -fno-stack-protector -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -nostdlib -no-pie -static \
	-Wl,-T,"$TOP/tools/guest-bare.ld" -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
	-o "$FILES/guest-bare" "$TOP/tools/guest-bare.c" ||
	die "tools/guest-bare.c does not build"
# Firmware: Debian's (the +ds source tarball has no prebuilt blobs).
cp /usr/share/seabios/bios-microvm.bin /usr/share/qemu/linuxboot_dma.bin \
	/usr/share/qemu/multiboot_dma.bin "$FILES/"
fi
cp "$BUILD/qemu/bin/qemu-system-$QARCH-stock" "$FILES/qemu-stock"
cp "$BUILD/qemu/bin/qemu-system-$QARCH-patched" "$FILES/qemu-patched"

# run_l1 NAME KERNEL: the variants in a test VM booted with KERNEL.
run_l1() {
	local name=$1 kernel=$2 dir=$OUT/vm-$1
	say "QEMU end to end on the $name kernel ($E2E_RUNS migration(s) per variant)"
	sed -e "s/^RUNS=.*/RUNS=$E2E_RUNS/" -e "s/^ONLY=.*/ONLY=\"${E2E_VARIANTS:-}\"/" \
		-e "s/^GUEST=.*/GUEST=$E2E_GUEST/" -e "s/^ARCH=.*/ARCH=$QARCH/" \
		"$TOP/scripts/e2e-l1.sh" >"$OUT/qemu-e2e"
	chmod +x "$OUT/qemu-e2e"
	# arm64: about a minute more per migration (the QEMU start).
	local per=$((5 * 60))
	[ "$ARCH" != arm64 ] || per=$((8 * 60))
	TESTS= EXTRA="$OUT/qemu-e2e" EXTRA_TIMEOUT=$((600 + E2E_RUNS * per)) VM_FILES=$FILES \
		VM_DIR=$dir VM_KERNEL=$kernel VM_RERUN=0 \
		"$TOP/scripts/vmtest.sh" >"$dir.out" 2>&1 || {
		tail -n 40 "$dir.out"
		return 1
	}
}

rc=0
run_l1 series "$KOBJ/$KIMAGE" || rc=1
if [ "$E2E_BASE_KERNEL" = 1 ]; then
	run_l1 base "$BDIR/unpatched/kernel-$ARCH/$KIMAGE" || rc=1
fi

python3 "$TOP/scripts/e2e-report.py" "$OUT" "$E2E_CHECK" || rc=1
exit "$rc"
