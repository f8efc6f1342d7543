// SPDX-License-Identifier: GPL-2.0-only

package diff

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

const (
	frobC     = "drivers/misc/frob/frob.c"
	frobH     = "drivers/misc/frob/frob.h"
	frobPrivH = "drivers/misc/frob/frob_priv.h"
	frobStats = "drivers/misc/frob/frob_stats.c"
	makefile  = "drivers/misc/frob/Makefile"
	frobTest  = "drivers/misc/frob/frob-test.sh"
	frobFW    = "drivers/misc/frob/frob.fw"
)

func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustRead(t testing.TB, data []byte) *Series {
	t.Helper()
	s, err := Read(bytes.NewReader(data), Limits{})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return s
}

// mails splits an mbox at its "From <sha>" lines, for tests that rearrange
// a series.
func mails(t testing.TB, mbox []byte) []string {
	t.Helper()
	starts := fromSHA.FindAllIndex(mbox, -1)
	if len(starts) < 2 {
		t.Fatalf("not an mbox of several mails")
	}
	var out []string
	for k, st := range starts {
		end := len(mbox)
		if k+1 < len(starts) {
			end = starts[k+1][0]
		}
		out = append(out, string(mbox[st[0]:end]))
	}
	return out
}

var fromSHA = regexp.MustCompile(`(?m)^From [0-9a-f]{40} `)

type wantPatch struct {
	index, total, version int
	subject               string
	files                 []string // new names (old name for a deletion)
}

func summary(s *Series) []wantPatch {
	var out []wantPatch
	for _, p := range s.Patches {
		w := wantPatch{index: p.Index, total: p.Total, version: p.Version, subject: p.Subject}
		for _, f := range p.Files {
			w.files = append(w.files, fileName(f))
		}
		out = append(out, w)
	}
	return out
}

var (
	patch1Files = []string{makefile, frobC, frobH, frobStats}
	seriesWant  = []wantPatch{
		{1, 3, 1, "frob: count lookup hits", patch1Files},
		{2, 3, 1, "frob: take a lock around the hit counter", []string{frobC, frobStats}},
		{3, 3, 1, "frob: rename frob.h to frob_priv.h", []string{frobTest, frobC, frobFW, frobPrivH, frobStats}},
	}
	singleWant = []wantPatch{{0, 0, 1, "frob: count lookup hits", patch1Files}}
)

func TestReadFormats(t *testing.T) {
	tests := []struct {
		file    string
		want    []wantPatch
		cover   string // cover letter subject, "" for none
		base    string
		decoded bool
		from    string
	}{
		{file: "single.patch", want: singleWant, from: "Ada Frobnitz <ada@frob.example>"},
		{file: "series.mbox", want: seriesWant, from: "Ada Frobnitz <ada@frob.example>"},
		{file: "series-cover.mbox", want: seriesWant, cover: "frob: count lookup hits", base: "a9ef235418d37471bfa12380dfc5da490aed398b"},
		{file: "qp.patch", want: singleWant, decoded: true},
		{file: "base64.patch", want: singleWant, decoded: true},
		{file: "attach.mbox", want: singleWant},
		{file: "multipart-base64.patch", want: singleWant, decoded: true},
		{file: "plain.diff", want: []wantPatch{{0, 0, 1, "", patch1Files}}},
		{file: "diffu.diff", want: []wantPatch{{0, 0, 1, "", patch1Files}}},
		{file: "rfc2047.patch", want: []wantPatch{{0, 0, 1, "frob: credit Jürgen Müller-Lüdenscheidt for the design of the toy frob device", []string{frobC}}}},
		{file: "series-v2.mbox", want: []wantPatch{
			{1, 3, 2, seriesWant[0].subject, seriesWant[0].files},
			{2, 3, 2, seriesWant[1].subject, seriesWant[1].files},
			{3, 3, 2, seriesWant[2].subject, seriesWant[2].files},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s := mustRead(t, testdata(t, tt.file))
			if got := summary(s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("patches:\n got %+v\nwant %+v", got, tt.want)
			}
			switch {
			case tt.cover == "" && s.Cover != nil:
				t.Errorf("cover letter %q, want none", s.Cover.Subject)
			case tt.cover != "" && (s.Cover == nil || s.Cover.Subject != tt.cover || s.Cover.Files != nil):
				t.Errorf("cover letter %+v, want subject %q and no files", s.Cover, tt.cover)
			}
			if s.BaseCommit != tt.base {
				t.Errorf("base commit %q, want %q", s.BaseCommit, tt.base)
			}
			for _, p := range s.Patches {
				if p.Decoded != tt.decoded {
					t.Errorf("patch %d: Decoded = %v, want %v", p.Index, p.Decoded, tt.decoded)
				}
				if tt.from != "" && p.From != tt.from {
					t.Errorf("patch %d: From = %q, want %q", p.Index, p.From, tt.from)
				}
			}
			if len(s.Ignored) != 0 {
				t.Errorf("ignored %+v, want none", s.Ignored)
			}
		})
	}
}

