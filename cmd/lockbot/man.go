// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newMan writes a man page per command (lockbot.1, lockbot-check.1, ...),
// generated from the commands' own help, so that it cannot drift from
// what lockbot accepts.
func newMan() *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write lockbot's man pages (section 1) into DIR",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return usageError{errors.New("man needs an existing directory: " + dir)}
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true // reproducible pages
			hdr := &doc.GenManHeader{Title: "LOCKBOT", Section: "1", Source: "lockbot " + version, Manual: "lockbot manual"}
			if err := doc.GenManTree(root, hdr, dir); err != nil {
				return fmt.Errorf("man pages: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote the man pages into %s\n", dir)
			return nil
		},
	}
}
