// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// writeMbox writes mails as an mbox in a temporary directory.
func writeMbox(t *testing.T, mails ...[]byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "list.mbox")
	appendMbox(t, p, mails...)
	return p
}

func appendMbox(t *testing.T, path string, mails ...[]byte) {
	t.Helper()
	var b bytes.Buffer
	for _, m := range mails {
		b.WriteString("From mirror@example.org Sat Nov 21 10:00:00 2026\n")
		b.Write(m)
		if !bytes.HasSuffix(m, []byte("\n")) {
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b.Bytes()); err != nil {
		t.Fatal(err)
	}
}

func sleepBot(t *testing.T, listExtra string, c *clock, opt Options) (*Bot, *Config) {
	t.Helper()
	repo := kernelRepo(t)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mboxMails(t, "sleep.mbox")...), listExtra, "")
	return openBot(t, cfg, c, opt), cfg
}

func TestEmbargo(t *testing.T) {
	c := newClock()
	b, cfg := sleepBot(t, "embargo_hours: 2", c, Options{})
	if rep := runBot(t, b); rep.Queued != 1 || rep.Delivered != 0 {
		t.Fatalf("first run: %+v; want the reply queued, held", rep)
	}
	c.advance(time.Hour)
	if rep := runBot(t, b); rep.Delivered != 0 {
		t.Fatalf("an hour in: %+v; want nothing delivered", rep)
	}
	c.advance(time.Hour)
	if rep := runBot(t, b); rep.Delivered != 1 {
		t.Fatalf("two hours in: %+v; want the reply delivered", rep)
	}
	out := outboxMails(t, cfg.Outbox.Path)
	if len(out) != 1 {
		t.Fatalf("%d replies, want 1", len(out))
	}
	m, err := mail.ReadMessage(bytes.NewReader(out[0]))
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := m.Header.Date(); !d.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("Date %v, want the end of the embargo %v", d, t0.Add(2*time.Hour))
	}
}

// A list turned off is read but nothing is reviewed or sent, and turning
// it back on does not answer what was posted meanwhile.
func TestListOff(t *testing.T) {
	c := newClock()
	b, cfg := sleepBot(t, "enabled: false", c, Options{})
	if rep := runBot(t, b); rep.Messages != 3 || rep.Series != 0 || rep.Queued != 0 {
		t.Fatalf("run with the list off: %+v; want 3 messages read, nothing reviewed", rep)
	}
	b.Close()
	on := true
	cfg.Lists[0].Enabled = &on
	b = openBot(t, cfg, c, Options{})
	if rep := runBot(t, b); rep.Messages != 0 || rep.Series != 0 || rep.Delivered != 0 {
		t.Fatalf("run with the list on again: %+v; want nothing", rep)
	}
	if counts, _ := b.Store().Counts(); counts.Kinds[KindListOff] != 3 || len(counts.Series) != 0 {
		t.Errorf("kinds %v, series %v; want the 3 mails recorded as %s, no series", counts.Kinds, counts.Series, KindListOff)
	}
}

// A series that was waiting when its list was turned off is closed
// unreviewed, and not answered when the list is on again.
func TestListOffWhileWaiting(t *testing.T) {
	c := newClock()
	b, cfg := sleepBot(t, "wait_hours: 1", c, Options{})
	b.Close()
	// Patch 2 missing: the series waits.
	mails := mboxMails(t, "sleep.mbox")
	cfg.Lists[0].Mbox = writeMbox(t, mails[0], mails[1])
	b = openBot(t, cfg, c, Options{})
	if rep := runBot(t, b); rep.Messages != 2 || rep.Series != 0 {
		t.Fatalf("first run: %+v; want the series waiting", rep)
	}
	b.Close()
	off := false
	cfg.Lists[0].Enabled = &off
	b = openBot(t, cfg, c, Options{})
	c.advance(time.Hour)
	if rep := runBot(t, b); rep.Series != 0 || rep.Queued != 0 {
		t.Fatalf("run with the list off: %+v; want nothing reviewed", rep)
	}
	if counts, _ := b.Store().Counts(); counts.Series[SeriesOff] != 1 {
		t.Errorf("series %v, want one closed as %s", counts.Series, SeriesOff)
	}
}

