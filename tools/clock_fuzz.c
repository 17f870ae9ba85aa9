// SPDX-License-Identifier: GPL-2.0
/*
 * clock_fuzz [-s SEED] [-t SECONDS] [-j THREADS] [-w WATCHDOG_SECONDS]:
 * fuzz the guest clock uAPI that the series adds or changes, in kselftest
 * (TAP) form.
 *
 * x86: KVM_GET_CLOCK_GUEST / KVM_SET_CLOCK_GUEST (vCPU, struct
 * kvm_clock_guest), the KVM_VCPU_TSC_CTRL attributes KVM_VCPU_TSC_OFFSET and
 * KVM_VCPU_TSC_SCALE (read-only), KVM_GET_CLOCK / KVM_SET_CLOCK,
 * KVM_SET_TSC_KHZ (vCPU and VM). arm64: KVM_ARM_GET_COUNTER_SNAPSHOT (only
 * where KVM_CAP_ARM_COUNTER_SNAPSHOT is offered; otherwise reported as not
 * covered) and KVM_ARM_SET_COUNTER_OFFSET.
 *
 * One "main" VM has two vCPUs that run a guest reading its clock in a loop
 * (kvmclock on x86, CNTVCT_EL0 on arm64) and checking it never goes back;
 * THREADS fuzz threads call the ioctls on it with random and boundary
 * values, reserved and padding bytes set, and bad pointers (NULL, small,
 * unaligned, unmapped, straddling an unmapped page, read-only, kernel and
 * non-canonical addresses). A churn thread creates and destroys other VMs
 * and vCPUs while the fuzz threads call the same ioctls on them.
 *
 * Checks: every return is 0 or an errno that the documentation (api.rst,
 * devices/vcpu.rst) lists for the call (EFAULT for a bad pointer, EINVAL for
 * a set reserved field, predicted exactly where the documentation says
 * when); a rejected setter changes no state (read back before and after,
 * setters serialised per VM); outputs have their reserved fields zero; the
 * guest clock never goes back except across a userspace setter (the guest
 * skips the comparison across the "epoch" a setter bumps in guest memory;
 * "back" is modulo 2^64, as a guest's clocksource code takes it, because a
 * setter may put the clock just below 2^64, from where it runs on past 0);
 * no call and no vCPU stays stuck longer than the watchdog allows (then it
 * names the call and fails). Kernel reports are the harness's job (the VM's
 * kernel log).
 *
 * The seed makes the inputs of each thread deterministic; the interleaving
 * of the threads is not. Prints per-call counts and the errnos seen.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "clockmig_uapi.h"

#ifdef __x86_64__
#include <asm/kvm_para.h>
#include <asm/pvclock.h>
#include <asm/pvclock-abi.h>
#endif

#define NR_MAIN_VCPUS	2
#define MAX_THREADS	8
#define MAX_ERRNO	134
#define GUEST_READS	256

enum call {
#ifdef __x86_64__
	C_GET_CLOCK,
	C_SET_CLOCK,
	C_GET_CLOCK_GUEST,
	C_SET_CLOCK_GUEST,
	C_GET_TSC_OFFSET,
	C_SET_TSC_OFFSET,
	C_GET_TSC_SCALE,
	C_SET_TSC_SCALE,
	C_HAS_TSC_ATTR,
	C_OTHER_TSC_ATTR,
	C_SET_TSC_KHZ,
	C_SET_TSC_KHZ_VM,
#else
	C_GET_SNAPSHOT,
	C_SET_COUNTER_OFFSET,
	C_GET_COUNTER_REG,
#endif
	C_CREATE_VM,
	C_CREATE_VCPU,
	NR_CALLS
};

static const char *const call_name[NR_CALLS] = {
#ifdef __x86_64__
	[C_GET_CLOCK] = "KVM_GET_CLOCK",
	[C_SET_CLOCK] = "KVM_SET_CLOCK",
	[C_GET_CLOCK_GUEST] = "KVM_GET_CLOCK_GUEST",
	[C_SET_CLOCK_GUEST] = "KVM_SET_CLOCK_GUEST",
	[C_GET_TSC_OFFSET] = "KVM_GET_DEVICE_ATTR(TSC_OFFSET)",
	[C_SET_TSC_OFFSET] = "KVM_SET_DEVICE_ATTR(TSC_OFFSET)",
	[C_GET_TSC_SCALE] = "KVM_GET_DEVICE_ATTR(TSC_SCALE)",
	[C_SET_TSC_SCALE] = "KVM_SET_DEVICE_ATTR(TSC_SCALE)",
	[C_HAS_TSC_ATTR] = "KVM_HAS_DEVICE_ATTR(TSC_CTRL)",
	[C_OTHER_TSC_ATTR] = "KVM_*_DEVICE_ATTR(other attr/group)",
	[C_SET_TSC_KHZ] = "KVM_SET_TSC_KHZ(vcpu)",
	[C_SET_TSC_KHZ_VM] = "KVM_SET_TSC_KHZ(vm)",
#else
	[C_GET_SNAPSHOT] = "KVM_ARM_GET_COUNTER_SNAPSHOT",
	[C_SET_COUNTER_OFFSET] = "KVM_ARM_SET_COUNTER_OFFSET",
	[C_GET_COUNTER_REG] = "KVM_GET_ONE_REG(CNTVCT/CNTPCT)",
#endif
	[C_CREATE_VM] = "KVM_CREATE_VM",
	[C_CREATE_VCPU] = "KVM_CREATE_VCPU",
};

/* Errnos the documentation lists for each call (bit n: errno n). */
#define E(x)	((unsigned __int128)1 << (x))
static const unsigned __int128 call_errnos[NR_CALLS] = {
#ifdef __x86_64__
	/* api.rst 4.29/4.30: -1 on error; the code: EFAULT, and EINVAL for flags. */
	[C_GET_CLOCK] = E(EFAULT),
	[C_SET_CLOCK] = E(EFAULT) | E(EINVAL),
	/* api.rst 4.146, 4.147: the tables. */
	[C_GET_CLOCK_GUEST] = E(EOPNOTSUPP) | E(EFAULT),
	[C_SET_CLOCK_GUEST] = E(EINVAL) | E(ERANGE) | E(EOPNOTSUPP) | E(EFAULT),
	/* devices/vcpu.rst 4.1, 4.2 (EFAULT also for the kvm_device_attr itself). */
	[C_GET_TSC_OFFSET] = E(EFAULT) | E(ENXIO),
	[C_SET_TSC_OFFSET] = E(EFAULT) | E(ENXIO),
	[C_GET_TSC_SCALE] = E(EFAULT) | E(ENXIO),
	[C_SET_TSC_SCALE] = E(EFAULT) | E(EINVAL) | E(ENXIO),
	[C_HAS_TSC_ATTR] = E(EFAULT) | E(ENXIO),
	[C_OTHER_TSC_ATTR] = E(EFAULT) | E(ENXIO),
	/* api.rst 4.55: -1 on error; EINVAL out of range or after vCPU creation (VM). */
	[C_SET_TSC_KHZ] = E(EINVAL),
	[C_SET_TSC_KHZ_VM] = E(EINVAL),
	/* api.rst 4.7: EEXIST id in use, EINVAL id out of range. */
	[C_CREATE_VCPU] = E(EEXIST) | E(EINVAL) | E(ENOMEM),
#else
	[C_GET_SNAPSHOT] = E(EFAULT) | E(EINVAL),
	/* api.rst 4.138: EINVAL reserved, EBUSY a vCPU ioctl concurrently. */
	[C_SET_COUNTER_OFFSET] = E(EFAULT) | E(EINVAL) | E(EBUSY),
	[C_GET_COUNTER_REG] = E(EFAULT),
	[C_CREATE_VCPU] = E(EEXIST) | E(EINVAL) | E(ENOMEM),
#endif
	[C_CREATE_VM] = E(ENOMEM),
};

static atomic_ulong counts[NR_CALLS][MAX_ERRNO + 1];
static atomic_ulong bad_errno, state_changed, bad_output, wrong_errno, backwards;
static atomic_ulong backwards_unstable, exact_mismatch, consistency_fail;
static atomic_ulong guest_reads, known_base_state_changed, known_ratio0;
static atomic_int stop;
static atomic_int failed_msgs;

static uint64_t seed = 1, wild_after, start_ns;
static int duration = 30, nr_threads = 3, watchdog_s = 60, wild_percent = 75;

/* Counted; the first few of each kind printed. */
#define fail(counter, fmt, ...) do {						\
	static atomic_int __shown;						\
	atomic_fetch_add(&(counter), 1);					\
	if (atomic_fetch_add(&__shown, 1) < 5 &&				\
	    atomic_fetch_add(&failed_msgs, 1) < 100)				\
		printf("# FAIL %.1f s: " fmt "\n",				\
		       (now_ns(CLOCK_MONOTONIC) - start_ns) / 1e9, ##__VA_ARGS__);	\
} while (0)

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* xorshift64*, one state per thread, seeded from the seed and the thread. */
struct rng { uint64_t s; };

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 2685821657736338717ULL;
}

static uint64_t rnd_below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static const uint64_t boundary64[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0xffffffffULL, 0x100000000ULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xfffffffffffffffeULL,
	0xffffffffffffffffULL,
};

static uint64_t rnd_u64(struct rng *r)
{
	switch (rnd_below(r, 4)) {
	case 0:
		return boundary64[rnd_below(r, ARRAY_SIZE(boundary64))];
	case 1:
		return rnd(r) >> rnd_below(r, 64);
	default:
		return rnd(r);
	}
}

/* ------------------------------------------------------------------ */
/* Pointers: valid, or one of the bad kinds.                          */

enum ptr_kind {
	P_VALID, P_UNALIGNED, P_READONLY,	/* valid for reads (READONLY: not writes) */
	P_NULL, P_SMALL, P_UNMAPPED, P_STRADDLE, P_KERNEL, P_NONCANONICAL,
	NR_PTR_KINDS
};

