// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * clockmig's ioctl sequences against the fake KVM: what save captures,
 * what restore sets with each method and policy, what it does on each
 * kind of kernel, and, with a failure injected at every ioctl, that a
 * failed restore leaves the VM as it was or reports what it changed.
 */
#include <errno.h>
#include <string.h>

#include "clockmig.h"
#include "fake_kvm.h"
#include "test.h"

#define X86_HZ		2500000000ull
#define ARM64_HZ	24000000ull
#define MS		1000000ull

/* Everything a restore may change in a fake VM. */
struct image {
	struct fake_vcpu vcpu[FAKE_MAX_VCPUS];
	int64_t kvmclock_offset;
	bool pvclock_set, needs_kick;
	struct clockmig_kvm_pvclock pvclock;
	uint64_t voffset, poffset;
	bool vm_offset_flag;
};

static void image(const struct fake_vm *vm, struct image *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->vcpu, vm->vcpu, sizeof(im->vcpu));
	im->kvmclock_offset = vm->kvmclock_offset;
	im->pvclock_set = vm->pvclock_set;
	im->needs_kick = vm->needs_kick;
	im->pvclock = vm->pvclock;
	im->voffset = vm->voffset;
	im->poffset = vm->poffset;
	im->vm_offset_flag = vm->vm_offset_flag;
}

/* The CLOCKMIG_CHANGED_* bits that describe the differences. */
static unsigned int image_diff(const struct image *a, const struct image *b)
{
	unsigned int d = 0;

	for (int i = 0; i < FAKE_MAX_VCPUS; i++) {
		if (a->vcpu[i].khz != b->vcpu[i].khz || a->vcpu[i].ratio != b->vcpu[i].ratio)
			d |= CLOCKMIG_CHANGED_TSC_KHZ;
		if (a->vcpu[i].tsc_offset != b->vcpu[i].tsc_offset)
			d |= CLOCKMIG_CHANGED_TSC;
	}
	if (a->kvmclock_offset != b->kvmclock_offset || a->pvclock_set != b->pvclock_set ||
	    a->needs_kick != b->needs_kick || memcmp(&a->pvclock, &b->pvclock, sizeof(a->pvclock)))
		d |= CLOCKMIG_CHANGED_KVMCLOCK;
	if (a->voffset != b->voffset)
		d |= CLOCKMIG_CHANGED_COUNTER;
	if (a->vm_offset_flag != b->vm_offset_flag)
		d |= CLOCKMIG_CHANGED_VM_OFFSET;
	if (a->poffset != b->poffset)
		d |= CLOCKMIG_CHANGED_PHYS;
	return d;
}

static int save(struct fake_vm *vm, unsigned int nr, struct clockmig_state *s,
		struct clockmig_report *rep)
{
	return clockmig_save(fake_vm_fd(vm), fake_vcpu_fds(vm), nr, s, rep);
}

static int restore(struct fake_vm *vm, const struct clockmig_state *s, enum clockmig_policy p,
		   unsigned int flags, struct clockmig_report *rep)
{
	return clockmig_restore(fake_vm_fd(vm), fake_vcpu_fds(vm), vm->nr_vcpus, s, p, flags, rep);
}

/* A destination VM, made by @setup, for the failure injection runs. */
typedef void (*setup_fn)(struct fake_vm *vm);

/*
 * Restore with every ioctl failing in turn, alone (the undo works) and
 * with every later one (the undo fails too). The VM must be as it was,
 * or differ in no more than report->changed says; alone, the only
 * changes allowed are those in @approx, which the undo cannot make exact.
 */
static void check_failures(const char *what, setup_fn setup, unsigned int nr_vcpus,
			   const struct clockmig_state *s, enum clockmig_policy policy,
			   unsigned int flags, unsigned int approx)
{
	unsigned int n, bad_alone = 0, bad_all = 0, failed = 0;
	struct clockmig_report rep;
	struct image before, after;
	struct fake_vm *vm;
	int r;

	vm = fake_vm_new(nr_vcpus);
	setup(vm);
	fake_fail(0, 0, 0);
	r = restore(vm, s, policy, flags, &rep);
	n = fake_calls;
	CHECK(!r, "%s: restore: %s: %s", what, clockmig_strerror(r), rep.message);
	fake_vm_free(vm);

	for (unsigned int k = 1; k <= n; k++) {
		for (int all = 0; all < 2; all++) {
			vm = fake_vm_new(nr_vcpus);
			setup(vm);
			image(vm, &before);
			fake_fail(k, all ? ~0u : k, EIO);
			r = restore(vm, s, policy, flags, &rep);
			image(vm, &after);
			fake_fail(0, 0, 0);
			fake_vm_free(vm);
			if (!r)
				continue;
			failed++;
			if (image_diff(&before, &after) & ~rep.changed) {
				bad_all++;
				printf("# %s: ioctl %u%s failed: changed 0x%x, reported 0x%x: %s\n",
				       what, k, all ? " and on" : "", image_diff(&before, &after),
				       rep.changed, rep.message);
			}
			if (!all && (rep.changed & ~approx)) {
				bad_alone++;
				printf("# %s: ioctl %u failed alone: reported 0x%x changed: %s\n",
				       what, k, rep.changed, rep.message);
			}
		}
	}
	CHECK(!bad_all, "%s: %u failed restores changed more than they reported", what, bad_all);
	CHECK(!bad_alone, "%s: %u restores left changes the undo could have removed", what,
	      bad_alone);
	CHECK(failed, "%s: no injected failure made the restore fail", what);
}

