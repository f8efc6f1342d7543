// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"lockbot/diff"
	"lockbot/review"
	"lockbot/rules"
)

// Series: when one is ready, its review (charged an attempt first, so
// that a review that kills the process is given up), and its end.

// coverWait is how long a complete series whose patches hang from a mail
// not seen waits for it: the cover letter, which may carry base-commit,
// can arrive after the patches.
const coverWait = 10 * time.Minute

// readiness decides what to do with an open series now: review it (all
// of it, or its first patches once it waited long enough), wait, or
// close it with a state.
func (b *Bot) readiness(li *List, s *seriesRecord, now time.Time) (ready bool, upTo int, closeAs string) {
	if li.MaxAgeHours > 0 && now.Sub(s.Posted) > hours(li.MaxAgeHours) {
		return false, 0, SeriesTooOld
	}
	if s.Total == 0 {
		return len(s.Members) > 0, 0, ""
	}
	prefix := 0
	for prefix < s.Total && s.Members[prefix+1] != "" {
		prefix++
	}
	if prefix == s.Total {
		// Patch 1 as the thread root means there is no cover letter;
		// in an unthreaded series of more than one mail, its cover may
		// come after patch 1 all the same.
		rootIsFirst := s.Root == s.Members[1] && (!s.Loose || len(s.Members) == 1)
		if s.Cover != "" || rootIsFirst || now.Sub(s.FirstSeen) >= coverWait {
			return true, s.Total, ""
		}
		return false, 0, ""
	}
	if now.Sub(s.FirstSeen) < hours(li.WaitHours) {
		return false, 0, ""
	}
	if prefix == 0 {
		return false, 0, SeriesIncomplete
	}
	return true, prefix, ""
}

// maxReviewAttempts bounds the runs that may begin a series' review
// without finishing it. A review that takes the process down (a fatal
// stack overflow, the OOM killer) records nothing, and without this each
// run would meet the same series again and die with it.
const maxReviewAttempts = 3

