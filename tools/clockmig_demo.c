// SPDX-License-Identifier: GPL-2.0
/*
 * The clockmig migration demo, run inside the patched kernel by 'make run':
 * guests keep reading their clocks while their clock state is migrated,
 * many times, into new VMs on the same host, with each restore method under
 * each policy. Prints a table and one "csv," line per migration.
 *
 *   clockmig_demo [-n migrations] [-v vcpus] [--check]
 *
 * Every figure is measured independently of the library: the guest counter
 * from the demo's own kernel samples (x86: KVM_GET_CLOCK with the TSC
 * attributes; arm64: KVM_ARM_GET_COUNTER_SNAPSHOT), kvmclock from what the
 * guest itself computes at the TSC values it reads. The destination
 * instant the library reports is only used once it is checked to lie
 * within the restore call.
 *
 * --check: also assert the precise method's bounds and exit non-zero on
 * failure (the in-VM test): x86, same guest TSC rate: every vCPU's pvclock
 * fields bit-identical to the source's and kvmclock 0 ns off the source's
 * function at every TSC value the guest sampled, the TSC exact (freeze,
 * same-host) or within KVM's rate tolerance (catch-up); arm64: the
 * counter within 1 cycle (catch-up) or exact (freeze, same-host). Then the
 * library's choices, errors and rollback on this kernel.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#include "clockmig.h"
#include "clockmig_int.h"
#include "clockmig_uapi.h"

#define DEMO_MAX_VCPUS		4
#define NR_SAMPLES		16

/*
 * KVM treats a guest TSC rate within 250 ppm of the host's as the same
 * rate (tsc_tolerance_ppm), and the guest's rate is only known in kHz;
 * host CLOCK_REALTIME runs at the refined host TSC rate. Over the span a
 * catch-up converts realtime into TSC ticks, a correct restore is within
 * that tolerance plus a tick; a wrong offset, scale or elapsed time is
 * off by the downtime (milliseconds).
 */
#define TSC_TOLERANCE_PPM	250

struct sample {
	double step_ns;		/* x86: max |kvmclock - source function| over the samples */
	double zero_fraction;	/* x86: samples at exactly 0 ns */
	bool identical;		/* x86: every vCPU's pvclock fields bit-identical */
	double error_ns;	/* guest counter against the policy's target */
	double error_ticks;
	double held_us;		/* save + restore, the VM stopped */
	bool within_bounds;	/* see check_bounds() */
};

/* A kernel sample of a VM: its guest counter at host counter @host, realtime @realtime. */
struct measure {
	uint64_t guest;
	uint64_t host;
	uint64_t realtime;
	uint64_t offset;	/* guest = scale(host) + offset (x86) / host - offset (arm64) */
	uint64_t ratio;
	uint32_t frac_bits;
	uint64_t hz;
};

struct migrating_vm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[DEMO_MAX_VCPUS];
	int vcpu_fds[DEMO_MAX_VCPUS];
	int vm_fd;
};

static unsigned int nr_vcpus = 2;
static bool check_mode;
static int failures;

#ifdef __x86_64__
#include <asm/kvm_para.h>

struct guest_sample {
	uint64_t tsc;
	uint64_t ns;
};

/* Guest memory, one pvclock area and sample buffer per vCPU. */
static struct clockmig_kvm_pvclock pvti[DEMO_MAX_VCPUS] __aligned(4096);
static struct guest_sample samples[DEMO_MAX_VCPUS][NR_SAMPLES] __aligned(4096);

/*
 * kvmclock at a TSC read, as a Linux guest computes it: KVM may rewrite
 * the structure between two reads, which its version tells.
 */
static void guest_read_kvmclock(struct clockmig_kvm_pvclock *p, struct guest_sample *s)
{
	struct clockmig_pvclock f;
	uint32_t version;

	do {
		version = READ_ONCE(p->version);
		barrier();
		f.tsc_timestamp = p->tsc_timestamp;
		f.system_time = p->system_time;
		f.tsc_to_system_mul = p->tsc_to_system_mul;
		f.tsc_shift = p->tsc_shift;
		s->tsc = rdtsc();
		barrier();
	} while ((version & 1) || version != READ_ONCE(p->version));
	s->ns = clockmig_pvclock_read(&f, s->tsc);
}

