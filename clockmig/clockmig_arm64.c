// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * clockmig on arm64: the guest's virtual and physical counters, which KVM
 * derives from the host counter with VM-wide offsets (guest counter = host
 * counter - offset). The procedure is the one the kernel's api.rst gives
 * for KVM_ARM_GET_COUNTER_SNAPSHOT: read both offsets and the host counter
 * (with CLOCK_REALTIME, when the host clocksource is the counter) at one
 * instant, and on the destination set the offset that gives the policy's
 * guest counter at the destination's own snapshot with
 * KVM_ARM_SET_COUNTER_OFFSET. An offset does not change with time, so
 * nothing depends on when the ioctls run.
 *
 * KVM_ARM_SET_COUNTER_OFFSET gives both counters one offset, and once it
 * was used KVM ignores writes of the counter registers: restoring them by
 * value is checked by reading them back.
 *
 * Nested virtualization: the VM offsets are the L1 hypervisor's view. An
 * NV vCPU's EL1 virtual counter also subtracts its CNTVOFF_EL2, a vCPU
 * register the VMM migrates with the other registers (KVM_GET/SET_ONE_REG);
 * clockmig does not touch it.
 */
#include "clockmig_int.h"

#if CLOCKMIG_BUILD_ARM64
#include <errno.h>
#include <string.h>

#include "clockmig_uapi.h"

/* A (host counter, realtime) sample of the destination. */
struct dest {
	bool kernel;		/* from KVM_ARM_GET_COUNTER_SNAPSHOT */
	bool kernel_realtime;	/* ... with KVM_ARM_COUNTER_SNAPSHOT_REALTIME */
	uint64_t hz;		/* CNTFRQ_EL0 */
	uint64_t host_counter;
	uint64_t realtime_ns;
};

/* An offset known to lie in [lo, lo + width], modulo 2^64. */
struct span {
	uint64_t lo;
	uint64_t width;
};

/* A counter register read by value, and when: the host counter at_counter. */
struct reading {
	uint64_t value;
	uint64_t at_counter;
	struct span offset;
};

#define READ_TRIES	4

static bool spans_overlap(const struct span *a, const struct span *b)
{
	return b->lo - a->lo <= a->width || a->lo - b->lo <= b->width;
}

static int one_reg(int vcpu_fd, unsigned long ioctl_nr, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg reg = {
		.id = id,
		.addr = (uintptr_t)val,
	};

	return ioctl(vcpu_fd, ioctl_nr, &reg);
}

static const char *reg_name(uint64_t id)
{
	return id == KVM_REG_ARM_TIMER_CNT ? "KVM_REG_ARM_TIMER_CNT" : "KVM_REG_ARM_PTIMER_CNT";
}

/*
 * Read a counter register by value between two host counter reads; the
 * narrowest of a few tries. KVM computed it as host counter - offset at
 * an instant in between, which bounds the offset.
 */
static int read_counter_reg(int vcpu_fd, uint64_t id, struct reading *r)
{
	uint64_t h1, h2, v;

	r->offset.width = UINT64_MAX;
	for (int i = 0; i < READ_TRIES; i++) {
		h1 = clockmig_host_counter();
		if (one_reg(vcpu_fd, KVM_GET_ONE_REG, id, &v))
			return -1;
		h2 = clockmig_host_counter();
		if (h2 - h1 < r->offset.width) {
			r->value = v;
			r->at_counter = h1 + (h2 - h1) / 2;
			r->offset.lo = h1 - v;
			r->offset.width = h2 - h1;
		}
	}
	return 0;
}

/* Write a counter register by value; *written bounds the offset KVM derived. */
static int write_counter_reg(int vcpu_fd, uint64_t id, uint64_t offset, struct span *written)
{
	uint64_t h1, h2, v;
	int r;

	h1 = clockmig_host_counter();
	v = h1 - offset;
	r = one_reg(vcpu_fd, KVM_SET_ONE_REG, id, &v);
	h2 = clockmig_host_counter();
	written->lo = h1 - v;
	written->width = h2 - h1;
	return r;
}

static int get_snapshot(int vm_fd, struct clockmig_kvm_counter_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	return ioctl(vm_fd, CLOCKMIG_KVM_ARM_GET_COUNTER_SNAPSHOT, snap);
}

static int snapshot_fail(struct clockmig_report *report)
{
	return clockmig_fail(report, "KVM_ARM_GET_COUNTER_SNAPSHOT", errno == EINVAL ?
			     "a protected VM has no counter offsets" : "cannot read the counters");
}

