// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"lockbot/diff"
)

// Options are what the command line adds to the configuration.
type Options struct {
	// Send delivers over SMTP instead of writing the outbox.
	Send bool
	// DryRun, when set, runs on a copy of the state and prints each
	// reply there instead of delivering it.
	DryRun io.Writer
	// KBFiles are extra knowledge-base files (the global --kb).
	KBFiles []string
	// UserAgent is the X-Mailer of replies ("lockbot 0.3.0").
	UserAgent string
	Log       *slog.Logger
	// Now is the clock (tests move it); nil: time.Now.
	Now func() time.Time
}

// Bot is the responder.
type Bot struct {
	cfg      *Config
	opt      Options
	store    *Store
	reviewer *reviewer
	out      deliverer
	log      *slog.Logger
	now      func() time.Time
	botAddr  string
	domain   string
	dryCopy  string
	// review is the reviewer's review; tests put a slow one or one that
	// dies in its place.
	review func(ctx context.Context, s *diff.Series) (*outcome, error)
}

// Report is what one run did.
type Report struct {
	Messages   int           // distinct new messages recorded: a cross-posted mail counts once, in the first list that read it
	Series     int           // series reviewed
	NoApply    int           // series that did not apply
	Queued     int           // replies queued
	Delivered  int           // replies delivered (or shown, with --dry-run)
	Failed     int           // delivery attempts that failed
	Stale      int           // replies due but not sent: made before their list was turned on again, or their series older than max_age_hours
	Unfinished int           // series closed unreviewed because their review did not finish: over review_seconds, a panic, or maxReviewAttempts runs that died in it
	Elapsed    time.Duration // set once the run went to its end, also when it returns the series it left without a base
}

// Open prepares a responder: its state, the kernel repository's reviewer
// and the delivery.
func Open(cfg *Config, opt Options) (*Bot, error) {
	b := &Bot{cfg: cfg, opt: opt, log: opt.Log, now: opt.Now}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	b.botAddr = strings.ToLower(from.Address)
	b.domain = b.botAddr[strings.LastIndexByte(b.botAddr, '@')+1:]
	switch {
	case opt.DryRun != nil:
		b.out = printer{w: opt.DryRun}
	case opt.Send:
		s, err := newSMTPSender(cfg.SMTP)
		if err != nil {
			return nil, err
		}
		b.out = s
	default:
		if cfg.Outbox.Path == "" {
			return nil, errors.New("outbox.path is not configured (or use --send or --dry-run)")
		}
		b.out = b.outbox()
	}
	path := cfg.State
	if opt.DryRun != nil {
		// A dry run does everything on a copy, then drops it.
		dir, err := os.MkdirTemp("", "lockbot-dry-run-")
		if err != nil {
			return nil, err
		}
		b.dryCopy = dir
		path = filepath.Join(dir, "state.db")
		if err := copyState(cfg.State, path); err != nil {
			b.cleanup()
			return nil, fmt.Errorf("dry run: %w", err)
		}
	}
	st, err := OpenStore(path)
	if err != nil {
		b.cleanup()
		return nil, err
	}
	b.store = st
	r, err := newReviewer(cfg, opt.KBFiles, b.log)
	if err != nil {
		b.Close()
		return nil, err
	}
	b.reviewer = r
	b.review = r.review
	return b, nil
}

func (b *Bot) outbox() deliverer {
	if b.cfg.Outbox.Format == "mbox" {
		return mboxOutbox{path: b.cfg.Outbox.Path}
	}
	return maildirOutbox{dir: b.cfg.Outbox.Path}
}

func (b *Bot) cleanup() {
	if b.dryCopy != "" {
		os.RemoveAll(b.dryCopy)
	}
}

// Close releases the state file.
func (b *Bot) Close() error {
	var err error
	if b.reviewer != nil {
		err = b.reviewer.close()
	}
	if b.store != nil {
		if cerr := b.store.Close(); err == nil {
			err = cerr
		}
	}
	b.cleanup()
	return err
}