static void guest_code(uint64_t pvti_gpa, uint64_t idx)
{
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, pvti_gpa | KVM_MSR_ENABLED);
	for (;;) {
		for (int i = 0; i < NR_SAMPLES; i++)
			guest_read_kvmclock(&pvti[idx], &samples[idx][i]);
		GUEST_SYNC(samples[idx][0].tsc);
	}
}

static void vcpu_setup(struct migrating_vm *m, unsigned int i)
{
	vcpu_args_set(m->vcpus[i], 2, addr_gva2gpa(m->vm, (uint64_t)&pvti[i]), (uint64_t)i);
}

static struct clockmig_pvclock pvclock_of(struct migrating_vm *m, unsigned int i)
{
	struct clockmig_kvm_pvclock *p = addr_gva2hva(m->vm, (uint64_t)&pvti[i]);

	return (struct clockmig_pvclock){ p->tsc_timestamp, p->system_time,
		p->tsc_to_system_mul, p->tsc_shift, p->flags };
}

static bool same_function(const struct clockmig_pvclock *a, const struct clockmig_pvclock *b)
{
	return a->tsc_timestamp == b->tsc_timestamp && a->system_time == b->system_time &&
	       a->tsc_to_system_mul == b->tsc_to_system_mul && a->tsc_shift == b->tsc_shift;
}

/* The guest's kvmclock samples against the source's function @before. */
static void compare_kvmclock(struct migrating_vm *m, const struct clockmig_pvclock *before,
			     struct sample *s)
{
	unsigned int zero = 0, n = 0;
	struct clockmig_pvclock after;
	struct guest_sample *g;
	int64_t d;

	s->identical = true;
	s->step_ns = 0;
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		after = pvclock_of(m, i);
		s->identical &= same_function(&after, &before[i]);
		g = addr_gva2hva(m->vm, (uint64_t)samples[i]);
		for (int k = 0; k < NR_SAMPLES; k++, n++) {
			d = (int64_t)(g[k].ns - clockmig_pvclock_read(&before[i], g[k].tsc));
			zero += !d;
			if ((d < 0 ? -d : d) > s->step_ns)
				s->step_ns = d < 0 ? -d : d;
		}
	}
	s->zero_fraction = (double)zero / n;
}

/* The TSC of the VM's vCPUs at a KVM_GET_CLOCK sample. */
static void measure(struct migrating_vm *m, struct measure *ms)
{
	struct clockmig_kvm_tsc_scale sc = { 1, 0 };
	struct kvm_clock_data data = {};
	struct kvm_vcpu *vcpu = m->vcpus[0];

	vm_ioctl(m->vm, KVM_GET_CLOCK, &data);
	TEST_ASSERT((data.flags & (KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)) ==
		    (KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC),
		    "KVM_GET_CLOCK gives no (realtime, host TSC) pair: flags 0x%x", data.flags);
	if (!__vcpu_has_device_attr(vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_SCALE))
		vcpu_device_attr_get(vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_SCALE, &sc);
	else
		TEST_REQUIRE(!vm_check_cap(m->vm, KVM_CAP_TSC_CONTROL));
	vcpu_device_attr_get(vcpu, KVM_VCPU_TSC_CTRL, KVM_VCPU_TSC_OFFSET, &ms->offset);
	ms->ratio = sc.tsc_ratio;
	ms->frac_bits = sc.tsc_frac_bits;
	ms->host = data.host_tsc;
	ms->realtime = data.realtime;
	ms->guest = clockmig_scale_tsc(data.host_tsc, ms->ratio, ms->frac_bits) + ms->offset;
	ms->hz = (uint64_t)__vcpu_ioctl(vcpu, KVM_GET_TSC_KHZ, NULL) * 1000;
}

/* Guest ticks between two host counter values, at the VM's scale. */
static uint64_t guest_ticks(const struct measure *ms, uint64_t from, uint64_t to)
{
	return clockmig_scale_tsc(to, ms->ratio, ms->frac_bits) -
	       clockmig_scale_tsc(from, ms->ratio, ms->frac_bits);
}

