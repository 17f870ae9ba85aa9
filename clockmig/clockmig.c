// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * clockmig: the architecture-independent part: arithmetic, the encoding,
 * error reporting, and the entry points.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clockmig.h"
#include "clockmig_int.h"
#include "clockmig_uapi.h"

const char *clockmig_strerror(int code)
{
	switch (code) {
	case CLOCKMIG_OK:		return "success";
	case CLOCKMIG_E_KVM:		return "a KVM ioctl failed";
	case CLOCKMIG_E_INVAL:		return "invalid argument";
	case CLOCKMIG_E_UNSUPPORTED:	return "no allowed restore method works on this kernel";
	case CLOCKMIG_E_TRUNCATED:	return "encoded state is truncated";
	case CLOCKMIG_E_MAGIC:		return "not an encoded clockmig state";
	case CLOCKMIG_E_VERSION:	return "encoded state has a version this code cannot read";
	case CLOCKMIG_E_CHECKSUM:	return "encoded state is corrupted (checksum mismatch)";
	case CLOCKMIG_E_CORRUPT:	return "encoded state holds impossible values";
	case CLOCKMIG_E_ARCH:		return "state belongs to another architecture";
	case CLOCKMIG_E_SPACE:		return "buffer too small";
	case CLOCKMIG_E_IGNORED:	return "KVM accepted a write but did not apply it";
	case CLOCKMIG_E_FREQ:		return "the guest counter frequency cannot be kept here";
	case CLOCKMIG_E_VCPUS:		return "the vCPUs disagree, or their number differs";
	}
	return "unknown error";
}

const char *clockmig_method_name(enum clockmig_method method)
{
	switch (method) {
	case CLOCKMIG_PRECISE:		return "precise";
	case CLOCKMIG_OFFSETS:		return "offsets+realtime";
	case CLOCKMIG_BY_VALUE:		return "by value";
	default:			return "?";
	}
}

const char *clockmig_policy_name(enum clockmig_policy policy)
{
	switch (policy) {
	case CLOCKMIG_CATCH_UP:		return "catch-up";
	case CLOCKMIG_FREEZE:		return "freeze";
	case CLOCKMIG_SAME_HOST:	return "same-host";
	default:			return "?";
	}
}

/* The guest TSC KVM derives from @host_tsc (before the offset). */
uint64_t clockmig_scale_tsc(uint64_t host_tsc, uint64_t ratio, uint32_t frac_bits)
{
	return (uint64_t)(((unsigned __int128)host_tsc * ratio) >> frac_bits);
}

/* The KVM_VCPU_TSC_OFFSET that makes the guest TSC @guest_tsc at @host_tsc. */
uint64_t clockmig_tsc_offset(uint64_t guest_tsc, uint64_t host_tsc, uint64_t ratio,
			     uint32_t frac_bits)
{
	return guest_tsc - clockmig_scale_tsc(host_tsc, ratio, frac_bits);
}

/*
 * The arm64 offset (guest counter = host counter - offset) that makes the
 * guest counter @guest_counter at @host_counter. Modulo 2^64, as in KVM.
 */
uint64_t clockmig_counter_offset(uint64_t host_counter, uint64_t guest_counter)
{
	return host_counter - guest_counter;
}

/*
 * Nanoseconds to ticks of a @hz clock, rounded to the nearest tick, ties
 * to even so that repeated conversions are not biased one way; UINT64_MAX
 * if the result does not fit.
 */
uint64_t clockmig_ns_to_ticks(uint64_t ns, uint64_t hz)
{
	unsigned __int128 p = (unsigned __int128)ns * hz;
	unsigned __int128 q = p / CLOCKMIG_NSEC_PER_SEC;
	uint64_t r = (uint64_t)(p % CLOCKMIG_NSEC_PER_SEC);

	if (r > CLOCKMIG_NSEC_PER_SEC / 2 || (r == CLOCKMIG_NSEC_PER_SEC / 2 && (q & 1)))
		q++;
	return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
}

