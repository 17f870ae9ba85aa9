// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The fake KVM of clockmig's unit tests; see fake_kvm.h. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "clockmig_int.h"
#include "fake_kvm.h"

#undef ioctl

#define MSR_IA32_TSC		0x10
#define VM_FD_BASE		1000
#define TOLERANCE_PPM		250

struct fake_host fake_host;
unsigned int fake_calls, fake_fail_from, fake_fail_to, fake_set_calls;
int fake_fail_errno;
int clockmig_fake_arch;

static struct fake_vm vms[FAKE_MAX_VMS];

void fake_reset(int arch, uint64_t hz)
{
	memset(vms, 0, sizeof(vms));
	memset(&fake_host, 0, sizeof(fake_host));
	fake_host.counter = 1000000007ull * 3;
	fake_host.hz = hz;
	fake_host.realtime0_ns = 1763700000000000000ull;
	fake_host.ioctl_ticks = 97;
	fake_host.read_ticks = 13;
	clockmig_fake_arch = arch;
	fake_calls = fake_fail_from = fake_fail_to = fake_set_calls = 0;
	fake_fail_errno = EIO;
}

void fake_fail(unsigned int from, unsigned int to, int err)
{
	fake_calls = 0;
	fake_fail_from = from;
	fake_fail_to = to;
	fake_fail_errno = err;
}

uint64_t fake_realtime(uint64_t counter)
{
	return fake_host.realtime0_ns +
	       (uint64_t)((unsigned __int128)counter * CLOCKMIG_NSEC_PER_SEC / fake_host.hz);
}

static uint64_t host_ns(uint64_t counter)
{
	return (uint64_t)((unsigned __int128)counter * CLOCKMIG_NSEC_PER_SEC / fake_host.hz);
}

/* The hooks the library calls instead of the real clocks. */
uint64_t clockmig_now_ns(clockid_t clock)
{
	fake_host.counter += fake_host.read_ticks;
	return clock == CLOCK_REALTIME ? fake_realtime(fake_host.counter) :
	       host_ns(fake_host.counter);
}

uint64_t clockmig_host_counter(void)
{
	fake_host.counter += fake_host.read_ticks;
	return fake_host.counter;
}

uint64_t clockmig_host_counter_freq(void)
{
	return fake_host.hz;
}

/* KVM's identity ratio: 1 << frac_bits, or {1, 0} without TSC scaling. */
static uint64_t identity_ratio(const struct fake_vm *vm)
{
	return vm->tsc_control ? 1ull << vm->frac_bits : 1;
}

static uint32_t scale_bits(const struct fake_vm *vm)
{
	return vm->tsc_control ? vm->frac_bits : 0;
}

struct fake_vm *fake_vm_new(unsigned int nr_vcpus)
{
	for (int v = 0; v < FAKE_MAX_VMS; v++) {
		struct fake_vm *vm = &vms[v];

		if (vm->used)
			continue;
		memset(vm, 0, sizeof(*vm));
		vm->used = true;
		vm->arch = clockmig_fake_arch;
		vm->nr_vcpus = nr_vcpus;
		vm->frac_bits = 48;
		vm->host_khz = fake_host.hz / 1000;
		vm->offset_attr = vm->scale_attr = vm->clock_guest = true;
		vm->snapshot = vm->snap_realtime = vm->counter_offset = vm->ptimer_offset = true;
		vm->cntfrq = fake_host.hz;
		vm->ref_counter = fake_host.counter;
		/* As KVM: the virtual counter starts at 0, the physical one is the host's. */
		vm->voffset = fake_host.counter;
		for (unsigned int i = 0; i < nr_vcpus; i++) {
			vm->fds[i] = VM_FD_BASE + 100 * v + 1 + i;
			vm->vcpu[i].khz = vm->host_khz;
			vm->vcpu[i].ratio = identity_ratio(vm);
			vm->vcpu[i].tsc_offset = -fake_host.counter;
		}
		return vm;
	}
	return NULL;
}

void fake_vm_free(struct fake_vm *vm)
{
	vm->used = false;
}

int fake_vm_fd(const struct fake_vm *vm)
{
	return VM_FD_BASE + 100 * (int)(vm - vms);
}

const int *fake_vcpu_fds(const struct fake_vm *vm)
{
	return vm->fds;
}

uint64_t fake_guest_tsc(const struct fake_vm *vm, unsigned int i, uint64_t counter)
{
	return clockmig_scale_tsc(counter, vm->vcpu[i].ratio, scale_bits(vm)) +
	       vm->vcpu[i].tsc_offset;
}

uint64_t fake_kvmclock(const struct fake_vm *vm, uint64_t counter)
{
	return host_ns(counter) + vm->kvmclock_offset;
}