static bool has_snapshot(int vm_fd)
{
	return clockmig_check_cap(vm_fd, KVM_CAP_ARM_COUNTER_SNAPSHOT) > 0;
}

/*
 * Both offsets are VM-wide, so one snapshot covers every vCPU. Its
 * realtime is only valid with the flag (the host clocksource is the
 * counter); otherwise it comes from a userspace pair, and never from the
 * snapshot's field.
 */
static int save_snapshot(int vm_fd, struct clockmig_state *s, struct clockmig_report *report)
{
	struct clockmig_kvm_counter_snapshot snap;
	struct clockmig_pair pair;

	if (get_snapshot(vm_fd, &snap))
		return snapshot_fail(report);
	s->have |= CLOCKMIG_HAVE_KERNEL_SAMPLE | CLOCKMIG_HAVE_PHYS;
	s->counter_hz = snap.counter_freq;
	s->host_counter = snap.host_counter;
	s->guest_counter = snap.host_counter - snap.virtual_offset;
	s->guest_phys_counter = snap.host_counter - snap.physical_offset;
	if (snap.flags & KVM_ARM_COUNTER_SNAPSHOT_REALTIME) {
		s->have |= CLOCKMIG_HAVE_REALTIME;
		s->realtime_ns = snap.realtime;
		return CLOCKMIG_OK;
	}
	clockmig_sample_pair(&pair);
	s->realtime_ns = clockmig_pair_realtime(&pair, snap.host_counter, snap.counter_freq);
	clockmig_note(report,
		      "no kernel realtime (the host clocksource is not the counter): realtime from userspace");
	return CLOCKMIG_OK;
}

/* Kernels before the series: the counters by value, every vCPU checked. */
static int save_by_value(const int *vcpu_fds, unsigned int nr_vcpus, struct clockmig_state *s,
			 struct clockmig_report *report)
{
	struct reading v0, p0, ri;
	struct clockmig_pair pair;
	bool have_phys;
	int r = CLOCKMIG_OK;

	if (read_counter_reg(vcpu_fds[0], KVM_REG_ARM_TIMER_CNT, &v0))
		return clockmig_fail(report, "KVM_GET_ONE_REG(KVM_REG_ARM_TIMER_CNT)",
				     "cannot read the guest counter");
	s->counter_hz = clockmig_host_counter_freq();
	s->host_counter = v0.at_counter;
	s->guest_counter = v0.value;
	have_phys = !read_counter_reg(vcpu_fds[0], KVM_REG_ARM_PTIMER_CNT, &p0);
	if (have_phys) {
		s->have |= CLOCKMIG_HAVE_PHYS;
		/* At v0's instant: the physical counter runs at the host's rate. */
		s->guest_phys_counter = p0.value + (v0.at_counter - p0.at_counter);
		/*
		 * Offsets that the two reads cannot tell apart are taken as
		 * one (KVM_ARM_SET_COUNTER_OFFSET gave them one): else the
		 * latency of the reads would count as a difference, which
		 * CLOCKMIG_KEEP_PHYS restores by value only. Not when a read
		 * took over a millisecond: its span would swallow a real
		 * difference, so both counters are kept.
		 */
		if (v0.offset.width <= s->counter_hz / 1000 &&
		    p0.offset.width <= s->counter_hz / 1000 &&
		    spans_overlap(&v0.offset, &p0.offset)) {
			if (s->guest_phys_counter != s->guest_counter)
				clockmig_note(report,
					      "the counters read %lld cycles apart, within the reads' latency: saved as one offset",
					      (long long)(s->guest_phys_counter - s->guest_counter));
			s->guest_phys_counter = s->guest_counter;
		}
	} else {
		clockmig_note(report,
			      "no KVM_REG_ARM_PTIMER_CNT: the physical counter is not saved");
	}
	for (unsigned int i = 1; i < nr_vcpus && !r; i++) {
		if (read_counter_reg(vcpu_fds[i], KVM_REG_ARM_TIMER_CNT, &ri))
			return clockmig_fail(report, "KVM_GET_ONE_REG(KVM_REG_ARM_TIMER_CNT)",
					     "cannot read the guest counter");
		if (!spans_overlap(&v0.offset, &ri.offset)) {
			clockmig_note(report,
				      "vCPU %u's virtual counter offset differs from vCPU 0's: the state holds vCPU 0's",
				      i);
			r = CLOCKMIG_E_VCPUS;
		}
	}
	clockmig_sample_pair(&pair);
	s->realtime_ns = clockmig_pair_realtime(&pair, s->host_counter, s->counter_hz);
	clockmig_note(report, "no KVM_ARM_GET_COUNTER_SNAPSHOT: saved by value");
	return r;
}

