/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* The unit tests' checks: TAP lines for failures, counts for the plan. */
#ifndef CLOCKMIG_TEST_H
#define CLOCKMIG_TEST_H

#include <stdio.h>

extern int failures, cases;

#define CHECK(cond, ...) do {						\
	cases++;							\
	if (!(cond)) {							\
		failures++;						\
		printf("not ok %d - %s:%d: %s: ", cases, __func__, __LINE__, #cond); \
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

void test_fake_x86(void);
void test_fake_arm64(void);

#endif
