package lore

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"

	"lockbot/config"
	"lockbot/diff"
	"lockbot/index"
	"lockbot/kb"
	"lockbot/kbuild"
	"lockbot/review"
	"lockbot/rules"
)

// reviewer reviews a series as `lockbot check` does, against the base the
// kernel repository has for it.
type reviewer struct {
	repo, branch string
	kb           *kb.KB
	kbFiles      []string // the knowledge-base files kb was loaded from
	settings     *config.Config
	rt           rules.RTScope
	ix           *index.Index
	includeDepth int
	log          *slog.Logger
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
	r := &reviewer{repo: cfg.Kernel.Repo, branch: cfg.Kernel.Branch, includeDepth: *cfg.Kernel.IncludeDepth, log: log}
	r.kbFiles = append(append([]string(nil), extraKB...), cfg.Kernel.KB...)
	if cfg.Kernel.Settings != "" {
		s, err := config.Load(cfg.Kernel.Settings, review.RuleNames())
		if err != nil {
			return nil, err
		}
		r.settings = s
		r.kbFiles = append(r.kbFiles, s.KBFiles()...)
	}
	k, err := kb.Load(r.kbFiles...)
	if err != nil {
		return nil, err
	}
	r.kb = k
	// As `lockbot check` does in a checkout: the Kconfig of the working
	// tree says what PREEMPT_RT builds. A bare repository has none, and
	// the RT-only rules then apply everywhere.
	if _, err := os.Stat(filepath.Join(r.repo, "Kconfig")); err == nil {
		if rt, err := kbuild.LoadRT(r.repo, "PREEMPT_RT"); err == nil {
			r.rt = kbuild.TreeRelative{RT: rt}
		} else {
			log.Debug("no usable Kconfig: RT-only rules apply everywhere", "repo", r.repo, "err", err)
		}
	}
	if cfg.Kernel.Index != "" {
		ix, err := index.OpenWith(cfg.Kernel.Index, k, index.OpenOptions{Log: log})
		if err != nil {
			return nil, err
		}
		r.ix = ix
	}
	return r, nil
}

func (r *reviewer) close() error {
	if r.ix != nil {
		return r.ix.Close()
	}
	return nil
}

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
	cfg := r.settings
	k := r.kb
	if cfg == nil {
		cfg, err = review.TreeSettings(base.Tree)
		if err != nil {
			return nil, err
		}
		if extra := cfg.KBFiles(); len(extra) > 0 {
			k, err = r.treeKB(base.Tree, extra)
			if err != nil {
				return nil, err
			}
		}
	}
	opt := review.Options{KB: k, Tree: base.Tree, IncludeDepth: r.includeDepth, RT: r.rt, Log: r.log}
	if r.ix != nil && k == r.kb {
		opt.Externals = r.ix
	}
	opt.Configure(cfg)
	res, err := review.Check(ctx, s, opt)
	if err != nil {
		return nil, err
	}
	review.ApplyConfig(res, cfg)
	return &outcome{res: res, base: base.Label, noRT: opt.NoRT}, nil
}

// treeKB loads the knowledge base with the extra files a commit's
// .lockbot.yaml names, read from that commit.
func (r *reviewer) treeKB(t diff.Tree, files []string) (*kb.KB, error) {
	dir, err := os.MkdirTemp("", "lockbot-kb-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	paths := append([]string(nil), r.kbFiles...)
	for i, f := range files {
		data, err := t.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("kb file %s of the base's %s: %w", f, config.FileName, err)
		}
		p := filepath.Join(dir, fmt.Sprintf("%d-%s", i, path.Base(f)))
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return kb.Load(paths...)
}
