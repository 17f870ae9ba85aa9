#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make docs: the series adds no documentation warnings.
#
# 1. 'make htmldocs SPHINXDIRS=virt' (Debian's Sphinx) of the bare base and
#    of the base + queue (the queue applied with git am, as make lint does),
#    out of tree in build/$BASE/docs-{base,series}; the warnings of each,
#    with line numbers and the tree's path taken out, are compared: a
#    warning the series build has more often than the base's is new.
# 2. 'scripts/kernel-doc -none' on every C file and header the queue
#    touches, at the base (where the file exists) and at the tip, compared
#    the same way.
#
# Exits non-zero on any new warning. The warnings are kept in
# build/$BASE/logs/docs-*.warnings.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SPHINXDIRS=${SPHINXDIRS:-virt}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD}
mkdir -p "$LOGDIR"
command -v sphinx-build >/dev/null ||
	die "no sphinx-build: run 'make setup' (it installs python3-sphinx)"

tip=$(queue_tip) || die "the queue of $BASE does not apply; see make lint BASE=$BASE"
wt=$SCRATCH/linux
start=$(date +%s)

# Warnings of a log, in a form that does not depend on where the tree is
# or on line numbers (the patches move lines).
normalize() {
	grep -E 'WARNING|ERROR|CRITICAL|SEVERE|[Ww]arning:|[Ee]rror:' "$1" |
		grep -v '^make' |
		sed -E -e "s|$wt/||g" -e "s|$BDIR/docs-[a-z]+/||g" \
			-e 's/:[0-9]+(:[0-9]+)?([: ])/:N\2/g' -e 's/line [0-9]+/line N/g' \
			-e 's/^\[ *[0-9]+%\] *//' |
		sort || true
}

# new_warnings BASE SERIES: the lines SERIES has more often than BASE.
# A warning whose count went down (a patch fixed one of two) is not new.
new_warnings() {
	awk 'FILENAME == ARGV[1] { base[$0]++; next } { series[$0]++ }
	     END { for (w in series) if (series[w] > base[w]) print w }' "$1" "$2" | sort
}

htmldocs() { # NAME COMMIT
	local out=$BDIR/docs-$1 log=$LOGDIR/docs-$1.log
	git -C "$wt" checkout -q -f --detach "$2"
	rm -rf "$out"
	mkdir -p "$out"
	REPRO="make docs BASE=$BASE" \
	run_step "make htmldocs SPHINXDIRS=$SPHINXDIRS ($BASE, $1)" "$log" \
		make -C "$wt" O="$out" SPHINXDIRS="$SPHINXDIRS" htmldocs
	normalize "$log" >"$LOGDIR/docs-$1.warnings"
}

htmldocs base base
htmldocs series "$tip"
fail=0
new=$(new_warnings "$LOGDIR/docs-base.warnings" "$LOGDIR/docs-series.warnings")
nb=$(wc -l <"$LOGDIR/docs-base.warnings")
ns=$(wc -l <"$LOGDIR/docs-series.warnings")
if [ -n "$new" ]; then
	printf 'FAILED: the series adds htmldocs warnings (%s: %d at the base, %d with the series):\n' \
		"$SPHINXDIRS" "$nb" "$ns" >&2
	printf '%s\n' "$new" | sed 's/^/    /' >&2
	fail=1
else
	say "htmldocs ($SPHINXDIRS): no new warning ($nb at the base, $ns with the series)"
fi

# kernel-doc on the touched C files and headers.
files=$(git -C "$wt" diff --name-only --diff-filter=AM base "$tip" -- '*.c' '*.h')
: >"$LOGDIR/docs-kdoc-base.warnings"
: >"$LOGDIR/docs-kdoc-series.warnings"
for k in base series; do
	c=base
	[ $k = series ] && c=$tip
	git -C "$wt" checkout -q -f --detach "$c"
	for f in $files; do
		[ -f "$wt/$f" ] || continue
		(cd "$wt" && scripts/kernel-doc -none "$f" 2>&1 || true) |
			sed -E -e "s|$wt/||g" -e 's/:[0-9]+([: ])/:N\1/g' >>"$LOGDIR/docs-kdoc-$k.warnings"
	done
done
new=$(new_warnings "$LOGDIR/docs-kdoc-base.warnings" "$LOGDIR/docs-kdoc-series.warnings")
nf=$(printf '%s\n' $files | grep -c . || true)
if [ -n "$new" ]; then
	printf 'FAILED: kernel-doc -none finds new warnings in the files the series touches:\n' >&2
	printf '%s\n' "$new" | sed 's/^/    /' >&2
	fail=1
else
	say "kernel-doc -none: no new warning in the $nf C file(s) and header(s) the series touches ($(wc -l <"$LOGDIR/docs-kdoc-base.warnings") at the base, $(wc -l <"$LOGDIR/docs-kdoc-series.warnings") with the series)"
fi
git -C "$wt" checkout -q -f --detach "$tip"
say "docs ($BASE): $(fmt_secs $(($(date +%s) - start)))"
exit "$fail"
