// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"net/mail"
	"strings"
	"testing"
)

func TestParseSubject(t *testing.T) {
	for _, tt := range []struct {
		subject               string
		patch, reply          bool
		version, index, total int
		words                 string
	}{
		{"[PATCH] quux: x", true, false, 1, 0, 0, "PATCH"},
		{"[PATCH v3 2/5] quux: x", true, false, 3, 2, 5, "PATCH"},
		{"[RFC PATCH net-next v2 00/12] x", true, false, 2, 0, 12, "RFC PATCH NET-NEXT"},
		{"[linux-quux] [PATCH 1/2] x", true, false, 1, 1, 2, "PATCH"},
		{"Re: [PATCH 2/2] quux: x", true, true, 1, 2, 2, "PATCH"},
		{"AW: [PATCH] x", true, true, 1, 0, 0, "PATCH"},
		{"[GIT PULL] quux fixes", false, false, 1, 0, 0, ""},
		{"quux: a question", false, false, 1, 0, 0, ""},
		{"[PATCH 3/2] x", true, false, 1, 0, 0, "PATCH"},
		{"[PATCHv2 1/3] x", true, false, 2, 1, 3, "PATCH"},
		{"[RFC PATCHv12 net 0/3] x", true, false, 12, 0, 3, "RFC PATCH NET"},
		{"[PATCHES] x", false, false, 1, 0, 0, ""},
	} {
		tag := ParseSubject(tt.subject)
		if tag.Patch != tt.patch || tag.Reply != tt.reply || tag.Version != tt.version || tag.Index != tt.index || tag.Total != tt.total || strings.Join(tag.Words, " ") != tt.words {
			t.Errorf("ParseSubject(%q) = %+v", tt.subject, tag)
		}
	}
}

