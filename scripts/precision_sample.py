#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Draws and follows the seeded samples that precision is read on.

usage:
  precision_sample.py draw SEED N SCAN.json > sample.jsonl
      N findings of a whole-tree scan (lockbot scan --format json), drawn
      with Python's random.Random(SEED).sample over the findings in the
      scan's order; each line is the finding with its sample_id. The
      verdicts are added by reading every chain in the kernel source
      (corpus/precision/README.md).
  precision_sample.py status SAMPLE.jsonl SCAN.json
      For a read sample (verdict, reason, mechanism per record): the
      table of real/false/unclear per rule, and which sampled findings a
      later scan no longer reports (by fingerprint), with their verdicts.
"""
import collections
import json
import random
import sys


def findings(path):
    with open(path) as f:
        return json.load(f).get("findings") or []


def draw(seed, n, scan):
    fs = findings(scan)
    for k, i in enumerate(sorted(random.Random(seed).sample(range(len(fs)), n))):
        rec = dict(fs[i])
        rec["sample_id"] = k + 1
        print(json.dumps(rec))


def place(f):
    return "%s %s %s:%d" % (f["rule"], f["function"], f["file"], f["line"])


def status(sample, scan):
    with open(sample) as f:
        recs = [json.loads(l) for l in f if l.strip()]
    fs = findings(scan)
    # By fingerprint, or by place: a fingerprint changes when what it is
    # made of does (an RT finding through a call no longer names the
    # inner lock), the rule, file, function and line of the same finding
    # do not.
    now = {f["fingerprint"] for f in fs} | {place(f) for f in fs}
    table = collections.defaultdict(collections.Counter)
    gone = []
    for r in recs:
        kept = r["fingerprint"] in now or place(r) in now
        table[r["rule"]][r["verdict"]] += 1
        table[r["rule"]]["kept " + r["verdict"]] += kept
        if not kept:
            gone.append(r)
    print("%-28s %5s %5s %7s   %s" % ("rule", "real", "false", "unclear", "still reported: real/false/unclear"))
    tot = collections.Counter()
    for rule in sorted(table):
        c = table[rule]
        tot.update(c)
        print("%-28s %5d %5d %7d   %d/%d/%d" % (rule, c["real"], c["false"], c["unclear"],
                                             c["kept real"], c["kept false"], c["kept unclear"]))
    print("%-28s %5d %5d %7d   %d/%d/%d" % ("all", tot["real"], tot["false"], tot["unclear"],
                                         tot["kept real"], tot["kept false"], tot["kept unclear"]))
    for r in gone:
        print("gone: %d %s %s %s:%d %s" % (r["sample_id"], r["verdict"], r["rule"], r["file"], r["line"], r.get("mechanism", "")))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "draw":
        draw(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == "status":
        status(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
