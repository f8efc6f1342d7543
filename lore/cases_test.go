// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// replies are the state's reply records.
func replies(t *testing.T, b *Bot) []*replyRecord {
	t.Helper()
	var out []*replyRecord
	err := b.store.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucketReplies, func(_ string, r *replyRecord) error {
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A patch cross-posted to several lists, the first of which follow other
// prefixes or are off, is answered once, under the first that follows it,
// with its policy.
func TestCrossPosted(t *testing.T) {
	repo := kernelRepo(t)
	mails := mboxMails(t, "sleep.mbox")
	text := fmt.Sprintf(`state: state.db
from: "lockbot <lockbot@lockbot.example.org>"
kernel: {repo: %s, branch: main}
outbox: {path: outbox}
lists:
  - {name: netdev, address: netdev@lists.example.org, mbox: %s, prefixes: [PATCH net]}
  - {name: mm, address: mm@lists.example.org, mbox: %s, enabled: false}
  - {name: %s, address: %s, mbox: %s}
  - {name: other, address: other@lists.example.org, mbox: %s}
`, repo, writeMbox(t, mails...), writeMbox(t, mails...), inboxName, listAddr, writeMbox(t, mails...), writeMbox(t, mails...))
	cfg, err := ParseConfig([]byte(text), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := openBot(t, cfg, newClock(), Options{})
	// Four lists read the same three mails: the report counts three.
	if rep := runBot(t, b); rep.Messages != 3 || rep.Series != 1 || rep.Delivered != 1 {
		t.Fatalf("run: %+v; want 3 distinct messages, the series reviewed once, one reply", rep)
	}
	out := outboxMails(t, cfg.Outbox.Path)
	if len(out) != 1 {
		t.Fatalf("%d replies, want 1", len(out))
	}
	m, err := mail.ReadMessage(bytes.NewReader(out[0]))
	if err != nil {
		t.Fatal(err)
	}
	if cc := m.Header.Get("Cc"); cc != "<"+listAddr+">" {
		t.Errorf("Cc %q, want the list that follows the patch", cc)
	}
	if rep := runBot(t, b); rep.Messages != 0 || rep.Delivered != 0 {
		t.Errorf("second run: %+v; want nothing", rep)
	}
}

// With start: now, a first read of the archive that the run limit cuts
// short is old mail all the same: the rest of it, read by the next runs,
// is not answered either; what comes after is.
func TestStartNowRunLimit(t *testing.T) {
	repo := kernelRepo(t)
	mbox := writeMbox(t, append(mboxMails(t, "clean.mbox"), mboxMails(t, "sleep.mbox")...)...)
	cfg := botConfig(t, repo, "mbox: "+mbox, "start: now", "limits:\n  run_messages: 3\n")
	b := openBot(t, cfg, newClock(), Options{})
	var per []int
	for range 3 {
		rep := runBot(t, b)
		per = append(per, rep.Messages)
		if rep.Series != 0 || rep.Queued != 0 {
			t.Fatalf("run %d: %+v; want the archive's mail left alone", len(per), rep)
		}
	}
	if fmt.Sprint(per) != "[3 3 0]" {
		t.Errorf("messages per run %v, want [3 3 0]", per)
	}
	// A new posting is answered.
	var fresh [][]byte
	for _, m := range mboxMails(t, "sleep.mbox") {
		fresh = append(fresh, bytes.ReplaceAll(m, []byte("2002-quux-expire"), []byte("2003-quux-expire")))
	}
	appendMbox(t, mbox, fresh...)
	if rep := runBot(t, b); rep.Messages != 3 || rep.Series != 1 || rep.Delivered != 1 {
		t.Errorf("run after a new posting: %+v; want it reviewed and answered", rep)
	}
}

// A patch threaded by In-Reply-To alone (no References) gets a reply
// whose References start from its parent.
func TestReferencesFromInReplyTo(t *testing.T) {
	var mails [][]byte
	for _, m := range mboxMails(t, "sleep.mbox") {
		mails = append(mails, bytes.ReplaceAll(m, []byte("References: <"+sleepCover+">\n"), nil))
	}
	repo := kernelRepo(t)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mails...), "", "")
	b := openBot(t, cfg, newClock(), Options{})
	if rep := runBot(t, b); rep.Delivered != 1 {
		t.Fatalf("run: %+v; want one reply", rep)
	}
	m, err := mail.ReadMessage(bytes.NewReader(outboxMails(t, cfg.Outbox.Path)[0]))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Header.Get("References"), "<"+sleepCover+"> <"+sleepPatch2+">"; got != want {
		t.Errorf("References %q, want %q", got, want)
	}
	if got := m.Header.Get("In-Reply-To"); got != "<"+sleepPatch2+">" {
		t.Errorf("In-Reply-To %q", got)
	}
}

// An author whose name needs quoting once decoded ("Author, Ada", sent
// RFC 2047-encoded) gets the reply, addressed to that name.
func TestAuthorNameEncoded(t *testing.T) {
	var mails [][]byte
	for _, m := range mboxMails(t, "sleep.mbox") {
		mails = append(mails, bytes.ReplaceAll(m, []byte("From: Ada Author <ada@example.org>"), []byte("From: =?utf-8?q?Author=2C_Ad=C3=A0?= <ada@example.org>")))
	}
	repo := kernelRepo(t)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mails...), "", "")
	b := openBot(t, cfg, newClock(), Options{})
	if rep := runBot(t, b); rep.Delivered != 1 {
		t.Fatalf("run: %+v; want one reply", rep)
	}
	raw := outboxMails(t, cfg.Outbox.Path)[0]
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	to, err := m.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Author, Adà" || to[0].Address != "ada@example.org" {
		t.Errorf("To %q: %v %v", m.Header.Get("To"), to, err)
	}
	if !strings.Contains(string(raw), ", Author, Adà wrote:\n") {
		t.Errorf("attribution:\n%s", raw)
	}
}

