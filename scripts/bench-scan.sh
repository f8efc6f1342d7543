#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench-scan.sh [SUBDIR[,SUBDIR...]] [VERSION]
#
# Times `lockbot scan` against `lockbot debug parse` (tree-sitter alone on
# the same files and workers) on kernel subsystems, to show what the
# analysis costs on top of parsing. SUBDIR defaults to a mix of drivers,
# filesystem, core kernel, mm and networking code; VERSION to 6.12.
# REPS (default 5) sets the repetitions; the median is reported. Uses
# hyperfine when installed, else a plain loop.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
default_subdirs="drivers/md fs/ext4 kernel/locking mm net/core"
subdirs=${1:-$default_subdirs}
version=${2:-6.12}
reps=${REPS:-5}
[[ $reps =~ ^[1-9][0-9]*$ ]] || {
	echo "bench-scan: REPS must be a positive number, not '$reps'" >&2
	exit 1
}
read -r -a subdirs <<<"${subdirs//,/ }"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/lockbot
echo "bench-scan: building lockbot" >&2
(cd "$root" && go build -o "$bin" ./cmd/lockbot)

tree=$("$root/scripts/fetch-kernel.sh" "$version" "${subdirs[@]}" | tail -n 1)

# shellcheck source=bench-lib.sh
source "$root/scripts/bench-lib.sh"

header="%-16s %6s %10s %9s %9s %10s %9s\n"
rows=()
for s in "${subdirs[@]}"; do
	dir=$tree/$s
	echo "bench-scan: $s ($version)" >&2
	# "files N bytes N load Xs parse Ys"
	read -r _ files _ bytes _ <<<"$("$bin" debug parse "$dir")"
	parse=$(median_seconds "$bin" debug parse "$dir")
	scan=$(median_seconds "$bin" scan --format json "$dir")
	rows+=("$(awk -v s="$s" -v f="$files" -v b="$bytes" -v p="$parse" -v c="$scan" 'BEGIN {
		printf "%-16s %6d %10d %9.3f %9.3f %10.2f %9.2f", s, f, b, p, c, c / p, (c - p) / p
	}')")
done

echo
echo "linux $version ($tree), median of $reps runs, $(nproc) cores"
# shellcheck disable=SC2059 # the format is ours
printf "$header" subsystem files bytes parse_s scan_s scan/parse overhead
printf '%s\n' "${rows[@]}"