// Store is the responder's state, for tests and status.
func (b *Bot) Store() *Store { return b.store }

// Run reads what the lists have new, reviews the series that are ready,
// and delivers the replies that are due.
func (b *Bot) Run(ctx context.Context) (Report, error) {
	start := time.Now()
	var rep Report
	onSince, err := b.notePolicies()
	if err != nil {
		return rep, err
	}
	for _, li := range b.cfg.Lists {
		n, err := b.ingest(ctx, li)
		rep.Messages += n // each message once, in the first list that read it
		if err != nil {
			return rep, fmt.Errorf("list %s: %w", li.Name, err)
		}
	}
	// The replies already due go out before any review: a review that
	// takes the process down (see maxReviewAttempts) must not hold back
	// what earlier runs queued. tried keeps the second delivery below
	// from trying a reply again in the same run.
	tried := map[string]bool{}
	if err := b.deliver(ctx, onSince, &rep, tried); err != nil {
		return rep, err
	}
	// A list whose series found no base in the kernel repository leaves
	// them open, and the run goes on (other lists, deliveries), then says
	// so. The series a run died in are reviewed after all the others, in
	// every list: one that kills each run delays no other.
	noBase := map[string]error{}
	for _, retries := range []bool{false, true} {
		for _, li := range b.cfg.Lists {
			if err := b.reviewReady(ctx, li, onSince[li.Name], retries, &rep); err != nil {
				var be *baseError
				if !errors.As(err, &be) {
					return rep, fmt.Errorf("list %s: %w", li.Name, err)
				}
				if noBase[li.Name] == nil {
					noBase[li.Name] = err
				}
			}
		}
	}
	if err := b.deliver(ctx, onSince, &rep, tried); err != nil {
		return rep, err
	}
	var noBaseErr error
	for _, li := range b.cfg.Lists {
		if err := noBase[li.Name]; err != nil {
			noBaseErr = errors.Join(noBaseErr, fmt.Errorf("list %s: series left for the next run: %w", li.Name, err))
		}
	}
	rep.Elapsed = time.Since(start)
	return rep, noBaseErr
}

// notePolicies records, for each list, whether it is on now and since
// when, and returns when each list that is on was last turned on (zero
// for one on since the state began, or since before this record existed:
// the age bound still holds for those). The configuration is only read at
// start, so a change shows between two runs.
func (b *Bot) notePolicies() (map[string]time.Time, error) {
	onSince := map[string]time.Time{}
	now := b.now()
	err := b.store.db.Update(func(tx *bolt.Tx) error {
		for _, li := range b.cfg.Lists {
			old, err := get[listRecord](tx, bucketLists, li.Name)
			if err != nil {
				return err
			}
			rec := listRecord{On: li.On()}
			switch {
			case old == nil && rec.On:
			case old == nil:
				rec.Since = now
			case old.On == rec.On:
				rec.Since = old.Since
			case rec.On:
				rec.Since = now
				b.log.Warn("list turned on again: what was queued or open before is not answered", "list", li.Name)
			default:
				rec.Since = now
				b.log.Warn("list turned off: nothing is reviewed or sent for it", "list", li.Name)
			}
			if rec.On {
				onSince[li.Name] = rec.Since
			}
			if old != nil && *old == rec {
				continue
			}
			if err := put(tx, bucketLists, li.Name, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("state: list policies: %w", err)
	}
	return onSince, nil
}

// Follow runs every interval until ctx ends.
func (b *Bot) Follow(ctx context.Context, interval time.Duration, report func(Report)) error {
	for {
		rep, err := b.Run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			// A list that fails (an archive being repacked, a server
			// down) is tried again next round.
			b.log.Error("lore run failed", "err", err)
		}
		if report != nil && rep.Elapsed > 0 {
			// The run went to its end (it may have left series without
			// a base): what it did is reported.
			report(rep)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

const (
	notRecorded recordResult = iota // seen before, left as it was
	reRecorded                      // seen by a list that left it to this one
	firstRecord                     // seen for the first time
)
