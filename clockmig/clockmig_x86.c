// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * clockmig on x86: the TSC and kvmclock. The procedure is the one in the
 * kernel's Documentation/virt/kvm/devices/vcpu.rst (KVM_VCPU_TSC_OFFSET):
 * on the destination, set the TSC frequency, read KVM_VCPU_TSC_SCALE, take
 * KVM_GET_CLOCK's (realtime, host TSC) pair, give every vCPU the same
 * KVM_VCPU_TSC_OFFSET, then KVM_SET_CLOCK_GUEST on one vCPU, or
 * KVM_SET_CLOCK with KVM_CLOCK_REALTIME where that is missing.
 */
#include "clockmig_int.h"

#if CLOCKMIG_BUILD_X86
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clockmig_uapi.h"

#define MSR_IA32_TSC		0x10
#define KERNEL_PAIR		(KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC)

struct tsc_scale {
	uint64_t ratio;
	uint32_t frac_bits;
};

static int tsc_attr(int vcpu_fd, unsigned long ioctl_nr, uint64_t attr, void *val)
{
	struct kvm_device_attr a = {
		.group = KVM_VCPU_TSC_CTRL,
		.attr = attr,
		.addr = (uintptr_t)val,
	};

	return ioctl(vcpu_fd, ioctl_nr, &a);
}

static int get_tsc_msr(int vcpu_fd, uint64_t *tsc)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs = { .hdr.nmsrs = 1, .entry.index = MSR_IA32_TSC };

	if (ioctl(vcpu_fd, KVM_GET_MSRS, &msrs) != 1)
		return -1;
	*tsc = msrs.entry.data;
	return 0;
}

static int set_tsc_msr(int vcpu_fd, uint64_t tsc)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs = { .hdr.nmsrs = 1, .entry = { .index = MSR_IA32_TSC, .data = tsc } };

	return ioctl(vcpu_fd, KVM_SET_MSRS, &msrs) == 1 ? 0 : -1;
}

/* The guest TSC rate of @vcpu_fd in kHz, or -1. */
static int get_tsc_khz(int vcpu_fd)
{
	int khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ);

	if (khz == 0)
		errno = ENODATA;	/* KVM has no rate for it */
	return khz > 0 ? khz : -1;
}

/*
 * The TSC scaling of @vcpu_fd, from KVM_VCPU_TSC_SCALE. Without the
 * attribute (a kernel without the series, or the public version of it,
 * which fails without TSC scaling) the ratio is only known when KVM cannot
 * scale at all: 1:1. False if unknown.
 */
static bool get_scale(int vm_fd, int vcpu_fd, struct tsc_scale *sc)
{
	struct clockmig_kvm_tsc_scale a;

	if (!tsc_attr(vcpu_fd, KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_SCALE, &a)) {
		/* A ratio that cannot be right is as good as none. */
		if (!a.tsc_ratio || a.tsc_frac_bits > 63)
			return false;
		sc->ratio = a.tsc_ratio;
		sc->frac_bits = a.tsc_frac_bits;
		return true;
	}
	if (clockmig_check_cap(vm_fd, KVM_CAP_TSC_CONTROL))
		return false;
	sc->ratio = 1;
	sc->frac_bits = 0;
	return true;
}

static bool same_scale(const struct tsc_scale *a, const struct tsc_scale *b)
{
	return a->ratio == b->ratio && a->frac_bits == b->frac_bits;
}

static int vcpu_differs(struct clockmig_report *report, unsigned int i, const char *what,
			unsigned long long v0, unsigned long long vi)
{
	clockmig_note(report, "vCPU %u's %s is %llu, vCPU 0's %llu: the state holds vCPU 0's",
		      i, what, vi, v0);
	return CLOCKMIG_E_VCPUS;
}

/*
 * Save: every vCPU must have vCPU 0's TSC rate, scale and offset, else the
 * masterclock is off and one saved TSC cannot describe them all.
 */
static int check_vcpus(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus, int khz0,
		       const struct tsc_scale *sc0, const uint64_t *offset0,
		       struct clockmig_report *report)
{
	struct tsc_scale sc = {};
	uint64_t offset;
	int khz;

	for (unsigned int i = 1; i < nr_vcpus; i++) {
		khz = get_tsc_khz(vcpu_fds[i]);
		if (khz < 0)
			return clockmig_fail(report,
					     "KVM_GET_TSC_KHZ", "guest TSC frequency unknown");
		if (khz != khz0)
			return vcpu_differs(report, i, "TSC frequency (kHz)", khz0, khz);
		if (sc0 && (!get_scale(vm_fd, vcpu_fds[i], &sc) || !same_scale(&sc, sc0)))
			return vcpu_differs(report, i, "TSC scaling ratio", sc0->ratio, sc.ratio);
		if (!offset0)
			continue;
		if (tsc_attr(vcpu_fds[i], KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET, &offset))
			return clockmig_fail(report, "KVM_GET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET)",
					     "cannot read the TSC offset");
		if (offset != *offset0)
			return vcpu_differs(report, i, "TSC offset", *offset0, offset);
	}
	return CLOCKMIG_OK;
}

static bool same_pvclock(const struct clockmig_kvm_pvclock *a, const struct clockmig_kvm_pvclock *b)
{
	return a->tsc_timestamp == b->tsc_timestamp && a->system_time == b->system_time &&
	       a->tsc_to_system_mul == b->tsc_to_system_mul && a->tsc_shift == b->tsc_shift &&
	       a->flags == b->flags;
}

/* kvmclock's parameters, the same on every vCPU in masterclock mode. */
static int save_clock_guest(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			    struct clockmig_state *s, struct clockmig_report *report)
{
	struct clockmig_kvm_pvclock pv, pvi;

	if (!clockmig_check_cap(vm_fd, KVM_CAP_CLOCK_GUEST)) {
		clockmig_note(report, "no KVM_CAP_CLOCK_GUEST: kvmclock parameters not saved");
		return CLOCKMIG_OK;
	}
	if (ioctl(vcpu_fds[0], CLOCKMIG_KVM_GET_CLOCK_GUEST, &pv)) {
		clockmig_note(report, "KVM_GET_CLOCK_GUEST: %s (%s)", strerror(errno),
			      errno == EOPNOTSUPP ? "the VM is not using the masterclock" :
			      "kvmclock parameters not saved");
		return CLOCKMIG_OK;
	}
	s->have |= CLOCKMIG_HAVE_CLOCK_GUEST;
	s->pvclock.tsc_timestamp = pv.tsc_timestamp;
	s->pvclock.system_time = pv.system_time;
	s->pvclock.tsc_to_system_mul = pv.tsc_to_system_mul;
	s->pvclock.tsc_shift = pv.tsc_shift;
	s->pvclock.flags = pv.flags;
	for (unsigned int i = 1; i < nr_vcpus; i++) {
		if (ioctl(vcpu_fds[i], CLOCKMIG_KVM_GET_CLOCK_GUEST, &pvi))
			return clockmig_fail(report, "KVM_GET_CLOCK_GUEST",
					     "vCPU 0 gave its kvmclock parameters, a later one not");
		if (!same_pvclock(&pv, &pvi))
			return vcpu_differs(report, i, "kvmclock tsc_timestamp", pv.tsc_timestamp,
					    pvi.tsc_timestamp);
	}
	return CLOCKMIG_OK;
}

int clockmig_x86_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		      struct clockmig_state *s, struct clockmig_report *report)
{
	struct kvm_clock_data data = {};
	struct tsc_scale sc;
	bool have_scale, have_offset;
	uint64_t offset = 0;
	int khz, r, r2;

	s->arch = CLOCKMIG_ARCH_X86_64;
	khz = get_tsc_khz(vcpu_fds[0]);
	if (khz < 0)
		return clockmig_fail(report, "KVM_GET_TSC_KHZ", "guest TSC frequency unknown");
	s->counter_hz = (uint64_t)khz * 1000;
	have_scale = get_scale(vm_fd, vcpu_fds[0], &sc);
	have_offset = !tsc_attr(vcpu_fds[0], KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET, &offset);

	r = check_vcpus(vm_fd, vcpu_fds, nr_vcpus, khz, have_scale ? &sc : NULL,
			have_offset ? &offset : NULL, report);
	if (r != CLOCKMIG_OK && r != CLOCKMIG_E_VCPUS)
		return r;

	if (ioctl(vm_fd, KVM_GET_CLOCK, &data))
		return clockmig_fail(report, "KVM_GET_CLOCK", "cannot read kvmclock");
	s->kvmclock_ns = data.clock;
	if ((data.flags & KERNEL_PAIR) == KERNEL_PAIR && have_scale && have_offset) {
		/* Everything at the instant KVM_GET_CLOCK sampled. */
		s->have |= CLOCKMIG_HAVE_KERNEL_SAMPLE | CLOCKMIG_HAVE_REALTIME;
		s->realtime_ns = data.realtime;
		s->host_counter = data.host_tsc;
		s->tsc_offset = offset;
		s->tsc_ratio = sc.ratio;
		s->tsc_frac_bits = sc.frac_bits;
		s->guest_counter = clockmig_scale_tsc(data.host_tsc, sc.ratio, sc.frac_bits) +
				   offset;
	} else {
		/* The guest TSC by value, realtime from here. */
		if (get_tsc_msr(vcpu_fds[0], &s->guest_counter))
			return clockmig_fail(report,
					     "KVM_GET_MSRS(IA32_TSC)", "cannot read the TSC");
		s->realtime_ns = clockmig_now_ns(CLOCK_REALTIME);
		clockmig_note(report, "saved by value: %s",
			      !have_offset ? "no KVM_VCPU_TSC_OFFSET" :
			      !have_scale ? "TSC scaling ratio unknown" :
			      "KVM_GET_CLOCK gives no (realtime, host TSC) pair (no masterclock)");
	}

	r2 = save_clock_guest(vm_fd, vcpu_fds, nr_vcpus, s, report);
	return r ? r : r2;
}

/*
 * What restore changed, to put it back if a later step fails: the TSC
 * rate and offset (or value, on kernels without the offset attribute) of
 * each vCPU before, and whether kvmclock was set.
 */
struct vcpu_undo {
	int khz;
	uint64_t tsc;		/* offset, or IA32_TSC at undo.tsc_mono_ns */
	bool khz_set;
	bool tsc_set;
};

struct undo {
	unsigned int nr_vcpus;
	bool have_offset;
	bool kvmclock_set;
	uint64_t tsc_mono_ns;
	struct vcpu_undo *vcpu;
};

static int undo_init(struct undo *u, const int *vcpu_fds, unsigned int nr_vcpus,
		     bool have_offset, struct clockmig_report *report)
{
	memset(u, 0, sizeof(*u));
	u->vcpu = calloc(nr_vcpus, sizeof(*u->vcpu));
	if (!u->vcpu) {
		clockmig_note(report, "out of memory");
		return CLOCKMIG_E_INVAL;
	}
	u->nr_vcpus = nr_vcpus;
	u->have_offset = have_offset;
	u->tsc_mono_ns = clockmig_now_ns(CLOCK_MONOTONIC);
	for (unsigned int i = 0; i < nr_vcpus; i++) {
		u->vcpu[i].khz = get_tsc_khz(vcpu_fds[i]);
		if (u->vcpu[i].khz < 0)
			return clockmig_fail(report,
					     "KVM_GET_TSC_KHZ", "guest TSC frequency unknown");
		if (have_offset ? tsc_attr(vcpu_fds[i], KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET,
					   &u->vcpu[i].tsc) :
				  get_tsc_msr(vcpu_fds[i], &u->vcpu[i].tsc))
			return clockmig_fail(report, have_offset ?
					     "KVM_GET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET)" :
					     "KVM_GET_MSRS(IA32_TSC)", "cannot read the TSC");
	}
	return CLOCKMIG_OK;
}

/* Put one vCPU's TSC back: the offset exactly, a value plus the time since. */
static int undo_tsc(int vcpu_fd, const struct undo *u, const struct vcpu_undo *v)
{
	uint64_t tsc;

	if (u->have_offset)
		return tsc_attr(vcpu_fd, KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET, (void *)&v->tsc);
	tsc = v->tsc + clockmig_ns_to_ticks(clockmig_now_ns(CLOCK_MONOTONIC) - u->tsc_mono_ns,
					    (uint64_t)v->khz * 1000);
	return set_tsc_msr(vcpu_fd, tsc);
}