/*
 * Signed ticks of a @hz clock to nanoseconds, rounded to the nearest (ties
 * away from zero, symmetric); 0 when @hz is 0. Saturates at INT64_MIN/MAX.
 */
int64_t clockmig_ticks_to_ns(int64_t ticks, uint64_t hz)
{
	unsigned __int128 mag, q;

	if (!hz)
		return 0;
	mag = ticks < 0 ? (unsigned __int128)(-(ticks + 1)) + 1 : (unsigned __int128)ticks;
	q = (mag * CLOCKMIG_NSEC_PER_SEC + hz / 2) / hz;
	if (q > (unsigned __int128)INT64_MAX)
		return ticks < 0 ? INT64_MIN : INT64_MAX;
	return ticks < 0 ? -(int64_t)q : (int64_t)q;
}

/*
 * The realtime that passed from @from_ns to @to_ns; 0 if the destination's
 * clock is behind, since a guest counter never goes back.
 */
uint64_t clockmig_elapsed_ns(uint64_t from_ns, uint64_t to_ns)
{
	return to_ns > from_ns ? to_ns - from_ns : 0;
}

/*
 * Catch-up: the @hz guest counter, @counter at realtime @from_ns, advanced
 * to realtime @to_ns. CLOCKMIG_E_INVAL if that does not fit in 64 bits
 * (only a bogus realtime gets there: 2^64 cycles is 584 years at 1 GHz).
 */
int clockmig_catch_up_target(uint64_t counter, uint64_t hz, uint64_t from_ns,
			     uint64_t to_ns, uint64_t *target)
{
	uint64_t ticks = clockmig_ns_to_ticks(clockmig_elapsed_ns(from_ns, to_ns), hz);

	if (ticks > UINT64_MAX - counter)
		return CLOCKMIG_E_INVAL;
	*target = counter + ticks;
	return CLOCKMIG_OK;
}

int clockmig_catch_up(const struct clockmig_state *s, uint64_t now_ns,
		      const char *counter, uint64_t *target,
		      struct clockmig_report *report)
{
	if (now_ns < s->realtime_ns)
		clockmig_note(report, "realtime here is %llu ns behind the source's: no catch-up",
			      (unsigned long long)(s->realtime_ns - now_ns));
	if (clockmig_catch_up_target(s->guest_counter, s->counter_hz, s->realtime_ns,
				     now_ns, target)) {
		clockmig_note(report, "the catch-up %s does not fit in 64 bits", counter);
		return CLOCKMIG_E_INVAL;
	}
	return CLOCKMIG_OK;
}

/* kvmclock at guest TSC @tsc, exactly as the guest computes it. */
uint64_t clockmig_pvclock_read(const struct clockmig_pvclock *p, uint64_t tsc)
{
	uint64_t delta = tsc - p->tsc_timestamp;

	if (p->tsc_shift < 0)
		delta >>= -p->tsc_shift;
	else
		delta <<= p->tsc_shift;
	return p->system_time +
	       (uint64_t)(((unsigned __int128)delta * p->tsc_to_system_mul) >> 32);
}

uint32_t clockmig_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = 0xffffffffu;

	while (len--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

#ifndef CLOCKMIG_FAKE_KVM
uint64_t clockmig_now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * CLOCKMIG_NSEC_PER_SEC + ts.tv_nsec;
}

/* The host counter as KVM reads it: the TSC, or CNTVCT_EL0 (0 offset on the host). */
uint64_t clockmig_host_counter(void)
{
#if defined(__x86_64__)
	return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
	uint64_t v;

	asm volatile("isb; mrs %0, cntvct_el0; isb" : "=r"(v) :: "memory");
	return v;
#else
	return 0;
#endif
}

uint64_t clockmig_host_counter_freq(void)
{
#if defined(__aarch64__)
	uint64_t v;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
#else
	return 0;
#endif
}
#endif

