// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * clockmig on x86: the TSC and kvmclock. The procedure is the one in the
 * kernel's Documentation/virt/kvm/devices/vcpu.rst (KVM_VCPU_TSC_OFFSET).
 */
#if defined(__x86_64__)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#if __has_include(<asm/pvclock-abi.h>)
#include <asm/pvclock-abi.h>
#else
/* uAPI headers older than the series: the ABI the guest already uses. */
struct pvclock_vcpu_time_info {
	__u32 version;
	__u32 pad0;
	__u64 tsc_timestamp;
	__u64 system_time;
	__u32 tsc_to_system_mul;
	__s8 tsc_shift;
	__u8 flags;
	__u8 pad[2];
} __attribute__((__packed__));
#endif

#include "clockmig_int.h"

#ifndef KVM_CAP_CLOCK_GUEST
#define KVM_CAP_CLOCK_GUEST	239
#define KVM_GET_CLOCK_GUEST	_IOR(KVMIO, 0xd6, struct pvclock_vcpu_time_info)
#define KVM_SET_CLOCK_GUEST	_IOW(KVMIO, 0xd7, struct pvclock_vcpu_time_info)
#endif
#ifndef KVM_VCPU_TSC_SCALE
#define KVM_VCPU_TSC_SCALE	1
struct kvm_vcpu_tsc_scale {
	__u64 ratio;
	__u32 frac_bits;
	__u32 reserved;
};
#endif

#define MSR_IA32_TSC		0x10
#define KERNEL_PAIR		(KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)

static int device_attr(int fd, unsigned long ioctl_nr, uint64_t attr, void *val)
{
	struct kvm_device_attr a = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = attr,
		.addr = (uintptr_t)val,
	};

	return ioctl(fd, ioctl_nr, &a);
}

static int check_cap(int vm_fd, long cap)
{
	int r = ioctl(vm_fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

static int get_tsc_msr(int vcpu_fd, uint64_t *tsc)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs = { .hdr.nmsrs = 1, .entry.index = MSR_IA32_TSC };

	if (ioctl(vcpu_fd, KVM_GET_MSRS, &msrs) != 1)
		return -1;
	*tsc = msrs.entry.data;
	return 0;
}

static int set_tsc_msr(int vcpu_fd, uint64_t tsc)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs = { .hdr.nmsrs = 1, .entry = { .index = MSR_IA32_TSC, .data = tsc } };

	return ioctl(vcpu_fd, KVM_SET_MSRS, &msrs) == 1 ? 0 : -1;
}

/* The TSC scaling ratio of @vcpu_fd: from KVM_VCPU_TSC_SCALE, or 1:1. */
static int get_ratio(int vm_fd, int vcpu_fd, uint64_t *ratio, uint32_t *frac_bits)
{
	struct kvm_vcpu_tsc_scale scale;

	if (!device_attr(vcpu_fd, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_SCALE, &scale)) {
		*ratio = scale.ratio;
		*frac_bits = scale.frac_bits;
		return 1;
	}
	/* Without the attribute the ratio is only known when there is none. */
	if (check_cap(vm_fd, KVM_CAP_TSC_CONTROL))
		return -1;
	*ratio = 1;
	*frac_bits = 0;
	return 0;
}

