// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * clockmig: the architecture-independent part: arithmetic, the encoding,
 * error reporting.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clockmig.h"
#include "clockmig_int.h"

#define NSEC_PER_SEC	1000000000ull

const char *clockmig_strerror(int code)
{
	switch (code) {
	case CLOCKMIG_OK:		return "success";
	case CLOCKMIG_E_KVM:		return "a KVM ioctl failed";
	case CLOCKMIG_E_INVAL:		return "invalid argument";
	case CLOCKMIG_E_UNSUPPORTED:	return "no allowed restore method works on this kernel";
	case CLOCKMIG_E_TRUNCATED:	return "encoded state is truncated";
	case CLOCKMIG_E_MAGIC:		return "not an encoded clockmig state";
	case CLOCKMIG_E_VERSION:	return "encoded state has an unknown version";
	case CLOCKMIG_E_CHECKSUM:	return "encoded state is corrupted (checksum mismatch)";
	case CLOCKMIG_E_CORRUPT:	return "encoded state holds impossible values";
	case CLOCKMIG_E_ARCH:		return "state belongs to another architecture";
	case CLOCKMIG_E_SPACE:		return "buffer too small";
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

uint64_t clockmig_scale_tsc(uint64_t host_tsc, uint64_t ratio, uint32_t frac_bits)
{
	return (uint64_t)(((unsigned __int128)host_tsc * ratio) >> frac_bits);
}

/* Nanoseconds to ticks of a @hz clock, rounded to the nearest tick. */
uint64_t clockmig_ns_to_ticks(uint64_t ns, uint64_t hz)
{
	unsigned __int128 t = (unsigned __int128)ns * hz + NSEC_PER_SEC / 2;

	return (uint64_t)(t / NSEC_PER_SEC);
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

/* The time the guest's clocks must advance by, given the policy. */
uint64_t clockmig_elapsed_ns(enum clockmig_policy policy, uint64_t from_ns, uint64_t to_ns)
{
	if (policy == CLOCKMIG_FREEZE || to_ns <= from_ns)
		return 0;
	return to_ns - from_ns;
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

uint64_t clockmig_now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
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

int clockmig_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		  struct clockmig_state *state, struct clockmig_report *report)
{
	uint64_t start = clockmig_now_ns(CLOCK_MONOTONIC);
	int r;

	clockmig_report_reset(report);
	if (vm_fd < 0 || !vcpu_fds || !nr_vcpus || !state)
		return CLOCKMIG_E_INVAL;
	memset(state, 0, sizeof(*state));
	state->nr_vcpus = nr_vcpus;
	r = clockmig_arch_save(vm_fd, vcpu_fds, nr_vcpus, state, report);
	report->held_ns = clockmig_now_ns(CLOCK_MONOTONIC) - start;
	return r;
}

int clockmig_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		     const struct clockmig_state *state,
		     enum clockmig_policy policy, unsigned int allowed,
		     struct clockmig_report *report)
{
	uint64_t start = clockmig_now_ns(CLOCK_MONOTONIC);
	int r;

	clockmig_report_reset(report);
	if (vm_fd < 0 || !vcpu_fds || !nr_vcpus || !state ||
	    (policy != CLOCKMIG_CATCH_UP && policy != CLOCKMIG_FREEZE) ||
	    !(allowed & CLOCKMIG_ALLOW_ALL) || (allowed & ~CLOCKMIG_ALLOW_ALL))
		return CLOCKMIG_E_INVAL;
	if (state->arch != CLOCKMIG_ARCH_NATIVE)
		return CLOCKMIG_E_ARCH;
	r = clockmig_arch_restore(vm_fd, vcpu_fds, nr_vcpus, state, policy,
				  allowed, report);
	report->held_ns = clockmig_now_ns(CLOCK_MONOTONIC) - start;
	return r;
}

#if !CLOCKMIG_HAS_KVM_ARCH
/* Other architectures: the encoding and arithmetic work, save/restore not. */
int clockmig_arch_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		       struct clockmig_state *state, struct clockmig_report *report)
{
	(void)vm_fd;
	(void)vcpu_fds;
	(void)nr_vcpus;
	(void)state;
	(void)report;
	return CLOCKMIG_E_UNSUPPORTED;
}

int clockmig_arch_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			  const struct clockmig_state *state,
			  enum clockmig_policy policy, unsigned int allowed,
			  struct clockmig_report *report)
{
	(void)vm_fd;
	(void)vcpu_fds;
	(void)nr_vcpus;
	(void)state;
	(void)policy;
	(void)allowed;
	(void)report;
	return CLOCKMIG_E_UNSUPPORTED;
}
#endif

/* Encoding, version 1: fixed layout, little-endian, CRC-32 at the end. */
#define MAGIC		"KVMCLKMG"
#define VERSION		1
#define OFF_CRC		(CLOCKMIG_ENCODED_SIZE - 4)
#define MAX_VCPUS	4096

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }
static uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

static uint8_t byte_order_tag(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one ? 'L' : 'B';
}

