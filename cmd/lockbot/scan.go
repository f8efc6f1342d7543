// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"lockbot/comment"
	"lockbot/flow"
	"lockbot/index"
	"lockbot/internal/progress"
	"lockbot/kb"
	"lockbot/kbuild"
	"lockbot/rules"
	"lockbot/source"
)

func newScan(g *globalFlags) *cobra.Command {
	var (
		format       string
		noRT         bool
		terse        bool
		includeDepth int
		indexFile    string
		kconfig      string
		treeDir      string
		callers      bool
		deliberate   bool
		conditional  bool
		jobs         int
	)
	cmd := &cobra.Command{
		Use:   "scan [flags] PATH...",
		Short: "Report every lock problem in C files or directories",
		Long: `scan analyses the named C files and directories (recursively, *.c and *.h) and
reports every finding. Quoted #include files next to a named file are read for
types and helpers, not reported. With an index, each file is analysed on its
own and the index answers for the others: findings are written as each file
is done, and memory does not grow with the number of files.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("scan needs at least one file or directory")}
			}
			if format != "text" && format != "json" {
				return usageError{fmt.Errorf("--format must be text or json, not %q", format)}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			log := g.logger()
			k, err := kb.Load(g.kbFiles...)
			if err != nil {
				return err
			}
			start := time.Now()
			listed, err := source.ListPaths(args)
			if err != nil {
				return err
			}
			opt := rules.Options{KB: k, NoRT: noRT, Log: log, Deliberate: deliberate, Conditional: conditional}
			root, inTree := kbuild.FindRoot(args[0])
			if treeDir != "" {
				// A copy of a tree's files (a patched directory) scanned
				// with the tree's Kconfig, Makefiles and configuration.
				if root, inTree = kbuild.FindRoot(treeDir); !inTree {
					return usageError{fmt.Errorf("--tree %s: not in a kernel tree (no Kconfig, Makefile and scripts/ above it)", treeDir)}
				}
			}
			if inTree && !noRT {
				// Inside a kernel tree: learn which code PREEMPT_RT excludes.
				rt, err := kbuild.LoadRT(root, "PREEMPT_RT")
				if err != nil {
					log.Warn("cannot read Kconfig; RT-only rules apply everywhere", "root", root, "err", err)
				} else {
					opt.RT = rt
				}
			}
			if !inTree {
				root = ""
			} else {
				listed = withoutUserSpace(listed, root, args)
			}
			kc, err := resolveKconfig(kconfig, root, k, opt.RT)
			if err != nil {
				return err
			}
			if kc != nil {
				opt.Kconfig = kc
				log.Debug("configuration variants resolved", "config", kc.Name)
			}
			ix, err := openIndex(g, k, indexFile, root)
			if err != nil {
				return err
			}
			if ix != nil {
				defer ix.Close()
				if kc != nil {
					// The tree's headers say what their derived names
					// (HASHED_PAGE_VIRTUAL) mean for the configuration.
					kc = kc.SetDerived(ix.Derived)
					opt.Kconfig = kc
					ix.UseKconfig(kc)
				}
				opt.Externals = ix
			}
			out := cmd.OutOrStdout()
			var (
				res      *rules.Result
				findings int
			)
			if callers && ix != nil && root != "" {
				// A patched directory against its tree: one analysis of
				// the copies, then of their callers the index names.
				if res, err = scanCallers(listed, root, includeDepth, opt, log); err != nil {
					return err
				}
				if format == "json" {
					err = comment.JSON(out, res)
				} else {
					err = comment.Text(out, res, comment.TextOptions{Terse: terse, NoRT: noRT})
				}
				findings = len(res.Findings)
			} else {
				res, findings, err = scanStream(cmd, listed, ix, includeDepth, jobs, opt, format, comment.TextOptions{Terse: terse, NoRT: noRT}, log)
			}
			if err != nil {
				return err
			}
			log.Debug("scan done", "files", res.Stats.Files, "functions", res.Stats.Functions, "elapsed", time.Since(start))
			if ix != nil {
				// A damaged record was read as an unknown function: the
				// scan is not what a sound index would give.
				if err := ix.Err(); err != nil {
					return err
				}
			}
			for _, e := range res.Skipped {
				fmt.Fprintf(os.Stderr, "lockbot: warning: skipped %s\n", comment.TermSafe(e.Err))
			}
			for _, e := range res.Errors {
				fmt.Fprintf(os.Stderr, "lockbot: %s\n", comment.TermSafe(e.Err))
			}
			switch {
			case len(res.Errors) > 0:
				return exitCode(2)
			case findings > 0:
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&noRT, "no-rt", false, "drop findings that matter only on PREEMPT_RT")
	cmd.Flags().BoolVar(&terse, "terse", false, "one line per finding")
	cmd.Flags().IntVar(&includeDepth, "include-depth", 2, "levels of quoted #include files to read as context")
	cmd.Flags().StringVar(&indexFile, "index", "", "index of the tree's functions (default: the tree's "+index.DefaultPath+" when it exists)")
	cmd.Flags().StringVar(&kconfig, "kconfig", "", kconfigUsage)
	cmd.Flags().BoolVar(&conditional, "conditional", false, "also report findings that hold only if a caller passes some value (a flag, a mode) nothing in view decides; the condition is named")
	cmd.Flags().BoolVar(&deliberate, "deliberate", false, "also report files that break the rules on purpose (the knowledge base's deliberate: lockdep's self-tests, torture tests)")
	cmd.Flags().BoolVar(&callers, "callers", false, "with an index, for copies of the tree's files (a patched directory): also report what the changes do to the callers in other files, which the index names, of the functions that gained an effect (at most "+strconv.Itoa(rules.MaxCallerFiles)+" caller files)")
	cmd.Flags().IntVar(&jobs, "jobs", 0, "files analysed at once with an index (without one, directories of a scan too large to analyse as one program); default: all cores")
	cmd.Flags().StringVar(&treeDir, "tree", "", "kernel tree whose Kconfig, Makefiles and configuration apply (default: the tree above the first path)")
	return cmd
}

// treeVersions loads the tree's versions of the named files of a scan
// that are copies from outside the tree (a patched directory scanned
// with --tree): the files as they were, for --callers to tell what
// changed. A named file inside the tree, or one the tree does not have,
// has none.
func treeVersions(root string, srcs []source.Source, includeDepth int, log *slog.Logger) ([]source.Source, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, s := range srcs {
		if s.Context {
			continue
		}
		abs, err := filepath.Abs(s.Path)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(abs, absRoot+string(filepath.Separator)) {
			continue
		}
		// The longest tail of the path that names a file of the tree.
		parts := strings.Split(filepath.ToSlash(filepath.Clean(s.Path)), "/")
		for i := range parts {
			p := filepath.Join(absRoot, filepath.FromSlash(strings.Join(parts[i:], "/")))
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				paths = append(paths, p)
				break
			}
		}
	}
	if len(paths) == 0 {
		return nil, nil
	}
	return source.LoadPaths(paths, source.LoadOptions{IncludeDepth: includeDepth, Log: log})
}

func newRules() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the rules with what each finds, why, and how to fix it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "text":
				return comment.RuleDocs(cmd.OutOrStdout(), rules.All())
			case "json":
				return comment.RuleDocsJSON(cmd.OutOrStdout(), rules.All())
			}
			return usageError{fmt.Errorf("--format must be text or json, not %q", format)}
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// scanCallers analyses the named files as one program, then the callers
// in other files the index names of the functions whose effects changed
// against the tree's versions of those files.
func scanCallers(listed []source.Listed, root string, includeDepth int, opt rules.Options, log *slog.Logger) (*rules.Result, error) {
	lopt := source.LoadOptions{IncludeDepth: includeDepth, Log: log}
	srcs, err := source.LoadListed(listed, lopt)
	if err != nil {
		return nil, err
	}
	base, err := treeVersions(root, srcs, includeDepth, log)
	if err != nil {
		return nil, err
	}
	load := func(rels []string) ([]source.Source, error) {
		paths := make([]string, len(rels))
		for i, r := range rels {
			paths[i] = filepath.Join(root, filepath.FromSlash(r))
		}
		return source.LoadPaths(paths, lopt)
	}
	res, imp, err := rules.AnalyzeImpact(context.Background(), srcs, base, opt, load)
	if err != nil {
		return nil, err
	}
	if len(imp.Files) > 0 {
		log.Info("callers analysed", "changed", imp.Changed, "files", imp.Files, "not analysed", imp.Left)
	}
	return res, nil
}

// scanUnits splits a scan into its analyses. With an index, each file is
// one, with the headers it includes: the index answers for every other
// file, so a file's findings are the same whatever else the scan names,
// and memory is that of the files in flight. Without one, the named
// files are one analysis, calling each other, up to togetherBytes of
// them; past that, each directory's files are one, and split says so.
func scanUnits(listed []source.Listed, indexed bool, lopt source.LoadOptions) (units []rules.Unit, split bool) {
	var groups [][]source.Listed
	var size int64
	for _, l := range listed {
		size += l.Size
	}
	switch {
	case indexed:
		for _, l := range listed {
			groups = append(groups, []source.Listed{l})
		}
	case size <= togetherBytes:
		groups = [][]source.Listed{listed}
	default:
		at := map[string]int{}
		for _, l := range listed {
			d := filepath.Dir(l.Path)
			i, ok := at[d]
			if !ok {
				i = len(groups)
				at[d] = i
				groups = append(groups, nil)
			}
			groups[i] = append(groups[i], l)
		}
		split = len(groups) > 1
	}
	units = make([]rules.Unit, len(groups))
	for i, g := range groups {
		name := g[0].Path
		if len(g) > 1 {
			name = filepath.Dir(name)
		}
		units[i] = rules.Unit{Name: name, Load: func() ([]source.Source, error) { return source.LoadListed(g, lopt) }}
	}
	return units, split
}

// togetherBytes bounds the source a scan without an index analyses as
// one program: drivers/md's 5.6 MB take some 600 MB to analyse.
const togetherBytes = 8 << 20

// unmapEvery is how many files a scan analyses between letting go of the
// index's pages (Index.Unmap): a whole tree's scan touches most of the
// file, some 2 GB, which would otherwise stay mapped. Decoded records
// are kept by the analysis's readers, so little is read twice. Every 16
// files rather than 64: fs/'s peak of mapped pages 527 -> 459 MB, for 6%
// more time.
const unmapEvery = 16

// scanStream analyses the listed files unit by unit (scanUnits), writing
// each unit's findings as it is done, in the order of the files, and
// returns the totals and the count of findings written.
func scanStream(cmd *cobra.Command, listed []source.Listed, ix *index.Index, includeDepth, jobs int, opt rules.Options,
	format string, topt comment.TextOptions, log *slog.Logger) (*rules.Result, int, error) {
	lopt := source.LoadOptions{IncludeDepth: includeDepth, Log: log, Unity: source.NewUnityBuilds()}
	units, split := scanUnits(listed, ix != nil, lopt)
	so := rules.StreamOptions{Jobs: jobs}
	if ix != nil {
		so.Externals = func() flow.Externals { return ix.View() }
		// Below tuneGC's limit: the index's pages mapped while it is
		// read count in the scan's memory too (see unmapEvery).
		tuneGCLimit(768 << 20)
	}
	out := cmd.OutOrStdout()
	var (
		text  *comment.TextStream
		jsonw *comment.JSONStream
	)
	if format == "json" {
		jsonw = comment.NewJSONStream(out)
	} else {
		text = comment.NewTextStream(out, topt)
	}
	errOut := cmd.ErrOrStderr()
	bar := false
	if f, ok := errOut.(*os.File); ok {
		bar = term.IsTerminal(int(f.Fd()))
	}
	var prog *progress.Progress
	if bar && len(units) > 1 {
		prog = progress.New(errOut, true, "scan", len(units))
	}
	var tot rules.Totals
	err := rules.Stream(context.Background(), units, opt, so, func(u rules.Unit, r *rules.Result) error {
		tot.Add(r)
		if jsonw != nil {
			jsonw.Findings(r.Findings)
		} else {
			text.Findings(r.Findings)
		}
		if prog != nil {
			prog.Step(u.Name)
		}
		if ix != nil && tot.Units%unmapEvery == 0 {
			return ix.Unmap()
		}
		return nil
	})
	if prog != nil {
		prog.Done()
	}
	if err != nil {
		return nil, 0, err
	}
	res := tot.Result()
	res.SplitByDirectory = split
	if jsonw != nil {
		err = jsonw.Close(res)
	} else {
		err = text.Close(res)
	}
	return res, tot.Findings, err
}

// userSpaceDirs are a kernel tree's top-level directories of programs
// that run in user space (their rcu_read_lock() is liburcu's, their
// mutexes pthread's), passed over when a scan walks the whole tree, as
// the index passes them over.
var userSpaceDirs = []string{"tools", "scripts", "usr"}

// withoutUserSpace drops the files of userSpaceDirs found by walking the
// tree's root; files and directories named inside them are kept.
func withoutUserSpace(listed []source.Listed, root string, args []string) []source.Listed {
	walked := false
	for _, a := range args {
		if abs, err := filepath.Abs(a); err == nil && abs == root {
			walked = true
		}
	}
	if !walked {
		return listed
	}
	out := listed[:0]
	for _, l := range listed {
		if l.Found {
			if abs, err := filepath.Abs(l.Path); err == nil {
				if rel, err := filepath.Rel(root, abs); err == nil {
					top, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
					if slices.Contains(userSpaceDirs, top) {
						continue
					}
				}
			}
		}
		out = append(out, l)
	}
	return out
}
