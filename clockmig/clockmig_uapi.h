/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The KVM uAPI clockmig uses, so that it builds with any uAPI headers:
 * older than the series (the definitions below stand in), with the series
 * (they are checked against the installed ones), and, for the unit tests'
 * fake KVM, for the other architecture.
 *
 * Plain numbers keep the kernel's names and are only defined when the
 * headers lack them. The ioctl arguments are clockmig's own copies of the
 * uAPI structures, because on the other architecture, and for the x86
 * pvclock ABI before the series, the kernel's structure does not exist:
 * the ioctl numbers built from them are asserted equal to the kernel's
 * wherever the kernel's can be evaluated.
 */
#ifndef CLOCKMIG_UAPI_H
#define CLOCKMIG_UAPI_H

#include <stddef.h>
#include <linux/kvm.h>

#define CLOCKMIG_UAPI_ASSERT(cond, msg)	_Static_assert(cond, msg)

/* Capabilities (include/uapi/linux/kvm.h). */
#ifndef KVM_CAP_COUNTER_OFFSET
#define KVM_CAP_COUNTER_OFFSET		227
#endif
#ifndef KVM_CAP_CLOCK_GUEST
#define KVM_CAP_CLOCK_GUEST		252
#endif
#ifndef KVM_CAP_ARM_COUNTER_SNAPSHOT
#define KVM_CAP_ARM_COUNTER_SNAPSHOT	253
#endif
/* v1 of the series numbered KVM_CAP_CLOCK_GUEST 239: stale headers. */
CLOCKMIG_UAPI_ASSERT(KVM_CAP_CLOCK_GUEST == 252, "uAPI headers of another KVM_CAP_CLOCK_GUEST");
CLOCKMIG_UAPI_ASSERT(KVM_CAP_ARM_COUNTER_SNAPSHOT == 253, "another KVM_CAP_ARM_COUNTER_SNAPSHOT");
CLOCKMIG_UAPI_ASSERT(KVM_CAP_COUNTER_OFFSET == 227, "KVM_CAP_COUNTER_OFFSET");

/* struct pvclock_vcpu_time_info, the guest ABI kvmclock has always had. */
struct clockmig_kvm_pvclock {
	__u32 version;
	__u32 pad0;
	__u64 tsc_timestamp;
	__u64 system_time;
	__u32 tsc_to_system_mul;
	__s8 tsc_shift;
	__u8 flags;
	__u8 pad[2];
} __attribute__((__packed__));

CLOCKMIG_UAPI_ASSERT(sizeof(struct clockmig_kvm_pvclock) == 32, "pvclock ABI size");

#define CLOCKMIG_PVCLOCK_TSC_STABLE_BIT	(1 << 0)

/* x86 vCPU ioctls, with KVM_CAP_CLOCK_GUEST. */
#define CLOCKMIG_KVM_SET_CLOCK_GUEST	_IOW(KVMIO, 0xd6, struct clockmig_kvm_pvclock)
#define CLOCKMIG_KVM_GET_CLOCK_GUEST	_IOR(KVMIO, 0xd7, struct clockmig_kvm_pvclock)
#if defined(__x86_64__) && defined(KVM_SET_CLOCK_GUEST)
/* v1 of the series had the two numbers swapped: stale headers. */
CLOCKMIG_UAPI_ASSERT(KVM_SET_CLOCK_GUEST == CLOCKMIG_KVM_SET_CLOCK_GUEST, "KVM_SET_CLOCK_GUEST");
CLOCKMIG_UAPI_ASSERT(KVM_GET_CLOCK_GUEST == CLOCKMIG_KVM_GET_CLOCK_GUEST, "KVM_GET_CLOCK_GUEST");
CLOCKMIG_UAPI_ASSERT(sizeof(struct kvm_clock_guest) == 32, "struct kvm_clock_guest size");
#endif

/* x86 vCPU attributes of group KVM_VCPU_TSC_CTRL (arch/x86/include/uapi/asm/kvm.h). */
#ifndef KVM_VCPU_TSC_CTRL
#define KVM_VCPU_TSC_CTRL		0
#define KVM_VCPU_TSC_OFFSET		0
#endif
#ifndef KVM_VCPU_TSC_SCALE
#define KVM_VCPU_TSC_SCALE		1
#endif
CLOCKMIG_UAPI_ASSERT(KVM_VCPU_TSC_SCALE == 1, "KVM_VCPU_TSC_SCALE");

