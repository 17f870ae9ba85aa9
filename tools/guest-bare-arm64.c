// SPDX-License-Identifier: GPL-2.0
/*
 * guest-bare-arm64: the arm64 guest of the QEMU end-to-end test, the
 * counterpart of tools/guest-bare.c.
 *
 * An ELF that QEMU's -kernel loads at the start of the virt machine's RAM
 * and enters at EL1, MMU and interrupts off. It samples the host's
 * CLOCK_REALTIME and its own virtual counter at one instant with KVM's
 * PTP hypercall (ARM_SMCCC_VENDOR_HYP_KVM_PTP_FUNC_ID, the one the
 * ptp_kvm driver of a Linux guest uses) in a busy loop, and reports over
 * the PL011 (polled) each interval in which realtime advanced by more
 * than GAP_NS: a migration, when the guest was not running.
 *
 * For that interval it reports, in the line format of tools/guest-bare.c:
 *   mono_gap_ns  the jump of the virtual counter, in ns (a Linux guest's
 *                CLOCK_MONOTONIC counts with this counter);
 *   step_ticks   the jump of the counter minus the realtime that passed,
 *                in counter ticks: 0 (or 1, rounding) when the counter
 *                caught up exactly with the downtime; minus the downtime
 *                when it was frozen;
 *   step_ns      step_ticks in ns;
 *   phys_step_ns the physical counter minus the virtual one after the
 *                interval minus before, in ns: 0 when both moved
 *                together, and by how much the physical one moved
 *                against the virtual one otherwise;
 *   phys_err_ns  how far off phys_step_ns may be: the two counters are
 *                read one after the other (virtual, physical, virtual),
 *                each time, and the reads' spans bound it.
 * Source and destination of the test are the same host (L1), whose
 * realtime and counter run at the same rate, so step_ticks is exact
 * outside migrations: the largest one seen is in every heartbeat
 * ("max_step_ticks"). The physical counter minus the virtual one is in
 * @@READY (with its error, "phys_err") and every heartbeat
 * ("phys_minus_virt", ticks); it does not
 * change while the guest runs, and an interval in which it did is
 * reported as "@@PHYS-MOVED from=... to=... err=..." (ticks), and
 * eight samples in a row in which it changed as "@@PHYS-UNSTABLE".
 *
 * Build: aarch64-linux-gnu-gcc -O2 -ffreestanding -fno-pic
 *        -fno-stack-protector -mgeneral-regs-only -mstrict-align -nostdlib
 *        -no-pie -static -Wl,-T,guest-bare-arm64.ld -o guest-bare-arm64
 *        guest-bare-arm64.c -lgcc
 */
#include <stdint.h>

/* The entry point, first in the image: a stack, then guest_main(). */
__asm__(".section .text.boot, \"ax\"\n"
	".globl _start\n"
	"_start:\n"
	"	msr daifset, #0xf\n"
	"	ldr x0, =stack_top\n"
	"	mov sp, x0\n"
	"	bl guest_main\n"
	"1:	wfe\n"
	"	b 1b\n");

static uint8_t stack[16384] __attribute__((aligned(16), used));
__asm__(".globl stack_top\n.set stack_top, stack + 16384\n");

#define GAP_NS	50000000ULL	/* 50 ms */
#define HB_NS	5000000000ULL	/* 5 s */
#define PRINT_MAX_NS	2000000000ULL	/* 2 s */

/* SMCCC: the KVM vendor hypervisor service's PTP function (fast, 32-bit). */
#define KVM_PTP_FUNC_ID		0x86000001U
#define KVM_PTP_VIRT_COUNTER	0
#define SMCCC_RET_NOT_SUPPORTED	0xffffffffU

/* ------------------------------------------------------------------ I/O */

#define PL011_BASE	0x09000000UL	/* the virt machine's UART */
#define PL011_DR	0x00
#define PL011_FR	0x18
#define PL011_FR_TXFF	(1U << 5)

