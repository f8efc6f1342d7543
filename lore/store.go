// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// The state is one bbolt file (go.etcd.io/bbolt, which index/ uses too):
// lookups by Message-ID, by series and by reply are all it needs, and a
// transaction that records a batch of messages with the archive position
// after them is what makes a restart neither skip nor repeat a message.
var (
	bucketMeta    = []byte("meta")
	bucketMsgs    = []byte("msgs")    // Message-ID -> msgRecord
	bucketBodies  = []byte("bodies")  // Message-ID -> raw mail, while its series waits
	bucketSeries  = []byte("series")  // series key -> seriesRecord
	bucketReplies = []byte("replies") // reply Message-ID -> replyRecord
	bucketCursors = []byte("cursors") // list "\x00" epoch -> last commit read
	bucketLists   = []byte("lists")   // list name -> listRecord
	keyVersion    = []byte("version")
)

const storeVersion = "1"

// Store is the responder's state.
type Store struct {
	db   *bolt.DB
	path string
}

// ErrInUse is a state file another `lockbot lore` has open.
var ErrInUse = errors.New("the state file is in use by another lockbot lore")

// OpenStore opens (creating it) the state file.
func OpenStore(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("state %s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if v := meta.Get(keyVersion); v != nil && string(v) != storeVersion {
			return fmt.Errorf("written by another version of lockbot (state version %s, this one reads %s)", v, storeVersion)
		}
		for _, b := range [][]byte{bucketMsgs, bucketBodies, bucketSeries, bucketReplies, bucketCursors, bucketLists, bucketLoose} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return meta.Put(keyVersion, []byte(storeVersion))
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// copyState writes a consistent copy of the state file at path to dst,
// opening it read-only; a state file that does not exist yet copies as
// nothing. --dry-run works on a copy, so that it shows what a run would do
// without doing it.
func copyState(path, dst string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second, ReadOnly: true})
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("state %s: %w", path, ErrInUse)
	}
	if err != nil {
		return fmt.Errorf("state %s: %w", path, err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error { return tx.CopyFile(dst, 0o600) })
}

// Kinds of message.
const (
	KindPatch    = "patch"
	KindCover    = "cover"
	KindReply    = "reply"
	KindOwn      = "own"
	KindBot      = "bot"
	KindNotPatch = "not-patch"
	KindSkipped  = "not-followed" // a patch tag the list's prefixes do not follow
	KindListOff  = "list-off"     // a patch read while its list was off (enabled: false)
	KindBad      = "unreadable"
)

// msgRecord is a message seen.
type msgRecord struct {
	List    string    `json:"list"`
	Kind    string    `json:"kind"`
	Reason  string    `json:"reason,omitempty"`
	Series  string    `json:"series,omitempty"`
	Subject string    `json:"subject,omitempty"`
	Seen    time.Time `json:"seen"`
}

// Series states.
const (
	SeriesOpen       = "open"
	SeriesReviewed   = "reviewed"
	SeriesNoApply    = "does-not-apply"
	SeriesFailed     = "failed"
	SeriesTooOld     = "too-old"
	SeriesIncomplete = "incomplete"
	SeriesOff        = "list-off"
)

// seriesRecord is a series being gathered or done.
type seriesRecord struct {
	Key     string `json:"key"`
	List    string `json:"list"`
	Version int    `json:"version"`
	Total   int    `json:"total"`
	// Members maps a patch's number (0 for an unnumbered one) to its
	// Message-ID; Cover is the cover letter's.
	Members map[int]string `json:"members"`
	Cover   string         `json:"cover,omitempty"`
	// Root is the thread root the series hangs from.
	Root string `json:"root"`
	// Loose is a series whose mails all hang from no thread, gathered by
	// sender, version, size and tag (see loose.go); LooseGroup is its key
	// in the index of those, SendEmailRun the git send-email run its
	// first mail's Message-ID names ("" for another mailer).
	Loose        bool      `json:"loose,omitempty"`
	LooseGroup   string    `json:"loose_group,omitempty"`
	SendEmailRun string    `json:"send_email_run,omitempty"`
	FirstSeen    time.Time `json:"first_seen"`
	// Posted is the earliest Date of its mails (or FirstSeen).
	Posted  time.Time `json:"posted"`
	Subject string    `json:"subject"`
	State   string    `json:"state"`
	Reason  string    `json:"reason,omitempty"`
	Done    time.Time `json:"done,omitzero"`
	Base    string    `json:"base,omitempty"`
	Replies []string  `json:"replies,omitempty"`
	// Attempts counts the reviews begun, each recorded before it starts:
	// on an open series, runs that died reviewing it (see
	// maxReviewAttempts).
	Attempts int `json:"attempts,omitempty"`
}

// Reply states.
const (
	ReplyQueued  = "queued"
	ReplySending = "sending"
	ReplySent    = "sent"
	ReplyFailed  = "failed"
	// ReplyStale is a reply that was not sent because it would come too
	// late: it was made before its list was last turned on, or its
	// series is older than the list's max_age_hours. LastError says which.
	ReplyStale = "stale"
	// ReplyUncertain is a reply whose SMTP transaction a crash
	// interrupted: it may have been delivered, so it is not sent again
	// (a duplicate on a list costs more than a missed review) unless it
	// is seen on the list, which marks it sent.
	ReplyUncertain = "uncertain"
)