func TestReadFilesSortsAndNamesSources(t *testing.T) {
	paths, err := filepath.Glob("testdata/series/*.patch")
	if err != nil || len(paths) != 3 {
		t.Fatalf("glob: %v %v", paths, err)
	}
	// Given out of order: the series comes back by index.
	s, err := ReadFiles([]string{paths[2], paths[0], paths[1]}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(s); !reflect.DeepEqual(got, seriesWant) {
		t.Fatalf("patches:\n got %+v\nwant %+v", got, seriesWant)
	}
	for i, p := range s.Patches {
		if p.Source != paths[i] {
			t.Errorf("patch %d: Source %q, want %q", p.Index, p.Source, paths[i])
		}
	}
	// Lines count in each file, not across them.
	n, text, ok := s.Patches[0].PatchLine(frobC, 38)
	if !ok || n != 30 || text != "+\t\t\tfrob_stats_hit(fd);" {
		t.Errorf("PatchLine = %d %q %v, want line 30 of %s", n, text, ok, paths[0])
	}
	checkLineMap(t, s, nil)

	_, err = ReadFiles([]string{paths[0], paths[2]}, Limits{})
	if err == nil || !strings.Contains(err.Error(), "patch 2/3 is missing") {
		t.Errorf("series without its second file: err = %v", err)
	}
	_, err = ReadFiles([]string{paths[0], paths[1], paths[2]}, Limits{MaxBytes: 3000})
	if err == nil || !strings.Contains(err.Error(), "exceed the limit of 3000 bytes") {
		t.Errorf("files over MaxBytes: err = %v", err)
	}
}

func TestPatchLine(t *testing.T) {
	tests := []struct {
		file    string
		patch   int // index into Patches
		path    string
		newLine int
		n       int
		text    string
		added   bool
	}{
		// Counted from the start of the whole mbox.
		{"series.mbox", 0, frobC, 38, 30, "+\t\t\tfrob_stats_hit(fd);", true},
		{"series.mbox", 0, frobC, 37, 29, " \t\tif (it->key == key) {", false},
		{"series.mbox", 1, frobStats, 9, 115, "+\tspin_lock(&frob_stats_lock);", true},
		{"series-cover.mbox", 0, frobC, 38, 56, "+\t\t\tfrob_stats_hit(fd);", true},
		// A context line shown as an empty line: " " in the hunk.
		{"series.mbox", 0, frobH, 19, 39, " ", false},
		// An 8bit attachment keeps its place in the mail.
		{"attach.mbox", 0, frobC, 38, 44, "+\t\t\tfrob_stats_hit(fd);", true},
		// Quoted-printable: the decoded body is two lines shorter, the
		// soft line breaks of lines 7-9 being undone.
		{"qp.patch", 0, frobC, 38, 31, "+\t\t\tfrob_stats_hit(fd);", true},
		{"diffu.diff", 0, frobC, 38, 14, "+\t\t\tfrob_stats_hit(fd);", true},
		// A new file's lines.
		{"plain.diff", 0, frobStats, 1, 38, "+// SPDX-License-Identifier: GPL-2.0", true},
	}
	for _, tt := range tests {
		s := mustRead(t, testdata(t, tt.file))
		p := s.Patches[tt.patch]
		n, text, ok := p.PatchLine(tt.path, tt.newLine)
		if !ok || n != tt.n || text != tt.text {
			t.Errorf("%s: PatchLine(%s, %d) = %d, %q, %v; want %d, %q", tt.file, tt.path, tt.newLine, n, text, ok, tt.n, tt.text)
		}
		if got := p.Added(tt.path, tt.newLine); got != tt.added {
			t.Errorf("%s: Added(%s, %d) = %v, want %v", tt.file, tt.path, tt.newLine, got, tt.added)
		}
	}

	s := mustRead(t, testdata(t, "series.mbox"))
	if _, _, ok := s.Patches[0].PatchLine(frobC, 10); ok {
		t.Error("PatchLine of a line no hunk shows: ok")
	}
	if _, _, ok := s.Patches[0].PatchLine("no/such/file.c", 1); ok {
		t.Error("PatchLine of a file the patch does not touch: ok")
	}
	if s.Patches[0].Added(frobC, 36) {
		t.Error("Added of a context line")
	}
}

// TestLineMapEverywhere checks every line every test input maps: the input
// line holds the patch line (for a decoded body, the decoded mail does), and
// the file after the patch holds its content at that new line number.
func TestLineMapEverywhere(t *testing.T) {
	for _, file := range []string{"single.patch", "series.mbox", "series-cover.mbox", "qp.patch", "base64.patch", "attach.mbox", "multipart-base64.patch", "plain.diff", "diffu.diff", "rfc2047.patch"} {
		t.Run(file, func(t *testing.T) {
			data := testdata(t, file)
			s := mustRead(t, data)
			snaps, err := ApplySeries(DirTree("testdata/tree"), s)
			if err != nil {
				t.Fatal(err)
			}
			checkLineMap(t, s, snaps)
			input := decodedLines(t, data)
			for _, p := range s.Patches {
				count := 0
				for path, ls := range p.lines {
					for _, l := range ls {
						count++
						got := strings.TrimRight(input[l.inputLine-1], "\r\n")
						if got == "" {
							got = " " // an empty context line
						}
						if got != l.text {
							t.Errorf("%s new line %d: input line %d is %q, want %q", path, l.newLine, l.inputLine, got, l.text)
						}
					}
				}
				if count == 0 {
					t.Errorf("patch %d maps no line", p.Index)
				}
			}
		})
	}
}

// decodedLines returns the lines of a test input, with a quoted-printable or
// base64 body (or base64 attachment) decoded in place: what PatchLine counts.
func decodedLines(t *testing.T, data []byte) []string {
	t.Helper()
	s := string(data)
	head, body, _ := strings.Cut(s, "\n\n")
	switch {
	case strings.Contains(head, "Content-Transfer-Encoding: quoted-printable"):
		b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		s = head + "\n\n" + string(b)
	case strings.Contains(head, "Content-Transfer-Encoding: base64"):
		b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(body, "\n", ""))
		if err != nil {
			t.Fatal(err)
		}
		s = head + "\n\n" + string(b)
	case strings.Contains(body, "Content-Transfer-Encoding: base64"):
		const partHead = "Content-Disposition: attachment\n\n"
		i := strings.Index(s, partHead) + len(partHead)
		j := strings.Index(s[i:], "--XyZ--")
		b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(s[i:i+j], "\n", ""))
		if err != nil {
			t.Fatal(err)
		}
		s = s[:i] + string(b)
	}
	return strings.SplitAfter(s, "\n")
}

