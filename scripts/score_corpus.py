#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Scores lockbot on corpus records; scripts/score-corpus.sh runs it.

usage: score_corpus.py LOCKBOT VERSION=TREE=INDEX... -- RECORDS.jsonl...
"""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

NEAR = 3  # lines a finding may be off the record's line


def scan(lockbot, tree, index, rel, cwd=None):
    """The findings of `lockbot scan` of one file, relative to its tree."""
    cmd = [lockbot, "scan", "--format", "json", "--tree", tree]
    if index:
        # --callers: a bug put back into a function is also found at a
        # caller in another file that the index names (as check would).
        cmd += ["--index", index, "--callers"]
    if os.environ.get("LOCKBOT_KCONFIG"):
        # "none" scores without configuration variants resolved.
        cmd += ["--kconfig", os.environ["LOCKBOT_KCONFIG"]]
    cmd.append(rel)
    p = subprocess.run(cmd, cwd=cwd or tree, capture_output=True, text=True, timeout=600)
    if p.returncode not in (0, 1):
        return None, p.stderr.strip().splitlines()[-1:] or ["exit %d" % p.returncode]
    try:
        return json.loads(p.stdout).get("findings") or [], None
    except ValueError:
        return None, ["not JSON"]


# Rules whose finding joins two sites: an AB-BA order is reported once,
# in one of its two functions, and names the other in its message and
# chain.
TWO_SITED = {"LOCK_ORDER_INVERSION"}


def through(f, rec, function, line):
    """Whether the finding's chain passes through the record's function
    (at its line, when given) in the record's file."""
    for s in f.get("chain") or []:
        if s.get("function") == function and os.path.basename(s["file"]) == os.path.basename(rec["file"]) and \
                (line is None or abs(s["line"] - line) <= NEAR):
            return True
    return False


def matches(f, rec, function, line=None):
    if f["rule"] != rec["rule"]:
        return False
    if f["function"] != function and not (rec["rule"] in TWO_SITED and function + "()" in f.get("message", "")):
        # A sleep in the bug's function under a lock its caller holds is
        # reported in the caller, at the call; its chain passes through
        # the bug's line (pwm-atmel-tcb's clk_get_rate() in
        # atmel_tcb_pwm_config(), under atmel_tcb_pwm_apply()'s lock).
        return through(f, rec, function, line)
    if line is None:
        return True
    if abs(f["line"] - line) <= NEAR:
        return True
    for s in f.get("chain") or []:
        if os.path.basename(s["file"]) == os.path.basename(rec["file"]) and abs(s["line"] - line) <= NEAR:
            return True
    return False


def still(gs, hits, rec, function):
    """The findings of the fixed code that are the bug's finding: of its
    rule in its function, and the same finding (its fingerprint, which
    does not depend on lines) as one that found the bug. Another bug of
    the same rule in the function (its_irq_set_vcpu_affinity() allocates
    and frees under the same raw lock, two fixes) is not this one."""
    fps = {f.get("fingerprint") for f in hits}
    return [g for g in gs if matches(g, rec, function) and g.get("fingerprint") in fps]


def apply_edit(path, edits):
    """Applies fixed_edit or buggy_edit operations to the file at path,
    line numbers being those of the original file."""
    with open(path) as f:
        lines = f.read().split("\n")
    # Apply from the bottom so that earlier line numbers stay valid.
    def key(e):
        return e.get("line") or e.get("delete") or e.get("insert_before") or e.get("insert_after") or 0
    for e in sorted(edits, key=key, reverse=True):
        if "replace" in e:
            i = e["line"] - 1
            if e["replace"] not in lines[i]:
                raise ValueError("line %d lacks %r" % (e["line"], e["replace"]))
            lines[i] = lines[i].replace(e["replace"], e["with"], 1)
        elif "delete" in e:
            del lines[e["delete"] - 1]
        elif "insert_before" in e:
            lines.insert(e["insert_before"] - 1, e["text"])
        elif "insert_after" in e:
            lines.insert(e["insert_after"], e["text"])
        else:
            raise ValueError("unknown edit %r" % e)
    with open(path, "w") as f:
        f.write("\n".join(lines))


def edited_scan(lockbot, tree, index, rel, edits):
    """Scans rel with edits applied, in a copy of its directory (its
    local headers with it), against the tree's index."""
    with tempfile.TemporaryDirectory() as tmp:
        d = os.path.dirname(rel)
        shutil.copytree(os.path.join(tree, d), os.path.join(tmp, d), symlinks=True,
                        ignore=lambda _, names: [n for n in names if os.path.isdir(os.path.join(tree, d, n))])
        try:
            apply_edit(os.path.join(tmp, rel), edits)
        except (ValueError, IndexError) as e:
            return None, ["edit does not apply: %s" % e]
        return scan(lockbot, tree, index, rel, cwd=tmp)