/*
 * Undo what restore did, rates first (a TSC value is written at the rate
 * in force). report->changed keeps what could not be put back exactly.
 */
static void undo_all(const int *vcpu_fds, struct undo *u, struct clockmig_report *report)
{
	unsigned int changed = 0;

	for (unsigned int i = 0; i < u->nr_vcpus; i++) {
		if (u->vcpu[i].khz_set &&
		    ioctl(vcpu_fds[i], KVM_SET_TSC_KHZ, (unsigned long)u->vcpu[i].khz)) {
			clockmig_note(report, "undo: vCPU %u keeps the new TSC frequency: %s", i,
				      strerror(errno));
			changed |= CLOCKMIG_CHANGED_TSC_KHZ;
		}
	}
	for (unsigned int i = 0; i < u->nr_vcpus; i++) {
		if (!u->vcpu[i].tsc_set)
			continue;
		if (undo_tsc(vcpu_fds[i], u, &u->vcpu[i])) {
			clockmig_note(report,
				      "undo: vCPU %u keeps the new TSC: %s", i, strerror(errno));
			changed |= CLOCKMIG_CHANGED_TSC;
		} else if (!u->have_offset) {
			changed |= CLOCKMIG_CHANGED_TSC;
		}
	}
	if (changed & CLOCKMIG_CHANGED_TSC && !u->have_offset)
		clockmig_note(report, "undo: TSCs put back by value, off by the ioctl latency");
	if (u->kvmclock_set) {
		clockmig_note(report,
			      "undo: kvmclock was set to its own value by KVM_SET_CLOCK, off by the ioctl latency");
		changed |= CLOCKMIG_CHANGED_KVMCLOCK;
	}
	report->changed = changed;
}

/* What restore changed, on success. */
static unsigned int undo_changed(const struct undo *u)
{
	unsigned int changed = CLOCKMIG_CHANGED_TSC | CLOCKMIG_CHANGED_KVMCLOCK;

	for (unsigned int i = 0; i < u->nr_vcpus; i++)
		if (u->vcpu[i].khz_set)
			changed |= CLOCKMIG_CHANGED_TSC_KHZ;
	return changed;
}

/*
 * After a refused KVM_SET_TSC_KHZ: KVM reports the frequency it refused from
 * then on (as the vCPU's virtual TSC rate, which the local APIC's TSC deadline
 * timer also uses), though the TSC runs at the old one. Set the old one
 * again. Returns whether KVM reports the old one now; if not, it counts as
 * changed (and undo_all() tries again).
 */
static bool refused_tsc_khz(int vcpu_fd, struct vcpu_undo *v)
{
	int errno_saved = errno;
	bool ok = true;

	if (ioctl(vcpu_fd, KVM_GET_TSC_KHZ) != v->khz &&
	    (ioctl(vcpu_fd, KVM_SET_TSC_KHZ, (unsigned long)v->khz) ||
	     ioctl(vcpu_fd, KVM_GET_TSC_KHZ) != v->khz)) {
		v->khz_set = true;
		ok = false;
	}
	errno = errno_saved;
	return ok;
}

/* KVM_SET_TSC_KHZ on every vCPU whose frequency differs from the state's. */
static int restore_tsc_khz(const int *vcpu_fds, const struct clockmig_state *s,
			   unsigned int flags, struct undo *u, struct clockmig_report *report)
{
	int khz = s->counter_hz / 1000;

	for (unsigned int i = 0; i < u->nr_vcpus; i++) {
		if (u->vcpu[i].khz == khz)
			continue;
		if (!ioctl(vcpu_fds[i], KVM_SET_TSC_KHZ, (unsigned long)khz)) {
			u->vcpu[i].khz_set = true;
			continue;
		}
		if (!refused_tsc_khz(vcpu_fds[i], &u->vcpu[i])) {
			/* Even when forced: KVM would report a rate the TSC does not run at. */
			clockmig_fail(report, "KVM_SET_TSC_KHZ",
				      "refused, and the vCPU's own frequency could not be put back");
			return CLOCKMIG_E_FREQ;
		}
		if (!(flags & CLOCKMIG_FORCE_FREQ)) {
			clockmig_fail(report, "KVM_SET_TSC_KHZ",
				      "this host cannot run the guest TSC at its frequency");
			return CLOCKMIG_E_FREQ;
		}
		clockmig_note(report, "vCPU %u's TSC stays at %d kHz, not %d (forced)", i,
			      u->vcpu[i].khz, khz);
	}
	return CLOCKMIG_OK;
}

