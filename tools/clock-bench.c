// SPDX-License-Identifier: GPL-2.0
/*
 * clock-bench - the host-side costs the series could change, on the running
 * kernel, for 'make bench' to compare the unpatched base with the series:
 *
 *   KVM_GET_CLOCK          reads kvmclock on the host (the same code as
 *                          get_kvmclock_ns() plus the copy-out)
 *   TIME_REF_COUNT         KVM_GET_MSRS of the Hyper-V reference counter,
 *                          which is get_kvmclock_ns() / 100 without the TSC
 *                          page; GUEST_OS_ID, a stored MSR, is its baseline
 *   KVM_SET_CLOCK          a master clock update (KVM_SET_CLOCK to the value
 *                          KVM_GET_CLOCK just gave; it stops the vCPUs, takes
 *                          a reference point and asks each vCPU for a clock
 *                          update)
 *   KVM_RUN after SET      the next guest entry, which performs that update,
 *                          against KVM_RUN without one
 *
 * Each figure is the median over 31 batches of the mean time per call in
 * the batch, in ns, on one pinned CPU. It prints "bench<TAB>name<TAB>ns"
 * lines for the harness and a kselftest plan; it asserts nothing about
 * speed. x86 only: it reports SKIP on arm64.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define BATCHES		31
#define PER_BATCH	200

#ifdef __x86_64__
#include "hyperv.h"

static void pin_this_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity");
}

static void guest_code(void)
{
	for (;;)
		GUEST_SYNC(0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, BATCHES, sizeof(*v), cmp_double);
	return v[BATCHES / 2];
}

static void report(const char *name, double ns)
{
	printf("bench\t%s\t%.1f\n", name, ns);
	ksft_test_result_pass("%s: %.1f ns\n", name, ns);
}

static void run_once(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
}

static double time_get_clock(struct kvm_vm *vm)
{
	struct kvm_clock_data data;
	double per[BATCHES];

	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < PER_BATCH; i++)
			vm_ioctl(vm, KVM_GET_CLOCK, &data);
		per[b] = (double)(now_ns() - t0) / PER_BATCH;
	}
	return median(per);
}

static double time_msr(struct kvm_vcpu *vcpu, uint32_t msr)
{
	double per[BATCHES];

	for (int b = 0; b < BATCHES; b++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < PER_BATCH; i++)
			vcpu_get_msr(vcpu, msr);
		per[b] = (double)(now_ns() - t0) / PER_BATCH;
	}
	return median(per);
}

/* KVM_SET_CLOCK, and the KVM_RUN after it; or KVM_RUN alone. */
static void time_update(struct kvm_vm *vm, struct kvm_vcpu *vcpu, bool set,
			double *set_ns, double *run_ns)
{
	double per_set[BATCHES], per_run[BATCHES];
	struct kvm_clock_data data;

	for (int b = 0; b < BATCHES; b++) {
		uint64_t ts = 0, tr = 0;

		for (int i = 0; i < PER_BATCH / 10; i++) {
			uint64_t t0, t1, t2;

			vm_ioctl(vm, KVM_GET_CLOCK, &data);
			data.flags = 0;
			t0 = now_ns();
			if (set)
				vm_ioctl(vm, KVM_SET_CLOCK, &data);
			t1 = now_ns();
			run_once(vcpu);
			t2 = now_ns();
			ts += t1 - t0;
			tr += t2 - t1;
		}
		per_set[b] = (double)ts / (PER_BATCH / 10);
		per_run[b] = (double)tr / (PER_BATCH / 10);
	}
	*set_ns = median(per_set);
	*run_ns = median(per_run);
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	double set_ns, run_ns, plain_run_ns, ref, base;

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ADJUST_CLOCK));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_TIME));

	/* One CPU: the TSCs of the test VM's CPUs are not synchronized. */
	pin_this_cpu();

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_set_hv_cpuid(vcpu);
	for (int i = 0; i < 10; i++)
		run_once(vcpu);

	ksft_print_header();
	ksft_set_plan(6);
	printf("# median of %d batches of the mean per call, ns, one pinned CPU\n", BATCHES);

	report("KVM_GET_CLOCK", time_get_clock(vm));
	base = time_msr(vcpu, HV_X64_MSR_GUEST_OS_ID);
	ref = time_msr(vcpu, HV_X64_MSR_TIME_REF_COUNT);
	report("KVM_GET_MSRS GUEST_OS_ID", base);
	report("KVM_GET_MSRS TIME_REF_COUNT", ref);

	time_update(vm, vcpu, false, &set_ns, &plain_run_ns);
	time_update(vm, vcpu, true, &set_ns, &run_ns);
	report("KVM_SET_CLOCK", set_ns);
	report("KVM_RUN after KVM_SET_CLOCK", run_ns);
	report("KVM_RUN", plain_run_ns);

	kvm_vm_free(vm);
	ksft_finished();
}
#else
int main(void)
{
	ksft_print_header();
	ksft_exit_skip("clock-bench measures x86 paths only\n");
}
#endif
