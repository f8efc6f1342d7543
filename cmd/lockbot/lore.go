// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"lockbot/lore"
)

func newLore(g *globalFlags) *cobra.Command {
	var (
		configFile     string
		send, dryRun   bool
		follow, status bool
		interval       time.Duration
	)
	cmd := &cobra.Command{
		Use:   "lore --config FILE [--send | --dry-run] [--follow [--interval D]]",
		Short: "Answer patches posted to mailing lists (public-inbox archives, mboxes, Maildirs)",
		Long: `lore follows the mailing lists its configuration names (public-inbox v2
archives as lore.kernel.org serves them, or an mbox or a Maildir), groups the
patches posted into series, reviews each complete series as check does against
the configured kernel repository (the series' base-commit when the repository
has it, else the configured branch), and writes one plain-text reply per patch
that introduces a finding, threaded under it.

Replies go to the configured outbox (a Maildir or an mbox) for a person to
check, or over SMTP with --send; --dry-run prints what would be sent and
changes nothing. The state file remembers what was read and sent, so each run
picks up where the last stopped and never sends a reply twice.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{errors.New("lore takes no arguments: the lists are in --config")}
			}
			if configFile == "" {
				return usageError{errors.New("lore needs --config FILE")}
			}
			if send && dryRun {
				return usageError{errors.New("--send and --dry-run exclude each other")}
			}
			if follow && (dryRun || status) {
				return usageError{errors.New("--follow does not go with --dry-run or --status")}
			}
			if interval < time.Second {
				return usageError{errors.New("--interval must be at least 1s")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := lore.LoadConfig(configFile)
			if err != nil {
				return usageError{err}
			}
			opt := lore.Options{Send: send, KBFiles: g.kbFiles, UserAgent: "lockbot " + version, Log: g.logger()}
			if dryRun || status {
				opt.DryRun = cmd.OutOrStdout()
			}
			bot, err := lore.Open(cfg, opt)
			if err != nil {
				return err
			}
			defer bot.Close()
			if status {
				return bot.Store().Status(cmd.OutOrStdout())
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			delivered := "delivered"
			if dryRun {
				delivered = "printed (dry run: none sent)"
			}
			print := func(r lore.Report) {
				fmt.Fprintf(cmd.ErrOrStderr(), "lockbot lore: %d new messages, %d series reviewed (%d did not apply), %d replies queued, %d %s, %d delivery failures, %d stale (not sent), %d reviews unfinished, %s\n",
					r.Messages, r.Series, r.NoApply, r.Queued, r.Delivered, delivered, r.Failed, r.Stale, r.Unfinished, r.Elapsed.Round(time.Millisecond))
			}
			if follow {
				// Idle rounds say nothing: a summary every interval of a
				// quiet list buries the rounds that did something.
				return bot.Follow(ctx, interval, func(r lore.Report) {
					if !idleRound(r) {
						print(r)
					}
				})
			}
			rep, err := bot.Run(ctx)
			if rep.Elapsed > 0 {
				// A run that went to its end, but left series it had no
				// base for (the error says which): what it did still counts.
				print(rep)
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&configFile, "config", "", "the responder's configuration (lists, kernel repository, delivery)")
	fl.BoolVar(&send, "send", false, "deliver replies over SMTP (default: write them to the outbox)")
	fl.BoolVar(&dryRun, "dry-run", false, "print the replies a run would send; change nothing")
	fl.BoolVar(&follow, "follow", false, "keep running, reading the lists every --interval")
	fl.DurationVar(&interval, "interval", 5*time.Minute, "time between two reads of the lists with --follow")
	fl.BoolVar(&status, "status", false, "list the series not reviewed and the replies not sent, and exit")
	return cmd
}

// idleRound is a round of --follow that read nothing new and had nothing
// to send.
func idleRound(r lore.Report) bool {
	return r.Messages+r.Series+r.NoApply+r.Queued+r.Delivered+r.Failed+r.Stale+r.Unfinished == 0
}
