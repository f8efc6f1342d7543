// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lockbot/comment"
	"lockbot/config"
	"lockbot/diff"
	"lockbot/index"
	"lockbot/kb"
	"lockbot/review"
)

// version is stamped into SARIF output.
const version = "0.3.0"

type checkFlags struct {
	tree, gitRange, format, failOn, configFile string
	indexFile, kconfig                         string
	noTree, all, terse, noRT, noCallers        bool
	conditional                                bool
	onlyPatch, includeDepth                    int
}

func newCheck(g *globalFlags) *cobra.Command {
	var cf checkFlags
	cmd := &cobra.Command{
		Use:   "check [flags] [PATCH|MBOX|-]...",
		Short: "Review patches: report what they introduce, on their own lines",
		Long: `check reviews a patch or a series (git format-patch files, an mbox, a plain
git diff, "-" for standard input, or --git REV-RANGE) against the tree it applies
to. Each patch is applied in turn to copies of the files it touches (the tree is
never modified), the files are analysed before and after it, and only the
findings the patch introduces are reported, anchored on its lines. Findings a
patch removes are listed as resolved; --all adds the pre-existing ones.

The tree is --tree DIR, or the git checkout the command runs in. --no-tree
analyses only what the hunks show (context and added lines).

Exit status: 0 nothing at the --fail-on level, 1 findings, 2 bad usage or input
(a patch that does not apply, a malformed mail).`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && cf.gitRange == "" {
				return usageError{errors.New(`check needs patch files, "-" for standard input, or --git REV-RANGE`)}
			}
			if len(args) > 0 && cf.gitRange != "" {
				return usageError{errors.New("give either patch files or --git, not both")}
			}
			switch cf.format {
			case "text", "json", "sarif", "b4":
			default:
				return usageError{fmt.Errorf("--format must be text, json, sarif or b4, not %q", cf.format)}
			}
			if _, err := comment.Failing(&review.Result{}, cf.failOn); err != nil {
				return usageError{err}
			}
			if cf.noTree && cf.tree != "" {
				return usageError{errors.New("--tree and --no-tree exclude each other")}
			}
			if cf.onlyPatch < 0 {
				return usageError{errors.New("--only-patch must be a positive patch number")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCheck(cmd, g, &cf, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cf.tree, "tree", "", "base tree the patches apply to (default: the git checkout of the current directory)")
	fl.BoolVar(&cf.noTree, "no-tree", false, "analyse only what the hunks show; no base tree")
	fl.StringVar(&cf.gitRange, "git", "", "review the commits of REV-RANGE in the tree's git checkout (as git format-patch takes it)")
	fl.BoolVar(&cf.all, "all", false, "also report pre-existing findings in the touched files")
	fl.StringVar(&cf.format, "format", "text", "output format: text, json, sarif or b4")
	fl.BoolVar(&cf.terse, "terse", false, "one line per finding (text format)")
	fl.StringVar(&cf.failOn, "fail-on", "error", "exit 1 on findings of this level or worse: error, warning or never")
	fl.StringVar(&cf.configFile, "config", "", "settings file (default: .lockbot.yaml at the tree's root)")
	fl.BoolVar(&cf.noRT, "no-rt", false, "drop findings that matter only on PREEMPT_RT")
	fl.BoolVar(&cf.conditional, "conditional", false, "also report findings that hold only if a caller passes some value (a flag, a mode) nothing in view decides; the condition is named")
	fl.BoolVar(&cf.noCallers, "no-callers", false, "do not analyse the callers in other files of the functions a patch changes (faster; blind to what the change does to them)")
	fl.IntVar(&cf.onlyPatch, "only-patch", 0, "report only what patch N of the series introduces (the ones before it are applied first)")
	fl.IntVar(&cf.includeDepth, "include-depth", 2, "levels of quoted #include files read from the tree as context")
	fl.StringVar(&cf.kconfig, "kconfig", "", kconfigUsage)
	fl.StringVar(&cf.indexFile, "index", "", "index of the tree's functions (default: the tree's "+index.DefaultPath+" when it exists)")
	return cmd
}

func runCheck(cmd *cobra.Command, g *globalFlags, cf *checkFlags, args []string) error {
	log := g.logger()
	start := time.Now()
	ctx := context.Background()
	root, err := checkTree(cf)
	if err != nil {
		return err
	}
	// Before the series is read: bad settings are the first thing to fix.
	rv, err := review.Open(review.Setup{KBFiles: g.kbFiles, Settings: settingsFile(cf.configFile, root),
		OpenIndex: func(k *kb.KB) (*index.Index, error) { return openIndex(g, k, cf.indexFile, root) },
		Kconfig:   root, KconfigFile: cf.kconfig, NoRT: cf.noRT, All: cf.all, OnlyPatch: cf.onlyPatch, IncludeDepth: cf.includeDepth, NoCallers: cf.noCallers, Conditional: cf.conditional, Log: log})
	if err != nil {
		return err
	}
	defer rv.Close()
	series, err := readSeries(ctx, cmd.InOrStdin(), cf, root, args)
	if err != nil {
		return err
	}
	if cf.onlyPatch > len(series.Patches) {
		return usageError{fmt.Errorf("--only-patch %d: the input holds %d patches", cf.onlyPatch, len(series.Patches))}
	}
	base, err := checkBase(ctx, log, cf, root, series)
	if err != nil {
		return err
	}
	out, err := rv.Review(ctx, base, series)
	if err != nil {
		var ae *diff.ApplyError
		if errors.As(err, &ae) {
			return inputError{err}
		}
		return err
	}
	res := out.Result
	log.Debug("check done", "patches", len(series.Patches), "findings", len(res.Findings), "elapsed", time.Since(start))
	w := cmd.OutOrStdout()
	switch cf.format {
	case "json":
		err = comment.ReviewJSON(w, res)
	case "sarif":
		err = comment.SARIF(w, res, out.Analyzers, version)
	case "b4":
		err = comment.B4(w, res)
	default:
		err = comment.ReviewText(w, res, comment.ReviewTextOptions{Terse: cf.terse, NoRT: out.NoRT, Base: out.Base, Verbose: g.verbose})
	}
	if err != nil {
		return err
	}
	// A damaged record was read as an unknown function: the review is
	// not what a sound index would give.
	if out.IndexErr != nil {
		return out.IndexErr
	}
	failing, err := comment.Failing(res, cf.failOn)
	if err != nil {
		return usageError{err}
	}
	if failing {
		return exitCode(1)
	}
	return nil
}

// checkBase picks what the series is reviewed against: nothing with
// --no-tree; in a git checkout the range's base (--git), the series'
// base-commit when this repository has it, else each file's preimage
// blob; else the directory's files.
func checkBase(ctx context.Context, log *slog.Logger, cf *checkFlags, root string, series *diff.Series) (review.Base, error) {
	switch {
	case root == "":
		return review.Base{}, nil
	case cf.gitRange != "":
		// The range's base, not the working tree (which may hold the
		// commits already).
		rev, err := diff.RangeBase(ctx, root, cf.gitRange)
		if err != nil {
			return review.Base{}, inputError{err}
		}
		return review.Base{Tree: diff.GitTree{Repo: root, Rev: rev}, Label: rev}, nil
	case !isGitCheckout(root):
		return review.Base{Tree: diff.DirTree(root)}, nil
	}
	// The branch being sent usually holds the series already: its files
	// are not the base.
	if c := series.BaseCommit; c != "" {
		if full, ok := review.ResolveCommit(ctx, root, c); ok {
			return review.Base{Tree: diff.GitTree{Repo: root, Rev: full}, Label: "base-commit " + c}, nil
		}
		// Not an error: lore series often name a base the developer has
		// not fetched; stderr must stay quiet for b4.
		log.Debug("base-commit not in this repository; using the checkout", "base-commit", c)
	}
	return review.Base{Tree: review.NewPreimageTree(root, series)}, nil
}

// checkTree finds the base tree: --tree, else the enclosing git checkout.
func checkTree(cf *checkFlags) (string, error) {
	if cf.noTree {
		if cf.gitRange != "" {
			return "", usageError{errors.New("--git reads commits from a checkout: it needs a tree, not --no-tree")}
		}
		return "", nil
	}
	if cf.tree != "" {
		info, err := os.Stat(cf.tree)
		if err != nil {
			return "", usageError{fmt.Errorf("--tree: %w", err)}
		}
		if !info.IsDir() {
			return "", usageError{fmt.Errorf("--tree %s: not a directory", cf.tree)}
		}
		return filepath.Abs(cf.tree)
	}
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "", usageError{errors.New("not inside a git checkout: give the base tree with --tree DIR, or --no-tree to review the hunks alone")}
	}
	return strings.TrimSpace(string(out)), nil
}

func isGitCheckout(dir string) bool {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--is-inside-work-tree").Output()
	return err == nil && strings.TrimSpace(string(out)) == "true"
}

// settingsFile is --config, else the tree's own .lockbot.yaml when it
// has one; "" for the defaults.
func settingsFile(file, root string) string {
	if file == "" && root != "" {
		if f, ok := config.Find(root); ok {
			return f
		}
	}
	return file
}

func readSeries(ctx context.Context, stdin io.Reader, cf *checkFlags, root string, args []string) (*diff.Series, error) {
	var (
		s   *diff.Series
		err error
	)
	// Pre-send checks see a series in parts: b4 pipes one patch at a
	// time, the send-email hook the patches written so far.
	lim := diff.Limits{Partial: true}
	switch {
	case cf.gitRange != "":
		s, err = diff.FromGit(ctx, root, cf.gitRange, lim)
	case len(args) == 1 && args[0] == "-":
		s, err = diff.Read(stdin, lim)
	default:
		for _, a := range args {
			if a == "-" {
				return nil, usageError{errors.New(`"-" (standard input) cannot be mixed with patch files`)}
			}
		}
		s, err = diff.ReadFiles(args, lim)
	}
	if err != nil {
		return nil, inputError{err}
	}
	return s, nil
}

// inputError is bad input (a patch that does not apply, a malformed
// mail): exit status 2, with the message.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }
