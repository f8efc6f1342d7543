// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/c"
	"github.com/spf13/cobra"

	"lockbot/cparse"
	"lockbot/kb"
	"lockbot/rules"
	"lockbot/source"
)

func newDebug(g *globalFlags) *cobra.Command {
	debug := &cobra.Command{
		Use:    "debug",
		Short:  "Developer tools: look at what the parser built",
		Hidden: true,
	}
	cfg := &cobra.Command{
		Use:   "cfg FILE [FUNCTION]",
		Short: "Print the control-flow graphs of a file's functions",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := kb.Load(g.kbFiles...)
			if err != nil {
				return err
			}
			src, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			p := cparse.NewParser(k.Dialect())
			defer p.Close()
			f, err := p.Parse(args[0], src)
			if err != nil {
				return err
			}
			for _, fn := range f.Funcs {
				if len(args) == 2 && fn.Name != args[1] {
					continue
				}
				fmt.Fprint(cmd.OutOrStdout(), fn.Dump())
			}
			return nil
		},
	}
	var indexFile string
	var link bool
	sum := &cobra.Command{
		Use:   "summary FUNCTION PATH...",
		Short: "Print what the analysis knows of a function: outcomes and effects",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := kb.Load(g.kbFiles...)
			if err != nil {
				return err
			}
			srcs, err := source.LoadPaths(args[1:], source.LoadOptions{IncludeDepth: 2})
			if err != nil {
				return err
			}
			opt := rules.Options{KB: k, Workers: 1, LinkCalls: link}
			if indexFile != "" {
				ix, err := openIndex(g, k, indexFile, "")
				if err != nil {
					return err
				}
				defer ix.Close()
				opt.Externals = ix
			}
			prog, err := rules.Build(context.Background(), srcs, opt)
			if err != nil {
				return err
			}
			found := false
			for _, fi := range prog.Funcs {
				if fi.F.Name == args[0] {
					fmt.Fprintf(cmd.OutOrStdout(), "%s (%s:%d)\n%s", fi.F.Name, fi.F.File.Path, fi.F.Line, fi.Dump())
					found = true
				}
			}
			if !found && opt.Externals != nil {
				// Not in the files: what the index answers for it, as
				// the files' callers see it.
				if fi := opt.Externals.Lookup(args[0]); fi != nil {
					fmt.Fprintf(cmd.OutOrStdout(), "%s (%s:%d, from the index)\n%s", fi.F.Name, fi.F.File.Path, fi.F.Line, fi.Dump())
					found = true
				}
			}
			if !found {
				return fmt.Errorf("no function %s in %s", args[0], strings.Join(args[1:], " "))
			}
			return nil
		},
	}
	sum.Flags().StringVar(&indexFile, "index", "", "index of the tree's functions")
	sum.Flags().BoolVar(&link, "link", false, "analyse as the index does (every function a caller in another file may link)")
	debug.AddCommand(cfg, sum, newDebugParse(), newDebugIndex(g))
	return debug
}

// newDebugIndex prints what an index keeps: the records of functions
// (the calls they make, which a lookup links), or the entries of a key
// of its ops bucket ("struct foo_ops.reset", "register ...").
func newDebugIndex(g *globalFlags) *cobra.Command {
	var key string
	c := &cobra.Command{
		Use:   "index INDEX [FUNCTION...]",
		Short: "Print an index's records of functions, or the entries of one of its keys",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := kb.Load(g.kbFiles...)
			if err != nil {
				return err
			}
			ix, err := openIndex(g, k, args[0], "")
			if err != nil {
				return err
			}
			defer ix.Close()
			enc := json.NewEncoder(cmd.OutOrStdout())
			if key != "" {
				ts, err := ix.OpsTargets(key)
				if err != nil {
					return err
				}
				return enc.Encode(ts)
			}
			for _, name := range args[1:] {
				rs, err := ix.Records(name)
				if err != nil {
					return err
				}
				for _, r := range rs {
					if err := enc.Encode(r); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&key, "key", "", "print this key's entries instead")
	return c
}

// newDebugParse is the baseline scan is measured against: the files scan
// would read, through tree-sitter alone, on as many workers as scan uses.
func newDebugParse() *cobra.Command {
	return &cobra.Command{
		Use:   "parse PATH...",
		Short: "Time the tree-sitter parse alone of the files scan would read",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start := time.Now()
			srcs, err := source.LoadPaths(args, source.LoadOptions{IncludeDepth: 0})
			if err != nil {
				return err
			}
			loaded := time.Now()
			if err := parseOnly(srcs, runtime.GOMAXPROCS(0)); err != nil {
				return err
			}
			parsed := time.Now()
			var bytes int
			for _, s := range srcs {
				bytes += len(s.Src)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "files %d bytes %d load %.3fs parse %.3fs\n",
				len(srcs), bytes, loaded.Sub(start).Seconds(), parsed.Sub(loaded).Seconds())
			return nil
		},
	}
}

func parseOnly(srcs []source.Source, workers int) error {
	jobs := make(chan []byte)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := sitter.NewParser()
			defer p.Close()
			p.SetLanguage(c.GetLanguage())
			var first error
			for src := range jobs {
				tree, err := p.ParseCtx(context.Background(), nil, src)
				if err != nil {
					// Keep draining so the feeder never blocks.
					if first == nil {
						first = err
					}
					continue
				}
				if tree != nil {
					tree.Close()
				}
			}
			errs <- first
		}()
	}
	for _, s := range srcs {
		jobs <- s.Src
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