// reviewReady reviews or closes a list's open series that are ready:
// with retries, those a run began to review and did not finish, else the
// others.
func (b *Bot) reviewReady(ctx context.Context, li *List, onSince time.Time, retries bool, rep *Report) error {
	var open []*seriesRecord
	prefix := li.Name + "\x00"
	err := b.store.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSeries).Cursor()
		for k, _ := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, _ = c.Next() {
			s, err := get[seriesRecord](tx, bucketSeries, string(k))
			if err != nil {
				return err
			}
			if s.State == SeriesOpen && (s.Attempts > 0) == retries {
				open = append(open, s)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(open, func(i, j int) bool { return open[i].FirstSeen.Before(open[j].FirstSeen) })
	var noBase error // the first series left without a base
	for _, s := range open {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := b.now()
		ready, upTo, closeAs := b.readiness(li, s, now)
		if closeAs == "" && (ready && !li.On() || s.FirstSeen.Before(onSince)) {
			// Off, or open while it was off: the patches that came in
			// meanwhile were not gathered, and the list is not answered
			// what it was sent before it was turned on again.
			closeAs = SeriesOff
		}
		if closeAs != "" {
			b.log.Info("series closed without review", "list", li.Name, "subject", s.Subject, "state", closeAs)
			if err := b.closeSeries(s, closeAs, "", nil); err != nil {
				return err
			}
			continue
		}
		if !ready {
			continue
		}
		if s.Attempts >= maxReviewAttempts {
			reason := fmt.Sprintf("the review did not finish in %d attempts; lockbot may have crashed on it", s.Attempts)
			b.log.Error("series not reviewed: "+reason, "list", li.Name, "subject", s.Subject, "attempts", s.Attempts)
			rep.Unfinished++
			if err := b.closeSeries(s, SeriesFailed, reason, nil); err != nil {
				return err
			}
			continue
		}
		if err := b.reviewSeries(ctx, li, s, upTo, rep); err != nil {
			var be *baseError
			if !errors.As(err, &be) {
				return err
			}
			if noBase == nil {
				noBase = err
			}
		}
	}
	return noBase
}

// closeSeries records a series' end and the replies it makes, in one
// transaction, and drops its mails' bodies.
func (b *Bot) closeSeries(s *seriesRecord, state, reason string, replies []*replyRecord) error {
	return b.store.db.Update(func(tx *bolt.Tx) error {
		for _, r := range replies {
			old, err := get[replyRecord](tx, bucketReplies, r.ID)
			if err != nil {
				return err
			}
			if old != nil {
				continue // made before: never twice
			}
			if err := put(tx, bucketReplies, r.ID, r); err != nil {
				return err
			}
			s.Replies = append(s.Replies, r.ID)
		}
		s.State, s.Reason, s.Done = state, reason, b.now()
		for _, id := range s.ids() {
			if err := tx.Bucket(bucketBodies).Delete([]byte(id)); err != nil {
				return err
			}
		}
		if err := put(tx, bucketSeries, s.Key, s); err != nil {
			return err
		}
		return indexLoose(tx, s, s.LooseGroup)
	})
}

// ids are the series' mails, cover letter first, then patches in order.
func (s *seriesRecord) ids() []string {
	var nums []int
	for n := range s.Members {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	var out []string
	if s.Cover != "" {
		out = append(out, s.Cover)
	}
	for _, n := range nums {
		out = append(out, s.Members[n])
	}
	return out
}

// mboxFromLine separates the mails of the mbox a series is given to
// diff.Read as.
const mboxFromLine = "From lockbot@localhost Thu Jan  1 00:00:00 1970\n"

// setAttempts records the review attempts a series has begun, in a
// transaction of its own: one begun is on disk before the review starts.
func (b *Bot) setAttempts(s *seriesRecord, n int) error {
	s.Attempts = n
	err := b.store.db.Update(func(tx *bolt.Tx) error { return put(tx, bucketSeries, s.Key, s) })
	if err != nil {
		return fmt.Errorf("state: series %q: %w", s.Subject, err)
	}
	return nil
}

// runReview reviews a series, and turns a panic of the review into an
// error: the series is closed as failed and the run goes on. A crash no
// recover catches is left to maxReviewAttempts.
func (b *Bot) runReview(ctx context.Context, series *diff.Series) (out *outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("the review panicked", "panic", r, "stack", string(debug.Stack()))
			out, err = nil, &panicError{r}
		}
	}()
	return b.review(ctx, series)
}

// panicError is a review that panicked.
type panicError struct{ v any }

func (e *panicError) Error() string { return fmt.Sprintf("the review crashed (panic: %v)", e.v) }

