#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run inside the test VM (L1) by 'make qemu-e2e': a Linux guest (L2) under
# QEMU with KVM, migrated by QEMU's own migration (to a file, then
# -incoming on this same L1) several times, with stock QEMU and with the
# patches of patches/qemu under both clock policies, and between the two
# QEMUs in both directions. /e2e holds the QEMU binaries, the firmware,
# the L2 kernel and its initramfs (whose /init is tools/guest-clock.c), or
# the bare guests (tools/guest-bare.c, tools/guest-bare-arm64.c).
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
# The L2: bare or linux (x86_64 only).
GUEST=bare
# x86_64 or aarch64
ARCH=x86_64
if [ "$ARCH" = aarch64 ]; then
	# tools/guest-bare-arm64.c. qemu-system-aarch64 takes 20 to 40 s to
	# start in this emulated L1: wait longer for it.
	ARGS="-M virt,gic-version=3 -cpu host -smp 1 -m 64M -kernel $E/guest-bare-arm64"
	APPEND=
	SLOW="--slow 4"
	# Stock to patched with x-clock-state=on on the destination, which
	# started paused (-S) and has its CPU state read before "cont"
	# (qemu-mig --dst-paused): a VM that loads a state before it first
	# runs keeps its counter offsets, so the patched QEMU restores both
	# counters by value as stock QEMU does (the physical one kept apart
	# from the virtual one), and a CPU state sync must not change that.
	# Then a second hop, patched to patched: the state it sends holds
	# two counters that differ, which the destination restores by value
	# (CLOCKMIG_KEEP_PHYS), with catch-up.
	TO_PATCHED="--dst-paused --src-arg -accel --src-arg kvm --dst-arg -accel --dst-arg kvm,x-clock-state=on"
	TO_PATCHED_RUNS=2
else
	VM="-M microvm,acpi=off,rtc=off,pit=off,pic=off -accel kvm -smp 1 -L $E -bios bios-microvm.bin"
	if [ "$GUEST" = linux ]; then
		ARGS="$VM -cpu qemu64,+tsc-deadline,+x2apic -m 256M -kernel $E/bzImage -initrd $E/l2.cpio.gz"
		APPEND="console=ttyS0 clocksource=kvm-clock highres=off nohz=off"
	else
		ARGS="$VM -cpu qemu64 -m 16M -kernel $E/guest-bare"
		APPEND=
	fi
	SLOW=
	TO_PATCHED=
	TO_PATCHED_RUNS=1
fi

# clock_args [POLICY]: QEMU's arguments for the clock state with POLICY
# (patched QEMU), or none (stock behaviour). On arm64 they are properties
# of the KVM accelerator, whose -accel option they are.
clock_args() {
	if [ "$ARCH" = aarch64 ]; then
		echo "-accel kvm${1:+,x-clock-state=on,clock-migration=$1}"
	elif [ -n "${1:-}" ]; then
		echo "-global kvmclock.x-clock-state=on -global kvmclock.clock-migration=$1"
	fi
}
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
	if "$E/qemu-mig" $SLOW --out "/tmp/$name.csv" "$@" $ARGS ${APPEND:+-append "$APPEND"}; then
		echo "@@VARIANT-END $name ok"
	else
		echo "@@VARIANT-END $name failed"
		rc=1
	fi
	echo "@@CSV-BEGIN $name"
	cat "/tmp/$name.csv" 2>/dev/null
	echo "@@CSV-END"
}

# shellcheck disable=SC2046
variant stock --qemu "$E/qemu-stock" --policy stock --runs "$RUNS" -- $(clock_args)
# shellcheck disable=SC2046
variant patched-catch-up --qemu "$E/qemu-patched" --policy catch-up --runs "$RUNS" -- \
	$(clock_args catch-up)
# shellcheck disable=SC2046
variant patched-freeze --qemu "$E/qemu-patched" --policy freeze --runs "$RUNS" -- \
	$(clock_args freeze)
# The stream both ways: stock to patched (no new subsection: the patched
# destination restores the loaded counters by value as stock QEMU does;
# on arm64 also with x-clock-state=on, since a VM that loads a state
# before it first runs keeps its counter offsets),
# patched to stock (the source sends the new subsection only with
# x-clock-state=on, which is opt-in).
# shellcheck disable=SC2046,SC2086
if [ -n "$TO_PATCHED" ]; then
	variant stock-to-patched --qemu "$E/qemu-stock" --qemu-dst "$E/qemu-patched" $TO_PATCHED \
		--policy stock-to-patched --runs "$TO_PATCHED_RUNS" --
else
	variant stock-to-patched --qemu "$E/qemu-stock" --qemu-dst "$E/qemu-patched" \
		--policy stock-to-patched --runs 1 -- $(clock_args)
fi
# shellcheck disable=SC2046
variant patched-to-stock --qemu "$E/qemu-patched" --qemu-dst "$E/qemu-stock" \
	--policy patched-to-stock --runs 1 -- $(clock_args)
exit $rc
