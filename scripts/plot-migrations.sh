#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Plot the demo's per-migration CSV (scripts/run.sh) with gnuplot: the
# guest-visible clock step and the error against the policy's target, per
# method and policy, on a log scale.
#   plot-migrations.sh CSV PNG
set -euo pipefail
. "$(dirname "$0")/lib.sh"

csv=$1 png=$2
command -v gnuplot >/dev/null || die "gnuplot is not installed (make setup)"
dat=$(mktemp -d)
trap 'rm -rf "$dat"' EXIT

# One data file per (method, policy): migration, |step|, |error| in ns,
# with 0 drawn at 0.1 so that it shows on the log scale.
series=()
while IFS= read -r key; do
	f=$dat/$(echo "$key" | tr ' +,' '__-').dat
	awk -F, -v k="$key" 'NR > 1 && $2 "," $3 == k {
		s = $5 < 0 ? -$5 : $5; e = $6 < 0 ? -$6 : $6
		printf "%d %g %g\n", $4, s < 0.1 ? 0.1 : s, e < 0.1 ? 0.1 : e }' "$csv" >"$f"
	series+=("$f|$key")
done < <(awk -F, 'NR > 1 { print $2 "," $3 }' "$csv" | awk '!seen[$0]++')
[ ${#series[@]} -gt 0 ] || die "no migrations in $csv"
arch=$(awk -F, 'NR == 2 { print $1 }' "$csv")

plots() {
	local col=$1 sep=""
	for s in "${series[@]}"; do
		printf '%s"%s" using 1:%s with linespoints title "%s"' "$sep" "${s%%|*}" "$col" "${s#*|}"
		sep=", "
	done
}
gnuplot <<GP
set terminal pngcairo size 1200,900 noenhanced
set output "$png"
set multiplot layout 2,1 title "clockmig on the patched $arch kernel: one point per migration (0 is drawn at 0.1)"
set logscale y
set grid
set key outside right
set xlabel "migration"
set ylabel "|step| (ns)"
set title "guest-visible clock step against the guest's own counter"
plot $(plots 2)
set ylabel "|error| (ns)"
set title "guest counter against the policy's target"
plot $(plots 3)
unset multiplot
GP