/* Every vCPU's scale, which must be one: the state gives them one offset. */
static int restore_get_scale(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			     struct tsc_scale *sc, struct clockmig_report *report)
{
	struct tsc_scale sci;

	if (!get_scale(vm_fd, vcpu_fds[0], sc)) {
		clockmig_note(report, "TSC scaling ratio unknown (no KVM_VCPU_TSC_SCALE)");
		return CLOCKMIG_E_UNSUPPORTED;
	}
	for (unsigned int i = 1; i < nr_vcpus; i++) {
		if (!get_scale(vm_fd, vcpu_fds[i], &sci) || !same_scale(sc, &sci)) {
			clockmig_note(report,
				      "vCPU %u's TSC scaling ratio differs from vCPU 0's", i);
			return CLOCKMIG_E_VCPUS;
		}
	}
	return CLOCKMIG_OK;
}

static int get_pair(int vm_fd, struct kvm_clock_data *now, struct clockmig_report *report)
{
	if (ioctl(vm_fd, KVM_GET_CLOCK, now))
		return clockmig_fail(report, "KVM_GET_CLOCK", "no destination sample");
	return (now->flags & KERNEL_PAIR) == KERNEL_PAIR ? CLOCKMIG_OK : CLOCKMIG_E_UNSUPPORTED;
}

/* Give every vCPU vCPU 0's TSC offset; *unified: whether any had another. */
static int unify_tsc_offsets(const int *vcpu_fds, struct undo *u, bool *unified,
			     struct clockmig_report *report)
{
	*unified = false;
	for (unsigned int i = 1; i < u->nr_vcpus; i++) {
		if (u->vcpu[i].tsc == u->vcpu[0].tsc)
			continue;
		if (tsc_attr(vcpu_fds[i], KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET,
			     &u->vcpu[0].tsc))
			return clockmig_fail(report, "KVM_SET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET)",
					     "cannot set the TSC offset");
		u->vcpu[i].tsc_set = true;
		*unified = true;
	}
	return CLOCKMIG_OK;
}

/*
 * The destination's (realtime, host TSC) pair, which KVM gives only with
 * the masterclock on. That needs one TSC on every vCPU: give them vCPU 0's
 * offset first if they differ (restore sets them all anyway). And kernels
 * without the series compute the masterclock of a VM whose vCPUs never
 * ran only at KVM_SET_CLOCK (or the first entry): set kvmclock to its own
 * value then, which the VM, not having run, cannot see.
 */
static int restore_sample(int vm_fd, const int *vcpu_fds, struct kvm_clock_data *now,
			  struct undo *u, struct clockmig_report *report)
{
	struct kvm_clock_data set = {};
	bool unified;
	int r;

	r = get_pair(vm_fd, now, report);
	if (r != CLOCKMIG_E_UNSUPPORTED)
		return r;
	r = unify_tsc_offsets(vcpu_fds, u, &unified, report);
	if (r)
		return r;
	if (unified) {
		r = get_pair(vm_fd, now, report);
		if (r != CLOCKMIG_E_UNSUPPORTED)
			return r;
	}
	set.clock = now->clock;
	if (ioctl(vm_fd, KVM_SET_CLOCK, &set))
		return clockmig_fail(report, "KVM_SET_CLOCK", "cannot start the masterclock");
	u->kvmclock_set = true;
	r = get_pair(vm_fd, now, report);
	if (r == CLOCKMIG_E_UNSUPPORTED)
		clockmig_note(report,
			      "KVM_GET_CLOCK gives no (realtime, host TSC) pair here (no masterclock)");
	return r;
}

