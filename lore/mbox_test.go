// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// splitAll is what splitMboxSize emits for data.
func splitAll(t testing.TB, data []byte, limit int64, bufSize int) []item {
	t.Helper()
	var got []item
	err := splitMboxSize(context.Background(), bytes.NewReader(data), limit, bufSize, func(it item) error {
		got = append(got, it)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestMboxLongLine (B7): lines longer than the reader's buffer come out
// whole, at the buffer's size and around it, as do the line after them
// and the next mail.
func TestMboxLongLine(t *testing.T) {
	for _, n := range []int{mboxBuffer - 2, mboxBuffer - 1, mboxBuffer, mboxBuffer + 1, 140003, 3*mboxBuffer + 7} {
		// B7's line: no newline in it, and a next line that is not a
		// separator, then a second mail.
		long := "+" + strings.Repeat("(", n/2) + "x" + strings.Repeat(")", n-n/2-3) + ";"
		mail1 := "From: a@b\nSubject: [PATCH] t\n\n" + long + "\n+next line\n"
		mail2 := "From: c@d\nSubject: [PATCH] u\n\nbody\n"
		mbox := "From x@y Mon Sep 17 00:00:00 2001\n" + mail1 + "From x@y Mon Sep 17 00:00:00 2001\n" + mail2
		got := splitAll(t, []byte(mbox), 4<<20, mboxBuffer)
		if len(got) != 2 || string(got[0].raw) != mail1 || string(got[1].raw) != mail2 {
			t.Errorf("a %d-byte line: %d mails, the first %d bytes (want %d), intact %v", len(long), len(got), len(got[0].raw), len(mail1), len(got) > 0 && string(got[0].raw) == mail1)
		}
	}
	// The form of the reproducer, through splitMbox itself.
	long := "+" + strings.Repeat("(", 70000) + "x" + strings.Repeat(")", 70000) + ";"
	mbox := "From x@y Mon Sep 17 00:00:00 2001\nFrom: a@b\nSubject: [PATCH] t\n\n" + long + "\n"
	var got []byte
	splitMbox(context.Background(), strings.NewReader(mbox), 4<<20, func(it item) error { got = it.raw; return nil })
	if !bytes.Contains(got, []byte(long)) {
		t.Error("line corrupted")
	}
}

// endless is a line that never ends: b repeated n times.
type endless struct {
	b byte
	n int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.n == 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), e.n)
	for i := range k {
		p[i] = e.b
	}
	e.n -= k
	return int(k), nil
}

// TestMboxLineOverLimit: a mail over the limit is passed on by its size
// alone, and reading it costs no more than the limit and a buffer,
// however long its lines: a 64 MiB line once made a 64 MiB slice.
func TestMboxLineOverLimit(t *testing.T) {
	const limit, line = 1 << 20, 64 << 20
	r := io.MultiReader(strings.NewReader("From x@y Mon Sep 17 00:00:00 2001\nSubject: [PATCH] t\n\n"), &endless{'a', line},
		strings.NewReader("\nFrom x@y Mon Sep 17 00:00:00 2001\nSubject: [PATCH] u\n\nbody\n"))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var got []item
	err := splitMbox(context.Background(), r, limit, func(it item) error { got = append(got, it); return nil })
	runtime.ReadMemStats(&after)
	if err != nil || len(got) != 2 || got[0].raw != nil || got[0].size != line+21 || string(got[1].raw) != "Subject: [PATCH] u\n\nbody\n" {
		t.Fatalf("err %v, %d mails; want the first by size (%d bytes), the second read", err, len(got), line+21)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Errorf("splitting a mail with a %d-byte line allocated %d bytes; want at most the limit (%d) and buffers", line, alloc, limit)
	}
}

// TestMboxNotRegular: an mbox that is a FIFO is refused, not waited on.
func TestMboxNotRegular(t *testing.T) {
	if _, err := os.Stat("/dev/null"); err != nil {
		t.Skip("no /dev/null")
	}
	err := mboxSource{path: "/dev/null"}.read(context.Background(), nil, 1<<20, func(item) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a device as the mbox: %v; want not a regular file", err)
	}
}

// TestParseMessageHeaderFields: a header of many tiny fields (each of
// which cost go-message a hundred times its size) is refused.
func TestParseMessageHeaderFields(t *testing.T) {
	many := "Subject: [PATCH] x\n" + strings.Repeat("X: y\n", 50000) + "\nbody\n"
	if _, err := ParseMessage([]byte(many)); err == nil || !strings.Contains(err.Error(), "more than 1000 fields") {
		t.Errorf("a header of 50,000 fields: %v; want more than 1000 fields", err)
	}
	ok := "Subject: [PATCH] x\n" + strings.Repeat("Received: from a\n\tby b\n", 500) + "\nbody\n"
	if _, err := ParseMessage([]byte(ok)); err != nil {
		t.Errorf("a header of 501 fields, 1001 lines: %v", err)
	}
}

// refSplit is splitMboxSize as a specification: the input's lines whole,
// a line a separator or quoted by what its first bufSize bytes say (all
// that splitMboxSize sees of it at once).
func refSplit(data []byte, limit int64, bufSize int) []item {
	var (
		out     []item
		cur     []byte
		size    int64
		started bool
		start   int
		off     int
	)
	flush := func() {
		if !started {
			return
		}
		it := item{where: fmt.Sprintf("offset %d", start)}
		if size > limit {
			it.size = size
		} else {
			it.raw = append(bytes.TrimRight(cur, "\n"), '\n')
		}
		out = append(out, it)
		cur, size = nil, 0
	}
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		first := line[:min(len(line), bufSize)]
		switch {
		case isMboxFrom(first):
			flush()
			started, start = true, off
		case started:
			l := line
			if bytes.HasPrefix(first, []byte(">")) && bytes.HasPrefix(bytes.TrimLeft(first, ">"), []byte("From ")) {
				l = l[1:]
			}
			size += int64(len(l))
			cur = append(cur, l...)
		}
		off += len(line)
	}
	flush()
	return out
}