/* x86 */

static struct fake_vm *x86_source(unsigned int nr_vcpus)
{
	struct fake_vm *vm = fake_vm_new(nr_vcpus);

	for (unsigned int i = 0; i < nr_vcpus; i++)
		vm->vcpu[i].tsc_offset = 123456789;
	vm->kvmclock_offset = 5000 * MS;
	return vm;
}

static void x86_dest_plain(struct fake_vm *vm)
{
	(void)vm;
}

/* Another frequency (scaling needed), unequal offsets: every step runs. */
static void x86_dest_scaled(struct fake_vm *vm)
{
	vm->tsc_control = true;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpu[i].khz = 2000000;
		vm->vcpu[i].ratio = (4ull << vm->frac_bits) / 5;
		vm->vcpu[i].tsc_offset = 1000 * i;
	}
}

static void x86_dest_kick(struct fake_vm *vm)
{
	vm->needs_kick = true;
	vm->clock_guest = false;
}

static void x86_dest_old(struct fake_vm *vm)
{
	vm->offset_attr = vm->scale_attr = vm->clock_guest = false;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vm->vcpu[i].tsc_offset = 777 * i;
}

static uint64_t guest_tsc_at(const struct fake_vm *vm, unsigned int i, uint64_t counter)
{
	return fake_guest_tsc(vm, i, counter);
}

static void test_x86_save(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	struct fake_vm *vm;
	int r;

	fake_reset(CLOCKMIG_ARCH_X86_64, X86_HZ);
	vm = x86_source(3);
	fake_set_calls = 0;
	r = save(vm, 3, &s, &rep);
	CHECK(!r, "save: %s", rep.message);
	CHECK(!fake_set_calls, "save changes nothing");
	CHECK(s.have == (CLOCKMIG_HAVE_KERNEL_SAMPLE | CLOCKMIG_HAVE_REALTIME |
			 CLOCKMIG_HAVE_CLOCK_GUEST), "have 0x%x", s.have);
	CHECK(s.nr_vcpus == 3 && s.counter_hz == X86_HZ, "vCPUs and rate");
	CHECK(s.guest_counter == guest_tsc_at(vm, 0, s.host_counter) &&
	      s.realtime_ns == fake_realtime(s.host_counter) &&
	      s.kvmclock_ns == fake_kvmclock(vm, s.host_counter),
	      "guest TSC, realtime and kvmclock at one instant");
	CHECK(s.tsc_offset == 123456789 && s.tsc_ratio == 1 && s.tsc_frac_bits == 0,
	      "offset and scale");

	/* Every vCPU is checked; the first that differs is named. */
	vm->vcpu[2].tsc_offset++;
	r = save(vm, 3, &s, &rep);
	CHECK(r == CLOCKMIG_E_VCPUS && strstr(rep.message, "vCPU 2's TSC offset"),
	      "a differing TSC offset: %d: %s", r, rep.message);
	/* The masterclock is off then: by value, vCPU 0's TSC. */
	CHECK(!(s.have & CLOCKMIG_HAVE_KERNEL_SAMPLE) &&
	      guest_tsc_at(vm, 0, fake_host.counter) - s.guest_counter < 10000,
	      "the state still holds vCPU 0's");
	vm->vcpu[2].tsc_offset--;
	vm->vcpu[1].khz = 2400000;
	r = save(vm, 3, &s, &rep);
	CHECK(r == CLOCKMIG_E_VCPUS && strstr(rep.message, "vCPU 1's TSC frequency"),
	      "a differing TSC frequency: %s", rep.message);

	/* Kernels without the attribute, or without the pair, save by value. */
	vm->vcpu[1].khz = vm->vcpu[0].khz;
	vm->offset_attr = false;
	r = save(vm, 3, &s, &rep);
	CHECK(!r && !(s.have & CLOCKMIG_HAVE_KERNEL_SAMPLE) && !s.host_counter && !s.tsc_ratio,
	      "no offset attribute: by value (%s)", rep.message);
	vm->offset_attr = true;
	vm->scale_attr = false;
	vm->tsc_control = true;
	r = save(vm, 3, &s, &rep);
	CHECK(!r && !(s.have & CLOCKMIG_HAVE_KERNEL_SAMPLE), "scale unknown: by value");
	vm->tsc_control = false;
	r = save(vm, 3, &s, &rep);
	CHECK(!r && (s.have & CLOCKMIG_HAVE_KERNEL_SAMPLE) && s.tsc_ratio == 1,
	      "no attribute and no scaling: 1:1");
	vm->clock_guest = false;
	r = save(vm, 3, &s, &rep);
	CHECK(!r && !(s.have & CLOCKMIG_HAVE_CLOCK_GUEST), "no KVM_CAP_CLOCK_GUEST");
	vm->clock_guest = true;
	vm->needs_kick = true;
	r = save(vm, 3, &s, &rep);
	CHECK(!r && !(s.have & CLOCKMIG_HAVE_KERNEL_SAMPLE) && !(s.have & CLOCKMIG_HAVE_CLOCK_GUEST),
	      "no masterclock: by value, no parameters");
	CHECK(!fake_set_calls, "save never changes anything");
	fake_vm_free(vm);
}

