// SPDX-License-Identifier: GPL-2.0
/*
 * clockinfo - what a VMM author wants to know about guest clocks on the
 * running kernel: the host clocksource, the clock-related KVM capabilities
 * and their values, and what KVM reports for a freshly created VM once its
 * vCPU has run: on x86 the masterclock, KVM_GET_CLOCK's (kvmclock,
 * realtime, host TSC) triple, KVM_GET_CLOCK_GUEST and the TSC attributes;
 * on arm64 KVM_ARM_GET_COUNTER_SNAPSHOT and the counters by value.
 *
 * Built against the KVM selftest library of either base (7.3 or 6.12) and
 * any uAPI headers: clockmig_uapi.h stands in for the series' definitions
 * where the headers lack them. 'make run' runs it in the test VM.
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

#include "clockmig_uapi.h"

struct cap_info {
	const char *name;
	int cap;
	const char *meaning;
};

#define CAP(c, m) { #c, c, m }

static const struct cap_info caps[] = {
	CAP(KVM_CAP_VCPU_ATTRIBUTES, "vCPU device attributes"),
#ifdef __x86_64__
	CAP(KVM_CAP_ADJUST_CLOCK, "KVM_[GS]ET_CLOCK; value = supported flags"),
	CAP(KVM_CAP_GET_TSC_KHZ, "KVM_GET_TSC_KHZ"),
	CAP(KVM_CAP_TSC_CONTROL, "per-vCPU KVM_SET_TSC_KHZ (TSC scaling)"),
	CAP(KVM_CAP_VM_TSC_CONTROL, "VM-wide KVM_SET_TSC_KHZ"),
	CAP(KVM_CAP_TSC_DEADLINE_TIMER, "TSC deadline timer"),
	CAP(KVM_CAP_HYPERV_TIME, "Hyper-V reference TSC page"),
	CAP(KVM_CAP_XEN_HVM, "Xen HVM; value = flags"),
	CAP(KVM_CAP_CLOCK_GUEST, "KVM_[GS]ET_CLOCK_GUEST (the series)"),
#endif
#ifdef __aarch64__
	CAP(KVM_CAP_ADJUST_CLOCK, "KVM_[GS]ET_CLOCK: 0 on arm64"),
	CAP(KVM_CAP_COUNTER_OFFSET, "KVM_ARM_SET_COUNTER_OFFSET (VM-wide)"),
	CAP(KVM_CAP_ARM_COUNTER_SNAPSHOT, "KVM_ARM_GET_COUNTER_SNAPSHOT (the series)"),
	CAP(KVM_CAP_STEAL_TIME, "PV steal time"),
#endif
};

static const char *sysfs_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f || !fgets(buf, len, f))
		snprintf(buf, len, "(unavailable: %s)", strerror(errno));
	else
		buf[strcspn(buf, "\n")] = '\0';
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

static void print_realtime(const char *what, uint64_t ns)
{
	time_t secs = ns / 1000000000ull;
	char when[64];

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&secs));
	printf("  %-22s%llu (%s)\n", what, (unsigned long long)ns, when);
}

static void print_caps(struct kvm_vm *vm)
{
	size_t i;

	printf("\nClock-related KVM capabilities (KVM_CHECK_EXTENSION on the VM):\n");
	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		int v = vm_check_cap(vm, caps[i].cap);

		printf("  %-30s (%3d) = %-4d %s\n", caps[i].name, caps[i].cap, v,
		       caps[i].meaning);
	}
	printf("  uAPI headers:           %s\n",
#if defined(__x86_64__) && defined(KVM_GET_CLOCK_GUEST)
	       "with the series (KVM_GET_CLOCK_GUEST defined)"
#elif defined(__aarch64__) && defined(KVM_ARM_GET_COUNTER_SNAPSHOT)
	       "with the series (KVM_ARM_GET_COUNTER_SNAPSHOT defined)"
#else
	       "without the series (clockmig_uapi.h's definitions used)"
#endif
	       );
#ifdef __x86_64__
	printf("  KVM_CLOCK_* flag values: TSC_STABLE=0x%x REALTIME=0x%x HOST_TSC=0x%x\n",
	       KVM_CLOCK_TSC_STABLE, KVM_CLOCK_REALTIME, KVM_CLOCK_HOST_TSC);
#else
	printf("  KVM_ARM_COUNTER_SNAPSHOT_REALTIME = 0x%llx\n",
	       (unsigned long long)KVM_ARM_COUNTER_SNAPSHOT_REALTIME);
#endif
}

#ifdef __x86_64__
static void guest_code(void)
{
	GUEST_SYNC(rdtsc());
	GUEST_DONE();
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

static void print_get_clock(struct kvm_vm *vm)
{
	struct kvm_clock_data data = {};

	printf("\nKVM_GET_CLOCK (one instant, sampled in the kernel):\n");
	if (__vm_ioctl(vm, KVM_GET_CLOCK, &data)) {
		printf("  not available: %s\n", strerror(errno));
		return;
	}
	printf("  clock (kvmclock, ns): %llu\n", (unsigned long long)data.clock);
	printf("  flags:                ");
	print_flags(data.flags);
	if (data.flags & KVM_CLOCK_REALTIME)
		print_realtime("realtime (ns):", data.realtime);
	if (data.flags & KVM_CLOCK_HOST_TSC)
		printf("  host TSC:             %llu\n", (unsigned long long)data.host_tsc);
	printf("Masterclock in use:     %s\n",
	       data.flags & KVM_CLOCK_TSC_STABLE ?
	       "yes (kvmclock is a pure function of the guest TSC)" :
	       "NO (needs the host 'tsc' clocksource and matched vCPU TSCs)");
}

static void print_clock_guest(struct kvm_vcpu *vcpu)
{
	struct clockmig_kvm_pvclock p;

	printf("\nKVM_GET_CLOCK_GUEST (vCPU 0's kvmclock as a function of its TSC):\n");
	if (!vm_check_cap(vcpu->vm, KVM_CAP_CLOCK_GUEST)) {
		printf("  not available: no KVM_CAP_CLOCK_GUEST\n");
		return;
	}
	if (__vcpu_ioctl(vcpu, CLOCKMIG_KVM_GET_CLOCK_GUEST, &p)) {
		printf("  failed: %s%s\n", strerror(errno),
		       errno == EOPNOTSUPP ? " (no masterclock)" : "");
		return;
	}
	printf("  tsc_timestamp:        %llu\n", (unsigned long long)p.tsc_timestamp);
	printf("  system_time:          %llu ns\n", (unsigned long long)p.system_time);
	printf("  tsc_to_system_mul:    %u\n", p.tsc_to_system_mul);
	printf("  tsc_shift:            %d\n", p.tsc_shift);
	printf("  flags:                0x%x%s\n", p.flags,
	       p.flags & CLOCKMIG_PVCLOCK_TSC_STABLE_BIT ? " TSC_STABLE" : "");
}

static void print_vcpu(struct kvm_vcpu *vcpu)
{
	struct clockmig_kvm_tsc_scale scale;
	uint64_t offset;
	int khz;

	khz = __vcpu_ioctl(vcpu, KVM_GET_TSC_KHZ, NULL);
	printf("\nvCPU 0 after it ran:\n");
	printf("  guest TSC frequency:  %d kHz\n", khz);
	if (!__vcpu_has_device_attr(vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET)) {
		vcpu_device_attr_get(vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, &offset);
		printf("  TSC offset:           %lld (KVM_VCPU_TSC_OFFSET)\n", (long long)offset);
	} else {
		printf("  TSC offset:           no KVM_VCPU_TSC_OFFSET attribute\n");
	}
	if (!__vcpu_has_device_attr(vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_SCALE)) {
		vcpu_device_attr_get(vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_SCALE, &scale);
		printf("  TSC scale:            ratio %llu, %llu fractional bits",
		       (unsigned long long)scale.tsc_ratio, (unsigned long long)scale.tsc_frac_bits);
		printf(" (KVM_VCPU_TSC_SCALE)\n");
	} else {
		printf("  TSC scale:            no KVM_VCPU_TSC_SCALE attribute (%s)\n",
		       vm_check_cap(vcpu->vm, KVM_CAP_TSC_CONTROL) ?
		       "unknown: KVM can scale" : "1:1: KVM cannot scale");
	}
}

static void print_vm(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	print_vcpu(vcpu);
	print_get_clock(vm);
	print_clock_guest(vcpu);
}
#else
#include "arch_timer.h"

static void guest_code(void)
{
	GUEST_SYNC(timer_get_cntct(VIRTUAL));
	GUEST_DONE();
}

static uint64_t read_cntfrq(void)
{
	uint64_t v;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

static void print_snapshot(struct kvm_vm *vm)
{
	struct clockmig_kvm_counter_snapshot s = {};

	printf("\nKVM_ARM_GET_COUNTER_SNAPSHOT (one instant, sampled in the kernel):\n");
	if (!vm_check_cap(vm, KVM_CAP_ARM_COUNTER_SNAPSHOT)) {
		printf("  not available: no KVM_CAP_ARM_COUNTER_SNAPSHOT\n");
		return;
	}
	if (__vm_ioctl(vm, CLOCKMIG_KVM_ARM_GET_COUNTER_SNAPSHOT, &s)) {
		printf("  failed: %s\n", strerror(errno));
		return;
	}
	printf("  flags:                0x%llx%s\n", (unsigned long long)s.flags,
	       s.flags & KVM_ARM_COUNTER_SNAPSHOT_REALTIME ? " REALTIME" : "");
	printf("  counter_freq:         %llu Hz\n", (unsigned long long)s.counter_freq);
	printf("  host_counter:         %llu\n", (unsigned long long)s.host_counter);
	if (s.flags & KVM_ARM_COUNTER_SNAPSHOT_REALTIME)
		print_realtime("realtime (ns):", s.realtime);
	else
		printf("  realtime:             %s\n",
		       "not valid (the host clocksource is not the counter)");
	printf("  virtual_offset:       %llu -> guest CNTVCT %llu\n",
	       (unsigned long long)s.virtual_offset,
	       (unsigned long long)(s.host_counter - s.virtual_offset));
	printf("  physical_offset:      %llu -> guest CNTPCT %llu\n",
	       (unsigned long long)s.physical_offset,
	       (unsigned long long)(s.host_counter - s.physical_offset));
}

static void print_counter_reg(struct kvm_vcpu *vcpu, const char *name, uint64_t id)
{
	uint64_t v;

	if (__vcpu_get_reg(vcpu, id, &v))
		printf("  %-22snot available: %s\n", name, strerror(errno));
	else
		printf("  %-22s%llu\n", name, (unsigned long long)v);
}

static void print_vm(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	struct kvm_clock_data data = {};

	printf("\nvCPU 0 after it ran:\n");
	printf("  counter frequency:    %llu Hz (CNTFRQ_EL0)\n",
	       (unsigned long long)read_cntfrq());
	print_counter_reg(vcpu, "guest CNTVCT:", KVM_REG_ARM_TIMER_CNT);
	print_counter_reg(vcpu, "guest CNTPCT:", KVM_REG_ARM_PTIMER_CNT);
	print_snapshot(vm);
	printf("\nKVM_GET_CLOCK:          %s\n",
	       __vm_ioctl(vm, KVM_GET_CLOCK, &data) ? "not on arm64 (x86 only)" :
	       "answered (a kernel with the v1 arm64 KVM_GET_CLOCK)");
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
	print_vm(vm, vcpu);
	kvm_vm_free(vm);
	return 0;
}
