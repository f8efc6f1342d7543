// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"lockbot/diff"
)

// newFileMail is a one-patch series adding drivers/quux/<name>.c.
func newFileMail(name, id string) []byte {
	body := fmt.Sprintf("---\ndiff --git a/drivers/quux/%[1]s.c b/drivers/quux/%[1]s.c\nnew file mode 100644\nindex 0000000..1111111\n"+
		"--- /dev/null\n+++ b/drivers/quux/%[1]s.c\n@@ -0,0 +1,4 @@\n+int %[1]s(int x)\n+{\n+\treturn x;\n+}\n", name)
	return mailOf("Mallory <mallory@example.org>", "[PATCH] quux: add "+name, id, "", body)
}

// seriesBySubject is the series record whose subject holds word.
func seriesBySubject(t *testing.T, b *Bot, word string) *seriesRecord {
	t.Helper()
	var got *seriesRecord
	err := b.store.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucketSeries, func(_ string, s *seriesRecord) error {
			if strings.Contains(s.Subject, word) {
				got = s
			}
			return nil
		})
	})
	if err != nil || got == nil {
		t.Fatalf("no series %q (%v)", word, err)
	}
	return got
}

// withReview puts fn in front of the bot's review: fn returns handled
// false to let the real review do a series.
func withReview(b *Bot, fn func(ctx context.Context, s *diff.Series) (out *outcome, err error, handled bool)) {
	real := b.review
	b.review = func(ctx context.Context, s *diff.Series) (*outcome, error) {
		if out, err, ok := fn(ctx, s); ok {
			return out, err
		}
		return real(ctx, s)
	}
}

// dieOn makes the bot's process "die" in the review of a series whose
// subject holds word: runtime.Goexit ends the run's goroutine there,
// and nothing after it runs, as after a fatal stack overflow.
func dieOn(b *Bot, word string) {
	withReview(b, func(_ context.Context, s *diff.Series) (*outcome, error, bool) {
		if strings.Contains(s.Patches[0].Subject, word) {
			runtime.Goexit()
		}
		return nil, nil, false
	})
}

// runMayDie runs the bot as a process that may die in a review, then
// closes it as the death would: it reports whether the run died.
func runMayDie(t *testing.T, b *Bot) (Report, bool) {
	t.Helper()
	var (
		rep      Report
		err      error
		returned bool
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		rep, err = b.Run(context.Background())
		returned = true
	}()
	<-done
	b.Close()
	if returned && err != nil {
		t.Fatalf("run: %v", err)
	}
	return rep, !returned
}