/* struct kvm_vcpu_tsc_scale: guest TSC = host TSC * tsc_ratio >> tsc_frac_bits + offset. */
struct clockmig_kvm_tsc_scale {
	__u64 tsc_ratio;
	__u64 tsc_frac_bits;
};

CLOCKMIG_UAPI_ASSERT(sizeof(struct clockmig_kvm_tsc_scale) == 16, "kvm_vcpu_tsc_scale size");

/* arm64 (arch/arm64/include/uapi/asm/kvm.h). */
#ifndef KVM_REG_ARM_TIMER_CNT
/* ARM64_SYS_REG(3, 3, 14, 3, 2) and ARM64_SYS_REG(3, 3, 14, 0, 1) */
#define KVM_REG_ARM_TIMER_CNT		0x603000000013df1aULL
#endif
#ifndef KVM_REG_ARM_PTIMER_CNT
#define KVM_REG_ARM_PTIMER_CNT		0x603000000013df01ULL
#endif
#ifndef KVM_ARM_COUNTER_SNAPSHOT_REALTIME
#define KVM_ARM_COUNTER_SNAPSHOT_REALTIME	(1ULL << 0)
#endif
CLOCKMIG_UAPI_ASSERT(KVM_REG_ARM_TIMER_CNT == 0x603000000013df1aULL, "KVM_REG_ARM_TIMER_CNT");
CLOCKMIG_UAPI_ASSERT(KVM_REG_ARM_PTIMER_CNT == 0x603000000013df01ULL, "KVM_REG_ARM_PTIMER_CNT");
CLOCKMIG_UAPI_ASSERT(KVM_ARM_COUNTER_SNAPSHOT_REALTIME == 1, "KVM_ARM_COUNTER_SNAPSHOT_REALTIME");

/* struct kvm_arm_counter_offset */
struct clockmig_kvm_counter_offset {
	__u64 counter_offset;
	__u64 reserved;
};

/* struct kvm_arm_counter_snapshot */
struct clockmig_kvm_counter_snapshot {
	__u64 flags;
	__u64 counter_freq;
	__u64 host_counter;
	__u64 realtime;
	__u64 virtual_offset;
	__u64 physical_offset;
	__u64 reserved[2];
};

CLOCKMIG_UAPI_ASSERT(sizeof(struct clockmig_kvm_counter_snapshot) == 64, "snapshot size");

#define CLOCKMIG_KVM_ARM_SET_COUNTER_OFFSET \
	_IOW(KVMIO, 0xb5, struct clockmig_kvm_counter_offset)
#define CLOCKMIG_KVM_ARM_GET_COUNTER_SNAPSHOT \
	_IOR(KVMIO, 0xd8, struct clockmig_kvm_counter_snapshot)
#if defined(__aarch64__) && defined(KVM_ARM_SET_COUNTER_OFFSET)
CLOCKMIG_UAPI_ASSERT(KVM_ARM_SET_COUNTER_OFFSET == CLOCKMIG_KVM_ARM_SET_COUNTER_OFFSET,
		     "KVM_ARM_SET_COUNTER_OFFSET");
CLOCKMIG_UAPI_ASSERT(sizeof(struct kvm_arm_counter_offset) ==
		     sizeof(struct clockmig_kvm_counter_offset), "kvm_arm_counter_offset size");
#endif
#if defined(__aarch64__) && defined(KVM_ARM_GET_COUNTER_SNAPSHOT)
CLOCKMIG_UAPI_ASSERT(KVM_ARM_GET_COUNTER_SNAPSHOT == CLOCKMIG_KVM_ARM_GET_COUNTER_SNAPSHOT,
		     "KVM_ARM_GET_COUNTER_SNAPSHOT");
CLOCKMIG_UAPI_ASSERT(offsetof(struct kvm_arm_counter_snapshot, physical_offset) ==
		     offsetof(struct clockmig_kvm_counter_snapshot, physical_offset),
		     "kvm_arm_counter_snapshot layout");
#endif

#endif