static char *page_ro, *page_unmapped, *page_before_hole;
static size_t page_size;

static void setup_pointers(void)
{
	char *p;

	page_size = getpagesize();
	p = mmap(NULL, 4 * page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap");
	memset(p, 0, 4 * page_size);
	page_ro = p;
	TEST_ASSERT(!mprotect(page_ro, page_size, PROT_READ), "mprotect");
	page_before_hole = p + page_size;
	TEST_ASSERT(!mprotect(p + 2 * page_size, page_size, PROT_NONE), "mprotect");
	page_unmapped = p + 3 * page_size;
	TEST_ASSERT(!munmap(page_unmapped, page_size), "munmap");
}

/*
 * Where to put an argument of @size bytes whose content is @buf. Returns
 * the pointer to pass, and whether the kernel can read it (*readable) and
 * write it (*writable) in full.
 */
static void *place(struct rng *r, void *buf, size_t size, int kind,
		   bool *readable, bool *writable, char *unaligned_buf)
{
	*readable = *writable = false;
	switch (kind) {
	case P_VALID:
		*readable = *writable = true;
		return buf;
	case P_UNALIGNED: {
		char *p = unaligned_buf + 1 + rnd_below(r, 7);

		memcpy(p, buf, size);
		*readable = *writable = true;
		return p;
	}
	case P_READONLY:
		/* Whatever the read-only page holds: zeroes. */
		*readable = true;
		memset(buf, 0, size);
		return page_ro + rnd_below(r, page_size - size);
	case P_NULL:
		return NULL;
	case P_SMALL:
		return (void *)(uintptr_t)(1 + rnd_below(r, 4095));
	case P_UNMAPPED:
		return page_unmapped + rnd_below(r, page_size - size);
	case P_STRADDLE: {
		/* 1 .. size-1 bytes before an inaccessible page. */
		size_t in = 1 + rnd_below(r, size - 1);
		char *p = page_before_hole + page_size - in;

		memcpy(p, buf, in);
		return p;
	}
	case P_KERNEL:
		return (void *)(uintptr_t)(0xffffffff81000000ULL + rnd_below(r, 1 << 20));
	default:
		return (void *)(uintptr_t)(0x8000000000000000ULL + rnd_below(r, 1 << 20));
	}
}

static int rnd_ptr_kind(struct rng *r)
{
	/* Mostly valid: the bad kinds are cheap to cover, the states are not. */
	return rnd_below(r, 3) ? (int)rnd_below(r, 2) : (int)rnd_below(r, NR_PTR_KINDS);
}

/* ------------------------------------------------------------------ */
/* Counting, and the watchdog.                                        */

struct thread_state {
	const char *what;		/* the call it is in, or NULL */
	_Atomic uint64_t since;		/* CLOCK_MONOTONIC ns it entered it, or 0 */
	uint64_t calls;
	pid_t tid;
};

static struct thread_state tstate[MAX_THREADS + NR_MAIN_VCPUS + 2];

static int do_ioctl(struct thread_state *ts, enum call c, int fd, unsigned long req,
		    void *arg)
{
	int r, e;

	ts->what = call_name[c];
	atomic_store(&ts->since, now_ns(CLOCK_MONOTONIC));
	r = ioctl(fd, req, arg);
	e = r < 0 ? errno : 0;
	atomic_store(&ts->since, 0);
	ts->calls++;
	atomic_fetch_add(&counts[c][e > MAX_ERRNO ? MAX_ERRNO : e], 1);
	if (e && (e > 127 || !(call_errnos[c] & E(e))))
		fail(bad_errno, "%s returned %s (%d), not a documented errno", call_name[c],
		     strerror(e), e);
	return r < 0 ? -e : r;
}

/* The last setter calls on the main VM, for the reports of a hang or a step. */
#define TRACE_LEN 24
static char trace[TRACE_LEN][160];
static atomic_uint trace_pos;

struct guest_ctl {
	/* Even: stable. Odd: a setter is in progress. +2: a setter succeeded. */
	volatile uint64_t epoch;
};

static struct guest_ctl *ctl_hva;

/* Called by a setter within its epoch; the line names the epoch it began in. */
static void trace_call(const char *fmt, ...)
{
	unsigned int i = atomic_fetch_add(&trace_pos, 1) % TRACE_LEN;
	va_list ap;
	int n;

	n = snprintf(trace[i], sizeof(trace[i]), "epoch %" PRIu64 ": ",
		     (uint64_t)ctl_hva->epoch - 1);
	va_start(ap, fmt);
	vsnprintf(trace[i] + n, sizeof(trace[i]) - n, fmt, ap);
	va_end(ap);
}

static void hang_report(unsigned int stuck);
static void setters_report(void);
static atomic_int setters_dumped;

static void check_errno(enum call c, int r, int want, const char *why)
{
	if (r != -want && !(want == 0 && r >= 0))
		fail(wrong_errno, "%s: %s: got %s, want %s", call_name[c], why,
		     r < 0 ? strerror(-r) : "success", want ? strerror(want) : "success");
}

static void *watchdog(void *arg)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(duration + watchdog_s) * 1000000000ULL;
	unsigned int i;

	(void)arg;
	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC);

		for (i = 0; i < ARRAY_SIZE(tstate); i++) {
			uint64_t s = atomic_load(&tstate[i].since);

			if (s && s < now && now - s > (uint64_t)watchdog_s * 1000000000ULL) {
				printf("# FAIL watchdog: thread %u stuck in %s for %" PRIu64 " s\n",
				       i, tstate[i].what, (uint64_t)((now - s) / 1000000000ULL));
				hang_report(i);
				goto hang;
			}
		}
		if (now > end) {
			printf("# FAIL watchdog: still running %d s after the end\n", watchdog_s);
			goto hang;
		}
		sleep(1);
	}
hang:
	printf("not ok 1 no hang (watchdog)\n");
	fflush(stdout);
	_exit(KSFT_FAIL);
}

/* ------------------------------------------------------------------ */
/* The main VM: its vCPUs run a guest that reads its clock.           */

static struct guest_ctl ctl;	/* in the guest image; host: ctl_hva */

enum { SYNC_REPORT = 1, SYNC_BACKWARDS = 2, SYNC_BACKWARDS_UNSTABLE = 3 };

/*
 * Two reads of the guest clock in one epoch, i.e. with no setter in between:
 * it went back, modulo 2^64 as a guest's clocksource code takes a counter
 * (a setter may leave it just below 2^64, from where it runs on past 0), or
 * it jumped ahead by more than a run can last (2^40 ns or ticks: 18 minutes
 * at 1GHz), which is how a step back of 2^63 or more would show.
 */
#define MAX_FORWARD (1ULL << 40)

static inline bool clock_moved_wrongly(uint64_t prev, uint64_t now)
{
	return (int64_t)(now - prev) < 0 || now - prev > MAX_FORWARD;
}

#ifdef __x86_64__
static struct pvclock_vcpu_time_info pvti[NR_MAIN_VCPUS] __attribute__((aligned(64)));

static void guest_main(uint64_t id, uint64_t pvti_gpa)
{
	struct pvclock_vcpu_time_info *p = &pvti[id];
	uint64_t prev = 0, prev_epoch = ~0ULL, reads = 0;
	int i;

	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, pvti_gpa | KVM_MSR_ENABLED);
	for (;;) {
		for (i = 0; i < GUEST_READS; i++) {
			uint64_t e1, e2, now;
			uint32_t v;
			uint8_t flags;

			e1 = ctl.epoch;
			do {
				v = p->version;
				barrier();
				now = __pvclock_read_cycles(p, rdtsc());
				flags = p->flags;
				barrier();
			} while ((v & 1) || v != p->version);
			barrier();
			e2 = ctl.epoch;
			if (e1 != e2 || (e1 & 1)) {
				prev_epoch = ~0ULL;
				continue;
			}
			reads++;
			if (e1 == prev_epoch && clock_moved_wrongly(prev, now))
				GUEST_SYNC_ARGS(flags & PVCLOCK_TSC_STABLE_BIT ? SYNC_BACKWARDS :
						SYNC_BACKWARDS_UNSTABLE, prev, now, e1, flags);
			prev = now;
			prev_epoch = e1;
		}
		GUEST_SYNC_ARGS(SYNC_REPORT, reads, prev, 0, 0);
		reads = 0;
	}
}
#else
static void guest_main(uint64_t id)
{
	uint64_t prev = 0, prev_epoch = ~0ULL, reads = 0;
	int i;

	(void)id;
	for (;;) {
		for (i = 0; i < GUEST_READS; i++) {
			uint64_t e1, e2, now;

			e1 = ctl.epoch;
			isb();
			now = read_sysreg(cntvct_el0);
			isb();
			e2 = ctl.epoch;
			if (e1 != e2 || (e1 & 1)) {
				prev_epoch = ~0ULL;
				continue;
			}
			reads++;
			if (e1 == prev_epoch && clock_moved_wrongly(prev, now))
				GUEST_SYNC_ARGS(SYNC_BACKWARDS, prev, now, e1, 0);
			prev = now;
			prev_epoch = e1;
		}
		GUEST_SYNC_ARGS(SYNC_REPORT, reads, prev, 0, 0);
		reads = 0;
	}
}
#endif

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpus[NR_MAIN_VCPUS];
/* Setters on the main VM hold it for writing, with their read-backs. */
static pthread_rwlock_t vm_lock = PTHREAD_RWLOCK_INITIALIZER;

static uint64_t epoch_begin(void)
{
	uint64_t e = ctl_hva->epoch;

	__atomic_store_n(&ctl_hva->epoch, e + 1, __ATOMIC_SEQ_CST);
	return e;
}

static void epoch_end(uint64_t e, bool changed)
{
	__atomic_store_n(&ctl_hva->epoch, changed ? e + 2 : e, __ATOMIC_SEQ_CST);
}

static void *run_vcpu(void *arg)
{
	long id = (long)arg;
	struct kvm_vcpu *vcpu = vcpus[id];
	struct thread_state *ts = &tstate[MAX_THREADS + id];
	struct ucall uc;

	ts->tid = gettid();
	while (!atomic_load(&stop)) {
		int r;

		ts->what = "KVM_RUN";
		atomic_store(&ts->since, now_ns(CLOCK_MONOTONIC));
		r = __vcpu_run(vcpu);
		atomic_store(&ts->since, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail(bad_errno, "KVM_RUN on vCPU %ld: %s", id, strerror(errno));
			break;
		}
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			if (uc.args[1] == SYNC_REPORT) {
				atomic_fetch_add(&guest_reads, uc.args[2]);
			} else if (uc.args[1] == SYNC_BACKWARDS) {
				fail(backwards, "vCPU %ld: guest clock went back or jumped ahead, from %"
				     PRIu64 " to %" PRIu64 " (%+" PRId64 ") in epoch %" PRIu64
				     ", no userspace setter in between", id,
				     (uint64_t)uc.args[2], (uint64_t)uc.args[3],
				     (int64_t)(uc.args[3] - uc.args[2]), (uint64_t)uc.args[4]);
				if (!atomic_exchange(&setters_dumped, 1)) {
					pthread_rwlock_rdlock(&vm_lock);
					setters_report();
					pthread_rwlock_unlock(&vm_lock);
				}
			} else if (uc.args[1] == SYNC_BACKWARDS_UNSTABLE) {
				atomic_fetch_add(&backwards_unstable, 1);
				if (atomic_load(&backwards_unstable) <= 5)
					printf("# info: vCPU %ld: kvmclock without PVCLOCK_TSC_STABLE_BIT went back or jumped ahead: %+" PRId64 " ns\n",
					       id, (int64_t)(uc.args[3] - uc.args[2]));
			}
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		default:
			fail(bad_output, "vCPU %ld: unexpected exit %u (%s)", id,
			     vcpu->run->exit_reason, exit_reason_str(vcpu->run->exit_reason));
			atomic_store(&stop, 1);
			break;
		}
	}
	return NULL;
}

static void create_main_vm(void)
{
	int i;

	vm = vm_create_with_vcpus(NR_MAIN_VCPUS, guest_main, vcpus);
	ctl_hva = addr_gva2hva(vm, (uintptr_t)&ctl);
	for (i = 0; i < NR_MAIN_VCPUS; i++) {
#ifdef __x86_64__
		vcpu_args_set(vcpus[i], 2, (uint64_t)i, addr_gva2gpa(vm, (uintptr_t)&pvti[i]));
#else
		vcpu_args_set(vcpus[i], 1, (uint64_t)i);
#endif
	}
}

static void print_file(const char *path, const char *prefix)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		printf("# %s%s\n", prefix, l);
}

/* The guest's kvmclock and the last setters on the main VM. */
static void setters_report(void)
{
	unsigned int i, p;

#ifdef __x86_64__
	for (i = 0; i < NR_MAIN_VCPUS; i++) {
		struct pvclock_vcpu_time_info *pv = addr_gva2hva(vm, (uintptr_t)&pvti[i]);

		printf("# vCPU %u pvclock in guest memory: version %u tsc %" PRIu64 " ns %" PRIu64
		       " mul %u shift %d flags %#x\n", i, pv->version, (uint64_t)pv->tsc_timestamp,
		       (uint64_t)pv->system_time, pv->tsc_to_system_mul, pv->tsc_shift, pv->flags);
	}
#endif
	printf("# epoch %" PRIu64 "; the last setters on the main VM, oldest first (a setter that"
	       " began in epoch N and succeeded made it N + 2):\n",
	       (uint64_t)ctl_hva->epoch);
	p = atomic_load(&trace_pos);
	for (i = p > TRACE_LEN ? p - TRACE_LEN : 0; i < p; i++)
		printf("#   %s\n", trace[i % TRACE_LEN]);
}

/* What a hang looks like: where the threads are, the guest's kvmclock, the last setters. */
static void hang_report(unsigned int stuck)
{
	char path[96];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tstate); i++) {
		if (!tstate[i].tid)
			continue;
		printf("# thread %u (tid %d): %s, %" PRIu64 " calls\n", i, tstate[i].tid,
		       atomic_load(&tstate[i].since) ? tstate[i].what : "(not in a call)",
		       tstate[i].calls);
		snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tstate[i].tid);
		print_file(path, "  stat: ");
		if (i == stuck || atomic_load(&tstate[i].since)) {
			snprintf(path, sizeof(path), "/proc/self/task/%d/stack", tstate[i].tid);
			print_file(path, "  stack: ");
		}
	}
	setters_report();
}

/* ------------------------------------------------------------------ */
/* The churn VMs: created and destroyed while the fuzz threads call.  */

#define CHURN_VCPUS 4
struct churn {
	pthread_mutex_t lock;
	int vm_fd;			/* -1: none */
	int vcpu_fd[CHURN_VCPUS];
	int nr_vcpus;
	unsigned long generation;
} churn = { .lock = PTHREAD_MUTEX_INITIALIZER, .vm_fd = -1 };
static int kvm_dev_fd;

/* Duplicates of the current churn VM's fds, for a call racing its end. */
static bool churn_get(struct rng *r, int *vm_fd, int *vcpu_fd)
{
	bool ok = false;

	pthread_mutex_lock(&churn.lock);
	if (churn.vm_fd >= 0) {
		*vm_fd = dup(churn.vm_fd);
		*vcpu_fd = churn.nr_vcpus ?
			dup(churn.vcpu_fd[rnd_below(r, churn.nr_vcpus)]) : -1;
		ok = *vm_fd >= 0;
	}
	pthread_mutex_unlock(&churn.lock);
	return ok;
}

/* ------------------------------------------------------------------ */
/* The calls.                                                         */

struct target {
	int vm_fd, vcpu_fd;
	bool main;		/* the main VM: check state, bump the epoch */
	int vcpu_idx;
};

struct ctx {
	struct rng r;
	struct thread_state *ts;
	char unaligned[256] __attribute__((aligned(64)));
};

#ifdef __x86_64__
static unsigned int adjust_clock_flags;
static bool has_clock_guest, has_tsc_control, has_vm_tsc_control;
/*
 * A vCPU was given a TSC rate above the host's without TSC scaling: KVM
 * then catches its TSC up by moving its offset at every clock update
 * (devices/vcpu.rst 4.2), for good. The offsets and kvmclock then move by
 * themselves, and are not compared across calls any more.
 */
static atomic_int main_catchup;
static atomic_ulong skipped_catchup;
static uint64_t host_tsc_khz;	/* the vCPUs' rate at creation */
static uint64_t kernel_tsc_khz;	/* the host kernel's tsc_khz (KVM_SET_TSC_KHZ 0) */
static uint64_t catchup_above;	/* a rate above this: catch-up mode (no scaling) */
/*
 * VM-wide KVM_SET_TSC_KHZ fails with EINVAL once the VM has vCPUs (api.rst
 * 4.55, since 6.13); 6.12 accepts it (the default for later vCPUs). Probed,
 * and the probe must agree with the kernel's version.
 */
static bool vm_khz_after_vcpus_refused;

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

struct x86_state {
	int guest_r;
	struct clockmig_kvm_pvclock guest;
	uint64_t offset[NR_MAIN_VCPUS];
	struct clockmig_kvm_tsc_scale scale[NR_MAIN_VCPUS];
	int khz[NR_MAIN_VCPUS];
};

static int get_attr(int fd, uint64_t attr, void *val)
{
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL, .attr = attr,
				     .addr = (uintptr_t)val };

	return ioctl(fd, KVM_GET_DEVICE_ATTR, &a) ? -errno : 0;
}

/* kvmclock at guest TSC @tsc, as the guest computes it, with 128 bits. */
static uint64_t pvclock_at(const struct clockmig_kvm_pvclock *c, uint64_t tsc)
{
	uint64_t delta = tsc - c->tsc_timestamp;
	unsigned __int128 p;

	if (c->tsc_shift < 0)
		delta >>= -c->tsc_shift;
	else
		delta <<= c->tsc_shift;
	p = (unsigned __int128)delta * c->tsc_to_system_mul;
	return c->system_time + (uint64_t)(p >> 32);
}

/* Same function of the guest TSC, around the current reference points. */
static bool same_clock(const struct clockmig_kvm_pvclock *a, const struct clockmig_kvm_pvclock *b)
{
	uint64_t pts[4] = { a->tsc_timestamp, b->tsc_timestamp,
			    a->tsc_timestamp + 1000000000ULL, b->tsc_timestamp + 3000000000ULL };
	int i;

	if (!memcmp(a, b, sizeof(*a)))
		return true;
	if (a->tsc_to_system_mul != b->tsc_to_system_mul || a->tsc_shift != b->tsc_shift)
		return false;
	for (i = 0; i < 4; i++) {
		int64_t d = pvclock_at(a, pts[i]) - pvclock_at(b, pts[i]);

		if (d > 1 || d < -1)
			return false;
	}
	return true;
}

static void read_state(struct x86_state *s)
{
	int i, r;

	memset(s, 0, sizeof(*s));
	r = ioctl(vcpus[0]->fd, CLOCKMIG_KVM_GET_CLOCK_GUEST, &s->guest);
	s->guest_r = r ? -errno : 0;
	for (i = 0; i < NR_MAIN_VCPUS; i++) {
		TEST_ASSERT(!get_attr(vcpus[i]->fd, KVM_VCPU_TSC_OFFSET, &s->offset[i]), "offset");
		TEST_ASSERT(!get_attr(vcpus[i]->fd, KVM_VCPU_TSC_SCALE, &s->scale[i]), "scale");
		s->khz[i] = ioctl(vcpus[i]->fd, KVM_GET_TSC_KHZ, 0);
	}
}

