package lore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"lockbot/comment"
	"lockbot/diff"
	"lockbot/review"
	"lockbot/rules"
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

// ingestBatch is how many messages one transaction records.
const ingestBatch = 256

// cursorStarted is the cursor set once a list's archive was read to its
// end (no epoch is named so).
const cursorStarted = "started"

var errRunFull = errors.New("run limit reached")

// ingest records a list's new messages with the position after them, a
// batch per transaction: a crash loses no message and repeats none.
func (b *Bot) ingest(ctx context.Context, li *List) (int, error) {
	cursors := map[string]string{}
	err := b.store.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCursors).Cursor()
		prefix := []byte(li.Name + "\x00")
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			cursors[string(k[len(prefix):])] = string(v)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	// With start: now, what the archive holds at the first run is
	// recorded as seen and never answered; the list is started once a
	// read got to the end of it, not before: a first read the run limit
	// or an error cut short is still the archive's old mail.
	started := cursors[cursorStarted] != ""
	backlog := !started && li.Start == "now"
	var batch []item
	// n counts the messages this list recorded, which the run limit
	// bounds (a cross-posted mail another list left to this one is work
	// too); first those no list had recorded, which the report counts.
	n, first := 0, 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		added, addedFirst := 0, 0
		err := b.store.db.Update(func(tx *bolt.Tx) error {
			added, addedFirst = 0, 0
			for _, it := range batch {
				res, err := b.record(tx, li, it, backlog)
				if err != nil {
					return err
				}
				if res != notRecorded {
					added++
				}
				if res == firstRecord {
					addedFirst++
				}
				if it.epoch != "" {
					if err := tx.Bucket(bucketCursors).Put([]byte(cursorKey(li.Name, it.epoch)), []byte(it.pos)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err == nil {
			n += added
			first += addedFirst
		}
		batch = batch[:0]
		return err
	}
	limit := b.cfg.Limits.RunMessages
	emit := func(it item) error {
		if it.epoch != "" {
			cursors[it.epoch] = it.pos
		}
		batch = append(batch, it)
		// The batch never holds more than the run may still record, so
		// that the limit is exact.
		if len(batch) >= min(ingestBatch, limit-n) {
			if err := flush(); err != nil {
				return err
			}
		}
		if n >= limit {
			return errRunFull
		}
		return nil
	}
	err = sourceFor(li).read(ctx, func(ep string) string { return cursors[ep] }, b.cfg.Limits.MessageBytes, emit)
	complete := err == nil
	if ferr := flush(); err == nil || errors.Is(err, errRunFull) {
		err = ferr
	}
	if complete && err == nil && !started {
		// A list with no position of its own (an mbox) is marked
		// started all the same, for start: now.
		err = b.store.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketCursors).Put([]byte(cursorKey(li.Name, cursorStarted)), []byte("1"))
		})
	}
	if n >= limit {
		b.log.Warn("run limit reached: the rest waits for the next run", "list", li.Name, "messages", n)
	}
	if n > 0 {
		b.log.Info("read new mail", "list", li.Name, "messages", n, "first_seen_here", first)
	}
	return first, err
}

// recordResult is what record did with a message.
type recordResult int

const (
	notRecorded recordResult = iota // seen before, left as it was
	reRecorded                      // seen by a list that left it to this one
	firstRecord                     // seen for the first time
)

// record files one message: seen, classified, and a patch or cover letter
// added to its series. It reports whether the message is new, to the
// state or to this list.
func (b *Bot) record(tx *bolt.Tx, li *List, it item, backlog bool) (recordResult, error) {
	now := b.now()
	if it.raw == nil {
		if it.size == 0 {
			return notRecorded, nil // a deletion in a public-inbox epoch
		}
		key := "oversize:" + li.Name + ":" + it.where
		rec := msgRecord{List: li.Name, Kind: KindBad, Reason: fmt.Sprintf("%d bytes, over the limit", it.size), Seen: now}
		return b.putNew(tx, key, rec, func() {
			b.log.Warn("message over the size limit, not read", "list", li.Name, "where", it.where, "bytes", it.size, "limit", b.cfg.Limits.MessageBytes)
		})
	}
	m, err := ParseMessage(it.raw)
	if err != nil {
		sum := sha256.Sum256(it.raw)
		rec := msgRecord{List: li.Name, Kind: KindBad, Reason: err.Error(), Seen: now}
		return b.putNew(tx, "unreadable:"+hex.EncodeToString(sum[:16]), rec, func() {
			b.log.Warn("unreadable message", "list", li.Name, "where", it.where, "err", err)
		})
	}
	old, err := get[msgRecord](tx, bucketMsgs, m.ID)
	if err != nil {
		return notRecorded, err
	}
	// A patch cross-posted to several lists is answered once, under the
	// first list that follows it: one whose prefixes it did not match,
	// or that is off, leaves it to the others.
	if old != nil && (old.Kind != KindSkipped && old.Kind != KindListOff || old.List == li.Name) {
		return notRecorded, nil
	}
	kind, reason := b.classify(m, li)
	if (kind == KindPatch || kind == KindCover) && !li.On() {
		// Nor is it answered when the list is turned on again: that
		// does not flood the list with what was posted meanwhile.
		kind, reason = KindListOff, ""
	}
	if old != nil && kind != KindPatch && kind != KindCover {
		return notRecorded, nil
	}
	rec := msgRecord{List: li.Name, Kind: kind, Reason: reason, Subject: m.Subject, Seen: now}
	switch {
	case kind == KindOwn:
		if err := b.seenOnList(tx, m.ID); err != nil {
			return notRecorded, err
		}
	case backlog && (kind == KindPatch || kind == KindCover):
		rec.Reason = "in the archive before the first run (start: now)"
	case kind == KindPatch || kind == KindCover:
		key, why, err := b.addToSeries(tx, li, m, kind, now)
		if err != nil {
			return notRecorded, err
		}
		rec.Series, rec.Reason = key, why
	}
	b.log.Debug("message", "list", li.Name, "message-id", m.ID, "kind", rec.Kind, "reason", rec.Reason, "subject", m.Subject)
	res := firstRecord
	if old != nil {
		res = reRecorded
	}
	return res, put(tx, bucketMsgs, m.ID, rec)
}

