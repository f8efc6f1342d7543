// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"lockbot/comment"
	"lockbot/diff"
	"lockbot/review"
)

// Replies: who they go to, how they are written, and their delivery,
// each recipient answered once.

// replyID is the Message-ID of lockbot's reply to a mail: the same every
// time, so that a reply made twice is one reply, and recognised when the
// list sends it back.
func (b *Bot) replyID(list, msgID string) string {
	sum := sha256.Sum256([]byte(list + "\x00" + msgID))
	return "lockbot." + hex.EncodeToString(sum[:12]) + "@" + b.domain
}

// recipients applies the list's reply_to policy to a mail.
func (b *Bot) recipients(li *List, m *Message) (to, cc []string) {
	to = []string{m.From}
	switch li.ReplyTo {
	case "author+list":
		cc = append(cc, li.Address)
	case "all":
		cc = append(append(cc, m.To...), m.Cc...)
	}
	cc = append(cc, li.Cc...)
	// Never the bot itself, nor the author twice.
	var keep []string
	for _, a := range cc {
		if addr, err := mail.ParseAddress(a); err == nil {
			l := strings.ToLower(addr.Address)
			if l == b.botAddr || l == m.FromAddr {
				continue
			}
		}
		keep = append(keep, a)
	}
	return to, keep
}

func (b *Bot) findingsReply(li *List, s *seriesRecord, m *Message, p *diff.Patch, fs []*review.Finding, out *outcome) (*replyRecord, error) {
	return b.makeReply(li, s, m, func(w io.Writer, orig comment.MailPatch, opt comment.MailOptions) error {
		opt.Base, opt.NoRT = out.base, out.noRT
		orig.Patch = p
		return comment.MailReply(w, orig, fs, opt)
	})
}

// applyNote is all a list is told of a series that does not apply.
const applyNote = "lockbot, an automated reviewer, could not apply this series to the tree it reviews against, so it did not review it."

func (b *Bot) noteReply(li *List, s *seriesRecord, series *diff.Series, ae *diff.ApplyError, msgs map[string]*Message) (*replyRecord, error) {
	// To the patch that did not apply.
	var m *Message
	for _, p := range series.Patches {
		if p.Index == ae.Index && p.Subject == ae.Subject {
			m = msgs[strings.Trim(p.MessageID, "<>")]
		}
	}
	if m == nil {
		return nil, nil
	}
	return b.makeReply(li, s, m, func(w io.Writer, orig comment.MailPatch, opt comment.MailOptions) error {
		return comment.MailNote(w, orig, applyNote, opt)
	})
}

func (b *Bot) makeReply(li *List, s *seriesRecord, m *Message, render func(io.Writer, comment.MailPatch, comment.MailOptions) error) (*replyRecord, error) {
	if m.FromAddr == "" {
		b.log.Warn("no reply: the patch's From does not parse", "list", li.Name, "message-id", m.ID)
		return nil, nil
	}
	now := b.now()
	notBefore := s.FirstSeen.Add(hours(li.EmbargoHours))
	date := now
	if notBefore.After(date) {
		date = notBefore
	}
	id := b.replyID(li.Name, m.ID)
	to, cc := b.recipients(li, m)
	// A mailer that sets In-Reply-To alone threads by it: the reply's
	// References start with it then (RFC 5322, 3.6.4).
	refs := m.References
	if len(refs) == 0 && m.InReplyTo != "" {
		refs = []string{m.InReplyTo}
	}
	var buf bytes.Buffer
	err := render(&buf, comment.MailPatch{MessageID: m.ID, References: refs, Subject: m.Subject, From: m.From, Date: m.DateRaw},
		comment.MailOptions{From: b.cfg.From, To: to, Cc: cc, MessageID: id, Date: date, UserAgent: b.opt.UserAgent, Archive: b.cfg.archive()})
	if err != nil {
		return nil, fmt.Errorf("reply to <%s>: %w", m.ID, err)
	}
	// Each recipient once, as the header names them once: a list in
	// both the patch's To and Cc, or in cc: too, gets one copy.
	var rcpt []string
	seen := map[string]bool{}
	for _, a := range append(append([]string(nil), to...), cc...) {
		if addr, err := mail.ParseAddress(a); err == nil && !seen[strings.ToLower(addr.Address)] {
			seen[strings.ToLower(addr.Address)] = true
			rcpt = append(rcpt, addr.Address)
		}
	}
	return &replyRecord{ID: id, List: li.Name, Series: s.Key, Patch: m.ID, From: b.botAddr, Rcpt: rcpt,
		Raw: buf.Bytes(), Created: now, Posted: s.Posted, NotBefore: notBefore, State: ReplyQueued}, nil
}

