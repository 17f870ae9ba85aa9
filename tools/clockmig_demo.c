// SPDX-License-Identifier: GPL-2.0
/*
 * The clockmig migration demo, run inside the patched kernel by 'make run':
 * a guest keeps reading its clocks while its clock state is migrated, many
 * times, into new VMs on the same host, with each restore method under
 * both policies. Prints a table and one "csv," line per migration.
 *
 *   clockmig_demo [-n migrations] [--check]
 *
 * --check: also assert the precise method's bounds (x86: kvmclock step at
 * most 1 ns against the guest's own TSC, TSC within 1 tick of the policy's
 * target; arm64: counter within 1 tick) and the library's fallbacks and
 * error reporting; exit non-zero on failure. That is the in-VM test.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#include "clockmig.h"

#define NSEC_PER_SEC_ULL	1000000000ull
#define NR_POLICIES		2

struct sample {
	double step_ns;		/* x86: kvmclock vs the guest TSC; arm64: counter error */
	double error_ns;	/* guest counter vs the policy's target */
	double error_ticks;
	double held_us;		/* save + restore, the VM stopped */
	bool within_tolerance;	/* error within KVM's TSC rate tolerance of the span */
};

/*
 * KVM treats a guest TSC rate within 250 ppm of the host's as the same
 * rate (tsc_tolerance_ppm), and the guest's rate is only known in kHz;
 * host CLOCK_REALTIME runs at the refined host TSC rate. Over the span a
 * restore converts realtime into TSC ticks, a correct restore is within
 * that tolerance plus a tick; a wrong offset, scale or elapsed time is
 * off by the downtime (milliseconds).
 */
#define TSC_TOLERANCE_PPM	250

struct migrating_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	int vm_fd, vcpu_fd;
	uint64_t first_counter;	/* the guest's first counter read */
#ifdef __x86_64__
	struct pvclock_vcpu_time_info *pvti;
#endif
};

static const char *policy_name[NR_POLICIES] = { "catch-up", "freeze" };
static bool check_mode;
static int failures;

#ifdef __x86_64__
#include <asm/kvm_para.h>
#include <asm/pvclock-abi.h>

static void guest_code(vm_paddr_t pvti_pa)
{
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, pvti_pa | KVM_MSR_ENABLED);
	for (;;)
		GUEST_SYNC(rdtsc());
}

static void vm_start(struct migrating_vm *m)
{
	vm_vaddr_t gva;

	m->vm = vm_create_with_one_vcpu(&m->vcpu, guest_code);
	gva = vm_vaddr_alloc_page(m->vm);
	m->pvti = addr_gva2hva(m->vm, gva);
	vcpu_args_set(m->vcpu, 1, addr_gva2gpa(m->vm, gva));
}

static struct clockmig_pvclock to_params(const struct pvclock_vcpu_time_info *p)
{
	return (struct clockmig_pvclock){ p->tsc_timestamp, p->system_time,
		p->tsc_to_system_mul, p->tsc_shift, p->flags };
}
#else
#include "arch_timer.h"

static void guest_code(void)
{
	for (;;)
		GUEST_SYNC(timer_get_cntct(VIRTUAL));
}

static void vm_start(struct migrating_vm *m)
{
	m->vm = vm_create_with_one_vcpu(&m->vcpu, guest_code);
}
#endif

static uint64_t run_guest(struct migrating_vm *m)
{
	struct ucall uc;

	vcpu_run(m->vcpu);
	switch (get_ucall(m->vcpu, &uc)) {
	case UCALL_SYNC:
		return uc.args[1];
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
	default:
		TEST_FAIL("unexpected exit %s", exit_reason_str(m->vcpu->run->exit_reason));
	}
	return 0;
}

static void vm_create_migrating(struct migrating_vm *m)
{
	vm_start(m);
	m->vm_fd = m->vm->fd;
	m->vcpu_fd = m->vcpu->fd;
}

