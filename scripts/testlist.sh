#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the tests to run for BASE and ARCH as tab-separated "name timeout
# command": all of tests/$BASE/$ARCH.list, or those TESTS names. A TESTS
# word that is not in the list is taken as a selftest path (e.g.
# x86/state_test on 7.3, x86_64/state_test on 6.12) and runs with
# DEFAULT_TIMEOUT.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
arch_setup
TESTS=${TESTS-all}
DEFAULT_TIMEOUT=${DEFAULT_TIMEOUT:-300}
# The debug kernel (KASAN, ...) runs everything several times slower.
TIMEOUT_FACTOR=${TIMEOUT_FACTOR:-1}
[ "${DEBUG:-0}" != 1 ] || TIMEOUT_FACTOR=${DEBUG_TIMEOUT_FACTOR:-3}

# TEST_LIST: another list of the same form (make regress writes one).
list=${TEST_LIST:-$TOP/tests/$BASE/$ARCH.list}
[ -f "$list" ] || die "no test list $list"
table=$(sed -e 's/#.*//' "$list" |
	awk -v f="$TIMEOUT_FACTOR" 'NF >= 3 { c = $3; for (i = 4; i <= NF; i++) c = c " " $i;
		       printf "%s\t%s\t%s\n", $1, $2 * f, c }')
if [ "$TESTS" = all ]; then
	printf '%s\n' "$table"
	exit 0
fi
for t in $TESTS; do
	row=$(printf '%s\n' "$table" | awk -F'\t' -v n="$t" '$1 == n')
	if [ -n "$row" ]; then
		printf '%s\n' "$row"
	elif [ -f "$KSRC/tools/testing/selftests/kvm/$t.c" ]; then
		printf '%s\t%s\t%s\n' "$(basename "$t")" "$((DEFAULT_TIMEOUT * TIMEOUT_FACTOR))" "$t"
	else
		die "TESTS: '$t' is neither in tests/$BASE/$ARCH.list nor a selftest of $BASE"
	fi
done
