// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"lockbot/flow"
	"lockbot/review"
	"lockbot/rules"
)

func ghFinding() *review.Finding {
	return &review.Finding{Introduced: true, Finding: &rules.Finding{
		Rule: "RT_SLEEPING_LOCK_IN_ATOMIC", Severity: "error", RTOnly: true, File: "drivers/bar/bar.c", Line: 15, Function: "bar_count_hit",
		Message: "spin_lock(&b->stats_lock) in bar_count_hit() takes spinlock_t struct bar::stats_lock, but bar_find() holds bit spinlock h",
		Chain: []flow.Step{
			{File: "drivers/bar/bar.c", Line: 27, Func: "bar_find", Note: "hlist_bl_lock(h) takes bit spinlock h"},
			{File: "drivers/bar/bar.c", Line: 15, Func: "bar_count_hit", Note: "spin_lock(&b->stats_lock) takes spinlock_t struct bar::stats_lock"},
		},
		Fix:         "use raw_spinlock_t for struct bar::stats_lock",
		Fingerprint: "1fefb552acf1d99f",
	}}
}

var ghOpt = GitHubOptions{RepoURL: "https://github.com/kernel/linux", Head: "0123456789abcdef0123456789abcdef01234567", Base: "master at 89abcdef0123"}

func TestGitHubComment(t *testing.T) {
	got := GitHubComment(ghFinding(), ghOpt)
	// C is in code spans, shown as written; prose is escaped.
	want := "**ERROR** `RT_SLEEPING_LOCK_IN_ATOMIC`: `spin_lock(&b->stats_lock)` in `bar_count_hit()` takes `spinlock_t` struct `bar::stats_lock`, but `bar_find()` holds bit spinlock h\n" +
		"\n" +
		"- [`drivers/bar/bar.c:27`](https://github.com/kernel/linux/blob/0123456789abcdef0123456789abcdef01234567/drivers/bar/bar.c#L27) `bar_find()`: `hlist_bl_lock(h)` takes bit spinlock h\n" +
		"- [`drivers/bar/bar.c:15`](https://github.com/kernel/linux/blob/0123456789abcdef0123456789abcdef01234567/drivers/bar/bar.c#L15) `bar_count_hit()`: `spin_lock(&b->stats_lock)` takes `spinlock_t` struct `bar::stats_lock`\n" +
		"\n" +
		"**Fix:** use `raw_spinlock_t` for struct `bar::stats_lock`\n" +
		"\n" +
		"<sub>lockbot, an automated lock-semantics review; it can be wrong. This matters on PREEMPT_RT kernels only.</sub>\n" +
		"<!-- lockbot:fp=1fefb552acf1d99f -->"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if fps := GitHubMarkers(got); !reflect.DeepEqual(fps, []string{"1fefb552acf1d99f"}) {
		t.Errorf("markers %v", fps)
	}
}

func TestGitHubMarkersIgnoreLookalikes(t *testing.T) {
	body := "see <!-- lockbot:fp=abc --> and <!-- lockbot:fp=ABC --> and <!-- lockbot:fp=12 34 -->\n<!-- lockbot:fp=00ff -->"
	if got := GitHubMarkers(body); !reflect.DeepEqual(got, []string{"abc", "00ff"}) {
		t.Errorf("markers %v", got)
	}
}

func TestGitHubResolved(t *testing.T) {
	orig := GitHubComment(ghFinding(), ghOpt)
	res := GitHubResolved(orig, "fedcba9876543210fedcba9876543210fedcba98")
	if !strings.HasPrefix(res, "**Resolved** in fedcba987654: lockbot no longer finds this.\n") {
		t.Errorf("resolved edit starts %q", res[:60])
	}
	if !GitHubIsResolved(res) || GitHubIsResolved(orig) {
		t.Error("GitHubIsResolved does not tell them apart")
	}
	if !strings.Contains(res, orig) || !reflect.DeepEqual(GitHubMarkers(res), []string{"1fefb552acf1d99f"}) {
		t.Error("the original text and its marker are not kept")
	}
	if again := GitHubResolved(res, "1111111111111111111111111111111111111111"); again != res {
		t.Error("resolving twice edits again")
	}
}

func TestGitHubReviewBody(t *testing.T) {
	inline := ghFinding()
	listed := &review.Finding{Introduced: true, Finding: &rules.Finding{Rule: "SLEEP_IN_RCU", Severity: "warning", File: "include/linux/bar.h",
		Line: 9, Message: "msleep(1) may sleep under rcu_read_lock()", Fingerprint: "00aa"}}
	body := GitHubReviewBody(GitHubReview{
		Inline: []*review.Finding{inline}, Listed: []*review.Finding{listed}, StillOpen: 1, Resolved: 2,
		Notes: []string{"firmware/bar.bin: GitHub shows no diff (binary or too large)"}, Unknown: []string{"bar_hw_wait"},
	}, ghOpt)
	for _, want := range []string{
		"lockbot found 2 lock problems this pull request introduces (1 error, 1 warning) (base: master at 89abcdef0123, PREEMPT_RT rules on). 1 on the lines below, 1 here. 1 finding from earlier pushes still stands. It also removes 2 findings the base had.\n",
		"**WARNING** `SLEEP_IN_RCU` at [`include/linux/bar.h:9`](https://github.com/kernel/linux/blob/0123456789abcdef0123456789abcdef01234567/include/linux/bar.h#L9): `msleep(1)` may sleep under `rcu_read_lock()`\n",
		"- Not reviewed: firmware/bar.bin: GitHub shows no diff (binary or too large)\n",
		"- 1 function called under a lock not seen, assumed not to sleep: bar\\_hw\\_wait()",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	// The listed finding is marked in the body; the inline one is marked
	// in its own comment, not twice.
	if got := GitHubMarkers(body); !reflect.DeepEqual(got, []string{"00aa"}) {
		t.Errorf("body markers %v", got)
	}
	empty := GitHubReviewBody(GitHubReview{}, GitHubOptions{NoRT: true})
	if !strings.HasPrefix(empty, "lockbot found no new lock problems (PREEMPT_RT rules off).") {
		t.Errorf("empty review: %q", empty)
	}
}

func TestGitHubCheckTitleAndAnnotation(t *testing.T) {
	res := &review.Result{Findings: []*review.Finding{ghFinding()}}
	if got := GitHubCheckTitle(res); got != "1 error" {
		t.Errorf("title %q", got)
	}
	if got := GitHubCheckTitle(&review.Result{}); got != "No lock problems introduced" {
		t.Errorf("empty title %q", got)
	}
	msg, details := GitHubAnnotation(ghFinding())
	if msg != ghFinding().Message {
		t.Errorf("message %q", msg)
	}
	wantDetails := "drivers/bar/bar.c:27: bar_find(): hlist_bl_lock(h) takes bit spinlock h\n" +
		"drivers/bar/bar.c:15: bar_count_hit(): spin_lock(&b->stats_lock) takes spinlock_t struct bar::stats_lock\n" +
		"fix: use raw_spinlock_t for struct bar::stats_lock"
	if details != wantDetails {
		t.Errorf("details\n%s\nwant\n%s", details, wantDetails)
	}
}

// A body past GitHub's bound makes it refuse the whole review: the
// findings past what fits are counted, not spelled out, and the notes
// and markers give way last.
func TestGitHubReviewBodyFitsGitHubsBound(t *testing.T) {
	var listed []*review.Finding
	for i := 0; i < 500; i++ {
		f := ghFinding()
		cp := *f.Finding
		cp.Fingerprint = fmt.Sprintf("%016x", i)
		f.Finding = &cp
		listed = append(listed, f)
	}
	body := GitHubReviewBody(GitHubReview{Listed: listed, Notes: []string{"drivers/x.c: GitHub shows no diff for it"}}, ghOpt)
	if len(body) > GitHubMaxBody {
		t.Fatalf("body of %d bytes, over %d", len(body), GitHubMaxBody)
	}
	shown := strings.Count(body, "\n---\n\n**ERROR**")
	if shown == 0 || shown == 500 {
		t.Fatalf("%d findings spelled out", shown)
	}
	if want := fmt.Sprintf("%d more findings past what one review can hold", 500-shown); !strings.Contains(body, want) {
		t.Errorf("body does not say %q", want)
	}
	if !strings.Contains(body, "- Not reviewed: drivers/x.c") || len(GitHubMarkers(body)) != 500 {
		t.Errorf("the note or the markers were dropped: %d markers", len(GitHubMarkers(body)))
	}
	// Small reviews are as they were.
	if small := GitHubReviewBody(GitHubReview{Listed: listed[:2]}, ghOpt); strings.Contains(small, "more finding") || strings.Count(small, "**ERROR**") != 2 {
		t.Errorf("small body:\n%s", small)
	}
}

// TestGhProse: C becomes code spans, shown as written; prose keeps its
// escaping, so a mention or HTML in a file name or note stays inert.
func TestGhProse(t *testing.T) {
	for in, want := range map[string]string{
		"kmalloc(sizeof(struct x), GFP_KERNEL) may sleep": "`kmalloc(sizeof(struct x), GFP_KERNEL)` may sleep",
		"held (spin_lock_irqsave(&q->lock, flags)), and":  "held (`spin_lock_irqsave(&q->lock, flags)`), and",
		"ask @maintainer about <linux/mm.h> and *p":       "ask @\u200bmaintainer about &lt;linux/mm.h&gt; and `*p`",
		"a `quoted_name` here":                            "a \\`quoted\\_name\\` here",
		"plain words only.":                               "plain words only.",
	} {
		if got := ghProse(in); got != want {
			t.Errorf("ghProse(%q) = %q, want %q", in, got, want)
		}
	}
}