func (b *Bot) list(name string) *List {
	for _, li := range b.cfg.Lists {
		if li.Name == name {
			return li
		}
	}
	return nil
}

// deliver sends the replies that are due, each marked "sending" in its
// own committed transaction before the attempt and its outcome after.
// tried holds the replies this run already tried, which it does not try
// again: a failed one waits for its back-off and the next run.
func (b *Bot) deliver(ctx context.Context, onSince map[string]time.Time, rep *Report, tried map[string]bool) error {
	if err := b.recover(); err != nil {
		return err
	}
	var due []*replyRecord
	now := b.now()
	err := b.store.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucketReplies, func(_ string, r *replyRecord) error {
			li := b.list(r.List)
			if r.State == ReplyQueued && !tried[r.ID] && li != nil && li.On() && !now.Before(r.NotBefore) && !now.Before(r.NextAttempt) {
				due = append(due, r)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	sort.Slice(due, func(i, j int) bool { return due[i].Created.Before(due[j].Created) })
	for _, r := range due {
		if err := ctx.Err(); err != nil {
			return err
		}
		tried[r.ID] = true
		if why := stale(b.list(r.List), r, onSince[r.List], b.now()); why != "" {
			r.State, r.LastError = ReplyStale, why
			rep.Stale++
			b.log.Warn("reply not sent: too late", "list", r.List, "message-id", r.ID, "in-reply-to", r.Patch, "why", why)
			if err := b.putReply(r); err != nil {
				return err
			}
			continue
		}
		r.State, r.Via = ReplySending, b.out.name()
		r.Attempts++
		if err := b.putReply(r); err != nil {
			return err
		}
		pending := r.pending()
		derr := b.byRecipient(r, pending, b.out.deliver(ctx, r))
		var perm permanentError
		switch {
		case derr == nil:
			r.State, r.Sent, r.LastError = ReplySent, b.now(), ""
			rep.Delivered++
			b.log.Info("reply delivered", "via", r.Via, "message-id", r.ID, "in-reply-to", r.Patch, "refused", len(r.Refused))
		case (errors.As(derr, &perm) || r.Attempts >= b.cfg.SMTP.MaxAttempts) && len(r.Accepted) > 0:
			// It reached some: it is sent, and the rest never get it.
			r.State, r.Sent, r.LastError = ReplySent, b.now(), derr.Error()
			rep.Delivered++
			b.log.Error("reply delivered to some recipients only; giving up on the others", "via", r.Via, "message-id", r.ID, "accepted", r.Accepted, "attempts", r.Attempts, "err", derr)
		case errors.As(derr, &perm) || r.Attempts >= b.cfg.SMTP.MaxAttempts:
			r.State, r.LastError = ReplyFailed, derr.Error()
			rep.Failed++
			b.log.Error("reply not delivered; giving up", "via", r.Via, "message-id", r.ID, "attempts", r.Attempts, "err", derr)
		default:
			backoff := seconds(b.cfg.SMTP.RetrySeconds) << min(r.Attempts-1, 8)
			r.State, r.NextAttempt, r.LastError = ReplyQueued, b.now().Add(min(backoff, 24*time.Hour)), derr.Error()
			rep.Failed++
			b.log.Warn("reply not delivered; will retry", "via", r.Via, "message-id", r.ID, "attempts", r.Attempts, "next", r.NextAttempt, "err", derr)
		}
		if err := b.putReply(r); err != nil {
			return err
		}
	}
	return nil
}

// byRecipient records what an attempt to reach pending did for each
// recipient (see rcptError) and says what is left of it: nil when each
// recipient took the reply or refused it for good and one at least took
// it, a permanent error when all refused it, a passing one while some
// are deferred (the retry goes to those only).
func (b *Bot) byRecipient(r *replyRecord, pending []string, derr error) error {
	var re *rcptError
	if !errors.As(derr, &re) {
		if derr == nil {
			r.Accepted = append(r.Accepted, pending...)
		}
		return derr
	}
	r.Accepted = append(r.Accepted, re.accepted...)
	for a, err := range re.refused {
		if r.Refused == nil {
			r.Refused = map[string]string{}
		}
		r.Refused[a] = err.Error()
		b.log.Warn("recipient refused the reply for good; the others still get it", "message-id", r.ID, "recipient", a, "err", err)
	}
	switch {
	case len(re.deferred) > 0:
		return derr
	case len(r.Accepted) == 0:
		return permanentError{derr}
	}
	return nil
}

// stale says why a reply due now must not be sent, or "": it was made
// before its list was last turned on (it waited out the time the list was
// off), or its series was posted longer than max_age_hours ago (it waited
// out a long embargo, retries, or a responder that was down). The same
// bound keeps an old series from being reviewed: what is too old to
// review is too old to answer.
func stale(li *List, r *replyRecord, onSince, now time.Time) string {
	if r.Created.Before(onSince) {
		return fmt.Sprintf("made %s, before the list was turned on again at %s", r.Created.UTC().Format(time.RFC3339), onSince.UTC().Format(time.RFC3339))
	}
	posted := r.Posted
	if posted.IsZero() {
		posted = r.Created
	}
	if li.MaxAgeHours > 0 && now.Sub(posted) > hours(li.MaxAgeHours) {
		return fmt.Sprintf("its series was posted %s, over max_age_hours (%g) ago", posted.UTC().Format(time.RFC3339), li.MaxAgeHours)
	}
	return ""
}

func (b *Bot) putReply(r *replyRecord) error {
	return b.store.db.Update(func(tx *bolt.Tx) error { return put(tx, bucketReplies, r.ID, r) })
}

// recover settles the replies a crash left "sending": an outbox can tell
// whether it holds the reply; an SMTP server cannot, and such a reply is
// left uncertain rather than risk sending it twice.
func (b *Bot) recover() error {
	var stuck []*replyRecord
	err := b.store.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucketReplies, func(_ string, r *replyRecord) error {
			if r.State == ReplySending {
				stuck = append(stuck, r)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, r := range stuck {
		var c checker
		switch {
		case r.Via == viaMaildir && b.cfg.Outbox.Path != "":
			c = maildirOutbox{dir: b.cfg.Outbox.Path}
		case r.Via == viaMbox && b.cfg.Outbox.Path != "":
			c = mboxOutbox{path: b.cfg.Outbox.Path}
		case r.Via == viaPrint:
			r.State = ReplyQueued // only ever on a dry run's copy
		}
		switch {
		case c != nil:
			ok, err := c.delivered(r)
			if err != nil {
				return err
			}
			r.State = ReplyQueued
			if ok {
				r.State, r.Sent = ReplySent, b.now()
			}
		case r.State == ReplySending:
			r.State = ReplyUncertain
			b.log.Warn("a crash interrupted this reply's SMTP delivery: it may have been sent, so it is not sent again", "message-id", r.ID, "in-reply-to", r.Patch)
		}
		if err := b.putReply(r); err != nil {
			return err
		}
	}
	return nil
}

// archive is the link prefix replies use: Archive, lore's by default,
// none for "none".
func (c *Config) archive() string {
	switch c.Archive {
	case "":
		return "https://lore.kernel.org/r/"
	case "none":
		return ""
	}
	return c.Archive
}
