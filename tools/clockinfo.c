// SPDX-License-Identifier: GPL-2.0
/*
 * clockinfo - what a VMM author wants to know about guest clocks on the
 * running kernel: the host clocksource, the clock-related KVM capabilities
 * and their values, and what KVM reports for a freshly created VM once its
 * vCPU has run (masterclock, KVM_GET_CLOCK, guest counter).
 *
 * Built against the KVM selftest library; 'make run' runs it in the test VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

struct cap_info {
	const char *name;
	int cap;
	const char *meaning;
};

#define CAP(c, m) { #c, c, m }

static const struct cap_info caps[] = {
	CAP(KVM_CAP_ADJUST_CLOCK, "KVM_[GS]ET_CLOCK; value = supported flags"),
	CAP(KVM_CAP_VCPU_ATTRIBUTES, "vCPU device attributes"),
#ifdef __x86_64__
	CAP(KVM_CAP_GET_TSC_KHZ, "KVM_GET_TSC_KHZ"),
	CAP(KVM_CAP_TSC_CONTROL, "per-vCPU KVM_SET_TSC_KHZ (TSC scaling)"),
	CAP(KVM_CAP_VM_TSC_CONTROL, "VM-wide KVM_SET_TSC_KHZ"),
	CAP(KVM_CAP_TSC_DEADLINE_TIMER, "TSC deadline timer"),
	CAP(KVM_CAP_HYPERV_TIME, "Hyper-V reference TSC page"),
	CAP(KVM_CAP_XEN_HVM, "Xen HVM; value = flags"),
#endif
#ifdef __aarch64__
	CAP(KVM_CAP_COUNTER_OFFSET, "KVM_ARM_SET_COUNTER_OFFSET (VM-wide)"),
	CAP(KVM_CAP_STEAL_TIME, "PV steal time"),
#endif
#ifdef KVM_CAP_CLOCK_GUEST
	CAP(KVM_CAP_CLOCK_GUEST, "KVM_[GS]ET_CLOCK_GUEST"),
#endif
};

static const char *sysfs_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f || !fgets(buf, len, f)) {
		snprintf(buf, len, "(unavailable: %s)", strerror(errno));
	} else {
		buf[strcspn(buf, "\n")] = '\0';
	}
	if (f)
		fclose(f);
	return buf;
}

static void print_host(void)
{
	const char *cs = "/sys/devices/system/clocksource/clocksource0";
	char path[256], buf[256];
	struct utsname u;

	uname(&u);
	printf("Host kernel:            %s %s\n", u.release, u.machine);
	snprintf(path, sizeof(path), "%s/current_clocksource", cs);
	printf("Host clocksource:       %s\n", sysfs_line(path, buf, sizeof(buf)));
	snprintf(path, sizeof(path), "%s/available_clocksource", cs);
	printf("  available:            %s\n", sysfs_line(path, buf, sizeof(buf)));
	printf("KVM API version:        %d\n",
	       ioctl(open_kvm_dev_path_or_exit(), KVM_GET_API_VERSION, NULL));
}

static void print_flags(uint32_t flags)
{
	printf("0x%x", flags);
	if (flags & KVM_CLOCK_TSC_STABLE)
		printf(" TSC_STABLE");
	if (flags & KVM_CLOCK_REALTIME)
		printf(" REALTIME");
	if (flags & KVM_CLOCK_HOST_TSC)
		printf(" HOST_TSC");
	printf("\n");
}

static void print_caps(struct kvm_vm *vm)
{
	size_t i;

	printf("\nClock-related KVM capabilities (KVM_CHECK_EXTENSION on the VM):\n");
	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		int v = vm_check_cap(vm, caps[i].cap);

		printf("  %-28s (%3d) = %-4d %s\n", caps[i].name, caps[i].cap, v,
		       caps[i].meaning);
	}
#ifndef KVM_CAP_CLOCK_GUEST
	printf("  %-28s       not defined by this kernel's uAPI headers\n",
	       "KVM_CAP_CLOCK_GUEST");
#endif
	printf("  KVM_CLOCK_* flag values: TSC_STABLE=0x%x REALTIME=0x%x HOST_TSC=0x%x\n",
	       KVM_CLOCK_TSC_STABLE, KVM_CLOCK_REALTIME, KVM_CLOCK_HOST_TSC);
}

static void print_get_clock(struct kvm_vm *vm)
{
	struct kvm_clock_data data = {};
	char when[64];
	time_t secs;

	printf("\nKVM_GET_CLOCK (one instant, sampled in the kernel):\n");
	if (__vm_ioctl(vm, KVM_GET_CLOCK, &data)) {
		printf("  not available: %s\n", strerror(errno));
		return;
	}
#ifdef __x86_64__
	printf("  clock (kvmclock, ns): %llu\n", (unsigned long long)data.clock);
#else
	printf("  clock (guest virtual counter, cycles): %llu\n",
	       (unsigned long long)data.clock);
#endif
	printf("  flags:                ");
	print_flags(data.flags);
	if (data.flags & KVM_CLOCK_REALTIME) {
		secs = data.realtime / 1000000000ull;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&secs));
		printf("  realtime (ns):        %llu (%s)\n",
		       (unsigned long long)data.realtime, when);
	}
	if (data.flags & KVM_CLOCK_HOST_TSC)
		printf("  host counter:         %llu\n", (unsigned long long)data.host_tsc);
#ifdef __x86_64__
	printf("Masterclock in use:     %s\n",
	       data.flags & KVM_CLOCK_TSC_STABLE ? "yes (kvmclock is a pure function of the guest TSC)" :
	       "NO (needs the host 'tsc' clocksource and matched vCPU TSCs)");
#endif
}

#if defined(__x86_64__) && defined(KVM_GET_CLOCK_GUEST)
#include <asm/pvclock-abi.h>

static void print_clock_guest(struct kvm_vcpu *vcpu)
{
	struct pvclock_vcpu_time_info p;

	printf("\nKVM_GET_CLOCK_GUEST (vCPU 0's kvmclock as a function of its TSC):\n");
	if (__vcpu_ioctl(vcpu, KVM_GET_CLOCK_GUEST, &p)) {
		printf("  not available: %s\n", strerror(errno));
		return;
	}
	printf("  tsc_timestamp:        %llu\n", (unsigned long long)p.tsc_timestamp);
	printf("  system_time:          %llu ns\n", (unsigned long long)p.system_time);
	printf("  tsc_to_system_mul:    %u\n", p.tsc_to_system_mul);
	printf("  tsc_shift:            %d\n", p.tsc_shift);
	printf("  flags:                0x%x%s\n", p.flags,
	       p.flags & PVCLOCK_TSC_STABLE_BIT ? " TSC_STABLE" : "");
}
#else
static void print_clock_guest(struct kvm_vcpu *vcpu)
{
}
#endif

#ifdef __x86_64__
static void guest_code(void)
{
	GUEST_SYNC(rdtsc());
	GUEST_DONE();
}

static void print_vcpu(struct kvm_vcpu *vcpu)
{
	uint64_t offset;
	int khz;

	khz = __vcpu_ioctl(vcpu, KVM_GET_TSC_KHZ, NULL);
	printf("\nvCPU 0 after it ran:\n");
	printf("  guest TSC frequency:  %d kHz\n", khz);
	if (!__vcpu_has_device_attr(vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET)) {
		vcpu_device_attr_get(vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, &offset);
		printf("  TSC offset attribute: %lld (KVM_VCPU_TSC_CTRL/KVM_VCPU_TSC_OFFSET)\n",
		       (long long)offset);
	} else {
		printf("  TSC offset attribute: not available\n");
	}
}
#else
static uint64_t read_cntvct(void)
{
	uint64_t v;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static uint64_t read_cntfrq(void)
{
	uint64_t v;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

static void guest_code(void)
{
	GUEST_SYNC(read_cntvct());
	GUEST_DONE();
}

static void print_vcpu(struct kvm_vcpu *vcpu)
{
	uint64_t host, guest;

	host = read_cntvct();
	vcpu_get_reg(vcpu, KVM_REG_ARM_TIMER_CNT, &guest);
	printf("\nvCPU 0 after it ran:\n");
	printf("  counter frequency:    %llu Hz (CNTFRQ_EL0)\n",
	       (unsigned long long)read_cntfrq());
	printf("  host CNTVCT:          %llu\n", (unsigned long long)host);
	printf("  guest virtual counter %llu (KVM_REG_ARM_TIMER_CNT, read by value)\n",
	       (unsigned long long)guest);
#ifdef KVM_ARM_VCPU_TIMER_OFFSET_VTIMER
	if (!__vcpu_has_device_attr(vcpu, KVM_ARM_VCPU_TIMER_CTRL,
				    KVM_ARM_VCPU_TIMER_OFFSET_VTIMER)) {
		uint64_t voffset, poffset;

		vcpu_device_attr_get(vcpu, KVM_ARM_VCPU_TIMER_CTRL,
				     KVM_ARM_VCPU_TIMER_OFFSET_VTIMER, &voffset);
		vcpu_device_attr_get(vcpu, KVM_ARM_VCPU_TIMER_CTRL,
				     KVM_ARM_VCPU_TIMER_OFFSET_PTIMER, &poffset);
		printf("  virtual offset:       %llu (KVM_ARM_VCPU_TIMER_OFFSET_VTIMER)\n",
		       (unsigned long long)voffset);
		printf("  physical offset:      %llu (KVM_ARM_VCPU_TIMER_OFFSET_PTIMER)\n",
		       (unsigned long long)poffset);
		return;
	}
#endif
	printf("  counter offset:       no way to read it back on this kernel\n");
}
#endif

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	print_host();
	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	print_caps(vm);

	/*
	 * Let the vCPU enter the guest once: on x86 that is where KVM decides
	 * whether the VM uses the masterclock.
	 */
	for (;;) {
		vcpu_run(vcpu);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			continue;
		case UCALL_DONE:
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("unexpected exit %s", exit_reason_str(vcpu->run->exit_reason));
		}
		break;
	}
	print_vcpu(vcpu);
	print_get_clock(vm);
	print_clock_guest(vcpu);
	kvm_vm_free(vm);
	return 0;
}
