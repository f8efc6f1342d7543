// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"lockbot/comment"
	"lockbot/index"
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
	)
	cmd := &cobra.Command{
		Use:   "scan [flags] PATH...",
		Short: "Report every lock problem in C files or directories",
		Long: `scan analyses the named C files and directories (recursively, *.c and *.h) and
reports every finding. Quoted #include files next to a named file are read for
types and helpers, not reported.`,
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
			srcs, err := source.LoadPaths(args, source.LoadOptions{IncludeDepth: includeDepth, Log: log})
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
					ix.UseKconfig(kc)
				}
				opt.Externals = ix
			}
			var load rules.CallerLoader
			var base []source.Source
			if callers && ix != nil && root != "" {
				load = func(rels []string) ([]source.Source, error) {
					paths := make([]string, len(rels))
					for i, r := range rels {
						paths[i] = filepath.Join(root, filepath.FromSlash(r))
					}
					return source.LoadPaths(paths, source.LoadOptions{IncludeDepth: includeDepth, Log: log})
				}
				if base, err = treeVersions(root, srcs, includeDepth, log); err != nil {
					return err
				}
			}
			res, imp, err := rules.AnalyzeImpact(context.Background(), srcs, base, opt, load)
			if err != nil {
				return err
			}
			if len(imp.Files) > 0 {
				log.Info("callers analysed", "changed", imp.Changed, "files", imp.Files, "not analysed", imp.Left)
			}
			log.Debug("scan done", "files", len(srcs), "functions", res.Stats.Functions, "elapsed", time.Since(start))
			out := cmd.OutOrStdout()
			if format == "json" {
				err = comment.JSON(out, res)
			} else {
				err = comment.Text(out, res, comment.TextOptions{Terse: terse, NoRT: noRT})
			}
			if err != nil {
				return err
			}
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
			case len(res.Findings) > 0:
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
