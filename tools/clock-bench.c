// SPDX-License-Identifier: GPL-2.0
/*
 * clock-bench - the host-side costs the series could change, on the running
 * kernel, for 'make bench' to compare the unpatched base with the series:
 *
 *   KVM_GET_CLOCK          reads kvmclock on the host (get_kvmclock_ns()'s
 *                          code, plus on the series a check for a pending
 *                          master clock update, and the copy-out); its control
 *                          is KVM_CHECK_EXTENSION on the VM
 *   TIME_REF_COUNT         KVM_GET_MSRS of the Hyper-V reference counter,
 *                          which is get_kvmclock_ns() / 100 without the TSC
 *                          page; GUEST_OS_ID, a stored MSR, is its baseline
 *   KVM_SET_CLOCK          a master clock update (KVM_SET_CLOCK to the value
 *                          KVM_GET_CLOCK just gave; it stops the vCPUs, takes
 *                          a reference point and asks each vCPU for a clock
 *                          update); its control is KVM_SET_CLOCK refused at
 *                          its flags check
 *   KVM_RUN after SET      the next guest entry, which performs that update,
 *                          against KVM_RUN without one
 *   KVM_RUN after TSC page a master clock update that a vCPU requested, as
 *                          TSC writes, the Hyper-V TSC page and Xen do: a
 *                          host write of HV_X64_MSR_REFERENCE_TSC requests
 *                          one, and the next guest entry performs it and the
 *                          vCPU's clock update; its control is the KVM_RUN
 *                          after a write of HV_X64_MSR_GUEST_OS_ID, a stored
 *                          MSR, through the same ioctl
 *
 * The controls run code the series does not change, in the same batches:
 * 'make bench' takes, in each boot, the figure's excess over its control,
 * in units of the control, which takes out most of the difference in speed
 * between two boots of the emulator, and compares those of the two kernels.
 *
 * Where the kernel has KVM_CAP_CLOCK_GUEST, it also times KVM_SET_CLOCK_GUEST
 * against KVM_SET_CLOCK on the same kernel: how long each keeps a vCPU out
 * of the guest, from the kick that starts the update to the end of the
 * vCPU's own clock update at its next entry.  KVM_SET_CLOCK_GUEST reads the
 * host clock and computes the new reference point before its kick, while
 * the vCPUs still run.  So each call has a twin refused before the kick:
 * KVM_SET_CLOCK with an unknown flag, right after the copy-in;
 * KVM_SET_CLOCK_GUEST with a system_time of S64_MAX and the right scale,
 * which passes the rate check and the range check at tsc_timestamp and
 * fails the one at the present, after the host clock read and the search
 * for the host TSC of tsc_timestamp.  What each call does between its
 * twin's refusal and its kick counts as after the kick: for KVM_SET_CLOCK
 * nothing, for KVM_SET_CLOCK_GUEST the reference point's host time, the
 * unlock, and the Hyper-V TSC page request that both make before their
 * kicks (whose mutex costs more under lockdep in a vCPU ioctl).  'make
 * bench' single-steps the two calls to count from the kick itself.  Each of the
 * four is followed by a KVM_RUN, in the orders of a Williams square.  The
 * guest has kvmclock enabled, so that its clock update writes it.  There
 * is one vCPU, idle in userspace while the calls run, so the kick does not
 * wait for a vCPU to leave the guest: the same for both calls.  A call's
 * cost in the guest's time is then
 *
 *   in the call from the kick       the call minus its twin
 *   the update at the next entry    the KVM_RUN after the call minus the
 *                                   KVM_RUN after its twin (which asked for
 *                                   no update, but was the same kind of
 *                                   ioctl: a vCPU ioctl right before KVM_RUN
 *                                   makes it slower under emulation)
 *   vCPU out of the guest           the sum
 *
 * over SET_BATCHES batches, as those are differences of close figures.
 *
 * Each figure is the median over 31 batches (or SET_BATCHES) of the mean
 * time per call in the batch, in ns, on one pinned CPU.  It prints
 * "bench<TAB>name<TAB>ns" lines for the harness and a kselftest plan, and
 * "benchmin<TAB>name<TAB>ns" lines with the shortest single call of each
 * kind, which under QEMU's -icount shift=0 is its instruction count; it
 * asserts nothing about speed.  x86 only: it reports SKIP on arm64.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#define BATCHES		31
#define SET_BATCHES	101	/* differences of close figures: more batches */
#define PER_BATCH	200

