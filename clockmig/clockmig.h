/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * clockmig: carry a KVM guest's clocks across migration, snapshot/restore
 * and live update, with the most precise method the running kernel offers.
 *
 * Call clockmig_save() on the source with the VM's vCPUs stopped (no thread
 * in KVM_RUN), move the state (clockmig_encode()/clockmig_decode() give a
 * portable byte string), and call clockmig_restore() on the destination
 * before its vCPUs first run, with the policy of your choice:
 *
 *   CLOCKMIG_CATCH_UP  the guest's clocks advance by the realtime that
 *                      passed in between (as if the guest had kept running)
 *   CLOCKMIG_FREEZE    the guest's clocks resume where they stopped
 *
 * x86: the TSC (one offset for every vCPU, so the masterclock stays in use)
 * and kvmclock. arm64: the VM's counter offset.
 *
 * Only libc and the kernel's uAPI headers are needed. The functions are
 * thread-safe as long as two calls do not use the same VM at once.
 */
#ifndef CLOCKMIG_H
#define CLOCKMIG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum clockmig_policy {
	CLOCKMIG_CATCH_UP = 0,
	CLOCKMIG_FREEZE = 1,
};

/* Restore methods, most precise first. */
enum clockmig_method {
	/*
	 * x86: TSC offsets from one kernel sample per side, then kvmclock
	 * with KVM_SET_CLOCK_GUEST (within 1 ns at every guest TSC value).
	 * arm64: KVM_SET_CLOCK, the kernel applies the state at one instant
	 * (within 1 counter cycle).
	 */
	CLOCKMIG_PRECISE = 0,
	/*
	 * x86: TSC offsets as above, kvmclock with KVM_SET_CLOCK and
	 * KVM_CLOCK_REALTIME (kvmclock re-anchored: steps by the drift
	 * between kvmclock and host time, microseconds).
	 * arm64: the counter offset computed from a (counter, realtime) pair
	 * sampled in userspace and set with KVM_ARM_SET_COUNTER_OFFSET
	 * (off by the time between the sample and the ioctl).
	 */
	CLOCKMIG_OFFSETS = 1,
	/*
	 * As VMMs do today. x86: IA32_TSC written on each vCPU and kvmclock
	 * set with KVM_SET_CLOCK, both by value, the elapsed time computed in
	 * userspace. arm64: KVM_REG_ARM_TIMER_CNT written on each vCPU.
	 * Every delay between the VMM's sample and each ioctl is an error.
	 */
	CLOCKMIG_BY_VALUE = 2,
	CLOCKMIG_NR_METHODS,
};

#define CLOCKMIG_ALLOW(m)	(1u << (m))
#define CLOCKMIG_ALLOW_ALL	((1u << CLOCKMIG_NR_METHODS) - 1)

enum clockmig_arch {
	CLOCKMIG_ARCH_X86_64 = 1,
	CLOCKMIG_ARCH_ARM64 = 2,
};

/* What clockmig_save() could capture: bits of clockmig_state.have. */
#define CLOCKMIG_HAVE_KERNEL_SAMPLE	(1u << 0) /* realtime + host counter from KVM_GET_CLOCK */
#define CLOCKMIG_HAVE_OFFSETS		(1u << 1) /* x86 TSC offset / arm64 counter offsets */
#define CLOCKMIG_HAVE_TSC_SCALE		(1u << 2) /* x86: KVM_VCPU_TSC_SCALE */
#define CLOCKMIG_HAVE_CLOCK_GUEST	(1u << 3) /* x86: KVM_GET_CLOCK_GUEST parameters */
#define CLOCKMIG_HAVE_MASK		0xfu

/* kvmclock as a function of the guest TSC (struct pvclock_vcpu_time_info). */
struct clockmig_pvclock {
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
};

