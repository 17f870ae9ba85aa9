/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * clockmig: carry a KVM guest's clocks across migration, snapshot/restore
 * and live update, with the most precise method the running kernel offers.
 *
 * Call clockmig_save() on the source with the VM's vCPUs stopped (no thread
 * in a vCPU ioctl), move the state (clockmig_encode()/clockmig_decode()
 * give a portable byte string), and call clockmig_restore() on the
 * destination before its vCPUs first run, with the policy of your choice:
 *
 *   CLOCKMIG_CATCH_UP   the guest's clocks advance by the realtime that
 *                       passed in between (as if the guest had kept running)
 *   CLOCKMIG_FREEZE     the guest's clocks resume where they stopped
 *   CLOCKMIG_SAME_HOST  the destination is the source's host, whose counter
 *                       kept running (VMM live update, local snapshot, host
 *                       kernel live update): the guest keeps the saved
 *                       offsets from the host counter, exactly
 *
 * x86: the TSC (one offset and one frequency for every vCPU, so that the
 * masterclock stays in use) and kvmclock. arm64: the VM's virtual and
 * physical counter offsets.
 *
 * Only libc and the kernel's uAPI headers are needed; uAPI headers older
 * than the series work (clockmig_uapi.h). The functions are thread-safe as
 * long as two calls do not use the same VM at once.
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
	CLOCKMIG_SAME_HOST = 2,
	CLOCKMIG_NR_POLICIES,
};

/* Restore methods, most precise first. */
enum clockmig_method {
	/*
	 * A kernel sample on each side, so nothing depends on when
	 * userspace runs. x86: the TSC offset from KVM_GET_CLOCK's
	 * (realtime, host TSC) pair and KVM_VCPU_TSC_SCALE, then kvmclock
	 * with KVM_SET_CLOCK_GUEST: at the same guest TSC rate the pvclock
	 * fields are bit-identical (0 ns at every TSC value), otherwise
	 * within 1 ns. arm64: KVM_ARM_GET_COUNTER_SNAPSHOT on both sides and
	 * KVM_ARM_SET_COUNTER_OFFSET: freeze and same-host exact, catch-up
	 * within the rounding of the elapsed realtime to a cycle.
	 */
	CLOCKMIG_PRECISE = 0,
	/*
	 * x86: the same TSC offsets, kvmclock with KVM_SET_CLOCK and
	 * KVM_CLOCK_REALTIME (about 1 ns on kernels with the series, where
	 * KVM samples realtime at its reference point; re-anchored by
	 * microseconds before). arm64: KVM_ARM_SET_COUNTER_OFFSET, with a
	 * (counter, realtime) pair read in userspace where the kernel gives
	 * none (catch-up off by that pair's width, best of several reads).
	 */
	CLOCKMIG_OFFSETS = 1,
	/*
	 * As VMMs do today. x86: IA32_TSC on each vCPU and KVM_SET_CLOCK,
	 * by value. arm64: KVM_REG_ARM_TIMER_CNT and KVM_REG_ARM_PTIMER_CNT.
	 * Every delay between the sample and each ioctl is an error. Not
	 * for CLOCKMIG_SAME_HOST.
	 */
	CLOCKMIG_BY_VALUE = 2,
	CLOCKMIG_NR_METHODS,
};

/* clockmig_restore() flags: the methods it may use ... */
#define CLOCKMIG_ALLOW(m)	(1u << (m))
#define CLOCKMIG_ALLOW_ALL	((1u << CLOCKMIG_NR_METHODS) - 1)
/*
 * ... and options. FORCE_FREQ: restore even though the destination cannot
 * run the guest's counter at the saved frequency (arm64: CNTFRQ differs;
 * x86: KVM_SET_TSC_KHZ refuses it); the guest's clocks then run at this
 * host's rate. The elapsed time of a catch-up is converted at the saved
 * frequency, the one the guest calibrated.
 * KEEP_PHYS (arm64): when the saved physical counter offset differs from
 * the virtual one, use only a method that restores both (by value), since
 * KVM_ARM_SET_COUNTER_OFFSET sets them to one value. A save by value
 * (no KVM_ARM_GET_COUNTER_SNAPSHOT) reads the counters one after the
 * other, and takes offsets within the two reads' latency (their spans
 * overlap, each read under a millisecond) as one. On a vCPU with nested virtualization the virtual
 * counter reads less CNTVOFF_EL2, so there the two differ by it.
 */
#define CLOCKMIG_FORCE_FREQ	(1u << 8)
#define CLOCKMIG_KEEP_PHYS	(1u << 9)

enum clockmig_arch {
	CLOCKMIG_ARCH_X86_64 = 1,
	CLOCKMIG_ARCH_ARM64 = 2,
};