func TestPrefixes(t *testing.T) {
	b, _ := sleepBot(t, "prefixes: [PATCH net]", newClock(), Options{})
	if rep := runBot(t, b); rep.Series != 0 || rep.Queued != 0 {
		t.Fatalf("run: %+v; want nothing reviewed", rep)
	}
	if counts, _ := b.Store().Counts(); counts.Kinds[KindSkipped] != 3 {
		t.Errorf("kinds %v, want 3 not followed", counts.Kinds)
	}
	// "[RFC PATCH net v2 1/3]" is followed by "PATCH net".
	if tag := ParseSubject("[RFC PATCH net v2 1/3] x: y"); !tag.Follows([]string{"PATCH net"}) || tag.Follows([]string{"PATCH net-next"}) {
		t.Errorf("tag %+v: follows PATCH net, not PATCH net-next", tag)
	}
}

func TestReplyToAuthor(t *testing.T) {
	c := newClock()
	b, cfg := sleepBot(t, "reply_to: author", c, Options{})
	if rep := runBot(t, b); rep.Delivered != 1 {
		t.Fatalf("run: %+v; want one reply", rep)
	}
	m, err := mail.ReadMessage(bytes.NewReader(outboxMails(t, cfg.Outbox.Path)[0]))
	if err != nil {
		t.Fatal(err)
	}
	if cc := m.Header.Get("Cc"); cc != "" {
		t.Errorf("Cc %q with reply_to: author", cc)
	}
}

func TestApplyNote(t *testing.T) {
	repo := kernelRepo(t)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mboxMails(t, "noapply.mbox")...), "apply_note: true", "")
	b := openBot(t, cfg, newClock(), Options{})
	if rep := runBot(t, b); rep.NoApply != 1 || rep.Delivered != 1 {
		t.Fatalf("run: %+v; want a series not applying and its note", rep)
	}
	raw := outboxMails(t, cfg.Outbox.Path)[0]
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("In-Reply-To"); got != "<20261121120000.3003-quux-hits-0@example.org>" {
		t.Errorf("In-Reply-To %q", got)
	}
	_, body, _ := bytes.Cut(raw, []byte("\n\n"))
	text := strings.Join(strings.Fields(string(body)), " ")
	if !strings.HasPrefix(text, applyNote) {
		t.Errorf("note %q, want the fixed text", text)
	}
	for _, leak := range []string{"hunk", "f->hits", "@@", "expects"} {
		if strings.Contains(string(body), leak) {
			t.Errorf("the note says %q, which is the applier's output:\n%s", leak, body)
		}
	}
}

func TestReplyClean(t *testing.T) {
	repo := kernelRepo(t)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mboxMails(t, "clean.mbox")...), "reply_clean: true", "")
	b := openBot(t, cfg, newClock(), Options{})
	if rep := runBot(t, b); rep.Delivered != 2 {
		t.Fatalf("run: %+v; want a reply to each clean patch", rep)
	}
	for _, raw := range outboxMails(t, cfg.Outbox.Path) {
		if !strings.Contains(strings.Join(strings.Fields(string(raw)), " "), "found no locking problem it introduces.") {
			t.Errorf("clean reply:\n%s", raw)
		}
		checkNoTrailers(t, raw)
	}
}

// With start: now, what an archive holds at the first run is not
// answered; what comes after is.
func TestStartNow(t *testing.T) {
	repo := kernelRepo(t)
	mbox := writeMbox(t, mboxMails(t, "sleep.mbox")...)
	cfg := botConfig(t, repo, "mbox: "+mbox, "start: now", "")
	b := openBot(t, cfg, newClock(), Options{})
	if rep := runBot(t, b); rep.Messages != 3 || rep.Series != 0 {
		t.Fatalf("first run: %+v; want 3 messages recorded, nothing reviewed", rep)
	}
	appendMbox(t, mbox, mboxMails(t, "clean.mbox")...)
	if rep := runBot(t, b); rep.Messages != 3 || rep.Series != 1 || rep.Queued != 0 {
		t.Fatalf("second run: %+v; want the clean series reviewed, no reply", rep)
	}
}

func TestMaxAge(t *testing.T) {
	c := newClock()
	c.advance(8 * 24 * time.Hour)
	b, _ := sleepBot(t, "", c, Options{})
	if rep := runBot(t, b); rep.Series != 0 || rep.Queued != 0 {
		t.Fatalf("run: %+v; want the week-old series left alone", rep)
	}
	if counts, _ := b.Store().Counts(); counts.Series[SeriesTooOld] != 1 {
		t.Errorf("series %v, want one too old", counts.Series)
	}
}

