// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// registerCompletions gives the shells' completion (lockbot completion
// bash|zsh|fish) the values of the flags that take one of a few words,
// and directories where a directory is wanted. The words are read from
// each flag's own usage text ("output format: text, json, sarif or b4"),
// so that they cannot drift from what the command accepts.
func registerCompletions(c *cobra.Command) {
	for _, sub := range c.Commands() {
		registerCompletions(sub)
	}
	fl := c.Flags()
	for _, name := range []string{"format", "fail-on"} {
		f := fl.Lookup(name)
		if f == nil {
			continue
		}
		words := usageWords(f.Usage)
		_ = c.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return words, cobra.ShellCompDirectiveNoFileComp
		})
	}
	if fl.Lookup("tree") != nil {
		_ = c.RegisterFlagCompletionFunc("tree", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		})
	}
}

// usageWords reads the choices of a usage text "...: a, b, c or d".
func usageWords(usage string) []string {
	_, list, ok := strings.Cut(usage, ": ")
	if !ok {
		return nil
	}
	list = strings.ReplaceAll(list, " or ", ", ")
	var out []string
	for _, w := range strings.Split(list, ",") {
		if w = strings.TrimSpace(w); w != "" && !strings.ContainsAny(w, " ()") {
			out = append(out, w)
		}
	}
	return out
}