static void test_x86_restore(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	struct fake_vm *src, *dst;
	uint64_t want;
	int r;

	fake_reset(CLOCKMIG_ARCH_X86_64, X86_HZ);
	src = x86_source(2);
	CHECK(!save(src, 2, &s, &rep), "save");
	fake_host.counter += 3 * X86_HZ / 1000;

	/* Precise, catch-up: kvmclock the source's function, bit for bit. */
	dst = fake_vm_new(2);
	dst->vcpu[1].tsc_offset = 42;
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && rep.method == CLOCKMIG_PRECISE, "precise: %d %s", r, rep.message);
	CHECK(dst->pvclock_set && dst->set_guest_arg.tsc_timestamp == s.pvclock.tsc_timestamp &&
	      dst->set_guest_arg.system_time == s.pvclock.system_time &&
	      dst->set_guest_arg.tsc_to_system_mul == s.pvclock.tsc_to_system_mul &&
	      dst->set_guest_arg.tsc_shift == s.pvclock.tsc_shift &&
	      dst->set_guest_arg.flags == s.pvclock.flags && !dst->set_guest_arg.version &&
	      !dst->set_guest_arg.pad0 && !dst->set_guest_arg.pad[0] && !dst->set_guest_arg.pad[1],
	      "KVM_SET_CLOCK_GUEST gets the saved fields unchanged");
	CHECK(dst->vcpu[0].tsc_offset == dst->vcpu[1].tsc_offset, "one offset for every vCPU");
	want = s.guest_counter + clockmig_ns_to_ticks(rep.applied_realtime_ns - s.realtime_ns,
						      s.counter_hz);
	CHECK(guest_tsc_at(dst, 1, rep.applied_host_counter) == want &&
	      rep.applied_realtime_ns == fake_realtime(rep.applied_host_counter),
	      "catch-up: the TSC advanced by the realtime elapsed");
	CHECK(rep.changed == (CLOCKMIG_CHANGED_TSC | CLOCKMIG_CHANGED_KVMCLOCK), "changed 0x%x",
	      rep.changed);
	fake_vm_free(dst);

	/* Freeze: the TSC where it stopped, at the destination's sample. */
	dst = fake_vm_new(2);
	r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && rep.method == CLOCKMIG_PRECISE &&
	      guest_tsc_at(dst, 0, rep.applied_host_counter) == s.guest_counter, "freeze");
	fake_vm_free(dst);

	/* Same host: the saved offset itself. */
	dst = fake_vm_new(2);
	r = restore(dst, &s, CLOCKMIG_SAME_HOST, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && rep.method == CLOCKMIG_PRECISE && dst->vcpu[0].tsc_offset == s.tsc_offset &&
	      dst->vcpu[1].tsc_offset == s.tsc_offset, "same host: %s", rep.message);
	fake_vm_free(dst);
	dst = fake_vm_new(2);
	dst->tsc_control = true;
	dst->vcpu[0].ratio = dst->vcpu[1].ratio = 1ull << 48;
	r = restore(dst, &s, CLOCKMIG_SAME_HOST, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(r == CLOCKMIG_E_INVAL && !rep.changed && dst->vcpu[1].tsc_offset != s.tsc_offset,
	      "same host refused when the scale differs: %s", rep.message);
	fake_vm_free(dst);

	/* Offsets + realtime: KVM_SET_CLOCK from the source's realtime. */
	dst = fake_vm_new(2);
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS), &rep);
	want = s.guest_counter + clockmig_ns_to_ticks(rep.applied_realtime_ns - s.realtime_ns,
						      s.counter_hz);
	CHECK(!r && rep.method == CLOCKMIG_OFFSETS && !dst->pvclock_set &&
	      guest_tsc_at(dst, 0, rep.applied_host_counter) == want &&
	      fake_kvmclock(dst, rep.applied_host_counter) ==
	      s.kvmclock_ns + rep.applied_realtime_ns - s.realtime_ns,
	      "offsets: TSC and kvmclock caught up: %s", rep.message);
	fake_vm_free(dst);

	/* A vCPU count that differs from the state's: nothing is touched. */
	dst = fake_vm_new(3);
	fake_set_calls = 0;
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(r == CLOCKMIG_E_VCPUS && !fake_set_calls, "3 vCPUs for a 2-vCPU state");
	fake_vm_free(dst);

	/* Bad arguments. */
	dst = fake_vm_new(2);
	CHECK(restore(dst, &s, 3, CLOCKMIG_ALLOW_ALL, &rep) == CLOCKMIG_E_INVAL, "policy");
	CHECK(restore(dst, &s, CLOCKMIG_FREEZE, 0, &rep) == CLOCKMIG_E_INVAL, "no method");
	CHECK(restore(dst, &s, CLOCKMIG_FREEZE, 1u << 20, &rep) == CLOCKMIG_E_INVAL, "flag");
	s.arch = CLOCKMIG_ARCH_ARM64;
	CHECK(restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL, &rep) == CLOCKMIG_E_ARCH,
	      "arch");
	fake_vm_free(dst);
	fake_vm_free(src);
}

