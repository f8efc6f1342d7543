// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"lockbot/hook"
)

func newHook() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hook",
		Short: "Install lockbot as git send-email's sendemail-validate hook",
		Long: `hook installs lockbot in the git checkout of the current directory as the
sendemail-validate hook, which git send-email runs on every patch before it
sends any: a patch lockbot finds lock bugs in (lockbot check exits non-zero)
aborts the send. When lockbot cannot review a patch (it does not apply to the
checkout, or cannot be decoded) the hook warns and lets it go, unless installed
with --strict or LOCKBOT_HOOK_STRICT is set in the environment. With git 2.42 or later each patch is checked with the ones
before it in the series applied; older git checks each patch alone.

The hook directory follows core.hooksPath. An existing sendemail-validate hook
is kept as sendemail-validate.lockbot-chained and runs first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError{errors.New("hook needs a subcommand: install or uninstall")}
		},
	}
	var (
		force   bool
		strict  bool
		lockbot string
	)
	install := &cobra.Command{
		Use:   "install [--force] [--strict] [--lockbot PATH]",
		Short: "Write the sendemail-validate hook, chaining an existing one",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			bin, err := lockbotPath(lockbot)
			if err != nil {
				return err
			}
			path, err := hook.Install(".", hook.Options{Lockbot: bin, Force: force, Strict: strict})
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "installed %s (runs %s check)\n", path, bin)
			if _, err := os.Lstat(path + hook.ChainedSuffix); err == nil {
				fmt.Fprintf(out, "the hook that was there runs first, as %s\n", filepath.Base(path+hook.ChainedSuffix))
			}
			return nil
		},
	}
	install.Flags().BoolVar(&force, "force", false, "chain the current hook even if a "+hook.Name+hook.ChainedSuffix+" is already there (replacing it)")
	install.Flags().BoolVar(&strict, "strict", false, "also stop the send when lockbot cannot review a patch (by default only findings stop it)")
	install.Flags().StringVar(&lockbot, "lockbot", "", "lockbot binary the hook runs (default: this one, by absolute path)")

	uninstall := &cobra.Command{
		Use:   "uninstall",
		Short: "Remove the hook and restore the one it chained",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := hook.Uninstall(".")
			if errors.Is(err, hook.ErrNotInstalled) {
				fmt.Fprintf(cmd.OutOrStdout(), "nothing to do: %s is not there\n", path)
				return nil
			}
			if err != nil {
				return err
			}
			if _, err := os.Lstat(path); err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "removed lockbot's hook; restored the previous %s\n", path)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", path)
			}
			return nil
		},
	}
	cmd.AddCommand(install, uninstall)
	return cmd
}

// lockbotPath is the binary the hook will run: --lockbot made absolute, or
// this executable. A hook runs without the user's shell setup (from an
// editor, from b4), so an absolute path is what keeps it working.
func lockbotPath(flag string) (string, error) {
	if flag != "" {
		if !strings.ContainsRune(flag, filepath.Separator) {
			return flag, nil // a command name: found on PATH when the hook runs
		}
		return filepath.Abs(flag)
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot tell where this lockbot is (%w): give --lockbot PATH", err)
	}
	// os.Executable resolves symlinks on Linux; when lockbot was started
	// through a PATH entry that is a symlink to the same file, keep that
	// entry, so that upgrading by moving the symlink keeps the hook current.
	if name := os.Args[0]; !strings.ContainsRune(name, filepath.Separator) {
		if p, err := exec.LookPath(name); err == nil {
			if abs, err := filepath.Abs(p); err == nil && sameFile(abs, exe) {
				exe = abs
			}
		}
	}
	if err := hookBinary(exe); err != nil {
		return "", err
	}
	return exe, nil
}

// hookBinary refuses, for the hook to run, a binary go run built in the
// Go build cache: it is deleted when go run exits, and the hook would
// fail on the next send.
func hookBinary(exe string) error {
	if strings.Contains(exe, string(filepath.Separator)+"go-build") {
		return usageError{fmt.Errorf("%s is a temporary binary from go run, gone once it exits: install lockbot (go install ./cmd/lockbot) and run hook install with it, or give --lockbot PATH", exe)}
	}
	return nil
}

func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}