#ifdef __x86_64__
#include <asm/kvm_para.h>
#include "hyperv.h"

/* The guest's kvmclock page, so that a clock update writes it. */
static uint8_t pvclock_page[4096] __aligned(4096);
/* The Hyper-V TSC page, which a master clock update refreshes. */
static uint8_t tsc_page[4096] __aligned(4096);

static void pin_this_cpu(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sched_getcpu(), &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set), "sched_setaffinity");
}

static void guest_code(uint64_t pvclock_gpa)
{
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, pvclock_gpa | KVM_MSR_ENABLED);
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

static double median_n(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static double median(double *v)
{
	return median_n(v, BATCHES);
}

static void report(const char *name, double ns)
{
	printf("bench\t%s\t%.1f\n", name, ns);
	ksft_test_result_pass("%s: %.1f ns\n", name, ns);
}

/*
 * The shortest single call, for 'make bench BENCH_ICOUNT=1': under QEMU's
 * -icount shift=0 the guest's clock counts the instructions executed, so a
 * call that no interrupt hit always takes the same time, its instruction
 * count, and the shortest call is that count.
 */
static void note_min(double *min, uint64_t ns)
{
	if (ns < *min)
		*min = ns;
}

static void report_min(const char *name, double ns)
{
	printf("benchmin\t%s\t%.0f\n", name, ns);
}

static void run_once(struct kvm_vcpu *vcpu)
{
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_EQ(get_ucall(vcpu, &uc), UCALL_SYNC);
}

/*
 * Two calls, taking turns in each batch: a figure and its control, so that
 * the emulator's speed, which drifts, is the same for both.
 */
static void time_pair(void (*call)(void *arg, int which), void *arg,
		      double *ns0, double *ns1, double *min)
{
	double per[2][BATCHES];

	min[0] = min[1] = INFINITY;

	for (int b = 0; b < BATCHES; b++) {
		uint64_t ns[2] = {};

		for (int i = 0; i < PER_BATCH; i++) {
			int which = (i + b) & 1;
			uint64_t t0 = now_ns();

			call(arg, which);
			t0 = now_ns() - t0;
			ns[which] += t0;
			note_min(&min[which], t0);
		}
		per[0][b] = (double)ns[0] / (PER_BATCH / 2);
		per[1][b] = (double)ns[1] / (PER_BATCH / 2);
	}
	*ns0 = median(per[0]);
	*ns1 = median(per[1]);
}

/* KVM_GET_CLOCK, or a VM ioctl the series does not touch, as its control. */
static void get_clock_call(void *arg, int control)
{
	struct kvm_clock_data data;
	struct kvm_vm *vm = arg;

	if (control)
		vm_check_cap(vm, KVM_CAP_NR_VCPUS);
	else
		vm_ioctl(vm, KVM_GET_CLOCK, &data);
}

/* TIME_REF_COUNT, or a stored MSR through the same path, as its control. */
static void msr_call(void *arg, int control)
{
	vcpu_get_msr((struct kvm_vcpu *)arg,
		     control ? HV_X64_MSR_GUEST_OS_ID : HV_X64_MSR_TIME_REF_COUNT);
}

/*
 * KVM_SET_CLOCK and the KVM_RUN after it, KVM_RUN alone, and KVM_SET_CLOCK
 * refused at its flags check (code the series does not change, as a
 * control), taking turns in each batch so that the emulator's speed, which
 * drifts, is the same for the three.
 */
static void time_update(struct kvm_vm *vm, struct kvm_vcpu *vcpu, double *set_ns,
			double *refused_ns, double *run_after_ns, double *run_ns,
			double min[3][2])
{
	double per_set[BATCHES], per_refused[BATCHES], per_after[BATCHES], per_run[BATCHES];
	const int n = PER_BATCH / 10;
	struct kvm_clock_data data;

	for (int u = 0; u < 3; u++)
		min[u][0] = min[u][1] = INFINITY;

	for (int b = 0; b < BATCHES; b++) {
		uint64_t ns[3][2] = {};

		for (int i = 0; i < n; i++)
			for (int k = 0; k < 3; k++) {
				int u = (k + i + b) % 3;	/* none, set, refused */
				uint64_t t0, t1;

				vm_ioctl(vm, KVM_GET_CLOCK, &data);
				data.flags = u == 2 ? ~0u : 0;
				t0 = now_ns();
				if (u == 1)
					vm_ioctl(vm, KVM_SET_CLOCK, &data);
				else if (u == 2)
					TEST_ASSERT(__vm_ioctl(vm, KVM_SET_CLOCK, &data) == -1 &&
						    errno == EINVAL, "KVM_SET_CLOCK with unknown flags");
				t1 = now_ns();
				run_once(vcpu);
				ns[u][0] += t1 - t0;
				note_min(&min[u][0], t1 - t0);
				t0 = now_ns() - t1;
				ns[u][1] += t0;
				note_min(&min[u][1], t0);
			}
		per_set[b] = (double)ns[1][0] / n;
		per_refused[b] = (double)ns[2][0] / n;
		per_after[b] = (double)ns[1][1] / n;
		per_run[b] = (double)ns[0][1] / n;
	}
	*set_ns = median(per_set);
	*refused_ns = median(per_refused);
	*run_after_ns = median(per_after);
	*run_ns = median(per_run);
}

/*
 * The KVM_RUN after a host write of HV_X64_MSR_REFERENCE_TSC, which requests
 * a master clock update, and after a write of HV_X64_MSR_GUEST_OS_ID, which
 * requests nothing, taking turns in each batch.  Only the KVM_RUN is timed.
 */
static void time_requested_update(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
				  double *after_ns, double *plain_ns, double *min)
{
	/* Bit 0 enables the page (the TLFS's HV_X64_MSR_TSC_REFERENCE_ENABLE). */
	uint64_t tsc_msr = addr_gva2gpa(vm, (uint64_t)tsc_page) | 1;
	uint64_t os_id = vcpu_get_msr(vcpu, HV_X64_MSR_GUEST_OS_ID);
	double per[2][BATCHES];

	min[0] = min[1] = INFINITY;

	for (int b = 0; b < BATCHES; b++) {
		uint64_t ns[2] = {};

		for (int i = 0; i < PER_BATCH / 10; i++) {
			int control = (i + b) & 1;
			uint64_t t0;

			if (control)
				vcpu_set_msr(vcpu, HV_X64_MSR_GUEST_OS_ID, os_id);
			else
				vcpu_set_msr(vcpu, HV_X64_MSR_REFERENCE_TSC, tsc_msr);
			t0 = now_ns();
			run_once(vcpu);
			t0 = now_ns() - t0;
			ns[control] += t0;
			note_min(&min[control], t0);
		}
		per[0][b] = (double)ns[0] / (PER_BATCH / 20);
		per[1][b] = (double)ns[1] / (PER_BATCH / 20);
	}
	*after_ns = median(per[0]);
	*plain_ns = median(per[1]);
}

enum set_call {
	CLOCK,			/* KVM_SET_CLOCK */
	CLOCK_REFUSED,		/* KVM_SET_CLOCK refused before its kick */
	CLOCK_GUEST,		/* KVM_SET_CLOCK_GUEST */
	CLOCK_GUEST_REFUSED,	/* KVM_SET_CLOCK_GUEST refused before its kick */
	NR_SET_CALLS,
};

/* The figures time_set_calls() reports. */
#define NR_SET_RESULTS	(2 * NR_SET_CALLS + 6)

/* One call of @c, and the KVM_RUN after it. */
static void set_call(struct kvm_vm *vm, struct kvm_vcpu *vcpu, enum set_call c,
		     const struct kvm_clock_guest *guest, uint64_t *call_ns,
		     uint64_t *run_ns, double *min)
{
	struct kvm_clock_guest bad = *guest;
	const struct kvm_clock_guest *arg = c == CLOCK_GUEST ? guest : &bad;
	struct kvm_clock_data data;
	uint64_t t0, t1;
	int r, err;

	vm_ioctl(vm, KVM_GET_CLOCK, &data);
	data.flags = c == CLOCK_REFUSED ? ~0u : 0;
	/*
	 * S64_MAX at the source's tsc_timestamp passes the first range check;
	 * the clock at the present, past S64_MAX, fails the second, after all
	 * the work before the kick but the reference point's host time.
	 */
	bad.system_time = INT64_MAX;

	t0 = now_ns();
	if (c == CLOCK || c == CLOCK_REFUSED)
		r = __vm_ioctl(vm, KVM_SET_CLOCK, &data);
	else
		r = __vcpu_ioctl(vcpu, KVM_SET_CLOCK_GUEST, arg);
	err = errno;
	t1 = now_ns();
	*call_ns += t1 - t0;
	note_min(&min[0], t1 - t0);

	if (c == CLOCK_REFUSED)
		TEST_ASSERT(r == -1 && err == EINVAL,
			    "KVM_SET_CLOCK with unknown flags: %d, errno %d", r, err);
	else if (c == CLOCK_GUEST_REFUSED)
		TEST_ASSERT(r == -1 && err == ERANGE,
			    "KVM_SET_CLOCK_GUEST past S64_MAX now: %d, errno %d", r, err);
	else
		TEST_ASSERT(!r, "set call %d failed, errno %d", c, err);

	run_once(vcpu);
	t0 = now_ns() - t1;
	*run_ns += t0;
	note_min(&min[1], t0);
}

/*
 * KVM_SET_CLOCK_GUEST against KVM_SET_CLOCK, each with its refused twin and
 * the KVM_RUN after it, the four taking turns in each batch.
 */
static void time_set_calls(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	static const char * const name[NR_SET_CALLS] = {
		[CLOCK] = "KVM_SET_CLOCK (paired)",
		[CLOCK_REFUSED] = "KVM_SET_CLOCK refused",
		[CLOCK_GUEST] = "KVM_SET_CLOCK_GUEST",
		[CLOCK_GUEST_REFUSED] = "KVM_SET_CLOCK_GUEST refused",
	};
	/*
	 * The orders of the four calls in turn: a Williams square, in which
	 * each call comes right after each other call equally often, so that
	 * what the previous call left behind weighs the same on all four.
	 */
	static const int williams[NR_SET_CALLS][NR_SET_CALLS] = {
		{ 0, 1, 3, 2 }, { 1, 2, 0, 3 }, { 2, 3, 1, 0 }, { 3, 0, 2, 1 },
	};
	double per[NR_SET_CALLS][SET_BATCHES], run[NR_SET_CALLS][SET_BATCHES];
	double call[2][SET_BATCHES], entry[2][SET_BATCHES], out[2][SET_BATCHES];
	double ratio[2][SET_BATCHES], m[NR_SET_CALLS], min[NR_SET_CALLS][2];
	const int n = PER_BATCH / 10;
	struct kvm_clock_guest guest;
	char what[96];

	if (__vcpu_ioctl(vcpu, KVM_GET_CLOCK_GUEST, &guest)) {
		/* E.g. no master clock: the host clocksource left the TSC. */
		for (int i = 0; i < NR_SET_RESULTS; i++)
			ksft_test_result_skip("KVM_GET_CLOCK_GUEST: errno %d\n", errno);
		return;
	}
	for (int c = 0; c < NR_SET_CALLS; c++)
		min[c][0] = min[c][1] = INFINITY;
	for (int b = 0; b < SET_BATCHES; b++) {
		uint64_t call_ns[NR_SET_CALLS] = {}, run_ns[NR_SET_CALLS] = {};

		for (int i = 0; i < n; i++)
			for (int k = 0; k < NR_SET_CALLS; k++) {
				int c = williams[(i + b) % NR_SET_CALLS][k];

				set_call(vm, vcpu, c, &guest, &call_ns[c], &run_ns[c],
					 min[c]);
			}
		for (int c = 0; c < NR_SET_CALLS; c++) {
			per[c][b] = (double)call_ns[c] / n;
			run[c][b] = (double)run_ns[c] / n;
		}
		for (int k = 0; k < 2; k++) {
			int c = k ? CLOCK_GUEST : CLOCK;

			/* The twin is c + 1: it is refused, so asks no update. */
			call[k][b] = per[c][b] - per[c + 1][b];
			entry[k][b] = run[c][b] - run[c + 1][b];
			out[k][b] = call[k][b] + entry[k][b];
		}
		ratio[0][b] = call[1][b] / call[0][b];
		ratio[1][b] = out[1][b] / out[0][b];
	}

	for (int c = 0; c < NR_SET_CALLS; c++) {
		m[c] = median_n(per[c], SET_BATCHES);
		report(name[c], m[c]);
	}
	for (int c = 0; c < NR_SET_CALLS; c++) {
		snprintf(what, sizeof(what), "%s: the KVM_RUN after it", name[c]);
		report(what, median_n(run[c], SET_BATCHES));
	}
	for (int k = 0; k < 2; k++) {
		const char *op = k ? "KVM_SET_CLOCK_GUEST" : "KVM_SET_CLOCK";

		snprintf(what, sizeof(what), "%s: in the call from the kick", op);
		report(what, median_n(call[k], SET_BATCHES));
		snprintf(what, sizeof(what), "%s: the update at the next entry", op);
		report(what, median_n(entry[k], SET_BATCHES));
		snprintf(what, sizeof(what), "%s: vCPU out of the guest", op);
		report(what, median_n(out[k], SET_BATCHES));
	}
	for (int c = 0; c < NR_SET_CALLS; c++) {
		report_min(name[c], min[c][0]);
		snprintf(what, sizeof(what), "%s: the KVM_RUN after it", name[c]);
		report_min(what, min[c][1]);
	}
	printf("# figure: KVM_SET_CLOCK_GUEST / KVM_SET_CLOCK, ratio of the medians: "
	       "whole call %.3f, in the call from the kick %.3f, vCPU out of the guest %.3f\n",
	       m[CLOCK_GUEST] / m[CLOCK],
	       median_n(call[1], SET_BATCHES) / median_n(call[0], SET_BATCHES),
	       median_n(out[1], SET_BATCHES) / median_n(out[0], SET_BATCHES));
	printf("# figure: KVM_SET_CLOCK_GUEST / KVM_SET_CLOCK, median of the batches' ratios: "
	       "in the call from the kick %.3f, vCPU out of the guest %.3f\n",
	       median_n(ratio[0], SET_BATCHES), median_n(ratio[1], SET_BATCHES));
}

int main(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	double set_ns, refused_ns, run_ns, plain_run_ns, ref, base;
	double min[3][2];

	TEST_REQUIRE(kvm_has_cap(KVM_CAP_ADJUST_CLOCK));
	TEST_REQUIRE(kvm_has_cap(KVM_CAP_HYPERV_TIME));

	/* One CPU: the TSCs of the test VM's CPUs are not synchronized. */
	pin_this_cpu();

	vm = vm_create_with_one_vcpu(&vcpu, guest_code);
	vcpu_args_set(vcpu, 1, addr_gva2gpa(vm, (uint64_t)pvclock_page));
	vcpu_set_hv_cpuid(vcpu);
	for (int i = 0; i < 10; i++)
		run_once(vcpu);

	ksft_print_header();
	ksft_set_plan(10 + (kvm_has_cap(KVM_CAP_CLOCK_GUEST) ? NR_SET_RESULTS : 0));
	printf("# median of %d batches of the mean per call, ns, one pinned CPU\n", BATCHES);

	time_pair(get_clock_call, vm, &ref, &base, min[0]);
	report("KVM_GET_CLOCK", ref);
	report("KVM_CHECK_EXTENSION on the VM", base);
	report_min("KVM_GET_CLOCK", min[0][0]);
	report_min("KVM_CHECK_EXTENSION on the VM", min[0][1]);
	time_pair(msr_call, vcpu, &ref, &base, min[0]);
	report("KVM_GET_MSRS GUEST_OS_ID", base);
	report("KVM_GET_MSRS TIME_REF_COUNT", ref);
	report_min("KVM_GET_MSRS GUEST_OS_ID", min[0][1]);
	report_min("KVM_GET_MSRS TIME_REF_COUNT", min[0][0]);

	time_update(vm, vcpu, &set_ns, &refused_ns, &run_ns, &plain_run_ns, min);
	report("KVM_SET_CLOCK", set_ns);
	report("KVM_SET_CLOCK refused at its flags", refused_ns);
	report("KVM_RUN after KVM_SET_CLOCK", run_ns);
	report("KVM_RUN", plain_run_ns);
	report_min("KVM_SET_CLOCK", min[1][0]);
	report_min("KVM_SET_CLOCK refused at its flags", min[2][0]);
	report_min("KVM_RUN after KVM_SET_CLOCK", min[1][1]);
	report_min("KVM_RUN", min[0][1]);
	if (kvm_has_cap(KVM_CAP_CLOCK_GUEST))
		time_set_calls(vm, vcpu);

	/* Last: 'make bench' single-steps the first updates it requests. */
	time_requested_update(vm, vcpu, &run_ns, &plain_run_ns, min[0]);
	report("KVM_RUN after the Hyper-V TSC page write", run_ns);
	report("KVM_RUN after a GUEST_OS_ID write", plain_run_ns);
	report_min("KVM_RUN after the Hyper-V TSC page write", min[0][0]);
	report_min("KVM_RUN after a GUEST_OS_ID write", min[0][1]);

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