def score(lockbot, trees, rec):
    tree, index = trees[rec["tree"]]
    if rec.get("buggy_edit"):
        # The fix is in the tree: the bug is put back by reversing it, and
        # the tree's own file is the fixed code.
        fs, err = edited_scan(lockbot, tree, index, rec["file"], rec["buggy_edit"])
        if fs is None:
            return "error", "buggy: %s" % " ".join(err)
        hits = [f for f in fs if matches(f, rec, rec["function"], rec["line"])]
        if not hits:
            same = [f for f in fs if f["function"] == rec["function"]]
            return "missed", "; ".join("%s:%d" % (f["rule"], f["line"]) for f in same) or "nothing in the function"
        gs, err = scan(lockbot, tree, index, rec["file"])
        if gs is None:
            return "found", "fixed: scan: %s" % " ".join(err)
        if still(gs, hits, rec, rec["function"]):
            return "found, not gone", "still on the fixed code"
        return "found", ""
    fs, err = scan(lockbot, tree, index, rec["file"])
    if fs is None:
        return "error", "scan: %s" % " ".join(err)
    hits = [f for f in fs if matches(f, rec, rec["function"], rec["line"])]
    if not hits:
        same = [f for f in fs if f["function"] == rec["function"]]
        why = "; ".join("%s:%d" % (f["rule"], f["line"]) for f in same) or "nothing in the function"
        return "missed", why
    if rec.get("fixed_tree"):
        ftree, findex = trees[rec["fixed_tree"]]
        if not os.path.exists(os.path.join(ftree, rec.get("fixed_file") or rec["file"])):
            return "found", "the fixed file is gone"
        gs, err = scan(lockbot, ftree, findex, rec.get("fixed_file") or rec["file"])
        if gs is None:
            return "found", "fixed: scan: %s" % " ".join(err)
        left = still(gs, hits, rec, rec.get("fixed_function") or rec["function"])
        if left:
            return "found, not gone", "still on the fixed code at line %d" % left[0]["line"]
        return "found", ""
    if rec.get("fixed_edit"):
        gs, err = edited_scan(lockbot, tree, index, rec["file"], rec["fixed_edit"])
        if gs is None:
            return "found", "fixed: %s" % " ".join(err)
        if still(gs, hits, rec, rec["function"]):
            return "found, not gone", "still after the fix"
    return "found", ""


def main():
    argv = sys.argv[1:]
    sep = argv.index("--")
    lockbot, specs, files = argv[0], argv[1:sep], argv[sep + 1:]
    trees = {}
    for s in specs:
        v, tree, index = s.split("=", 2)
        trees[v] = (tree, index)
    per = collections.defaultdict(lambda: collections.Counter())
    for path in files:
        part = "held-out" if os.path.basename(path).startswith("heldout") else "dev"
        for line in open(path):
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("excluded"):
                # A record of a bug the scanned tree cannot have (the
                # configuration that reaches it is not buildable there):
                # listed, with its reason, and not counted.
                print("%-8s %-16s %-36s %s:%s:%d (%s)" % (part, "excluded", rec["id"], rec["file"], rec["function"],
                                                          rec["line"], rec["excluded"]))
                continue
            verdict, why = score(lockbot, trees, rec)
            per[(part, rec["class"])][verdict] += 1
            print("%-8s %-16s %-36s %s:%s:%d %s" % (part, verdict, rec["id"], rec["file"], rec["function"], rec["line"],
                                                    ("(" + why + ")") if why else ""))
    print()
    print("%-8s %-16s %6s %6s %10s" % ("part", "class", "found", "total", "not gone"))
    for part in ("dev", "held-out"):
        tot = collections.Counter()
        for (p, cls), c in sorted(per.items()):
            if p != part:
                continue
            found = c["found"] + c["found, not gone"]
            total = sum(c.values())
            print("%-8s %-16s %6d %6d %10d" % (part, cls, found, total, c["found, not gone"]))
            tot["found"] += found
            tot["total"] += total
            tot["not gone"] += c["found, not gone"]
        if tot["total"]:
            print("%-8s %-16s %6d %6d %10d  (%.0f%%)" % (part, "all", tot["found"], tot["total"], tot["not gone"],
                                                       100.0 * tot["found"] / tot["total"]))


if __name__ == "__main__":
    main()
