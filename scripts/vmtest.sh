#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Pack an initramfs (static busybox, the selected selftests, EXTRA
# programs, vm-init.sh as /init), boot the patched kernel of BASE in QEMU
# TCG and run the tests. When a test leaves a kernel report or turns
# lockdep off, or the VM dies, the remaining tests run in a fresh boot.
# Full serial log (every boot): build/$BASE/vm-$ARCH/serial.log; per-test
# results: build/$BASE/vm-$ARCH/results.tsv.
#
#   TESTS=...         names from tests/$BASE/$ARCH.list (default: all of them)
#   EXTRA=...         more static programs to run, each as a test
#   EXTRA_TIMEOUT=N   their timeout in seconds (default 300)
#   VM_FILES=DIR      copy DIR into the initramfs as /e2e (make qemu-e2e:
#                     QEMU, its firmware, the L2 guest's kernel and initramfs)
#   SHOW_OUTPUT=1     show the programs' output while they run
#   CLOCKSOURCE_TIMEOUT=N  seconds the VM waits for its final clocksource
#                     before the tests (default 60; then the boot fails)
#   VM_RERUN=0        do not rerun, in a fresh boot, a test of
#                     tests/$BASE/rerun-on-triple-fault that failed only
#                     because a guest triple faulted, or one of
#                     tests/$BASE/rerun-on-assertion that failed only by
#                     the assertion named there (triple faults: x86_64
#                     only; vmlog.py reruns; default 1: it is rerun once
#                     and reported FLAKY if it then passes, FAIL if not)
#   VM_TCG_THREAD=single|multi  QEMU's TCG threading (default: single on
#                     x86_64, multi on arm64; see tcg_thread below)
#   VM_ICOUNT=OPTS    run QEMU with -icount OPTS (make bench: shift=0,sleep=off,
#                     where the guest's clock counts instructions)
#   VM_GDB=SOCKET     start QEMU stopped, with its gdbstub on the Unix socket
#                     SOCKET and its pid in $VM_DIR/qemu.pid, and the kernel
#                     without KASLR, so that gdb can use the symbols of
#                     vmlinux (make bench single-steps ioctls)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch_setup

EXTRA=${EXTRA:-}
EXTRA_TIMEOUT=${EXTRA_TIMEOUT:-300}
SHOW_OUTPUT=${SHOW_OUTPUT:-0}
VM_MEM=${VM_MEM:-2G}
VM_CPUS=${VM_CPUS:-2}
BOOT_MARGIN=${BOOT_MARGIN:-180}
CLOCKSOURCE_TIMEOUT=${CLOCKSOURCE_TIMEOUT:-60}
VM_RERUN=${VM_RERUN:-1}

# VM_KERNEL: boot another kernel image (make regress: the unpatched base's)
# with the tests built here; VM_DIR: keep its logs elsewhere.
image=${VM_KERNEL:-$KOBJ/$KIMAGE}
[ -f "$image" ] || die "no kernel at $image: run 'make kernel BASE=$BASE ARCH=$ARCH'"

case "$ARCH" in
x86_64)
	busybox=/bin/busybox
	qemu_args=(-M pc -cpu EPYC,+svm,+invtsc)
	# One host thread for both vCPUs: with a thread per vCPU (MTTCG),
	# QEMU's emulated SVM now and then stores the L1 host's registers as
	# an L2 guest's at VMRUN (RIP after VMRUN in __svm_vcpu_run, RSP on a
	# host stack), and the guest triple faults or hangs; on 2026-11-22 in
	# 4 of 24 runs of kvm_clock_update_test and 1 of 4 of clock_fuzz with
	# MTTCG, 0 of 16 and 0 of 4 with one thread, at about 20% more time
	# (README, "Flaky tests").
	tcg_thread=single
	cmdline="console=ttyS0 tsc=reliable"
	# tsc-early for about 2 s after boot, then the refined tsc.
	clocksource=tsc
	# TCG's guest TSC is the host's: tell the guest its frequency rather
	# than let it calibrate early (see tools/host-tsc-khz.c).
	if [ ! -x "$BUILD/host-tsc-khz" ] || [ "$TOP/tools/host-tsc-khz.c" -nt "$BUILD/host-tsc-khz" ]; then
		gcc -O2 -o "$BUILD/host-tsc-khz" "$TOP/tools/host-tsc-khz.c"
	fi
	khz=$("$BUILD/host-tsc-khz" || true)
	# Not under -icount: the guest's TSC then counts instructions.
	[ -z "$khz" ] || [ -n "${VM_ICOUNT:-}" ] || cmdline="$cmdline tsc_early_khz=$khz"
	;;
arm64)
	busybox=$BUILD/busybox-arm64/bin/busybox
	# pauth-impdef: QEMU's own pointer-auth algorithm, much faster under TCG.
	qemu_args=(-M virt,virtualization=on,gic-version=3 -cpu max,pauth-impdef=on)
	tcg_thread=multi
	cmdline="console=ttyAMA0"
	clocksource=arch_sys_counter
	;;
esac
[ -x "$busybox" ] || die "no static busybox at $busybox: run 'make setup'"
[ -z "${VM_GDB:-}" ] || cmdline="$cmdline nokaslr"

rm -rf "$VMDIR/root"
mkdir -p "$VMDIR/root"/{bin,proc,sys,dev,tmp,tests/extra}
root=$VMDIR/root
cp "$busybox" "$root/bin/busybox"
cp "$TOP/scripts/vm-init.sh" "$root/init"
python3 "$TOP/scripts/vmlog.py" pattern >"$root/kreport.re"

