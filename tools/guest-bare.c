// SPDX-License-Identifier: GPL-2.0
/*
 * guest-bare: the smallest real guest for the QEMU end-to-end test, for
 * when a Linux L2 cannot run reliably under the emulated nested SVM of the
 * test environment (README, "QEMU: the end-to-end test").
 *
 * A 32-bit multiboot kernel (QEMU's -kernel loads it; protected mode, no
 * paging, interrupts off throughout). It registers vCPU 0's kvmclock page
 * with MSR_KVM_SYSTEM_TIME_NEW, as a Linux guest's kvm-clock does, then
 * samples the page and the TSC in a busy loop and reports, over the first
 * UART (polled), each change of the pvclock parameters as the step of
 * kvmclock at one TSC value, in the line format of tools/guest-clock.c.
 * It needs no interrupt, timer or device but the UART. It has no
 * CLOCK_MONOTONIC and no kernel log: the clock it reads is kvmclock, which
 * is what a Linux guest's CLOCK_MONOTONIC counts with clocksource=kvm-clock,
 * so its "mono_gap_ns" is kvmclock's gap.
 *
 * Build: gcc -m32 -O2 -ffreestanding -fno-pic -fno-stack-protector
 *        -mgeneral-regs-only -nostdlib -no-pie -static -Wl,-T,guest-bare.ld
 *        -Wl,--build-id=none -o guest-bare guest-bare.c
 */
#include <stdint.h>

#include "guest-pvclock.h"

/*
 * The multiboot header (magic 0x1badb002, no flags, checksum), which the
 * linker script puts first, in the first 8 KiB of the image; then the
 * entry point.
 */
__asm__(".section .multiboot, \"a\"\n"
	".align 4\n"
	".long 0x1badb002, 0, -0x1badb002\n"
	".text\n"
	".globl _start\n"
	"_start:\n"
	"	cli\n"
	"	cld\n"
	"	mov $stack_top, %esp\n"
	"	call guest_main\n"
	"1:	hlt\n"
	"	jmp 1b\n");

static uint8_t stack[16384] __attribute__((aligned(16), used));
__asm__(".globl stack_top\n.set stack_top, stack + 16384\n");

#define KVM_CPUID_SIGNATURE		0x40000000
#define KVM_CPUID_FEATURES		0x40000001
#define KVM_FEATURE_CLOCKSOURCE2	3
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT 24
#define MSR_KVM_SYSTEM_TIME_NEW		0x4b564d01

#define GAP_NS	50000000ULL	/* 50 ms */
#define HB_NS	2000000000ULL	/* 2 s */

static volatile struct pvclock_vcpu_time_info pvti __attribute__((aligned(64)));

/* ------------------------------------------------------------------ I/O */

#define UART_BASE	0x3f8
#define UART_LSR	(UART_BASE + 5)
#define UART_LSR_THRE	0x20

static inline void outb(uint8_t v, uint16_t port)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void putc_uart(char c)
{
	while (!(inb(UART_LSR) & UART_LSR_THRE))
		;
	outb((uint8_t)c, UART_BASE);
}

static void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

#include "guest-bare-print.h"

/* ---------------------------------------------------------------- CPU */

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c,
		  uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "0"(leaf), "2"(0));
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)) : "memory");
}

static int kvmclock_available(uint32_t *features)
{
	uint32_t a, b, c, d;

	cpuid(KVM_CPUID_SIGNATURE, &a, &b, &c, &d);
	/* "KVMKVMKVM\0\0\0", and the features leaf */
	if (b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d ||
	    a < KVM_CPUID_FEATURES)
		return 0;
	cpuid(KVM_CPUID_FEATURES, &a, &b, &c, &d);
	*features = a;
	return !!(a & (1u << KVM_FEATURE_CLOCKSOURCE2));
}

/* --------------------------------------------------------------- main */

struct sample {
	struct pvclock_vcpu_time_info pv;
	uint64_t tsc;
};

static void take_sample(struct sample *s)
{
	s->tsc = pvclock_snapshot(&pvti, &s->pv);
}

void guest_main(void);

void guest_main(void)
{
	struct sample prev, cur;
	uint64_t seq = 0, next_hb;
	uint32_t features = 0;

	puts_uart("@@GUEST bare clocksource=kvm-clock\n");
	if (!kvmclock_available(&features)) {
		puts_uart("@@GUEST no-pvclock (no KVM_FEATURE_CLOCKSOURCE2)\n");
		return;
	}
	/* No paging: the page's address is its guest physical address. */
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint32_t)(uintptr_t)&pvti | 1);
	while (!pvti.version)
		;
	take_sample(&prev);
	field_u("@@GUEST pvclock version=", prev.pv.version);
	field_u(" flags=", prev.pv.flags);
	field_u(" mul=", prev.pv.tsc_to_system_mul);
	field_s(" shift=", prev.pv.tsc_shift);
	field_u(" stable_bit_feature=",
		!!(features & (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT)));
	puts_uart("\n@@READY\n");

	next_hb = pvclock_at(&prev.pv, prev.tsc) + HB_NS;
	for (;;) {
		uint64_t now, then;
		int printed = 0;

		take_sample(&cur);
		now = pvclock_at(&cur.pv, cur.tsc);
		if (pvclock_changed(&cur.pv, &prev.pv)) {
			/* kvmclock before and after the change, at one TSC */
			int64_t step = (int64_t)(now - pvclock_at(&prev.pv, cur.tsc));
			int64_t kgap = (int64_t)(now - pvclock_at(&prev.pv, prev.tsc));

			field_u("@@EV n=", ++seq);
			field_u(" version=", cur.pv.version);
			field_s(" step_ns=", step);
			field_s(" mono_gap_ns=", kgap);
			field_s(" kvmclock_gap_ns=", kgap);
			field_s(" tsc_gap=", (int64_t)(cur.tsc - prev.tsc));
			field_u(" flags=", cur.pv.flags);
			putc_uart('\n');
			printed = 1;
		} else if ((then = pvclock_at(&prev.pv, prev.tsc), now - then > GAP_NS)) {
			field_s("@@GAP mono_gap_ns=", (int64_t)(now - then));
			field_s(" tsc_gap=", (int64_t)(cur.tsc - prev.tsc));
			putc_uart('\n');
			printed = 1;
		}
		if (now >= next_hb) {
			field_u("@@HB kvmclock_ns=", now);
			field_u(" tsc=", cur.tsc);
			putc_uart('\n');
			next_hb = now + HB_NS;
			printed = 1;
		}
		if (printed) {
			/*
			 * Printing costs many I/O exits: take the time
			 * baseline again so that the print is not reported
			 * as a gap, but keep the previous pvclock fields so
			 * that a change during the print is still seen.
			 */
			struct pvclock_vcpu_time_info keep = cur.pv;

			take_sample(&prev);
			if (pvclock_changed(&prev.pv, &keep))
				prev = cur;
		} else {
			prev = cur;
		}
	}
}
