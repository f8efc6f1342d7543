// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Unthreaded series. git send-email --no-thread (or a mailer that drops
// In-Reply-To) posts "[PATCH v2 1/3]" .. "[PATCH v2 3/3]" as mails that
// hang from no thread, so the thread root cannot gather them. Such mails
// are gathered by what a reader goes by instead: the same sender, version,
// size and tag words ("RFC PATCH NET"), dated within looseWindow of the
// series' first mail, each in a number the series has free. What could
// gather two postings into one is refused rather than guessed: mails whose
// Message-IDs git send-email made in two different runs, and a mail that
// several open series could take.

// looseWindow bounds how far apart the Dates of an unthreaded series'
// mails may be: git send-email dates a series' mails a second apart.
const looseWindow = time.Hour

// bucketLoose indexes the open series that unthreaded mails may join:
// list, sender, version, size and tag words -> the series' keys.
var bucketLoose = []byte("loose")

// unthreaded reports whether a numbered mail hangs from no thread.
func unthreaded(m *Message) bool {
	return m.Tag.Total > 0 && m.InReplyTo == "" && len(m.References) == 0 && m.FromAddr != ""
}

func looseKey(li *List, m *Message) string {
	return fmt.Sprintf("%s\x00%s\x00v%d\x00%d\x00%s", li.Name, m.FromAddr, m.Tag.Version, m.Tag.Total, strings.Join(m.Tag.Words, " "))
}

// sendEmailID is the Message-ID git send-email makes: the time and process
// of the run, a counter, and the sender's address
// ("20261121100000.4242-2-ada@example.org"; older gits wrote
// "1763719200-4242-2-git-send-email-ada@example.org"). Two mails of one
// run share all but the counter.
var sendEmailID = regexp.MustCompile(`^(\d{14}\.\d+|\d+-\d+)-\d+-(.+@.+)$`)

// sendEmailRun is the part of a git send-email Message-ID that names the
// run, or "" for another mailer's.
func sendEmailRun(id string) string {
	if m := sendEmailID.FindStringSubmatch(id); m != nil {
		return m[1] + "-" + m[2]
	}
	return ""
}

// looseSeries finds the open unthreaded series an unthreaded mail, dated
// posted, belongs to: the key of the one series that can take it, or ""
// when none can or several could.
func (b *Bot) looseSeries(tx *bolt.Tx, li *List, m *Message, posted time.Time) (string, error) {
	keys, err := get[[]string](tx, bucketLoose, looseKey(li, m))
	if err != nil || keys == nil {
		return "", err
	}
	run := sendEmailRun(m.ID)
	var fits, sameRun []string
	for _, k := range *keys {
		s, err := get[seriesRecord](tx, bucketSeries, k)
		if err != nil {
			return "", err
		}
		if s == nil || s.State != SeriesOpen || !s.Loose {
			continue
		}
		if d := posted.Sub(s.Posted); d > looseWindow || d < -looseWindow {
			continue
		}
		if m.Tag.Index == 0 && s.Cover != "" || m.Tag.Index > 0 && s.Members[m.Tag.Index] != "" {
			continue
		}
		switch {
		case run != "" && s.SendEmailRun == run:
			sameRun = append(sameRun, k)
		case run != "" && s.SendEmailRun != "":
			continue // another run of git send-email: another posting
		}
		fits = append(fits, k)
	}
	switch {
	case len(sameRun) == 1:
		return sameRun[0], nil
	case len(fits) == 1:
		return fits[0], nil
	case len(fits) > 1:
		b.log.Info("unthreaded patch not gathered: several open series could take it", "list", li.Name, "message-id", m.ID, "subject", m.Subject, "series", len(fits))
	}
	return "", nil
}

// indexLoose adds or removes an unthreaded series in the index, dropping
// the series that are done or gone as it goes.
func indexLoose(tx *bolt.Tx, s *seriesRecord, group string) error {
	if group == "" {
		return nil
	}
	old, err := get[[]string](tx, bucketLoose, group)
	if err != nil {
		return err
	}
	var keys []string
	if old != nil {
		for _, k := range *old {
			if k == s.Key {
				continue
			}
			o, err := get[seriesRecord](tx, bucketSeries, k)
			if err != nil {
				return err
			}
			if o != nil && o.State == SeriesOpen && o.Loose {
				keys = append(keys, k)
			}
		}
	}
	if s.State == SeriesOpen && s.Loose {
		keys = append(keys, s.Key)
	}
	if len(keys) == 0 {
		return tx.Bucket(bucketLoose).Delete([]byte(group))
	}
	return put(tx, bucketLoose, group, keys)
}
