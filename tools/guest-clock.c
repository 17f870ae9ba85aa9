// SPDX-License-Identifier: GPL-2.0
/*
 * guest-clock: /init for an L2 test guest that watches its kvmclock
 * (pvclock) page across live migrations.
 *
 * The guest runs without any timer interrupt, so nothing here may sleep:
 * the main loop is a busy loop that samples the vDSO's pvclock page
 * ("[vvar_vclock]", vCPU 0's struct pvclock_vcpu_time_info at offset 0),
 * the TSC, CLOCK_MONOTONIC and CLOCK_MONOTONIC_RAW, and reports any change
 * of the pvclock parameters as an "@@EV" line.
 *
 * Output goes straight to the first UART (port 0x3f8, ioperm(), polled):
 * neither a tty write (the UART's TX interrupt) nor printk (the console
 * printer thread, which needs a wakeup) works when the guest's interrupts
 * stop arriving, and a busy guest must still be heard. Boot with
 * "gcout=kmsg" to write through /dev/kmsg, "gcout=stdout" for fd 1.
 *
 * Build: gcc -O2 -static -Wall -Wextra -o guest-clock guest-clock.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/io.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guest-pvclock.h"

#define GAP_NS  50000000LL	/* 50 ms */
#define HB_NS   2000000000LL	/* 2 s */

static int out_fd = 1;
static int out_kmsg;
static int out_uart;

#define UART_BASE	0x3f8
#define UART_LSR	(UART_BASE + 5)
#define UART_LSR_THRE	0x20

static void uart_write(const char *p, size_t n)
{
	for (; n; n--, p++) {
		while (!(inb(UART_LSR) & UART_LSR_THRE))
			;
		outb((unsigned char)*p, UART_BASE);
	}
}
static int kmsg_fd = -1;

/* ---------------------------------------------------------------- output */

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

__attribute__((format(printf, 1, 2)))
static void out(const char *fmt, ...)
{
	char buf[1024];
	int n, off = 0;
	va_list ap;

	if (out_kmsg)	/* level 2 (crit): printed even with "quiet" */
		off = snprintf(buf, sizeof(buf), "<2>");
	va_start(ap, fmt);
	n = vsnprintf(buf + off, sizeof(buf) - off - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += off;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (out_uart) {
		uart_write(buf, (size_t)n);
		return;
	}
	write_all(out_fd, buf, (size_t)n);
	if (out_kmsg)
		sched_yield();	/* let the console printer thread run */
}

/* ---------------------------------------------------------- pvclock math */

/* The kernel's own inline assembly, used as a cross-check. */
static uint64_t scale_delta_asm(uint64_t delta, uint32_t mul, int shift)
{
	uint64_t product, tmp;

	if (shift < 0)
		delta >>= ((unsigned)-shift) & 63;
	else
		delta <<= ((unsigned)shift) & 63;
	__asm__("mulq %[mul] ; shrd $32, %[hi], %[lo]"
		: [lo] "=a"(product), [hi] "=d"(tmp)
		: "0"(delta), [mul] "rm"((uint64_t)mul));
	return product;
}

static int selftest(void)
{
	static const struct {
		uint64_t tsc_timestamp, system_time, tsc;
		uint32_t mul;
		int8_t shift;
		uint64_t want;
	} v[] = {
		/* 1000 cycles at 0.5 ns/cycle */
		{ 1000, 10, 2000, 0x80000000u, 0, 510 },
		{ 1000, 10, 2000, 0x80000000u, 1, 1010 },
		{ 1000, 10, 2000, 0x80000000u, -1, 260 },
		/* (2^40 * (2^32-1)) >> 32 = 2^40 - 2^8 */
		{ 0, 0, 1ULL << 40, 0xffffffffu, 0, (1ULL << 40) - 256 },
		/* tsc < tsc_timestamp: u64 delta = 2^64-1 -> (2^64-1)/2 */
		{ 1001, 5, 1000, 0x80000000u, 0, 0x8000000000000004ULL },
		{ 1001, 0, 1000, 0xffffffffu, 0, 0xfffffffeffffffffULL },
		{ 1001, 0, 1000, 0x80000000u, -1, 0x3fffffffffffffffULL },
		/* delta<<1 = 2^64-2 (shift drops the top bit) */
		{ 1001, 0, 1000, 0xffffffffu, 1, 0xfffffffefffffffeULL },
		/* system_time + offset wraps modulo 2^64 */
		{ 0, 0xffffffffffffff00ULL, 0x200, 0x80000000u, 0, 0 },
		/* 3 GHz-ish: mul=0xaaaaaaaa shift=-1 (0.333 ns/cycle) */
		{ 100, 1000000000ULL, 100 + 3000000000ULL, 0xaaaaaaaau, -1,
		  1000000000ULL + 999999999ULL },
	};
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int bad = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct pvclock_vcpu_time_info p = {
			.tsc_timestamp = v[i].tsc_timestamp,
			.system_time = v[i].system_time,
			.tsc_to_system_mul = v[i].mul,
			.tsc_shift = v[i].shift,
		};
		uint64_t got = pvclock_at(&p, v[i].tsc);

		if (got != v[i].want) {
			out("@@SELFTEST FAIL vector %zu got=%llu want=%llu", i,
			    (unsigned long long)got, (unsigned long long)v[i].want);
			bad++;
		}
	}
	/* random cross-check against the kernel's asm */
	for (int i = 0; i < 100000; i++) {
		uint64_t d, r;
		uint32_t m;
		int s;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17; d = x;
		x ^= x << 13; x ^= x >> 7; x ^= x << 17; m = (uint32_t)x;
		s = (int)((x >> 40) % 65) - 32;
		if (i & 1)
			d >>= (x >> 50) & 63;
		r = pvclock_scale(d, m, s);
		if (r != scale_delta_asm(d, m, s)) {
			out("@@SELFTEST FAIL random d=%llu m=%u s=%d",
			    (unsigned long long)d, m, s);
			bad++;
			break;
		}
	}
	return bad;
}