// An incomplete series waits, then the patches in order from 1 are
// reviewed; one missing its first patch is closed unreviewed.
func TestIncompleteSeries(t *testing.T) {
	repo := kernelRepo(t)
	mails := mboxMails(t, "sleep.mbox")
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mails[0], mails[1]), "wait_hours: 1", "")
	c := newClock()
	b := openBot(t, cfg, c, Options{})
	if rep := runBot(t, b); rep.Series != 0 {
		t.Fatalf("first run: %+v; want the series to wait", rep)
	}
	c.advance(time.Hour)
	if rep := runBot(t, b); rep.Series != 1 || rep.Queued != 0 {
		t.Fatalf("after the wait: %+v; want patch 1 reviewed, clean", rep)
	}

	cfg2 := botConfig(t, repo, "mbox: "+writeMbox(t, mails[2]), "wait_hours: 1", "")
	b2 := openBot(t, cfg2, c, Options{})
	runBot(t, b2)
	c.advance(time.Hour)
	if rep := runBot(t, b2); rep.Series != 0 || rep.Queued != 0 {
		t.Fatalf("patch 2/2 alone after the wait: %+v; want no review", rep)
	}
	if counts, _ := b2.Store().Counts(); counts.Series[SeriesIncomplete] != 1 {
		t.Errorf("series %v, want one incomplete", counts.Series)
	}
}

// A dry run shows the reply and changes nothing: the real run after it
// still sends it.
func TestDryRun(t *testing.T) {
	c := newClock()
	b, cfg := sleepBot(t, "", c, Options{})
	b.Close()
	var shown bytes.Buffer
	dry := openBot(t, cfg, c, Options{DryRun: &shown})
	if rep := runBot(t, dry); rep.Delivered != 1 {
		t.Fatalf("dry run: %+v; want one reply shown", rep)
	}
	dry.Close()
	if !strings.Contains(shown.String(), "would send <lockbot.") || !strings.Contains(shown.String(), "In-Reply-To: <"+sleepPatch2+">") {
		t.Errorf("dry run showed:\n%s", shown.String())
	}
	if n := len(outboxMails(t, cfg.Outbox.Path)); n != 0 {
		t.Errorf("the dry run wrote %d replies to the outbox", n)
	}
	real := openBot(t, cfg, c, Options{})
	if rep := runBot(t, real); rep.Messages != 3 || rep.Delivered != 1 {
		t.Fatalf("run after the dry run: %+v; want everything done for real", rep)
	}
}