static void test_x86_kernels(void)
{
	struct clockmig_report rep;
	struct clockmig_state s, sv;
	struct fake_vm *src, *dst;
	int r;

	fake_reset(CLOCKMIG_ARCH_X86_64, X86_HZ);
	src = x86_source(2);
	CHECK(!save(src, 2, &s, &rep), "save");
	src->offset_attr = false;
	CHECK(!save(src, 2, &sv, &rep), "save by value");
	src->offset_attr = true;

	/* No KVM_CAP_CLOCK_GUEST: offsets + realtime. */
	dst = fake_vm_new(2);
	dst->clock_guest = false;
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && rep.method == CLOCKMIG_OFFSETS, "no capability: %s", rep.message);
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW(CLOCKMIG_PRECISE), &rep);
	CHECK(r == CLOCKMIG_E_UNSUPPORTED && !rep.changed, "precise only: unsupported");
	fake_vm_free(dst);

	/* Masterclock only after KVM_SET_CLOCK: restore starts it. */
	dst = fake_vm_new(2);
	x86_dest_kick(dst);
	r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && rep.method == CLOCKMIG_OFFSETS &&
	      guest_tsc_at(dst, 0, rep.applied_host_counter) == s.guest_counter,
	      "kick: %s", rep.message);
	fake_vm_free(dst);

	/* A SET that does not do the pending masterclock update: one retry. */
	dst = fake_vm_new(2);
	dst->set_guest_needs_update = true;
	dst->vcpu[1].tsc_offset = 5;
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW(CLOCKMIG_PRECISE), &rep);
	CHECK(!r && rep.method == CLOCKMIG_PRECISE, "retry: %s", rep.message);
	fake_vm_free(dst);

	/* Before 5.16: by value, on every vCPU. */
	dst = fake_vm_new(2);
	x86_dest_old(dst);
	r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && rep.method == CLOCKMIG_BY_VALUE, "by value: %s", rep.message);
	for (unsigned int i = 0; i < 2; i++)
		CHECK(guest_tsc_at(dst, i, fake_host.counter) - s.guest_counter < 10000,
		      "by value: vCPU %u's TSC set", i);
	r = restore(dst, &sv, CLOCKMIG_SAME_HOST, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(r == CLOCKMIG_E_UNSUPPORTED && !rep.changed, "same host needs offsets");
	fake_vm_free(dst);

	/* A KVM that ignores TSC writes (seen on a real one): an error, VM unchanged. */
	for (int m = CLOCKMIG_PRECISE; m <= CLOCKMIG_BY_VALUE; m++) {
		struct image before, after;

		dst = fake_vm_new(2);
		if (m == CLOCKMIG_BY_VALUE)
			x86_dest_old(dst);
		dst->ignore_tsc_writes = true;
		image(dst, &before);
		r = restore(dst, m == CLOCKMIG_BY_VALUE ? &sv : &s, CLOCKMIG_FREEZE,
			    CLOCKMIG_ALLOW(m), &rep);
		image(dst, &after);
		CHECK(r == CLOCKMIG_E_IGNORED && !image_diff(&before, &after) &&
		      strstr(rep.message, "ignored"), "ignored TSC writes, %s: %d: %s",
		      clockmig_method_name(m), r, rep.message);
		fake_vm_free(dst);
	}

	/* A source saved by value still restores with offsets. */
	dst = fake_vm_new(2);
	r = restore(dst, &sv, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && rep.method == CLOCKMIG_OFFSETS, "by-value source: %s", rep.message);
	fake_vm_free(dst);
	fake_vm_free(src);
}

/* KVM's 250 ppm: inside, no scaling needed; outside, scaling or an error. */
static void test_x86_frequency(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	struct fake_vm *dst;
	int r;

	fake_reset(CLOCKMIG_ARCH_X86_64, X86_HZ);
	dst = x86_source(2);
	CHECK(!save(dst, 2, &s, &rep), "save");
	fake_vm_free(dst);

	s.counter_hz = X86_HZ + X86_HZ / 10000;		/* 100 ppm */
	fake_rate_params(s.counter_hz, &s.pvclock.tsc_to_system_mul, &s.pvclock.tsc_shift);
	dst = fake_vm_new(2);
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && dst->vcpu[0].khz == s.counter_hz / 1000 && dst->vcpu[0].ratio == 1,
	      "within tolerance: %s", rep.message);
	fake_vm_free(dst);

	s.counter_hz = X86_HZ + X86_HZ / 1000;		/* 1000 ppm */
	fake_rate_params(s.counter_hz, &s.pvclock.tsc_to_system_mul, &s.pvclock.tsc_shift);
	dst = fake_vm_new(2);
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(r == CLOCKMIG_E_FREQ && !rep.changed && rep.ioctl &&
	      !strcmp(rep.ioctl, "KVM_SET_TSC_KHZ") && dst->vcpu[0].khz == X86_HZ / 1000,
	      "outside without scaling: %d %s", r, rep.message);
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL | CLOCKMIG_FORCE_FREQ, &rep);
	CHECK(!r && rep.method == CLOCKMIG_OFFSETS && dst->vcpu[0].khz == X86_HZ / 1000,
	      "forced: at this host's rate, kvmclock by realtime: %s", rep.message);
	fake_vm_free(dst);

	/* Forced, but KVM keeps reporting the refused rate: not restored. */
	dst = fake_vm_new(2);
	dst->khz_stuck = true;
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL | CLOCKMIG_FORCE_FREQ, &rep);
	CHECK(r == CLOCKMIG_E_FREQ && rep.ioctl && !strcmp(rep.ioctl, "KVM_SET_TSC_KHZ") &&
	      rep.changed & CLOCKMIG_CHANGED_TSC_KHZ,
	      "forced, refused rate stuck: %d %s", r, rep.message);
	fake_vm_free(dst);

	dst = fake_vm_new(2);
	dst->tsc_control = true;
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && rep.method == CLOCKMIG_PRECISE && dst->vcpu[1].khz == s.counter_hz / 1000 &&
	      dst->vcpu[1].ratio != 1ull << 48 && rep.changed & CLOCKMIG_CHANGED_TSC_KHZ,
	      "outside with scaling: %s", rep.message);
	fake_vm_free(dst);
}