#define PAIR_TRIES	8

void clockmig_sample_pair(struct clockmig_pair *pair)
{
	uint64_t c1, c2, rt;

	pair->width = UINT64_MAX;
	for (int i = 0; i < PAIR_TRIES; i++) {
		c1 = clockmig_host_counter();
		rt = clockmig_now_ns(CLOCK_REALTIME);
		c2 = clockmig_host_counter();
		if (c2 - c1 < pair->width) {
			pair->width = c2 - c1;
			pair->counter = c1 + (c2 - c1) / 2;
			pair->realtime_ns = rt;
		}
	}
}

/* CLOCK_REALTIME at host counter @counter, by the pair; the pair's own if @hz is unknown (0). */
uint64_t clockmig_pair_realtime(const struct clockmig_pair *pair, uint64_t counter,
				uint64_t hz)
{
	return pair->realtime_ns + clockmig_ticks_to_ns((int64_t)(counter - pair->counter), hz);
}

int clockmig_check_cap(int vm_fd, long cap)
{
	int r = ioctl(vm_fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

void clockmig_report_reset(struct clockmig_report *report)
{
	memset(report, 0, sizeof(*report));
}

void clockmig_note(struct clockmig_report *report, const char *fmt, ...)
{
	size_t used = strlen(report->message);
	va_list ap;

	/* Room for "; ", one more character and the NUL, or nothing. */
	if (used + 4 > sizeof(report->message))
		return;
	if (used) {
		report->message[used++] = ';';
		report->message[used++] = ' ';
	}
	va_start(ap, fmt);
	vsnprintf(report->message + used, sizeof(report->message) - used, fmt, ap);
	va_end(ap);
}

/* Record a failed ioctl: which one, its errno, and what that means here. */
int clockmig_fail(struct clockmig_report *report, const char *ioctl_name,
		  const char *meaning)
{
	report->ioctl = ioctl_name;
	report->err = errno;
	clockmig_note(report, "%s failed: %s (%s)", ioctl_name, strerror(errno), meaning);
	return CLOCKMIG_E_KVM;
}

static int native_arch(void)
{
#ifdef CLOCKMIG_FAKE_KVM
	return clockmig_fake_arch;
#else
	return CLOCKMIG_ARCH_NATIVE;
#endif
}

static int arch_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		     struct clockmig_state *state, struct clockmig_report *report)
{
#if CLOCKMIG_BUILD_X86
	if (native_arch() == CLOCKMIG_ARCH_X86_64)
		return clockmig_x86_save(vm_fd, vcpu_fds, nr_vcpus, state, report);
#endif
#if CLOCKMIG_BUILD_ARM64
	if (native_arch() == CLOCKMIG_ARCH_ARM64)
		return clockmig_arm64_save(vm_fd, vcpu_fds, nr_vcpus, state, report);
#endif
	return CLOCKMIG_E_UNSUPPORTED;
}

static int arch_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			const struct clockmig_state *state, enum clockmig_policy policy,
			unsigned int flags, struct clockmig_report *report)
{
#if CLOCKMIG_BUILD_X86
	if (native_arch() == CLOCKMIG_ARCH_X86_64)
		return clockmig_x86_restore(vm_fd, vcpu_fds, nr_vcpus, state, policy,
					    flags, report);
#endif
#if CLOCKMIG_BUILD_ARM64
	if (native_arch() == CLOCKMIG_ARCH_ARM64)
		return clockmig_arm64_restore(vm_fd, vcpu_fds, nr_vcpus, state, policy,
					      flags, report);
#endif
	return CLOCKMIG_E_UNSUPPORTED;
}

static int check_state(const struct clockmig_state *s);