static void compare_state(const char *call, const struct x86_state *a,
			  const struct x86_state *b, bool known_khz_leak)
{
	int i;

	if (atomic_load(&main_catchup)) {
		atomic_fetch_add(&skipped_catchup, 1);
		return;
	}
	if (a->guest_r != b->guest_r)
		fail(state_changed, "rejected %s: KVM_GET_CLOCK_GUEST went from %s to %s", call,
		     a->guest_r ? strerror(-a->guest_r) : "success",
		     b->guest_r ? strerror(-b->guest_r) : "success");
	else if (!a->guest_r && !same_clock(&a->guest, &b->guest))
		fail(state_changed, "rejected %s changed kvmclock: tsc %" PRIu64 " ns %" PRIu64
		     " mul %u shift %d -> tsc %" PRIu64 " ns %" PRIu64 " mul %u shift %d", call,
		     (uint64_t)a->guest.tsc_timestamp, (uint64_t)a->guest.system_time,
		     a->guest.tsc_to_system_mul, a->guest.tsc_shift,
		     (uint64_t)b->guest.tsc_timestamp, (uint64_t)b->guest.system_time,
		     b->guest.tsc_to_system_mul, b->guest.tsc_shift);
	for (i = 0; i < NR_MAIN_VCPUS; i++) {
		if (a->offset[i] != b->offset[i])
			fail(state_changed, "rejected %s changed vCPU %d's TSC offset", call, i);
		if (memcmp(&a->scale[i], &b->scale[i], sizeof(a->scale[i])))
			fail(state_changed, "rejected %s changed vCPU %d's TSC scale", call, i);
		if (a->khz[i] != b->khz[i]) {
			if (known_khz_leak) {
				atomic_fetch_add(&known_base_state_changed, 1);
			} else {
				fail(state_changed, "rejected %s changed vCPU %d's TSC kHz %d -> %d",
				     call, i, a->khz[i], b->khz[i]);
			}
		}
	}
}

/* KVM_GET_CLOCK's clock must be kvmclock at its host_tsc, per GET_CLOCK_GUEST. */
static atomic_ulong consistency_checks;
static _Atomic int64_t consistency_max;

static void check_consistency(int vcpu_fd)
{
	struct clockmig_kvm_pvclock g;
	struct kvm_clock_data d = {};
	struct clockmig_kvm_tsc_scale sc;
	uint64_t off, gtsc;
	int64_t diff, m;

	/* In catch-up mode the offset moves at every clock update: no equation. */
	if (atomic_load(&main_catchup) || ioctl(vcpu_fd, CLOCKMIG_KVM_GET_CLOCK_GUEST, &g))
		return;
	if (ioctl(vm->fd, KVM_GET_CLOCK, &d) ||
	    !(d.flags & KVM_CLOCK_HOST_TSC) || !(d.flags & KVM_CLOCK_TSC_STABLE))
		return;
	if (get_attr(vcpu_fd, KVM_VCPU_TSC_OFFSET, &off) ||
	    get_attr(vcpu_fd, KVM_VCPU_TSC_SCALE, &sc) || sc.tsc_frac_bits > 63)
		return;
	gtsc = (uint64_t)(((unsigned __int128)d.host_tsc * sc.tsc_ratio) >> sc.tsc_frac_bits) + off;
	diff = (int64_t)(pvclock_at(&g, gtsc) - d.clock);
	atomic_fetch_add(&consistency_checks, 1);
	m = atomic_load(&consistency_max);
	while ((diff < 0 ? -diff : diff) > m &&
	       !atomic_compare_exchange_weak(&consistency_max, &m, diff < 0 ? -diff : diff))
		;
	if (diff > 1 || diff < -1)
		fail(consistency_fail, "KVM_GET_CLOCK clock %" PRIu64 " at host TSC %" PRIu64
		     " differs by %" PRId64 " ns from the KVM_GET_CLOCK_GUEST function there",
		     (uint64_t)d.clock, (uint64_t)d.host_tsc, diff);
}

static void fill_clock_guest(struct ctx *c, struct clockmig_kvm_pvclock *g,
			     const struct clockmig_kvm_pvclock *cur, bool have_cur)
{
	struct rng *r = &c->r;

	if (have_cur && rnd_below(r, 4)) {
		*g = *cur;
		switch (rnd_below(r, 8)) {
		case 0:		/* identity */
			break;
		case 1:
			g->tsc_timestamp -= rnd_below(r, 1ULL << rnd_below(r, 40));
			break;
		case 2:
			g->system_time += rnd_below(r, 1ULL << rnd_below(r, 40));
			break;
		case 3:
			g->system_time -= rnd_below(r, 1ULL << rnd_below(r, 40));
			break;
		case 4:		/* a slightly different rate (tolerance: 250 ppm) */
			g->tsc_to_system_mul += (int)rnd_below(r, 2001) - 1000;
			break;
		case 5:		/* unnormalised: the same rate with another shift */
			if (g->tsc_shift < 31 && !(g->tsc_to_system_mul & 1)) {
				g->tsc_to_system_mul >>= 1;
				g->tsc_shift++;
			} else if (g->tsc_shift > -31 && !(g->tsc_to_system_mul >> 31)) {
				g->tsc_to_system_mul <<= 1;
				g->tsc_shift--;
			}
			break;
		case 6:
			g->tsc_timestamp += rnd_below(r, 1ULL << rnd_below(r, 44));
			break;
		default:
			g->tsc_timestamp = rnd_u64(r);
			break;
		}
	} else {
		g->version = 0;
		g->pad0 = 0;
		g->tsc_timestamp = rnd_u64(r);
		g->system_time = rnd_u64(r);
		g->tsc_to_system_mul = rnd_below(r, 3) ? (uint32_t)rnd_u64(r) :
				       (uint32_t[]){0, 1, 0x7fffffff, 0x80000000, 0xffffffff}[rnd_below(r, 5)];
		g->tsc_shift = rnd_below(r, 2) ? (int8_t)(rnd_below(r, 64) - 32) :
			       (int8_t[]){-128, -32, -31, 0, 31, 32, 127}[rnd_below(r, 7)];
		g->flags = rnd_below(r, 2) ? CLOCKMIG_PVCLOCK_TSC_STABLE_BIT : 0;
		g->pad[0] = g->pad[1] = 0;
	}
	/* One reserved byte or flag bit set, one time in four. */
	if (!rnd_below(r, 4)) {
		uint8_t *b = (uint8_t *)g;
		int which = rnd_below(r, 11);

		if (which < 8)			/* version, pad0 */
			b[which] = 1 + rnd_below(r, 255);
		else if (which < 10)		/* pad[] */
			b[30 + which - 8] = 1 + rnd_below(r, 255);
		else				/* an unknown flag */
			g->flags |= 2 << rnd_below(r, 7);
	}
}

static void classify_clock_guest(const struct clockmig_kvm_pvclock *g, bool *reserved_bad,
				 bool *scale_bad)
{
	*reserved_bad = g->version || g->pad0 || g->pad[0] || g->pad[1] ||
			(g->flags & ~CLOCKMIG_PVCLOCK_TSC_STABLE_BIT);
	*scale_bad = !g->tsc_to_system_mul || g->tsc_shift > 31 || g->tsc_shift < -31;
}

static void op_clock_guest(struct ctx *c, struct target *t, bool set)
{
	struct clockmig_kvm_pvclock g, cur, out;
	struct x86_state before, after;
	bool rd, wr, reserved_bad = false, scale_bad = false;
	int kind = rnd_ptr_kind(&c->r), r, cur_r;
	uint64_t e = 0;
	void *p;

	if (!set) {
		memset(&g, 0xa5, sizeof(g));
		p = place(&c->r, &g, sizeof(g), kind, &rd, &wr, c->unaligned);
		r = do_ioctl(c->ts, C_GET_CLOCK_GUEST, t->vcpu_fd, CLOCKMIG_KVM_GET_CLOCK_GUEST, p);
		/* Both documented, in no documented order: the master clock is checked first. */
		if (!wr && r != -EOPNOTSUPP)
			check_errno(C_GET_CLOCK_GUEST, r, EFAULT, "unwritable buffer");
		if (!r) {
			if (p != &g)
				memcpy(&g, p, sizeof(g));
			if (g.version || g.pad0 || g.pad[0] || g.pad[1] ||
			    g.flags != CLOCKMIG_PVCLOCK_TSC_STABLE_BIT || !g.tsc_to_system_mul ||
			    g.tsc_shift > 31 || g.tsc_shift < -31)
				fail(bad_output, "KVM_GET_CLOCK_GUEST: version %u pad0 %u pad %u %u flags %#x mul %u shift %d",
				     g.version, g.pad0, g.pad[0], g.pad[1], g.flags,
				     g.tsc_to_system_mul, g.tsc_shift);
		}
		if (t->main && !rnd_below(&c->r, 4))
			check_consistency(t->vcpu_fd);
		return;
	}

	cur_r = ioctl(t->vcpu_fd, CLOCKMIG_KVM_GET_CLOCK_GUEST, &cur) ? -errno : 0;
	fill_clock_guest(c, &g, &cur, !cur_r);
	p = place(&c->r, &g, sizeof(g), kind, &rd, &wr, c->unaligned);
	classify_clock_guest(&g, &reserved_bad, &scale_bad);
	if (t->main) {
		read_state(&before);
		e = epoch_begin();
	}
	r = do_ioctl(c->ts, C_SET_CLOCK_GUEST, t->vcpu_fd, CLOCKMIG_KVM_SET_CLOCK_GUEST, p);
	if (t->main)
		trace_call("SET_CLOCK_GUEST vcpu%d ptr%d {v %u pad0 %u tsc %" PRIu64 " ns %" PRIu64
			   " mul %u shift %d flags %#x pad %u %u}: %d", t->vcpu_idx, kind, g.version,
			   g.pad0, (uint64_t)g.tsc_timestamp, (uint64_t)g.system_time,
			   g.tsc_to_system_mul, g.tsc_shift, g.flags, g.pad[0], g.pad[1], r);
	if (t->main) {
		struct kvm_clock_data d;

		/* Any master clock update the call left pending, inside the epoch. */
		ioctl(t->vm_fd, KVM_GET_CLOCK, &d);
		epoch_end(e, !r);
	}
	if (!rd)
		check_errno(C_SET_CLOCK_GUEST, r, EFAULT, "unreadable buffer");
	else if (reserved_bad || scale_bad)
		check_errno(C_SET_CLOCK_GUEST, r, EINVAL,
			    reserved_bad ? "reserved field or flag set" : "zero mul or shift out of -31..31");
	else if (r == -EINVAL)
		fail(wrong_errno, "KVM_SET_CLOCK_GUEST: EINVAL for valid fields (mul %u shift %d)",
		     g.tsc_to_system_mul, g.tsc_shift);
	if (!t->main)
		return;
	read_state(&after);
	if (r) {
		compare_state(call_name[C_SET_CLOCK_GUEST], &before, &after, false);
		return;
	}
	/*
	 * api.rst 4.147: the VM's own (mul, shift) and a TSC value the vCPU's
	 * TSC took: exactly these parameters. Checked where that is plainly
	 * the case: at most the current reference point's TSC, within 2^40
	 * ticks of it, the kvmclock there positive.
	 */
	if (!cur_r && !atomic_load(&main_catchup) && g.tsc_to_system_mul == cur.tsc_to_system_mul &&
	    g.tsc_shift == cur.tsc_shift && g.tsc_timestamp <= cur.tsc_timestamp &&
	    cur.tsc_timestamp - g.tsc_timestamp < (1ULL << 40) &&
	    g.system_time < (1ULL << 62) &&
	    !ioctl(t->vcpu_fd, CLOCKMIG_KVM_GET_CLOCK_GUEST, &out)) {
		out.flags = g.flags;
		if (memcmp(&out, &g, sizeof(g)))
			fail(exact_mismatch, "KVM_SET_CLOCK_GUEST of the VM's own scale at TSC %" PRIu64
			     " ns %" PRIu64 ": read back TSC %" PRIu64 " ns %" PRIu64 " mul %u shift %d",
			     (uint64_t)g.tsc_timestamp, (uint64_t)g.system_time,
			     (uint64_t)out.tsc_timestamp, (uint64_t)out.system_time,
			     out.tsc_to_system_mul, out.tsc_shift);
	}
}

