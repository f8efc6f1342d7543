// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"lockbot/flow"
	"lockbot/index"
	"lockbot/kb"
	"lockbot/kbuild"
)

func newIndex(g *globalFlags) *cobra.Command {
	var (
		tree, out    string
		workers      int
		includeDepth int
		parseOnly    bool
		check        bool
	)
	cmd := &cobra.Command{
		Use:   "index [--tree DIR] [--out FILE]",
		Short: "Summarise every function of a kernel tree, for scan and check to see across files",
		Long: `index analyses every .c file of a kernel tree (and the static inline functions
of the headers they include) and stores each function's summary: may it sleep
and why, what it leaves held or releases, the contexts it enters, the locks it
takes and requires, what it waits for. scan and check then see a callee in
another file. Re-running updates only the files that changed.

The index goes to --out, by default .lockbot/index.db in the tree, where scan
and check find it.

Exit status: 0 when every file was read; 1 when some could not be (they are
named, keep what the index had of them, and are tried again on the next run);
2 on an error, such as a damaged index. --check verifies an index (every
entry's checksum, and bbolt's consistency check) without updating it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if tree == "" {
				tree = "."
			}
			info, err := os.Stat(tree)
			if err != nil || !info.IsDir() {
				return usageError{fmt.Errorf("--tree %s: not a directory", tree)}
			}
			root, err := filepath.Abs(tree)
			if err != nil {
				return err
			}
			if parseOnly && check {
				return usageError{errors.New("--parse-only and --check: one or the other")}
			}
			if parseOnly {
				// The baseline of scripts/bench-index.sh: no index is written.
				st, err := index.ParseOnly(context.Background(), index.UpdateOptions{Tree: root, Workers: workers})
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "files %d bytes %d parse %.3fs (tree-sitter %.3fs, read %.3fs, summed over %d workers; %d not readable)\n",
					st.Files, st.Bytes, st.Elapsed.Seconds(), st.Parse.Seconds(), st.Read.Seconds(), st.Workers, st.Failed)
				return nil
			}
			if out == "" {
				out = filepath.Join(root, index.DefaultPath)
			}
			log := g.logger()
			if check {
				return checkIndex(cmd.OutOrStdout(), g, out)
			}
			tuneGC()
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			if err := ignoreIndexDir(root, out); err != nil {
				return err
			}
			k, err := kb.Load(g.kbFiles...)
			if err != nil {
				return err
			}
			ix, err := index.OpenWith(out, k, index.OpenOptions{Write: true, Log: log})
			if err != nil {
				return err
			}
			defer ix.Close()
			errOut := cmd.ErrOrStderr()
			bar := false
			if f, ok := errOut.(*os.File); ok {
				bar = term.IsTerminal(int(f.Fd()))
			}
			st, err := ix.Update(context.Background(), index.UpdateOptions{Tree: root, Workers: workers,
				IncludeDepth: includeDepth, Progress: errOut, Bar: bar, Log: log})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d files (%d analysed, %d unchanged, %d removed, %d not readable, %d not parsed, %d skipped), %d functions recorded, %s\n",
				out, st.Files, st.Analysed, st.Unchanged, st.Removed, st.Failed, len(st.NotParsed), len(st.Skipped), st.Functions, st.Elapsed.Round(1e7))
			if st.Failed > 0 {
				// The index is usable, but not whole: 1, not 2, which
				// is for an index not updated at all.
				fmt.Fprintf(errOut, "lockbot: %s not readable, kept as the index had them and tried again on the next run: %s\n",
					plural(st.Failed, "file"), listNames(st.Unreadable, 10))
				return exitCode(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&tree, "tree", "", "kernel tree to index (default: the current directory)")
	cmd.Flags().StringVar(&out, "out", "", "index file (default: TREE/"+index.DefaultPath+")")
	cmd.Flags().IntVar(&workers, "workers", 0, "files analysed in parallel (default: all cores)")
	cmd.Flags().IntVar(&includeDepth, "include-depth", 2, "levels of quoted #include files read with each file")
	cmd.Flags().BoolVar(&parseOnly, "parse-only", false, "only time tree-sitter's parse of the files an index reads; write no index")
	cmd.Flags().BoolVar(&check, "check", false, "verify the index (checksums, bbolt's consistency check) without updating it")
	return cmd
}

// checkIndex verifies the index at path: exit 0 when it is sound, 2 (an
// error saying it is damaged, and the fix) when not.
func checkIndex(w io.Writer, g *globalFlags, path string) error {
	k, err := kb.Load(g.kbFiles...)
	if err != nil {
		return err
	}
	ix, err := index.OpenWith(path, k, index.OpenOptions{Log: g.logger()})
	if err != nil {
		return err
	}
	defer ix.Close()
	cs, err := ix.Check()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: sound: %d entries match their checksums, bbolt's consistency check passed, %s\n", path, cs.Entries, cs.Elapsed.Round(1e6))
	return nil
}

// plural is n and the noun, made plural when n is not 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// listNames joins names, the first n of them.
func listNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more (see the warnings above)", strings.Join(names[:n], ", "), len(names)-n)
}

// openIndex opens the index named by --index, or the tree's own when it has
// one; nil when there is none to use. A named index that cannot be read
// is an error; a tree's stale one is skipped with a warning, since the
// run is still right without it, only blind across files.
func openIndex(g *globalFlags, k *kb.KB, path, root string) (*index.Index, error) {
	named := path != ""
	if !named && root != "" {
		if p, ok := index.Find(root); ok {
			path = p
		}
	}
	if path == "" {
		return nil, nil
	}
	ix, err := index.OpenWith(path, k, index.OpenOptions{Log: g.logger()})
	if err != nil {
		if !named && errors.Is(err, index.ErrStale) {
			g.logger().Warn("ignoring a stale index; refresh it with lockbot index", "index", path)
			return nil, nil
		}
		return nil, usageError{err}
	}
	return ix, nil
}

func newExplain(g *globalFlags) *cobra.Command {
	var path, tree string
	cmd := &cobra.Command{
		Use:   "explain FUNCTION",
		Short: "Print what the index knows of a function, and why it may sleep",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := kb.Load(g.kbFiles...)
			if err != nil {
				return err
			}
			if tree == "" {
				tree = "."
			}
			ix, err := openIndex(g, k, path, tree)
			if err != nil {
				return err
			}
			if ix == nil {
				return usageError{fmt.Errorf("no index: build one with lockbot index, or name it with --index")}
			}
			defer ix.Close()
			recs, err := ix.Records(args[0])
			if err != nil {
				return err // a damaged index says so, and the fix
			}
			if len(recs) == 0 {
				return usageError{fmt.Errorf("%s: not in the index %s", args[0], ix.Path())}
			}
			w := cmd.OutOrStdout()
			for _, r := range recs {
				// Linked: with what its callees in other files do.
				fi := ix.LookupIn(r.Name, r.File)
				if fi == nil {
					if err := ix.Err(); err != nil {
						return err
					}
					return fmt.Errorf("%s (%s): the index's record cannot be read; rebuild it with lockbot index", r.Name, r.File)
				}
				fmt.Fprint(w, flow.Explain(fi))
			}
			// A callee's record, read as the chains were linked, may be
			// damaged: what was printed then leaves out what it does.
			return ix.Err()
		},
	}
	cmd.Flags().StringVar(&path, "index", "", "index file (default: the tree's "+index.DefaultPath+")")
	cmd.Flags().StringVar(&tree, "tree", "", "kernel tree whose index to read (default: the current directory)")
	return cmd
}

// tuneGC trades memory for time while indexing, unless GOGC or GOMEMLIMIT
// say otherwise: the analysis makes short-lived states by the million, and
// collecting a fifth as often saves about a sixth of the CPU time. The
// memory limit keeps the peak under the 2 GiB the index is allowed: the
// index file's pages, read through bbolt's memory map, come on top (about
// 600 MiB of a whole tree's at the end). On 6.12, a 1 GiB limit peaked at
// 1.70 GiB and cost 2% of the CPU time; 1.5 GiB peaked at 1.92 GiB.
func tuneGC() { tuneGCLimit(1 << 30) }

// tuneGCLimit is tuneGC with limit as the soft memory limit.
func tuneGCLimit(limit int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(limit)
	}
}

const kconfigUsage = "kernel configuration that resolves #ifdef variants and which files are built: a .config (plain, gzip or xz), or none (default: the tree's .config, else Debian's x86_64 configuration inside a kernel tree)"

// resolveKconfig reads the configuration a run resolves variants by; nil
// when there is none. The symbols of PREEMPT_RT, and those RT excludes,
// stay undecided: the RT rules judge their arms.
func resolveKconfig(name, root string, k *kb.KB, rt flow.RTScope) (*kbuild.Config, error) {
	kc, err := kbuild.ResolveConfig(name, root, func(sym string) bool {
		return slices.Contains(k.RTConfig, sym) || rt != nil && rt.ExcludedConfig(sym)
	})
	if err != nil {
		return nil, usageError{err}
	}
	return kc, nil
}

// ignoreIndexDir keeps the default index directory (.lockbot/ at the
// tree's top, hundreds of MB) out of git: a .gitignore inside it that
// ignores everything, itself included, so that "git add -A" in a kernel
// tree never commits an index.
func ignoreIndexDir(root, out string) error {
	dir := filepath.Dir(filepath.Join(root, index.DefaultPath))
	if filepath.Dir(out) != dir {
		return nil // a place the user chose
	}
	p := filepath.Join(dir, ".gitignore")
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	if err := os.WriteFile(p, []byte("# written by lockbot index: the index is not source\n*\n"), 0o644); err != nil {
		return fmt.Errorf("index directory: %w", err)
	}
	return nil
}