// TestCrashingReviewGivesUp (B1): a series whose review kills the process
// each time is charged an attempt before each review, and closed as
// failed once maxReviewAttempts runs died in it; meanwhile the other
// series are reviewed, and the replies queued before it go out before
// the review that dies.
func TestCrashingReviewGivesUp(t *testing.T) {
	c := newClock()
	repo := kernelRepo(t)
	mbox := writeMbox(t, newFileMail("deep", "poison-1@example.org"))
	cfg := botConfig(t, repo, "mbox: "+mbox, "", "")
	var logs bytes.Buffer
	restart := func() *Bot {
		// A new process: the state as the last one left it on disk.
		b := openBot(t, cfg, c, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
		dieOn(b, "deep")
		return b
	}

	if _, died := runMayDie(t, restart()); !died {
		t.Fatal("run 1 did not die in the poison series' review")
	}
	b := restart()
	if s := seriesBySubject(t, b, "deep"); s.State != SeriesOpen || s.Attempts != 1 {
		t.Fatalf("after run 1: poison series %s, %d attempts; want open, 1 attempt on record", s.State, s.Attempts)
	}
	var status bytes.Buffer
	b.Store().Status(&status)
	if !strings.Contains(status.String(), "reviewing, attempt 1 did not finish") {
		t.Errorf("--status does not show the attempt:\n%s", &status)
	}
	b.Close()

	// The sleep series comes after the poison one: it is reviewed first
	// all the same, and its reply queued, before the run dies.
	appendMbox(t, mbox, mboxMails(t, "sleep.mbox")...)
	c.advance(time.Minute)
	if _, died := runMayDie(t, restart()); !died {
		t.Fatal("run 2 did not die")
	}
	b = restart()
	if s := seriesBySubject(t, b, "expire hot flows"); s.State != SeriesReviewed {
		t.Fatalf("run 2: sleep series %s; want it reviewed before the series that kills the run", s.State)
	}
	if n := len(outboxMails(t, cfg.Outbox.Path)); n != 0 {
		t.Fatalf("run 2: %d replies written; the run died before delivering", n)
	}
	// Run 3 delivers the reply before it dies in the review.
	if _, died := runMayDie(t, b); !died {
		t.Fatal("run 3 did not die")
	}
	if n := len(outboxMails(t, cfg.Outbox.Path)); n != 1 {
		t.Fatalf("run 3: %d replies written; want the one queued by run 2, delivered before the review that died", n)
	}
	// Run 4 gives up on the poison series without reviewing it.
	logs.Reset()
	rep, died := runMayDie(t, restart())
	if died || rep.Unfinished != 1 || rep.Delivered != 0 {
		t.Fatalf("run 4: died %v, %+v; want the poison series given up, nothing sent twice", died, rep)
	}
	b = restart()
	s := seriesBySubject(t, b, "deep")
	if s.State != SeriesFailed || !strings.Contains(s.Reason, "did not finish in 3 attempts; lockbot may have crashed on it") {
		t.Errorf("poison series %s %q; want failed, did not finish in 3 attempts", s.State, s.Reason)
	}
	if !strings.Contains(logs.String(), "lockbot may have crashed on it") {
		t.Errorf("the log does not say the series was given up:\n%s", &logs)
	}
	rep, died = runMayDie(t, b)
	if died || rep != (Report{Elapsed: rep.Elapsed}) || len(outboxMails(t, cfg.Outbox.Path)) != 1 {
		t.Errorf("run 5: died %v, %+v, %d replies; want nothing to do", died, rep, len(outboxMails(t, cfg.Outbox.Path)))
	}
}

// TestPanickingReview: a review that panics closes its series as failed
// at once, and the run goes on to the next series.
func TestPanickingReview(t *testing.T) {
	c := newClock()
	repo := kernelRepo(t)
	mails := append([][]byte{newFileMail("boom", "boom-1@example.org")}, mboxMails(t, "sleep.mbox")...)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mails...), "", "")
	b := openBot(t, cfg, c, Options{})
	withReview(b, func(_ context.Context, s *diff.Series) (*outcome, error, bool) {
		if strings.Contains(s.Patches[0].Subject, "boom") {
			panic("a bug of the review's")
		}
		return nil, nil, false
	})
	rep := runBot(t, b)
	if rep.Series != 1 || rep.Delivered != 1 || rep.Unfinished != 1 {
		t.Errorf("run: %+v; want the sleep series answered, the other given up", rep)
	}
	if s := seriesBySubject(t, b, "boom"); s.State != SeriesFailed || !strings.Contains(s.Reason, "the review crashed (panic: a bug of the review's)") {
		t.Errorf("series %s %q; want failed, the review crashed", s.State, s.Reason)
	}
}