static void op_clock(struct ctx *c, struct target *t, bool set)
{
	struct kvm_clock_data d, cur;
	struct x86_state before, after;
	bool rd, wr;
	int kind = rnd_ptr_kind(&c->r), r, i;
	uint64_t e = 0, t0, t1 = 0;
	void *p;

	if (!set) {
		memset(&d, 0xa5, sizeof(d));
		p = place(&c->r, &d, sizeof(d), kind, &rd, &wr, c->unaligned);
		r = do_ioctl(c->ts, C_GET_CLOCK, t->vm_fd, KVM_GET_CLOCK, p);
		if (!wr)
			check_errno(C_GET_CLOCK, r, EFAULT, "unwritable buffer");
		if (!r) {
			if (p != &d)
				memcpy(&d, p, sizeof(d));
			if ((d.flags & ~adjust_clock_flags) || d.pad0 ||
			    d.pad[0] || d.pad[1] || d.pad[2] || d.pad[3])
				fail(bad_output, "KVM_GET_CLOCK: flags %#x (cap %#x), padding not zero",
				     d.flags, adjust_clock_flags);
		}
		return;
	}

	memset(&cur, 0, sizeof(cur));
	ioctl(t->vm_fd, KVM_GET_CLOCK, &cur);
	memset(&d, 0, sizeof(d));
	switch (rnd_below(&c->r, 4)) {
	case 0:
		d.clock = rnd_u64(&c->r);
		break;
	case 1:
		d.clock = cur.clock - rnd_below(&c->r, 1ULL << rnd_below(&c->r, 40));
		break;
	default:
		d.clock = cur.clock + rnd_below(&c->r, 1ULL << rnd_below(&c->r, 40));
		break;
	}
	/* Half the time a clock a guest would have: below 2^50 ns. */
	if (rnd_below(&c->r, 2))
		d.clock &= (1ULL << 50) - 1;
	d.flags = rnd_below(&c->r, 4) ? (uint32_t)rnd_below(&c->r, 8) : (uint32_t)rnd_u64(&c->r);
	if (d.flags & KVM_CLOCK_REALTIME)
		d.realtime = rnd_below(&c->r, 4) ? now_ns(CLOCK_REALTIME) -
			     rnd_below(&c->r, 1ULL << rnd_below(&c->r, 36)) : rnd_u64(&c->r);
	d.host_tsc = rnd_u64(&c->r);
	if (!rnd_below(&c->r, 3)) {
		d.pad0 = rnd(&c->r);
		for (i = 0; i < 4; i++)
			d.pad[i] = rnd(&c->r);
	}
	p = place(&c->r, &d, sizeof(d), kind, &rd, &wr, c->unaligned);
	if (t->main) {
		read_state(&before);
		e = epoch_begin();
	}
	t0 = now_ns(CLOCK_MONOTONIC);
	r = do_ioctl(c->ts, C_SET_CLOCK, t->vm_fd, KVM_SET_CLOCK, p);
	if (t->main)
		trace_call("SET_CLOCK ptr%d {clock %" PRIu64 " flags %#x realtime %" PRIu64 "}: %d",
			   kind, (uint64_t)d.clock, d.flags, (uint64_t)d.realtime, r);
	if (t->main) {
		ioctl(t->vm_fd, KVM_GET_CLOCK, &cur);
		t1 = now_ns(CLOCK_MONOTONIC);
		epoch_end(e, !r);
	}
	if (!rd)
		check_errno(C_SET_CLOCK, r, EFAULT, "unreadable buffer");
	else if (d.flags & ~adjust_clock_flags)
		check_errno(C_SET_CLOCK, r, EINVAL, "unknown flag");
	else if (r)
		fail(wrong_errno, "KVM_SET_CLOCK of valid flags %#x: %s", d.flags, strerror(-r));
	if (!t->main)
		return;
	if (r) {
		read_state(&after);
		compare_state(call_name[C_SET_CLOCK], &before, &after, false);
	} else if (p == &d && !(d.flags & KVM_CLOCK_REALTIME) && d.clock < (1ULL << 62)) {
		/* kvmclock is now the value set, plus what elapsed since. */
		uint64_t ran = cur.clock - d.clock;

		if (ran > t1 - t0 + 1000000)
			fail(state_changed, "KVM_SET_CLOCK %" PRIu64 ": read back %" PRIu64
			     " (%" PRId64 " ns later, %" PRIu64 " ns elapsed)", (uint64_t)d.clock,
			     (uint64_t)cur.clock, (int64_t)ran, t1 - t0);
	}
}

