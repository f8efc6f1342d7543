#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# bench-check.sh [VERSION_BASE] [VERSION_NEW]
#
# Times `lockbot check --tree` against the kernel's own scripts/checkpatch.pl
# on the same patches, side by side, one process per patch as a pre-send
# hook runs them.
#
# The patches are real kernel changes: for each file below, upstream's
# changes to it between VERSION_BASE (default 6.1) and VERSION_NEW (default
# 6.12), as a git-style patch that applies to the VERSION_BASE tree (both
# trees from Debian's linux-source packages, see fetch-kernel.sh). They are
# written to a temporary directory, never to the repository. REPS (default
# 3) sets the repetitions; the median wall time of each command is kept.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=${1:-6.1}
new=${2:-6.12}
reps=${REPS:-3}
[[ $reps =~ ^[1-9][0-9]*$ ]] || {
	echo "bench-check: REPS must be a positive number, not '$reps'" >&2
	exit 1
}
files=(
	drivers/md/dm-snap.c drivers/md/raid5-ppl.c drivers/md/dm-log-writes.c
	mm/kasan/report.c mm/z3fold.c mm/mempool.c mm/dmapool.c
	kernel/locking/rtmutex.c kernel/locking/lockdep.c
	fs/ext4/fast_commit.c fs/ext4/mmp.c
	net/core/netpoll.c net/core/gro_cells.c net/core/sock_map.c
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=$tmp/lockbot
echo "bench-check: building lockbot" >&2
(cd "$root" && go build -o "$bin" ./cmd/lockbot)
old_tree=$("$root/scripts/fetch-kernel.sh" "$base" | tail -n 1)
new_tree=$("$root/scripts/fetch-kernel.sh" "$new" | tail -n 1)
[[ -f $old_tree/scripts/checkpatch.pl ]] || {
	echo "bench-check: $old_tree has no scripts/checkpatch.pl" >&2
	exit 1
}

# shellcheck source=bench-lib.sh
source "$root/scripts/bench-lib.sh"

header="%-28s %6s %9s %11s %7s  %s\n"
printf "$header" patch lines "lockbot" "checkpatch" ratio "lockbot findings"
total_l=0 total_c=0
for f in "${files[@]}"; do
	p=$tmp/$(basename "$f").patch
	make_patch "$f" "$p"
	lines=$(grep -c '^[-+][^-+]' "$p" || true)
	# A patch that does not apply is a broken benchmark, not a timing.
	if ! out=$("$bin" check --fail-on never --tree "$old_tree" "$p" 2>&1); then
		echo "bench-check: lockbot check failed on $f: $out" >&2
		exit 1
	fi
	found=$(grep -c '^ERROR:\|^WARNING:' <<<"$out" || true)
	resolved=$(grep -c '^RESOLVED:' <<<"$out" || true)
	tl=$(median_seconds "$bin" check --fail-on never --tree "$old_tree" "$p")
	tc=$(cd "$old_tree" && median_seconds perl scripts/checkpatch.pl -q --no-summary "$p")
	ratio=$(awk -v a="$tl" -v b="$tc" 'BEGIN { printf "%.2f", a / b }')
	printf "$header" "$(basename "$f")" "$lines" "${tl}s" "${tc}s" "$ratio" "$found new, $resolved resolved"
	total_l=$(awk -v a="$total_l" -v b="$tl" 'BEGIN { print a + b }')
	total_c=$(awk -v a="$total_c" -v b="$tc" 'BEGIN { print a + b }')
done
printf "$header" total "" "${total_l}s" "${total_c}s" "$(awk -v a="$total_l" -v b="$total_c" 'BEGIN { printf "%.2f", a / b }')" ""
echo "target: lockbot at most 0.5x checkpatch's wall time"