bool fake_masterclock(const struct fake_vm *vm)
{
	if (vm->needs_kick)
		return false;
	for (unsigned int i = 1; i < vm->nr_vcpus; i++)
		if (vm->vcpu[i].khz != vm->vcpu[0].khz ||
		    vm->vcpu[i].tsc_offset != vm->vcpu[0].tsc_offset)
			return false;
	return true;
}

static unsigned __int128 scaled(uint64_t hz, int s)
{
	return s >= 0 ? (unsigned __int128)hz << s : (unsigned __int128)hz >> -s;
}

/* (mul, shift) for a @hz TSC, normalized as KVM's: ns per tick = mul * 2^shift / 2^32. */
void fake_rate_params(uint64_t hz, uint32_t *mul, int8_t *shift)
{
	int s = 0;

	while (s < 32 && scaled(hz, s) <= CLOCKMIG_NSEC_PER_SEC)
		s++;
	while (s > -32 && scaled(hz, s - 1) > CLOCKMIG_NSEC_PER_SEC)
		s--;
	*shift = s;
	*mul = (uint32_t)(((unsigned __int128)CLOCKMIG_NSEC_PER_SEC << 32) / scaled(hz, s));
}

static struct fake_vm *vm_of(int fd, int *vcpu)
{
	int v = (fd - VM_FD_BASE) / 100, i = (fd - VM_FD_BASE) % 100 - 1;

	if (fd < VM_FD_BASE || v >= FAKE_MAX_VMS || !vms[v].used ||
	    i >= (int)vms[v].nr_vcpus)
		return NULL;
	*vcpu = i;
	return &vms[v];
}

static int fail(int err)
{
	errno = err;
	return -1;
}

static int x86_set_tsc_khz(struct fake_vm *vm, int i, uint32_t khz)
{
	uint64_t host = vm->host_khz, tol = host * TOLERANCE_PPM / 1000000;
	uint64_t ratio;

	if (!khz)
		return fail(EINVAL);
	if (vm->khz_stuck && vm->vcpu[i].khz_refused)
		return fail(EINVAL);
	if (khz + tol >= host && khz <= host + tol)
		ratio = identity_ratio(vm);
	else if (vm->tsc_control)
		ratio = (uint64_t)(((unsigned __int128)khz << vm->frac_bits) / host);
	else {
		/*
		 * As KVM does (up to 7.3 at least): a rate it refuses is still
		 * what KVM_GET_TSC_KHZ reports afterwards, though the TSC keeps
		 * its rate.
		 */
		vm->vcpu[i].khz = khz;
		vm->vcpu[i].khz_refused = true;
		return fail(EINVAL);
	}
	vm->vcpu[i].khz = khz;
	vm->vcpu[i].ratio = ratio;
	return 0;
}

static int x86_attr(struct fake_vm *vm, int i, unsigned long req, struct kvm_device_attr *a)
{
	uint64_t *val = (uint64_t *)(uintptr_t)a->addr;
	struct clockmig_kvm_tsc_scale *scale = (void *)(uintptr_t)a->addr;

	if (i < 0 || a->group != KVM_VCPU_TSC_CTRL)
		return fail(ENXIO);
	if (a->attr == KVM_VCPU_TSC_OFFSET && vm->offset_attr) {
		if (req == KVM_GET_DEVICE_ATTR)
			*val = vm->vcpu[i].tsc_offset;
		else if (req == KVM_SET_DEVICE_ATTR && !vm->ignore_tsc_writes)
			vm->vcpu[i].tsc_offset = *val;
		return 0;
	}
	if (a->attr == KVM_VCPU_TSC_SCALE && vm->scale_attr) {
		if (req == KVM_SET_DEVICE_ATTR)
			return fail(EINVAL);
		if (req == KVM_GET_DEVICE_ATTR) {
			scale->tsc_ratio = vm->vcpu[i].ratio;
			scale->tsc_frac_bits = scale_bits(vm);
		}
		return 0;
	}
	return fail(ENXIO);
}

static int x86_msrs(struct fake_vm *vm, int i, unsigned long req, struct kvm_msrs *msrs)
{
	struct kvm_msr_entry *e = msrs->entries;
	uint64_t c = fake_host.counter;

	if (i < 0 || msrs->nmsrs != 1 || e->index != MSR_IA32_TSC)
		return fail(EINVAL);
	if (req == KVM_GET_MSRS)
		e->data = fake_guest_tsc(vm, i, c);
	else if (!vm->ignore_tsc_writes)
		vm->vcpu[i].tsc_offset = e->data - clockmig_scale_tsc(c, vm->vcpu[i].ratio,
								      scale_bits(vm));
	return 1;
}

