#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run inside the test VM (L1) by 'make qemu-e2e': a Linux guest (L2) under
# QEMU with KVM, migrated by QEMU's own migration (to a file, then
# -incoming on this same L1) several times, with stock QEMU and with the
# patches of patches/qemu under both clock policies, and between the two
# QEMUs in both directions. /e2e holds the QEMU binaries, the firmware,
# the L2 kernel and its initramfs (whose /init is tools/guest-clock.c).
#
# Under the emulated SVM of this test environment (QEMU TCG) the L2's
# interrupts are not reliable (README, "QEMU: the end-to-end test"). The
# default L2 (GUEST=bare) is tools/guest-bare.c, which needs none; with
# GUEST=linux the L2 kernel runs with the TSC deadline timer and periodic
# ticks in low-resolution mode, and /init writes to the UART itself.
#
# Prints one "@@MIG" line per migration (tools/qemu-mig.c) and the CSV
# of every variant between "@@CSV-BEGIN name" and "@@CSV-END".
E=/e2e
RUNS=3
# Only these variants (names below, space-separated; empty: all of them).
ONLY=
# The L2: bare or linux.
GUEST=bare
# The VM's arguments, after the variant's own (which end with "--").
VM="-M microvm,acpi=off,rtc=off,pit=off,pic=off -accel kvm -smp 1 -L $E -bios bios-microvm.bin"
if [ "$GUEST" = linux ]; then
	ARGS="$VM -cpu qemu64,+tsc-deadline,+x2apic -m 256M -kernel $E/bzImage -initrd $E/l2.cpio.gz"
	APPEND="console=ttyS0 clocksource=kvm-clock highres=off nohz=off"
else
	ARGS="$VM -cpu qemu64 -m 16M -kernel $E/guest-bare"
	APPEND=
fi
rc=0

variant() {
	name=$1
	shift
	case " ${ONLY:-$name} " in
	*" $name "*) ;;
	*) return 0 ;;
	esac
	echo "@@VARIANT $name"
	# shellcheck disable=SC2086
	if "$E/qemu-mig" --out "/tmp/$name.csv" "$@" $ARGS ${APPEND:+-append "$APPEND"}; then
		echo "@@VARIANT-END $name ok"
	else
		echo "@@VARIANT-END $name failed"
		rc=1
	fi
	echo "@@CSV-BEGIN $name"
	cat "/tmp/$name.csv" 2>/dev/null
	echo "@@CSV-END"
}

variant stock --qemu "$E/qemu-stock" --policy stock --runs "$RUNS" --
variant patched-catch-up --qemu "$E/qemu-patched" --policy catch-up --runs "$RUNS" -- \
	-global kvmclock.x-clock-state=on -global kvmclock.clock-migration=catch-up
variant patched-freeze --qemu "$E/qemu-patched" --policy freeze --runs "$RUNS" -- \
	-global kvmclock.x-clock-state=on -global kvmclock.clock-migration=freeze
# The stream both ways: stock to patched (no new subsection: the patched
# destination restores as stock QEMU does), patched to stock (the source
# sends the new subsection only with x-clock-state=on, which is opt-in).
variant stock-to-patched --qemu "$E/qemu-stock" --qemu-dst "$E/qemu-patched" \
	--policy stock-to-patched --runs 1 --
variant patched-to-stock --qemu "$E/qemu-patched" --qemu-dst "$E/qemu-stock" \
	--policy patched-to-stock --runs 1 --
exit $rc