/* ------------------------------------------------------------------ kmsg */

static const char *const klog_pat[] = {
	"clocksource", "tsc", "TSC", "kvm-clock", "timekeeping",
	"watchdog", "unstable", "APIC timer",
};

static int klog_match(const char *s)
{
	for (size_t i = 0; i < sizeof(klog_pat) / sizeof(klog_pat[0]); i++)
		if (strstr(s, klog_pat[i]))
			return 1;
	return 0;
}

/* Print new kernel log records matching the pattern; never blocks. */
static void drain_kmsg(void)
{
	char rec[2048];

	if (kmsg_fd < 0)
		return;
	for (;;) {
		ssize_t n = read(kmsg_fd, rec, sizeof(rec) - 1);
		char *msg, *nl, *hdr_end;
		unsigned long long ts = 0;

		if (n < 0) {
			if (errno == EPIPE || errno == EINTR)
				continue;	/* records overwritten: go on */
			return;			/* EAGAIN: nothing more */
		}
		if (n == 0)
			return;
		rec[n] = 0;
		hdr_end = strchr(rec, ';');
		if (!hdr_end)
			continue;
		sscanf(rec, "%*[^,],%*[^,],%llu", &ts);
		msg = hdr_end + 1;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		if (!strncmp(msg, "@@", 2))
			continue;	/* our own output */
		if (klog_match(msg))
			out("@@KLOG [%llu.%06llu] %s", ts / 1000000, ts % 1000000, msg);
	}
}

/* --------------------------------------------------------------- sampling */

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

struct sample {
	struct pvclock_vcpu_time_info pv;
	uint64_t tsc;
	int64_t mono, raw;
};

static volatile struct pvclock_vcpu_time_info *pvti;

static void take_sample(struct sample *s)
{
	if (pvti)
		s->tsc = pvclock_snapshot(pvti, &s->pv);
	else
		s->tsc = rdtsc_ordered();

	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_MONOTONIC_RAW, &r);
	s->mono = ts_ns(&m);
	s->raw = ts_ns(&r);
}

/* ------------------------------------------------------------ pvclock map */

static sigjmp_buf probe_jmp;

static void probe_fault(int sig)
{
	siglongjmp(probe_jmp, sig);
}

static volatile struct pvclock_vcpu_time_info *find_pvclock(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long start = 0;
	int found = 0;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[vvar_vclock]") && sscanf(line, "%lx-", &start) == 1) {
			found = 1;
			break;
		}
	}
	fclose(f);
	if (!found)
		return NULL;

	/* The fault handler raises SIGBUS when vclock mode isn't pvclock. */
	struct sigaction sa = { .sa_handler = probe_fault }, obus, osegv;
	volatile struct pvclock_vcpu_time_info *p = (void *)start;
	uint32_t v = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	if (sigsetjmp(probe_jmp, 1) == 0)
		v = p->version;
	else
		p = NULL;
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	if (p && v == 0)
		p = NULL;
	return p;
}

/* ------------------------------------------------------------------- main */