// A run that stops part way (the run limit, as a crash between two
// transactions would) is picked up by the next: every mail of a Maildir is
// recorded once and the reply made once.
func TestResume(t *testing.T) {
	repo := kernelRepo(t)
	md := t.TempDir()
	for _, sub := range []string{"new", "cur", "tmp"} {
		os.MkdirAll(filepath.Join(md, sub), 0o700)
	}
	for i, m := range mboxMails(t, "sleep.mbox") {
		if err := os.WriteFile(filepath.Join(md, "new", fmt.Sprintf("1700000000.%d.mirror", i)), m, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := botConfig(t, repo, "maildir: "+md, "", "limits:\n  run_messages: 2\n")
	b := openBot(t, cfg, newClock(), Options{})
	var per []int
	delivered := 0
	for range 4 {
		rep := runBot(t, b)
		per = append(per, rep.Messages)
		delivered += rep.Delivered
	}
	if fmt.Sprint(per) != "[2 1 0 0]" || delivered != 1 {
		t.Errorf("messages recorded per run %v, %d replies over four runs; want [2 1 0 0] and 1", per, delivered)
	}
	// A mail reader moving a file to cur/ does not make it new.
	os.Rename(filepath.Join(md, "new", "1700000000.0.mirror"), filepath.Join(md, "cur", "1700000000.0.mirror:2,S"))
	if rep := runBot(t, b); rep.Messages != 0 {
		t.Errorf("run after a file moved to cur/: %+v; want nothing new", rep)
	}
}

func setReply(t *testing.T, b *Bot, fn func(r *replyRecord)) *replyRecord {
	t.Helper()
	var got *replyRecord
	err := b.store.db.Update(func(tx *bolt.Tx) error {
		return each(tx, bucketReplies, func(k string, r *replyRecord) error {
			fn(r)
			got = r
			return put(tx, bucketReplies, k, r)
		})
	})
	if err != nil || got == nil {
		t.Fatalf("no reply to change (%v)", err)
	}
	return got
}

// A crash between marking a reply "sending" and recording the outcome:
// the outbox is checked, so the reply is written once; over SMTP it may
// have gone, so it is not sent again until the list shows it.
func TestCrashRecovery(t *testing.T) {
	c := newClock()
	b, cfg := sleepBot(t, "", c, Options{})
	if rep := runBot(t, b); rep.Delivered != 1 {
		t.Fatalf("run: %+v", rep)
	}
	// Crashed before the file was written.
	files, _ := filepath.Glob(filepath.Join(cfg.Outbox.Path, "new", "*"))
	os.Remove(files[0])
	setReply(t, b, func(r *replyRecord) { r.State = ReplySending })
	if rep := runBot(t, b); rep.Delivered != 1 || len(outboxMails(t, cfg.Outbox.Path)) != 1 {
		t.Fatalf("run after a crash before the write: %+v; want it written once", rep)
	}
	// Crashed after the file was written.
	setReply(t, b, func(r *replyRecord) { r.State = ReplySending })
	if rep := runBot(t, b); rep.Delivered != 0 || len(outboxMails(t, cfg.Outbox.Path)) != 1 {
		t.Fatalf("run after a crash after the write: %+v; want no second copy", rep)
	}

	// Over SMTP: uncertain, not resent.
	srv := newSMTPServer(t, true)
	b.Close()
	cfg.SMTP = botConfig(t, cfg.Kernel.Repo, "mbox: "+cfg.Lists[0].Mbox, "", smtpConfig(t, srv, "starttls")).SMTP
	b = openBot(t, cfg, c, Options{Send: true})
	r := setReply(t, b, func(r *replyRecord) { r.State, r.Via = ReplySending, viaSMTP })
	runBot(t, b)
	c.advance(48 * time.Hour)
	runBot(t, b)
	if n := len(srv.mails()); n != 0 {
		t.Fatalf("an uncertain reply was sent again (%d mails)", n)
	}
	if counts, _ := b.Store().Counts(); counts.Replies[ReplyUncertain] != 1 {
		t.Fatalf("replies %v, want one uncertain", counts.Replies)
	}
	// The list shows it: it went, and is marked sent.
	appendMbox(t, cfg.Lists[0].Mbox, r.Raw)
	runBot(t, b)
	if counts, _ := b.Store().Counts(); counts.Replies[ReplySent] != 1 || counts.Kinds[KindOwn] != 1 {
		t.Errorf("after the list showed the reply: replies %v, kinds %v; want it sent, and own", counts.Replies, counts.Kinds)
	}
}

// The base is the series' base-commit when the repository has it, else
// the configured branch, and the settings are the base's .lockbot.yaml:
// here the branch has moved on to a commit whose settings disable the
// rule the sleep breaks.
func TestBaseAndSettings(t *testing.T) {
	repo := kernelRepo(t)
	if err := os.WriteFile(filepath.Join(repo, ".lockbot.yaml"), []byte("rules:\n  disable: [SLEEP_IN_ATOMIC]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, repo, nil, nil, "git", "add", ".lockbot.yaml")
	run(t, repo, nil, nil, "git", "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-m", "settings")
	mails := mboxMails(t, "sleep.mbox")

	// base-commit known: reviewed at it, without the later settings.
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mails...), "", "")
	b := openBot(t, cfg, newClock(), Options{})
	if rep := runBot(t, b); rep.Delivered != 1 {
		t.Fatalf("at the base-commit: %+v; want the reply", rep)
	}
	if !strings.Contains(string(outboxMails(t, cfg.Outbox.Path)[0]), "against\nbase-commit 826bf2768269 with") {
		t.Errorf("the reply does not name the base-commit:\n%s", outboxMails(t, cfg.Outbox.Path)[0])
	}

	// base-commit unknown: the branch, and its settings.
	unknown := bytes.ReplaceAll(mails[0], []byte(baseCommit), []byte("0123456789abcdef0123456789abcdef01234567"))
	cfg = botConfig(t, repo, "mbox: "+writeMbox(t, unknown, mails[1], mails[2]), "", "")
	b = openBot(t, cfg, newClock(), Options{})
	if rep := runBot(t, b); rep.Series != 1 || rep.Delivered != 0 {
		t.Fatalf("on the branch: %+v; want the series reviewed with SLEEP_IN_ATOMIC disabled, no reply", rep)
	}
	var base string
	b.store.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucketSeries, func(_ string, s *seriesRecord) error {
			base = s.Base
			return nil
		})
	})
	if !strings.HasPrefix(base, "main at ") {
		t.Errorf("base %q, want the branch main", base)
	}
}

