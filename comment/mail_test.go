// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"bytes"
	"context"
	"io"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"lockbot/diff"
	"lockbot/flow"
	"lockbot/kb"
	"lockbot/review"
)

// sleepReview reviews testdata/lore/sleep.mbox, whose patch 2 sleeps under
// a bit lock, against its tree.
func sleepReview(t *testing.T) (*diff.Series, *review.Result) {
	t.Helper()
	f, err := os.Open("../testdata/lore/sleep.mbox")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := diff.Read(f, diff.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := review.Check(context.Background(), s, review.Options{KB: kb.MustDefault(), Tree: diff.DirTree("../testdata/lore/tree"), IncludeDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("%d findings, want the one of patch 2", len(res.Findings))
	}
	return s, res
}

func mailOptions() MailOptions {
	return MailOptions{From: "lockbot <lockbot@example.org>", To: []string{"Jörg Author <joerg@example.org>"},
		Cc: []string{"linux-quux@lists.example.org", "JOERG@example.org"}, MessageID: "lockbot.1@example.org",
		Date: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), Base: "base-commit 826bf2768269", UserAgent: "lockbot test"}
}

func sleepPatch(s *diff.Series) MailPatch {
	p := s.Patches[1]
	return MailPatch{MessageID: "p2@example.org", References: []string{"p0@example.org"},
		Subject: "[PATCH 2/2] quux: let readers drain before expiring a flow", From: p.From, Date: p.Date, Patch: p}
}

func TestMailReply(t *testing.T) {
	s, res := sleepReview(t)
	var b bytes.Buffer
	if err := MailReply(&b, sleepPatch(s), res.Findings, mailOptions()); err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	for k, want := range map[string]string{
		"Subject":     "Re: [PATCH 2/2] quux: let readers drain before expiring a flow",
		"In-Reply-To": "<p2@example.org>",
		"References":  "<p0@example.org> <p2@example.org>",
		"To":          "=?utf-8?q?J=C3=B6rg_Author?= <joerg@example.org>",
		// The author is not copied twice.
		"Cc":                        "<linux-quux@lists.example.org>",
		"Auto-Submitted":            "auto-generated",
		"Content-Type":              "text/plain; charset=utf-8",
		"Content-Transfer-Encoding": "8bit",
		"X-Mailer":                  "lockbot test",
	} {
		if got := m.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	body, _ := io.ReadAll(m.Body)
	text := string(body)
	quote := "> @@ -15,6 +15,8 @@ static struct hlist_bl_head *quux_bucket(struct quux *q, unsigned long key)\n" +
		">\n>  static void quux_expire(struct quux_flow *f)\n>  {\n" +
		"> +\t/* let readers of the old count drain */\n> +\tmsleep(1);\n\nCan this sleep in atomic context?"
	if !strings.Contains(text, quote) {
		t.Errorf("the finding does not follow its quoted line:\n%s", text)
	}
	if !strings.Contains(text, "\nCould you move the call out of the locked section") {
		t.Errorf("no fix as a question:\n%s", text)
	}
	if line, ok := mailTrailerLine(text); ok {
		t.Errorf("line %q reads as a trailer", line)
	}
	sig := strings.Index(text, "\n-- \n")
	if sig < 0 || !strings.Contains(text[sig:], "About SLEEP_IN_ATOMIC, see Documentation/locking/locktypes.rst") {
		t.Errorf("no signature naming the rule's documentation:\n%s", text)
	}
	for _, l := range strings.Split(text[:sig], "\n") {
		if !strings.HasPrefix(l, ">") && !strings.HasPrefix(l, "  ") && len(l) > mailWidth {
			t.Errorf("prose line of %d columns: %q", len(l), l)
		}
	}
}

// A prose line never starts with "word:", which b4 and git would take for a
// trailer: the word before comes down with it.
func TestMailWrap(t *testing.T) {
	text := strings.Repeat("x ", 35) + "base: base-commit 826bf2768269, and Reported-by: nobody"
	lines := mailWrap(text, mailWidth)
	for _, l := range lines {
		if mailTrailerToken(strings.Fields(l)[0]) {
			t.Errorf("line %q starts like a trailer", l)
		}
	}
	if got := strings.Join(lines, " "); got != strings.Join(strings.Fields(text), " ") {
		t.Errorf("words changed: %q", got)
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "x base:") {
		t.Errorf("lines %q: want the second to start with the word before base:", lines)
	}

	// The word brought down is part of the line's width: a full line
	// starting "base:" does not become one over 72 columns.
	text = strings.Repeat("x", 50) + " " + strings.Repeat("w", 21) + " base: " + strings.Repeat("y ", 40) + "Fixes: z"
	lines = mailWrap(text, mailWidth)
	for i, l := range lines {
		if n := len(l); n > mailWidth {
			t.Errorf("line %d of %d columns: %q", i, n, l)
		}
		if mailTrailerToken(strings.Fields(l)[0]) {
			t.Errorf("line %q starts like a trailer", l)
		}
	}
	if got := strings.Join(lines, " "); got != strings.Join(strings.Fields(text), " ") {
		t.Errorf("words changed: %q", got)
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[1], strings.Repeat("w", 21)+" base: y") {
		t.Errorf("lines %q: want the second to start with the w word and base:", lines)
	}
}

// A reply that would carry a trailer anyway (here through a sender's name
// that is one, with no date for the attribution) is refused.
func TestMailReplyRefusesTrailer(t *testing.T) {
	s, res := sleepReview(t)
	orig := sleepPatch(s)
	orig.From, orig.Date = "Acked-by: <ada@example.org>", ""
	err := MailReply(io.Discard, orig, res.Findings, mailOptions())
	if err == nil || !strings.Contains(err.Error(), "trailer") {
		t.Errorf("err = %v, want a refusal naming the trailer", err)
	}
}

// A sender's name holding a line break (RFC 2047 carries one) stays on
// the attribution line: it does not start a line of its own, here one
// that reads as a trailer.
func TestMailAttributionOneLine(t *testing.T) {
	s, res := sleepReview(t)
	orig := sleepPatch(s)
	orig.From = "=?utf-8?q?Ada=0AReviewed-by=3A_Ada_=3Cada=40example=2Eorg=3E?= <ada@example.org>"
	var b bytes.Buffer
	if err := MailReply(&b, orig, res.Findings, mailOptions()); err != nil {
		t.Fatal(err)
	}
	if want := ", Ada Reviewed-by: Ada <ada@example.org> wrote:\n"; !strings.Contains(b.String(), want) {
		t.Errorf("the reply lacks %q:\n%s", want, b.String())
	}
}

// A patch line longer than SMTP carries makes the body quoted-printable;
// decoded, the line is whole.
func TestMailReplyLongLine(t *testing.T) {
	s, res := sleepReview(t)
	long := strings.Repeat("a", 1200)
	f := *res.Findings[0]
	rf := *f.Finding
	rf.Chain = append([]flow.Step{{File: "drivers/quux/quux.c", Line: 1, Func: "f", Note: long}}, rf.Chain...)
	f.Finding = &rf
	var b bytes.Buffer
	if err := MailReply(&b, sleepPatch(s), []*review.Finding{&f}, mailOptions()); err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(&b)
	if err != nil {
		t.Fatal(err)
	}
	if cte := m.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	for _, l := range strings.Split(b.String(), "\n") {
		if len(l) > 998 {
			t.Fatalf("a line of %d octets", len(l))
		}
	}
}

func TestMailNote(t *testing.T) {
	s, _ := sleepReview(t)
	var b bytes.Buffer
	if err := MailNote(&b, sleepPatch(s), "lockbot could not apply this series, so it did not review it.", mailOptions()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\n\nlockbot could not apply this series, so it did not review it.\n\n-- \n") {
		t.Errorf("note:\n%s", b.String())
	}
}