int clockmig_arm64_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			struct clockmig_state *s, struct clockmig_report *report)
{
	s->arch = CLOCKMIG_ARCH_ARM64;
	if (has_snapshot(vm_fd))
		return save_snapshot(vm_fd, s, report);
	return save_by_value(vcpu_fds, nr_vcpus, s, report);
}

/* The destination's snapshot, or just its CNTFRQ_EL0. */
static int dest_sample(int vm_fd, struct dest *d, struct clockmig_report *report)
{
	struct clockmig_kvm_counter_snapshot snap;

	memset(d, 0, sizeof(*d));
	if (!has_snapshot(vm_fd)) {
		d->hz = clockmig_host_counter_freq();
		return CLOCKMIG_OK;
	}
	if (get_snapshot(vm_fd, &snap))
		return snapshot_fail(report);
	d->kernel = true;
	d->hz = snap.counter_freq;
	d->host_counter = snap.host_counter;
	if (snap.flags & KVM_ARM_COUNTER_SNAPSHOT_REALTIME) {
		d->kernel_realtime = true;
		d->realtime_ns = snap.realtime;
	}
	return CLOCKMIG_OK;
}

/* Fill in what the kernel did not give with a userspace pair. */
static void dest_complete(struct dest *d)
{
	struct clockmig_pair pair;

	if (d->kernel && d->kernel_realtime)
		return;
	clockmig_sample_pair(&pair);
	if (!d->kernel)
		d->host_counter = pair.counter;
	d->realtime_ns = clockmig_pair_realtime(&pair, d->host_counter, d->hz);
}

static int check_freq(const struct clockmig_state *s, const struct dest *d,
		      unsigned int flags, struct clockmig_report *report)
{
	if (s->counter_hz == d->hz)
		return CLOCKMIG_OK;
	clockmig_note(report, "counter frequency: %llu Hz saved, %llu Hz here%s",
		      (unsigned long long)s->counter_hz, (unsigned long long)d->hz,
		      flags & CLOCKMIG_FORCE_FREQ ?
		      " (forced: the guest counter now runs at this host's rate)" : "");
	return flags & CLOCKMIG_FORCE_FREQ ? CLOCKMIG_OK : CLOCKMIG_E_FREQ;
}

/*
 * The virtual counter offset that gives the policy's guest counter at
 * host counter @host, realtime @realtime_ns. Freeze needs no realtime.
 */
static int policy_offset(const struct clockmig_state *s, enum clockmig_policy policy,
			 uint64_t host, uint64_t realtime_ns, uint64_t *offset,
			 struct clockmig_report *report)
{
	uint64_t target = s->guest_counter;

	switch (policy) {
	case CLOCKMIG_SAME_HOST:
		if (host < s->host_counter) {
			clockmig_note(report,
				      "not the same host: its counter is behind the saved one");
			return CLOCKMIG_E_INVAL;
		}
		*offset = clockmig_counter_offset(s->host_counter, s->guest_counter);
		return CLOCKMIG_OK;
	case CLOCKMIG_CATCH_UP:
		if (clockmig_catch_up(s, realtime_ns, "counter", &target, report))
			return CLOCKMIG_E_INVAL;
		break;
	case CLOCKMIG_FREEZE:
	default:
		break;
	}
	*offset = clockmig_counter_offset(host, target);
	return CLOCKMIG_OK;
}

/* The physical counter's offset the state asks for, given the virtual one. */
static uint64_t phys_offset(const struct clockmig_state *s, uint64_t offset)
{
	return offset - (s->guest_phys_counter - s->guest_counter);
}

/* Would one offset for both counters lose the saved physical counter? */
static bool phys_differs(const struct clockmig_state *s)
{
	return (s->have & CLOCKMIG_HAVE_PHYS) && s->guest_phys_counter != s->guest_counter;
}

/* Say what KVM_ARM_SET_COUNTER_OFFSET could not restore. */
static void report_phys(const struct clockmig_state *s, struct clockmig_report *report)
{
	if (!(s->have & CLOCKMIG_HAVE_PHYS)) {
		clockmig_note(report,
			      "the physical counter was not saved: it reads as the virtual one");
		return;
	}
	if (!phys_differs(s))
		return;
	report->not_restored |= CLOCKMIG_NOT_RESTORED_PHYS;
	report->phys_moved = -(int64_t)(s->guest_phys_counter - s->guest_counter);
	clockmig_note(report,
		      "the physical counter was %lld cycles ahead of the virtual one; KVM_ARM_SET_COUNTER_OFFSET gives both one offset, so it moved by %lld cycles and reads as the virtual one",
		      (long long)(s->guest_phys_counter - s->guest_counter),
		      (long long)report->phys_moved);
}