// checkLineMap checks that each line PatchLine maps is in the file after the
// patch, where Snapshot.NewLine puts it. With no snapshots, it only checks
// that the mapping is ordered and each line once.
func checkLineMap(t *testing.T, s *Series, snaps []*Snapshot) {
	t.Helper()
	for i, p := range s.Patches {
		for path, ls := range p.lines {
			for k, l := range ls {
				if k > 0 && ls[k-1].newLine >= l.newLine {
					t.Errorf("%s: new lines out of order: %d then %d", path, ls[k-1].newLine, l.newLine)
				}
			}
			if snaps == nil {
				continue
			}
			after := strings.SplitAfter(string(snaps[i].After[path]), "\n")
			found := 0
			for n, line := range after {
				nl, ok := snaps[i].NewLine(path, n+1)
				if !ok {
					continue
				}
				l, ok := p.shown(path, nl)
				if !ok {
					t.Errorf("%s line %d is new line %d, which the patch does not show", path, n+1, nl)
					continue
				}
				found++
				if got := strings.TrimSuffix(line, "\n"); got != l.text[1:] {
					t.Errorf("%s line %d after the patch is %q, the patch shows %q", path, n+1, got, l.text)
				}
			}
			if found != len(ls) {
				t.Errorf("%s: %d of %d shown lines found after the patch", path, found, len(ls))
			}
		}
	}
}

