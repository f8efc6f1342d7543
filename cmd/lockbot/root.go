package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"
)

type globalFlags struct {
	verbose bool
	kbFiles []string
}

func newRoot() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "lockbot",
		Short: "Review Linux kernel C for lock-semantics bugs",
		Long: `lockbot reads kernel C and reports lock-semantics bugs with the chain that proves
them: sleeping locks under raw ones (PREEMPT_RT), sleeping calls and blocking
allocations under spinlocks or rcu_read_lock(), lock leaks on error paths, double
locks, AB-BA orders and waits that deadlock with a lock held.

Exit status: 0 nothing found, 1 findings, 2 bad usage or input.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log progress to standard error")
	root.PersistentFlags().StringArrayVar(&g.kbFiles, "kb", nil, "extra knowledge-base file (rules.yaml format); repeatable")
	root.AddCommand(newScan(g), newCheck(g), newIndex(g), newExplain(g), newRules(), newDebug(g))
	root.AddCommand(newHook())
	root.AddCommand(newLore(g))
	root.AddCommand(newServe(g))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{err}
	})
	return root
}

func (g *globalFlags) logger() *slog.Logger {
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// usageError is bad usage: exit status 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }
