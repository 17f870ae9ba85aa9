#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the test VM: runs every line of /tests.tsv ("name timeout
# command") with a per-test timeout, framing each with markers that
# scripts/vmlog.py reads from the serial console, then powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug

uptime_s() { cut -d' ' -f1 /proc/uptime; }

cs=/sys/devices/system/clocksource/clocksource0/current_clocksource
echo "@@BOOTED kernel=$(uname -r) clocksource=$(cat $cs) kvm=$([ -c /dev/kvm ] && echo yes || echo no) uptime=$(uptime_s)"

tab=$(printf '\t')
while IFS="$tab" read -r name timeout cmd; do
	[ -n "$name" ] || continue
	echo "@@TEST-BEGIN $name"
	t0=$(uptime_s)
	set -- $cmd
	prog=$1
	shift
	cd /tests
	timeout -s KILL "$timeout" "/tests/$prog" "$@" </dev/null 2>&1
	rc=$?
	cd /
	t1=$(uptime_s)
	echo "@@TEST-END $name rc=$rc secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
done </tests.tsv

echo "@@LOCKDEP $(grep -s 'debug_locks:' /proc/lockdep_stats | tr -d ' ' || echo missing)"
echo "@@DONE"
sync
reboot -f