static void test_x86_failures(void)
{
	struct clockmig_report rep;
	struct clockmig_state s, sv;
	struct fake_vm *src;

	fake_reset(CLOCKMIG_ARCH_X86_64, X86_HZ);
	src = x86_source(2);
	CHECK(!save(src, 2, &s, &rep), "save");
	src->offset_attr = false;
	CHECK(!save(src, 2, &sv, &rep), "save by value");
	fake_vm_free(src);

	check_failures("x86 precise", x86_dest_scaled, 2, &s, CLOCKMIG_CATCH_UP,
		       CLOCKMIG_ALLOW(CLOCKMIG_PRECISE), 0);
	check_failures("x86 any method", x86_dest_scaled, 2, &s, CLOCKMIG_FREEZE,
		       CLOCKMIG_ALLOW_ALL, 0);
	check_failures("x86 same host", x86_dest_plain, 2, &s, CLOCKMIG_SAME_HOST,
		       CLOCKMIG_ALLOW_ALL, 0);
	check_failures("x86 kick", x86_dest_kick, 2, &s, CLOCKMIG_CATCH_UP,
		       CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS), CLOCKMIG_CHANGED_KVMCLOCK);
	check_failures("x86 by value", x86_dest_old, 2, &sv, CLOCKMIG_CATCH_UP,
		       CLOCKMIG_ALLOW_ALL, CLOCKMIG_CHANGED_TSC);
}

/* arm64 */

static struct fake_vm *arm64_vm(unsigned int nr_vcpus)
{
	return fake_vm_new(nr_vcpus);
}

static uint64_t vcounter(const struct fake_vm *vm, uint64_t host)
{
	return host - vm->voffset;
}

static uint64_t pcounter(const struct fake_vm *vm, uint64_t host)
{
	return host - vm->poffset;
}

static void test_arm64_save(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	struct fake_vm *vm;
	int r;

	fake_reset(CLOCKMIG_ARCH_ARM64, ARM64_HZ);
	vm = arm64_vm(2);
	fake_host.counter += 10 * ARM64_HZ;
	fake_set_calls = 0;
	r = save(vm, 2, &s, &rep);
	CHECK(!r && s.have == (CLOCKMIG_HAVE_KERNEL_SAMPLE | CLOCKMIG_HAVE_REALTIME |
			       CLOCKMIG_HAVE_PHYS), "snapshot: have 0x%x", s.have);
	CHECK(s.host_counter == vm->last_snapshot_counter &&
	      s.guest_counter == vcounter(vm, s.host_counter) &&
	      s.guest_phys_counter == pcounter(vm, s.host_counter) &&
	      s.realtime_ns == fake_realtime(s.host_counter) && s.counter_hz == ARM64_HZ,
	      "one instant, both counters");

	/* Another clocksource: the snapshot's realtime field is not used. */
	vm->snap_realtime = false;
	r = save(vm, 2, &s, &rep);
	CHECK(!r && !(s.have & CLOCKMIG_HAVE_REALTIME) && s.realtime_ns &&
	      s.realtime_ns - fake_realtime(s.host_counter) + 1000 < 2000,
	      "no kernel realtime: a userspace estimate, %lld ns off",
	      (long long)(s.realtime_ns - fake_realtime(s.host_counter)));

	/* Before the series: by value, both counters, every vCPU read. */
	vm->snapshot = false;
	r = save(vm, 2, &s, &rep);
	CHECK(!r && s.have == CLOCKMIG_HAVE_PHYS, "by value: have 0x%x", s.have);
	CHECK(vcounter(vm, s.host_counter) - s.guest_counter + 110 <= 220 &&
	      pcounter(vm, s.host_counter) - s.guest_phys_counter + 110 <= 220,
	      "by value: the counters at host_counter, within the read's latency");
	CHECK(!fake_set_calls, "save changes nothing");

	/*
	 * One offset for both counters (KVM_ARM_SET_COUNTER_OFFSET), each
	 * read at another point of its ioctl: the reads cannot tell the
	 * offsets apart, so the counters are saved equal, and a restore
	 * with KEEP_PHYS does not fall back to by value for them.
	 */
	vm->poffset = vm->voffset;
	fake_host.reg_lag = 40;
	/* Each read within its ioctl: 2 * reg_lag before its end at most. */
	CHECK(2 * fake_host.reg_lag < fake_host.ioctl_ticks, "reg_lag within an ioctl");
	r = save(vm, 2, &s, &rep);
	CHECK(!r && s.guest_phys_counter == s.guest_counter,
	      "by value, one offset: the counters saved equal (%lld apart)",
	      (long long)(s.guest_phys_counter - s.guest_counter));
	{
		struct clockmig_report rrep;
		struct fake_vm *dst = arm64_vm(2);

		dst->snapshot = false;
		r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL | CLOCKMIG_KEEP_PHYS,
			    &rrep);
		CHECK(!r && rrep.method == CLOCKMIG_OFFSETS &&
		      (rrep.changed & CLOCKMIG_CHANGED_VM_OFFSET) && dst->voffset == dst->poffset,
		      "KEEP_PHYS, one offset saved by value: through the offset: %s",
		      rrep.message);
		fake_vm_free(dst);
	}
	/* Offsets that the reads tell apart are both kept. */
	vm->poffset = vm->voffset - 1000;
	r = save(vm, 2, &s, &rep);
	CHECK(!r && s.guest_phys_counter - s.guest_counter + 80 - 1000 <= 160,
	      "by value, 1000 ticks apart: %lld apart",
	      (long long)(s.guest_phys_counter - s.guest_counter));
	fake_host.reg_lag = 0;

	/*
	 * Reads that take 10 ms each, offsets 2 ms apart: the spans overlap,
	 * but are too wide to tell, so both counters are kept.
	 */
	fake_host.ioctl_ticks = ARM64_HZ / 100;
	vm->poffset = vm->voffset - ARM64_HZ / 500;
	r = save(vm, 2, &s, &rep);
	CHECK(!r && s.guest_phys_counter - s.guest_counter == ARM64_HZ / 500,
	      "by value, slow reads, 2 ms apart: %lld apart",
	      (long long)(s.guest_phys_counter - s.guest_counter));
	fake_host.ioctl_ticks = 97;
	fake_vm_free(vm);
}

