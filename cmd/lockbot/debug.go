package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"lockbot/cparse"
	"lockbot/kb"
	"lockbot/rules"
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
	sum := &cobra.Command{
		Use:   "summary FUNCTION PATH...",
		Short: "Print what the analysis knows of a function: outcomes and effects",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := kb.Load(g.kbFiles...)
			if err != nil {
				return err
			}
			srcs, err := rules.LoadPaths(args[1:], rules.LoadOptions{IncludeDepth: 2})
			if err != nil {
				return err
			}
			prog, err := rules.Build(context.Background(), srcs, rules.Options{KB: k, Workers: 1})
			if err != nil {
				return err
			}
			for _, fi := range prog.Funcs {
				if fi.F.Name == args[0] {
					fmt.Fprintf(cmd.OutOrStdout(), "%s (%s:%d)\n%s", fi.F.Name, fi.F.File.Path, fi.F.Line, fi.Dump())
				}
			}
			return nil
		},
	}
	debug.AddCommand(cfg, sum)
	return debug
}