static int set_offset(int vm_fd, uint64_t offset, struct clockmig_report *report)
{
	struct clockmig_kvm_counter_offset o = { .counter_offset = offset };

	if (ioctl(vm_fd, CLOCKMIG_KVM_ARM_SET_COUNTER_OFFSET, &o))
		return clockmig_fail(report, "KVM_ARM_SET_COUNTER_OFFSET", errno == EBUSY ?
				     "a vCPU ioctl is running: stop the vCPUs first" :
				     "cannot set the counter offset");
	return CLOCKMIG_OK;
}

/* Check that the offset took: by the snapshot, or each vCPU's counter by value. */
static int verify_offset(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			 bool snapshot, uint64_t offset, struct clockmig_report *report)
{
	struct clockmig_kvm_counter_snapshot snap;
	struct span want = { offset, 0 };
	struct reading r;

	if (snapshot) {
		if (get_snapshot(vm_fd, &snap))
			return snapshot_fail(report);
		if (snap.virtual_offset == offset && snap.physical_offset == offset)
			return CLOCKMIG_OK;
		clockmig_note(report, "KVM_ARM_SET_COUNTER_OFFSET(%llu) left offsets %llu/%llu",
			      (unsigned long long)offset,
			      (unsigned long long)snap.virtual_offset,
			      (unsigned long long)snap.physical_offset);
		return CLOCKMIG_E_IGNORED;
	}
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		if (read_counter_reg(vcpu_fds[i], KVM_REG_ARM_TIMER_CNT, &r))
			return clockmig_fail(report, "KVM_GET_ONE_REG(KVM_REG_ARM_TIMER_CNT)",
					     "cannot read the counter back");
		if (!spans_overlap(&want, &r.offset)) {
			clockmig_note(report,
				      "vCPU %u's counter is not the one the offset gives", i);
			return CLOCKMIG_E_IGNORED;
		}
	}
	return CLOCKMIG_OK;
}

static void report_applied(const struct dest *d, enum clockmig_method method,
			   struct clockmig_report *report)
{
	report->method = method;
	report->applied_host_counter = d->host_counter;
	report->applied_realtime_ns = d->realtime_ns;
}

/* What the precise method lacks here, or NULL. */
static const char *precise_missing(const struct clockmig_state *s, const struct dest *d,
				   bool catch_up)
{
	if (!d->kernel)
		return "no KVM_ARM_GET_COUNTER_SNAPSHOT here";
	if (!(s->have & CLOCKMIG_HAVE_KERNEL_SAMPLE))
		return "the source saved by value";
	/* Catching up needs both realtimes from the kernel: nothing else is exact. */
	if (catch_up && !d->kernel_realtime)
		return "no kernel realtime here (the host clocksource is not the counter)";
	if (catch_up && !(s->have & CLOCKMIG_HAVE_REALTIME))
		return "no kernel realtime at the source";
	return NULL;
}

/*
 * KVM_ARM_SET_COUNTER_OFFSET from the destination sample: PRECISE with a
 * kernel sample on both sides (and their realtime, to catch up), else
 * OFFSETS. The only change is the one ioctl, so there is nothing to undo.
 */
static int restore_offset(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			  const struct clockmig_state *s, enum clockmig_policy policy,
			  struct dest *d, enum clockmig_method method,
			  struct clockmig_report *report)
{
	bool catch_up = policy == CLOCKMIG_CATCH_UP;
	const char *missing;
	uint64_t offset;
	int r;

