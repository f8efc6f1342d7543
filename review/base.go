// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"

	"lockbot/diff"
)

// PreimageTree is the base a series applies to in a git checkout that may
// already hold it (git send-email and b4 run from the branch being sent):
// each file the series touches is read as the blob its first patch names
// in its "index" line, the way git am -3 finds a base, when the working
// tree's file is not that blob. Other files (headers read as context) come
// from the working tree.
type PreimageTree struct {
	Dir  string // the checkout's top directory
	want map[string]string
	work diff.Tree
	// moved maps the old name of a file a patch renames or copies without
	// changing it, and without an index line (similarity index 100%), to
	// its new name: a checkout that holds the series has the content only
	// there.
	moved map[string]string
}

// NewPreimageTree prepares the base of series s in the checkout at dir.
func NewPreimageTree(dir string, s *diff.Series) *PreimageTree {
	t := &PreimageTree{Dir: dir, want: map[string]string{}, moved: map[string]string{}, work: diff.DirTree(dir)}
	for _, p := range s.Patches {
		for _, f := range p.Files {
			name := f.OldName
			if f.IsNew {
				name = f.NewName
			}
			if (f.IsRename || f.IsCopy) && f.NewName != "" && f.NewName != name {
				if _, ok := t.want[f.NewName]; !ok {
					t.want[f.NewName] = "" // created by the series, as a new file is
				}
			}
			if _, ok := t.want[name]; ok || name == "" {
				continue
			}
			switch {
			case f.IsNew:
				t.want[name] = "" // the series creates it
			case f.OldOIDPrefix != "":
				t.want[name] = f.OldOIDPrefix
			case (f.IsRename || f.IsCopy) && len(f.TextFragments) == 0 && f.NewName != "":
				// A pure rename or copy names no blob: the file is the
				// working tree's, under either name.
				t.moved[name] = f.NewName
			}
			// A mode change names no blob either: the working tree's file
			// is the base.
		}
	}
	return t
}

// ReadFile implements diff.Tree.
func (t *PreimageTree) ReadFile(path string) ([]byte, error) {
	h, touched := t.want[path]
	data, err := t.work.ReadFile(path)
	if !touched {
		if to, ok := t.moved[path]; ok && errors.Is(err, fs.ErrNotExist) {
			return t.work.ReadFile(to)
		}
		return data, err
	}
	if h == "" {
		// Created by the series: absent from its base even when the
		// working tree already has it from the series' own commits.
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrNotExist}
	}
	if err == nil && strings.HasPrefix(blobID(data), h) {
		return data, nil
	}
	if !isHex(h) {
		return data, err
	}
	blob, berr := exec.Command("git", "-C", t.Dir, "cat-file", "blob", h).Output()
	if berr != nil {
		// Not in this repository: the working tree's file is the base,
		// and a mismatch is reported as the hunk that does not apply.
		return data, err
	}
	return blob, nil
}

// ListDir lists the working tree's directory.
func (t *PreimageTree) ListDir(dir string) ([]string, error) {
	if l, ok := t.work.(diff.DirLister); ok {
		return l.ListDir(dir)
	}
	return nil, fs.ErrNotExist
}

// blobID is the object name git gives a file's content.
func blobID(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

func isHex(s string) bool {
	if len(s) < 4 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
