// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"io"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestInbox is the responder end to end on a public-inbox v2 archive that
// public-inbox-mda fills: a clean series, a series whose patch 2 sleeps
// under a bit lock, a patch that does not apply, and the mail around them
// that must not be answered (a reviewer's reply, a bot's patch, a
// discussion, lockbot's own reply coming back).
func TestInbox(t *testing.T) {
	repo := kernelRepo(t)
	ib := newTestInbox(t)
	ib.mda(t, mboxMails(t, "clean.mbox")...)
	ib.mda(t, mboxMails(t, "sleep.mbox")...)
	ib.mda(t, mboxMails(t, "noapply.mbox")...)
	ib.mda(t,
		mailOf("Rita Reviewer <rita@example.org>", "Re: [PATCH 1/2] quux: expire hot flows", "rita-1@example.org",
			"In-Reply-To: <"+sleepPatch1+">\nReferences: <"+sleepCover+"> <"+sleepPatch1+">\n",
			"> +\tif (++f->hits > QUUX_HOT)\n\nWhy 1000?\n"),
		mailOf("CI Robot <ci@robots.example.org>", "[PATCH] quux: fix the build", "ci-1@example.org",
			"Auto-Submitted: auto-generated\n", "A patch a robot made.\n---\n"),
		mailOf("Dan Dev <dan@example.org>", "quux: what is QUUX_HOT for?", "dan-1@example.org", "", "A question.\n"),
	)

	cfg := botConfig(t, filepath.Join(repo), "inbox: "+ib.dir, "", "")
	c := newClock()
	b := openBot(t, cfg, c, Options{})
	rep := runBot(t, b)
	if rep.Messages != 10 || rep.Series != 2 || rep.NoApply != 1 || rep.Queued != 1 || rep.Delivered != 1 {
		t.Errorf("first run: %+v; want 10 messages, 2 series reviewed, 1 not applying, 1 reply queued and delivered", rep)
	}
	out := outboxMails(t, cfg.Outbox.Path)
	if len(out) != 1 {
		t.Fatalf("%d replies in the outbox, want 1", len(out))
	}
	reply := out[0]
	checkSleepReply(t, reply, "base-commit 826bf2768269")
	checkNoTrailers(t, reply)
	checkB4Am(t, "sleep.mbox", sleepCover, reply)

	counts, err := b.Store().Counts()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{KindCover: 2, KindPatch: 5, KindReply: 1, KindBot: 1, KindNotPatch: 1}
	for k, n := range want {
		if counts.Kinds[k] != n {
			t.Errorf("%d messages of kind %s, want %d (all: %v)", counts.Kinds[k], k, n, counts.Kinds)
		}
	}
	if counts.Series[SeriesReviewed] != 2 || counts.Series[SeriesNoApply] != 1 || counts.Bodies != 0 {
		t.Errorf("series %v, %d bodies kept; want 2 reviewed, 1 not applying, none kept", counts.Series, counts.Bodies)
	}

	// A second run has nothing new to read or send.
	rep = runBot(t, b)
	if rep.Messages != 0 || rep.Queued != 0 || rep.Delivered != 0 {
		t.Errorf("second run: %+v; want nothing", rep)
	}
	// The list sends lockbot's reply back: it is lockbot's own, not
	// answered, and still one reply in the outbox.
	ib.mda(t, reply)
	rep = runBot(t, b)
	if rep.Messages != 1 || rep.Queued != 0 || rep.Delivered != 0 {
		t.Errorf("run after the reply came back: %+v; want 1 message, nothing sent", rep)
	}
	if counts, _ := b.Store().Counts(); counts.Kinds[KindOwn] != 1 {
		t.Errorf("lockbot's reply recorded as %v, want one of kind own", counts.Kinds)
	}
	if n := len(outboxMails(t, cfg.Outbox.Path)); n != 1 {
		t.Errorf("%d replies in the outbox after three runs, want 1", n)
	}

	// A restart (a new process on the same state) sends nothing either.
	b.Close()
	b2 := openBot(t, cfg, c, Options{})
	if rep := runBot(t, b2); rep.Messages != 0 || rep.Delivered != 0 {
		t.Errorf("run after a restart: %+v; want nothing", rep)
	}
}

