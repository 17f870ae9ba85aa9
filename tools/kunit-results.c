// SPDX-License-Identifier: GPL-2.0
/*
 * kunit-results SUITE...: report, in kselftest form, the results of KUnit
 * suites that ran built into the test VM's kernel at boot.
 *
 * KUnit writes each suite's KTAP results to
 * /sys/kernel/debug/kunit/SUITE/results (CONFIG_KUNIT_DEBUGFS). This
 * prints them, then a "# Totals:" line counting the suite's test cases
 * (the lines "ok N" / "not ok N" one level below the suite), which
 * scripts/vmlog.py reads like a selftest's.
 *
 * Exit status: 0 if every suite passed, 1 if one failed or is missing (a
 * suite the config should have built in and did not is a failure, not a
 * skip), 4 (KSFT_SKIP) if every suite was skipped.
 */
#include <stdio.h>
#include <string.h>

#define KSFT_SKIP 4

struct counts {
	int pass, fail, skip;
};

/* "    ok 3 name # SKIP reason" at an indentation of exactly @indent. */
static int case_line(const char *line, int indent, struct counts *c)
{
	const char *p = line;
	int n = 0;

	while (*p == ' ') {
		p++;
		n++;
	}
	if (n != indent)
		return 0;
	if (!strncmp(p, "not ok ", 7)) {
		c->fail++;
		return 1;
	}
	if (strncmp(p, "ok ", 3))
		return 0;
	if (strstr(p, "# SKIP"))
		c->skip++;
	else
		c->pass++;
	return 1;
}

/* Returns 0 passed, 1 failed or missing, KSFT_SKIP skipped. */
static int report_suite(const char *suite, struct counts *total)
{
	char path[512], line[1024];
	struct counts c = { 0 };
	int suite_ok = -1, suite_skip = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kunit/%s/results", suite);
	f = fopen(path, "r");
	if (!f) {
		printf("# %s: no %s: the kernel was built without this KUnit suite\n",
		       suite, path);
		total->fail++;
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		printf("%s", line);
		if (case_line(line, 4, &c))
			continue;
		/* The suite's own result, unindented. */
		if (!strncmp(line, "not ok ", 7)) {
			suite_ok = 0;
		} else if (!strncmp(line, "ok ", 3)) {
			suite_ok = 1;
			suite_skip = !!strstr(line, "# SKIP");
		}
	}
	fclose(f);

	total->pass += c.pass;
	total->fail += c.fail;
	total->skip += c.skip;
	if (suite_ok < 0) {
		printf("# %s: no result line: the suite did not complete\n", suite);
		total->fail++;
		return 1;
	}
	if (!suite_ok || c.fail)
		return 1;
	if (suite_skip || (!c.pass && c.skip))
		return KSFT_SKIP;
	return c.pass ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct counts total = { 0 };
	int i, failed = 0, skipped = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SUITE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		int r = report_suite(argv[i], &total);

		failed |= r == 1;
		skipped += r == KSFT_SKIP;
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       total.pass, total.fail, total.skip);
	if (failed)
		return 1;
	return skipped == argc - 1 ? KSFT_SKIP : 0;
}
