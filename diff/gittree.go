// SPDX-License-Identifier: GPL-2.0-only

package diff

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
)

// GitTree is a Tree of the files of one commit in a git repository: the
// base of a commit range under review, whatever the working tree holds.
type GitTree struct {
	Repo string // a directory inside the repository
	Rev  string // a commit, resolved once (see RangeBase)
}

// ReadFile reads path at the commit with git cat-file.
func (g GitTree) ReadFile(path string) ([]byte, error) {
	if !fs.ValidPath(path) || path == "." {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fs.ErrInvalid}
	}
	cmd := exec.Command("git", "-C", g.Repo, "cat-file", "blob", g.Rev+":"+path)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	out, err := cmd.Output()
	if err != nil {
		// cat-file says "does not exist" or "not a valid object name"
		// alike for a missing path; either way there is no such file.
		return nil, &fs.PathError{Op: "read", Path: g.Rev + ":" + path, Err: fs.ErrNotExist}
	}
	if len(out) > maxTreeFile {
		return nil, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("larger than %d bytes", maxTreeFile)}
	}
	return out, nil
}

// ListDir lists the files directly under dir at the commit.
func (g GitTree) ListDir(dir string) ([]string, error) {
	if !fs.ValidPath(dir) {
		return nil, &fs.PathError{Op: "list", Path: dir, Err: fs.ErrInvalid}
	}
	spec := g.Rev + ":" + dir
	if dir == "." {
		spec = g.Rev
	}
	cmd := exec.Command("git", "-C", g.Repo, "ls-tree", "-z", spec)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	out, err := cmd.Output()
	if err != nil {
		return nil, &fs.PathError{Op: "list", Path: spec, Err: fs.ErrNotExist}
	}
	var names []string
	for _, ent := range strings.Split(string(out), "\x00") {
		// "<mode> blob <hash>\t<name>"; not symbolic links (120000)
		meta, name, ok := strings.Cut(ent, "\t")
		if ok && strings.Contains(meta, " blob ") && !strings.HasPrefix(meta, "120000") && len(names) < maxListed {
			names = append(names, name)
		}
	}
	return names, nil
}

// RangeBase returns the commit a revision range applies to: the parent of
// its oldest commit ("A..B" and "A" as git format-patch reads them).
func RangeBase(ctx context.Context, repo, revRange string) (string, error) {
	if revRange == "" || strings.HasPrefix(revRange, "-") {
		return "", fmt.Errorf("diff: bad revision range %q", revRange)
	}
	spec := revRange
	if !strings.Contains(spec, "..") {
		spec += "..HEAD" // one revision: from there to HEAD
	}
	cmd := exec.CommandContext(ctx, "git", "-C", repo, "rev-list", "--reverse", "--topo-order", spec)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4096}
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("diff: git rev-list %s: %w: %s", spec, err, strings.TrimSpace(stderr.String()))
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if first == "" {
		return "", fmt.Errorf("diff: git rev-list %s: no commits in range", spec)
	}
	cmd = exec.CommandContext(ctx, "git", "-C", repo, "rev-parse", "--verify", "--quiet", first+"^")
	out, err = cmd.Output()
	if err != nil {
		return "", fmt.Errorf("diff: %s has no parent: a range starting at the root commit has no base", first)
	}
	return strings.TrimSpace(string(out)), nil
}
