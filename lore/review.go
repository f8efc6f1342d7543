// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"lockbot/diff"
	"lockbot/index"
	"lockbot/kb"
	"lockbot/review"
)

// reviewer reviews a series as `lockbot check` does, against the base the
// kernel repository has for it.
type reviewer struct {
	repo, branch string
	rv           *review.Reviewer
}

// outcome is a review and what it was made against.
type outcome struct {
	res  *review.Result
	base string
	noRT bool
}

func newReviewer(cfg *Config, extraKB []string, log *slog.Logger) (*reviewer, error) {
	if st, err := os.Stat(cfg.Kernel.Repo); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("kernel.repo %s: not a directory", cfg.Kernel.Repo)
	}
	setup := review.Setup{
		KBFiles: append(append([]string(nil), extraKB...), cfg.Kernel.KB...),
		// kernel.settings for every review, else each base's own.
		Settings:         cfg.Kernel.Settings,
		SettingsFromBase: cfg.Kernel.Settings == "",
		// As `lockbot check` does in a checkout: the Kconfig of the
		// working tree says what PREEMPT_RT builds. A bare repository has
		// none, and the RT-only rules then apply everywhere.
		Kconfig:      cfg.Kernel.Repo,
		KconfigFile:  cfg.Kernel.Kconfig,
		IncludeDepth: *cfg.Kernel.IncludeDepth,
		Log:          log,
	}
	if p := cfg.Kernel.Index; p != "" {
		setup.OpenIndex = func(k *kb.KB) (*index.Index, error) {
			return index.OpenWith(p, k, index.OpenOptions{Log: log})
		}
	}
	rv, err := review.Open(setup)
	if err != nil {
		return nil, err
	}
	return &reviewer{repo: cfg.Kernel.Repo, branch: cfg.Kernel.Branch, rv: rv}, nil
}

func (r *reviewer) close() error { return r.rv.Close() }

// baseError is a series that could not be reviewed because the kernel
// repository has no base for it (the configured branch is missing, git
// fails): the repository's fault, not the series', so the series waits
// for a run that has one.
type baseError struct{ err error }

func (e *baseError) Error() string { return "no base to review against: " + e.err.Error() }
func (e *baseError) Unwrap() error { return e.err }

// review applies the series to its base and reviews it. A series that
// does not apply is a *diff.ApplyError; one without a base a *baseError.
func (r *reviewer) review(ctx context.Context, s *diff.Series) (*outcome, error) {
	base, err := review.ResolveGitBase(ctx, r.repo, s, r.branch)
	if err != nil {
		return nil, &baseError{err}
	}
	out, err := r.rv.Review(ctx, review.Base{Tree: base.Tree, Label: base.Label, SettingsRev: "base"}, s)
	if err != nil {
		return nil, err
	}
	return &outcome{res: out.Result, base: out.Base, noRT: out.NoRT}, nil
}
