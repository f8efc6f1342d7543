// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Ingesting: reading what a list has new, recording each message once
// with the archive position after it, and gathering patches into series.

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