/* The TSC offset the policy asks for at the destination sample @now. */
static int restore_offset(const struct clockmig_state *s, enum clockmig_policy policy,
			  const struct kvm_clock_data *now, const struct tsc_scale *sc,
			  uint64_t *offset, struct clockmig_report *report)
{
	uint64_t target = s->guest_counter;

	switch (policy) {
	case CLOCKMIG_SAME_HOST:
		if (!same_scale(sc, &(struct tsc_scale){ s->tsc_ratio, s->tsc_frac_bits }) ||
		    now->host_tsc < s->host_counter) {
			clockmig_note(report, "not the same host: %s",
				      now->host_tsc < s->host_counter ?
				      "the host TSC is behind the saved one" :
				      "the TSC scaling ratio differs");
			return CLOCKMIG_E_INVAL;
		}
		*offset = s->tsc_offset;
		return CLOCKMIG_OK;
	case CLOCKMIG_CATCH_UP:
		if (clockmig_catch_up(s, now->realtime, "TSC", &target, report))
			return CLOCKMIG_E_INVAL;
		break;
	case CLOCKMIG_FREEZE:
	default:
		break;
	}
	*offset = clockmig_tsc_offset(target, now->host_tsc, sc->ratio, sc->frac_bits);
	return CLOCKMIG_OK;
}

/* Every vCPU's TSC offset, read back: some KVMs ignore it and succeed. */
static int restore_tsc_offsets(const int *vcpu_fds, uint64_t offset, struct undo *u,
			       struct clockmig_report *report)
{
	uint64_t back;

	for (unsigned int i = 0; i < u->nr_vcpus; i++) {
		if (tsc_attr(vcpu_fds[i], KVM_SET_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET, &offset))
			return clockmig_fail(report, "KVM_SET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET)",
					     "cannot set the TSC offset");
		u->vcpu[i].tsc_set = true;
		if (tsc_attr(vcpu_fds[i], KVM_GET_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET, &back))
			return clockmig_fail(report, "KVM_GET_DEVICE_ATTR(KVM_VCPU_TSC_OFFSET)",
					     "cannot read the TSC offset back");
		if (back != offset) {
			clockmig_note(report, "KVM ignored vCPU %u's TSC offset: %llu, not %llu", i,
				      (unsigned long long)back, (unsigned long long)offset);
			return CLOCKMIG_E_IGNORED;
		}
	}
	return CLOCKMIG_OK;
}

/* Slack for reading a TSC back: KVM may match a vCPU's write to an earlier one's. */
#define TSC_BACK_SLACK_NS	1000000

/*
 * Every vCPU's TSC by value, read back. KVM may give a vCPU the offset of
 * an earlier write of the same value, so the TSC read back lies between
 * the value and the value plus the time since the first write.
 */
static int restore_tsc_values(const int *vcpu_fds, uint64_t tsc, uint64_t hz, struct undo *u,
			      struct clockmig_report *report)
{
	uint64_t start = clockmig_now_ns(CLOCK_MONOTONIC), back, window;

	for (unsigned int i = 0; i < u->nr_vcpus; i++) {
		if (set_tsc_msr(vcpu_fds[i], tsc))
			return clockmig_fail(report,
					     "KVM_SET_MSRS(IA32_TSC)", "cannot set the TSC");
		u->vcpu[i].tsc_set = true;
		if (get_tsc_msr(vcpu_fds[i], &back))
			return clockmig_fail(report, "KVM_GET_MSRS(IA32_TSC)",
					     "cannot read the TSC back");
		window = clockmig_ns_to_ticks(clockmig_now_ns(CLOCK_MONOTONIC) - start +
					      TSC_BACK_SLACK_NS, hz);
		if (back - tsc > window) {
			clockmig_note(report,
				      "KVM ignored vCPU %u's TSC: it reads %llu, not about %llu",
				      i, (unsigned long long)back, (unsigned long long)tsc);
			return CLOCKMIG_E_IGNORED;
		}
	}
	return CLOCKMIG_OK;
}

/*
 * kvmclock as the source's function of the guest TSC. Setting the TSC
 * offsets left a masterclock update pending; should this kernel's
 * KVM_SET_CLOCK_GUEST refuse for that, KVM_GET_CLOCK performs it and says
 * whether the masterclock is on, and one retry follows.
 */
static int restore_clock_guest(int vm_fd, int vcpu_fd, const struct clockmig_state *s,
			       struct clockmig_report *report)
{
	struct clockmig_kvm_pvclock pv = {
		.tsc_timestamp = s->pvclock.tsc_timestamp,
		.system_time = s->pvclock.system_time,
		.tsc_to_system_mul = s->pvclock.tsc_to_system_mul,
		.tsc_shift = s->pvclock.tsc_shift,
		.flags = s->pvclock.flags,
	};
	struct kvm_clock_data data = {};

