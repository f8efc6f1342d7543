// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"fmt"
	"testing"
	"time"
)

// backlogMails makes n mails of a busy list, as the test writes them: a
// fifth are patches (one in ten of those sleeping under the bucket lock),
// a fifth replies to them, a tenth robots' mail, the rest discussion.
func backlogMails(n int) (mails [][]byte, sleeping int) {
	const cosmetic = `---
 drivers/quux/quux.c | 2 +-

diff --git a/drivers/quux/quux.c b/drivers/quux/quux.c
--- a/drivers/quux/quux.c
+++ b/drivers/quux/quux.c
@@ -1,4 +1,4 @@
 // SPDX-License-Identifier: GPL-2.0
 /*
- * A cache of flows in bit-locked hash buckets, modelled on the
+ * A cache of flows in bit-locked hash buckets (take %d), modelled on the
  * hlist_bl tables of dm-snapshot: lookups and inserts run under the
`
	const sleep = `---
 drivers/quux/quux.c | 1 +

diff --git a/drivers/quux/quux.c b/drivers/quux/quux.c
--- a/drivers/quux/quux.c
+++ b/drivers/quux/quux.c
@@ -14,4 +14,5 @@ static struct hlist_bl_head *quux_bucket(struct quux *q, unsigned long key)
 static void quux_touch(struct quux_flow *f)
 {
 	f->hits++;
+	msleep(%d);
 }
`
	for i := range n {
		id := fmt.Sprintf("backlog-%d@example.org", i)
		from := fmt.Sprintf("Dev %d <dev%d@example.org>", i%37, i%37)
		switch k := i % 10; {
		case k < 2 && (i/10)%10 == 0:
			mails = append(mails, mailOf(from, fmt.Sprintf("[PATCH] quux: wait %d ms per hit", i), id, "", fmt.Sprintf(sleep, i)))
			sleeping++
		case k < 2:
			mails = append(mails, mailOf(from, fmt.Sprintf("[PATCH] quux: reword the header comment, take %d", i), id, "", fmt.Sprintf(cosmetic, i)))
		case k < 4:
			parent := fmt.Sprintf("backlog-%d@example.org", i-2)
			mails = append(mails, mailOf(from, "Re: [PATCH] quux: a change", id, "In-Reply-To: <"+parent+">\nReferences: <"+parent+">\n", "> quoted\n\nFine by me.\n"))
		case k == 4:
			mails = append(mails, mailOf("CI <ci@robots.example.org>", fmt.Sprintf("[PATCH] robot fix %d", i), id, "Auto-Submitted: auto-generated\n", "a robot's patch\n"))
		default:
			mails = append(mails, mailOf(from, fmt.Sprintf("quux: question %d", i), id, "", "What about it?\n"))
		}
	}
	return mails, sleeping
}

// TestBacklog processes a thousand-mail backlog of a public-inbox archive
// in one run, within a bound, and answers exactly the sleeping patches.
func TestBacklog(t *testing.T) {
	repo := kernelRepo(t)
	ib := newTestInbox(t)
	mails, sleeping := backlogMails(1000)
	ib.importMails(t, mails)
	cfg := botConfig(t, repo, "inbox: "+ib.dir, "", "")
	b := openBot(t, cfg, newClock(), Options{Log: discardLog()})
	start := time.Now()
	rep := runBot(t, b)
	elapsed := time.Since(start)
	t.Logf("backlog of %d mails: %d patches reviewed, %d replies, %v", rep.Messages, rep.Series, rep.Delivered, elapsed)
	if rep.Messages != 1000 || rep.Series != 200 || rep.Delivered != sleeping || sleeping != 20 {
		t.Errorf("run: %+v (%d sleeping); want 1000 mails, 200 patches reviewed, one reply per sleeping patch", rep, sleeping)
	}
	if elapsed > 60*time.Second {
		t.Errorf("the backlog took %v, over the 60 s bound", elapsed)
	}
	if rep := runBot(t, b); rep.Messages != 0 || rep.Delivered != 0 {
		t.Errorf("second run: %+v; want nothing", rep)
	}
}
