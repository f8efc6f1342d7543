#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# scan-tree.sh TREE INDEX OUTDIR [JOBS]
#
# Scans a whole kernel tree with its index in one process (`lockbot scan
# .` at the tree's root, which passes over tools/, scripts/ and usr/, and
# analyses each file on its own with the index answering for the others),
# and writes the JSON document to OUTDIR/scan.json, then
# OUTDIR/findings.jsonl (one finding a line, with its file's directory as
# "dir") and a count per rule on stdout. The wall time and peak memory of
# the scan go to OUTDIR/time.txt.
#
# Environment: LOCKBOT (the binary; default: go build ./cmd/lockbot into
# OUTDIR).
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

# GNU time, when installed, says the peak memory.
timed=()
[[ -x /usr/bin/time ]] && timed=(/usr/bin/time -f "%e s wall, %M KB peak" -o "$out/time.txt")
start=$(date +%s)
status=0
(cd "$tree" && "${timed[@]}" "$bin" scan --format json --jobs "$jobs" --index "$index" .) >"$out/scan.json" 2>"$out/scan.err" || status=$?
[[ -s $out/time.txt ]] || echo "$(($(date +%s) - start)) s wall" >"$out/time.txt"
# 1 is "findings": anything else is a failed scan.
if [[ $status -ne 0 && $status -ne 1 ]]; then
	echo "scan-tree: lockbot scan exited $status; see $out/scan.err" >&2
	exit 1
fi
echo "scan-tree: $(cat "$out/time.txt")" >&2

python3 - "$out" <<'EOF'
import json, os, sys, collections
out = sys.argv[1]
counts = collections.Counter()
doc = json.load(open(os.path.join(out, "scan.json")))
with open(os.path.join(out, "findings.jsonl"), "w") as w:
    for f in doc.get("findings") or []:
        f["dir"] = os.path.dirname(f["file"]).replace("/", "__") or "_root"
        w.write(json.dumps(f, sort_keys=True) + "\n")
        counts[f["rule"]] += 1
for rule, n in counts.most_common():
    print(f"{rule} {n}")
print(f"total {sum(counts.values())}")
EOF