	if (!ioctl(vcpu_fd, CLOCKMIG_KVM_SET_CLOCK_GUEST, &pv))
		return 0;
	if (errno == EOPNOTSUPP && !ioctl(vm_fd, KVM_GET_CLOCK, &data) &&
	    (data.flags & KVM_CLOCK_TSC_STABLE) &&
	    !ioctl(vcpu_fd, CLOCKMIG_KVM_SET_CLOCK_GUEST, &pv))
		return 0;
	clockmig_note(report, "KVM_SET_CLOCK_GUEST: %s (%s)", strerror(errno),
		      errno == EOPNOTSUPP ? "no masterclock on the destination" :
		      errno == ERANGE ? "another guest TSC rate, or values out of range" :
		      "rejected");
	return -1;
}

/*
 * kvmclock by KVM_SET_CLOCK: KVM adds the realtime elapsed since
 * set.realtime. To freeze, that is the destination's sample, the instant
 * the TSC offset is for.
 */
static int restore_kvmclock(int vm_fd, const struct clockmig_state *s,
			    enum clockmig_policy policy, const struct kvm_clock_data *now,
			    struct clockmig_report *report)
{
	struct kvm_clock_data set = {
		.clock = s->kvmclock_ns,
		.realtime = policy == CLOCKMIG_FREEZE ? now->realtime : s->realtime_ns,
		.flags = KVM_CLOCK_REALTIME,
	};

	if (ioctl(vm_fd, KVM_SET_CLOCK, &set))
		return clockmig_fail(report, "KVM_SET_CLOCK", "cannot set kvmclock");
	return CLOCKMIG_OK;
}

/* Which of the offset methods can work here, before changing anything. */
static int plan_offsets(int vm_fd, const int *vcpu_fds, const struct clockmig_state *s,
			enum clockmig_policy policy, unsigned int flags, bool *precise,
			struct clockmig_report *report)
{
	struct tsc_scale sc;

	if (tsc_attr(vcpu_fds[0], KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET, NULL)) {
		clockmig_note(report, "no KVM_VCPU_TSC_OFFSET attribute");
		return CLOCKMIG_E_UNSUPPORTED;
	}
	if (policy == CLOCKMIG_SAME_HOST && !(s->have & CLOCKMIG_HAVE_KERNEL_SAMPLE)) {
		clockmig_note(report,
			      "same-host needs the saved TSC offset: the source saved by value");
		return CLOCKMIG_E_UNSUPPORTED;
	}
	if (!get_scale(vm_fd, vcpu_fds[0], &sc)) {
		clockmig_note(report, "TSC scaling ratio unknown (no KVM_VCPU_TSC_SCALE)");
		return CLOCKMIG_E_UNSUPPORTED;
	}
	*precise = false;
	if (!(flags & CLOCKMIG_ALLOW(CLOCKMIG_PRECISE)))
		;
	else if (!(s->have & CLOCKMIG_HAVE_KERNEL_SAMPLE))
		clockmig_note(report, "the source saved its TSC by value");
	else if (!(s->have & CLOCKMIG_HAVE_CLOCK_GUEST))
		clockmig_note(report, "the source saved no kvmclock parameters");
	else if (!clockmig_check_cap(vm_fd, KVM_CAP_CLOCK_GUEST))
		clockmig_note(report, "no KVM_CAP_CLOCK_GUEST here");
	else
		*precise = true;
	if (!*precise && !(flags & CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS)))
		return CLOCKMIG_E_UNSUPPORTED;
	return CLOCKMIG_OK;
}