// replyRecord is a reply to send, or sent.
type replyRecord struct {
	ID     string   `json:"id"`
	List   string   `json:"list"`
	Series string   `json:"series"`
	Patch  string   `json:"patch"` // the Message-ID answered
	From   string   `json:"from"`  // envelope sender
	Rcpt   []string `json:"rcpt"`  // envelope recipients
	// Accepted are the recipients a server took the reply for, Refused
	// those it refused for good (a 5xx to RCPT TO, or to the message),
	// with its answer: a retry goes to the others only, so that one
	// recipient's refusal neither blocks the rest nor sends them the
	// reply twice.
	Accepted []string          `json:"accepted,omitempty"`
	Refused  map[string]string `json:"refused,omitempty"`
	Raw      []byte            `json:"raw"`
	Created  time.Time         `json:"created"`
	// Posted is when its series was posted (seriesRecord.Posted); zero in
	// a record of an older version, which then goes by Created.
	Posted time.Time `json:"posted,omitzero"`
	// NotBefore is the end of the list's embargo.
	NotBefore   time.Time `json:"not_before"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	Attempts    int       `json:"attempts"`
	State       string    `json:"state"`
	Via         string    `json:"via,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	Sent        time.Time `json:"sent,omitzero"`
}

// pending are the recipients the reply has still to reach.
func (r *replyRecord) pending() []string {
	var out []string
	for _, a := range r.Rcpt {
		if _, refused := r.Refused[a]; !refused && !slices.Contains(r.Accepted, a) {
			out = append(out, a)
		}
	}
	return out
}

func get[T any](tx *bolt.Tx, bucket []byte, key string) (*T, error) {
	v := tx.Bucket(bucket).Get([]byte(key))
	if v == nil {
		return nil, nil
	}
	var r T
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("state: %s %q: %w", bucket, key, err)
	}
	return &r, nil
}

func put(tx *bolt.Tx, bucket []byte, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(key), data)
}

// each calls fn for every record of a bucket, in key order.
func each[T any](tx *bolt.Tx, bucket []byte, fn func(key string, r *T) error) error {
	return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
		var r T
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("state: %s %q: %w", bucket, k, err)
		}
		return fn(string(k), &r)
	})
}

// listRecord is what the state knows of a list's policy: whether the
// last run saw it on, and since when. Replies made and series opened
// before the list was last turned on are not answered: an operator who
// turns a list back on does not flood it with what was queued before.
type listRecord struct {
	On bool `json:"on"`
	// Since is when the last run that changed On saw the change; zero
	// for a list on since the state knows it.
	Since time.Time `json:"since,omitzero"`
}

func cursorKey(list, epoch string) string { return list + "\x00" + epoch }

// Counts are the state's records, for the README's figures and tests.
type Counts struct {
	Messages int
	Kinds    map[string]int
	Series   map[string]int
	Replies  map[string]int
	Bodies   int
}

// Counts counts the state's records by kind and state.
func (s *Store) Counts() (Counts, error) {
	c := Counts{Kinds: map[string]int{}, Series: map[string]int{}, Replies: map[string]int{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := each(tx, bucketMsgs, func(_ string, r *msgRecord) error {
			c.Messages++
			c.Kinds[r.Kind]++
			return nil
		}); err != nil {
			return err
		}
		if err := each(tx, bucketSeries, func(_ string, r *seriesRecord) error {
			c.Series[r.State]++
			return nil
		}); err != nil {
			return err
		}
		c.Bodies = tx.Bucket(bucketBodies).Stats().KeyN
		return each(tx, bucketReplies, func(_ string, r *replyRecord) error {
			c.Replies[r.State]++
			return nil
		})
	})
	return c, err
}

// Status writes one line per reply not yet sent and per series not
// reviewed, for a person checking on the responder.
func (s *Store) Status(w io.Writer) error {
	listed := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := each(tx, bucketSeries, func(_ string, r *seriesRecord) error {
			if r.State == SeriesReviewed {
				return nil
			}
			listed++
			reason := r.Reason
			if r.State == SeriesOpen && r.Attempts > 0 {
				reason = fmt.Sprintf("(reviewing, attempt %d did not finish)", r.Attempts)
			}
			_, err := fmt.Fprintf(w, "series %s %q: %s %s\n", r.List, r.Subject, r.State, reason)
			return err
		}); err != nil {
			return err
		}
		return each(tx, bucketReplies, func(_ string, r *replyRecord) error {
			if r.State == ReplySent && len(r.Refused) == 0 {
				return nil
			}
			listed++
			if _, err := fmt.Fprintf(w, "reply <%s> to <%s>: %s after %d attempts %s\n", r.ID, r.Patch, r.State, r.Attempts, r.LastError); err != nil {
				return err
			}
			// A reply sent to some: who never got it, and why.
			for _, a := range slices.Sorted(maps.Keys(r.Refused)) {
				if _, err := fmt.Fprintf(w, "  refused by %s: %s\n", a, r.Refused[a]); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err == nil && listed == 0 {
		// Silence would read as "the command did nothing".
		_, err = fmt.Fprintln(w, "nothing pending: every series is reviewed and every reply sent")
	}
	return err
}