/*
 * The guest counter (TSC or virtual counter) at the instant of a kernel
 * (realtime, host counter) sample: the same definition the library uses,
 * but computed here from KVM_GET_CLOCK and the offset attributes.
 */
static void sample_guest_counter(struct migrating_vm *m, uint64_t *counter, uint64_t *realtime)
{
	struct kvm_clock_data data = {};

	vm_ioctl(m->vm, KVM_GET_CLOCK, &data);
	TEST_ASSERT((data.flags & (KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)) ==
		    (KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC),
		    "KVM_GET_CLOCK gives no (realtime, host counter) pair: flags 0x%x", data.flags);
	*realtime = data.realtime;
#ifdef __x86_64__
	struct kvm_vcpu_tsc_scale scale = { .ratio = 1ull << 32, .frac_bits = 32 };
	uint64_t offset;

	if (!__vcpu_has_device_attr(m->vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_SCALE))
		vcpu_device_attr_get(m->vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_SCALE, &scale);
	vcpu_device_attr_get(m->vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, &offset);
	*counter = clockmig_scale_tsc(data.host_tsc, scale.ratio, scale.frac_bits) + offset;
#else
	*counter = data.clock;
#endif
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static double max_abs(const double *v, int n)
{
	double m = 0;

	for (int i = 0; i < n; i++)
		m = v[i] < 0 ? (-v[i] > m ? -v[i] : m) : (v[i] > m ? v[i] : m);
	return m;
}

/* One migration of @src's clocks into a new VM, which replaces it. */
static struct sample migrate(struct migrating_vm *src, enum clockmig_method method,
			     enum clockmig_policy policy, int index)
{
	struct clockmig_report save_rep, rep;
	uint64_t g_src, r_src, g_dst, r_dst, target;
	struct clockmig_state state, decoded;
	uint8_t wire[CLOCKMIG_ENCODED_SIZE];
	struct migrating_vm dst;
	struct sample s = {};
	double hz, span;
	int r;
#ifdef __x86_64__
	struct clockmig_pvclock before;
#endif

	/* Source: the vCPU is out of KVM_RUN. Save, and measure independently. */
	TEST_ASSERT(!clockmig_save(src->vm_fd, &src->vcpu_fd, 1, &state, &save_rep),
		    "clockmig_save: %s", save_rep.message);
	sample_guest_counter(src, &g_src, &r_src);
#ifdef __x86_64__
	before = to_params(src->pvti);
#endif
	TEST_ASSERT(clockmig_encode(&state, wire, sizeof(wire)) == sizeof(wire), "encode");

	/* Downtime: 1 to 5 ms, as a migration's stop-and-copy might take. */
	usleep(1000 + random() % 4000);

	vm_create_migrating(&dst);
	r = clockmig_decode(wire, sizeof(wire), &decoded);
	TEST_ASSERT(!r, "decode: %s", clockmig_strerror(r));
	r = clockmig_restore(dst.vm_fd, &dst.vcpu_fd, 1, &decoded, policy,
			     CLOCKMIG_ALLOW(method), &rep);
	TEST_ASSERT(!r, "clockmig_restore(%s, %s): %s: %s", clockmig_method_name(method),
		    policy_name[policy], clockmig_strerror(r), rep.message);
	TEST_ASSERT(rep.method == method, "restore used %s instead of %s",
		    clockmig_method_name(rep.method), clockmig_method_name(method));

	/* The guest counter against the policy's target at a kernel sample. */
	sample_guest_counter(&dst, &g_dst, &r_dst);
	hz = decoded.counter_hz;
	target = policy == CLOCKMIG_CATCH_UP ?
		 g_src + clockmig_ns_to_ticks(r_dst - r_src, decoded.counter_hz) :
		 decoded.guest_counter + clockmig_ns_to_ticks(r_dst - rep.applied_realtime_ns,
							      decoded.counter_hz);
	s.error_ticks = (double)(int64_t)(g_dst - target);
	s.error_ns = s.error_ticks * 1e9 / hz;
	span = r_dst - (policy == CLOCKMIG_CATCH_UP ? r_src : rep.applied_realtime_ns);
	s.within_tolerance = (s.error_ns < 0 ? -s.error_ns : s.error_ns) <=
			     span * TSC_TOLERANCE_PPM / 1e6 + 1e9 / hz;
	s.held_us = (save_rep.held_ns + rep.held_ns) / 1e3;

	dst.first_counter = run_guest(&dst);
#ifdef __x86_64__
	{
		struct clockmig_pvclock after = to_params(dst.pvti);

		s.step_ns = (double)(int64_t)(clockmig_pvclock_read(&after, dst.first_counter) -
					      clockmig_pvclock_read(&before, dst.first_counter));
	}
#else
	s.step_ns = s.error_ns;
#endif
	printf("csv,%s,%s,%s,%d,%.0f,%.1f,%.0f,%.1f\n",
	       state.arch == CLOCKMIG_ARCH_X86_64 ? "x86_64" : "arm64",
	       clockmig_method_name(method), policy_name[policy], index, s.step_ns,
	       s.error_ns, s.error_ticks, s.held_us);

	kvm_vm_free(src->vm);
	*src = dst;
	return s;
}

static void expect(bool ok, const char *what)
{
	if (!ok) {
		failures++;
		printf("not ok - %s\n", what);
	} else if (check_mode) {
		printf("ok - %s\n", what);
	}
}

static void run_method(enum clockmig_method method, enum clockmig_policy policy, int n)
{
	double step[n], err[n], ticks[n], held[n];
	double max_step, max_err, max_ticks, max_held;
	struct migrating_vm m;
	int out_of_tolerance = 0;
	struct sample s;
	char what[160];

	vm_create_migrating(&m);
	run_guest(&m);
	run_guest(&m);
	for (int i = 0; i < n; i++) {
		s = migrate(&m, method, policy, i);
		step[i] = s.step_ns;
		err[i] = s.error_ns;
		ticks[i] = s.error_ticks;
		held[i] = s.held_us;
		out_of_tolerance += !s.within_tolerance;
		run_guest(&m);
	}
	kvm_vm_free(m.vm);

	/* median() sorts: take the maxima first. */
	max_step = max_abs(step, n);
	max_err = max_abs(err, n);
	max_ticks = max_abs(ticks, n);
	max_held = max_abs(held, n);
	printf("  %-17s %-9s %9.0f %9.0f  %11.1f %11.1f %9.0f  %7.0f %7.0f\n",
	       clockmig_method_name(method), policy_name[policy], median(step, n), max_step,
	       median(err, n), max_err, max_ticks, median(held, n), max_held);

	if (!check_mode || method == CLOCKMIG_BY_VALUE)
		return;
#ifdef __x86_64__
	/*
	 * The TSC is measured against host CLOCK_REALTIME, which a restore
	 * converts with the kHz guest TSC rate: exact only to the tolerance
	 * above (a few ns here). kvmclock, a function of the TSC, is exact.
	 */
	(void)max_ticks;
	snprintf(what, sizeof(what), "%s, %s: guest TSC within %d ppm of the span in %d migrations",
		 clockmig_method_name(method), policy_name[policy], TSC_TOLERANCE_PPM, n);
	expect(!out_of_tolerance, what);
	if (method != CLOCKMIG_PRECISE)
		return;
	snprintf(what, sizeof(what), "precise, %s: kvmclock step within 1 ns in %d migrations (max %.0f)",
		 policy_name[policy], n, max_step);
	expect(max_step <= 1, what);
#else
	(void)out_of_tolerance;
	if (method != CLOCKMIG_PRECISE)
		return;
	snprintf(what, sizeof(what), "precise, %s: guest counter within 1 tick in %d migrations (max %.0f)",
		 policy_name[policy], n, max_ticks);
	expect(max_ticks <= 1, what);
#endif
}

/* The library's fallbacks and errors, on this kernel. */
static void check_library(void)
{
	struct clockmig_report rep;
	struct clockmig_state state;
	struct migrating_vm m;
	int r;

	vm_create_migrating(&m);
	run_guest(&m);
	run_guest(&m);
	r = clockmig_save(m.vm_fd, &m.vcpu_fd, 1, &state, &rep);
	expect(!r, "save");
	expect((state.have & CLOCKMIG_HAVE_KERNEL_SAMPLE) && (state.have & CLOCKMIG_HAVE_OFFSETS),
	       "save used the kernel sample and the offsets");
#ifdef __x86_64__
	expect(state.have & CLOCKMIG_HAVE_CLOCK_GUEST, "save captured the kvmclock parameters");
#endif
	kvm_vm_free(m.vm);

	vm_create_migrating(&m);
	r = clockmig_restore(m.vm_fd, &m.vcpu_fd, 1, &state, CLOCKMIG_CATCH_UP,
			     CLOCKMIG_ALLOW_ALL, &rep);
	expect(!r && rep.method == CLOCKMIG_PRECISE, "restore picks the precise method");
	r = clockmig_restore(m.vm_fd, &m.vcpu_fd, 1, &state, CLOCKMIG_CATCH_UP,
			     CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS) | CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE),
			     &rep);
	expect(!r && rep.method == CLOCKMIG_OFFSETS, "without it, offsets+realtime");
	r = clockmig_restore(m.vm_fd, &m.vcpu_fd, 1, &state, 7, CLOCKMIG_ALLOW_ALL, &rep);
	expect(r == CLOCKMIG_E_INVAL, "an unknown policy is rejected");
	state.arch = state.arch == CLOCKMIG_ARCH_X86_64 ? CLOCKMIG_ARCH_ARM64 : CLOCKMIG_ARCH_X86_64;
	r = clockmig_restore(m.vm_fd, &m.vcpu_fd, 1, &state, CLOCKMIG_CATCH_UP,
			     CLOCKMIG_ALLOW_ALL, &rep);
	expect(r == CLOCKMIG_E_ARCH, "another architecture's state is rejected");
	kvm_vm_free(m.vm);

	/* A failing ioctl is reported with its name and errno. */
	r = clockmig_save(m.vm_fd, &m.vcpu_fd, 1, &state, &rep);
	expect(r == CLOCKMIG_E_KVM && rep.ioctl && rep.err == EBADF && rep.message[0],
	       "a failed ioctl is named in the report, with its errno");
	if (check_mode)
		printf("# report: %s\n", rep.message);
}

