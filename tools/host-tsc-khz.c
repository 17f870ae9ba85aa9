// SPDX-License-Identifier: GPL-2.0
/*
 * host-tsc-khz - print the host's TSC frequency in kHz, measured against
 * CLOCK_MONOTONIC_RAW over 200ms.
 *
 * Under QEMU TCG the x86 guest reads the host's TSC, so this is the guest's
 * TSC frequency too. vmtest.sh passes it as tsc_early_khz=: the guest's
 * early calibration under TCG can be off by 0.1%, and KVM, built in, keeps
 * that early value as its default guest TSC frequency, more than
 * tsc_tolerance_ppm away from the refined one. Every VM then asks for TSC
 * scaling that TCG does not have.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(void)
{
	uint64_t t0, t1, c0, c1;
	struct timespec pause = { 0, 200000000 };

	t0 = raw_ns();
	c0 = __rdtsc();
	nanosleep(&pause, NULL);
	t1 = raw_ns();
	c1 = __rdtsc();
	if (t1 <= t0 || c1 <= c0)
		return 1;
	printf("%llu\n", (unsigned long long)((c1 - c0) * 1000000ull / (t1 - t0)));
	return 0;
}
