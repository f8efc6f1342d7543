// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"regexp"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

var threadingHeader = regexp.MustCompile(`(?m)^(In-Reply-To|References): .*\n`)

// unthreadedSleep is sleep.mbox as git send-email --no-thread posts it:
// the cover letter and the two patches hang from no thread.
func unthreadedSleep(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, m := range mboxMails(t, "sleep.mbox") {
		out = append(out, threadingHeader.ReplaceAll(m, nil))
	}
	return out
}

// seriesMembers are the open and closed series' numbers, each series as
// its sorted patch numbers (0 for a cover letter).
func seriesMembers(t *testing.T, b *Bot) [][]int {
	t.Helper()
	var out [][]int
	err := b.store.db.View(func(tx *bolt.Tx) error {
		return each(tx, bucketSeries, func(_ string, s *seriesRecord) error {
			var nums []int
			if s.Cover != "" {
				nums = append(nums, 0)
			}
			for n := range s.Members {
				nums = append(nums, n)
			}
			slices.Sort(nums)
			out = append(out, nums)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(out, slices.Compare)
	return out
}

// An unthreaded series is gathered by sender, version, size and tag, and
// reviewed as one: patch 2's reply is made.
func TestUnthreadedSeries(t *testing.T) {
	repo := kernelRepo(t)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, unthreadedSleep(t)...), "", "")
	b := openBot(t, cfg, newClock(), Options{})
	if rep := runBot(t, b); rep.Series != 1 || rep.Delivered != 1 {
		t.Fatalf("run: %+v; want the series reviewed as one, one reply", rep)
	}
	if got := seriesMembers(t, b); len(got) != 1 || !slices.Equal(got[0], []int{0, 1, 2}) {
		t.Errorf("series %v, want one of the cover and both patches", got)
	}
	var loose int
	b.store.db.View(func(tx *bolt.Tx) error {
		loose = tx.Bucket(bucketLoose).Stats().KeyN
		return nil
	})
	if loose != 0 {
		t.Errorf("%d groups of unthreaded series left in the index after the review, want 0", loose)
	}
}

// Without a cover letter, and patch 2 read before patch 1: gathered all
// the same, and reviewed once the wait for a cover letter is over.
func TestUnthreadedNoCoverOutOfOrder(t *testing.T) {
	mails := unthreadedSleep(t)
	// The base-commit is the cover's: without it the branch is the base.
	repo := kernelRepo(t)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, mails[2], mails[1]), "", "")
	c := newClock()
	b := openBot(t, cfg, c, Options{})
	if rep := runBot(t, b); rep.Series != 0 {
		t.Fatalf("first run: %+v; want the series waiting for a cover letter", rep)
	}
	c.advance(coverWait)
	if rep := runBot(t, b); rep.Series != 1 || rep.Delivered != 1 {
		t.Fatalf("after the wait: %+v; want the series reviewed, one reply", rep)
	}
	if got := seriesMembers(t, b); len(got) != 1 || !slices.Equal(got[0], []int{1, 2}) {
		t.Errorf("series %v, want one of both patches", got)
	}
}

// What looks alike but is not one posting is not gathered: another
// sender, another tag, Dates hours apart, two runs of git send-email,
// and a patch two open series could take.
func TestUnthreadedNotGathered(t *testing.T) {
	base := unthreadedSleep(t)
	patch1, patch2 := base[1], base[2]
	edit := func(m []byte, pairs ...string) []byte {
		for i := 0; i < len(pairs); i += 2 {
			m = bytes.ReplaceAll(m, []byte(pairs[i]), []byte(pairs[i+1]))
		}
		return m
	}
	const date = "Date: Sat, 21 Nov 2026 10:00:00 +0000"
	cases := []struct {
		name  string
		mails [][]byte
		want  [][]int
	}{
		{"sender", [][]byte{patch1, edit(patch2, "From: Ada Author <ada@example.org>", "From: Bob <bob@example.org>")}, [][]int{{1}, {2}}},
		{"tag", [][]byte{patch1, edit(patch2, "[PATCH 2/2]", "[PATCH net 2/2]")}, [][]int{{1}, {2}}},
		{"version", [][]byte{patch1, edit(patch2, "[PATCH 2/2]", "[PATCH v2 2/2]")}, [][]int{{1}, {2}}},
		{"hours apart", [][]byte{patch1, edit(patch2, date, "Date: Sat, 21 Nov 2026 08:30:00 +0000")}, [][]int{{1}, {2}}},
		{"two send-email runs", [][]byte{
			edit(patch1, sleepPatch1, "20261121100000.4242-2-ada@example.org"),
			edit(patch2, sleepPatch2, "20261121100500.4343-3-ada@example.org"),
		}, [][]int{{1}, {2}}},
		{"two old send-email runs", [][]byte{
			edit(patch1, sleepPatch1, "1763719200-4242-2-git-send-email-ada@example.org"),
			edit(patch2, sleepPatch2, "1763719500-4343-3-git-send-email-ada@example.org"),
		}, [][]int{{1}, {2}}},
		{"one send-email run", [][]byte{
			edit(patch1, sleepPatch1, "20261121100000.4242-2-ada@example.org"),
			edit(patch2, sleepPatch2, "20261121100000.4242-3-ada@example.org"),
		}, [][]int{{1, 2}}},
		{"two could take it", [][]byte{
			patch1,
			edit(patch1, sleepPatch1, "other-1@example.org", "expire hot flows", "expire cold flows"),
			patch2,
		}, [][]int{{1}, {1}, {2}}},
	}
	repo := kernelRepo(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := botConfig(t, repo, "mbox: "+writeMbox(t, tc.mails...), "prefixes: [PATCH]", "")
			b := openBot(t, cfg, newClock(), Options{Log: discardLog()})
			runBot(t, b)
			if got := seriesMembers(t, b); !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("series %v, want %v", got, tc.want)
			}
		})
	}
}

// A series threaded the usual way with patch 1 as its root takes no
// unthreaded mail: patch 1 starts it, patch 2 hangs from patch 1, and an
// unthreaded resend of patch 2 is a series of its own.
func TestThreadedTakesNoLoose(t *testing.T) {
	base := unthreadedSleep(t)
	patch1 := base[1]
	patch2 := bytes.Replace(base[2], []byte("Message-ID: <"+sleepPatch2+">\n"),
		[]byte("Message-ID: <"+sleepPatch2+">\nIn-Reply-To: <"+sleepPatch1+">\nReferences: <"+sleepPatch1+">\n"), 1)
	resend := bytes.ReplaceAll(base[2], []byte(sleepPatch2), []byte("resend-2@example.org"))
	repo := kernelRepo(t)
	cfg := botConfig(t, repo, "mbox: "+writeMbox(t, patch1, patch2, resend), "", "")
	b := openBot(t, cfg, newClock(), Options{Log: discardLog()})
	if rep := runBot(t, b); rep.Series != 1 {
		t.Fatalf("run: %+v; want the threaded series reviewed", rep)
	}
	if got := seriesMembers(t, b); !slices.EqualFunc(got, [][]int{{1, 2}, {2}}, slices.Equal) {
		t.Errorf("series %v, want the threaded one and the resend alone", got)
	}
}
