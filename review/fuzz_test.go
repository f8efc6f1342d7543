// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"lockbot/diff"
)

// FuzzHunkFile feeds any patch diff.Read accepts to the --no-tree
// reassembly: it must not panic, and a line of the result keeps the number
// the patch gives it.
func FuzzHunkFile(f *testing.F) {
	for _, name := range []string{"hunk-only.patch", "spinlock-in-bitlock.patch", "series.mbox", "fix-leak.patch"} {
		data, err := os.ReadFile(filepath.Join(testdata, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := diff.Read(bytes.NewReader(data), diff.Limits{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		for _, p := range s.Patches {
			for _, fl := range p.Files {
				if fl.IsBinary {
					continue
				}
				for _, side := range []bool{false, true} {
					name := fl.OldName
					if side {
						name = fl.NewName
					}
					got := hunkFile(p, fl, side)
					want := p.HunkText(name, side)
					lines := bytes.Split(got, []byte("\n"))
					// Every non-blank line of the hunk text is at the same
					// line in the reassembly.
					for i, l := range bytes.Split(want, []byte("\n")) {
						if len(bytes.TrimSpace(l)) == 0 {
							continue
						}
						if i >= len(lines) || !bytes.Equal(lines[i], l) {
							t.Fatalf("%s line %d moved: %q", name, i+1, l)
						}
					}
				}
			}
		}
	})
}