static uint64_t same_host_target(const struct measure *src, const struct measure *dst)
{
	return clockmig_scale_tsc(dst->host, dst->ratio, dst->frac_bits) + src->offset;
}
#else
#include "arch_timer.h"

static void guest_code(void)
{
	for (;;)
		GUEST_SYNC(timer_get_cntct(VIRTUAL));
}

static void vcpu_setup(struct migrating_vm *m, unsigned int i)
{
	(void)m;
	(void)i;
}

/* The guest counters at a snapshot, or by value between host counter reads. */
static void measure(struct migrating_vm *m, struct measure *ms)
{
	struct clockmig_kvm_counter_snapshot snap = {};
	struct clockmig_pair pair;
	uint64_t h1, h2, v;

	ms->ratio = 1;
	ms->frac_bits = 0;
	if (vm_check_cap(m->vm, KVM_CAP_ARM_COUNTER_SNAPSHOT)) {
		vm_ioctl(m->vm, CLOCKMIG_KVM_ARM_GET_COUNTER_SNAPSHOT, &snap);
		ms->host = snap.host_counter;
		ms->offset = snap.virtual_offset;
		ms->hz = snap.counter_freq;
		if (snap.flags & KVM_ARM_COUNTER_SNAPSHOT_REALTIME) {
			ms->realtime = snap.realtime;
		} else {
			clockmig_sample_pair(&pair);
			ms->realtime = clockmig_pair_realtime(&pair, ms->host, ms->hz);
		}
	} else {
		h1 = clockmig_host_counter();
		TEST_ASSERT(!__vcpu_get_reg(m->vcpus[0], KVM_REG_ARM_TIMER_CNT, &v),
			    "KVM_GET_ONE_REG(KVM_REG_ARM_TIMER_CNT)");
		h2 = clockmig_host_counter();
		ms->host = h1 + (h2 - h1) / 2;
		ms->offset = clockmig_counter_offset(ms->host, v);
		ms->hz = clockmig_host_counter_freq();
		clockmig_sample_pair(&pair);
		ms->realtime = clockmig_pair_realtime(&pair, ms->host, ms->hz);
	}
	ms->guest = ms->host - ms->offset;
}

static uint64_t guest_ticks(const struct measure *ms, uint64_t from, uint64_t to)
{
	(void)ms;
	return to - from;
}

static uint64_t same_host_target(const struct measure *src, const struct measure *dst)
{
	return dst->host - src->offset;
}
#endif

static void vm_create_migrating(struct migrating_vm *m)
{
	m->vm = vm_create_with_vcpus(nr_vcpus, guest_code, m->vcpus);
	m->vm_fd = m->vm->fd;
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		m->vcpu_fds[i] = m->vcpus[i]->fd;
		vcpu_setup(m, i);
	}
}