// A reply queued before its list was turned off is not sent when the
// list is turned on again: it is recorded stale, and the list gets
// nothing.
func TestListOffStaleReply(t *testing.T) {
	c := newClock()
	b, cfg := sleepBot(t, "embargo_hours: 2", c, Options{})
	if rep := runBot(t, b); rep.Queued != 1 || rep.Delivered != 0 {
		t.Fatalf("first run: %+v; want the reply queued, held by the embargo", rep)
	}
	b.Close()
	off := false
	cfg.Lists[0].Enabled = &off
	b = openBot(t, cfg, c, Options{})
	c.advance(3 * time.Hour)
	if rep := runBot(t, b); rep.Delivered+rep.Stale != 0 {
		t.Fatalf("run with the list off: %+v; want nothing sent", rep)
	}
	b.Close()
	on := true
	cfg.Lists[0].Enabled = &on
	b = openBot(t, cfg, c, Options{})
	c.advance(24 * time.Hour)
	if rep := runBot(t, b); rep.Delivered != 0 || rep.Stale != 1 {
		t.Fatalf("run with the list on again: %+v; want the reply not sent, recorded stale", rep)
	}
	if rep := runBot(t, b); rep.Delivered+rep.Stale != 0 {
		t.Fatalf("next run: %+v; want nothing", rep)
	}
	if n := len(outboxMails(t, cfg.Outbox.Path)); n != 0 {
		t.Errorf("%d replies written after the list was turned on again, want none", n)
	}
	rs := replies(t, b)
	if len(rs) != 1 || rs[0].State != ReplyStale || !strings.Contains(rs[0].LastError, "before the list was turned on again") {
		t.Errorf("replies %+v; want one stale, saying why", rs)
	}
}

// A series waiting for its last patch when the list was turned off, and
// still open when it is turned on again, is closed unreviewed: the patch
// that came meanwhile was not gathered.
func TestListOffOnWhileWaiting(t *testing.T) {
	c := newClock()
	mails := mboxMails(t, "sleep.mbox")
	repo := kernelRepo(t)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mails[0], mails[1]), "wait_hours: 1", "")
	b := openBot(t, cfg, c, Options{})
	if rep := runBot(t, b); rep.Series != 0 {
		t.Fatalf("first run: %+v; want the series waiting", rep)
	}
	b.Close()
	off := false
	cfg.Lists[0].Enabled = &off
	b = openBot(t, cfg, c, Options{})
	appendMbox(t, cfg.Lists[0].Mbox, mails[2])
	if rep := runBot(t, b); rep.Series != 0 || rep.Messages != 1 {
		t.Fatalf("run with the list off: %+v; want patch 2 read, nothing reviewed", rep)
	}
	b.Close()
	on := true
	cfg.Lists[0].Enabled = &on
	b = openBot(t, cfg, c, Options{})
	c.advance(time.Hour)
	if rep := runBot(t, b); rep.Series != 0 || rep.Queued != 0 {
		t.Fatalf("run with the list on again: %+v; want the series closed unreviewed", rep)
	}
	if counts, _ := b.Store().Counts(); counts.Series[SeriesOff] != 1 {
		t.Errorf("series %v, want one closed as %s", counts.Series, SeriesOff)
	}
}

// A reply whose series got older than max_age_hours while it waited (a
// long embargo, retries, a responder that was down) is not sent; a
// series still young is answered (TestEmbargo).
func TestStaleByAge(t *testing.T) {
	c := newClock()
	// The series is dated 10:00, the clock starts at 12:00: reviewed at
	// two hours, due at four, when it is over three.
	b, cfg := sleepBot(t, "embargo_hours: 2\nmax_age_hours: 3", c, Options{})
	if rep := runBot(t, b); rep.Queued != 1 || rep.Delivered != 0 {
		t.Fatalf("first run: %+v; want the reply queued", rep)
	}
	c.advance(2 * time.Hour)
	if rep := runBot(t, b); rep.Delivered != 0 || rep.Stale != 1 {
		t.Fatalf("run at the end of the embargo: %+v; want the reply stale", rep)
	}
	if n := len(outboxMails(t, cfg.Outbox.Path)); n != 0 {
		t.Errorf("%d replies written, want none", n)
	}
	rs := replies(t, b)
	if len(rs) != 1 || !strings.Contains(rs[0].LastError, "max_age_hours") {
		t.Errorf("replies %+v; want one stale by age", rs)
	}
}

func TestEmbargoBelowMaxAge(t *testing.T) {
	text := `state: s.db
from: lockbot@example.org
kernel: {repo: /r}
lists:
  - {name: l, address: l@example.org, mbox: m, embargo_hours: 200}
`
	if _, err := ParseConfig([]byte(text), t.TempDir()); err == nil || !strings.Contains(err.Error(), "max_age_hours") {
		t.Errorf("an embargo over max_age_hours: %v; want an error", err)
	}
}
