#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# scan-tree.sh TREE INDEX OUTDIR [JOBS]
#
# Scans a whole kernel tree with its index, one directory at a time (the
# .c files directly in it, not its subdirectories), and writes each
# directory's findings as JSON to OUTDIR/<dir with / as __>.json, then
# OUTDIR/findings.jsonl (one finding a line, with the directory) and a
# count per rule on stdout. A directory at a time keeps each process's
# memory to what one directory needs, and gives every file the same
# company whichever way the tree is walked. Directories already scanned
# (their JSON exists) are skipped, so an interrupted run resumes.
#
# Environment: LOCKBOT (the binary; default: go run ./cmd/lockbot built
# once into OUTDIR).
set -euo pipefail

[[ $# -ge 3 ]] || { echo "usage: scan-tree.sh TREE INDEX OUTDIR [JOBS]" >&2; exit 1; }
tree=$(cd "$1" && pwd)
index=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
out=$3
jobs=${4:-2}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin=${LOCKBOT:-}
if [[ -z $bin ]]; then
	bin=$out/lockbot
	(cd "$root" && go build -o "$bin" ./cmd/lockbot)
fi

# Directories holding .c files, in a stable order; not tools/, whose
# programs run in user space (their rcu_read_lock() is liburcu's).
(cd "$tree" && find . -path ./tools -prune -o -name '*.c' -type f -printf '%h\n' | sed 's|^\./||; s|^\.$||' | sort -u) >"$out/dirs.txt"
echo "scan-tree: $(wc -l <"$out/dirs.txt") directories" >&2

scan_dir() {
	local d=$1 name
	name=${d//\//__}
	[[ -n $name ]] || name=_root
	[[ -s $out/$name.json ]] && return 0
	# shellcheck disable=SC2046
	(cd "$tree" && "$bin" scan --format json --index "$index" $(find "./$d" -maxdepth 1 -name '*.c' -type f | sort)) \
		>"$out/$name.json.tmp" 2>"$out/$name.err" || true
	mv "$out/$name.json.tmp" "$out/$name.json"
}
export -f scan_dir
export tree index out bin
xargs -a "$out/dirs.txt" -d '\n' -P "$jobs" -I{} bash -c 'scan_dir "$@"' _ {}

python3 - "$out" <<'EOF'
import glob, json, os, sys, collections
out = sys.argv[1]
counts = collections.Counter()
with open(os.path.join(out, "findings.jsonl"), "w") as w:
    for p in sorted(glob.glob(os.path.join(out, "*.json"))):
        try:
            doc = json.load(open(p))
        except ValueError:
            continue
        for f in doc.get("findings") or []:
            f["dir"] = os.path.basename(p)[:-5]
            w.write(json.dumps(f, sort_keys=True) + "\n")
            counts[f["rule"]] += 1
for rule, n in counts.most_common():
    print(f"{rule} {n}")
print(f"total {sum(counts.values())}")
EOF