static void op_tsc_attr(struct ctx *c, struct target *t, enum call call)
{
	struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL };
	struct x86_state before, after;
	union { uint64_t off; struct clockmig_kvm_tsc_scale sc; } v;
	size_t size = call == C_GET_TSC_SCALE || call == C_SET_TSC_SCALE ? 16 : 8;
	int kind = rnd_ptr_kind(&c->r), r;
	bool rd, wr, attr_bad = !rnd_below(&c->r, 12), attr_rd, attr_wr;
	unsigned long req;
	uint64_t e = 0;
	void *p, *ap;

	memset(&v, 0xa5, sizeof(v));
	switch (call) {
	case C_GET_TSC_OFFSET:
	case C_SET_TSC_OFFSET:
		a.attr = KVM_VCPU_TSC_OFFSET;
		req = call == C_GET_TSC_OFFSET ? KVM_GET_DEVICE_ATTR : KVM_SET_DEVICE_ATTR;
		if (call == C_SET_TSC_OFFSET) {
			get_attr(t->vcpu_fd, KVM_VCPU_TSC_OFFSET, &v.off);
			if (rnd_below(&c->r, 2))
				v.off += rnd_below(&c->r, 1ULL << rnd_below(&c->r, 40)) -
					 (1ULL << 20);
			else
				v.off = rnd_u64(&c->r);
		}
		break;
	case C_GET_TSC_SCALE:
		a.attr = KVM_VCPU_TSC_SCALE;
		req = KVM_GET_DEVICE_ATTR;
		break;
	case C_SET_TSC_SCALE:
		a.attr = KVM_VCPU_TSC_SCALE;
		req = KVM_SET_DEVICE_ATTR;
		v.sc.tsc_ratio = rnd_u64(&c->r);
		v.sc.tsc_frac_bits = rnd_u64(&c->r);
		break;
	case C_HAS_TSC_ATTR:
		a.attr = rnd_below(&c->r, 2);
		req = KVM_HAS_DEVICE_ATTR;
		break;
	default:
		/* Another attribute of the group, or another group. */
		if (rnd_below(&c->r, 2))
			a.attr = 2 + rnd_below(&c->r, 1ULL << rnd_below(&c->r, 63));
		else
			a.group = 1 + (uint32_t)rnd_below(&c->r, 0xffffffffULL);
		a.flags = rnd_below(&c->r, 2) ? 0 : (uint32_t)rnd(&c->r);
		req = (unsigned long[]){KVM_HAS_DEVICE_ATTR, KVM_GET_DEVICE_ATTR,
					KVM_SET_DEVICE_ATTR}[rnd_below(&c->r, 3)];
		break;
	}
	p = place(&c->r, &v, size, kind, &rd, &wr, c->unaligned);
	a.addr = (uintptr_t)p;
	if (!rnd_below(&c->r, 16))
		a.flags = (uint32_t)rnd(&c->r);	/* no documented meaning: ignored */
	ap = &a;
	attr_rd = attr_wr = true;
	if (attr_bad)
		ap = place(&c->r, &a, sizeof(a), P_NULL + rnd_below(&c->r, NR_PTR_KINDS - P_NULL),
			   &attr_rd, &attr_wr, c->unaligned);

	if (t->main && (req == KVM_SET_DEVICE_ATTR)) {
		read_state(&before);
		e = epoch_begin();
	}
	r = do_ioctl(c->ts, call, t->vcpu_fd, req, ap);
	if (t->main && req == KVM_SET_DEVICE_ATTR)
		trace_call("%s vcpu%d ptr%d attrptr%d value %#" PRIx64 ": %d", call_name[call],
			   t->vcpu_idx, kind, attr_bad, v.off, r);
	if (t->main && call == C_SET_TSC_OFFSET && !r && rnd_below(&c->r, 3)) {
		/* As a VMM does: the same offset on every vCPU (master clock kept). */
		int i;

		for (i = 0; i < NR_MAIN_VCPUS; i++)
			if (i != t->vcpu_idx)
				do_ioctl(c->ts, call, vcpus[i]->fd, req, ap);
	}
	if (t->main && (req == KVM_SET_DEVICE_ATTR)) {
		struct kvm_clock_data d;

		ioctl(t->vm_fd, KVM_GET_CLOCK, &d);
		epoch_end(e, !r);
	}

	if (!attr_rd) {
		check_errno(call, r, EFAULT, "unreadable struct kvm_device_attr");
	} else if (call == C_OTHER_TSC_ATTR) {
		check_errno(call, r, ENXIO, "unknown attribute or group");
	} else if (call == C_HAS_TSC_ATTR) {
		check_errno(call, r, 0, "KVM_VCPU_TSC_OFFSET/SCALE exist");
	} else if (call == C_SET_TSC_SCALE) {
		check_errno(call, r, EINVAL, "read-only attribute");
	} else if ((req == KVM_SET_DEVICE_ATTR && !rd) || (req == KVM_GET_DEVICE_ATTR && !wr)) {
		check_errno(call, r, EFAULT, "bad value pointer");
	} else {
		check_errno(call, r, 0, "valid call");
	}
	if (!r && call == C_GET_TSC_SCALE) {
		if (p != &v)
			memcpy(&v, p, 16);
		if (!v.sc.tsc_ratio && !t->main && !has_tsc_control) {
			/*
			 * Known in the base: a vCPU created after the VM's
			 * KVM_SET_TSC_KHZ set a rate that set_tsc_khz() does
			 * not scale to (no TSC scaling) never gets its
			 * l1_tsc_scaling_ratio: 0, which the attribute shows.
			 */
			if (!atomic_fetch_add(&known_ratio0, 1))
				printf("# known in the base: KVM_VCPU_TSC_SCALE ratio 0 on a vCPU created after KVM_SET_TSC_KHZ (VM) of another rate\n");
		} else if ((v.sc.tsc_frac_bits != 32 && v.sc.tsc_frac_bits != 48) || !v.sc.tsc_ratio ||
		    (!has_tsc_control && v.sc.tsc_ratio != 1ULL << v.sc.tsc_frac_bits))
			fail(bad_output, "KVM_VCPU_TSC_SCALE: ratio %#" PRIx64 " frac bits %" PRIu64
			     " (TSC scaling %s)", (uint64_t)v.sc.tsc_ratio,
			     (uint64_t)v.sc.tsc_frac_bits, has_tsc_control ? "on" : "off");
	}
	if (!t->main || req != KVM_SET_DEVICE_ATTR)
		return;
	read_state(&after);
	if (r) {
		compare_state(call_name[call], &before, &after, false);
	} else if (call == C_SET_TSC_OFFSET && !atomic_load(&main_catchup)) {
		uint64_t want = p == &v ? v.off : *(uint64_t *)p;

		if (after.offset[t->vcpu_idx] != want)
			fail(state_changed, "KVM_VCPU_TSC_OFFSET set %#" PRIx64 ", read back %#" PRIx64,
			     want, after.offset[t->vcpu_idx]);
	}
}

static void op_tsc_khz(struct ctx *c, struct target *t, bool vm_ioctl)
{
	struct x86_state before, after;
	unsigned long arg;
	uint32_t khz;
	int r, thresh;
	uint64_t e = 0;

	switch (rnd_below(&c->r, 6)) {
	case 0:
		khz = (uint32_t[]){0, 1, 1000, 0x7fffffff, 0xffffffff}[rnd_below(&c->r, 5)];
		break;
	case 1:		/* around the tolerance (250 ppm) */
		thresh = host_tsc_khz / 4000;
		khz = host_tsc_khz + (int)rnd_below(&c->r, 4 * thresh + 3) - 2 * thresh - 1;
		break;
	case 2:
		khz = host_tsc_khz + rnd_below(&c->r, host_tsc_khz);
		break;
	case 3:
		khz = rnd(&c->r);
		break;
	default:
		khz = host_tsc_khz;
		break;
	}
	/*
	 * A rate above the host's without TSC scaling puts the vCPU in
	 * catch-up mode for good (no master clock then): on the main VM only
	 * in the last quarter of the run.
	 */
	thresh = host_tsc_khz / 4000;
	if (t->main && now_ns(CLOCK_MONOTONIC) < wild_after && !has_tsc_control &&
	    khz > catchup_above)
		khz = kernel_tsc_khz - 2 * thresh - rnd_below(&c->r, host_tsc_khz / 2);
	arg = khz;
	if (!rnd_below(&c->r, 8))
		arg |= rnd(&c->r) << 32;	/* (u32)arg: ignored */
	if (vm_ioctl) {
		r = do_ioctl(c->ts, C_SET_TSC_KHZ_VM, t->vm_fd, KVM_SET_TSC_KHZ, (void *)arg);
		/* api.rst 4.55: only before vCPUs exist (since 6.13). */
		if (t->main && vm_khz_after_vcpus_refused)
			check_errno(C_SET_TSC_KHZ_VM, r, EINVAL, "after vCPU creation");
		return;
	}
	if (t->main) {
		read_state(&before);
		e = epoch_begin();
	}
	r = do_ioctl(c->ts, C_SET_TSC_KHZ, t->vcpu_fd, KVM_SET_TSC_KHZ, (void *)arg);
	if (t->main)
		trace_call("SET_TSC_KHZ vcpu%d %#lx: %d", t->vcpu_idx, arg, r);
	if (!t->main)
		return;
	{
		struct kvm_clock_data d;

		ioctl(t->vm_fd, KVM_GET_CLOCK, &d);
	}
	if (!r && khz > catchup_above && !has_tsc_control) {
		if (!atomic_exchange(&main_catchup, 1))
			printf("# %.1f s: the main VM's vCPU %d is in TSC catch-up mode from here on (%u kHz)\n",
			       (now_ns(CLOCK_MONOTONIC) - start_ns) / 1e9, t->vcpu_idx, khz);
	}
	/* Refused, it may still have changed the rate (below): a new epoch. */
	epoch_end(e, true);
	read_state(&after);
	if (r) {
		/*
		 * Known in the base: kvm_set_tsc_khz() stores the rate before
		 * set_tsc_khz() refuses it (no TSC scaling, below the host's),
		 * so KVM_GET_TSC_KHZ returns the refused rate.
		 */
		compare_state(call_name[C_SET_TSC_KHZ], &before, &after, true);
	} else if ((uint32_t)after.khz[t->vcpu_idx] != (khz ? khz : kernel_tsc_khz)) {
		/* 0: the host's TSC rate, tsc_khz. */
		fail(state_changed, "KVM_SET_TSC_KHZ %u: KVM_GET_TSC_KHZ reads %d", khz,
		     after.khz[t->vcpu_idx]);
	}
}

static void do_op(struct ctx *c, struct target *t)
{
	static const enum call ops[] = {
		C_GET_CLOCK, C_SET_CLOCK, C_GET_CLOCK_GUEST, C_GET_CLOCK_GUEST,
		C_SET_CLOCK_GUEST, C_SET_CLOCK_GUEST, C_SET_CLOCK_GUEST,
		C_GET_TSC_OFFSET, C_SET_TSC_OFFSET, C_GET_TSC_SCALE, C_SET_TSC_SCALE,
		C_HAS_TSC_ATTR, C_OTHER_TSC_ATTR, C_SET_TSC_KHZ, C_SET_TSC_KHZ_VM,
	};
	enum call op = ops[rnd_below(&c->r, ARRAY_SIZE(ops))];
	bool setter = op == C_SET_CLOCK || op == C_SET_CLOCK_GUEST || op == C_SET_TSC_OFFSET ||
		      op == C_SET_TSC_SCALE || op == C_SET_TSC_KHZ || op == C_OTHER_TSC_ATTR;

	if (!has_clock_guest && (op == C_GET_CLOCK_GUEST || op == C_SET_CLOCK_GUEST))
		return;
	if (t->vcpu_fd < 0 && op != C_GET_CLOCK && op != C_SET_CLOCK && op != C_SET_TSC_KHZ_VM)
		op = rnd_below(&c->r, 2) ? C_GET_CLOCK : C_SET_CLOCK;
	if (t->main) {
		if (setter)
			pthread_rwlock_wrlock(&vm_lock);
		else
			pthread_rwlock_rdlock(&vm_lock);
	}
	switch (op) {
	case C_GET_CLOCK:
	case C_SET_CLOCK:
		op_clock(c, t, op == C_SET_CLOCK);
		break;
	case C_GET_CLOCK_GUEST:
	case C_SET_CLOCK_GUEST:
		op_clock_guest(c, t, op == C_SET_CLOCK_GUEST);
		break;
	case C_SET_TSC_KHZ:
	case C_SET_TSC_KHZ_VM:
		op_tsc_khz(c, t, op == C_SET_TSC_KHZ_VM);
		break;
	default:
		op_tsc_attr(c, t, op);
		break;
	}
	if (t->main)
		pthread_rwlock_unlock(&vm_lock);
}

/* Now and then, put the main VM back to a state where the setters can succeed. */
static void reset_main(struct ctx *c)
{
	struct kvm_clock_data d = { .clock = 1000000000ULL + rnd_below(&c->r, 1ULL << 40) };
	uint64_t e, off = 0;
	int i;

	pthread_rwlock_wrlock(&vm_lock);
	e = epoch_begin();
	trace_call("reset: TSC kHz %" PRIu64 ", vCPU 0's offset on all, clock %" PRIu64,
		   host_tsc_khz, (uint64_t)d.clock);
	for (i = 0; i < NR_MAIN_VCPUS; i++) {
		ioctl(vcpus[i]->fd, KVM_SET_TSC_KHZ, host_tsc_khz);
		if (!i)
			get_attr(vcpus[0]->fd, KVM_VCPU_TSC_OFFSET, &off);
		{
			struct kvm_device_attr a = { .group = KVM_VCPU_TSC_CTRL,
						     .attr = KVM_VCPU_TSC_OFFSET,
						     .addr = (uintptr_t)&off };
			ioctl(vcpus[i]->fd, KVM_SET_DEVICE_ATTR, &a);
		}
	}
	ioctl(vm->fd, KVM_SET_CLOCK, &d);
	ioctl(vm->fd, KVM_GET_CLOCK, &d);
	epoch_end(e, true);
	pthread_rwlock_unlock(&vm_lock);
}

static void churn_vcpu_setup(int fd)
{
	(void)fd;
}
#else /* arm64 */

static bool has_snapshot, has_counter_offset;

static void op_snapshot(struct ctx *c, struct target *t)
{
	struct clockmig_kvm_counter_snapshot s;
	bool rd, wr;
	int kind = rnd_ptr_kind(&c->r), r;
	void *p;

	memset(&s, 0xa5, sizeof(s));
	p = place(&c->r, &s, sizeof(s), kind, &rd, &wr, c->unaligned);
	r = do_ioctl(c->ts, C_GET_SNAPSHOT, t->vm_fd, CLOCKMIG_KVM_ARM_GET_COUNTER_SNAPSHOT, p);
	if (!wr)
		check_errno(C_GET_SNAPSHOT, r, EFAULT, "unwritable buffer");
	if (!r) {
		if (p != &s)
			memcpy(&s, p, sizeof(s));
		if ((s.flags & ~KVM_ARM_COUNTER_SNAPSHOT_REALTIME) || s.reserved[0] ||
		    s.reserved[1] || !s.counter_freq)
			fail(bad_output, "KVM_ARM_GET_COUNTER_SNAPSHOT: flags %#" PRIx64
			     " reserved %#" PRIx64 " %#" PRIx64 " freq %" PRIu64,
			     (uint64_t)s.flags, (uint64_t)s.reserved[0],
			     (uint64_t)s.reserved[1], (uint64_t)s.counter_freq);
	}
}

static uint64_t read_cnt(int vcpu_fd, uint64_t id)
{
	uint64_t v = 0;
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&v };

	ioctl(vcpu_fd, KVM_GET_ONE_REG, &reg);
	return v;
}

static void op_counter_offset(struct ctx *c, struct target *t)
{
	struct clockmig_kvm_counter_offset o = {};
	bool rd, wr;
	int kind = rnd_ptr_kind(&c->r), r;
	uint64_t e = 0, before = 0, after;
	void *p;

	switch (rnd_below(&c->r, 3)) {
	case 0:
		o.counter_offset = rnd_u64(&c->r);
		break;
	default:
		o.counter_offset = rnd_below(&c->r, 1ULL << rnd_below(&c->r, 40));
		break;
	}
	if (!rnd_below(&c->r, 4))
		o.reserved = 1ULL << rnd_below(&c->r, 64);
	p = place(&c->r, &o, sizeof(o), kind, &rd, &wr, c->unaligned);
	if (t->main) {
		before = read_cnt(vcpus[1]->fd, KVM_REG_ARM_TIMER_CNT);
		e = epoch_begin();
	}
	r = do_ioctl(c->ts, C_SET_COUNTER_OFFSET, t->vm_fd, CLOCKMIG_KVM_ARM_SET_COUNTER_OFFSET, p);
	if (t->main) {
		trace_call("SET_COUNTER_OFFSET ptr%d {offset %#" PRIx64 " reserved %#" PRIx64
			   "}: %d", kind, (uint64_t)o.counter_offset, (uint64_t)o.reserved, r);
		epoch_end(e, !r);
	}
	if (!rd)
		check_errno(C_SET_COUNTER_OFFSET, r, EFAULT, "unreadable buffer");
	else if (o.reserved)
		check_errno(C_SET_COUNTER_OFFSET, r, EINVAL, "reserved field set");
	if (t->main && r) {
		/* Rejected: the guest's virtual counter kept running from where it was. */
		after = read_cnt(vcpus[1]->fd, KVM_REG_ARM_TIMER_CNT);
		if (after - before > 1000ULL * 1000 * 1000 * 60)
			fail(state_changed, "rejected KVM_ARM_SET_COUNTER_OFFSET moved CNTVCT from %"
			     PRIu64 " to %" PRIu64, before, after);
	}
}

static void op_counter_reg(struct ctx *c, struct target *t)
{
	uint64_t v;
	struct kvm_one_reg reg = {
		.id = rnd_below(&c->r, 2) ? KVM_REG_ARM_TIMER_CNT : KVM_REG_ARM_PTIMER_CNT,
	};
	bool rd, wr;
	int kind = rnd_ptr_kind(&c->r), r;

	reg.addr = (uintptr_t)place(&c->r, &v, sizeof(v), kind, &rd, &wr, c->unaligned);
	r = do_ioctl(c->ts, C_GET_COUNTER_REG, t->vcpu_fd, KVM_GET_ONE_REG, &reg);
	if (!wr)
		check_errno(C_GET_COUNTER_REG, r, EFAULT, "unwritable buffer");
}

static void do_op(struct ctx *c, struct target *t)
{
	int which = rnd_below(&c->r, 3);

	if (t->vcpu_fd < 0 && which == 2)
		which = 0;
	if (which == 0 && !has_snapshot)
		which = 1;
	if (which == 1 && !has_counter_offset)
		which = 2;
	if (which == 2 && t->vcpu_fd < 0)
		return;
	if (t->main)
		pthread_rwlock_wrlock(&vm_lock);
	switch (which) {
	case 0:
		op_snapshot(c, t);
		break;
	case 1:
		op_counter_offset(c, t);
		break;
	default:
		op_counter_reg(c, t);
		break;
	}
	if (t->main)
		pthread_rwlock_unlock(&vm_lock);
}

static void reset_main(struct ctx *c)
{
	(void)c;
}

static void churn_vcpu_setup(int fd)
{
	struct kvm_vcpu_init init;

	if (!ioctl(vm->fd, KVM_ARM_PREFERRED_TARGET, &init))
		ioctl(fd, KVM_ARM_VCPU_INIT, &init);
}
#endif

/* ------------------------------------------------------------------ */
/* Threads.                                                           */

static void *fuzz_thread(void *arg)
{
	long id = (long)arg;
	struct ctx *c = calloc(1, sizeof(*c));
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)duration * 1000000000ULL;
	unsigned long n = 0;

	c->r.s = seed * 0x9e3779b97f4a7c15ULL + id + 1;
	c->ts = &tstate[id];
	c->ts->tid = gettid();
	while (now_ns(CLOCK_MONOTONIC) < end && !atomic_load(&stop)) {
		struct target t = { .main = true };

		if (!(++n % 40) && id == 0)
			reset_main(c);
		if (rnd_below(&c->r, 4)) {
			t.vcpu_idx = rnd_below(&c->r, NR_MAIN_VCPUS);
			t.vm_fd = vm->fd;
			t.vcpu_fd = vcpus[t.vcpu_idx]->fd;
			do_op(c, &t);
		} else if (churn_get(&c->r, &t.vm_fd, &t.vcpu_fd)) {
			t.main = false;
			if (t.vcpu_fd >= 0 || rnd_below(&c->r, 2))
				do_op(c, &t);
			close(t.vm_fd);
			if (t.vcpu_fd >= 0)
				close(t.vcpu_fd);
		}
	}
	free(c);
	return NULL;
}

/* Create a VM and vCPUs, let the fuzz threads at them, destroy, again. */
static void *churn_thread(void *arg)
{
	struct ctx *c = calloc(1, sizeof(*c));
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)duration * 1000000000ULL;
	int i;

	(void)arg;
	c->r.s = seed * 0x9e3779b97f4a7c15ULL + 1000;
	c->ts = &tstate[MAX_THREADS + NR_MAIN_VCPUS];
	c->ts->tid = gettid();
	while (now_ns(CLOCK_MONOTONIC) < end && !atomic_load(&stop)) {
		int fd = do_ioctl(c->ts, C_CREATE_VM, kvm_dev_fd, KVM_CREATE_VM, 0);

		if (fd < 0)
			continue;
		pthread_mutex_lock(&churn.lock);
		churn.vm_fd = fd;
		churn.nr_vcpus = 0;
		churn.generation++;
		pthread_mutex_unlock(&churn.lock);
		for (i = 0; i < CHURN_VCPUS + 2; i++) {
			/* Ids: the next one, a duplicate, or one out of range. */
			unsigned long vid = rnd_below(&c->r, 6) ? (unsigned long)churn.nr_vcpus :
					    rnd_below(&c->r, 2) ? 0 : 0x7fffffffUL + rnd_below(&c->r, 2);
			int vfd = do_ioctl(c->ts, C_CREATE_VCPU, fd, KVM_CREATE_VCPU, (void *)vid);

			if (vfd < 0)
				continue;
			churn_vcpu_setup(vfd);
			pthread_mutex_lock(&churn.lock);
			if (churn.nr_vcpus < CHURN_VCPUS)
				churn.vcpu_fd[churn.nr_vcpus++] = vfd;
			else
				close(vfd);
			pthread_mutex_unlock(&churn.lock);
			usleep(rnd_below(&c->r, 2000));
		}
		usleep(rnd_below(&c->r, 20000));
		/* The last fput, maybe in a fuzz thread's call, destroys it. */
		pthread_mutex_lock(&churn.lock);
		for (i = 0; i < churn.nr_vcpus; i++)
			close(churn.vcpu_fd[i]);
		close(churn.vm_fd);
		churn.vm_fd = -1;
		churn.nr_vcpus = 0;
		pthread_mutex_unlock(&churn.lock);
	}
	free(c);
	return NULL;
}