int clockmig_arch_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		       struct clockmig_state *s, struct clockmig_report *report)
{
	struct pvclock_vcpu_time_info pv;
	struct kvm_clock_data data = {};
	uint64_t offset;
	int khz, r;

	s->arch = CLOCKMIG_ARCH_X86_64;

	khz = ioctl(vcpu_fds[0], KVM_GET_TSC_KHZ);
	if (khz <= 0)
		return clockmig_fail(report, "KVM_GET_TSC_KHZ", "guest TSC frequency unknown");
	s->counter_hz = (uint64_t)khz * 1000;

	if (ioctl(vm_fd, KVM_GET_CLOCK, &data))
		return clockmig_fail(report, "KVM_GET_CLOCK", "cannot read kvmclock");
	s->kvmclock_ns = data.clock;

	r = get_ratio(vm_fd, vcpu_fds[0], &s->tsc_ratio, &s->tsc_frac_bits);
	if (r > 0)
		s->have |= CLOCKMIG_HAVE_TSC_SCALE;

	if ((data.flags & KERNEL_PAIR) == KERNEL_PAIR && r >= 0 &&
	    !device_attr(vcpu_fds[0], KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET, &s->tsc_offset)) {
		/* Everything at the instant KVM_GET_CLOCK sampled. */
		s->have |= CLOCKMIG_HAVE_KERNEL_SAMPLE | CLOCKMIG_HAVE_OFFSETS;
		s->realtime_ns = data.realtime;
		s->host_counter = data.host_tsc;
		s->guest_counter = clockmig_scale_tsc(data.host_tsc, s->tsc_ratio,
						      s->tsc_frac_bits) + s->tsc_offset;
		for (unsigned int i = 1; i < nr_vcpus; i++) {
			if (device_attr(vcpu_fds[i], KVM_GET_DEVICE_ATTR,
					KVM_VCPU_TSC_OFFSET, &offset) || offset != s->tsc_offset) {
				clockmig_note(report, "vCPU %u's TSC offset differs from vCPU 0's; all get vCPU 0's",
					      i);
				break;
			}
		}
	} else {
		/* Old kernel: the guest TSC by value, realtime from here. */
		if (get_tsc_msr(vcpu_fds[0], &s->guest_counter))
			return clockmig_fail(report, "KVM_GET_MSRS", "cannot read IA32_TSC");
		s->realtime_ns = clockmig_now_ns(CLOCK_REALTIME);
		clockmig_note(report, "no kernel (realtime, host TSC) sample: saved by value");
	}

	if (check_cap(vm_fd, KVM_CAP_CLOCK_GUEST)) {
		if (!ioctl(vcpu_fds[0], KVM_GET_CLOCK_GUEST, &pv)) {
			s->have |= CLOCKMIG_HAVE_CLOCK_GUEST;
			s->pvclock.tsc_timestamp = pv.tsc_timestamp;
			s->pvclock.system_time = pv.system_time;
			s->pvclock.tsc_to_system_mul = pv.tsc_to_system_mul;
			s->pvclock.tsc_shift = pv.tsc_shift;
			s->pvclock.flags = pv.flags;
		} else {
			clockmig_note(report, "KVM_GET_CLOCK_GUEST: %s (%s)", strerror(errno),
				      errno == EOPNOTSUPP ? "the VM is not using the masterclock" :
				      "kvmclock parameters not saved");
		}
	}
	return CLOCKMIG_OK;
}

/* KVM_SET_TSC_KHZ on every vCPU whose frequency differs from the state's. */
static int restore_tsc_khz(const int *vcpu_fds, unsigned int nr_vcpus,
			   const struct clockmig_state *s, struct clockmig_report *report)
{
	unsigned long khz = s->counter_hz / 1000;

	for (unsigned int i = 0; i < nr_vcpus; i++) {
		if (ioctl(vcpu_fds[i], KVM_GET_TSC_KHZ) == (int)khz)
			continue;
		if (ioctl(vcpu_fds[i], KVM_SET_TSC_KHZ, khz))
			return clockmig_fail(report, "KVM_SET_TSC_KHZ",
					     "this host cannot run the guest TSC at its frequency");
	}
	return 0;
}