int clockmig_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		  struct clockmig_state *state, struct clockmig_report *report)
{
	uint64_t start = clockmig_now_ns(CLOCK_MONOTONIC);
	int r;

	clockmig_report_reset(report);
	if (vm_fd < 0 || !vcpu_fds || !nr_vcpus || nr_vcpus > CLOCKMIG_MAX_VCPUS || !state)
		return CLOCKMIG_E_INVAL;
	memset(state, 0, sizeof(*state));
	state->nr_vcpus = nr_vcpus;
	r = arch_save(vm_fd, vcpu_fds, nr_vcpus, state, report);
	/* What save produces, encode takes: never a state decode refuses. */
	if ((r == CLOCKMIG_OK || r == CLOCKMIG_E_VCPUS) && check_state(state)) {
		clockmig_note(report, "the kernel gave values clockmig cannot carry");
		r = CLOCKMIG_E_INVAL;
	}
	report->held_ns = clockmig_now_ns(CLOCK_MONOTONIC) - start;
	return r;
}

#define RESTORE_FLAGS	(CLOCKMIG_ALLOW_ALL | CLOCKMIG_FORCE_FREQ | CLOCKMIG_KEEP_PHYS)

int clockmig_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		     const struct clockmig_state *state,
		     enum clockmig_policy policy, unsigned int flags,
		     struct clockmig_report *report)
{
	uint64_t start = clockmig_now_ns(CLOCK_MONOTONIC);
	int r;

	clockmig_report_reset(report);
	if (vm_fd < 0 || !vcpu_fds || !nr_vcpus || !state ||
	    (unsigned int)policy >= CLOCKMIG_NR_POLICIES ||
	    !(flags & CLOCKMIG_ALLOW_ALL) || (flags & ~RESTORE_FLAGS))
		return CLOCKMIG_E_INVAL;
	if (state->arch != native_arch())
		return CLOCKMIG_E_ARCH;
	if (check_state(state)) {
		clockmig_note(report, "the state holds impossible values");
		return CLOCKMIG_E_INVAL;
	}
	if (nr_vcpus != state->nr_vcpus) {
		clockmig_note(report, "the state is of %u vCPUs, the VM has %u",
			      state->nr_vcpus, nr_vcpus);
		return CLOCKMIG_E_VCPUS;
	}
	r = arch_restore(vm_fd, vcpu_fds, nr_vcpus, state, policy, flags, report);
	report->held_ns = clockmig_now_ns(CLOCK_MONOTONIC) - start;
	return r;
}

/*
 * Encoding, version 2: 128 bytes, little-endian, CRC-32 (IEEE) of bytes
 * 0..123 at 124. Reserved bytes are 0, and fields that do not apply to
 * the architecture or to what "have" says are 0, so that every state has
 * exactly one encoding.
 *
 *   0  magic "KVMCLKMG"        8  u16 version (2)     10  u16 arch
 *  12  u8 'L' (little-endian) 13  u8 0               14  u16 size (128)
 *  16  u16 have               18  u16 0              20  u32 nr_vcpus
 *  24  u64 realtime_ns        32  u64 host_counter   40  u64 counter_hz
 *  48  u64 guest_counter      56  u64 guest_phys_counter (arm64)
 *  64  u64 kvmclock_ns (x86)  72  u64 tsc_offset     80  u64 tsc_ratio
 *  88  u32 tsc_frac_bits      92  u32 0
 *  96  u64 pvclock.tsc_timestamp                    104  u64 pvclock.system_time
 * 112  u32 pvclock.tsc_to_system_mul                116  s8 pvclock.tsc_shift
 * 117  u8 pvclock.flags      118  u16 0             120  u32 0
 * 124  u32 CRC-32
 *
 * Version 1 was 136 bytes with a host-order tag; it is refused.
 */
#define MAGIC		"KVMCLKMG"
#define OFF_CRC		(CLOCKMIG_ENCODED_SIZE - 4)
#define BYTE_ORDER_TAG	'L'

#define HAVE_X86	(CLOCKMIG_HAVE_KERNEL_SAMPLE | CLOCKMIG_HAVE_REALTIME | \
			 CLOCKMIG_HAVE_CLOCK_GUEST)
