#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# review-upstream.sh [SUBDIR...]
#
# Reviews real changes as a maintainer would see them: every C file of the
# SUBDIRs (default: drivers/md fs/ext4 kernel/locking mm net/core) that
# upstream changed between 6.1 and 6.12 becomes one patch on the 6.1 tree
# (Debian's linux-source trees, see fetch-kernel.sh), and `lockbot check
# --tree` reviews each. Prints what lockbot says the changes introduce, and
# the totals; every finding printed is one a patch author would be shown.
# LOCKBOT_INDEX names an index of the 6.1 tree to review with (callees and
# callers in other files); without it the patches are reviewed without one.
# LOCKBOT_CHECK_FLAGS adds flags to every check (--no-callers, to time the
# review without the callers' analysis).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=6.1
new=6.12
subdirs=("$@")
((${#subdirs[@]})) || subdirs=(drivers/md fs/ext4 kernel/locking mm net/core)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
reps=1
# shellcheck source=bench-lib.sh
source "$root/scripts/bench-lib.sh"
bin=$tmp/lockbot
(cd "$root" && go build -o "$bin" ./cmd/lockbot)
old_tree=$("$root/scripts/fetch-kernel.sh" "$base" | tail -n 1)
new_tree=$("$root/scripts/fetch-kernel.sh" "$new" | tail -n 1)

ixflags=()
[[ -n ${LOCKBOT_INDEX:-} ]] && ixflags=(--index "$LOCKBOT_INDEX")
# shellcheck disable=SC2206 # split on purpose: a list of flags
[[ -n ${LOCKBOT_CHECK_FLAGS:-} ]] && ixflags+=(${LOCKBOT_CHECK_FLAGS})

patches=0 findings=0 resolved=0 failed=0
start=$(date +%s.%N)
for d in "${subdirs[@]}"; do
	while IFS= read -r f; do
		[[ -f $new_tree/$f ]] || continue
		cmp -s "$old_tree/$f" "$new_tree/$f" && continue
		p=$tmp/patch
		make_patch "$f" "$p"
		patches=$((patches + 1))
		if ! out=$("$bin" check --fail-on never --tree "$old_tree" "${ixflags[@]}" "$p" 2>&1); then
			echo "$f: lockbot check failed: $out" >&2
			failed=$((failed + 1))
			continue
		fi
		n=$(grep -c '^ERROR:\|^WARNING:' <<<"$out" || true)
		r=$(grep -c '^RESOLVED:' <<<"$out" || true)
		findings=$((findings + n))
		resolved=$((resolved + r))
		if ((n > 0)); then
			"$bin" check --terse --fail-on never --tree "$old_tree" "${ixflags[@]}" "$p"
		fi
	done < <(cd "$old_tree" && find "$d" -name '*.c' | sort)
done
end=$(date +%s.%N)
printf 'patches %d, introduced findings %d, resolved %d, failed %d, %.1f s\n' \
	"$patches" "$findings" "$resolved" "$failed" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')"
((failed == 0))
