#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the test VM: waits for the final clocksource, then runs the lines
# of /tests.tsv ("name timeout command") with a per-test timeout, framing
# each with markers that scripts/vmlog.py reads from the serial console.
#
# After every test it checks that lockdep is still on and that the kernel
# log got no report (/kreport.re, written by vmtest.sh from vmlog.py). If
# either fails, the VM stops there ("@@RESTART") and vmtest.sh boots a
# fresh one for the remaining tests, so that none runs with lockdep off.
#
# Kernel command line: harness.skip=N (start at test N+1), harness.only=N,M
# (run only tests N and M: vmtest.sh's rerun of a failed test),
# harness.clocksource=NAME, harness.cs_timeout=SECONDS.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug

uptime_s() { cut -d' ' -f1 /proc/uptime; }
param() { sed -n "s/.*harness\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
debug_locks() {
	v=$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats 2>/dev/null)
	echo "${v:-missing}"
}
# kernel_reports: the reports in the kernel log since the last call
# (which consumed it), as @@KREPORT lines; at most 5.
kernel_reports() {
	dmesg -c 2>/dev/null | grep -E -f /kreport.re | head -n 5 | sed 's/^/@@KREPORT /'
}
stop() {
	echo "@@RESTART $*"
	sync
	reboot -f
	sleep 60
}

skip=$(param skip)
skip=${skip:-0}
only=$(param only)
want=$(param clocksource)
cs_timeout=$(param cs_timeout)
cs_timeout=${cs_timeout:-60}
cs=/sys/devices/system/clocksource/clocksource0/current_clocksource

# The tests must see the clocksource the system ends up with (x86: tsc,
# after about 2 s of tsc-early), however fast the VM booted. Not getting
# it in time is a failure of the boot, reported as such.
if [ -n "$want" ]; then
	t0=$(uptime_s)
	while [ "$(cat $cs)" != "$want" ]; do
		if awk -v a="$t0" -v b="$(uptime_s)" -v t="$cs_timeout" 'BEGIN { exit !(b - a >= t) }'; then
			echo "@@BOOT-FAILED clocksource is '$(cat $cs)' after ${cs_timeout}s, expected '$want'"
			break
		fi
		sleep 0.1 2>/dev/null || sleep 1
	done
fi

echo "@@BOOTED kernel=$(uname -r) clocksource=$(cat $cs) kvm=$([ -c /dev/kvm ] && echo yes || echo no) uptime=$(uptime_s) skip=$skip${only:+ only=$only}"
echo "@@LOCKDEP debug_locks:$(debug_locks)"
# Reports during boot are the run's, not a test's.
kernel_reports | sed 's/^@@KREPORT /@@KREPORT-BOOT /'
boot_locks=$(debug_locks)

tab=$(printf '\t')
n=0
while IFS="$tab" read -r name timeout cmd; do
	[ -n "$name" ] || continue
	n=$((n + 1))
	if [ -n "$only" ]; then
		case ",$only," in
		*",$n,"*) ;;
		*) continue ;;
		esac
	elif [ "$n" -le "$skip" ]; then
		continue
	fi
	echo "@@TEST-BEGIN $name n=$n"
	t0=$(uptime_s)
	set -- $cmd
	prog=$1
	shift
	cd /tests
	timeout -s KILL "$timeout" "/tests/$prog" "$@" </dev/null 2>&1
	rc=$?
	cd /
	t1=$(uptime_s)
	reports=$(kernel_reports)
	locks=$(debug_locks)
	[ -z "$reports" ] || echo "$reports"
	echo "@@TEST-END $name rc=$rc secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') debug_locks=$locks"
	if [ -n "$reports" ]; then
		stop "after $name: kernel report"
	elif [ "$locks" != "$boot_locks" ]; then
		stop "after $name: lockdep turned itself off"
	fi
done </tests.tsv

echo "@@LOCKDEP debug_locks:$(debug_locks)"
echo "@@DONE"
sync
# The kernel writes its messages to the UART directly, ours go through the
# tty's buffer: let that drain, or the reboot's messages land inside the
# last lines above.
sleep 2
reboot -f