/* What clockmig_save() could capture: bits of clockmig_state.have. */
/*
 * host_counter and the guest counters are from one kernel sample, exactly
 * related (x86: KVM_GET_CLOCK pair, TSC offset and scale; arm64:
 * KVM_ARM_GET_COUNTER_SNAPSHOT). Otherwise the guest counters were read by
 * value, bracketed by userspace counter reads, and are off by up to half
 * that bracket (and, on x86, host_counter is unknown).
 */
#define CLOCKMIG_HAVE_KERNEL_SAMPLE	(1u << 0)
/* realtime_ns is the kernel's, at host_counter; else a userspace estimate. */
#define CLOCKMIG_HAVE_REALTIME		(1u << 1)
/* x86: pvclock holds KVM_GET_CLOCK_GUEST's parameters. */
#define CLOCKMIG_HAVE_CLOCK_GUEST	(1u << 2)
/* arm64: guest_phys_counter is valid. */
#define CLOCKMIG_HAVE_PHYS		(1u << 3)

/* kvmclock as a function of the guest TSC (struct pvclock_vcpu_time_info). */
struct clockmig_pvclock {
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
};

struct clockmig_state {
	uint16_t arch;			/* enum clockmig_arch */
	uint16_t have;			/* CLOCKMIG_HAVE_* */
	uint32_t nr_vcpus;		/* restore checks it against its vCPUs */
	/* CLOCK_REALTIME (ns) at the instant everything below describes. */
	uint64_t realtime_ns;
	/* The host TSC / physical counter at that instant. */
	uint64_t host_counter;
	/* The guest counter's frequency: guest TSC (kHz * 1000) / CNTFRQ_EL0 (may be 0). */
	uint64_t counter_hz;
	/* The guest TSC of every vCPU (x86) / virtual counter (arm64) then. */
	uint64_t guest_counter;
	/* arm64: the guest physical counter then (HAVE_PHYS). */
	uint64_t guest_phys_counter;
	/* x86: kvmclock (ns) then, from KVM_GET_CLOCK. */
	uint64_t kvmclock_ns;
	/* x86 (HAVE_KERNEL_SAMPLE): guest TSC = (host TSC * ratio >> frac_bits) + tsc_offset. */
	uint64_t tsc_offset;
	uint64_t tsc_ratio;
	uint32_t tsc_frac_bits;
	/* x86: kvmclock parameters (HAVE_CLOCK_GUEST). */
	struct clockmig_pvclock pvclock;
};

/* Result codes: 0 or a negative CLOCKMIG_E_*. */
enum {
	CLOCKMIG_OK = 0,
	CLOCKMIG_E_KVM = -1,		/* an ioctl failed: see the report */
	CLOCKMIG_E_INVAL = -2,		/* bad argument or state */
	CLOCKMIG_E_UNSUPPORTED = -3,	/* no allowed method works here */
	CLOCKMIG_E_TRUNCATED = -4,	/* decode: shorter than its header says */
	CLOCKMIG_E_MAGIC = -5,		/* decode: not a clockmig state */
	CLOCKMIG_E_VERSION = -6,	/* decode: a version this code does not read */
	CLOCKMIG_E_CHECKSUM = -7,	/* decode: corrupted */
	CLOCKMIG_E_CORRUPT = -8,	/* decode: checksum fine, content impossible */
	CLOCKMIG_E_ARCH = -9,		/* state of another architecture */
	CLOCKMIG_E_SPACE = -10,		/* encode: buffer too small */
	CLOCKMIG_E_IGNORED = -11,	/* KVM accepted a write and did not apply it */
	CLOCKMIG_E_FREQ = -12,		/* the counter frequency differs (see FORCE_FREQ) */
	CLOCKMIG_E_VCPUS = -13,		/* vCPUs disagree, or their number differs */
	CLOCKMIG_E_LAST = CLOCKMIG_E_VCPUS,
};

/* What a call changed in the VM: bits of clockmig_report.changed. */
#define CLOCKMIG_CHANGED_TSC_KHZ	(1u << 0)	/* x86: KVM_SET_TSC_KHZ */
#define CLOCKMIG_CHANGED_TSC		(1u << 1)	/* x86: TSC offset or value */
#define CLOCKMIG_CHANGED_KVMCLOCK	(1u << 2)	/* x86: kvmclock */
#define CLOCKMIG_CHANGED_COUNTER	(1u << 3)	/* arm64: virtual counter */
#define CLOCKMIG_CHANGED_PHYS		(1u << 4)	/* arm64: physical counter */
/*
 * arm64: KVM_ARM_SET_COUNTER_OFFSET was used. KVM ignores writes of the
 * counter registers from then on, so a caller that restores counters by
 * value later must know; an undone by-value write never sets it.
 */