static void run_guest(struct migrating_vm *m)
{
	struct ucall uc;

	for (unsigned int i = 0; i < nr_vcpus; i++) {
		vcpu_run(m->vcpus[i]);
		switch (get_ucall(m->vcpus[i], &uc)) {
		case UCALL_SYNC:
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			TEST_FAIL("unexpected exit %s",
				  exit_reason_str(m->vcpus[i]->run->exit_reason));
		}
	}
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

/* The host counter and realtime around a restore call. */
struct window {
	uint64_t host[2];
	uint64_t realtime[2];
};

/*
 * The guest counter the policy asks for at the destination sample @dst.
 * Freeze: the saved counter at the instant the library reports, which
 * must lie within the restore call (*bounded).
 */
static uint64_t policy_target(const struct clockmig_state *state, enum clockmig_policy policy,
			      const struct clockmig_report *rep, const struct window *w,
			      const struct measure *src, const struct measure *dst, bool *bounded)
{
	uint64_t hz = state->counter_hz;

	*bounded = true;
	switch (policy) {
	case CLOCKMIG_CATCH_UP:
		return src->guest + clockmig_ns_to_ticks(clockmig_elapsed_ns(src->realtime,
									     dst->realtime), hz);
	case CLOCKMIG_SAME_HOST:
		return same_host_target(src, dst);
	case CLOCKMIG_FREEZE:
	default:
		break;
	}
	if (rep->applied_host_counter) {
		*bounded = rep->applied_host_counter >= w->host[0] &&
			   rep->applied_host_counter <= w->host[1];
		return state->guest_counter +
		       guest_ticks(dst, rep->applied_host_counter, dst->host);
	}
	*bounded = rep->applied_realtime_ns >= w->realtime[0] &&
		   rep->applied_realtime_ns <= w->realtime[1];
	return state->guest_counter +
	       clockmig_ns_to_ticks(clockmig_elapsed_ns(rep->applied_realtime_ns, dst->realtime),
				    hz);
}

/*
 * Did the source save exactly what its counter was? With a kernel sample,
 * the saved guest counter is the demo's own sample less the ticks between.
 */
static bool save_exact(const struct clockmig_state *state, const struct measure *src)
{
	if (!(state->have & CLOCKMIG_HAVE_KERNEL_SAMPLE))
		return true;
	return src->guest - state->guest_counter ==
	       guest_ticks(src, state->host_counter, src->host);
}

/* Within what the method promises: see the header comment. */
static bool check_bounds(enum clockmig_method method, enum clockmig_policy policy,
			 const struct sample *s, double span_ns, double hz, bool bounded)
{
	double err = s->error_ns < 0 ? -s->error_ns : s->error_ns;
	double ticks = s->error_ticks < 0 ? -s->error_ticks : s->error_ticks;

	if (!bounded)
		return false;
	if (method == CLOCKMIG_BY_VALUE)
		return true;
#ifdef __x86_64__
	if (policy == CLOCKMIG_CATCH_UP)
		return err <= span_ns * TSC_TOLERANCE_PPM / 1e6 + 1e9 / hz;
	return ticks == 0;
#else
	(void)err;
	(void)span_ns;
	(void)hz;
	if (policy == CLOCKMIG_CATCH_UP)
		return method != CLOCKMIG_PRECISE || ticks <= 1;
	return ticks == 0;
#endif
}

/* One migration of @src's clocks into a new VM, which replaces it; false if unsupported. */
static bool migrate(struct migrating_vm *src, enum clockmig_method method,
		    enum clockmig_policy policy, int index, struct sample *s)
{
	struct clockmig_state state, decoded;
	struct clockmig_report save_rep, rep;
	uint8_t wire[CLOCKMIG_ENCODED_SIZE];
	struct measure m_src, m_dst;
	struct migrating_vm dst;
	struct window w;
	uint64_t target;
	bool bounded;
	double span;
	int r;
#ifdef __x86_64__
	struct clockmig_pvclock before[DEMO_MAX_VCPUS];

	for (unsigned int i = 0; i < nr_vcpus; i++)
		before[i] = pvclock_of(src, i);
#endif

	/* Source: the vCPUs are out of KVM_RUN. Save, and measure independently. */
	r = clockmig_save(src->vm_fd, src->vcpu_fds, nr_vcpus, &state, &save_rep);
	TEST_ASSERT(!r, "clockmig_save: %s: %s", clockmig_strerror(r), save_rep.message);
	measure(src, &m_src);
	TEST_ASSERT(clockmig_encode(&state, wire, sizeof(wire)) == sizeof(wire), "encode");

	/* Downtime: 1 to 5 ms, as a migration's stop-and-copy might take. */
	usleep(1000 + random() % 4000);

	vm_create_migrating(&dst);
	r = clockmig_decode(wire, sizeof(wire), &decoded);
	TEST_ASSERT(!r, "decode: %s", clockmig_strerror(r));
	w.host[0] = clockmig_host_counter();
	w.realtime[0] = clockmig_now_ns(CLOCK_REALTIME);
	r = clockmig_restore(dst.vm_fd, dst.vcpu_fds, nr_vcpus, &decoded, policy,
			     CLOCKMIG_ALLOW(method), &rep);
	w.realtime[1] = clockmig_now_ns(CLOCK_REALTIME);
	w.host[1] = clockmig_host_counter();
	if (r == CLOCKMIG_E_UNSUPPORTED && !index) {
		printf("  %-17s %-9s unsupported here: %s\n", clockmig_method_name(method),
		       clockmig_policy_name(policy), rep.message);
		kvm_vm_free(dst.vm);
		return false;
	}
	TEST_ASSERT(!r, "clockmig_restore(%s, %s): %s: %s", clockmig_method_name(method),
		    clockmig_policy_name(policy), clockmig_strerror(r), rep.message);
	TEST_ASSERT(rep.method == method, "restore used %s instead of %s",
		    clockmig_method_name(rep.method), clockmig_method_name(method));

	measure(&dst, &m_dst);
	target = policy_target(&decoded, policy, &rep, &w, &m_src, &m_dst, &bounded);
	s->error_ticks = (double)(int64_t)(m_dst.guest - target);
	s->error_ns = decoded.counter_hz ? s->error_ticks * 1e9 / decoded.counter_hz : 0;
	span = (double)(m_dst.realtime - m_src.realtime);
	s->held_us = (save_rep.held_ns + rep.held_ns) / 1e3;
	bounded &= save_exact(&decoded, &m_src);

	run_guest(&dst);
#ifdef __x86_64__
	compare_kvmclock(&dst, before, s);
#else
	s->step_ns = s->error_ns;
	s->zero_fraction = s->error_ticks == 0;
	s->identical = true;
#endif
	s->within_bounds = check_bounds(method, policy, s, span, decoded.counter_hz, bounded);
	printf("csv,%s,%s,%s,%d,%.0f,%.1f,%.0f,%.1f,%.3f,%d\n",
	       decoded.arch == CLOCKMIG_ARCH_X86_64 ? "x86_64" : "arm64",
	       clockmig_method_name(method), clockmig_policy_name(policy), index, s->step_ns,
	       s->error_ns, s->error_ticks, s->held_us, s->zero_fraction, s->identical);

	kvm_vm_free(src->vm);
	*src = dst;
	return true;
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

struct row {
	double step[2], err[2], ticks, held[2];
	double zero;		/* fraction of samples at 0 ns, over all migrations */
	int all_zero;		/* migrations with every sample at 0 ns */
	int identical, out_of_bounds;
};

static void print_row(enum clockmig_method method, enum clockmig_policy policy,
		      const struct row *r, int n)
{
	char fields[16] = "-";

#ifdef __x86_64__
	snprintf(fields, sizeof(fields), "%d/%d", r->identical, n);
#endif
	printf("  %-17s %-9s %9.0f %9.0f %7.1f%% %9s %11.1f %11.1f %9.0f  %7.0f %7.0f\n",
	       clockmig_method_name(method), clockmig_policy_name(policy), r->step[0],
	       r->step[1], 100 * r->zero, fields, r->err[0], r->err[1], r->ticks,
	       r->held[0], r->held[1]);
}

static void check_row(enum clockmig_method method, enum clockmig_policy policy,
		      const struct row *r, int n)
{
	const char *m = clockmig_method_name(method), *p = clockmig_policy_name(policy);
	char what[192];

	snprintf(what, sizeof(what),
		 "%s, %s: guest counter within bounds in %d migrations (%d not)",
		 m, p, n, r->out_of_bounds);
	expect(!r->out_of_bounds, what);
#ifdef __x86_64__
	if (method != CLOCKMIG_PRECISE)
		return;
	/* Same host, so the same guest TSC rate: the structure is kept. */
	snprintf(what, sizeof(what),
		 "precise, %s: pvclock fields bit-identical in %d/%d migrations",
		 p, r->identical, n);
	expect(r->identical == n, what);
	snprintf(what, sizeof(what),
		 "precise, %s: kvmclock 0 ns at %.1f%% of the sampled TSC values (max %.0f ns)",
		 p, 100 * r->zero, r->step[1]);
	expect(r->all_zero == n && r->step[1] == 0, what);
#endif
}

static void run_method(enum clockmig_method method, enum clockmig_policy policy, int n)
{
	double step[n], err[n], ticks[n], held[n];
	struct migrating_vm m;
	struct row r = {};
	struct sample s;
	int done = 0;

	vm_create_migrating(&m);
	run_guest(&m);
	run_guest(&m);
	for (int i = 0; i < n; i++) {
		if (!migrate(&m, method, policy, i, &s))
			break;
		step[i] = s.step_ns;
		err[i] = s.error_ns;
		ticks[i] = s.error_ticks;
		held[i] = s.held_us;
		r.zero += s.zero_fraction / n;
		r.all_zero += s.zero_fraction == 1;
		r.identical += s.identical;
		r.out_of_bounds += !s.within_bounds;
		done++;
		run_guest(&m);
	}
	kvm_vm_free(m.vm);
	if (!done) {
		if (check_mode && method == CLOCKMIG_PRECISE)
			expect(false, "the precise method works on this kernel");
		return;
	}

	/* median() sorts: take the maxima first. */
	r.step[1] = max_abs(step, n);
	r.err[1] = max_abs(err, n);
	r.ticks = max_abs(ticks, n);
	r.held[1] = max_abs(held, n);
	r.step[0] = median(step, n);
	r.err[0] = median(err, n);
	r.held[0] = median(held, n);
	print_row(method, policy, &r, n);
	if (check_mode)
		check_row(method, policy, &r, n);
}

/* The library's choices, errors and rollback, on this kernel. */
static void check_library(void)
{
	struct clockmig_report rep;
	struct clockmig_state state, other;
	struct migrating_vm m, dst;
	struct measure before, after;
	int r;

	vm_create_migrating(&m);
	run_guest(&m);
	r = clockmig_save(m.vm_fd, m.vcpu_fds, nr_vcpus, &state, &rep);
	expect(!r, "save");
	expect(state.have & CLOCKMIG_HAVE_KERNEL_SAMPLE, "save used the kernel sample");
#ifdef __x86_64__
	expect(state.have & CLOCKMIG_HAVE_CLOCK_GUEST, "save captured the kvmclock parameters");
#else
	expect(state.have & CLOCKMIG_HAVE_PHYS, "save captured the physical counter");
#endif
	r = clockmig_save(m.vm_fd, m.vcpu_fds, nr_vcpus - 1, &other, &rep);
	expect(!r && other.nr_vcpus == nr_vcpus - 1, "save of fewer vCPUs");

	vm_create_migrating(&dst);
	r = clockmig_restore(dst.vm_fd, dst.vcpu_fds, nr_vcpus, &state, CLOCKMIG_CATCH_UP,
			     CLOCKMIG_ALLOW_ALL, &rep);
	expect(!r && rep.method == CLOCKMIG_PRECISE, "restore picks the precise method");
	r = clockmig_restore(dst.vm_fd, dst.vcpu_fds, nr_vcpus, &state, CLOCKMIG_CATCH_UP,
			     CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS) | CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE),
			     &rep);
	expect(!r && rep.method == CLOCKMIG_OFFSETS, "without it, offsets+realtime");
#ifdef __aarch64__
	/* KVM_ARM_SET_COUNTER_OFFSET was used: KVM now ignores counter writes. */
	measure(&dst, &before);
	r = clockmig_restore(dst.vm_fd, dst.vcpu_fds, nr_vcpus, &state, CLOCKMIG_FREEZE,
			     CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE), &rep);
	measure(&dst, &after);
	expect(r == CLOCKMIG_E_IGNORED && !rep.changed && after.offset == before.offset,
	       "by value after KVM_ARM_SET_COUNTER_OFFSET: KVM ignores it, an error");
	if (check_mode)
		printf("# report: %s\n", rep.message);