	if (method == CLOCKMIG_PRECISE) {
		missing = precise_missing(s, d, catch_up);
		if (missing) {
			clockmig_note(report, "precise: %s", missing);
			return CLOCKMIG_E_UNSUPPORTED;
		}
	} else {
		dest_complete(d);
	}
	if (!clockmig_check_cap(vm_fd, KVM_CAP_COUNTER_OFFSET)) {
		clockmig_note(report, "no KVM_ARM_SET_COUNTER_OFFSET");
		return CLOCKMIG_E_UNSUPPORTED;
	}
	if (policy == CLOCKMIG_SAME_HOST && !(s->have & CLOCKMIG_HAVE_KERNEL_SAMPLE)) {
		clockmig_note(report,
			      "same-host needs the saved offset: the source saved by value");
		return CLOCKMIG_E_UNSUPPORTED;
	}
	r = policy_offset(s, policy, d->host_counter, d->realtime_ns, &offset, report);
	if (r)
		return r;
	r = set_offset(vm_fd, offset, report);
	if (r)
		return r;
	report->changed = CLOCKMIG_CHANGED_COUNTER | CLOCKMIG_CHANGED_PHYS |
			  CLOCKMIG_CHANGED_VM_OFFSET;
	r = verify_offset(vm_fd, vcpu_fds, nr_vcpus, d->kernel, offset, report);
	if (r)
		return r;
	report_applied(d, method, report);
	if (!catch_up && method == CLOCKMIG_PRECISE)
		report->applied_realtime_ns = d->kernel_realtime ? d->realtime_ns : 0;
	report_phys(s, report);
	return CLOCKMIG_OK;
}

/*
 * Write one counter by value on vCPU 0 (the offsets are VM-wide) and read
 * it back on every vCPU: once KVM_ARM_SET_COUNTER_OFFSET was used, KVM
 * ignores the write and returns success, and kernels before 6.4 have no
 * physical counter offset. *written: whether anything may have changed.
 */
static int write_and_check(const int *vcpu_fds, unsigned int nr_vcpus, uint64_t id,
			   uint64_t offset, bool *written, struct clockmig_report *report)
{
	struct span span;
	struct reading r;

	*written = false;
	if (write_counter_reg(vcpu_fds[0], id, offset, &span)) {
		clockmig_fail(report, id == KVM_REG_ARM_TIMER_CNT ?
			      "KVM_SET_ONE_REG(KVM_REG_ARM_TIMER_CNT)" :
			      "KVM_SET_ONE_REG(KVM_REG_ARM_PTIMER_CNT)", "cannot set the counter");
		return CLOCKMIG_E_KVM;
	}
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		if (read_counter_reg(vcpu_fds[i], id, &r)) {
			*written = true;
			clockmig_fail(report, "KVM_GET_ONE_REG", "cannot read the counter back");
			return CLOCKMIG_E_KVM;
		}
		if (spans_overlap(&span, &r.offset)) {
			*written = true;
			continue;
		}
		if (i) {
			clockmig_note(report, "vCPU %u's %s is not vCPU 0's", i, reg_name(id));
			return CLOCKMIG_E_VCPUS;
		}
		clockmig_note(report, "KVM ignored the write of %s: it reads %llu, not about %llu",
			      reg_name(id), (unsigned long long)r.value,
			      (unsigned long long)(r.at_counter - offset));
		return CLOCKMIG_E_IGNORED;
	}
	return CLOCKMIG_OK;
}

/* Put a counter back by value, where it would be had nothing happened. */
static void undo_counter(int vcpu_fd, uint64_t id, const struct reading *old, unsigned int bit,
			 struct clockmig_report *report)
{
	struct span written;

	if (write_counter_reg(vcpu_fd, id, old->offset.lo + old->offset.width / 2, &written))
		clockmig_note(report,
			      "undo: %s keeps the new value: %s", reg_name(id), strerror(errno));
	else
		clockmig_note(report, "undo: %s put back by value, within %llu cycles",
			      reg_name(id),
			      (unsigned long long)(old->offset.width + written.width));
	report->changed |= bit;
}

/*
 * The physical counter kept its offset (@old, or unknown): say by how
 * much it is off the saved one.
 */
static void report_phys_kept(const struct clockmig_state *s, uint64_t offset,
			     const struct reading *old, struct clockmig_report *report)
{
	report->not_restored |= CLOCKMIG_NOT_RESTORED_PHYS;
	if (!old) {
		clockmig_note(report,
			      "no KVM_REG_ARM_PTIMER_CNT here: the physical counter is not restored");
		return;
	}
	report->phys_moved = (int64_t)(phys_offset(s, offset) -
				       (old->offset.lo + old->offset.width / 2));
	clockmig_note(report,
		      "KVM did not take the physical counter (no physical offset before Linux 6.4): it is %lld cycles from the saved one",
		      (long long)report->phys_moved);
}

