package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"lockbot/cparse"
	"lockbot/kb"
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
	debug.AddCommand(cfg)
	return debug
}
