/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's side of kvmclock, shared by the two L2 guests of the QEMU
 * end-to-end test: tools/guest-clock.c (/init of a Linux L2, which reads
 * its vDSO's pvclock page) and tools/guest-bare.c (a bare 32-bit guest
 * that registers its own page). Freestanding: <stdint.h> only, and no
 * 128-bit or 64-bit division, so that it builds with -m32 -nostdlib.
 *
 * The arithmetic mirrors the guest kernel's, not the library under test:
 * __pvclock_read_cycles() and pvclock_scale_delta() in
 * arch/x86/include/asm/pvclock.h.
 */
#ifndef GUEST_PVCLOCK_H
#define GUEST_PVCLOCK_H

#include <stdint.h>

/* arch/x86/include/asm/pvclock-abi.h */
struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

_Static_assert(sizeof(struct pvclock_vcpu_time_info) == 32, "pvti size");

#define PVCLOCK_TSC_STABLE_BIT 1

/*
 * delta is an unsigned 64-bit subtraction (a TSC below tsc_timestamp
 * yields a huge delta, not a negative one), the shift is applied to the
 * u64 with its count masked to 6 bits as shl/shr do, and the product with
 * the 32-bit multiplier is taken modulo 2^64 after ">> 32" (mulq; shrd).
 * (hi * 2^32 + lo) * mul >> 32 is hi * mul + (lo * mul >> 32) exactly,
 * as the low 32 bits of hi * mul * 2^32 are zero: no 128-bit type.
 */
static inline uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int shift)
{
	if (shift < 0)
		delta >>= ((unsigned int)-shift) & 63;
	else
		delta <<= ((unsigned int)shift) & 63;
	return (delta >> 32) * mul + (((delta & 0xffffffffu) * mul) >> 32);
}

static inline uint64_t pvclock_at(const struct pvclock_vcpu_time_info *p,
				  uint64_t tsc)
{
	return p->system_time +
	       pvclock_scale(tsc - p->tsc_timestamp, p->tsc_to_system_mul,
			     p->tsc_shift);
}

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

/*
 * A consistent copy of the page and the TSC it applies to, with the
 * version protocol of pvclock_read_begin()/pvclock_read_retry(): an odd
 * version is an update in progress, a changed one a torn read.
 */
static inline uint64_t
pvclock_snapshot(const volatile struct pvclock_vcpu_time_info *src,
		 struct pvclock_vcpu_time_info *dst)
{
	uint64_t tsc;

	for (;;) {
		uint32_t v1 = src->version, v2;

		__asm__ volatile("lfence" ::: "memory");
		dst->version = v1;
		dst->pad0 = 0;
		dst->tsc_timestamp = src->tsc_timestamp;
		dst->system_time = src->system_time;
		dst->tsc_to_system_mul = src->tsc_to_system_mul;
		dst->tsc_shift = src->tsc_shift;
		dst->flags = src->flags;
		dst->pad[0] = 0;
		dst->pad[1] = 0;
		tsc = rdtsc_ordered();
		__asm__ volatile("lfence" ::: "memory");
		v2 = src->version;
		if (!(v1 & 1) && v1 == v2)
			return tsc;
	}
}

static inline int pvclock_changed(const struct pvclock_vcpu_time_info *a,
				  const struct pvclock_vcpu_time_info *b)
{
	return a->version != b->version ||
	       a->tsc_timestamp != b->tsc_timestamp ||
	       a->system_time != b->system_time ||
	       a->tsc_to_system_mul != b->tsc_to_system_mul ||
	       a->tsc_shift != b->tsc_shift || a->flags != b->flags;
}

#endif
