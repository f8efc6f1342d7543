#!/usr/bin/env bash
# make-patches.sh: regenerates the patches in this directory from tree/ by
# committing each change in a scratch git repository and running
# git format-patch. The patches are test data; run this only to change them.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git() { command git -C "$tmp/repo" -c user.name="Lock Bot" -c user.email=lockbot@example.org \
	-c commit.gpgsign=false "$@"; }
export GIT_COMMITTER_DATE="2026-11-21T10:00:00Z" GIT_AUTHOR_DATE="2026-11-21T10:00:00Z"
reset() { rm -rf "$tmp/repo"; cp -r "$here/tree" "$tmp/repo"; git init -q -b main; git add -A; git commit -qm base; }
# fmt NAME [N]: format the last N commits (default 1) as NAME.patch or NAME/ series.
fmt() {
	local name=$1 n=${2:-1}
	if ((n == 1)); then
		git format-patch -q --stdout --no-signature --zero-commit -1 >"$here/$name.patch"
	else
		rm -rf "${here:?}/$name"
		git format-patch -q --no-signature --zero-commit --base=HEAD~$n -o "$here/$name" -$n
	fi
}
edit() { python3 - "$tmp/repo/$1" "$2" "$3" <<'PY'
import sys
p, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
s = open(p).read()
assert s.count(old) == 1, (p, old)
open(p, "w").write(s.replace(old, new))
PY
}

# 1. A spinlock taken in a callee of an hlist_bl_lock section (RT).
reset
edit drivers/bar/bar.c $'\te->hits++;\n' $'\tspin_lock(&b->stats_lock);\n\te->hits++;\n\tb->lookups++;\n\tspin_unlock(&b->stats_lock);\n'
git commit -qam "bar: count hits in the device statistics"
fmt spinlock-in-bitlock

# 2. A mutex turned into a spinlock around a sleeping callee.
reset
edit drivers/baz/baz.c $'\tstruct mutex cfg_lock;' $'\tspinlock_t cfg_lock;'
edit drivers/baz/baz.c $'\tmutex_lock(&d->cfg_lock);\n\tret = baz_realloc_cfg(d, size);\n\tmutex_unlock(&d->cfg_lock);' $'\tspin_lock(&d->cfg_lock);\n\tret = baz_realloc_cfg(d, size);\n\tspin_unlock(&d->cfg_lock);'
git commit -qam "baz: protect the configuration with a spinlock"
fmt mutex-to-spinlock

# 3. A cosmetic change next to the pre-existing leak in qux_insert().
reset
edit drivers/qux/qux.c $'\t/* queue it */\n' $'\t/* append at the tail: items are served in order */\n'
git commit -qam "qux: explain the queue order"
fmt cosmetic

# 4. The fix of that leak.
reset
edit drivers/qux/qux.c $'\tif (it->prio < 0)\n\t\treturn -EINVAL;\n' $'\tif (it->prio < 0) {\n\t\tspin_unlock(&q->lock);\n\t\treturn -EINVAL;\n\t}\n'
git commit -qam "qux: unlock on the invalid priority error path"
fmt fix-leak

# 5. A series: patch 1 adds a lock helper, patch 2 sleeps while it holds.
reset
edit drivers/bar/bar.c $'void bar_stats(' $'static void bar_stats_lock(struct bar *b)\n{\n\tspin_lock(&b->stats_lock);\n}\n\nstatic void bar_stats_unlock(struct bar *b)\n{\n\tspin_unlock(&b->stats_lock);\n}\n\nvoid bar_stats('
edit drivers/bar/bar.c $'\tspin_lock(&b->stats_lock);\n\t*lookups = b->lookups;\n\tspin_unlock(&b->stats_lock);' $'\tbar_stats_lock(b);\n\t*lookups = b->lookups;\n\tbar_stats_unlock(b);'
git commit -qam "bar: add stats lock helpers"
cat >>"$tmp/repo/drivers/bar/bar.c" <<'C'

void bar_reset_stats(struct bar *b)
{
	bar_stats_lock(b);
	b->lookups = 0;
	msleep(1);
	bar_stats_unlock(b);
}
C
git add -A
git commit -qm "bar: reset the statistics"
fmt series 2
# The same series as one mbox, with a cover letter, as lore serves it.
git format-patch -q --stdout --no-signature --zero-commit --cover-letter --base=HEAD~2 -2 |
	sed -e 's/\*\*\* SUBJECT HERE \*\*\*/bar: statistics helpers/' -e 's/\*\*\* BLURB HERE \*\*\*/Two small changes to the statistics./' >"$here/series.mbox"

# 7. A change whose hunk is all --no-tree sees: an allocation that may
# sleep under the queue lock, in a function the hunk shows only in part.
reset
edit drivers/qux/qux.c $'\tspin_lock(&q->lock);\n\tn = q->len;\n' $'\tspin_lock(&q->lock);\n\tn = q->len;\n\tq->log = kmalloc(64, GFP_KERNEL);\n'
git commit -qam "qux: log the length"
fmt hunk-only

# 8. A spinlock under local_irq_save() in a driver that PREEMPT_RT does
# not build: nothing to report with the tree's Kconfig.
reset
edit drivers/legacy/legacy.c $'\tt->ticks++;\n' $'\tspin_lock(&t->lock);\n\tt->ticks++;\n\tspin_unlock(&t->lock);\n'
git commit -qam "legacy: lock the tick count"
fmt rt-excluded

# 6. A patch whose context does not match the tree.
cp "$here/cosmetic.patch" "$here/does-not-apply.patch"
python3 - "$here/does-not-apply.patch" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace(" \tlist_add_tail(&it->node, &q->items);", " \tlist_add(&it->node, &q->items);")
open(p, "w").write(s)
PY