// TestReviewDeadline (B3): a review that ends because review_seconds
// passed, however its error says so, closes its series as not reviewed,
// with no reply and the reason, and the run goes on to the next series.
func TestReviewDeadline(t *testing.T) {
	c := newClock()
	repo := kernelRepo(t)
	mails := [][]byte{
		newFileMail("wrapped", "slow-1@example.org"),
		newFileMail("bare", "slow-2@example.org"),
		newFileMail("killed", "slow-3@example.org"),
	}
	mails = append(mails, mboxMails(t, "sleep.mbox")...)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mails...), "", "limits:\n  review_seconds: 0.1\n")
	var logs bytes.Buffer
	b := openBot(t, cfg, c, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	withReview(b, func(ctx context.Context, s *diff.Series) (*outcome, error, bool) {
		// The ways an analysis that watches its context ends: with the
		// context's error, wrapped or not, or a git the context killed.
		var end func() error
		switch subj := s.Patches[0].Subject; {
		case strings.Contains(subj, "wrapped"):
			end = func() error { return fmt.Errorf("rules: quux.c: %w", ctx.Err()) }
		case strings.Contains(subj, "bare"):
			end = ctx.Err
		case strings.Contains(subj, "killed"):
			end = func() error { return &baseError{errors.New("git rev-parse: signal: killed")} }
		default:
			return nil, nil, false
		}
		<-ctx.Done()
		return nil, end(), true
	})
	// The sleep series is reviewed for real, without the deadline: that
	// it answers in 0.1 s on a loaded machine is not what this tests.
	real := b.review
	b.review = func(ctx context.Context, s *diff.Series) (*outcome, error) {
		if strings.Contains(s.Patches[0].Subject, "quux: expire") || strings.Contains(s.Patches[0].Subject, "let readers drain") {
			return real(context.WithoutCancel(ctx), s)
		}
		return real(ctx, s)
	}
	rep, err := b.Run(context.Background())
	if err != nil || rep.Series != 1 || rep.Unfinished != 3 || rep.Queued != 1 || rep.Delivered != 1 {
		t.Fatalf("run: %+v, %v; want the three slow series given up, the sleep series answered", rep, err)
	}
	for _, word := range []string{"wrapped", "bare", "killed"} {
		s := seriesBySubject(t, b, word)
		if s.State != SeriesFailed || s.Reason != "review took longer than 0.1 s (limits.review_seconds)" || len(s.Replies) != 0 {
			t.Errorf("series %s: %s %q, %d replies; want failed, review took longer than 0.1 s, no reply", word, s.State, s.Reason, len(s.Replies))
		}
	}
	if n := strings.Count(logs.String(), "series not reviewed: review took longer than 0.1 s"); n != 3 {
		t.Errorf("%d log lines for the slow series, want 3:\n%s", n, &logs)
	}
}

// TestReviewStoppedByCaller: a review cut short by the run's own context
// (a signal) is no verdict on the series: it stays open, not charged an
// attempt, and the next run reviews it.
func TestReviewStoppedByCaller(t *testing.T) {
	c := newClock()
	b, _ := sleepBot(t, "", c, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	withReview(b, func(ctx context.Context, _ *diff.Series) (*outcome, error, bool) {
		cancel()
		return nil, fmt.Errorf("rules: %w", ctx.Err()), true
	})
	if _, err := b.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v; want it stopped", err)
	}
	if s := seriesBySubject(t, b, "expire hot flows"); s.State != SeriesOpen || s.Attempts != 0 {
		t.Fatalf("series %s, %d attempts; want open, no attempt charged", s.State, s.Attempts)
	}
	b.review = b.reviewer.review
	if rep := runBot(t, b); rep.Series != 1 || rep.Delivered != 1 {
		t.Errorf("next run: %+v; want the series reviewed and answered", rep)
	}
}

// TestManyPartsSeries (B10): a patch mail of 100,000 MIME parts, under
// message_bytes, is read with the part cap: its series is closed as
// failed naming it, quickly, and the next series is answered.
func TestManyPartsSeries(t *testing.T) {
	var parts strings.Builder
	parts.WriteString("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"P\"\n")
	head := parts.String()
	parts.Reset()
	for range 100000 {
		parts.WriteString("--P\nContent-Type: text/plain\n\nx\n")
	}
	parts.WriteString("--P--\n")
	poison := mailOf("Mallory <mallory@example.org>", "[PATCH] quux: parts", "parts-1@example.org", head, parts.String())
	mails := append([][]byte{poison}, mboxMails(t, "sleep.mbox")...)
	cfg := botConfig(t, kernelRepo(t), "mbox: "+writeMbox(t, mails...), "", "")
	b := openBot(t, cfg, newClock(), Options{})
	start := time.Now()
	if rep := runBot(t, b); rep.Series != 1 || rep.Delivered != 1 {
		t.Errorf("run: %+v; want the sleep series answered", rep)
	}
	t.Logf("run: %v", time.Since(start))
	if s := seriesBySubject(t, b, "parts"); s.State != SeriesFailed || !strings.Contains(s.Reason, "more than 100 MIME parts") {
		t.Errorf("series %s %q; want failed, more than 100 MIME parts", s.State, s.Reason)
	}
}