/* Review point 14: freeze is exact and never uses realtime. */
static void test_arm64_freeze(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	struct fake_vm *src, *dst;
	uint64_t before;
	int r;

	for (int rt = 0; rt < 2; rt++) {
		fake_reset(CLOCKMIG_ARCH_ARM64, ARM64_HZ);
		src = arm64_vm(2);
		src->snap_realtime = rt;
		fake_host.counter += 5 * ARM64_HZ;
		CHECK(!save(src, 2, &s, &rep), "save");
		fake_host.counter += 3 * ARM64_HZ;
		dst = arm64_vm(2);
		dst->snap_realtime = rt;
		before = fake_host.counter;
		r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL, &rep);
		CHECK(!r && rep.method == CLOCKMIG_PRECISE, "freeze (realtime %d): %s", rt,
		      rep.message);
		CHECK(rep.applied_host_counter > before &&
		      rep.applied_host_counter < dst->last_snapshot_counter,
		      "the destination snapshot's instant");
		CHECK(vcounter(dst, rep.applied_host_counter) == s.guest_counter,
		      "freeze exact (realtime %d): %lld cycles off", rt,
		      (long long)(vcounter(dst, rep.applied_host_counter) - s.guest_counter));
		CHECK(rep.applied_realtime_ns == (rt ? fake_realtime(rep.applied_host_counter) : 0),
		      "applied realtime only from the kernel");
		fake_vm_free(dst);

		/* Without a snapshot at the destination: exact at the userspace read. */
		dst = arm64_vm(2);
		dst->snapshot = false;
		r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL, &rep);
		CHECK(!r && rep.method == CLOCKMIG_OFFSETS &&
		      vcounter(dst, rep.applied_host_counter) == s.guest_counter,
		      "freeze with offsets: %s", rep.message);
		fake_vm_free(dst);
		fake_vm_free(src);
	}
}

static void test_arm64_catch_up(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	struct fake_vm *src, *dst;
	uint64_t want, got;
	int r;

	fake_reset(CLOCKMIG_ARCH_ARM64, ARM64_HZ);
	src = arm64_vm(2);
	CHECK(!save(src, 2, &s, &rep), "save");
	/* 10 s: past the 4.29 s of a 32-bit nanosecond count. */
	fake_host.counter += 10 * ARM64_HZ;
	dst = arm64_vm(2);
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	want = s.guest_counter + clockmig_ns_to_ticks(rep.applied_realtime_ns - s.realtime_ns,
						      ARM64_HZ);
	CHECK(!r && rep.method == CLOCKMIG_PRECISE && vcounter(dst, rep.applied_host_counter) == want,
	      "catch-up exact to the rounding: %s", rep.message);
	CHECK(want - s.guest_counter >= 10 * ARM64_HZ && want - s.guest_counter < 11 * ARM64_HZ,
	      "10 s of cycles");
	fake_vm_free(dst);

	/* No kernel realtime here: not precise, and no decades added. */
	dst = arm64_vm(2);
	dst->snap_realtime = false;
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	got = vcounter(dst, rep.applied_host_counter);
	want = s.guest_counter + clockmig_ns_to_ticks(fake_realtime(rep.applied_host_counter) -
						      s.realtime_ns, ARM64_HZ);
	CHECK(!r && rep.method == CLOCKMIG_OFFSETS && got - want + 2 <= 4,
	      "catch-up from a userspace pair: %lld cycles off: %s", (long long)(got - want),
	      rep.message);
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW(CLOCKMIG_PRECISE), &rep);
	CHECK(r == CLOCKMIG_E_UNSUPPORTED, "precise needs the kernel's realtime");
	fake_vm_free(dst);

	/* No kernel realtime at the source: its snapshot's field is never used. */
	fake_vm_free(src);
	src = arm64_vm(2);
	src->snap_realtime = false;
	CHECK(!save(src, 2, &s, &rep), "save");
	fake_host.counter += 2 * ARM64_HZ;
	dst = arm64_vm(2);
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	got = vcounter(dst, rep.applied_host_counter);
	want = s.guest_counter + clockmig_ns_to_ticks(rep.applied_realtime_ns - s.realtime_ns,
						      ARM64_HZ);
	CHECK(!r && rep.method == CLOCKMIG_OFFSETS && got - want + 2 <= 4 &&
	      got - vcounter(src, rep.applied_host_counter) + 2 <= 4,
	      "catch-up from a source without kernel realtime: %lld cycles off: %s",
	      (long long)(got - want), rep.message);
	fake_vm_free(dst);

	/* The destination's realtime behind the source's: no catch-up, no step back. */
	fake_host.realtime0_ns -= 60000000000ull;
	dst = arm64_vm(2);
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && vcounter(dst, rep.applied_host_counter) == s.guest_counter &&
	      strstr(rep.message, "behind"), "negative elapsed: %s", rep.message);
	fake_vm_free(dst);
	fake_vm_free(src);
}

