// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"context"
	"os"
	"testing"
)

// mboxReplies are the mails of an mbox outbox.
func mboxReplies(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	err = splitMbox(context.Background(), bytes.NewReader(data), 1<<20, func(it item) error {
		out = append(out, it.raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A crash between writing the mbox outbox and recording the reply sent,
// or in the middle of the write, leaves the outbox with the reply once,
// whole: the next run finds it, or cuts the torn start of it and writes
// it again. A mail already in the mbox is kept.
func TestMboxCrash(t *testing.T) {
	other := mailOf("Rita <rita@example.org>", "a draft", "draft@example.org", "", "A draft of mine, not a reply of lockbot's.\n")
	for _, tc := range []struct {
		name string
		keep func(entry int) int // bytes of the entry the crash left
	}{
		{"after the write", func(n int) int { return n }},
		{"nothing written", func(int) int { return 0 }},
		{"in the From line", func(int) int { return 9 }},
		{"after the Message-ID", func(n int) int { return n / 2 }},
		{"all but the last newline", func(n int) int { return n - 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock()
			b, cfg := sleepBot(t, "", c, Options{})
			b.Close()
			cfg.Outbox.Format = "mbox"
			cfg.Outbox.Path += ".mbox"
			appendMbox(t, cfg.Outbox.Path, other)
			before, _ := os.ReadFile(cfg.Outbox.Path)
			b = openBot(t, cfg, c, Options{})
			if rep := runBot(t, b); rep.Delivered != 1 {
				t.Fatalf("run: %+v; want one reply", rep)
			}
			after, _ := os.ReadFile(cfg.Outbox.Path)
			entry := after[len(before):]
			if err := os.Truncate(cfg.Outbox.Path, int64(len(before)+tc.keep(len(entry)))); err != nil {
				t.Fatal(err)
			}
			r := setReply(t, b, func(r *replyRecord) { r.State = ReplySending })
			runBot(t, b)
			got, _ := os.ReadFile(cfg.Outbox.Path)
			if !bytes.Equal(got, after) {
				t.Errorf("the outbox after the crash and a run:\n%s\nwant:\n%s", got, after)
			}
			mails := mboxReplies(t, cfg.Outbox.Path)
			if len(mails) != 2 || !bytes.Equal(mails[1], r.Raw) {
				t.Errorf("%d mails in the outbox; want the draft, then the reply once, whole", len(mails))
			}
			if rs := replies(t, b); rs[0].State != ReplySent {
				t.Errorf("reply %s, want sent", rs[0].State)
			}
		})
	}
}

// A torn end of another writer's mail is not cut, and the reply is
// still a mail of its own after it.
func TestMboxForeignTail(t *testing.T) {
	c := newClock()
	b, cfg := sleepBot(t, "", c, Options{})
	b.Close()
	cfg.Outbox.Format = "mbox"
	cfg.Outbox.Path += ".mbox"
	torn := []byte("From rita@example.org Sat Nov 21 10:00:00 2026\nFrom: Rita <rita@example.org>\nSubject: half\n\nhalf a li")
	if err := os.WriteFile(cfg.Outbox.Path, torn, 0o600); err != nil {
		t.Fatal(err)
	}
	b = openBot(t, cfg, c, Options{})
	if rep := runBot(t, b); rep.Delivered != 1 {
		t.Fatalf("run: %+v; want one reply", rep)
	}
	got, _ := os.ReadFile(cfg.Outbox.Path)
	if !bytes.HasPrefix(got, torn) {
		t.Errorf("the other writer's mail was changed:\n%s", got)
	}
	if mails := mboxReplies(t, cfg.Outbox.Path); len(mails) != 2 || !bytes.Equal(mails[1], replies(t, b)[0].Raw) {
		t.Errorf("%d mails, want the torn one, then the reply whole", len(mails))
	}
}
