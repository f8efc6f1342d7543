#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# score-corpus.sh [--heldout] [--no-index] [RECORDS.jsonl...]
#
# Scores lockbot's recall on the corpus of real lock bugs (corpus/, see
# its README): for each record, `lockbot scan` of the record's file in its
# tree, with that tree's index, must report the record's rule in its
# function within 3 lines of its line (or with a chain step there); and
# where the fix is known (fixed_tree, or fixed_edit applied to a copy of
# the directory), the same scan of the fixed code must not. Prints a line
# per record and a table per class; the development part and the
# held-out part are counted apart. By default it scores corpus/dev*.jsonl
# only: --heldout scores corpus/heldout*.jsonl as well (do that at the
# end of a piece of work, not while choosing what to do).
#
# The trees are Debian's linux-source packages (scripts/fetch-kernel.sh),
# cached in ${LOCKBOT_CACHE:-$HOME/.cache/lockbot}; the indexes are built
# there once (index-VERSION.db) and refreshed when lockbot's summaries
# change. LOCKBOT names the binary (default: built from this checkout).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${LOCKBOT_CACHE:-${HOME:?}/.cache/lockbot}
heldout=0
use_index=1
files=()
for a in "$@"; do
	case $a in
	--heldout) heldout=1 ;;
	--no-index) use_index=0 ;;
	*) files+=("$a") ;;
	esac
done
if [[ ${#files[@]} -eq 0 ]]; then
	files=("$root"/corpus/dev*.jsonl)
	if [[ $heldout -eq 1 ]]; then
		files+=("$root"/corpus/heldout*.jsonl)
	fi
fi

bin=${LOCKBOT:-}
if [[ -z $bin ]]; then
	bin=$cache/lockbot-score
	(cd "$root" && go build -o "$bin" ./cmd/lockbot)
fi

versions=$(cat "${files[@]}" | python3 -c '
import json, sys
vs = set()
for line in sys.stdin:
    if line.strip():
        r = json.loads(line)
        vs.add(r["tree"])
        if r.get("fixed_tree"):
            vs.add(r["fixed_tree"])
print(" ".join(sorted(vs)))')

declare -A tree_of index_of
for v in $versions; do
	tree_of[$v]=$("$root"/scripts/fetch-kernel.sh "$v" | tail -n 1)
	index_of[$v]=""
	if [[ $use_index -eq 1 ]]; then
		idx=$cache/index-$v.db
		# Incremental: only files whose size or time changed are read
		# again, and a new lockbot's summaries rebuild it.
		"$bin" index --tree "${tree_of[$v]}" --out "$idx" >&2 || echo "score-corpus: index of $v incomplete" >&2
		index_of[$v]=$idx
	fi
done

args=()
for v in $versions; do
	args+=("$v=${tree_of[$v]}=${index_of[$v]}")
done
python3 "$root/scripts/score_corpus.py" "$bin" "${args[@]}" -- "${files[@]}"