func TestReadCRLF(t *testing.T) {
	data := testdata(t, "series-cover.mbox")
	crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	s := mustRead(t, crlf)
	if got := summary(s); !reflect.DeepEqual(got, seriesWant) {
		t.Fatalf("patches:\n got %+v\nwant %+v", got, seriesWant)
	}
	if n, text, ok := s.Patches[0].PatchLine(frobC, 38); n != 56 || text != "+\t\t\tfrob_stats_hit(fd);" || !ok {
		t.Errorf("PatchLine = %d %q %v, want 56", n, text, ok)
	}
	if s.BaseCommit != "a9ef235418d37471bfa12380dfc5da490aed398b" {
		t.Errorf("base commit %q", s.BaseCommit)
	}
}

func TestReadSkipsReplies(t *testing.T) {
	ms := mails(t, testdata(t, "series.mbox"))
	reply := "From mboxrd@z Thu Jan  1 00:00:00 1970\n" +
		"From: Reviewer <r@example.org>\n" +
		"Subject: Re: [PATCH 2/3] frob: take a lock around\n the hit counter\n" +
		"In-Reply-To: <x@y>\n\n" +
		"> diff --git a/drivers/misc/frob/frob.c b/drivers/misc/frob/frob.c\n" +
		"> +\tspin_lock(&frob_stats_lock);\n\nLooks good.\n"
	replyDiff := "From mboxrd@z Thu Jan  1 00:00:00 1970\n" +
		"From: Reviewer <r@example.org>\n" +
		"Subject: RE: [PATCH 1/3] frob: count lookup hits\n\n" +
		"Something like this?\n\n" + tail(t, ms[1], "diff --git")
	mbox := ms[0] + reply + ms[1] + replyDiff + ms[2]
	s := mustRead(t, []byte(mbox))
	if got := summary(s); !reflect.DeepEqual(got, seriesWant) {
		t.Fatalf("patches:\n got %+v\nwant %+v", got, seriesWant)
	}
	want := []Ignored{
		{Mail: 2, Line: strings.Count(ms[0], "\n") + 1, Subject: "Re: [PATCH 2/3] frob: take a lock around the hit counter", Reason: "reply, not a patch"},
		{Mail: 4, Line: strings.Count(ms[0]+reply+ms[1], "\n") + 1, Subject: "RE: [PATCH 1/3] frob: count lookup hits", Reason: "reply carrying a diff, not taken as a patch of the series"},
	}
	if !reflect.DeepEqual(s.Ignored, want) {
		t.Errorf("ignored:\n got %+v\nwant %+v", s.Ignored, want)
	}
	// Lines still count from the start of the mbox.
	offset := strings.Count(ms[0]+reply+ms[1]+replyDiff, "\n")
	if n, _, _ := s.Patches[2].PatchLine(frobPrivH, 2); n != offset+lineOf(t, ms[2], "+#ifndef _FROB_PRIV_H") {
		t.Errorf("PatchLine after replies = %d, want %d", n, offset+lineOf(t, ms[2], "+#ifndef _FROB_PRIV_H"))
	}

	_, err := Read(strings.NewReader(reply), Limits{})
	if err == nil || !strings.Contains(err.Error(), "no patch found (1 replies ignored)") {
		t.Errorf("only a reply: err = %v", err)
	}
}

// tail returns s from the first occurrence of marker.
func tail(t *testing.T, s, marker string) string {
	t.Helper()
	i := strings.Index(s, marker)
	if i < 0 {
		t.Fatalf("%q not found", marker)
	}
	return s[i:]
}

// lineOf returns the 1-based line of s that starts with prefix.
func lineOf(t *testing.T, s, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line %q", prefix)
	return 0
}

