// SPDX-License-Identifier: GPL-2.0-only

package diff

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead reads arbitrary input and checks what holds for any: no panic,
// errors with the package's prefix and never an internal one, every mapped
// line where PatchLine says, and applying (to nothing, and to what the patch
// shows of the old side) never panics.
func FuzzRead(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.patch")
	more, _ := filepath.Glob("testdata/*.mbox")
	diffs, _ := filepath.Glob("testdata/*.diff")
	for _, p := range append(append(seeds, more...), diffs...) {
		f.Add(testdata(f, p[len("testdata/"):]))
	}
	for _, s := range []string{
		"",
		"From x Mon Sep 17 00:00:00 2001\nSubject: [PATCH 1/1] x\n\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
		"--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n",
		"Subject: =?UTF-8?b?w7w=?=\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: quoted-printable\n\n--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n+=3D\n--b--\n",
		"diff --git a/x b/y\nsimilarity index 90%\nrename from x\nrename to y\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkRead)
}

// checkRead is the body of FuzzRead.
func checkRead(t *testing.T, data []byte) {
	s, err := Read(bytes.NewReader(data), Limits{MaxBytes: 1 << 20, MaxPatches: 50, MaxFiles: 200})
	if err != nil {
		if !strings.HasPrefix(err.Error(), "diff: ") || strings.Contains(err.Error(), "internal error") {
			t.Fatalf("error %q", err)
		}
		return
	}
	lines := strings.SplitAfter(string(data), "\n")
	for _, p := range s.Patches {
		for path, ls := range p.lines {
			for _, l := range ls {
				if p.Decoded {
					continue
				}
				if l.inputLine < 1 || l.inputLine > len(lines) {
					t.Fatalf("%s:%d maps to line %d of %d", path, l.newLine, l.inputLine, len(lines))
				}
				got := strings.TrimRight(lines[l.inputLine-1], "\r\n")
				if got != l.text && !(got == "" && l.text == " ") {
					t.Fatalf("%s:%d maps to line %d %q, want %q", path, l.newLine, l.inputLine, got, l.text)
				}
			}
		}
		for _, fl := range p.Files {
			p.HunkText(fl.NewName, true)
			p.HunkText(fl.OldName, false)
		}
	}
	ApplySeries(mapTree{}, s)
	// The old side a patch shows is often a tree it applies to.
	old := mapTree{files: map[string]string{}}
	for _, p := range s.Patches {
		for _, fl := range p.Files {
			if !fl.IsNew && fl.OldName != "" {
				if _, ok := old.files[fl.OldName]; !ok {
					// Far-off hunks make big texts; the fuzzer
					// need not apply them by the thousand.
					if text := p.HunkText(fl.OldName, false); len(text) < 1<<16 {
						old.files[fl.OldName] = string(text)
					}
				}
			}
		}
	}
	snaps, _ := ApplySeries(old, s)
	for _, snap := range snaps {
		for path := range snap.After {
			for l := 1; l < 5; l++ {
				snap.NewLine(path, l)
			}
		}
	}
}