static void test_arm64_same_host(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	struct fake_vm *src, *dst;
	int r;

	fake_reset(CLOCKMIG_ARCH_ARM64, ARM64_HZ);
	src = arm64_vm(1);
	CHECK(!save(src, 1, &s, &rep), "save");
	fake_host.counter += ARM64_HZ;
	dst = arm64_vm(1);
	r = restore(dst, &s, CLOCKMIG_SAME_HOST, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && rep.method == CLOCKMIG_PRECISE && dst->voffset == src->voffset &&
	      (rep.changed & CLOCKMIG_CHANGED_VM_OFFSET),
	      "same host: the saved offset: %s", rep.message);
	fake_vm_free(dst);
	fake_host.counter = s.host_counter - ARM64_HZ;
	dst = arm64_vm(1);
	r = restore(dst, &s, CLOCKMIG_SAME_HOST, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(r == CLOCKMIG_E_INVAL && !rep.changed && !dst->vm_offset_flag,
	      "a host counter behind the saved one: %s", rep.message);
	fake_vm_free(dst);
	fake_vm_free(src);
}

/* Review point 15: writes KVM ignores, the physical counter, CNTFRQ. */
static void test_arm64_by_value(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	struct fake_vm *src, *dst;
	uint64_t voffset;
	int r;

	fake_reset(CLOCKMIG_ARCH_ARM64, ARM64_HZ);
	src = arm64_vm(2);
	CHECK(!save(src, 2, &s, &rep), "save");
	fake_host.counter += ARM64_HZ / 100;

	dst = arm64_vm(2);
	r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE), &rep);
	CHECK(!r && rep.method == CLOCKMIG_BY_VALUE, "by value: %s", rep.message);
	CHECK(vcounter(dst, rep.applied_host_counter) - s.guest_counter + 200 <= 400,
	      "by value: the virtual counter within the write's latency");
	CHECK(dst->voffset - dst->poffset == src->voffset - src->poffset,
	      "by value: both counters, their distance kept");
	CHECK(!rep.not_restored, "nothing lost");
	fake_vm_free(dst);

	/* After KVM_ARM_SET_COUNTER_OFFSET, KVM ignores the write: an error. */
	dst = arm64_vm(2);
	dst->vm_offset_flag = true;
	voffset = dst->voffset;
	r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE), &rep);
	CHECK(r == CLOCKMIG_E_IGNORED && !rep.changed && dst->voffset == voffset,
	      "an ignored write is an error: %d: %s", r, rep.message);
	fake_vm_free(dst);

	/* Before 6.4 the physical counter has no offset: said, not hidden. */
	dst = arm64_vm(2);
	dst->ptimer_offset = false;
	r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE), &rep);
	CHECK(!r && rep.not_restored == CLOCKMIG_NOT_RESTORED_PHYS && !dst->poffset,
	      "no physical offset: reported: %s", rep.message);
	r = restore(dst, &s, CLOCKMIG_FREEZE,
		    CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE) | CLOCKMIG_KEEP_PHYS, &rep);
	CHECK(r == CLOCKMIG_E_IGNORED && rep.changed == CLOCKMIG_CHANGED_COUNTER,
	      "KEEP_PHYS: refused, the virtual counter put back by value: %s", rep.message);
	CHECK(!dst->vm_offset_flag && !(rep.changed & CLOCKMIG_CHANGED_VM_OFFSET),
	      "an undone by-value write does not say the VM offset was set");
	fake_vm_free(dst);
	fake_vm_free(src);
}

static void test_arm64_phys(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	struct fake_vm *src, *dst;
	int64_t delta;
	int r;

	fake_reset(CLOCKMIG_ARCH_ARM64, ARM64_HZ);
	src = arm64_vm(1);
	fake_host.counter += ARM64_HZ;
	CHECK(!save(src, 1, &s, &rep), "save");
	delta = (int64_t)(s.guest_phys_counter - s.guest_counter);
	CHECK(delta > 0, "a fresh VM's physical counter is ahead of its virtual one");

	dst = arm64_vm(1);
	r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && rep.method == CLOCKMIG_PRECISE &&
	      rep.not_restored == CLOCKMIG_NOT_RESTORED_PHYS && rep.phys_moved == -delta &&
	      dst->poffset == dst->voffset, "one offset for both: the loss reported: %s",
	      rep.message);
	fake_vm_free(dst);

	dst = arm64_vm(1);
	r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL | CLOCKMIG_KEEP_PHYS, &rep);
	CHECK(!r && rep.method == CLOCKMIG_BY_VALUE && !rep.not_restored &&
	      (int64_t)(dst->voffset - dst->poffset) == delta,
	      "KEEP_PHYS: by value, both restored: %s", rep.message);
	fake_vm_free(dst);

	/* Equal offsets (a VM restored before): nothing to lose. */
	src->poffset = src->voffset;
	CHECK(!save(src, 1, &s, &rep), "save");
	dst = arm64_vm(1);
	r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL | CLOCKMIG_KEEP_PHYS, &rep);
	CHECK(!r && rep.method == CLOCKMIG_PRECISE && !rep.not_restored, "equal offsets");
	fake_vm_free(dst);
	fake_vm_free(src);
}