struct clockmig_state {
	uint16_t arch;		/* enum clockmig_arch */
	uint16_t have;		/* CLOCKMIG_HAVE_* */
	uint32_t nr_vcpus;
	/* CLOCK_REALTIME (ns) of the instant everything below describes. */
	uint64_t realtime_ns;
	/* The host TSC / counter at that instant (if KERNEL_SAMPLE). */
	uint64_t host_counter;
	/* The guest's TSC (x86, vCPU 0) or virtual counter (arm64) then. */
	uint64_t guest_counter;
	/* Its frequency in Hz: guest TSC rate / CNTFRQ_EL0. */
	uint64_t counter_hz;
	/* x86: kvmclock (ns) at that instant, from KVM_GET_CLOCK. */
	uint64_t kvmclock_ns;
	/* x86: guest TSC = (host TSC * ratio >> frac_bits) + tsc_offset. */
	uint64_t tsc_offset;
	uint64_t tsc_ratio;
	uint32_t tsc_frac_bits;
	/* x86: kvmclock parameters (if CLOCK_GUEST). */
	struct clockmig_pvclock pvclock;
	/* arm64: virtual and physical counter offsets (if OFFSETS). */
	uint64_t voffset;
	uint64_t poffset;
};

/* Result codes: 0 or a negative CLOCKMIG_E_*. */
enum {
	CLOCKMIG_OK = 0,
	CLOCKMIG_E_KVM = -1,		/* an ioctl failed: see the report */
	CLOCKMIG_E_INVAL = -2,		/* bad argument */
	CLOCKMIG_E_UNSUPPORTED = -3,	/* no allowed method works here */
	CLOCKMIG_E_TRUNCATED = -4,	/* decode: shorter than its header says */
	CLOCKMIG_E_MAGIC = -5,		/* decode: not a clockmig state */
	CLOCKMIG_E_VERSION = -6,	/* decode: a version this code does not know */
	CLOCKMIG_E_CHECKSUM = -7,	/* decode: corrupted */
	CLOCKMIG_E_CORRUPT = -8,	/* decode: checksum fine, content impossible */
	CLOCKMIG_E_ARCH = -9,		/* state of another architecture */
	CLOCKMIG_E_SPACE = -10,		/* encode: buffer too small */
};

/* What a call did, and on error which ioctl failed and why. */
struct clockmig_report {
	enum clockmig_method method;	/* restore: the method used */
	const char *ioctl;		/* the failed ioctl, or NULL */
	int err;			/* its errno */
	char message[256];		/* human-readable: what happened, what it means */
	uint64_t held_ns;		/* time spent in the call (CLOCK_MONOTONIC) */
	/*
	 * restore: the CLOCK_REALTIME instant at which the guest's clocks
	 * were at the policy's target, as sampled for the method (by the
	 * kernel for the precise and, on x86, the offsets method); 0 when
	 * only the kernel knows it (arm64 precise catch-up).
	 */
	uint64_t applied_realtime_ns;
};

const char *clockmig_strerror(int code);
const char *clockmig_method_name(enum clockmig_method method);

int clockmig_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		  struct clockmig_state *state, struct clockmig_report *report);

/*
 * Restore @state into the VM, trying the methods in @allowed (a mask of
 * CLOCKMIG_ALLOW() bits, CLOCKMIG_ALLOW_ALL normally) from the most precise
 * down. report->method says which one took effect.
 */
int clockmig_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		     const struct clockmig_state *state,
		     enum clockmig_policy policy, unsigned int allowed,
		     struct clockmig_report *report);

/* Portable encoding: little-endian, versioned, checksummed. */
#define CLOCKMIG_ENCODED_SIZE	136
int clockmig_encode(const struct clockmig_state *state, void *buf, size_t size);
int clockmig_decode(const void *buf, size_t size, struct clockmig_state *state);

/* Arithmetic, exposed for VMMs and tests. */
uint64_t clockmig_scale_tsc(uint64_t host_tsc, uint64_t ratio, uint32_t frac_bits);
uint64_t clockmig_ns_to_ticks(uint64_t ns, uint64_t hz);
uint64_t clockmig_pvclock_read(const struct clockmig_pvclock *p, uint64_t tsc);
uint64_t clockmig_elapsed_ns(enum clockmig_policy policy, uint64_t from_ns, uint64_t to_ns);
uint32_t clockmig_crc32(const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
