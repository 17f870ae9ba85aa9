// SPDX-License-Identifier: GPL-2.0
/*
 * The series' uAPI as a VMM sees it: compiled by scripts/uapi-check.sh with
 * only -isystem <the installed uAPI headers of one base and arch>, for
 * x86_64 (also -m32, the 32-bit userspace layout) and arm64. Everything a
 * VMM needs for the new ioctls must come from <linux/kvm.h> alone, with the
 * numbers and layouts of the team's v2 spec; the v1 arm64 additions must be
 * gone. Nothing is run: compiling is the check.
 */
#include <sys/ioctl.h>
#include <linux/kvm.h>

#define offsetof_(t, m)	__builtin_offsetof(t, m)
#define member_size(t, m)	sizeof(((t *)0)->m)
#define CHECK(cond)	_Static_assert(cond, #cond)

/* Present on every architecture. */
#ifndef KVM_CAP_CLOCK_GUEST
#error "KVM_CAP_CLOCK_GUEST is not defined by <linux/kvm.h>"
#endif
#ifndef KVM_CAP_ARM_COUNTER_SNAPSHOT
#error "KVM_CAP_ARM_COUNTER_SNAPSHOT is not defined by <linux/kvm.h>"
#endif
#ifndef KVM_SET_CLOCK_GUEST
#error "KVM_SET_CLOCK_GUEST is not defined by <linux/kvm.h>"
#endif
#ifndef KVM_GET_CLOCK_GUEST
#error "KVM_GET_CLOCK_GUEST is not defined by <linux/kvm.h>"
#endif
#ifndef KVM_ARM_GET_COUNTER_SNAPSHOT
#error "KVM_ARM_GET_COUNTER_SNAPSHOT is not defined by <linux/kvm.h>"
#endif

CHECK(KVM_CAP_CLOCK_GUEST == 252);
CHECK(KVM_CAP_ARM_COUNTER_SNAPSHOT == 253);

#if defined(__x86_64__) || defined(__i386__)

#ifndef KVM_VCPU_TSC_SCALE
#error "KVM_VCPU_TSC_SCALE is not defined by <linux/kvm.h>"
#endif
#ifndef KVM_CLOCK_GUEST_TSC_STABLE
#error "KVM_CLOCK_GUEST_TSC_STABLE is not defined by <linux/kvm.h>"
#endif
/* <linux/kvm.h> must not pull the guest ABI's names into a VMM's namespace. */
#ifdef PVCLOCK_TSC_STABLE_BIT
#error "<linux/kvm.h> defines PVCLOCK_TSC_STABLE_BIT: it includes <asm/pvclock-abi.h>"
#endif

/*
 * struct kvm_clock_guest: the layout of the guest ABI's struct
 * pvclock_vcpu_time_info, 32 bytes, the same for 32-bit userspace, so that
 * the ioctl numbers are those of _IOW/_IOR(KVMIO, 0xd6/0xd7, struct
 * pvclock_vcpu_time_info) in the public proposal.
 */
CHECK(sizeof(struct kvm_clock_guest) == 32);
CHECK(offsetof_(struct kvm_clock_guest, version) == 0);
CHECK(offsetof_(struct kvm_clock_guest, pad0) == 4);
CHECK(offsetof_(struct kvm_clock_guest, tsc_timestamp) == 8);
CHECK(offsetof_(struct kvm_clock_guest, system_time) == 16);
CHECK(offsetof_(struct kvm_clock_guest, tsc_to_system_mul) == 24);
CHECK(offsetof_(struct kvm_clock_guest, tsc_shift) == 28);
CHECK(offsetof_(struct kvm_clock_guest, flags) == 29);
CHECK(offsetof_(struct kvm_clock_guest, pad) == 30);
CHECK(member_size(struct kvm_clock_guest, tsc_timestamp) == 8);
CHECK(member_size(struct kvm_clock_guest, system_time) == 8);
CHECK(member_size(struct kvm_clock_guest, tsc_to_system_mul) == 4);
CHECK(member_size(struct kvm_clock_guest, tsc_shift) == 1);
CHECK(member_size(struct kvm_clock_guest, pad) == 2);
CHECK(KVM_CLOCK_GUEST_TSC_STABLE == 1);

CHECK(KVM_SET_CLOCK_GUEST == _IOW(KVMIO, 0xd6, struct kvm_clock_guest));
CHECK(KVM_GET_CLOCK_GUEST == _IOR(KVMIO, 0xd7, struct kvm_clock_guest));
CHECK(_IOC_TYPE(KVM_SET_CLOCK_GUEST) == 0xAE && _IOC_NR(KVM_SET_CLOCK_GUEST) == 0xd6 &&
      _IOC_DIR(KVM_SET_CLOCK_GUEST) == _IOC_WRITE && _IOC_SIZE(KVM_SET_CLOCK_GUEST) == 32);
