/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A fake KVM for clockmig's unit tests: the library is built with
 * CLOCKMIG_FAKE_KVM, so its ioctls, clocks and host counter reads come
 * here. It models what clockmig relies on (x86: TSC rate, scale and
 * offset per vCPU, the masterclock, kvmclock, KVM_[GS]ET_CLOCK_GUEST;
 * arm64: the VM-wide counter offsets, the snapshot, the counter
 * registers), with the behaviour of the kernels clockmig must handle
 * selectable, and can make any ioctl fail.
 */
#ifndef FAKE_KVM_H
#define FAKE_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "clockmig.h"
#include "clockmig_uapi.h"

#define FAKE_MAX_VCPUS	8
#define FAKE_MAX_VMS	4

/* The host: one counter; every ioctl and clock read advances it. */
struct fake_host {
	uint64_t counter;
	uint64_t hz;			/* host TSC rate / CNTFRQ_EL0 */
	uint64_t realtime0_ns;		/* CLOCK_REALTIME at counter 0 */
	uint64_t ioctl_ticks;		/* per ioctl */
	uint64_t read_ticks;		/* per clock or counter read */
	/*
	 * arm64: KVM_GET_ONE_REG reads the counter reg_lag * (call number % 3)
	 * ticks before the ioctl ends (0: at its end), as a real ioctl reads it
	 * at no fixed point of its span.
	 */
	uint64_t reg_lag;
};

struct fake_vcpu {
	/* x86 */
	uint32_t khz;
	bool khz_refused;		/* a KVM_SET_TSC_KHZ was refused */
	uint64_t ratio;
	uint64_t tsc_offset;
};

struct fake_vm {
	bool used;
	int arch;
	unsigned int nr_vcpus;
	int fds[FAKE_MAX_VCPUS];
	struct fake_vcpu vcpu[FAKE_MAX_VCPUS];

	/* x86: what this kernel has */
	bool tsc_control;		/* TSC scaling */
	uint32_t frac_bits;		/* 48 (VMX) or 32 (SVM) */
	bool offset_attr;		/* KVM_VCPU_TSC_OFFSET (5.16) */
	bool scale_attr;		/* KVM_VCPU_TSC_SCALE (the series) */
	bool clock_guest;		/* KVM_CAP_CLOCK_GUEST (the series) */
	bool needs_kick;		/* no masterclock until KVM_SET_CLOCK (before the series) */
	bool set_guest_needs_update;	/* SET_CLOCK_GUEST refuses until KVM_GET_CLOCK */
	bool ignore_tsc_writes;		/* offset and IA32_TSC writes succeed, do nothing */
	bool khz_stuck;			/* after a refused KVM_SET_TSC_KHZ, every later
					 * one fails and KVM_GET_TSC_KHZ keeps the refused rate */
	uint32_t host_khz;
	/* x86: state */
	uint64_t ref_counter;		/* the masterclock's reference point */
	int64_t kvmclock_offset;	/* kvmclock = host ns + this */
	struct clockmig_kvm_pvclock pvclock;
	bool pvclock_set;
	struct clockmig_kvm_pvclock set_guest_arg;	/* the last KVM_SET_CLOCK_GUEST's */

	/* arm64: what this kernel has */
	bool snapshot;			/* KVM_CAP_ARM_COUNTER_SNAPSHOT (the series) */
	bool snap_realtime;		/* the host clocksource is the counter */
	bool counter_offset;		/* KVM_CAP_COUNTER_OFFSET (6.4) */
	bool ptimer_offset;		/* physical counter offset (6.4) */
	bool busy;			/* a vCPU ioctl is running */
	uint64_t cntfrq;
	/* arm64: state */
	uint64_t voffset, poffset;
	bool vm_offset_flag;		/* KVM_ARM_SET_COUNTER_OFFSET was used */
	uint64_t last_snapshot_counter;
};

extern struct fake_host fake_host;

/* Failure injection: ioctl calls fail_from..fail_to (1-based) fail with fail_errno. */
extern unsigned int fake_calls, fake_fail_from, fake_fail_to;
extern int fake_fail_errno;
extern unsigned int fake_set_calls;	/* ioctls that may change a VM */

void fake_reset(int arch, uint64_t hz);
struct fake_vm *fake_vm_new(unsigned int nr_vcpus);
void fake_vm_free(struct fake_vm *vm);
int fake_vm_fd(const struct fake_vm *vm);
const int *fake_vcpu_fds(const struct fake_vm *vm);
void fake_fail(unsigned int from, unsigned int to, int err);

uint64_t fake_guest_tsc(const struct fake_vm *vm, unsigned int vcpu, uint64_t counter);
uint64_t fake_kvmclock(const struct fake_vm *vm, uint64_t counter);
bool fake_masterclock(const struct fake_vm *vm);
void fake_rate_params(uint64_t hz, uint32_t *mul, int8_t *shift);
uint64_t fake_realtime(uint64_t counter);

#endif
