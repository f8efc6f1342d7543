# SPDX-License-Identifier: GPL-2.0-only
# bench-lib.sh: what the benchmark scripts share. Source it after setting
# $reps (repetitions) and $tmp (a scratch directory); make_patch also
# needs $old_tree, $new_tree, $base and $new (two kernel trees and their
# versions).

# median_seconds CMD... runs CMD $reps times (after one warm-up that fills
# the page cache) and prints the median wall time. Exit status is ignored:
# lockbot exits 1 when it finds something, which is the normal case here.
median_seconds() {
	if command -v hyperfine >/dev/null; then
		hyperfine --style none --warmup 1 --runs "$reps" --ignore-failure \
			--export-csv "$tmp/hf.csv" "$(printf '%q ' "$@")" >/dev/null 2>&1
		# command,mean,stddev,median,...
		awk -F, 'NR == 2 { printf "%.3f\n", $4 }' "$tmp/hf.csv"
		return
	fi
	local i start end
	"$@" >/dev/null 2>&1 || true
	: >"$tmp/times"
	for ((i = 0; i < reps; i++)); do
		start=$(date +%s.%N)
		"$@" >/dev/null 2>&1 || true
		end=$(date +%s.%N)
		awk -v a="$start" -v b="$end" 'BEGIN { print b - a }' >>"$tmp/times"
	done
	sort -g "$tmp/times" | awk '{ t[NR] = $1 } END {
		m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
		printf "%.3f\n", m
	}'
}

# make_patch FILE OUT: upstream's change to FILE as a mail git am takes.
make_patch() {
	local f=$1 out=$2
	{
		printf 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
		printf 'From: Bench Mark <bench@example.org>\n'
		printf 'Date: Sat, 21 Nov 2026 10:00:00 +0000\n'
		printf 'Subject: [PATCH] %s: update from %s to %s\n\n' "$f" "$base" "$new"
		printf 'Upstream changes to %s between %s and %s.\n\n' "$f" "$base" "$new"
		printf 'Signed-off-by: Bench Mark <bench@example.org>\n---\n'
		git diff --no-index --no-color "$old_tree/$f" "$new_tree/$f" |
			sed -e "s#a$old_tree/#a/#g" -e "s#b$new_tree/#b/#g" || true
	} >"$out"
}
