// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * clockmig on arm64: the guest's virtual and physical counters, which KVM
 * derives from the host counter with one VM-wide offset. The procedure is
 * the one in the kernel's Documentation/virt/kvm/arm/counter-migration.rst.
 */
#if defined(__aarch64__)
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "clockmig_int.h"

#ifndef KVM_ARM_VCPU_TIMER_OFFSET_VTIMER
#define KVM_ARM_VCPU_TIMER_OFFSET_VTIMER	4
#define KVM_ARM_VCPU_TIMER_OFFSET_PTIMER	5
#endif

#define KERNEL_PAIR		(KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)

static uint64_t read_cntvct(void)
{
	uint64_t v;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v) :: "memory");
	return v;
}

static uint64_t read_cntfrq(void)
{
	uint64_t v;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

static int check_cap(int vm_fd, long cap)
{
	int r = ioctl(vm_fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

static int get_offset(int vcpu_fd, uint64_t attr, uint64_t *val)
{
	struct kvm_device_attr a = {
		.group = KVM_ARM_VCPU_TIMER_CTRL,
		.attr = attr,
		.addr = (uintptr_t)val,
	};

	return ioctl(vcpu_fd, KVM_GET_DEVICE_ATTR, &a);
}

static int one_reg(int vcpu_fd, unsigned long ioctl_nr, uint64_t *val)
{
	struct kvm_one_reg reg = {
		.id = KVM_REG_ARM_TIMER_CNT,
		.addr = (uintptr_t)val,
	};

	return ioctl(vcpu_fd, ioctl_nr, &reg);
}

int clockmig_arch_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		       struct clockmig_state *s, struct clockmig_report *report)
{
	struct kvm_clock_data data = {};

	(void)nr_vcpus;
	s->arch = CLOCKMIG_ARCH_ARM64;
	s->counter_hz = read_cntfrq();

	if ((check_cap(vm_fd, KVM_CAP_ADJUST_CLOCK) & KERNEL_PAIR) == KERNEL_PAIR) {
		if (ioctl(vm_fd, KVM_GET_CLOCK, &data))
			return clockmig_fail(report, "KVM_GET_CLOCK", "cannot read the guest counter");
	}
	if ((data.flags & KERNEL_PAIR) == KERNEL_PAIR) {
		s->have |= CLOCKMIG_HAVE_KERNEL_SAMPLE;
		s->guest_counter = data.clock;
		s->realtime_ns = data.realtime;
		s->host_counter = data.host_tsc;
	} else {
		/* Old kernel: the counter by value, the pair sampled here. */
		if (one_reg(vcpu_fds[0], KVM_GET_ONE_REG, &s->guest_counter))
			return clockmig_fail(report, "KVM_GET_ONE_REG(KVM_REG_ARM_TIMER_CNT)",
					     "cannot read the guest counter");
		s->host_counter = read_cntvct();
		s->realtime_ns = clockmig_now_ns(CLOCK_REALTIME);
		clockmig_note(report, "no kernel (realtime, counter) sample: saved by value");
	}

	if (!get_offset(vcpu_fds[0], KVM_ARM_VCPU_TIMER_OFFSET_VTIMER, &s->voffset) &&
	    !get_offset(vcpu_fds[0], KVM_ARM_VCPU_TIMER_OFFSET_PTIMER, &s->poffset)) {
		s->have |= CLOCKMIG_HAVE_OFFSETS;
		if (s->voffset != s->poffset)
			clockmig_note(report,
				      "physical offset differs from the virtual one; restore unifies them");
	}
	return CLOCKMIG_OK;
}

/* The guest counter the policy asks for now; records now as the instant. */
static uint64_t target_counter_now(const struct clockmig_state *s, enum clockmig_policy policy,
				   struct clockmig_report *report)
{
	uint64_t now = clockmig_now_ns(CLOCK_REALTIME);

	report->applied_realtime_ns = now;
	return s->guest_counter +
	       clockmig_ns_to_ticks(clockmig_elapsed_ns(policy, s->realtime_ns, now),
				    s->counter_hz);
}

int clockmig_arch_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			  const struct clockmig_state *s, enum clockmig_policy policy,
			  unsigned int allowed, struct clockmig_report *report)
{
	struct kvm_arm_counter_offset offset = {};
	struct kvm_clock_data set = {};
	uint64_t host, target;

	if (s->counter_hz != read_cntfrq())
		clockmig_note(report, "counter frequency differs: %llu Hz saved, %llu Hz here",
			      (unsigned long long)s->counter_hz,
			      (unsigned long long)read_cntfrq());

	if (allowed & CLOCKMIG_ALLOW(CLOCKMIG_PRECISE)) {
		if ((check_cap(vm_fd, KVM_CAP_ADJUST_CLOCK) & KERNEL_PAIR) == KERNEL_PAIR) {
			/*
			 * To freeze, anchor the saved value at a destination
			 * sample: KVM adds the few microseconds since then,
			 * during which the guest does not run either.
			 */
			set.clock = s->guest_counter;
			set.flags = KVM_CLOCK_REALTIME;
			if (policy == CLOCKMIG_CATCH_UP) {
				set.realtime = s->realtime_ns;
			} else {
				struct kvm_clock_data now = {};

				if (ioctl(vm_fd, KVM_GET_CLOCK, &now))
					return clockmig_fail(report, "KVM_GET_CLOCK",
							     "no destination sample");
				set.realtime = now.realtime;
				report->applied_realtime_ns = now.realtime;
			}
			if (ioctl(vm_fd, KVM_SET_CLOCK, &set))
				return clockmig_fail(report, "KVM_SET_CLOCK", errno == EBUSY ?
						     "a vCPU ioctl is running: stop the vCPUs first" :
						     "cannot set the guest counter");
			report->method = CLOCKMIG_PRECISE;
			return CLOCKMIG_OK;
		}
		clockmig_note(report, "no KVM_SET_CLOCK on this arm64 kernel");
	}

	if ((allowed & CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS)) && check_cap(vm_fd, KVM_CAP_COUNTER_OFFSET)) {
		host = read_cntvct();
		target = target_counter_now(s, policy, report);
		offset.counter_offset = host - target;
		if (ioctl(vm_fd, KVM_ARM_SET_COUNTER_OFFSET, &offset))
			return clockmig_fail(report, "KVM_ARM_SET_COUNTER_OFFSET", errno == EBUSY ?
					     "a vCPU ioctl is running: stop the vCPUs first" :
					     "cannot set the counter offset");
		report->method = CLOCKMIG_OFFSETS;
		return CLOCKMIG_OK;
	}

	if (allowed & CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE)) {
		target = target_counter_now(s, policy, report);
		for (unsigned int i = 0; i < nr_vcpus; i++)
			if (one_reg(vcpu_fds[i], KVM_SET_ONE_REG, &target))
				return clockmig_fail(report, "KVM_SET_ONE_REG(KVM_REG_ARM_TIMER_CNT)",
						     "cannot set the guest counter");
		report->method = CLOCKMIG_BY_VALUE;
		return CLOCKMIG_OK;
	}
	return CLOCKMIG_E_UNSUPPORTED;
}
#endif