/* The TSC offsets from one kernel sample per side, then kvmclock: PRECISE or OFFSETS. */
static int restore_offsets(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			   const struct clockmig_state *s, enum clockmig_policy policy,
			   unsigned int flags, struct clockmig_report *report)
{
	struct kvm_clock_data now = {};
	struct tsc_scale sc;
	bool precise;
	uint64_t offset;
	struct undo u;
	int r;

	r = plan_offsets(vm_fd, vcpu_fds, s, policy, flags, &precise, report);
	if (r)
		return r;
	r = undo_init(&u, vcpu_fds, nr_vcpus, true, report);
	if (r)
		goto out;

	r = restore_tsc_khz(vcpu_fds, s, flags, &u, report);
	if (!r)
		r = restore_get_scale(vm_fd, vcpu_fds, nr_vcpus, &sc, report);
	if (!r)
		r = restore_sample(vm_fd, vcpu_fds, &now, &u, report);
	if (!r)
		r = restore_offset(s, policy, &now, &sc, &offset, report);
	if (!r)
		r = restore_tsc_offsets(vcpu_fds, offset, &u, report);
	if (r)
		goto undo;
	report->applied_host_counter = now.host_tsc;
	report->applied_realtime_ns = now.realtime;

	if (precise && !restore_clock_guest(vm_fd, vcpu_fds[0], s, report)) {
		report->method = CLOCKMIG_PRECISE;
	} else if (flags & CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS)) {
		r = restore_kvmclock(vm_fd, s, policy, &now, report);
		if (r)
			goto undo;
		report->method = CLOCKMIG_OFFSETS;
	} else {
		r = CLOCKMIG_E_UNSUPPORTED;
		goto undo;
	}
	report->changed = undo_changed(&u);
	goto out;

undo:
	undo_all(vcpu_fds, &u, report);
	report->applied_host_counter = 0;
	report->applied_realtime_ns = 0;
out:
	free(u.vcpu);
	return r;
}

/* As VMMs do today: IA32_TSC and kvmclock by value. */
static int restore_by_value(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			    const struct clockmig_state *s, enum clockmig_policy policy,
			    unsigned int flags, struct clockmig_report *report)
{
	struct kvm_clock_data set = {};
	bool have_offset;
	uint64_t now, tsc = s->guest_counter;
	struct undo u;
	int r;

	if (policy == CLOCKMIG_SAME_HOST) {
		clockmig_note(report, "same-host needs the TSC offsets, not values");
		return CLOCKMIG_E_UNSUPPORTED;
	}
	have_offset = !tsc_attr(vcpu_fds[0], KVM_HAS_DEVICE_ATTR, KVM_VCPU_TSC_OFFSET, NULL);
	r = undo_init(&u, vcpu_fds, nr_vcpus, have_offset, report);
	if (r)
		goto out;
	r = restore_tsc_khz(vcpu_fds, s, flags, &u, report);
	if (r)
		goto undo;

	now = clockmig_now_ns(CLOCK_REALTIME);
	set.clock = s->kvmclock_ns;
	if (policy == CLOCKMIG_CATCH_UP) {
		if (clockmig_catch_up(s, now, "TSC", &tsc, report)) {
			r = CLOCKMIG_E_INVAL;
			goto undo;
		}
		set.clock += clockmig_elapsed_ns(s->realtime_ns, now);
	}
	r = restore_tsc_values(vcpu_fds, tsc, s->counter_hz, &u, report);
	if (r)
		goto undo;
	if (ioctl(vm_fd, KVM_SET_CLOCK, &set)) {
		r = clockmig_fail(report, "KVM_SET_CLOCK", "cannot set kvmclock");
		goto undo;
	}
	report->applied_realtime_ns = now;
	report->method = CLOCKMIG_BY_VALUE;
	report->changed = undo_changed(&u);
	goto out;

undo:
	undo_all(vcpu_fds, &u, report);
out:
	free(u.vcpu);
	return r;
}

int clockmig_x86_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			 const struct clockmig_state *s, enum clockmig_policy policy,
			 unsigned int flags, struct clockmig_report *report)
{
	int r = CLOCKMIG_E_UNSUPPORTED;

	if (flags & (CLOCKMIG_ALLOW(CLOCKMIG_PRECISE) | CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS))) {
		r = restore_offsets(vm_fd, vcpu_fds, nr_vcpus, s, policy, flags, report);
		/* Fall back only from a VM left as it was. */
		if (r != CLOCKMIG_E_UNSUPPORTED || report->changed)
			return r;
	}
	if (flags & CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE))
		return restore_by_value(vm_fd, vcpu_fds, nr_vcpus, s, policy, flags, report);
	return r;
}
#endif