#define HAVE_ARM64	(CLOCKMIG_HAVE_KERNEL_SAMPLE | CLOCKMIG_HAVE_REALTIME | \
			 CLOCKMIG_HAVE_PHYS)

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }
static uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static bool pvclock_is_zero(const struct clockmig_pvclock *p)
{
	return !p->tsc_timestamp && !p->system_time && !p->tsc_to_system_mul &&
	       !p->tsc_shift && !p->flags;
}

static int check_x86(const struct clockmig_state *s)
{
	/* KVM keeps the guest TSC rate in kHz (KVM_[GS]ET_TSC_KHZ, an int). */
	if (!s->counter_hz || s->counter_hz % 1000 || s->counter_hz / 1000 > INT32_MAX)
		return CLOCKMIG_E_CORRUPT;
	if (s->guest_phys_counter)
		return CLOCKMIG_E_CORRUPT;
	if (s->have & CLOCKMIG_HAVE_KERNEL_SAMPLE) {
		if (!s->tsc_ratio || s->tsc_frac_bits > 63)
			return CLOCKMIG_E_CORRUPT;
		/* The guest TSC is the one the offset and scale give. */
		if (s->guest_counter != clockmig_scale_tsc(s->host_counter, s->tsc_ratio,
							   s->tsc_frac_bits) + s->tsc_offset)
			return CLOCKMIG_E_CORRUPT;
	} else if (s->host_counter || s->tsc_offset || s->tsc_ratio || s->tsc_frac_bits) {
		return CLOCKMIG_E_CORRUPT;
	}
	if (s->have & CLOCKMIG_HAVE_CLOCK_GUEST) {
		if (!s->pvclock.tsc_to_system_mul || s->pvclock.tsc_shift < -32 ||
		    s->pvclock.tsc_shift > 32)
			return CLOCKMIG_E_CORRUPT;
	} else if (!pvclock_is_zero(&s->pvclock)) {
		return CLOCKMIG_E_CORRUPT;
	}
	return CLOCKMIG_OK;
}

static int check_arm64(const struct clockmig_state *s)
{
	/* counter_hz may be 0 (CNTFRQ_EL0 not programmed): freeze still works. */
	if (s->kvmclock_ns || s->tsc_offset || s->tsc_ratio || s->tsc_frac_bits ||
	    !pvclock_is_zero(&s->pvclock))
		return CLOCKMIG_E_CORRUPT;
	if (!(s->have & CLOCKMIG_HAVE_PHYS) && s->guest_phys_counter)
		return CLOCKMIG_E_CORRUPT;
	return CLOCKMIG_OK;
}

/* Is @s a state save could have produced? Shared by encode, decode and restore. */
static int check_state(const struct clockmig_state *s)
{
	uint16_t have_mask;

	if (s->arch == CLOCKMIG_ARCH_X86_64)
		have_mask = HAVE_X86;
	else if (s->arch == CLOCKMIG_ARCH_ARM64)
		have_mask = HAVE_ARM64;
	else
		return CLOCKMIG_E_CORRUPT;
	if (s->have & ~have_mask)
		return CLOCKMIG_E_CORRUPT;
	/* Realtime from the kernel comes with its sample. */
	if ((s->have & CLOCKMIG_HAVE_REALTIME) && !(s->have & CLOCKMIG_HAVE_KERNEL_SAMPLE))
		return CLOCKMIG_E_CORRUPT;
	if (!s->nr_vcpus || s->nr_vcpus > CLOCKMIG_MAX_VCPUS)
		return CLOCKMIG_E_CORRUPT;
	/* 0 is what a snapshot without a valid realtime holds: never a time. */
	if (!s->realtime_ns)
		return CLOCKMIG_E_CORRUPT;
	return s->arch == CLOCKMIG_ARCH_X86_64 ? check_x86(s) : check_arm64(s);
}

