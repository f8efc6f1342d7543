#!/usr/bin/env bash
# make-series.sh: regenerates the series in this directory from tree/ by
# committing each change in a scratch git repository and running git
# format-patch, then giving each mail the headers git send-email would
# (To, Message-ID, In-Reply-To, References; shallow threading under the
# cover letter). The series are test data; run this only to change them.
# The base commit is made with fixed names and dates so that the tests,
# which rebuild it the same way (lore/testutil_test.go), get the hash the
# cover letters name in "base-commit:".
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_AUTHOR_NAME="Ada Author" GIT_AUTHOR_EMAIL=ada@example.org
export GIT_COMMITTER_NAME="Ada Author" GIT_COMMITTER_EMAIL=ada@example.org
export GIT_AUTHOR_DATE="2026-11-21T10:00:00Z" GIT_COMMITTER_DATE="2026-11-21T10:00:00Z"
git() { command git -C "$tmp/repo" -c commit.gpgsign=false "$@"; }
reset() { rm -rf "$tmp/repo"; cp -r "$here/tree" "$tmp/repo"; git init -q -b main; git add -A; git commit -qm base; }
edit() { python3 - "$tmp/repo/$1" "$2" "$3" <<'PY'
import sys
p, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
s = open(p).read()
assert s.count(old) == 1, (p, old)
open(p, "w").write(s.replace(old, new))
PY
}
# series NAME ID SUBJECT BLURB N: the last N commits as NAME.mbox, with a
# cover letter; Message-IDs are <ID-K@example.org>, K = 0 for the cover.
series() {
	local name=$1 id=$2 subject=$3 blurb=$4 n=$5
	git format-patch -q --stdout --no-signature --zero-commit --cover-letter --base=HEAD~"$n" -"$n" |
		sed -e "s/\*\*\* SUBJECT HERE \*\*\*/$subject/" -e "s/\*\*\* BLURB HERE \*\*\*/$blurb/" |
		thread "$id" >"$here/$name.mbox"
}
# single NAME ID: the last commit as NAME.mbox, one mail.
single() {
	git format-patch -q --stdout --no-signature --zero-commit -1 | thread "$2" >"$here/$1.mbox"
}
# The program is an argument: standard input is the mbox.
thread() { python3 -c "$thread_py" "$1"; }
thread_py=$(cat <<'PY'
import re, sys
mid = sys.argv[1]
mails = re.split(r'(?m)^(?=From 0{40} )', sys.stdin.read())
out = []
for k, m in enumerate(x for x in mails if x):
    hdr = ["To: linux-quux@lists.example.org", "Message-ID: <%s-%d@example.org>" % (mid, k)]
    if k > 0:
        hdr += ["In-Reply-To: <%s-0@example.org>" % mid, "References: <%s-0@example.org>" % mid]
    out.append(re.sub(r'(?m)^(Date: .*\n)', lambda d: d.group(1) + "\n".join(hdr) + "\n", m, count=1))
sys.stdout.write("".join(out))
PY
)

# 1. A clean series: a remove helper under the bucket lock, then a lookup
# counter kept outside it.
reset
edit drivers/quux/quux.c $'\tatomic_inc(&q->nr_flows);\n}\n' $'\tatomic_inc(&q->nr_flows);\n}\n\nvoid quux_remove(struct quux *q, struct quux_flow *f)\n{\n\tstruct hlist_bl_head *h = quux_bucket(q, f->key);\n\n\thlist_bl_lock(h);\n\thlist_bl_del(&f->node);\n\thlist_bl_unlock(h);\n\tatomic_dec(&q->nr_flows);\n}\n'
git commit -qam "quux: add quux_remove()"
edit drivers/quux/quux.h $'\tatomic_t nr_flows;\n' $'\tatomic_t nr_flows;\n\tatomic_t nr_lookups;\n'
edit drivers/quux/quux.c $'\tstruct quux_flow *f, *found = NULL;\n\n\thlist_bl_lock(h);' $'\tstruct quux_flow *f, *found = NULL;\n\n\tatomic_inc(&q->nr_lookups);\n\thlist_bl_lock(h);'
git commit -qam "quux: count lookups"
series clean 20261121100000.1001-quux-remove "quux: flow removal" "Remove flows, and count lookups." 2

# 2. Patch 1 expires hot flows from the lookup path, under the bucket's
# bit lock; patch 2 makes the expiry wait for readers with msleep(), a
# sleep under that bit lock.
reset
edit drivers/quux/quux.c $'static void quux_touch(struct quux_flow *f)\n{\n\tf->hits++;\n}\n' $'#define QUUX_HOT 1000\n\nstatic void quux_expire(struct quux_flow *f)\n{\n\tf->hits = 0;\n}\n\nstatic void quux_touch(struct quux_flow *f)\n{\n\tif (++f->hits > QUUX_HOT)\n\t\tquux_expire(f);\n}\n'
git commit -qam "quux: expire hot flows"
edit drivers/quux/quux.c $'static void quux_expire(struct quux_flow *f)\n{\n\tf->hits = 0;\n' $'static void quux_expire(struct quux_flow *f)\n{\n\t/* let readers of the old count drain */\n\tmsleep(1);\n\tf->hits = 0;\n'
git commit -qam "quux: let readers drain before expiring a flow"
series sleep 20261121110000.2002-quux-expire "quux: expire hot flows" "Reset the hit count of flows that get too hot." 2

# 3. A patch made on a tree that is not the base: its context does not
# match, so it does not apply.
reset
edit drivers/quux/quux.c $'\tf->hits++;\n' $'\tf->hits += 2;\n'
git commit -qam "quux: local change"
edit drivers/quux/quux.c $'\tf->hits += 2;\n' $'\tf->hits += 3;\n'
git commit -qam "quux: count hits three at a time"
single noapply 20261121120000.3003-quux-hits