static void putc_uart(char c)
{
	volatile uint32_t *base = (volatile uint32_t *)PL011_BASE;

	while (base[PL011_FR / 4] & PL011_FR_TXFF)
		;
	base[PL011_DR / 4] = (uint8_t)c;
}

static void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

#include "guest-bare-print.h"

/* -------------------------------------------------------------- clocks */

static uint64_t cntfrq(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

struct sample {
	uint64_t realtime_ns;	/* the host's CLOCK_REALTIME ... */
	uint64_t counter;	/* ... and the guest virtual counter then */
	int64_t phys_minus_virt;	/* CNTPCT_EL0 - CNTVCT_EL0, in ticks ... */
	uint64_t pmv_err;	/* ... within this many */
};

/*
 * The physical counter minus the virtual one: the physical read between
 * two virtual ones, the best of a few tries (a read of CNTPCT_EL0 traps
 * to the hypervisor where it emulates the physical offset).
 */
static void read_phys_minus_virt(struct sample *s)
{
	uint64_t v1, p, v2, best = UINT64_MAX;

	for (int i = 0; i < 4; i++) {
		__asm__ volatile("isb; mrs %0, cntvct_el0; isb; mrs %1, cntpct_el0; "
				 "isb; mrs %2, cntvct_el0"
				 : "=r"(v1), "=r"(p), "=r"(v2));
		if (v2 - v1 < best) {
			best = v2 - v1;
			/* against the middle of [v1, v2]: off by at most half of it */
			s->phys_minus_virt = (int64_t)(p - v1) - (int64_t)(best / 2);
		}
	}
	s->pmv_err = best / 2 + 1;
}

/* KVM's PTP hypercall: 0, or -1 when the hypervisor does not offer it. */
static int ptp_call(struct sample *s)
{
	register uint64_t x0 __asm__("x0") = KVM_PTP_FUNC_ID;
	register uint64_t x1 __asm__("x1") = KVM_PTP_VIRT_COUNTER;
	register uint64_t x2 __asm__("x2");
	register uint64_t x3 __asm__("x3");

	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "=r"(x2), "=r"(x3)
			 :
			 : "memory");
	if ((uint32_t)x0 == SMCCC_RET_NOT_SUPPORTED)
		return -1;
	s->realtime_ns = (x0 & 0xffffffffU) << 32 | (x1 & 0xffffffffU);
	s->counter = (x2 & 0xffffffffU) << 32 | (x3 & 0xffffffffU);
	return 0;
}

/*
 * A sample: ptp_call() (0, or -1 as it returns) with the counters'
 * difference, read before and after it. A VM stops most often right
 * after an exit, such as this hypercall: when the two reads differ, they
 * fell on both sides of a migration, and the sample is taken again.
 */
static int ptp_sample(struct sample *s)
{
	struct sample before;
	int64_t d;

	for (int tries = 0;; tries++) {
		read_phys_minus_virt(&before);
		if (ptp_call(s))
			return -1;
		read_phys_minus_virt(s);
		d = s->phys_minus_virt - before.phys_minus_virt;
		if ((uint64_t)(d < 0 ? -d : d) <= s->pmv_err + before.pmv_err)
			return 0;
		/* Not a migration each time: the two counters drift apart. */
		if (tries == 7) {
			field_s("@@PHYS-UNSTABLE from=", before.phys_minus_virt);
			field_s(" to=", s->phys_minus_virt);
			putc_uart('\n');
			return 0;
		}
	}
}

static uint64_t hz;

/* ns to counter ticks, rounded to the nearest tick. */
static uint64_t ns_to_ticks(uint64_t ns)
{
	return (uint64_t)(((unsigned __int128)ns * hz + 500000000U) / 1000000000U);
}