int clockmig_encode(const struct clockmig_state *s, void *buf, size_t size)
{
	uint8_t *p = buf;

	if (!s || !buf)
		return CLOCKMIG_E_INVAL;
	if (check_state(s))
		return CLOCKMIG_E_INVAL;
	if (size < CLOCKMIG_ENCODED_SIZE)
		return CLOCKMIG_E_SPACE;
	memset(p, 0, CLOCKMIG_ENCODED_SIZE);
	memcpy(p, MAGIC, 8);
	put16(p + 8, CLOCKMIG_WIRE_VERSION);
	put16(p + 10, s->arch);
	p[12] = BYTE_ORDER_TAG;
	put16(p + 14, CLOCKMIG_ENCODED_SIZE);
	put16(p + 16, s->have);
	put32(p + 20, s->nr_vcpus);
	put64(p + 24, s->realtime_ns);
	put64(p + 32, s->host_counter);
	put64(p + 40, s->counter_hz);
	put64(p + 48, s->guest_counter);
	put64(p + 56, s->guest_phys_counter);
	put64(p + 64, s->kvmclock_ns);
	put64(p + 72, s->tsc_offset);
	put64(p + 80, s->tsc_ratio);
	put32(p + 88, s->tsc_frac_bits);
	put64(p + 96, s->pvclock.tsc_timestamp);
	put64(p + 104, s->pvclock.system_time);
	put32(p + 112, s->pvclock.tsc_to_system_mul);
	p[116] = (uint8_t)s->pvclock.tsc_shift;
	p[117] = s->pvclock.flags;
	put32(p + OFF_CRC, clockmig_crc32(p, OFF_CRC));
	return CLOCKMIG_ENCODED_SIZE;
}

static bool is_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

/* Decode the record at the start of @buf; bytes after it are ignored. */
int clockmig_decode(const void *buf, size_t size, struct clockmig_state *s)
{
	const uint8_t *p = buf;

	if (!buf || !s)
		return CLOCKMIG_E_INVAL;
	if (size < 16)
		return size >= 8 && memcmp(p, MAGIC, 8) ? CLOCKMIG_E_MAGIC :
		       CLOCKMIG_E_TRUNCATED;
	if (memcmp(p, MAGIC, 8))
		return CLOCKMIG_E_MAGIC;
	if (get16(p + 8) != CLOCKMIG_WIRE_VERSION)
		return CLOCKMIG_E_VERSION;
	if (get16(p + 14) != CLOCKMIG_ENCODED_SIZE)
		return CLOCKMIG_E_CORRUPT;
	if (size < CLOCKMIG_ENCODED_SIZE)
		return CLOCKMIG_E_TRUNCATED;
	if (get32(p + OFF_CRC) != clockmig_crc32(p, OFF_CRC))
		return CLOCKMIG_E_CHECKSUM;
	if (p[12] != BYTE_ORDER_TAG || p[13] || !is_zero(p + 18, 2) ||
	    !is_zero(p + 92, 4) || !is_zero(p + 118, 6))
		return CLOCKMIG_E_CORRUPT;

	memset(s, 0, sizeof(*s));
	s->arch = get16(p + 10);
	s->have = get16(p + 16);
	s->nr_vcpus = get32(p + 20);
	s->realtime_ns = get64(p + 24);
	s->host_counter = get64(p + 32);
	s->counter_hz = get64(p + 40);
	s->guest_counter = get64(p + 48);
	s->guest_phys_counter = get64(p + 56);
	s->kvmclock_ns = get64(p + 64);
	s->tsc_offset = get64(p + 72);
	s->tsc_ratio = get64(p + 80);
	s->tsc_frac_bits = get32(p + 88);
	s->pvclock.tsc_timestamp = get64(p + 96);
	s->pvclock.system_time = get64(p + 104);
	s->pvclock.tsc_to_system_mul = get32(p + 112);
	s->pvclock.tsc_shift = (int8_t)p[116];
	s->pvclock.flags = p[117];
	return check_state(s);
}