#else
	/* A TSC rate KVM refuses: an error, and the VM as it was. */
	other = state;
	other.counter_hz = state.counter_hz - state.counter_hz / 1000 / 1000 * 1000;
	other.guest_counter = state.guest_counter;
	measure(&dst, &before);
	r = clockmig_restore(dst.vm_fd, dst.vcpu_fds, nr_vcpus, &other, CLOCKMIG_CATCH_UP,
			     CLOCKMIG_ALLOW_ALL, &rep);
	measure(&dst, &after);
	if (r == CLOCKMIG_E_FREQ)
		expect(!rep.changed && after.offset == before.offset && after.hz == before.hz,
		       "a TSC rate KVM refuses: an error, the VM as it was");
	else
		printf("# a rate 1000 ppm below: %s (KVM can scale the TSC)\n",
		       clockmig_strerror(r));
#endif
	r = clockmig_restore(dst.vm_fd, dst.vcpu_fds, nr_vcpus - 1, &state, CLOCKMIG_CATCH_UP,
			     CLOCKMIG_ALLOW_ALL, &rep);
	expect(r == CLOCKMIG_E_VCPUS, "a vCPU count other than the state's is refused");
	r = clockmig_restore(dst.vm_fd, dst.vcpu_fds, nr_vcpus, &state, 7, CLOCKMIG_ALLOW_ALL,
			     &rep);
	expect(r == CLOCKMIG_E_INVAL, "an unknown policy is refused");
	other = state;
	other.arch = state.arch == CLOCKMIG_ARCH_X86_64 ? CLOCKMIG_ARCH_ARM64 :
			CLOCKMIG_ARCH_X86_64;
	r = clockmig_restore(dst.vm_fd, dst.vcpu_fds, nr_vcpus, &other, CLOCKMIG_CATCH_UP,
			     CLOCKMIG_ALLOW_ALL, &rep);
	expect(r == CLOCKMIG_E_ARCH, "another architecture's state is refused");
	kvm_vm_free(dst.vm);
	kvm_vm_free(m.vm);

	/* A failing ioctl is reported with its name and errno. */
	r = clockmig_save(m.vm_fd, m.vcpu_fds, nr_vcpus, &state, &rep);
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
		else if (!strcmp(argv[i], "-v") && i + 1 < argc)
			nr_vcpus = atoi(argv[++i]);
	}
	TEST_REQUIRE(n > 0);
	TEST_ASSERT(nr_vcpus >= 2 && nr_vcpus <= DEMO_MAX_VCPUS, "-v: 2 to %d vCPUs",
		    DEMO_MAX_VCPUS);
	srandom(1);

	printf("clockmig demo: %d migrations per row of a %u-vCPU VM,\n", n, nr_vcpus);
	printf("each to a new VM on this host after 1-5 ms\n");