# The selected tests, then the EXTRA programs.
"$TOP/scripts/testlist.sh" >"$VMDIR/tests.tsv"
while IFS=$'\t' read -r name timeout cmd; do
	bin=${cmd%% *}
	# tools/foo is the harness program foo (tools/programs.mk).
	case "$bin" in
	tools/*) src=$TOOLOBJ/${bin#tools/} ;;
	*) src=$STOBJ/$bin ;;
	esac
	[ -x "$src" ] || die "$name: $src not built: run 'make selftests BASE=$BASE ARCH=$ARCH'"
	mkdir -p "$root/tests/$(dirname "$bin")"
	cp "$src" "$root/tests/$bin"
done <"$VMDIR/tests.tsv"
for x in $EXTRA; do
	[ -f "$x" ] || die "EXTRA: no such file: $x"
	file -L "$x" | grep -q -e 'statically linked' -e 'shell script' ||
		warn "EXTRA: $x does not look statically linked; it may not run in the VM"
	cp "$x" "$root/tests/extra/"
	printf '%s\t%s\t%s\n' "$(basename "$x")" "$EXTRA_TIMEOUT" "extra/$(basename "$x")" \
		>>"$VMDIR/tests.tsv"
done
if [ -n "${VM_FILES:-}" ]; then
	[ -d "$VM_FILES" ] || die "VM_FILES: no such directory: $VM_FILES"
	cp -a "$VM_FILES" "$root/e2e"
fi
# The log tells the tests apart by name alone.
dup=$(cut -f1 "$VMDIR/tests.tsv" | sort | uniq -d | head -n1)
[ -z "$dup" ] || die "the test name '$dup' is listed more than once (TESTS, EXTRA): the log could not tell the runs apart"
cp "$VMDIR/tests.tsv" "$root/tests.tsv"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$VMDIR/initramfs.cpio.gz"

ntests=$(wc -l <"$VMDIR/tests.tsv")
log=$VMDIR/serial.log
: >"$log"
follow=(python3 "$TOP/scripts/vmlog.py" follow "$log" "$VMDIR/tests.tsv" --append)
[ "$SHOW_OUTPUT" = 1 ] && follow+=(--show-output)

# Boot, and boot again for the tests after one that left the kernel in a
# state later tests must not run in (vm-init.sh stops there) or that the
# VM did not survive. Every boot makes progress, so this ends.
skip=0
boot=0
only=
while :; do
	boot=$((boot + 1))
	budget=$(awk -F'\t' -v m="$BOOT_MARGIN" -v s="$skip" -v o=",$only," \
		'(o == ",," && NR > s) || index(o, "," NR ",") { t += $2 } END { print t + m }' \
		"$VMDIR/tests.tsv")
	qemu=("$QEMU" "${qemu_args[@]}" -accel tcg,thread=${VM_TCG_THREAD:-$tcg_thread} -smp "$VM_CPUS" -m "$VM_MEM"
		-kernel "$image" -initrd "$VMDIR/initramfs.cpio.gz"
		-append "$cmdline panic=-1 rdinit=/init printk.time=1 log_buf_len=4M harness.skip=$skip${only:+ harness.only=$only} harness.clocksource=$clocksource harness.cs_timeout=$CLOCKSOURCE_TIMEOUT"
		-display none -monitor none -serial stdio -nic none -no-reboot
		${VM_ICOUNT:+-icount "$VM_ICOUNT"} ${VM_GDB:+-gdb "unix:$VM_GDB,server=on,wait=off" -S -pidfile "$VMDIR/qemu.pid"})
	printf '%q ' "${qemu[@]}" >"$VMDIR/qemu-cmdline"
	echo >>"$VMDIR/qemu-cmdline"
	if [ "$boot" -eq 1 ]; then
		say "booting the $BASE $ARCH test VM: $ntests test(s), at most $(fmt_secs "$budget") (log: ${log#"$TOP"/})"
	elif [ -n "$only" ]; then
		say "fresh boot $boot to rerun test(s) $only, which failed as known flaky tests do, at most $(fmt_secs "$budget")"
	else
		say "fresh boot $boot for test(s) $((skip + 1))-$ntests, at most $(fmt_secs "$budget")"
	fi
	echo "@@HOST-BOOT n=$boot skip=$skip" >>"$log"
	rc=0
	timeout -s KILL "$budget" "${qemu[@]}" </dev/null 2>&1 | "${follow[@]}" || rc=$?
	[ "$rc" -eq 0 ] || warn "QEMU exited with $rc (137: killed after ${budget}s)"
	[ -z "$only" ] || break
	next=$(python3 "$TOP/scripts/vmlog.py" next "$log" "$VMDIR/tests.tsv")
	if [ "$next" = done ]; then
		# Once, the tests that failed because a guest triple faulted
		# or by their known flaky assertion.
		[ "$VM_RERUN" = 1 ] || break
		# Only the tests listed; known assertions on both arches,
		# triple faults only on x86 (emulated SVM; vmlog.py decides).
		only=$(python3 "$TOP/scripts/vmlog.py" reruns "$log" "$VMDIR/tests.tsv" \
			"$TOP/tests/$BASE/rerun-on-triple-fault" \
			"$TOP/tests/$BASE/rerun-on-assertion" "$ARCH") ||
			die "vmlog.py reruns failed (a bad line in tests/$BASE/rerun-on-assertion?)"
		[ "$only" != none ] || break
		skip=0
		continue
	fi
	skip=$next
done

rc=0
python3 "$TOP/scripts/vmlog.py" summary "$log" "$VMDIR/tests.tsv" "$VMDIR/results.tsv" \
	"$TOP/tests/$BASE/figures" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "full serial log: $log"
	echo "reproduce:       make vmtest BASE=$BASE ARCH=$ARCH${TESTS:+ TESTS=\"$TESTS\"}"
fi
exit "$rc"