// putNew records a message that has no Message-ID to go by, once.
func (b *Bot) putNew(tx *bolt.Tx, key string, rec msgRecord, logFirst func()) (recordResult, error) {
	if tx.Bucket(bucketMsgs).Get([]byte(key)) != nil {
		return notRecorded, nil
	}
	logFirst()
	return firstRecord, put(tx, bucketMsgs, key, rec)
}

// seenOnList marks a reply of ours that came back through the list as
// delivered, whatever the state said: an SMTP transaction a crash cut
// short may have gone through.
func (b *Bot) seenOnList(tx *bolt.Tx, id string) error {
	r, err := get[replyRecord](tx, bucketReplies, id)
	if err != nil || r == nil || r.State == ReplySent {
		return err
	}
	b.log.Info("reply seen on the list", "message-id", id, "was", r.State)
	r.State, r.Sent = ReplySent, b.now()
	if r.Via == "" {
		r.Via = "seen on the list"
	}
	return put(tx, bucketReplies, id, r)
}

// seriesKey groups the mails of one posting of a series: the thread they
// hang from (git send-email threads the patches under the cover letter
// or the first patch), the version, the size and the sender. An
// unnumbered patch is a series of its own.
func seriesKey(li *List, m *Message) (key, root string) {
	root = m.ID
	if len(m.References) > 0 {
		root = m.References[0]
	} else if m.InReplyTo != "" {
		root = m.InReplyTo
	}
	if m.Tag.Total == 0 {
		return li.Name + "\x00" + m.ID, m.ID
	}
	return fmt.Sprintf("%s\x00%s\x00v%d\x00%d\x00%s", li.Name, root, m.Tag.Version, m.Tag.Total, m.FromAddr), root
}

func (b *Bot) addToSeries(tx *bolt.Tx, li *List, m *Message, kind string, now time.Time) (string, string, error) {
	if m.Tag.Total > b.cfg.Limits.SeriesPatches {
		return "", fmt.Sprintf("series of %d patches, over the limit of %d", m.Tag.Total, b.cfg.Limits.SeriesPatches), nil
	}
	posted := m.Date
	if posted.IsZero() || posted.After(now.Add(24*time.Hour)) {
		posted = now
	}
	key, root := seriesKey(li, m)
	loose := unthreaded(m)
	if loose {
		// A mail that hangs from no thread: the one open series of its
		// sender, version, size and tag that can take it, if any, else
		// a series of its own, as a thread root (a cover letter or patch
		// 1 threaded the usual way) is.
		k, err := b.looseSeries(tx, li, m, posted)
		if err != nil {
			return "", "", err
		}
		if k != "" {
			key = k
		}
	}
	s, err := get[seriesRecord](tx, bucketSeries, key)
	if err != nil {
		return "", "", err
	}
	if s == nil {
		s = &seriesRecord{Key: key, List: li.Name, Version: m.Tag.Version, Total: m.Tag.Total, Members: map[int]string{},
			Root: root, FirstSeen: now, Posted: now, State: SeriesOpen}
		if loose {
			s.Loose, s.LooseGroup, s.SendEmailRun = true, looseKey(li, m), sendEmailRun(m.ID)
		}
	}
	if s.State != SeriesOpen {
		return key, "its series was already " + s.State, nil
	}
	if !loose && s.Loose {
		// A mail threaded under it: a series threaded the usual way
		// (patch 1 as the root), which no unthreaded mail joins.
		s.Loose = false
	}
	if posted.Before(s.Posted) {
		s.Posted = posted
	}
	if kind == KindCover {
		if s.Cover != "" {
			return key, "a second cover letter", nil
		}
		s.Cover = m.ID
		s.Subject = m.Subject
	} else {
		if id, ok := s.Members[m.Tag.Index]; ok {
			return key, "patch number already taken by " + id, nil
		}
		s.Members[m.Tag.Index] = m.ID
		if s.Subject == "" || m.Tag.Index == 1 && s.Cover == "" {
			s.Subject = m.Subject
		}
	}
	if err := tx.Bucket(bucketBodies).Put([]byte(m.ID), m.Raw); err != nil {
		return "", "", err
	}
	if err := put(tx, bucketSeries, key, s); err != nil {
		return "", "", err
	}
	return key, "", indexLoose(tx, s, s.LooseGroup)
}

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
		comment.MailOptions{From: b.cfg.From, To: to, Cc: cc, MessageID: id, Date: date, UserAgent: b.opt.UserAgent})
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