int main(int argc, char **argv)
{
	int n = 20;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check"))
			check_mode = true;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			n = atoi(argv[++i]);
	}
	TEST_REQUIRE(n > 0);
	srandom(1);

	printf("clockmig demo: %d migrations per row, each to a new VM on this host after 1-5 ms\n", n);
	printf("step: %s\n",
#ifdef __x86_64__
	       "the guest's kvmclock jump against its own TSC (new minus old function) at resume"
#else
	       "the guest counter against the policy's target, in ns"
#endif
	       );
	printf("error: the guest counter against the policy's target (catch-up: host realtime elapsed)\n");
	printf("held: save + restore time, the VM stopped (us)\n\n");
	printf("  %-17s %-9s %9s %9s  %11s %11s %9s  %7s %7s\n", "method", "policy",
	       "step med", "step max", "error med", "error max", "error max", "held", "held");
	printf("  %-17s %-9s %9s %9s  %11s %11s %9s  %7s %7s\n", "", "", "(ns)", "|ns|",
	       "(ns)", "|ns|", "|ticks|", "med us", "max us");
	for (int m = CLOCKMIG_BY_VALUE; m >= CLOCKMIG_PRECISE; m--)
		for (int p = 0; p < NR_POLICIES; p++)
			run_method(m, p, n);

	if (check_mode)
		check_library();
	printf("\n%s\n", failures ? "FAILED" : "done");
	return failures ? 1 : 0;
}
