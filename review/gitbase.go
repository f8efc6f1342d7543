// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	"lockbot/diff"
)

// GitBase is the commit of a git repository a series is reviewed against,
// for the reviewers that follow a list or a forge rather than a checkout.
type GitBase struct {
	Tree diff.GitTree
	// Label says which base it is, for the review's summary:
	// "base-commit 3cade1f3d077" or "main at 3cade1f3d077".
	Label string
	// FromSeries is true when the base is the series' own base-commit.
	FromSeries bool
}

// ResolveGitBase picks the base of series s in repository repo: the
// series' base-commit when the repository has that commit, else fallback
// (a branch or any revision), resolved to a commit once so that every file
// is read from the same one.
func ResolveGitBase(ctx context.Context, repo string, s *diff.Series, fallback string) (GitBase, error) {
	if c := s.BaseCommit; c != "" {
		if full, ok := ResolveCommit(ctx, repo, c); ok {
			return GitBase{Tree: diff.GitTree{Repo: repo, Rev: full}, Label: "base-commit " + shortHash(full), FromSeries: true}, nil
		}
	}
	if fallback == "" || strings.HasPrefix(fallback, "-") {
		return GitBase{}, fmt.Errorf("review: bad fallback revision %q", fallback)
	}
	full, ok := ResolveCommit(ctx, repo, fallback)
	if !ok {
		return GitBase{}, fmt.Errorf("review: %s: no commit %q in the repository", repo, fallback)
	}
	return GitBase{Tree: diff.GitTree{Repo: repo, Rev: full}, Label: fallback + " at " + shortHash(full)}, nil
}

// ResolveCommit returns the full name of the commit rev names in the git
// repository at repo, and whether there is one. rev comes from mail
// (base-commit:) and command lines, so it is never read as an option: one
// starting with "-" is refused, and --end-of-options says the rest is a
// revision.
func ResolveCommit(ctx context.Context, repo, rev string) (string, bool) {
	if strings.HasPrefix(rev, "-") {
		return "", false
	}
	out, err := exec.CommandContext(ctx, "git", "-C", repo, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}").Output()
	return strings.TrimSpace(string(out)), err == nil
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