// checkSleepReply checks the reply to patch 2 of sleep.mbox.
func checkSleepReply(t *testing.T, raw []byte, base string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the reply does not parse: %v\n%s", err, raw)
	}
	h := m.Header
	for k, want := range map[string]string{
		"Subject":        "Re: [PATCH 2/2] quux: let readers drain before expiring a flow",
		"In-Reply-To":    "<" + sleepPatch2 + ">",
		"References":     "<" + sleepCover + "> <" + sleepPatch2 + ">",
		"To":             `"Ada Author" <ada@example.org>`,
		"Cc":             "<" + listAddr + ">",
		"From":           `"lockbot" <lockbot@lockbot.example.org>`,
		"Auto-Submitted": "auto-generated",
		"Mime-Version":   "1.0",
		"Content-Type":   "text/plain; charset=utf-8",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if id := h.Get("Message-Id"); !regexp.MustCompile(`^<lockbot\.[0-9a-f]{24}@lockbot\.example\.org>$`).MatchString(id) {
		t.Errorf("Message-ID %q", id)
	}
	body, err := io.ReadAll(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	// The added sleep is quoted, and the question is right under it; the
	// quote starts at the function, cut from the hunk's head with [ ... ].
	for _, want := range []string{
		// The attribution right above the quote, as reviewers write it.
		"On Sat, 21 Nov 2026 10:00:00 +0000, Ada Author wrote:\n> diff --git",
		"against\n" + base + " with the PREEMPT_RT rules on",
		"> diff --git a/drivers/quux/quux.c b/drivers/quux/quux.c\n[ ... ]\n> @@ -15,6 +15,8 @@",
		">  static void quux_expire(struct quux_flow *f)\n>  {\n> +\t/* let readers of the old count drain */\n> +\tmsleep(1);\n\nCan this sleep in atomic context? quux_lookup() calls quux_touch() with\n",
		// A chain step too long for the width has its note below it.
		"  drivers/quux/quux.c:35  quux_lookup()\n      hlist_bl_lock(h) takes bit spinlock h\n",
		// The patch on the archive, and the credits behind "| ".
		"\n  https://lore.kernel.org/r/",
		"\n| Reported-by: lockbot <lockbot@lockbot.example.org>\n| Closes: https://lore.kernel.org/r/lockbot.",
		"  drivers/quux/quux.c:19  quux_expire()  msleep(1) may sleep\n",
		"\n-- \nlockbot, an automated lock-semantics review; it can be wrong.\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the reply lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "f->hits = 0;") {
		t.Errorf("the reply quotes the hunk past the finding's line:\n%s", text)
	}
	// Every line fits 72 columns but the quoted patch and the links,
	// which cannot be wrapped.
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, ">") && !strings.HasPrefix(l, "| Closes: ") && !strings.HasPrefix(l, "  https://") && len(l) > 72 {
			t.Errorf("line over 72 columns: %q", l)
		}
	}
}