func TestParseMessage(t *testing.T) {
	raw := "From: =?utf-8?q?J=C3=B6rg?= Dev <Joerg@Example.org>\r\n" +
		"To: linux-quux@lists.example.org, Other <other@example.org>\r\n" +
		"Subject: [PATCH 1/2]\r\n =?utf-8?q?quux=3A_fix?=\r\n" +
		"Message-ID: <abc@example.org>\r\n" +
		"In-Reply-To: <root@example.org> (Rita's message)\r\n" +
		"References: <root@example.org>\r\n\t<mid@example.org> garbage <x>\r\n" +
		"Date: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nbody\r\n"
	m, err := ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "abc@example.org" || m.InReplyTo != "root@example.org" || strings.Join(m.References, " ") != "root@example.org mid@example.org x" {
		t.Errorf("ids: %q %q %q", m.ID, m.InReplyTo, m.References)
	}
	if a, err := mail.ParseAddress(m.From); err != nil || a.Name != "Jörg Dev" || a.Address != "Joerg@Example.org" || m.FromAddr != "joerg@example.org" || len(m.To) != 2 {
		t.Errorf("addresses: %q (%v) %q %q", m.From, err, m.FromAddr, m.To)
	}
	// A name with a comma, RFC 2047-encoded: From is still an address
	// (decoded, "Author, Ada <ada@example.org>" is not one).
	c, err := ParseMessage([]byte("From: =?utf-8?q?Author=2C_Ada?= <ada@example.org>\nSubject: x\n\nbody\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := mail.ParseAddress(c.From); err != nil || a.Name != "Author, Ada" || a.Address != "ada@example.org" {
		t.Errorf("From %q: %v %v", c.From, a, err)
	}
	if m.Subject != "[PATCH 1/2] quux: fix" || m.Tag.Index != 1 || m.Date.IsZero() {
		t.Errorf("subject %q, tag %+v, date %v", m.Subject, m.Tag, m.Date)
	}
	// Without a Message-ID, the content names the mail, the same each time.
	a, _ := ParseMessage([]byte("Subject: x\n\nbody\n"))
	b, _ := ParseMessage([]byte("Subject: x\n\nbody\n"))
	if a == nil || a.ID != b.ID || !strings.HasSuffix(a.ID, "@lockbot.invalid") {
		t.Errorf("made-up IDs %v %v", a, b)
	}
	huge := "Subject: x\nReferences:" + strings.Repeat(" <r@example.org>", 20000) + "\n\nbody\n"
	for _, bad := range []string{"", "no header at all", "\n\nbody", huge} {
		if _, err := ParseMessage([]byte(bad)); err == nil {
			t.Errorf("ParseMessage(%.80q) accepted", bad)
		}
	}
}

func TestClassify(t *testing.T) {
	b := &Bot{botAddr: "lockbot@lockbot.example.org", domain: "lockbot.example.org"}
	li := &List{Prefixes: []string{"PATCH"}}
	for _, tt := range []struct {
		headers, kind string
	}{
		{"From: Ada <ada@example.org>\nSubject: [PATCH 1/2] x\n", KindPatch},
		{"From: Ada <ada@example.org>\nSubject: [PATCH 0/2] x\n", KindCover},
		{"From: Ada <ada@example.org>\nSubject: Re: [PATCH 1/2] x\n", KindReply},
		{"From: Ada <ada@example.org>\nSubject: x\n", KindNotPatch},
		{"From: Ada <ada@example.org>\nSubject: [RFC] x\n", KindNotPatch},
		{"From: lockbot <LockBot@lockbot.example.org>\nSubject: [PATCH 1/2] x\n", KindOwn},
		{"From: Ada <ada@example.org>\nMessage-ID: <lockbot.0123@lockbot.example.org>\nSubject: x\n", KindOwn},
		{"From: CI <ci@example.org>\nAuto-Submitted: auto-generated\nSubject: [PATCH] x\n", KindBot},
		{"From: Ada <ada@example.org>\nAuto-Submitted: no\nSubject: [PATCH] x\n", KindPatch},
		{"From: syzbot <syzbot+1234@syzkaller.appspotmail.com>\nSubject: [PATCH] x\n", KindBot},
		{"From: patchwork-bot+netdevbpf@kernel.org\nSubject: Re: [PATCH] x\n", KindBot},
		{"From: Ada <ada@example.org>\nX-Mailer: lockbot 0.3.0\nSubject: [PATCH] x\n", KindBot},
		{"From: CI <ci-bot@example.org>\nSubject: [PATCH] x\n", KindBot},
		{"From: CI <bot+ci@example.org>\nSubject: [PATCH] x\n", KindBot},
		{"From: CI <build.bot@example.org>\nSubject: [PATCH] x\n", KindBot},
		// People whose names end in "bot" are people.
		{"From: Jo Talbot <talbot@example.org>\nSubject: [PATCH] x\n", KindPatch},
		{"From: Abbot <abbot@example.org>\nSubject: [PATCH] x\n", KindPatch},
	} {
		m, err := ParseMessage([]byte(tt.headers + "\nbody\n"))
		if err != nil {
			t.Fatal(err)
		}
		if kind, reason := b.classify(m, li); kind != tt.kind {
			t.Errorf("%q: %s (%s), want %s", tt.headers, kind, reason, tt.kind)
		}
	}
}

// FuzzParseMessage: whatever a list carries, the parser returns a message
// or an error, never panics, and a message it returns is classifiable.
func FuzzParseMessage(f *testing.F) {
	f.Add([]byte("From: Ada <ada@example.org>\nSubject: [PATCH v2 1/3] x\nMessage-ID: <a@b>\nReferences: <r@b> <s@b>\n\nbody\n"))
	f.Add([]byte("Subject: =?utf-8?b?W1BBVENIXQ==?=\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMessage(data)
		if err != nil {
			return
		}
		if m.ID == "" {
			t.Fatalf("a message without an ID: %q", data)
		}
		b := &Bot{botAddr: "lockbot@example.org", domain: "example.org"}
		kind, _ := b.classify(m, &List{Prefixes: []string{"PATCH"}})
		if kind == KindPatch && !m.Tag.Patch {
			t.Fatalf("a patch without a patch tag: %q", data)
		}
		if m.Tag.Index > m.Tag.Total {
			t.Fatalf("numbering %d/%d", m.Tag.Index, m.Tag.Total)
		}
	})
}