func (b *Bot) reviewSeries(ctx context.Context, li *List, s *seriesRecord, upTo int, rep *Report) error {
	// Charged before anything is read: reading the series is work that
	// can die too. An attempt that ends without a verdict on the series
	// (no base, the run stopped) is given back.
	attempts := s.Attempts
	if err := b.setAttempts(s, attempts+1); err != nil {
		return err
	}
	giveBack := func(err error) error {
		return errors.Join(err, b.setAttempts(s, attempts))
	}
	var (
		mbox bytes.Buffer
		msgs = map[string]*Message{}
	)
	err := b.store.db.View(func(tx *bolt.Tx) error {
		for _, id := range s.ids() {
			if n := memberNumber(s, id); upTo > 0 && n > upTo {
				continue
			}
			raw := tx.Bucket(bucketBodies).Get([]byte(id))
			if raw == nil {
				return fmt.Errorf("state: the mail of <%s> is missing", id)
			}
			m, err := ParseMessage(bytes.Clone(raw))
			if err != nil {
				return err
			}
			msgs[id] = m
			mbox.WriteString(mboxFromLine)
			for _, l := range strings.SplitAfter(string(raw), "\n") {
				if strings.HasPrefix(strings.TrimLeft(l, ">"), "From ") {
					mbox.WriteByte('>')
				}
				mbox.WriteString(l)
			}
			if !bytes.HasSuffix(mbox.Bytes(), []byte("\n")) {
				mbox.WriteByte('\n')
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	lim := diff.Limits{MaxBytes: b.cfg.Limits.SeriesBytes, MaxPatches: b.cfg.Limits.SeriesPatches, Partial: upTo < s.Total}
	series, err := diff.Read(&mbox, lim)
	if err != nil {
		b.log.Warn("series not reviewed: it does not read as patches", "list", li.Name, "subject", s.Subject, "err", err)
		return b.closeSeries(s, SeriesFailed, err.Error(), nil)
	}
	rctx, cancel := context.WithTimeout(ctx, seconds(b.cfg.Limits.ReviewSeconds))
	out, err := b.runReview(rctx, series)
	// Read before cancel, which would make it Canceled: the series' own
	// deadline passed, whatever error the review made of it (a wrapped
	// context error, a git killed by it).
	timedOut := errors.Is(rctx.Err(), context.DeadlineExceeded)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			// The run is stopping (a signal, its caller's deadline):
			// the series is not at fault, and the next run reviews it.
			return giveBack(ctx.Err())
		}
		if timedOut {
			reason := fmt.Sprintf("review took longer than %g s (limits.review_seconds)", b.cfg.Limits.ReviewSeconds)
			b.log.Warn("series not reviewed: "+reason, "list", li.Name, "subject", s.Subject, "err", err)
			rep.Unfinished++
			return b.closeSeries(s, SeriesFailed, reason, nil)
		}
		var be *baseError
		if errors.As(err, &be) {
			// Left open, and its mails kept: the repository is at fault,
			// and the next run with a base reviews it.
			b.log.Error("series not reviewed: the kernel repository has no base for it; it waits", "list", li.Name, "subject", s.Subject, "err", err)
			return giveBack(err)
		}
		var pe *panicError
		if errors.As(err, &pe) {
			rep.Unfinished++
		}
		var ae *diff.ApplyError
		if errors.As(err, &ae) {
			rep.NoApply++
			// git's and the applier's words stay in the log: the list
			// gets at most a fixed note.
			b.log.Info("series does not apply: not reviewed", "list", li.Name, "subject", s.Subject, "err", err)
			var replies []*replyRecord
			if li.ApplyNote {
				r, err := b.noteReply(li, s, series, ae, msgs)
				if err != nil {
					b.log.Error("no note: it could not be written", "list", li.Name, "subject", s.Subject, "err", err)
				} else if r != nil {
					replies = append(replies, r)
				}
			}
			return b.closeSeries(s, SeriesNoApply, err.Error(), replies)
		}
		b.log.Warn("series review failed", "list", li.Name, "subject", s.Subject, "err", err)
		return b.closeSeries(s, SeriesFailed, err.Error(), nil)
	}
	rep.Series++
	var replies []*replyRecord
	for i, p := range series.Patches {
		var fs []*review.Finding
		for _, f := range out.res.Findings {
			if f.Patch == &out.res.Patches[i] && f.Introduced && f.Severity != rules.Info {
				fs = append(fs, f)
			}
		}
		if len(fs) == 0 && !li.ReplyClean {
			continue
		}
		m := msgs[strings.Trim(p.MessageID, "<>")]
		if m == nil {
			b.log.Error("no reply: the patch's mail is not in the series", "list", li.Name, "subject", s.Subject, "patch", i+1)
			continue
		}
		r, err := b.findingsReply(li, s, m, p, fs, out)
		if err != nil {
			// A reply that cannot be written (one the renderer refuses)
			// is not sent; the series is done all the same, or every run
			// would stop on it.
			b.log.Error("no reply: it could not be written", "list", li.Name, "message-id", m.ID, "err", err)
			continue
		}
		if r != nil {
			replies = append(replies, r)
		}
	}
	s.Base = out.base
	b.log.Info("series reviewed", "list", li.Name, "subject", s.Subject, "base", out.base, "findings", len(out.res.Findings), "replies", len(replies))
	rep.Queued += len(replies)
	return b.closeSeries(s, SeriesReviewed, "", replies)
}

func memberNumber(s *seriesRecord, id string) int {
	for n, m := range s.Members {
		if m == id {
			return n
		}
	}
	return 0
}
