// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-github/v60/github"

	"lockbot/diff"
	"lockbot/source"
)

// prDiff is a pull request's diff as one patch: the files API's patches
// (GitHub's own base...head diff, the one review comments must lie in),
// applied to the merge base read through the API.
type prDiff struct {
	series *diff.Series
	// hunks are the new-side line ranges each file's hunks show: where a
	// RIGHT-side comment may go.
	hunks map[string][][2]int
	files int // C files reviewed
	notes []string
}

// limits bound the pull requests reviewed.
type limits struct {
	maxFiles, maxLines int
}

// errPRTooLarge is a pull request over the limits: not reviewed, and the
// check run says why.
type errPRTooLarge struct{ why string }

func (e *errPRTooLarge) Error() string { return e.why }

// safeName is a path that needs no quoting in a diff header: kernel paths
// all are; anything else is skipped with a note rather than misparsed.
var safeName = regexp.MustCompile(`^[A-Za-z0-9._+,@=~/-]+$`)

// listFiles reads a pull request's files, every page, within the limits.
func listFiles(ctx context.Context, gh *github.Client, owner, repo string, number int, lim limits) ([]*github.CommitFile, error) {
	var all []*github.CommitFile
	lines := 0
	opt := &github.ListOptions{PerPage: 100}
	for range maxPages + 1 {
		page, resp, err := gh.PullRequests.ListFiles(ctx, owner, repo, number, opt)
		if err != nil {
			return nil, fmt.Errorf("listing the files of #%d: %w", number, err)
		}
		for _, f := range page {
			lines += f.GetAdditions() + f.GetDeletions()
		}
		all = append(all, page...)
		if len(all) > lim.maxFiles {
			return nil, &errPRTooLarge{fmt.Sprintf("the pull request changes more than %d files", lim.maxFiles)}
		}
		if lines > lim.maxLines {
			return nil, &errPRTooLarge{fmt.Sprintf("the pull request changes more than %d lines", lim.maxLines)}
		}
		if resp.NextPage == 0 {
			return all, nil
		}
		opt.Page = resp.NextPage
	}
	// GitHub lists at most 3000 files; pages past that are not its.
	return nil, fmt.Errorf("listing the files of #%d: more than %d pages", number, maxPages+1)
}

// section is one file's part of the patch.
func section(f *github.CommitFile) string {
	name := f.GetFilename()
	old := name
	if f.GetStatus() == "renamed" && f.GetPreviousFilename() != "" {
		old = f.GetPreviousFilename()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "diff --git a/%s b/%s\n", old, name)
	from, to := "a/"+old, "b/"+name
	switch f.GetStatus() {
	case "added":
		b.WriteString("new file mode 100644\n")
		from = "/dev/null"
	case "removed":
		b.WriteString("deleted file mode 100644\n")
		to = "/dev/null"
	case "renamed":
		fmt.Fprintf(&b, "rename from %s\nrename to %s\n", old, name)
	}
	if f.GetPatch() == "" {
		return b.String() // a rename without changes
	}
	fmt.Fprintf(&b, "--- %s\n+++ %s\n%s", from, to, f.GetPatch())
	if !strings.HasSuffix(f.GetPatch(), "\n") {
		b.WriteString("\n")
	}
	return b.String()
}

// buildDiff makes the pull request's patch from its files and checks it
// against the base tree: each file must apply and give the head's blob
// (the files API's sha), or it is left out with a note. Files that are
// not C are not lockbot's and are left out silently.
func buildDiff(files []*github.CommitFile, tree diff.Tree) (*prDiff, error) {
	d := &prDiff{hunks: map[string][][2]int{}}
	var keep []*github.CommitFile
	for _, f := range files {
		name := f.GetFilename()
		if !source.IsCFile(name) && !source.IsCFile(f.GetPreviousFilename()) {
			continue
		}
		switch {
		case !safeName.MatchString(name) || (f.GetPreviousFilename() != "" && !safeName.MatchString(f.GetPreviousFilename())):
			d.notes = append(d.notes, fmt.Sprintf("%q: a file name lockbot does not read", name))
		case f.GetPatch() == "" && !(f.GetStatus() == "renamed" && f.GetChanges() == 0):
			d.notes = append(d.notes, name+": GitHub shows no diff for it (binary, or too large)")
		case f.GetStatus() != "added" && f.GetStatus() != "removed" && f.GetStatus() != "modified" && f.GetStatus() != "renamed":
			d.notes = append(d.notes, fmt.Sprintf("%s: %s files are not reviewed", name, f.GetStatus()))
		default:
			keep = append(keep, f)
		}
	}
	// Each pass drops the files that fail; bounded by their number.
	for len(keep) > 0 {
		var text strings.Builder
		for _, f := range keep {
			text.WriteString(section(f))
		}
		s, err := diff.Read(strings.NewReader(text.String()), diff.Limits{MaxFiles: len(keep)})
		if err != nil {
			return nil, fmt.Errorf("reading the pull request's diff: %w", err)
		}
		snaps, err := diff.ApplySeries(tree, s)
		var ae *diff.ApplyError
		if errors.As(err, &ae) {
			if errors.Is(ae.Err, errTooLarge) {
				d.notes = append(d.notes, fmt.Sprintf("%s: %v", ae.File, ae.Err))
			} else {
				d.notes = append(d.notes, fmt.Sprintf("%s: its diff does not apply to the merge base (%v)", ae.File, ae.Err))
			}
			n := len(keep)
			if keep = drop(keep, ae.File); len(keep) == n {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		bad := ""
		for _, f := range keep {
			if f.GetStatus() == "removed" {
				continue
			}
			if got := blobSHA(snaps[0].After[f.GetFilename()]); f.GetSHA() != "" && got != f.GetSHA() {
				bad = f.GetFilename()
				break
			}
		}
		if bad != "" {
			d.notes = append(d.notes, bad+": its diff does not give the head's content")
			keep = drop(keep, bad)
			continue
		}
		d.series, d.files = s, len(keep)
		for _, f := range s.Patches[0].Files {
			for _, frag := range f.TextFragments {
				d.hunks[f.NewName] = append(d.hunks[f.NewName], [2]int{int(frag.NewPosition), int(frag.NewPosition + frag.NewLines)})
			}
		}
		return d, nil
	}
	return d, nil
}

func drop(fs []*github.CommitFile, name string) []*github.CommitFile {
	var out []*github.CommitFile
	for _, f := range fs {
		if f.GetFilename() != name && f.GetPreviousFilename() != name {
			out = append(out, f)
		}
	}
	return out
}

// inDiff reports whether line of path is inside a hunk of the diff, where
// GitHub accepts a RIGHT-side comment.
func (d *prDiff) inDiff(path string, line int) bool {
	for _, h := range d.hunks[path] {
		if line >= h[0] && line < h[1] {
			return true
		}
	}
	return false
}

// blobSHA is git's object name of a file's content.
func blobSHA(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}