static void read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = -1;

	buf[0] = 0;
	if (fd >= 0) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	if (n < 0)
		n = 0;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!buf[0])
		snprintf(buf, len, "?");
}

static void setup_output(void)
{
	const char *mode = getenv("gcout");

	if ((!mode || !strcmp(mode, "uart")) && !ioperm(UART_BASE, 8, 1)) {
		out_uart = 1;
		return;
	}
	if (mode && !strcmp(mode, "stdout")) {
		if (fcntl(1, F_GETFD) < 0) {
			int fd = open("/dev/console", O_WRONLY | O_NOCTTY);

			if (fd >= 0 && fd != 1)
				dup2(fd, 1);
		}
		out_fd = 1;
		return;
	}
	/* no printk rate limit for our writes */
	int fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY);

	if (fd >= 0) {
		write_all(fd, "on\n", 3);
		close(fd);
	}
	fd = open("/dev/kmsg", O_WRONLY | O_NOCTTY);
	if (fd >= 0) {
		out_fd = fd;
		out_kmsg = 1;
	}
}

int main(int argc, char **argv)
{
	char cs[64];

	if (argc > 1 && !strcmp(argv[1], "--selftest")) {
		int bad = selftest();

		out("@@SELFTEST %s", bad ? "failed" : "ok");
		return bad ? 1 : 0;
	}
	if (getpid() != 1) {
		fprintf(stderr, "guest-clock: meant to run as /init (or use --selftest)\n");
		return 2;
	}
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) && errno != EBUSY)
		perror("mount /proc");
	if (mount("sysfs", "/sys", "sysfs", 0, NULL) && errno != EBUSY)
		perror("mount /sys");
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
		perror("mount /dev");
	setup_output();

	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  cs, sizeof(cs));
	out("@@GUEST clocksource=%s", cs);

	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	drain_kmsg();

	if (selftest()) {
		out("@@SELFTEST failed");
	} else {
		out("@@SELFTEST ok");
	}

	pvti = find_pvclock();
	if (!pvti)
		out("@@GUEST no-pvclock");
	else
		out("@@GUEST pvclock version=%u flags=0x%x mul=%u shift=%d",
		    pvti->version, pvti->flags, pvti->tsc_to_system_mul,
		    pvti->tsc_shift);

	out("@@READY");

	struct sample prev, cur;
	unsigned long long seq = 0;
	int64_t next_hb;

	take_sample(&prev);
	next_hb = prev.mono + HB_NS;
	for (;;) {
		int printed = 0;

		take_sample(&cur);
		if (pvti && pvclock_changed(&cur.pv, &prev.pv)) {
			int64_t step = (int64_t)(pvclock_at(&cur.pv, cur.tsc) -
						 pvclock_at(&prev.pv, cur.tsc));
			int64_t kgap = (int64_t)(pvclock_at(&cur.pv, cur.tsc) -
						 pvclock_at(&prev.pv, prev.tsc));

			out("@@EV n=%llu version=%u step_ns=%lld mono_gap_ns=%lld "
			    "raw_gap_ns=%lld kvmclock_gap_ns=%lld tsc_gap=%lld flags=0x%x",
			    ++seq, cur.pv.version, (long long)step,
			    (long long)(cur.mono - prev.mono),
			    (long long)(cur.raw - prev.raw), (long long)kgap,
			    (long long)(cur.tsc - prev.tsc), cur.pv.flags);
			drain_kmsg();
			printed = 1;
		} else if (cur.mono - prev.mono > GAP_NS) {
			out("@@GAP mono_gap_ns=%lld raw_gap_ns=%lld tsc_gap=%lld",
			    (long long)(cur.mono - prev.mono),
			    (long long)(cur.raw - prev.raw),
			    (long long)(cur.tsc - prev.tsc));
			printed = 1;
		}
		if (cur.mono >= next_hb) {
			out("@@HB mono_ns=%lld tsc=%llu", (long long)cur.mono,
			    (unsigned long long)cur.tsc);
			next_hb = cur.mono + HB_NS;
			printed = 1;
		}
		if (printed) {
			/*
			 * Printing costs many I/O exits: re-take the time
			 * baseline so that the print itself isn't reported as
			 * a gap, but keep the pvclock fields of the previous
			 * sample so a change during the print is still seen.
			 */
			struct pvclock_vcpu_time_info keep = cur.pv;

			take_sample(&prev);
			if (pvti && pvclock_changed(&prev.pv, &keep))
				prev = cur;	/* report it on the next round */
		} else {
			prev = cur;
		}
	}
}