static void test_arm64_frequency(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	uint8_t buf[CLOCKMIG_ENCODED_SIZE];
	struct fake_vm *src, *dst;
	int r;

	fake_reset(CLOCKMIG_ARCH_ARM64, ARM64_HZ);
	src = arm64_vm(1);
	CHECK(!save(src, 1, &s, &rep), "save");
	dst = arm64_vm(1);
	dst->cntfrq = 25000000;
	fake_set_calls = 0;
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(r == CLOCKMIG_E_FREQ && !fake_set_calls, "another CNTFRQ: an error: %s", rep.message);
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL | CLOCKMIG_FORCE_FREQ, &rep);
	CHECK(!r && rep.method == CLOCKMIG_PRECISE, "forced: %s", rep.message);
	fake_vm_free(dst);

	/* CNTFRQ_EL0 of 0: saved, encoded, decoded; freeze works, catch-up cannot. */
	src->cntfrq = 0;
	CHECK(!save(src, 1, &s, &rep) && !s.counter_hz, "save with CNTFRQ 0");
	CHECK(clockmig_encode(&s, buf, sizeof(buf)) == CLOCKMIG_ENCODED_SIZE &&
	      !clockmig_decode(buf, sizeof(buf), &s), "round trip with CNTFRQ 0");
	dst = arm64_vm(1);
	dst->cntfrq = 0;
	r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(!r && vcounter(dst, rep.applied_host_counter) == s.guest_counter, "freeze at 0 Hz");
	r = restore(dst, &s, CLOCKMIG_CATCH_UP, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(r == CLOCKMIG_E_INVAL, "catch-up at 0 Hz refused");
	fake_vm_free(dst);
	fake_vm_free(src);
}

static void test_arm64_busy(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	struct fake_vm *src, *dst;
	int r;

	fake_reset(CLOCKMIG_ARCH_ARM64, ARM64_HZ);
	src = arm64_vm(1);
	CHECK(!save(src, 1, &s, &rep), "save");
	dst = arm64_vm(1);
	dst->busy = true;
	r = restore(dst, &s, CLOCKMIG_FREEZE, CLOCKMIG_ALLOW_ALL, &rep);
	CHECK(r == CLOCKMIG_E_KVM && rep.err == EBUSY && strstr(rep.message, "stop the vCPUs") &&
	      !rep.changed && !dst->vm_offset_flag, "EBUSY: %s", rep.message);
	fake_vm_free(dst);
	fake_vm_free(src);
}

static void arm64_dest_plain(struct fake_vm *vm)
{
	(void)vm;
}

static void arm64_dest_no_snapshot(struct fake_vm *vm)
{
	vm->snapshot = false;
}

static void test_arm64_failures(void)
{
	struct clockmig_report rep;
	struct clockmig_state s;
	struct fake_vm *src;

	fake_reset(CLOCKMIG_ARCH_ARM64, ARM64_HZ);
	src = arm64_vm(2);
	fake_host.counter += ARM64_HZ;
	CHECK(!save(src, 2, &s, &rep), "save");
	fake_vm_free(src);
	/* The offset is the last change: once set, there is nothing to undo. */
	check_failures("arm64 precise", arm64_dest_plain, 2, &s, CLOCKMIG_CATCH_UP,
		       CLOCKMIG_ALLOW(CLOCKMIG_PRECISE),
		       CLOCKMIG_CHANGED_COUNTER | CLOCKMIG_CHANGED_PHYS |
		       CLOCKMIG_CHANGED_VM_OFFSET);
	check_failures("arm64 offsets", arm64_dest_no_snapshot, 2, &s, CLOCKMIG_FREEZE,
		       CLOCKMIG_ALLOW(CLOCKMIG_OFFSETS),
		       CLOCKMIG_CHANGED_COUNTER | CLOCKMIG_CHANGED_PHYS |
		       CLOCKMIG_CHANGED_VM_OFFSET);
	check_failures("arm64 by value", arm64_dest_plain, 2, &s, CLOCKMIG_CATCH_UP,
		       CLOCKMIG_ALLOW(CLOCKMIG_BY_VALUE),
		       CLOCKMIG_CHANGED_COUNTER | CLOCKMIG_CHANGED_PHYS);
}

void test_fake_x86(void)
{
	test_x86_save();
	test_x86_restore();
	test_x86_kernels();
	test_x86_frequency();
	test_x86_failures();
}

void test_fake_arm64(void)
{
	test_arm64_save();
	test_arm64_freeze();
	test_arm64_catch_up();
	test_arm64_same_host();
	test_arm64_by_value();
	test_arm64_phys();
	test_arm64_frequency();
	test_arm64_busy();
	test_arm64_failures();
}