static void print_counts(void)
{
	int c, e;

	printf("# calls and their results (seed %" PRIu64 ", %d s, %d fuzz threads):\n",
	       seed, duration, nr_threads);
	for (c = 0; c < NR_CALLS; c++) {
		unsigned long total = 0;
		char line[1024];
		int len = 0;

		for (e = 0; e <= MAX_ERRNO; e++)
			total += atomic_load(&counts[c][e]);
		for (e = 0; e <= MAX_ERRNO; e++) {
			unsigned long n = atomic_load(&counts[c][e]);

			if (n)
				len += snprintf(line + len, sizeof(line) - len, " %s=%lu",
						e ? strerrorname_np(e) ?: "?" : "ok", n);
		}
		printf("#   %-38s %8lu%s\n", call_name[c], total, len ? line : "");
	}
	printf("# guest clock reads checked: %lu\n", atomic_load(&guest_reads));
}

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS], run[NR_MAIN_VCPUS], wd, ch;
	int opt, i, plan = 0;

	while ((opt = getopt(argc, argv, "s:t:j:w:W:h")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			duration = atoi(optarg);
			break;
		case 'j':
			nr_threads = atoi(optarg);
			break;
		case 'w':
			watchdog_s = atoi(optarg);
			break;
		case 'W':
			wild_percent = atoi(optarg);
			break;
		default:
			printf("usage: %s [-s SEED] [-t SECONDS] [-j THREADS (1-%d)] [-w WATCHDOG_SECONDS]\n"
			       "       [-W PERCENT: rates that put the main VM's vCPUs in TSC catch-up mode\n"
			       "        from PERCENT %% of the run on (default 75)]\n",
			       argv[0], MAX_THREADS);
			exit(KSFT_FAIL);
		}
	}
	if (nr_threads < 1 || nr_threads > MAX_THREADS)
		nr_threads = 3;
	setbuf(stdout, NULL);
	ksft_print_header();
	printf("# seed %" PRIu64 " (-s), %d s (-t), %d fuzz threads (-j), watchdog %d s (-w), catch-up rates from %d %% (-W)\n",
	       seed, duration, nr_threads, watchdog_s, wild_percent);
	kvm_dev_fd = open_kvm_dev_path_or_exit();
	setup_pointers();

#ifdef __x86_64__
	adjust_clock_flags = kvm_check_cap(KVM_CAP_ADJUST_CLOCK);
	has_clock_guest = kvm_check_cap(KVM_CAP_CLOCK_GUEST);
	has_tsc_control = kvm_check_cap(KVM_CAP_TSC_CONTROL);
	has_vm_tsc_control = kvm_check_cap(KVM_CAP_VM_TSC_CONTROL);
	create_main_vm();
	host_tsc_khz = ioctl(vcpus[0]->fd, KVM_GET_TSC_KHZ, 0);
	TEST_ASSERT((int64_t)host_tsc_khz > 0, "KVM_GET_TSC_KHZ");
	{
		/* The kernel's tsc_khz, which KVM_SET_TSC_KHZ 0 sets, on a scratch vCPU. */
		int vmfd = ioctl(kvm_dev_fd, KVM_CREATE_VM, 0);
		int vcfd = vmfd < 0 ? -1 : ioctl(vmfd, KVM_CREATE_VCPU, 0);

		TEST_ASSERT(vcfd >= 0 && !ioctl(vcfd, KVM_SET_TSC_KHZ, 0), "scratch vCPU");
		kernel_tsc_khz = ioctl(vcfd, KVM_GET_TSC_KHZ, 0);
		vm_khz_after_vcpus_refused =
			ioctl(vmfd, KVM_SET_TSC_KHZ, (unsigned long)kernel_tsc_khz) &&
			errno == EINVAL;
		if (vm_khz_after_vcpus_refused != kernel_at_least(6, 13))
			fail(wrong_errno, "KVM_SET_TSC_KHZ(vm) after vCPU creation: %s, but a %s kernel %s it",
			     vm_khz_after_vcpus_refused ? "refused" : "accepted",
			     kernel_at_least(6, 13) ? "6.13 or later" : "pre-6.13",
			     kernel_at_least(6, 13) ? "refuses" : "accepts");
		close(vcfd);
		close(vmfd);
		/* set_tsc_khz(): scaling, or catch-up, above tsc_khz + 250 ppm */
		catchup_above = kernel_tsc_khz * (1000000 + 250) / 1000000 - 1;
	}
	printf("# KVM_CAP_CLOCK_GUEST %d, KVM_CAP_ADJUST_CLOCK %#x, KVM_CAP_TSC_CONTROL %d, KVM_CAP_VM_TSC_CONTROL %d, guest TSC %" PRIu64 " kHz, host tsc_khz %" PRIu64 ", VM-wide KVM_SET_TSC_KHZ after vCPUs %s\n",
	       has_clock_guest, adjust_clock_flags, has_tsc_control, has_vm_tsc_control,
	       host_tsc_khz, kernel_tsc_khz,
	       vm_khz_after_vcpus_refused ? "refused" : "accepted");
	plan = 8;
#else
	has_snapshot = kvm_check_cap(KVM_CAP_ARM_COUNTER_SNAPSHOT);
	has_counter_offset = kvm_check_cap(KVM_CAP_COUNTER_OFFSET);
	create_main_vm();
	printf("# KVM_CAP_ARM_COUNTER_SNAPSHOT %d, KVM_CAP_COUNTER_OFFSET %d\n",
	       has_snapshot, has_counter_offset);
	plan = 8;
#endif
	ksft_set_plan(plan);

	start_ns = now_ns(CLOCK_MONOTONIC);
	wild_after = start_ns + (uint64_t)duration * wild_percent * 10000000ULL;
	pthread_create(&wd, NULL, watchdog, NULL);
	for (i = 0; i < NR_MAIN_VCPUS; i++)
		pthread_create(&run[i], NULL, run_vcpu, (void *)(long)i);
	pthread_create(&ch, NULL, churn_thread, NULL);
	for (i = 0; i < nr_threads; i++)
		pthread_create(&th[i], NULL, fuzz_thread, (void *)(long)i);
	for (i = 0; i < nr_threads; i++)
		pthread_join(th[i], NULL);
	pthread_join(ch, NULL);
	atomic_store(&stop, 1);
	for (i = 0; i < NR_MAIN_VCPUS; i++)
		pthread_join(run[i], NULL);

	print_counts();
	ksft_test_result_pass("no hang (watchdog %d s)\n", watchdog_s);
	ksft_test_result(!atomic_load(&bad_errno), "every return 0 or a documented errno (%lu not)\n",
			 atomic_load(&bad_errno));
	ksft_test_result(!atomic_load(&wrong_errno), "the errno the documentation predicts (%lu not)\n",
			 atomic_load(&wrong_errno));
	ksft_test_result(!atomic_load(&state_changed),
			 "rejected calls change no state, accepted ones read back (%lu not)\n",
			 atomic_load(&state_changed));
	ksft_test_result(!atomic_load(&bad_output), "outputs: reserved fields zero, values valid (%lu not)\n",
			 atomic_load(&bad_output));
	ksft_test_result(!atomic_load(&backwards) && atomic_load(&guest_reads),
			 "guest clock never went back outside a userspace setter (%lu reads, %lu back)\n",
			 atomic_load(&guest_reads), atomic_load(&backwards));
#ifdef __x86_64__
	if (atomic_load(&backwards_unstable))
		printf("# info: %lu backward steps of kvmclock without PVCLOCK_TSC_STABLE_BIT (not master clock mode, where KVM does not promise per-vCPU monotonicity)\n",
		       atomic_load(&backwards_unstable));
	if (!has_clock_guest) {
		ksft_test_result_skip("KVM_GET/SET_CLOCK_GUEST not covered: no KVM_CAP_CLOCK_GUEST\n");
		ksft_test_result_skip("exact KVM_SET_CLOCK_GUEST: not covered\n");
	} else {
		ksft_test_result(!atomic_load(&exact_mismatch),
				 "KVM_SET_CLOCK_GUEST of the VM's scale is taken exactly (%lu not)\n",
				 atomic_load(&exact_mismatch));
		ksft_test_result(!atomic_load(&consistency_fail),
				 "KVM_GET_CLOCK = KVM_GET_CLOCK_GUEST at its host TSC, within 1 ns (%lu checks, max %lld ns)\n",
				 atomic_load(&consistency_checks),
				 (long long)atomic_load(&consistency_max));
	}
	if (atomic_load(&skipped_catchup))
		printf("# %lu state comparisons skipped: the main VM's TSC is in catch-up mode (from -W %% of the run)\n",
		       atomic_load(&skipped_catchup));
	if (atomic_load(&known_ratio0))
		printf("# known in the base (not the series): %lu KVM_VCPU_TSC_SCALE reads of ratio 0 (vCPUs created after the VM's KVM_SET_TSC_KHZ of an unscalable rate)\n",
		       atomic_load(&known_ratio0));
	if (atomic_load(&known_base_state_changed))
		printf("# known in the base (not the series): %lu refused KVM_SET_TSC_KHZ left KVM_GET_TSC_KHZ at the refused rate\n",
		       atomic_load(&known_base_state_changed));
#else
	if (!has_snapshot)
		ksft_test_result_skip("KVM_ARM_GET_COUNTER_SNAPSHOT not covered: no KVM_CAP_ARM_COUNTER_SNAPSHOT\n");
	else
		ksft_test_result_pass("KVM_ARM_GET_COUNTER_SNAPSHOT covered\n");
	if (!has_counter_offset)
		ksft_test_result_skip("KVM_ARM_SET_COUNTER_OFFSET not covered: no KVM_CAP_COUNTER_OFFSET\n");
	else
		ksft_test_result_pass("KVM_ARM_SET_COUNTER_OFFSET covered\n");
#endif
	kvm_vm_free(vm);
	ksft_finished();
}