#define CLOCKMIG_CHANGED_VM_OFFSET	(1u << 5)

/* What a successful restore could not carry over: clockmig_report.not_restored. */
/*
 * arm64: the saved physical counter offset differed from the virtual one,
 * and the method set both to the virtual one (KVM_ARM_SET_COUNTER_OFFSET
 * has one value): the guest physical counter moved by phys_moved cycles
 * relative to what it would read otherwise.
 */
#define CLOCKMIG_NOT_RESTORED_PHYS	(1u << 0)

/* What a call did, and on error which ioctl failed and why. */
struct clockmig_report {
	enum clockmig_method method;	/* restore: the method that took effect */
	const char *ioctl;		/* the failed ioctl, or NULL */
	int err;			/* its errno */
	/*
	 * restore: on success, what it changed; on failure, what it
	 * changed and could not put back (0: the VM is as it was).
	 */
	unsigned int changed;
	unsigned int not_restored;	/* CLOCKMIG_NOT_RESTORED_* */
	int64_t phys_moved;		/* see CLOCKMIG_NOT_RESTORED_PHYS */
	char message[512];		/* human-readable: what happened, what it means */
	uint64_t held_ns;		/* time spent in the call (CLOCK_MONOTONIC) */
	/*
	 * restore: the destination sample the guest counter was computed
	 * for: at host counter applied_host_counter (0: none), the guest
	 * counter was the policy's target. applied_realtime_ns is
	 * CLOCK_REALTIME then, from the kernel or a userspace pair (0:
	 * not sampled, e.g. an arm64 freeze, which needs no realtime).
	 */
	uint64_t applied_host_counter;
	uint64_t applied_realtime_ns;
};

const char *clockmig_strerror(int code);
const char *clockmig_method_name(enum clockmig_method method);
const char *clockmig_policy_name(enum clockmig_policy policy);

/*
 * Save the clocks of the VM, checking that all @nr_vcpus vCPUs agree (x86:
 * TSC frequency, scale, offset and kvmclock parameters). When they do not,
 * it returns CLOCKMIG_E_VCPUS, names the first one that differs in the
 * report, and still fills @state from vCPU 0: restoring that state gives
 * every vCPU vCPU 0's values, if that is what the VMM wants.
 */
int clockmig_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		  struct clockmig_state *state, struct clockmig_report *report);

/*
 * Restore @state into the VM's @nr_vcpus vCPUs (state->nr_vcpus of them),
 * with the methods in @flags (CLOCKMIG_ALLOW() bits, CLOCKMIG_ALLOW_ALL
 * normally) from the most precise down, plus options. report->method says
 * which one took effect. A failed restore leaves the VM as it was, or says
 * in report->changed what it changed and could not put back.
 */
int clockmig_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		     const struct clockmig_state *state,
		     enum clockmig_policy policy, unsigned int flags,
		     struct clockmig_report *report);

/*
 * Portable encoding: little-endian, versioned, CRC-32. Version 2; see
 * clockmig.c for the layout. Encoding refuses a state that decoding would
 * refuse (CLOCKMIG_E_INVAL), and re-encoding a decoded state gives the same
 * bytes. Version 1 (the unreleased first version of this library, whose
 * arm64 content came from a uAPI that no longer exists) is refused with
 * CLOCKMIG_E_VERSION.
 */
#define CLOCKMIG_ENCODED_SIZE	128
#define CLOCKMIG_WIRE_VERSION	2
int clockmig_encode(const struct clockmig_state *state, void *buf, size_t size);
int clockmig_decode(const void *buf, size_t size, struct clockmig_state *state);

/* Arithmetic, exposed for VMMs and tests; every caller uses these. */
uint64_t clockmig_scale_tsc(uint64_t host_tsc, uint64_t ratio, uint32_t frac_bits);
uint64_t clockmig_tsc_offset(uint64_t guest_tsc, uint64_t host_tsc, uint64_t ratio,
			     uint32_t frac_bits);
uint64_t clockmig_counter_offset(uint64_t host_counter, uint64_t guest_counter);
uint64_t clockmig_ns_to_ticks(uint64_t ns, uint64_t hz);
int64_t clockmig_ticks_to_ns(int64_t ticks, uint64_t hz);
uint64_t clockmig_elapsed_ns(uint64_t from_ns, uint64_t to_ns);
int clockmig_catch_up_target(uint64_t counter, uint64_t hz, uint64_t from_ns,
			     uint64_t to_ns, uint64_t *target);
uint64_t clockmig_pvclock_read(const struct clockmig_pvclock *p, uint64_t tsc);
uint32_t clockmig_crc32(const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
