#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Regenerates the patches under testdata from tree/ with git, diff and
# python3. The tests do not run it; its outputs are checked in. Dates and
# identities are fixed, so the output is stable for a given git version.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export GIT_AUTHOR_NAME='Ada Frobnitz' GIT_AUTHOR_EMAIL='ada@frob.example'
export GIT_COMMITTER_NAME='Ada Frobnitz' GIT_COMMITTER_EMAIL='ada@frob.example'
export GIT_AUTHOR_DATE='2025-03-01T10:00:00+0000' GIT_COMMITTER_DATE='2025-03-01T10:00:00+0000'
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
g() { git -C "$work/repo" "$@"; }

mkdir "$work/repo"
cp -r "$here/tree/." "$work/repo/"
g init -q -b main
g add -A
g commit -qm 'frob: initial import'
g tag base
d=$work/repo/drivers/misc/frob

# Patch 1: a new file, and changes to existing ones.
cat > "$d/frob_stats.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include "frob.h"

static u64 frob_hits;

void frob_stats_hit(struct frob_dev *fd)
{
	frob_hits++;
}

u64 frob_stats_read(struct frob_dev *fd)
{
	return frob_hits;
}
EOF
printf 'obj-$(CONFIG_FROB) += frob.o frob_stats.o\n' > "$d/Makefile"
python3 - "$d" <<'EOF'
import sys
d = sys.argv[1]
p = d + "/frob.c"
s = open(p).read()
s = s.replace("""		if (it->key == key) {
			spin_unlock(&fd->lock);""", """		if (it->key == key) {
			frob_stats_hit(fd);
			spin_unlock(&fd->lock);""")
open(p, "w").write(s)
p = d + "/frob.h"
s = open(p).read()
s = s.replace("struct frob_item *frob_find(struct frob_dev *fd, u32 key);\n",
              "struct frob_item *frob_find(struct frob_dev *fd, u32 key);\nvoid frob_stats_hit(struct frob_dev *fd);\nu64 frob_stats_read(struct frob_dev *fd);\n")
open(p, "w").write(s)
EOF
g add -A
g commit -qm 'frob: count lookup hits' -m 'Count how often frob_find() finds its key, for tuning the list size.'

# Patch 2: changes the file patch 1 created; two hunks far apart in frob.c.
python3 - "$d" <<'EOF'
import sys
d = sys.argv[1]
p = d + "/frob_stats.c"
s = open(p).read()
s = s.replace("""static u64 frob_hits;
""", """static DEFINE_SPINLOCK(frob_stats_lock);
static u64 frob_hits;
""")
s = s.replace("""	frob_hits++;
""", """	spin_lock(&frob_stats_lock);
	frob_hits++;
	spin_unlock(&frob_stats_lock);
""")
open(p, "w").write(s)
p = d + "/frob.c"
s = open(p).read()
s = s.replace("#include <linux/slab.h>\n", "#include <linux/slab.h>\n#include <linux/spinlock.h>\n")
s = s.replace("""	list_for_each_entry_safe(it, tmp, &frob.items, node)
		kfree(it);
""", """	list_for_each_entry_safe(it, tmp, &frob.items, node) {
		list_del(&it->node);
		kfree(it);
	}
""")
open(p, "w").write(s)
EOF
g commit -qam 'frob: take a lock around the hit counter' -m 'frob_stats_hit() runs on several CPUs at once.'

# Patch 3: a rename with a change, a mode change and a binary file.
g mv drivers/misc/frob/frob.h drivers/misc/frob/frob_priv.h
sed -i 's/_FROB_H/_FROB_PRIV_H/' "$d/frob_priv.h"
sed -i 's/#include "frob.h"/#include "frob_priv.h"/' "$d/frob.c" "$d/frob_stats.c"
chmod +x "$d/frob-test.sh"
printf 'FRB\000\001\002\003\377\376binary\000' > "$d/frob.fw"
g add -A
g commit -qm 'frob: rename frob.h to frob_priv.h' -m 'It is private to the driver.'

out=$here
g format-patch -q --stdout --no-signature base..HEAD > "$out/series.mbox"
g format-patch -q --stdout --no-signature --cover-letter --base=base base..HEAD |
	sed -e 's/\*\*\* SUBJECT HERE \*\*\*/frob: count lookup hits/' \
	    -e 's/\*\*\* BLURB HERE \*\*\*/Three small frob changes./' > "$out/series-cover.mbox"
rm -rf "$out/series"
g format-patch -q --no-signature -o "$out/series" base..HEAD
g format-patch -q --stdout --no-signature -1 base..HEAD~2 > "$out/single.patch"
g format-patch -q --stdout --no-signature --attach -1 HEAD~2 > "$out/attach.mbox"
g diff base HEAD~2 > "$out/plain.diff"
# -v2 of the same series, for version mixing.
g format-patch -q --stdout --no-signature -v2 base..HEAD > "$out/series-v2.mbox"

# diff -u of two copies, without git's headers (timestamps are set so that
# the output does not change).
mkdir "$work/u"
mkdir "$work/u/linux.orig" "$work/u/linux"
g archive base drivers | tar -x -C "$work/u/linux.orig"
g archive HEAD~2 drivers | tar -x -C "$work/u/linux"
find "$work/u" -exec touch -d '2025-03-01 10:00:00 UTC' {} +
(cd "$work/u" && TZ=UTC diff -urNp linux.orig linux > "$out/diffu.diff" || test $? = 1)

# A subject with non-ASCII characters, which git encodes and folds.
g checkout -q -b side base
sed -i 's/a toy device/a toy device (thanks to Jürgen Müller-Lüdenscheidt)/' "$d/frob.c"
g commit -qam 'frob: credit Jürgen Müller-Lüdenscheidt for the design of the toy frob device'
g format-patch -q --stdout --no-signature -1 > "$out/rfc2047.patch"

# The same mail with its body re-encoded.
python3 - "$out" <<'EOF'
import base64, quopri, sys
out = sys.argv[1]
mail = open(out + "/single.patch", "rb").read()
head, body = mail.split(b"\n\n", 1)
head = head.replace(b"Content-Transfer-Encoding: 8bit", b"")
head = b"\n".join(l for l in head.split(b"\n") if l)
# A long line forces soft line breaks, a trailing '=' and tabs are escaped.
body = body.replace(b"for tuning the list size.",
                    b"for tuning the list size; the counter is read through frob_stats_read() by the debugfs code added later (a=b).")
qp = quopri.encodestring(body, quotetabs=False)
open(out + "/qp.patch", "wb").write(head + b"\nContent-Transfer-Encoding: quoted-printable\n\n" + qp)
b64 = base64.encodebytes(body)
open(out + "/base64.patch", "wb").write(head + b"\nContent-Transfer-Encoding: base64\n\n" + b64)
# A multipart mail: the message inline, the patch a base64 attachment.
msg, diff = body.split(b"\ndiff --git", 1)
diff = b"diff --git" + diff
mp = (head + b'\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="XyZ"' +
      b"\n\nThis is a multi-part message in MIME format.\n--XyZ\nContent-Type: text/plain; charset=UTF-8\n\n" + msg +
      b"\n--XyZ\nContent-Type: text/x-patch; name=\"0001-frob.patch\"\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment\n\n" +
      base64.encodebytes(diff) + b"--XyZ--\n")
open(out + "/multipart-base64.patch", "wb").write(mp)
EOF