static int64_t ticks_to_ns(int64_t ticks)
{
	unsigned __int128 m = (unsigned __int128)(ticks < 0 ? -(uint64_t)ticks : (uint64_t)ticks);
	int64_t ns = (int64_t)((m * 1000000000U + hz / 2) / hz);

	return ticks < 0 ? -ns : ns;
}

/* The counter's advance over an interval minus the realtime's, in ticks. */
static int64_t interval_step(const struct sample *a, const struct sample *b)
{
	return (int64_t)(b->counter - a->counter) -
	       (int64_t)ns_to_ticks(b->realtime_ns - a->realtime_ns);
}

/* --------------------------------------------------------------- main */

void guest_main(void);

void guest_main(void)
{
	struct sample prev, cur;
	uint64_t seq = 0, next_hb, max_step = 0;

	hz = cntfrq();
	field_u("@@GUEST bare-arm64 cntfrq=", hz);
	puts_uart("\n");
	if (!hz || ptp_sample(&prev)) {
		puts_uart("@@GUEST no-ptp (no KVM PTP hypercall or no CNTFRQ_EL0)\n");
		return;
	}
	field_s("@@READY phys_minus_virt=", prev.phys_minus_virt);
	field_u(" phys_err=", prev.pmv_err);
	puts_uart("\n");

	next_hb = prev.realtime_ns + HB_NS;
	for (;;) {
		int64_t dcnt, step;
		uint64_t drt;
		int printed = 0;

		if (ptp_sample(&cur))
			continue;
		drt = cur.realtime_ns - prev.realtime_ns;
		dcnt = (int64_t)(cur.counter - prev.counter);
		step = interval_step(&prev, &cur);
		if (drt > GAP_NS) {
			field_u("@@EV n=", ++seq);
			field_s(" step_ns=", ticks_to_ns(step));
			field_s(" step_ticks=", step);
			field_s(" mono_gap_ns=", ticks_to_ns(dcnt));
			field_u(" realtime_gap_ns=", drt);
			field_s(" counter_gap=", dcnt);
			field_s(" phys_step_ns=",
				ticks_to_ns(cur.phys_minus_virt - prev.phys_minus_virt));
			field_u(" phys_err_ns=",
				(uint64_t)ticks_to_ns((int64_t)(cur.pmv_err + prev.pmv_err)));
			putc_uart('\n');
			printed = 1;
		} else if ((uint64_t)(step < 0 ? -step : step) > max_step) {
			max_step = (uint64_t)(step < 0 ? -step : step);
		}
		if (drt <= GAP_NS) {
			int64_t dp = cur.phys_minus_virt - prev.phys_minus_virt;

			if ((uint64_t)(dp < 0 ? -dp : dp) > cur.pmv_err + prev.pmv_err) {
				field_s("@@PHYS-MOVED from=", prev.phys_minus_virt);
				field_s(" to=", cur.phys_minus_virt);
				field_u(" err=", cur.pmv_err + prev.pmv_err);
				putc_uart('\n');
				printed = 1;
			}
		}
		if (cur.realtime_ns >= next_hb) {
			field_u("@@HB cnt=", cur.counter);
			field_u(" max_step_ticks=", max_step);
			field_s(" phys_minus_virt=", cur.phys_minus_virt);
			putc_uart('\n');
			next_hb = cur.realtime_ns + HB_NS;
			printed = 1;
		}
		/*
		 * Printing takes time (hundreds of ms under emulation): do
		 * not report it as a gap, unless the guest was stopped
		 * during it, which shows as a step or as a long print; a
		 * migration may start at any instant. Then the next
		 * interval starts before the print.
		 */
		if (printed) {
			struct sample after;

			if (ptp_sample(&after) || interval_step(&cur, &after) > 1 ||
			    interval_step(&cur, &after) < -1 ||
			    after.realtime_ns - cur.realtime_ns > PRINT_MAX_NS)
				prev = cur;
			else
				prev = after;
		} else {
			prev = cur;
		}
	}
}