/* TSC offsets from one kernel sample, then kvmclock; PRECISE or OFFSETS. */
static int restore_offsets(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			   const struct clockmig_state *s, enum clockmig_policy policy,
			   unsigned int allowed, struct clockmig_report *report)
{
	struct kvm_clock_data now = {}, set = {};
	struct pvclock_vcpu_time_info pv = {};
	uint64_t ratio, target, offset;
	uint32_t frac_bits;

	if (device_attr(vcpu_fds[0], KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET, NULL)) {
		clockmig_note(report, "no KVM_VCPU_TSC_OFFSET attribute");
		return CLOCKMIG_E_UNSUPPORTED;
	}
	if (restore_tsc_khz(vcpu_fds, nr_vcpus, s, report))
		return CLOCKMIG_E_KVM;
	if (get_ratio(vm_fd, vcpu_fds[0], &ratio, &frac_bits) < 0) {
		clockmig_note(report, "TSC scaling ratio unknown (no KVM_VCPU_TSC_SCALE)");
		return CLOCKMIG_E_UNSUPPORTED;
	}
	if (ioctl(vm_fd, KVM_GET_CLOCK, &now))
		return clockmig_fail(report, "KVM_GET_CLOCK", "no destination sample");
	if ((now.flags & KERNEL_PAIR) != KERNEL_PAIR) {
		/*
		 * Kernels before "Perform a pending master clock update in
		 * KVM_GET_CLOCK" turn the master clock of a VM whose vCPUs
		 * never ran on only at KVM_SET_CLOCK (or the first entry).
		 */
		set.clock = s->kvmclock_ns;
		set.realtime = s->realtime_ns;
		set.flags = KVM_CLOCK_REALTIME;
		if (ioctl(vm_fd, KVM_SET_CLOCK, &set))
			return clockmig_fail(report, "KVM_SET_CLOCK", "cannot set kvmclock");
		if (ioctl(vm_fd, KVM_GET_CLOCK, &now))
			return clockmig_fail(report, "KVM_GET_CLOCK", "no destination sample");
	}
	if ((now.flags & KERNEL_PAIR) != KERNEL_PAIR) {
		clockmig_note(report, "KVM_GET_CLOCK gives no (realtime, host TSC) pair here");
		return CLOCKMIG_E_UNSUPPORTED;
	}

	/* The guest TSC at the destination's instant, the same on every vCPU. */
	target = s->guest_counter +
		 clockmig_ns_to_ticks(clockmig_elapsed_ns(policy, s->realtime_ns, now.realtime),
				      s->counter_hz);
	offset = target - clockmig_scale_tsc(now.host_tsc, ratio, frac_bits);
	for (unsigned int i = 0; i < nr_vcpus; i++)
		if (device_attr(vcpu_fds[i], KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET, &offset))
			return clockmig_fail(report, "KVM_SET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET)",
					     "cannot set the TSC offset");

	/*
	 * kvmclock by value first: the fallback, and the masterclock update.
	 * KVM adds the realtime elapsed since set.realtime; to freeze, that
	 * is the destination's sample, the instant the TSC offset is for.
	 */
	set.clock = s->kvmclock_ns;
	set.realtime = policy == CLOCKMIG_CATCH_UP ? s->realtime_ns : now.realtime;
	set.flags = KVM_CLOCK_REALTIME;
	report->applied_realtime_ns = now.realtime;
	if (ioctl(vm_fd, KVM_SET_CLOCK, &set))
		return clockmig_fail(report, "KVM_SET_CLOCK", "cannot set kvmclock");
	report->method = CLOCKMIG_OFFSETS;

	if (!(allowed & CLOCKMIG_ALLOW(CLOCKMIG_PRECISE)))
		return CLOCKMIG_OK;
	if (!(s->have & CLOCKMIG_HAVE_CLOCK_GUEST) || !check_cap(vm_fd, KVM_CAP_CLOCK_GUEST)) {
		clockmig_note(report, "%s", s->have & CLOCKMIG_HAVE_CLOCK_GUEST ?
			      "no KVM_CAP_CLOCK_GUEST here" : "the source saved no kvmclock parameters");
	} else {
		pv.tsc_timestamp = s->pvclock.tsc_timestamp;
		pv.system_time = s->pvclock.system_time;
		pv.tsc_to_system_mul = s->pvclock.tsc_to_system_mul;
		pv.tsc_shift = s->pvclock.tsc_shift;
		pv.flags = s->pvclock.flags;
		if (!ioctl(vcpu_fds[0], KVM_SET_CLOCK_GUEST, &pv)) {
			report->method = CLOCKMIG_PRECISE;
			return CLOCKMIG_OK;
		}
		clockmig_note(report, "KVM_SET_CLOCK_GUEST: %s (%s)", strerror(errno),
			      errno == EOPNOTSUPP ? "no masterclock on the destination" :
			      errno == ERANGE ? "parameters out of range for this TSC" :
			      "rejected");
	}
	if (allowed & CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS))
		return CLOCKMIG_OK;
	return CLOCKMIG_E_UNSUPPORTED;
}

/* As VMMs do today: IA32_TSC and kvmclock by value. */
static int restore_by_value(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			    const struct clockmig_state *s, enum clockmig_policy policy,
			    struct clockmig_report *report)
{
	uint64_t now = clockmig_now_ns(CLOCK_REALTIME);
	uint64_t elapsed = clockmig_elapsed_ns(policy, s->realtime_ns, now);
	uint64_t tsc = s->guest_counter + clockmig_ns_to_ticks(elapsed, s->counter_hz);
	struct kvm_clock_data set = { .clock = s->kvmclock_ns + elapsed };

	if (restore_tsc_khz(vcpu_fds, nr_vcpus, s, report))
		return CLOCKMIG_E_KVM;
	report->applied_realtime_ns = now;
	for (unsigned int i = 0; i < nr_vcpus; i++)
		if (set_tsc_msr(vcpu_fds[i], tsc))
			return clockmig_fail(report, "KVM_SET_MSRS(IA32_TSC)", "cannot set the TSC");
	if (ioctl(vm_fd, KVM_SET_CLOCK, &set))
		return clockmig_fail(report, "KVM_SET_CLOCK", "cannot set kvmclock");
	report->method = CLOCKMIG_BY_VALUE;
	return CLOCKMIG_OK;
}

int clockmig_arch_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			  const struct clockmig_state *s, enum clockmig_policy policy,
			  unsigned int allowed, struct clockmig_report *report)
{
	int r = CLOCKMIG_E_UNSUPPORTED;

	if (allowed & (CLOCKMIG_ALLOW(CLOCKMIG_PRECISE) | CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS))) {
		r = restore_offsets(vm_fd, vcpu_fds, nr_vcpus, s, policy, allowed, report);
		if (r != CLOCKMIG_E_UNSUPPORTED)
			return r;
	}
	if (allowed & CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE))
		return restore_by_value(vm_fd, vcpu_fds, nr_vcpus, s, policy, report);
	return r;
}
#endif