// Each recipient gets one copy: with reply_to: all and the list in cc:
// too, the envelope names the list once.
func TestRecipientsOnce(t *testing.T) {
	var mails [][]byte
	for _, m := range mboxMails(t, "sleep.mbox") {
		mails = append(mails, bytes.ReplaceAll(m, []byte("To: "+listAddr+"\n"), []byte("To: "+listAddr+", Rita <rita@example.org>\nCc: LINUX-QUUX@lists.example.org, rita@example.org\n")))
	}
	repo := kernelRepo(t)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mails...), "reply_to: all\ncc: [\"<"+listAddr+">\"]", "")
	b := openBot(t, cfg, newClock(), Options{})
	if rep := runBot(t, b); rep.Queued != 1 {
		t.Fatalf("run: %+v; want one reply", rep)
	}
	rs := replies(t, b)
	if got := strings.Join(rs[0].Rcpt, ","); got != "ada@example.org,"+listAddr+",rita@example.org" {
		t.Errorf("envelope recipients %s, want each once", got)
	}
}

// A kernel repository without the configured branch (and without the
// series' base-commit) reviews nothing and closes nothing: the series
// waits, the run says why, and once the branch is there it is answered.
func TestNoBaseWaits(t *testing.T) {
	repo := kernelRepo(t)
	mails := mboxMails(t, "sleep.mbox")
	mails[0] = bytes.ReplaceAll(mails[0], []byte(baseCommit), []byte("0123456789abcdef0123456789abcdef01234567"))
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mails...), "", "")
	cfg.Kernel.Branch = "next"
	c := newClock()
	b := openBot(t, cfg, c, Options{})
	rep, err := b.Run(context.Background())
	var be *baseError
	if !errors.As(err, &be) || rep.Messages != 3 || rep.Series != 0 {
		t.Fatalf("run without the branch: %+v, %v; want the mail read, a no-base error", rep, err)
	}
	if counts, _ := b.Store().Counts(); counts.Series[SeriesOpen] != 1 || counts.Bodies != 3 {
		t.Fatalf("series %v, %d bodies; want the series open with its mails", counts.Series, counts.Bodies)
	}
	// The repository's fault is not charged to the series: it waits
	// however many runs lack the base (see maxReviewAttempts).
	for range maxReviewAttempts {
		if _, err := b.Run(context.Background()); !errors.As(err, &be) {
			t.Fatalf("another run without the branch: %v", err)
		}
	}
	if s := seriesBySubject(t, b, "expire hot flows"); s.State != SeriesOpen || s.Attempts != 0 {
		t.Fatalf("after %d more runs without a base: series %s, %d attempts; want open, none charged", maxReviewAttempts, s.State, s.Attempts)
	}
	run(t, repo, nil, nil, "git", "branch", "next")
	if rep := runBot(t, b); rep.Series != 1 || rep.Delivered != 1 {
		t.Errorf("run once the branch exists: %+v; want the series reviewed and answered", rep)
	}
}
