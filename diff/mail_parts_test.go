// SPDX-License-Identifier: GPL-2.0-only

package diff

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
)

// partsMail is a mail of n parts before one holding the patch (B10's
// parts.eml for n = 400,000), each part filler: "--P", a header, a body.
func partsMail(t testing.TB, n int, filler string) []byte {
	t.Helper()
	_, body, _ := strings.Cut(string(testdata(t, "single.patch")), "\n\n")
	var b strings.Builder
	b.WriteString("From: a@b\nSubject: [PATCH] x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"P\"\n\n")
	for range n {
		b.WriteString("--P\nContent-Type: text/plain\n\n")
		b.WriteString(filler)
	}
	b.WriteString("--P\nContent-Type: text/plain\n\n" + body + "\n--P--\n")
	return []byte(b.String())
}

// readCost reads data and says what it cost: bytes and objects
// allocated (deterministic, unlike the time, which it logs).
func readCost(t *testing.T, data []byte) (s *Series, alloc, mallocs uint64, err error) {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	s, err = Read(bytes.NewReader(data), Limits{})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc, mallocs = after.TotalAlloc-before.TotalAlloc, after.Mallocs-before.Mallocs
	t.Logf("%d bytes in: %d bytes and %d objects allocated, %v", len(data), alloc, mallocs, elapsed)
	return s, alloc, mallocs, err
}

// TestMailManyParts: B10's mail of 400,000 tiny parts is refused with an
// error naming the cap, after reading no more than the cap's worth of
// parts (it cost 180 times its size and 6 million objects when every
// part was read and parsed).
func TestMailManyParts(t *testing.T) {
	data := partsMail(t, 400000, "x\n")
	_, alloc, mallocs, err := readCost(t, data)
	if err == nil || !strings.Contains(err.Error(), "more than 100 MIME parts") {
		t.Fatalf("err = %v, want more than 100 MIME parts", err)
	}
	if alloc > 10*uint64(len(data)) || mallocs > 100000 {
		t.Errorf("reading %d bytes allocated %d bytes in %d objects; want under 10 times the input, and 100,000 objects", len(data), alloc, mallocs)
	}
}

// TestMailPartsCap: the cap counts the parts of the whole mail, nested
// ones too; a mail within it is read to its last part.
func TestMailPartsCap(t *testing.T) {
	if s, err := Read(bytes.NewReader(partsMail(t, maxMIMEParts-1, "x\n")), Limits{}); err != nil || len(s.Patches[0].Files) == 0 {
		t.Fatalf("a mail of %d parts, the patch last: %v", maxMIMEParts, err)
	}
	if _, err := Read(bytes.NewReader(partsMail(t, maxMIMEParts, "x\n")), Limits{}); err == nil || !strings.Contains(err.Error(), "more than 100 MIME parts") {
		t.Errorf("a mail of %d parts: err = %v, want more than 100 MIME parts", maxMIMEParts+1, err)
	}
	// Half the parts in a nested multipart: the cap is the mail's.
	nested := "Content-Type: multipart/alternative; boundary=\"Q\"\n\n" + strings.Repeat("--Q\nContent-Type: text/plain\n\ny\n", maxMIMEParts/2) + "--Q--\n"
	data := partsMail(t, maxMIMEParts/2, "x\n")
	data = bytes.Replace(data, []byte("--P\nContent-Type: text/plain\n\nx\n"), []byte("--P\n"+nested), 1)
	if _, err := Read(bytes.NewReader(data), Limits{}); err == nil || !strings.Contains(err.Error(), "more than 100 MIME parts") {
		t.Errorf("%d parts outside and %d in a nested multipart: err = %v, want more than 100 MIME parts", maxMIMEParts/2, maxMIMEParts/2, err)
	}
}

// TestMailTextPartsNotParsed: text parts without a diff line (a cover
// text, a signature) are not handed to the diff parser, which costs
// objects by the line; the patch part is read all the same, and a part
// go-gitdiff would refuse is still refused.
func TestMailTextPartsNotParsed(t *testing.T) {
	filler := strings.Repeat("a line of a mail that holds no diff at all\n", 1000)
	data := partsMail(t, 90, filler)
	s, _, mallocs, err := readCost(t, data)
	if err != nil || len(s.Patches) != 1 || len(s.Patches[0].Files) == 0 {
		t.Fatalf("read: %v", err)
	}
	// 90,000 lines of filler; the patch alone costs a few hundred.
	if mallocs > 10000 {
		t.Errorf("%d objects allocated for 90,000 lines without a diff; want under 10,000", mallocs)
	}
	orphan := partsMail(t, 1, "@@ -1 +1 @@\n-a\n+b\n")
	if _, err := Read(bytes.NewReader(orphan), Limits{}); err == nil || !strings.Contains(err.Error(), "fragment without file header") {
		t.Errorf("a part with a hunk and no file header: err = %v, want go-gitdiff's", err)
	}
}
