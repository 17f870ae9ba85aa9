/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* clockmig internals shared by the common and the architecture code. */
#ifndef CLOCKMIG_INT_H
#define CLOCKMIG_INT_H

#include <time.h>

#include "clockmig.h"

#if defined(__x86_64__)
#define CLOCKMIG_ARCH_NATIVE	CLOCKMIG_ARCH_X86_64
#define CLOCKMIG_HAS_KVM_ARCH	1
#elif defined(__aarch64__)
#define CLOCKMIG_ARCH_NATIVE	CLOCKMIG_ARCH_ARM64
#define CLOCKMIG_HAS_KVM_ARCH	1
#else
#define CLOCKMIG_ARCH_NATIVE	0
#define CLOCKMIG_HAS_KVM_ARCH	0
#endif

uint64_t clockmig_now_ns(clockid_t clock);
void clockmig_report_reset(struct clockmig_report *report);
void clockmig_note(struct clockmig_report *report, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int clockmig_fail(struct clockmig_report *report, const char *ioctl_name,
		  const char *meaning);

int clockmig_arch_save(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
		       struct clockmig_state *state, struct clockmig_report *report);
int clockmig_arch_restore(int vm_fd, const int *vcpu_fds, unsigned int nr_vcpus,
			  const struct clockmig_state *state,
			  enum clockmig_policy policy, unsigned int allowed,
			  struct clockmig_report *report);

#endif
