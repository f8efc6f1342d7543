// SPDX-License-Identifier: GPL-2.0-only

// Command lockbot reviews Linux kernel C for lock-semantics bugs: check
// reviews patches (the pre-send hook and b4 run it), scan reports
// everything in files or directories, index summarises a whole tree for
// the others to read, explain prints what the index knows of a function,
// serve runs the GitHub App, lore answers patches on mailing lists, hook
// installs the send-email hook, rules documents the checks. The commands
// are thin: each wires flags to a package (review, rules, index, forge,
// lore, hook, comment).
package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"lockbot/comment"
)

func main() {
	// A batch run with a modest heap: collect less often, finish sooner.
	// GOGC in the environment still wins, for measuring.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(run(os.Args[1:]))
}

// exitCode carries an exit status through cobra's error return.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func run(args []string) int {
	cmd, g := newRootFlags()
	cmd.SetArgs(args)
	err := cmd.Execute()
	if g.stopProf != nil {
		// After the command, which may return an error (exit status 1
		// for findings) that PersistentPostRun would not see.
		g.stopProf()
	}
	var code exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	default:
		err = userError{err}
		fmt.Fprintln(os.Stderr, "lockbot:", comment.TermSafe(err.Error()))
		// The machine formats still give their reader a document.
		switch machineFormat(cmd, args) {
		case "json", "sarif":
			_ = comment.JSONError(os.Stdout, err)
		case "b4":
			_ = comment.B4Error(os.Stdout, err)
		}
		return 2
	}
}

// machineFormat is the --format the command line asked for, once parsed:
// "" for text or a command without one.
func machineFormat(root *cobra.Command, args []string) string {
	sub, _, err := root.Find(args)
	if err != nil || sub == nil {
		return ""
	}
	f := sub.Flags().Lookup("format")
	if f == nil || f.Value.String() == "text" {
		return ""
	}
	return f.Value.String()
}

// internalPrefixes are the package names lockbot's errors start with
// ("diff: open x.patch: ..."): where the error came from inside lockbot,
// which says nothing to its user.
var internalPrefixes = []string{"diff: ", "review: ", "rules: ", "index: ", "kb: ", "source: ", "cparse: ", "comment: ",
	"forge: ", "lore: ", "hook: ", "config: ", "kbuild: ", "flow: "}

// userError is an error as its user reads it: without the internal
// package prefixes.
type userError struct{ err error }

func (e userError) Error() string {
	msg := e.err.Error()
	for again := true; again; {
		again = false
		for _, p := range internalPrefixes {
			if rest, ok := strings.CutPrefix(msg, p); ok {
				msg, again = rest, true
			}
		}
	}
	return msg
}

func (e userError) Unwrap() error { return e.err }