int clockmig_encode(const struct clockmig_state *s, void *buf, size_t size)
{
	uint8_t *p = buf;

	if (!s || !buf)
		return CLOCKMIG_E_INVAL;
	if (size < CLOCKMIG_ENCODED_SIZE)
		return CLOCKMIG_E_SPACE;
	memset(p, 0, CLOCKMIG_ENCODED_SIZE);
	memcpy(p, MAGIC, 8);
	put16(p + 8, VERSION);
	put16(p + 10, s->arch);
	p[12] = byte_order_tag();
	put16(p + 14, CLOCKMIG_ENCODED_SIZE);
	put16(p + 16, s->have);
	put32(p + 20, s->nr_vcpus);
	put64(p + 24, s->realtime_ns);
	put64(p + 32, s->host_counter);
	put64(p + 40, s->guest_counter);
	put64(p + 48, s->counter_hz);
	put64(p + 56, s->kvmclock_ns);
	put64(p + 64, s->tsc_offset);
	put64(p + 72, s->tsc_ratio);
	put32(p + 80, s->tsc_frac_bits);
	put64(p + 88, s->pvclock.tsc_timestamp);
	put64(p + 96, s->pvclock.system_time);
	put32(p + 104, s->pvclock.tsc_to_system_mul);
	p[108] = (uint8_t)s->pvclock.tsc_shift;
	p[109] = s->pvclock.flags;
	put64(p + 112, s->voffset);
	put64(p + 120, s->poffset);
	put32(p + OFF_CRC, clockmig_crc32(p, OFF_CRC));
	return CLOCKMIG_ENCODED_SIZE;
}

static int check_state(const struct clockmig_state *s)
{
	if (s->arch != CLOCKMIG_ARCH_X86_64 && s->arch != CLOCKMIG_ARCH_ARM64)
		return CLOCKMIG_E_CORRUPT;
	if (s->have & ~CLOCKMIG_HAVE_MASK)
		return CLOCKMIG_E_CORRUPT;
	if (!s->nr_vcpus || s->nr_vcpus > MAX_VCPUS || !s->counter_hz)
		return CLOCKMIG_E_CORRUPT;
	if (s->tsc_frac_bits > 63 || s->pvclock.tsc_shift < -32 ||
	    s->pvclock.tsc_shift > 32)
		return CLOCKMIG_E_CORRUPT;
	if (s->arch == CLOCKMIG_ARCH_ARM64 &&
	    (s->have & (CLOCKMIG_HAVE_TSC_SCALE | CLOCKMIG_HAVE_CLOCK_GUEST)))
		return CLOCKMIG_E_CORRUPT;
	if ((s->have & CLOCKMIG_HAVE_CLOCK_GUEST) && !s->pvclock.tsc_to_system_mul)
		return CLOCKMIG_E_CORRUPT;
	return CLOCKMIG_OK;
}

/* Decode the record at the start of @buf; bytes after it are ignored. */
int clockmig_decode(const void *buf, size_t size, struct clockmig_state *s)
{
	const uint8_t *p = buf;
	static const uint8_t zero[8];

	if (!buf || !s)
		return CLOCKMIG_E_INVAL;
	if (size < 16)
		return size >= 8 && memcmp(p, MAGIC, 8) ? CLOCKMIG_E_MAGIC :
		       CLOCKMIG_E_TRUNCATED;
	if (memcmp(p, MAGIC, 8))
		return CLOCKMIG_E_MAGIC;
	if (get16(p + 8) != VERSION)
		return CLOCKMIG_E_VERSION;
	if (get16(p + 14) != CLOCKMIG_ENCODED_SIZE)
		return CLOCKMIG_E_CORRUPT;
	if (size < CLOCKMIG_ENCODED_SIZE)
		return CLOCKMIG_E_TRUNCATED;
	if (get32(p + OFF_CRC) != clockmig_crc32(p, OFF_CRC))
		return CLOCKMIG_E_CHECKSUM;
	if ((p[12] != 'L' && p[12] != 'B') || p[13] || memcmp(p + 18, zero, 2) ||
	    memcmp(p + 84, zero, 4) || memcmp(p + 110, zero, 2) ||
	    memcmp(p + 128, zero, 4))
		return CLOCKMIG_E_CORRUPT;

	memset(s, 0, sizeof(*s));
	s->arch = get16(p + 10);
	s->have = get16(p + 16);
	s->nr_vcpus = get32(p + 20);
	s->realtime_ns = get64(p + 24);
	s->host_counter = get64(p + 32);
	s->guest_counter = get64(p + 40);
	s->counter_hz = get64(p + 48);
	s->kvmclock_ns = get64(p + 56);
	s->tsc_offset = get64(p + 64);
	s->tsc_ratio = get64(p + 72);
	s->tsc_frac_bits = get32(p + 80);
	s->pvclock.tsc_timestamp = get64(p + 88);
	s->pvclock.system_time = get64(p + 96);
	s->pvclock.tsc_to_system_mul = get32(p + 104);
	s->pvclock.tsc_shift = (int8_t)p[108];
	s->pvclock.flags = p[109];
	s->voffset = get64(p + 112);
	s->poffset = get64(p + 120);
	return check_state(s);
}