/* As VMMs do today: KVM_REG_ARM_TIMER_CNT and KVM_REG_ARM_PTIMER_CNT by value. */
static int restore_by_value(const int *vcpu_fds, unsigned int nr_vcpus,
			    const struct clockmig_state *s, enum clockmig_policy policy,
			    unsigned int flags, struct dest *d, struct clockmig_report *report)
{
	bool keep_phys = (flags & CLOCKMIG_KEEP_PHYS) && phys_differs(s);
	struct reading old_v, old_p;
	bool phys, written;
	uint64_t offset;
	int r;

	if (policy == CLOCKMIG_SAME_HOST) {
		clockmig_note(report, "same-host needs the offsets, not values");
		return CLOCKMIG_E_UNSUPPORTED;
	}
	/* Before changing anything: what to put back, and what can be. */
	if (read_counter_reg(vcpu_fds[0], KVM_REG_ARM_TIMER_CNT, &old_v))
		return clockmig_fail(report, "KVM_GET_ONE_REG(KVM_REG_ARM_TIMER_CNT)",
				     "cannot read the guest counter");
	phys = (s->have & CLOCKMIG_HAVE_PHYS) &&
	       !read_counter_reg(vcpu_fds[0], KVM_REG_ARM_PTIMER_CNT, &old_p);
	if (keep_phys && !phys) {
		clockmig_note(report,
			      "no KVM_REG_ARM_PTIMER_CNT here to keep the physical counter");
		return CLOCKMIG_E_UNSUPPORTED;
	}
	d->kernel = false;
	dest_complete(d);
	r = policy_offset(s, policy, d->host_counter, d->realtime_ns, &offset, report);
	if (r)
		return r;

	r = write_and_check(vcpu_fds, nr_vcpus, KVM_REG_ARM_TIMER_CNT, offset, &written, report);
	if (r) {
		if (written)
			undo_counter(vcpu_fds[0], KVM_REG_ARM_TIMER_CNT, &old_v,
				     CLOCKMIG_CHANGED_COUNTER, report);
		return r;
	}
	report->changed = CLOCKMIG_CHANGED_COUNTER;
	if (phys) {
		r = write_and_check(vcpu_fds, nr_vcpus, KVM_REG_ARM_PTIMER_CNT,
				    phys_offset(s, offset), &written, report);
		if (!r) {
			report->changed |= CLOCKMIG_CHANGED_PHYS;
		} else if (!written && !keep_phys) {
			report_phys_kept(s, offset, &old_p, report);
			r = CLOCKMIG_OK;
		} else {
			report->changed = 0;
			if (written)
				undo_counter(vcpu_fds[0], KVM_REG_ARM_PTIMER_CNT, &old_p,
					     CLOCKMIG_CHANGED_PHYS, report);
			undo_counter(vcpu_fds[0], KVM_REG_ARM_TIMER_CNT, &old_v,
				     CLOCKMIG_CHANGED_COUNTER, report);
			return r;
		}
	} else if (s->have & CLOCKMIG_HAVE_PHYS) {
		report_phys_kept(s, offset, NULL, report);
	} else {
		report_phys(s, report);
	}
	report_applied(d, CLOCKMIG_BY_VALUE, report);
	return r;
}

int clockmig_arm64_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			   const struct clockmig_state *s, enum clockmig_policy policy,
			   unsigned int flags, struct clockmig_report *report)
{
	struct dest d;
	int r;

	r = dest_sample(vm_fd, &d, report);
	if (!r)
		r = check_freq(s, &d, flags, report);
	if (r)
		return r;
	if (policy == CLOCKMIG_CATCH_UP && !s->counter_hz) {
		clockmig_note(report,
			      "catch-up needs the counter frequency: the source's CNTFRQ_EL0 is 0");
		return CLOCKMIG_E_INVAL;
	}
	r = CLOCKMIG_E_UNSUPPORTED;
	if ((flags & CLOCKMIG_KEEP_PHYS) && phys_differs(s)) {
		clockmig_note(report,
			      "the physical counter offset differs from the virtual one: by value only");
		flags &= ~(CLOCKMIG_ALLOW(CLOCKMIG_PRECISE) | CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS));
	}
	for (int m = CLOCKMIG_PRECISE; m <= CLOCKMIG_OFFSETS; m++) {
		if (!(flags & CLOCKMIG_ALLOW(m)))
			continue;
		r = restore_offset(vm_fd, vcpu_fds, nr_vcpus, s, policy, &d, m, report);
		if (r != CLOCKMIG_E_UNSUPPORTED)
			return r;
	}
	if (flags & CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE))
		r = restore_by_value(vcpu_fds, nr_vcpus, s, policy, flags, &d, report);
	return r;
}
#endif