// FuzzSplitMbox: whatever an mbox holds, splitMbox never panics, keeps
// no mail over the limit, and splits as refSplit says, with the buffer
// of production and with one so small that most lines are longer.
func FuzzSplitMbox(f *testing.F) {
	sleep, err := os.ReadFile(filepath.Join(loreData, "sleep.mbox"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sleep, uint32(4<<20))
	f.Add(sleep, uint32(100))
	f.Add([]byte("From x@y Mon Sep 17 00:00:00 2001\nFrom: a@b\nSubject: [PATCH] t\n\n+"+strings.Repeat("(", 70000)+"x"+strings.Repeat(")", 70000)+";\n"), uint32(4<<20))
	f.Add([]byte("From a@b Sat Nov 21 10:00:00 2026\nSubject: x\n\n>From here\n>>From there\nFrom the start\n"), uint32(1000))
	f.Add([]byte("From a@b Sat Nov 21 10:00:00 2026\r\nSubject: x\r\n\r\nno newline at the end"), uint32(10))
	f.Add([]byte("junk before\nFrom a-much-longer-address@example.org Sat Nov 21 10:00:00 2026\nSubject: x\n\nbody\n"), uint32(1000))
	f.Fuzz(func(t *testing.T, data []byte, limit uint32) {
		for _, bufSize := range []int{16, mboxBuffer} {
			got := splitAll(t, data, int64(limit), bufSize)
			want := refSplit(data, int64(limit), bufSize)
			if len(got) != len(want) {
				t.Fatalf("buffer %d: %d mails, want %d", bufSize, len(got), len(want))
			}
			for i := range got {
				g, w := got[i], want[i]
				if !bytes.Equal(g.raw, w.raw) || g.size != w.size || g.where != w.where {
					t.Fatalf("buffer %d, mail %d: %q (%d bytes, %s), want %q (%d bytes, %s)", bufSize, i, g.raw, g.size, g.where, w.raw, w.size, w.where)
				}
				if int64(len(g.raw)) > int64(limit)+1 || g.raw == nil && g.size <= int64(limit) {
					t.Fatalf("buffer %d, mail %d: %d bytes kept, size %d, limit %d", bufSize, i, len(g.raw), g.size, limit)
				}
			}
		}
	})
}

// TestMessageBytesEverySource: each source reads no mail over
// limits.message_bytes; such a mail is recorded, by its size, as
// unreadable, and the mail after it is read.
func TestMessageBytesEverySource(t *testing.T) {
	big := mailOf("Ada <ada@example.org>", "[PATCH] quux: big", "big@example.org", "", strings.Repeat("a line of a big mail\n", 200))
	small := mailOf("Ada <ada@example.org>", "[PATCH] quux: small", "small@example.org", "", "body\n")
	for _, tc := range []struct {
		name   string
		source func(t *testing.T) string
	}{
		{"mbox", func(t *testing.T) string { return "mbox: " + writeMbox(t, big, small) }},
		{"maildir", func(t *testing.T) string {
			md := t.TempDir()
			for _, sub := range []string{"new", "cur", "tmp"} {
				os.MkdirAll(filepath.Join(md, sub), 0o700)
			}
			for i, m := range [][]byte{big, small} {
				if err := os.WriteFile(filepath.Join(md, "new", fmt.Sprintf("1700000000.%d.mirror", i)), m, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			return "maildir: " + md
		}},
		{"public-inbox", func(t *testing.T) string {
			ib := newTestInbox(t)
			ib.mda(t, big, small)
			return "inbox: " + ib.dir
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := botConfig(t, t.TempDir(), tc.source(t), "", "limits:\n  message_bytes: 1024\n")
			b := openBot(t, cfg, newClock(), Options{})
			if rep := runBot(t, b); rep.Messages != 2 {
				t.Errorf("run: %+v; want 2 mails recorded", rep)
			}
			var kinds []string
			b.store.db.View(func(tx *bolt.Tx) error {
				return each(tx, bucketMsgs, func(k string, r *msgRecord) error {
					kinds = append(kinds, r.Kind+" "+r.Reason)
					return nil
				})
			})
			if len(kinds) != 2 || !strings.Contains(strings.Join(kinds, "\n"), KindBad+" ") || !strings.Contains(strings.Join(kinds, "\n"), "over the limit") {
				t.Errorf("records %q; want the big mail unreadable, over the limit, and the small one read", kinds)
			}
		})
	}
}
