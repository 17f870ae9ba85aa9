/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* clockmig internals shared by the common and the architecture code. */
#ifndef CLOCKMIG_INT_H
#define CLOCKMIG_INT_H

#include <stdbool.h>
#include <time.h>
#include <sys/ioctl.h>

#include "clockmig.h"

#if defined(__x86_64__)
#define CLOCKMIG_ARCH_NATIVE	CLOCKMIG_ARCH_X86_64
#define CLOCKMIG_NATIVE_X86	1
#define CLOCKMIG_NATIVE_ARM64	0
#elif defined(__aarch64__)
#define CLOCKMIG_ARCH_NATIVE	CLOCKMIG_ARCH_ARM64
#define CLOCKMIG_NATIVE_X86	0
#define CLOCKMIG_NATIVE_ARM64	1
#else
#define CLOCKMIG_ARCH_NATIVE	0
#define CLOCKMIG_NATIVE_X86	0
#define CLOCKMIG_NATIVE_ARM64	0
#endif

/*
 * The unit tests (tests/unit.c) build the library with CLOCKMIG_FAKE_KVM:
 * every ioctl goes to their fake KVM, the clocks and the host counter are
 * theirs, and both architectures' code is built and driven on any host.
 */
#ifdef CLOCKMIG_FAKE_KVM
#define CLOCKMIG_BUILD_X86	1
#define CLOCKMIG_BUILD_ARM64	1
extern int clockmig_fake_arch;
int clockmig_fake_ioctl(int fd, unsigned long request, ...);
#define ioctl(...)		clockmig_fake_ioctl(__VA_ARGS__)
#else
#define CLOCKMIG_BUILD_X86	CLOCKMIG_NATIVE_X86
#define CLOCKMIG_BUILD_ARM64	CLOCKMIG_NATIVE_ARM64
#endif

#define CLOCKMIG_NSEC_PER_SEC	1000000000ull
#define CLOCKMIG_MAX_VCPUS	4096

/* Clocks of this host: CLOCK_REALTIME/MONOTONIC, the TSC / CNTVCT_EL0, CNTFRQ_EL0. */
uint64_t clockmig_now_ns(clockid_t clock);
uint64_t clockmig_host_counter(void);
uint64_t clockmig_host_counter_freq(void);

/*
 * A (host counter, CLOCK_REALTIME) pair read in userspace: the narrowest
 * of a few back-to-back reads, the counter taken in the middle.
 */
struct clockmig_pair {
	uint64_t counter;
	uint64_t realtime_ns;
	uint64_t width;		/* counter ticks between the two counter reads */
};

void clockmig_sample_pair(struct clockmig_pair *pair);
uint64_t clockmig_pair_realtime(const struct clockmig_pair *pair, uint64_t counter,
				uint64_t hz);

void clockmig_report_reset(struct clockmig_report *report);
void clockmig_note(struct clockmig_report *report, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The guest counter (TSC) a CATCH_UP restore sets: the saved one plus the
 * realtime elapsed from the source's sample to @now_ns, in ticks. Notes in
 * @report when realtime here is behind the source's (the counter then goes
 * on from the saved value), fails when the result does not fit in 64 bits.
 */
int clockmig_catch_up(const struct clockmig_state *s, uint64_t now_ns,
		      const char *counter, uint64_t *target,
		      struct clockmig_report *report);
int clockmig_fail(struct clockmig_report *report, const char *ioctl_name,
		  const char *meaning);
int clockmig_check_cap(int vm_fd, long cap);

int clockmig_x86_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		      struct clockmig_state *state, struct clockmig_report *report);
int clockmig_x86_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			 const struct clockmig_state *state,
			 enum clockmig_policy policy, unsigned int flags,
			 struct clockmig_report *report);
int clockmig_arm64_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			struct clockmig_state *state, struct clockmig_report *report);
int clockmig_arm64_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			   const struct clockmig_state *state,
			   enum clockmig_policy policy, unsigned int flags,
			   struct clockmig_report *report);

#endif