CHECK(_IOC_TYPE(KVM_GET_CLOCK_GUEST) == 0xAE && _IOC_NR(KVM_GET_CLOCK_GUEST) == 0xd7 &&
      _IOC_DIR(KVM_GET_CLOCK_GUEST) == _IOC_READ && _IOC_SIZE(KVM_GET_CLOCK_GUEST) == 32);

/* struct kvm_vcpu_tsc_scale: two __u64, 16 bytes. */
CHECK(KVM_VCPU_TSC_SCALE == 1);
CHECK(sizeof(struct kvm_vcpu_tsc_scale) == 16);
CHECK(offsetof_(struct kvm_vcpu_tsc_scale, tsc_ratio) == 0);
CHECK(offsetof_(struct kvm_vcpu_tsc_scale, tsc_frac_bits) == 8);
CHECK(member_size(struct kvm_vcpu_tsc_scale, tsc_ratio) == 8);
CHECK(member_size(struct kvm_vcpu_tsc_scale, tsc_frac_bits) == 8);

int set_clock_guest(int vcpu_fd, const struct kvm_clock_guest *clock)
{
	return ioctl(vcpu_fd, KVM_SET_CLOCK_GUEST, clock);
}

int get_clock_guest(int vcpu_fd, struct kvm_clock_guest *clock)
{
	return ioctl(vcpu_fd, KVM_GET_CLOCK_GUEST, clock);
}

int get_tsc_scale(int vcpu_fd, struct kvm_vcpu_tsc_scale *scale)
{
	struct kvm_device_attr attr = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = KVM_VCPU_TSC_SCALE,
		.addr = (__u64)(unsigned long)scale,
	};

	return ioctl(vcpu_fd, KVM_GET_DEVICE_ATTR, &attr);
}

#elif defined(__aarch64__)

#ifndef KVM_ARM_COUNTER_SNAPSHOT_REALTIME
#error "KVM_ARM_COUNTER_SNAPSHOT_REALTIME is not defined by <linux/kvm.h>"
#endif
/* Dropped in v2: the only counter offset setter is KVM_ARM_SET_COUNTER_OFFSET. */
#ifdef KVM_ARM_VCPU_TIMER_OFFSET_VTIMER
#error "KVM_ARM_VCPU_TIMER_OFFSET_VTIMER (v1) is still defined"
#endif
#ifdef KVM_ARM_VCPU_TIMER_OFFSET_PTIMER
#error "KVM_ARM_VCPU_TIMER_OFFSET_PTIMER (v1) is still defined"
#endif

CHECK(KVM_ARM_COUNTER_SNAPSHOT_REALTIME == (1ULL << 0));
CHECK(sizeof(struct kvm_arm_counter_snapshot) == 64);
CHECK(offsetof_(struct kvm_arm_counter_snapshot, flags) == 0);
CHECK(offsetof_(struct kvm_arm_counter_snapshot, counter_freq) == 8);
CHECK(offsetof_(struct kvm_arm_counter_snapshot, host_counter) == 16);
CHECK(offsetof_(struct kvm_arm_counter_snapshot, realtime) == 24);
CHECK(offsetof_(struct kvm_arm_counter_snapshot, virtual_offset) == 32);
CHECK(offsetof_(struct kvm_arm_counter_snapshot, physical_offset) == 40);
CHECK(offsetof_(struct kvm_arm_counter_snapshot, reserved) == 48);
CHECK(member_size(struct kvm_arm_counter_snapshot, reserved) == 16);

CHECK(KVM_ARM_GET_COUNTER_SNAPSHOT ==
      _IOR(KVMIO, 0xd8, struct kvm_arm_counter_snapshot));
CHECK(_IOC_TYPE(KVM_ARM_GET_COUNTER_SNAPSHOT) == 0xAE &&
      _IOC_NR(KVM_ARM_GET_COUNTER_SNAPSHOT) == 0xd8 &&
      _IOC_DIR(KVM_ARM_GET_COUNTER_SNAPSHOT) == _IOC_READ &&
      _IOC_SIZE(KVM_ARM_GET_COUNTER_SNAPSHOT) == 64);

int get_counter_snapshot(int vm_fd, struct kvm_arm_counter_snapshot *snap)
{
	return ioctl(vm_fd, KVM_ARM_GET_COUNTER_SNAPSHOT, snap);
}

#else
#error "uapi-check.c: x86_64, i386 or aarch64 only"
#endif