// checkNoTrailers runs git interpret-trailers --parse and b4's trailer
// parser over the reply's body: neither may find a trailer, or b4 am
// would add one to the patch.
func checkNoTrailers(t *testing.T, raw []byte) {
	t.Helper()
	_, body, ok := bytes.Cut(raw, []byte("\n\n"))
	if !ok {
		t.Fatal("the reply has no body")
	}
	// The parsers find a trailer where there is one: the checks below
	// can fail.
	const control = "On a day, A wrote:\n\nLooks good.\n\nReviewed-by: Rita Reviewer <rita@example.org>\n"
	if out := run(t, t.TempDir(), nil, []byte(control), "git", "interpret-trailers", "--parse"); !strings.Contains(out, "Reviewed-by") {
		t.Fatalf("git interpret-trailers --parse finds no trailer in %q", control)
	}
	if out := run(t, t.TempDir(), nil, body, "git", "interpret-trailers", "--parse"); strings.TrimSpace(out) != "" {
		t.Errorf("git interpret-trailers --parse finds trailers in the reply: %q", out)
	}
	if out := run(t, t.TempDir(), nil, raw, "git", "interpret-trailers", "--parse"); strings.TrimSpace(out) != "" {
		t.Errorf("git interpret-trailers --parse finds trailers in the whole reply: %q", out)
	}
	needTools(t, "b4")
	// The Python b4 runs with: its shebang's.
	b4, _ := exec.LookPath("b4")
	script, err := os.ReadFile(b4)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(script), "\n")
	python := strings.Fields(strings.TrimPrefix(first, "#!"))
	if len(python) == 0 {
		t.Fatalf("%s has no #! line", b4)
	}
	// b4's own parser, as b4 am runs it on follow-ups (followup=True) and
	// on a patch's message (the stricter followup=False).
	const py = `
import sys, b4
body = sys.stdin.read()
for followup in (True, False):
    trailers, _ = b4.LoreMessage.find_trailers(body, followup=followup)
    for t in trailers:
        print(followup, t.name, t.value)
`
	args := append(python[1:], "-c", py)
	if out := run(t, t.TempDir(), nil, []byte(control), python[0], args...); !strings.Contains(out, "True Reviewed-by") {
		t.Fatalf("b4's find_trailers finds no trailer in %q: %q", control, out)
	}
	if out := run(t, t.TempDir(), nil, body, python[0], args...); strings.TrimSpace(out) != "" {
		t.Errorf("b4 finds trailers in the reply:\n%s", out)
	}
}

// checkB4Am runs b4 am itself, offline and with -S, on the thread of a series: the
// patches it writes for git am are the same with lockbot's reply in the
// thread as without it. A reviewer's Reviewed-by in the same place is
// picked up, so the comparison can fail.
func checkB4Am(t *testing.T, series, coverID string, reply []byte) {
	t.Helper()
	needTools(t, "b4")
	thread, err := os.ReadFile(filepath.Join(loreData, series))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"}
	repo := filepath.Join(home, "repo")
	run(t, home, env, nil, "git", "init", "-q", repo)
	run(t, repo, env, nil, "git", "config", "user.name", "Maintainer")
	run(t, repo, env, nil, "git", "config", "user.email", "maintainer@example.org")
	am := func(name string, followups ...[]byte) string {
		t.Helper()
		var mbox bytes.Buffer
		mbox.Write(thread)
		for _, m := range followups {
			mbox.WriteString("\nFrom mirror@example.org Sat Nov 21 10:00:00 2026\n")
			mbox.Write(m)
		}
		in := filepath.Join(home, name+".mbox")
		out := filepath.Join(home, name)
		if err := os.WriteFile(in, mbox.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(out, 0o700); err != nil {
			t.Fatal(err)
		}
		// -S: trailers whose person is not the sender count too, as a
		// maintainer applying with --sloppy-trailers would take them.
		run(t, repo, env, nil, "b4", "--offline-mode", "am", "-S", "-m", in, "-o", out, coverID)
		files, _ := filepath.Glob(filepath.Join(out, "*.mbx"))
		if len(files) != 1 {
			t.Fatalf("b4 am wrote %v, want one .mbx", files)
		}
		data, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	plain := am("plain")
	review := mailOf("Rita Reviewer <rita@example.org>", "Re: [PATCH 2/2] quux: let readers drain before expiring a flow", "rita-2@example.org",
		"In-Reply-To: <"+sleepPatch2+">\nReferences: <"+sleepCover+"> <"+sleepPatch2+">\n",
		"Looks fine.\n\nReviewed-by: Rita Reviewer <rita@example.org>\n")
	if control := am("control", review); !strings.Contains(control, "\nReviewed-by: Rita Reviewer <rita@example.org>\n") || control == plain {
		t.Fatalf("b4 am takes no trailer from a reviewer's reply:\n%s", control)
	}
	if withReply := am("reply", bytes.ReplaceAll(reply, []byte("\r\n"), []byte("\n"))); withReply != plain {
		t.Errorf("b4 am writes other patches with lockbot's reply in the thread:\n%s\nwithout it:\n%s", withReply, plain)
	}
}