#ifdef __x86_64__
	printf("step: kvmclock as the guest computes it at %d TSC reads per vCPU\n", NR_SAMPLES);
	printf("      after the migration, against the source's function\n");
	printf("0 ns: the share of those reads at exactly the source's value\n");
	printf("fields: the migrations whose pvclock fields all stayed bit-identical\n");
#else
	printf("step: the guest counter against the policy's target, in ns\n");
	printf("0 ns: the share of migrations at exactly the target\n");
#endif
	printf("error: the guest counter against the policy's target\n");
	printf("       (catch-up: host realtime elapsed; freeze: where it stopped;\n");
	printf("       same-host: the saved offset from the host counter)\n");
	printf("held: save + restore time, the VM stopped (us)\n\n");
	printf("  %-17s %-9s %9s %9s %8s %9s %11s %11s %9s  %7s %7s\n", "method", "policy",
	       "step med", "step max", "0 ns", "fields", "error med", "error max", "error max",
	       "held", "held");
	printf("  %-17s %-9s %9s %9s %8s %9s %11s %11s %9s  %7s %7s\n", "", "", "(ns)", "|ns|",
	       "", "", "(ns)", "|ns|", "|ticks|", "med us", "max us");
	for (int m = CLOCKMIG_BY_VALUE; m >= CLOCKMIG_PRECISE; m--)
		for (int p = 0; p < CLOCKMIG_NR_POLICIES; p++)
			if (m != CLOCKMIG_BY_VALUE || p != CLOCKMIG_SAME_HOST)
				run_method(m, p, n);

	if (check_mode)
		check_library();
	printf("\n%s\n", failures ? "FAILED" : "done");
	return failures ? 1 : 0;
}