func TestParseSubject(t *testing.T) {
	tests := []struct {
		in   string
		want subject
	}{
		{"[PATCH] dm snapshot: fix locking", subject{0, 0, 1, false, "dm snapshot: fix locking"}},
		{"[PATCH v3 2/7] dm: add helper", subject{2, 7, 3, false, "dm: add helper"}},
		{"[RFC PATCH 1/2] mm: try this", subject{1, 2, 1, false, "mm: try this"}},
		{"[PATCH net-next v2 03/10] net: core: tidy", subject{3, 10, 2, false, "net: core: tidy"}},
		{"[RFC][PATCH 0/4] sched: rework", subject{0, 4, 1, false, "sched: rework"}},
		{"Re: [PATCH 2/3] foo", subject{2, 3, 1, true, "foo"}},
		{"re: Re:[PATCH] foo", subject{0, 0, 1, true, "foo"}},
		{"[PATCH 1/2 V4] foo: [bar] baz", subject{1, 2, 4, false, "foo: [bar] baz"}},
		{"foo: no prefix", subject{0, 0, 1, false, "foo: no prefix"}},
	}
	for _, tt := range tests {
		got, err := parseSubject(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("parseSubject(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"[PATCH 4/3] x", "[PATCH 1/0] x"} {
		if _, err := parseSubject(bad); err == nil {
			t.Errorf("parseSubject(%q): no error", bad)
		}
	}
}

func TestReadFolded(t *testing.T) {
	// A folded Subject and From, with encoded words across the fold.
	mail := "From: =?UTF-8?q?J=C3=BCrgen_M?=\n =?UTF-8?q?=C3=BCller?= <jm@example.org>\n" +
		"Subject: [PATCH v2\n 1/1] frob: a subject\n  folded twice\n\n" + string(testdata(t, "plain.diff"))
	s := mustRead(t, []byte(mail))
	p := s.Patches[0]
	if p.Subject != "frob: a subject folded twice" || p.Index != 1 || p.Total != 1 || p.Version != 2 {
		t.Errorf("subject %q %d/%d v%d", p.Subject, p.Index, p.Total, p.Version)
	}
	if p.From != "Jürgen Müller <jm@example.org>" {
		t.Errorf("From %q", p.From)
	}
	// The diff starts after 5 lines of headers and an empty line.
	if n, _, _ := p.PatchLine(frobC, 38); n != 6+16 {
		t.Errorf("PatchLine = %d, want %d", n, 6+16)
	}
}

func TestReadSeriesErrors(t *testing.T) {
	ms := mails(t, testdata(t, "series.mbox"))
	v2 := mails(t, testdata(t, "series-v2.mbox"))
	cover := mails(t, testdata(t, "series-cover.mbox"))[0]
	single := string(testdata(t, "single.patch"))
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"missing patch", ms[0] + ms[2], `series incomplete: patch 2/3 is missing`},
		{"missing patches", cover + ms[1], `series incomplete: patches 1/3, 3/3 are missing`},
		{"mixed versions", ms[0] + v2[1] + ms[2], `mixed versions: mail 1 ("[PATCH 1/3] frob: count lookup hits") is v1, mail 2 ("[PATCH v2 2/3] frob: take a lock around the hit counter") is v2`},
		{"cover of another version", strings.Replace(cover, "[PATCH 0/3]", "[PATCH v2 0/3]", 1) + ms[0] + ms[1] + ms[2], "mixed versions"},
		{"duplicate", ms[0] + ms[1] + ms[1] + ms[2], `patch 2/3 twice: mail 2 ("[PATCH 2/3] frob: take a lock around the hit counter") and mail 3`},
		{"totals disagree", ms[0] + strings.Replace(ms[1], "2/3]", "2/4]", 1) + ms[2], "series totals disagree"},
		{"numbered and not", ms[0] + ms[1] + ms[2] + single, "numbered and unnumbered patches mixed"},
		{"two covers", cover + cover + ms[0] + ms[1] + ms[2], "two cover letters"},
		{"no diff", ms[0] + ms[1][:strings.Index(ms[1], "diff --git")] + ms[2], `mail 2 ("[PATCH 2/3] frob: take a lock around the hit counter"): no diff found`},
		{"cover with a diff", strings.Replace(ms[0], "[PATCH 1/3]", "[PATCH 0/3]", 1) + ms[1] + ms[2], "cover letter (0/N) carries a diff"},
		{"hunk miscounts", ms[0] + strings.Replace(ms[1], "@@ -1,11 +1,14 @@", "@@ -1,11 +1,15 @@", 1) + ms[2], `mail 2 ("[PATCH 2/3] frob: take a lock around the hit counter"): line 106: fragment header miscounts lines`},
		{"truncated headers", ms[0] + ms[1] + "From 270182e2d29f34c64d413dcb0cf7d190793e9505 Mon Sep 17 00:00:00 2001\nFrom: Ada Frobnitz <ada@frob.example>\nSubject: [PATCH 3/3] frob: re", `mail 3 ("[PATCH 3/3] frob: re"): headers do not end with an empty line (truncated mail?)`},
		{"bad header", "From 270182e2d29f34c64d413dcb0cf7d190793e9505 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] x\n\tcontinued\nbad header line\n\ndiff", `mail 1 ("[PATCH] x continued"): reading headers`},
		{"binary garbage", "\x7fELF\x02\x01\x01\x00\x00\x00", "binary data (NUL byte at offset 7), not a patch or mbox"},
		{"text without a diff", "Hello,\n\nthis is not a patch.\n", "no diff found (not an mbox, a mail or a diff)"},
		{"empty", "", "no diff found"},
		{"bad base64", strings.Replace(string(testdata(t, "base64.patch")), "ZGlm", "Z!lm", 1), "decoding base64 body"},
		{"unknown encoding", strings.Replace(string(testdata(t, "qp.patch")), "quoted-printable", "x-uuencode", 1), `unsupported Content-Transfer-Encoding "x-uuencode"`},
		{"bad numbering", strings.Replace(single, "[PATCH]", "[PATCH 5/3]", 1), "bad numbering 5/3 in subject"},
		{"hunk past any file", "--- a/x.c\n+++ b/x.c\n@@ -999999999 +999999999 @@\n-a\n+b\n", "line 3: hunk @@ -999999999 +999999999 @@ of x.c starts past line 1048576, beyond any source file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Read(strings.NewReader(tt.input), Limits{})
			if err == nil {
				t.Fatalf("no error; got %+v", summary(s))
			}
			if !strings.HasPrefix(err.Error(), "diff: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReadLimits(t *testing.T) {
	data := testdata(t, "series.mbox")
	tests := []struct {
		lim  Limits
		want string
	}{
		{Limits{MaxBytes: int64(len(data)) - 1}, "exceeds the limit of"},
		{Limits{MaxPatches: 2}, "3 patches exceed the limit of 2"},
		{Limits{MaxFiles: 10}, "11 changed files exceed the limit of 10"},
	}
	for _, tt := range tests {
		_, err := Read(bytes.NewReader(data), tt.lim)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err = %v, want %q", tt.lim, err, tt.want)
		}
	}
	// Exactly at the limits is fine.
	if _, err := Read(bytes.NewReader(data), Limits{MaxBytes: int64(len(data)), MaxPatches: 3, MaxFiles: 11}); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	// A total beyond MaxPatches is refused before counting what is missing.
	huge := strings.Replace(string(testdata(t, "single.patch")), "[PATCH]", "[PATCH 1/999999999]", 1)
	if _, err := Read(strings.NewReader(huge), Limits{}); err == nil || !strings.Contains(err.Error(), "exceeds the limit of 1000") {
		t.Errorf("huge total: err = %v", err)
	}
}

func TestHunkText(t *testing.T) {
	s := mustRead(t, testdata(t, "series.mbox"))
	p := s.Patches[1]
	got := p.HunkText(frobC, true)
	lines := strings.Split(string(got), "\n")
	after := strings.Split(string(patchedFrobC(t, 2)), "\n")
	// The hunks show new lines 4-10 and 57-66; every one is at its number.
	shown := 0
	for i, l := range lines {
		n := i + 1
		inHunk := (n >= 4 && n <= 10) || (n >= 57 && n <= 66)
		switch {
		case inHunk && l != after[i]:
			t.Errorf("line %d: %q, want %q", n, l, after[i])
		case !inHunk && l != "" && i != len(lines)-1:
			t.Errorf("line %d outside the hunks: %q", n, l)
		case inHunk:
			shown++
		}
	}
	if shown != 17 || len(lines) != 67 {
		t.Errorf("%d lines shown, %d in all; want 17 of 67", shown, len(lines))
	}

	old := strings.Split(string(p.HunkText(frobC, false)), "\n")
	base := strings.Split(string(patchedFrobC(t, 1)), "\n")
	for _, n := range []int{4, 9, 56, 59, 63} {
		if old[n-1] != base[n-1] {
			t.Errorf("old side line %d: %q, want %q", n, old[n-1], base[n-1])
		}
	}
	if old[59-1] != "\tlist_for_each_entry_safe(it, tmp, &frob.items, node)" || len(old) != 64 {
		t.Errorf("old side line 59: %q (of %d)", old[58], len(old))
	}

	// A renamed file: new name for the new side, old name for the old one.
	r := s.Patches[2]
	if got := strings.Split(string(r.HunkText(frobPrivH, true)), "\n")[1]; got != "#ifndef _FROB_PRIV_H" {
		t.Errorf("renamed new side line 2: %q", got)
	}
	if got := strings.Split(string(r.HunkText(frobH, false)), "\n")[24]; got != "#endif /* _FROB_H */" {
		t.Errorf("renamed old side line 25: %q", got)
	}
	if r.HunkText(frobFW, true) != nil || r.HunkText("nope.c", true) != nil {
		t.Error("HunkText of a binary or untouched file is not nil")
	}
}

// patchedFrobC is frob.c after the first n patches of the series, from the
// applier, which TestApplySeries checks against git's own result.
func patchedFrobC(t *testing.T, n int) []byte {
	t.Helper()
	snaps, err := ApplySeries(DirTree("testdata/tree"), mustRead(t, testdata(t, "series.mbox")))
	if err != nil {
		t.Fatal(err)
	}
	return snaps[n-1].After[frobC]
}

func TestFromGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=T Tester", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q")
	write("lib/a.c", "int a(void)\n{\n\treturn 0;\n}\n")
	git("add", "-A")
	git("commit", "-qm", "lib: add a")
	write("lib/a.c", "int a(void)\n{\n\treturn 1;\n}\n")
	git("commit", "-qam", "lib: a returns 1")
	write("lib/b.c", "int b(void)\n{\n\treturn a();\n}\n")
	git("add", "-A")
	git("commit", "-qm", "lib: add b")

	ctx := context.Background()
	s, err := FromGit(ctx, dir, "HEAD~2", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []wantPatch{
		{1, 2, 1, "lib: a returns 1", []string{"lib/a.c"}},
		{2, 2, 1, "lib: add b", []string{"lib/b.c"}},
	}
	if got := summary(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("patches:\n got %+v\nwant %+v", got, want)
	}
	// Each commit's lines count from its own mail's first line, as
	// checkpatch -g numbers them: the last commit's mail alone.
	out, err := exec.Command("git", "-C", dir, "format-patch", "--stdout", "--no-signature", "-1", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	if n, text, ok := s.Patches[1].PatchLine("lib/b.c", 3); !ok || text != "+\treturn a();" || n != lineOf(t, string(out), "+\treturn a();") {
		t.Errorf("PatchLine = %d %q %v, want line %d", n, text, ok, lineOf(t, string(out), "+\treturn a();"))
	}

	// One commit: format-patch does not number it.
	s, err = FromGit(ctx, dir, "HEAD~1..HEAD", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(s); !reflect.DeepEqual(got, []wantPatch{{0, 0, 1, "lib: add b", []string{"lib/b.c"}}}) {
		t.Errorf("one commit: %+v", got)
	}

	for _, tt := range []struct{ rev, want string }{
		{"HEAD..HEAD", "no commits in range"},
		{"no-such-rev", "git format-patch no-such-rev: exit status"},
		{"--output=/tmp/x", "bad revision range"},
	} {
		if _, err := FromGit(ctx, dir, tt.rev, Limits{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("FromGit(%q): err = %v, want %q", tt.rev, err, tt.want)
		}
	}
	if _, err := FromGit(ctx, dir, "HEAD~2", Limits{MaxBytes: 100}); err == nil || !strings.Contains(err.Error(), "exceeds the limit of 100 bytes") {
		t.Errorf("over MaxBytes: err = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := FromGit(cctx, dir, "HEAD~2", Limits{}); err == nil {
		t.Error("cancelled context: no error")
	}
}

func TestReadError(t *testing.T) {
	_, err := Read(errReader{}, Limits{})
	if err == nil || !strings.Contains(err.Error(), "reading input: boom") {
		t.Errorf("err = %v", err)
	}
	if !errors.Is(err, errBoom) {
		t.Error("the reader's error is not wrapped")
	}
}

var errBoom = errors.New("boom")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBoom }

func TestReadNestedMultipart(t *testing.T) {
	mail := "From: Ada Frobnitz <ada@frob.example>\n" +
		"Subject: [PATCH] frob: count lookup hits\n" +
		"MIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=\"outer\"\n\n" +
		"--outer\n" +
		"Content-Type: multipart/alternative; boundary=\"inner\"\n\n" +
		"--inner\nContent-Type: text/plain; charset=us-ascii\n\nHi, the patch is attached.\n" +
		"--inner\nContent-Type: text/html\n\n<p>Hi</p>\ndiff --git a/x b/x\n" +
		"--inner--\n" +
		"--outer\n" +
		"Content-Type: application/octet-stream; name=\"count.patch\"\n" +
		"Content-Disposition: attachment; filename=\"count.patch\"\n\n" +
		string(testdata(t, "plain.diff")) +
		"--outer\nContent-Type: application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\nxyz\n-----END PGP SIGNATURE-----\n" +
		"--outer--\n"
	s := mustRead(t, []byte(mail))
	if got := summary(s); !reflect.DeepEqual(got, singleWant) {
		t.Fatalf("patches:\n got %+v\nwant %+v", got, singleWant)
	}
	p := s.Patches[0]
	if p.Decoded {
		t.Error("an 8bit attachment is marked decoded")
	}
	want := lineOf(t, mail, "+\t\t\tfrob_stats_hit(fd);")
	if n, _, ok := p.PatchLine(frobC, 38); !ok || n != want {
		t.Errorf("PatchLine = %d, %v; want %d", n, ok, want)
	}
}

func TestReadGitShow(t *testing.T) {
	show := "commit e0c9a600824a889de053b526a201ffcce1f40c22\n" +
		"Author: Ada Frobnitz <ada@frob.example>\n" +
		"Date:   Sat Mar 1 10:00:00 2025 +0000\n\n" +
		"    frob: count lookup hits\n\n" +
		"    Count how often frob_find() finds its key.\n\n" +
		string(testdata(t, "plain.diff"))
	s := mustRead(t, []byte(show))
	want := []wantPatch{{0, 0, 1, "frob: count lookup hits", patch1Files}}
	if got := summary(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("patches:\n got %+v\nwant %+v", got, want)
	}
	p := s.Patches[0]
	if p.From != "Ada Frobnitz <ada@frob.example>" || p.Date != "Sat, 1 Mar 2025 10:00:00 +0000" {
		t.Errorf("From %q, Date %q", p.From, p.Date)
	}
	if n, _, _ := p.PatchLine(frobC, 38); n != 8+16 {
		t.Errorf("PatchLine = %d, want %d", n, 8+16)
	}
}

// TestReadPartial reads what a pre-send check gets: one patch of a
// numbered series, or the first ones, which Limits.Partial accepts.
func TestReadPartial(t *testing.T) {
	ms := mails(t, testdata(t, "series.mbox"))
	for _, c := range []struct {
		name  string
		input string
		want  []int
	}{
		{"second alone", ms[1], []int{2}},
		{"first two", ms[0] + ms[1], []int{1, 2}},
	} {
		if _, err := Read(strings.NewReader(c.input), Limits{}); err == nil || !strings.Contains(err.Error(), "series incomplete") {
			t.Errorf("%s: without Partial: error %v, want series incomplete", c.name, err)
		}
		s, err := Read(strings.NewReader(c.input), Limits{Partial: true})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []int
		for _, p := range s.Patches {
			got = append(got, p.Index)
			if p.Total != 3 {
				t.Errorf("%s: patch %d has total %d, want 3", c.name, p.Index, p.Total)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: patches %v, want %v", c.name, got, c.want)
		}
	}
	// Partial is not lax about the rest.
	if _, err := Read(strings.NewReader(ms[1]+ms[1]), Limits{Partial: true}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate with Partial: error %v, want twice", err)
	}
}

// TestReadCharsets decodes a windows-1252 mail (git format-patch
// --encoding=windows-1252): its subject and its body, curly quotes in an
// added line included. A non-ASCII text in a charset nobody knows is an
// error, not a silent skip.
func TestReadCharsets(t *testing.T) {
	body := "Quoted \x93hits\x94.\n\n---\n" +
		"diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,1 +1,2 @@\n int x;\n+/* \x93hits\x94 */\n"
	mail := func(cs string) []byte {
		return []byte("From: Ren\xe9 <r@example.org>\n" +
			"Subject: [PATCH] =?" + cs + "?q?x:=20count=20=93hits=94?=\n" +
			"MIME-Version: 1.0\n" +
			"Content-Type: text/plain; charset=" + cs + "\n" +
			"Content-Transfer-Encoding: 8bit\n\n" + body)
	}
	s := mustRead(t, mail("windows-1252"))
	p := s.Patches[0]
	if p.Subject != "x: count \u201chits\u201d" {
		t.Errorf("subject %q", p.Subject)
	}
	frags := p.Files[0].TextFragments
	if len(frags) != 1 || !strings.Contains(frags[0].Lines[1].Line, "\u201chits\u201d") {
		t.Errorf("added line not decoded from windows-1252: %+v", frags)
	}
	if _, err := Read(strings.NewReader(string(mail("x-no-such-charset"))), Limits{}); err == nil || !strings.Contains(err.Error(), "unsupported charset") {
		t.Errorf("unknown charset: err %v", err)
	}
}
