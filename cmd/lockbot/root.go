// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

type globalFlags struct {
	verbose    bool
	kbFiles    []string
	cpuProfile string
	stopProf   func()
}

// newRootFlags makes the command tree and its global flags, which main
// reads after the command has run.
func newRootFlags() (*cobra.Command, *globalFlags) {
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
	// For the benchmark scripts: where a whole-subsystem run spends its time.
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if g.cpuProfile == "" {
			return nil
		}
		f, err := os.Create(g.cpuProfile)
		if err != nil {
			return usageError{fmt.Errorf("--cpuprofile: %w", err)}
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		g.stopProf = func() {
			pprof.StopCPUProfile()
			f.Close()
		}
		return nil
	}
	root.AddCommand(newScan(g), newCheck(g), newIndex(g), newExplain(g), newRules(), newDebug(g))
	root.AddCommand(newHook(), newVersion(), newMan())
	root.Version = versionString()
	root.SetVersionTemplate("lockbot {{.Version}}\n")
	root.AddCommand(newLore(g))
	root.AddCommand(newServe(g))
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{err}
	})
	registerCompletions(root)
	return root, g
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