static int x86_get_clock(struct fake_vm *vm, struct kvm_clock_data *d)
{
	uint64_t c = fake_host.counter;

	memset(d, 0, sizeof(*d));
	d->clock = fake_kvmclock(vm, c);
	if (fake_masterclock(vm)) {
		d->flags = KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC;
		d->realtime = fake_realtime(c);
		d->host_tsc = c;
	}
	vm->set_guest_needs_update = false;
	return 0;
}

static int x86_set_clock(struct fake_vm *vm, const struct kvm_clock_data *d)
{
	uint64_t c = fake_host.counter, clock = d->clock, now = fake_realtime(c);

	if (d->flags & ~(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | KVM_CLOCK_HOST_TSC))
		return fail(EINVAL);
	if ((d->flags & KVM_CLOCK_REALTIME) && now > d->realtime)
		clock += now - d->realtime;
	vm->kvmclock_offset = clock - host_ns(c);
	vm->needs_kick = false;
	vm->pvclock_set = false;
	return 0;
}

/* What KVM_GET_CLOCK_GUEST gives: the VM's function, or now's. */
static void x86_pvclock(struct fake_vm *vm, int i, struct clockmig_kvm_pvclock *p)
{
	uint64_t c = vm->ref_counter;
	uint32_t mul;
	int8_t shift;

	if (vm->pvclock_set) {
		*p = vm->pvclock;
		return;
	}
	memset(p, 0, sizeof(*p));
	p->tsc_timestamp = fake_guest_tsc(vm, i, c);
	p->system_time = fake_kvmclock(vm, c);
	fake_rate_params((uint64_t)vm->vcpu[i].khz * 1000, &mul, &shift);
	p->tsc_to_system_mul = mul;
	p->tsc_shift = shift;
	p->flags = CLOCKMIG_PVCLOCK_TSC_STABLE_BIT;
}

static int x86_clock_guest(struct fake_vm *vm, int i, unsigned long req,
			   struct clockmig_kvm_pvclock *p)
{
	struct clockmig_pvclock f;
	uint32_t mul;
	int8_t shift;

	if (i < 0 || !vm->clock_guest)
		return fail(ENOTTY);
	if (!fake_masterclock(vm))
		return fail(EOPNOTSUPP);
	if (req == CLOCKMIG_KVM_GET_CLOCK_GUEST) {
		x86_pvclock(vm, i, p);
		return 0;
	}
	vm->set_guest_arg = *p;
	if (vm->set_guest_needs_update)
		return fail(EOPNOTSUPP);
	if (p->version || p->pad0 || p->pad[0] || p->pad[1] || (p->flags & ~1))
		return fail(EINVAL);
	fake_rate_params((uint64_t)vm->vcpu[i].khz * 1000, &mul, &shift);
	if (p->tsc_to_system_mul != mul || p->tsc_shift != shift)
		return fail(ERANGE);
	vm->pvclock = *p;
	vm->pvclock_set = true;
	f = (struct clockmig_pvclock){ p->tsc_timestamp, p->system_time, p->tsc_to_system_mul,
				       p->tsc_shift, p->flags };
	vm->kvmclock_offset = clockmig_pvclock_read(&f, fake_guest_tsc(vm, i, fake_host.counter)) -
			      host_ns(fake_host.counter);
	return 0;
}

static int check_extension(struct fake_vm *vm, long cap)
{
	switch (cap) {
	case KVM_CAP_ADJUST_CLOCK:
		return vm->arch == CLOCKMIG_ARCH_X86_64 ? 0xe : 0;
	case KVM_CAP_TSC_CONTROL:
		return vm->arch == CLOCKMIG_ARCH_X86_64 && vm->tsc_control;
	case KVM_CAP_CLOCK_GUEST:
		return vm->arch == CLOCKMIG_ARCH_X86_64 && vm->clock_guest;
	case KVM_CAP_COUNTER_OFFSET:
		return vm->arch == CLOCKMIG_ARCH_ARM64 && vm->counter_offset;
	case KVM_CAP_ARM_COUNTER_SNAPSHOT:
		return vm->arch == CLOCKMIG_ARCH_ARM64 && vm->snapshot;
	}
	return 0;
}

static int arm64_one_reg(struct fake_vm *vm, int i, unsigned long req, struct kvm_one_reg *reg)
{
	uint64_t *val = (uint64_t *)(uintptr_t)reg->addr, c = fake_host.counter;
	bool phys = reg->id == KVM_REG_ARM_PTIMER_CNT;

	if (i < 0 || (reg->id != KVM_REG_ARM_TIMER_CNT && !phys))
		return fail(ENOENT);
	if (req == KVM_GET_ONE_REG) {
		c -= fake_host.reg_lag * (fake_calls % 3);
		*val = c - (phys ? vm->poffset : vm->voffset);
		return 0;
	}
	/* Ignored, and successful, once the VM offset was set (or, for CNTPCT, before 6.4). */
	if (vm->vm_offset_flag || (phys && !vm->ptimer_offset))
		return 0;
	if (phys)
		vm->poffset = c - *val;
	else
		vm->voffset = c - *val;
	return 0;
}

static int arm64_snapshot(struct fake_vm *vm, struct clockmig_kvm_counter_snapshot *s)
{
	if (!vm->snapshot)
		return fail(EINVAL);
	memset(s, 0, sizeof(*s));
	s->counter_freq = vm->cntfrq;
	s->host_counter = fake_host.counter;
	vm->last_snapshot_counter = fake_host.counter;
	/* Without the flag the field is not CLOCK_REALTIME: an hour off here. */
	s->realtime = fake_realtime(fake_host.counter) - (vm->snap_realtime ? 0 : 3600 * CLOCKMIG_NSEC_PER_SEC);
	s->flags = vm->snap_realtime ? KVM_ARM_COUNTER_SNAPSHOT_REALTIME : 0;
	s->virtual_offset = vm->voffset;
	s->physical_offset = vm->poffset;
	return 0;
}

static int arm64_set_offset(struct fake_vm *vm, const struct clockmig_kvm_counter_offset *o)
{
	if (!vm->counter_offset)
		return fail(EINVAL);
	if (o->reserved)
		return fail(EINVAL);
	if (vm->busy)
		return fail(EBUSY);
	vm->voffset = vm->poffset = o->counter_offset;
	vm->vm_offset_flag = true;
	return 0;
}

static bool may_change(unsigned long req)
{
	return req == KVM_SET_TSC_KHZ || req == KVM_SET_DEVICE_ATTR || req == KVM_SET_MSRS ||
	       req == KVM_SET_CLOCK || req == CLOCKMIG_KVM_SET_CLOCK_GUEST ||
	       req == KVM_SET_ONE_REG || req == CLOCKMIG_KVM_ARM_SET_COUNTER_OFFSET;
}

static int dispatch(struct fake_vm *vm, int i, unsigned long req, unsigned long arg)
{
	void *p = (void *)arg;
	bool x86 = vm->arch == CLOCKMIG_ARCH_X86_64;

	if (req == KVM_CHECK_EXTENSION)
		return check_extension(vm, (long)arg);
	if (x86) {
		switch (req) {
		case KVM_GET_TSC_KHZ:
			return i < 0 ? fail(ENOTTY) : (int)vm->vcpu[i].khz;
		case KVM_SET_TSC_KHZ:
			return i < 0 ? fail(ENOTTY) : x86_set_tsc_khz(vm, i, (uint32_t)arg);
		case KVM_GET_DEVICE_ATTR:
		case KVM_SET_DEVICE_ATTR:
		case KVM_HAS_DEVICE_ATTR:
			return x86_attr(vm, i, req, p);
		case KVM_GET_MSRS:
		case KVM_SET_MSRS:
			return x86_msrs(vm, i, req, p);
		case KVM_GET_CLOCK:
			return i >= 0 ? fail(ENOTTY) : x86_get_clock(vm, p);
		case KVM_SET_CLOCK:
			return i >= 0 ? fail(ENOTTY) : x86_set_clock(vm, p);
		case CLOCKMIG_KVM_GET_CLOCK_GUEST:
		case CLOCKMIG_KVM_SET_CLOCK_GUEST:
			return x86_clock_guest(vm, i, req, p);
		}
		return fail(ENOTTY);
	}
	switch (req) {
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG:
		return arm64_one_reg(vm, i, req, p);
	case CLOCKMIG_KVM_ARM_GET_COUNTER_SNAPSHOT:
		return i >= 0 ? fail(ENOTTY) : arm64_snapshot(vm, p);
	case CLOCKMIG_KVM_ARM_SET_COUNTER_OFFSET:
		return i >= 0 ? fail(ENOTTY) : arm64_set_offset(vm, p);
	}
	return fail(EINVAL);
}

int clockmig_fake_ioctl(int fd, unsigned long req, ...)
{
	unsigned long arg = 0;
	struct fake_vm *vm;
	va_list ap;
	int i = -1;

	/* Every request clockmig makes takes an argument but KVM_GET_TSC_KHZ. */
	if (req != KVM_GET_TSC_KHZ) {
		va_start(ap, req);
		arg = va_arg(ap, unsigned long);
		va_end(ap);
	}
	fake_host.counter += fake_host.ioctl_ticks;
	fake_calls++;
	if (fake_calls >= fake_fail_from && fake_calls <= fake_fail_to)
		return fail(fake_fail_errno);
	vm = vm_of(fd, &i);
	if (!vm)
		return fail(EBADF);
	if (may_change(req))
		fake_set_calls++;
	return dispatch(vm, i, req, arg);
}
