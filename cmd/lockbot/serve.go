// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"lockbot/forge"
	"lockbot/forge/store"
	"lockbot/kb"
)

type serveFlags struct {
	listen, db, keyFile, secretFile, apiURL, index string
	kconfig, metricsListen                         string
	demo                                           bool
	demoTree, demoPatch                            string
	appID                                          int64
	cfg                                            forge.Config
}

func newServe(g *globalFlags) *cobra.Command {
	var sf serveFlags
	cmd := &cobra.Command{
		Use:   "serve --app-id ID --private-key FILE --webhook-secret-file FILE [flags]",
		Short: "Run the GitHub App: review pull requests from webhooks",
		Long: `serve runs lockbot as a GitHub App. It answers GitHub's webhooks on POST
/webhook (each signed with the webhook secret, or refused), queues a review for
each pull request opened, pushed to, reopened or marked ready, and posts one
review per push whose comments sit on the lines that introduced each problem,
plus a check run "lockbot". GET /healthz and GET /metrics (Prometheus) are
served on the same address.

The queue and what was posted live in --db: a bbolt file (one replica), or a
postgres:// URL (several replicas). The secret can also come from
LOCKBOT_WEBHOOK_SECRET, the App ID from LOCKBOT_APP_ID. --demo shows what the App
posts, on a fake GitHub with one pull request, without registering an App.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runServe(cmd, g, &sf) },
	}
	fl := cmd.Flags()
	fl.StringVar(&sf.listen, "listen", ":8080", "address to serve webhooks, /healthz and /metrics on")
	fl.StringVar(&sf.metricsListen, "metrics-listen", "", "serve /metrics (and /healthz) on this address instead, apart from the public webhook port (127.0.0.1:9100)")
	fl.StringVar(&sf.db, "db", "lockbot-serve.db", "state: a bbolt file, or a postgres:// URL")
	fl.BoolVar(&sf.demo, "demo", false, "review one pull request on an in-process fake of GitHub, print what the App posts, and exit (no App needed)")
	fl.StringVar(&sf.demoTree, "demo-tree", "testdata/review/tree", "with --demo: the repository's files")
	fl.StringVar(&sf.demoPatch, "demo-patch", "testdata/review/spinlock-in-bitlock.patch", "with --demo: the pull request's patch")
	fl.Int64Var(&sf.appID, "app-id", 0, "the GitHub App's ID")
	fl.StringVar(&sf.keyFile, "private-key", "", "the App's private key (PEM file, as GitHub issues it)")
	fl.StringVar(&sf.secretFile, "webhook-secret-file", "", "file holding the App's webhook secret")
	fl.StringVar(&sf.apiURL, "github-url", "https://api.github.com", "GitHub's REST API (GitHub Enterprise Server: https://HOST/api/v3)")
	fl.StringVar(&sf.index, "index", "", "a lockbot index of the tree the repositories follow, for callees in other files")
	fl.StringVar(&sf.kconfig, "kconfig", "", "kernel configuration that resolves #ifdef variants and which files are built: a .config (plain, gzip or xz); default none")
	fl.IntVar(&sf.cfg.Workers, "workers", 2, "reviews run at once")
	fl.DurationVar(&sf.cfg.Lease, "lease", 2*time.Minute, "how long a job stays a worker's without a heartbeat")
	fl.IntVar(&sf.cfg.MaxFiles, "max-files", 300, "pull requests changing more files are not reviewed")
	fl.IntVar(&sf.cfg.MaxLines, "max-lines", 20000, "pull requests changing more lines are not reviewed")
	fl.Int64Var(&sf.cfg.MaxFileBytes, "max-file-bytes", 8<<20, "larger files are not read")
	fl.Int64Var(&sf.cfg.MaxBody, "max-body", forge.DefaultMaxBody, "larger webhook deliveries are refused")
	fl.IntVar(&sf.cfg.MaxInflight, "max-inflight", 8, "webhook bodies read at once; past it, deliveries are answered 503")
	fl.IntVar(&sf.cfg.MaxAttempts, "max-attempts", 5, "attempts at a job before it is given up and its check run says so")
	fl.DurationVar(&sf.cfg.MaxRateWait, "max-rate-wait", 30*time.Second, "longest wait in place for a GitHub rate limit; longer ones requeue the job")
	return cmd
}

func runServe(cmd *cobra.Command, g *globalFlags, sf *serveFlags) error {
	level := slog.LevelInfo
	if g.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	cfg := sf.cfg
	cfg.Log, cfg.APIURL, cfg.IndexPath, cfg.KBFiles, cfg.Kconfig = log, sf.apiURL, sf.index, g.kbFiles, sf.kconfig
	if sf.demo {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return runServeDemo(ctx, cmd.OutOrStdout(), log, cfg, g.kbFiles, sf.demoTree, sf.demoPatch)
	}
	cfg.AppID = sf.appID
	if cfg.AppID == 0 {
		if v := os.Getenv("LOCKBOT_APP_ID"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return usageError{fmt.Errorf("LOCKBOT_APP_ID: %w", err)}
			}
			cfg.AppID = id
		}
	}
	if cfg.AppID <= 0 {
		return usageError{errors.New("serve needs the App's ID: --app-id or LOCKBOT_APP_ID")}
	}
	if sf.keyFile == "" {
		return usageError{errors.New("serve needs the App's private key: --private-key FILE")}
	}
	key, err := readSecretFile(sf.keyFile)
	if err != nil {
		return usageError{fmt.Errorf("--private-key: %w", err)}
	}
	cfg.PrivateKey = key
	if sf.secretFile != "" {
		secret, err := readSecretFile(sf.secretFile)
		if err != nil {
			return usageError{fmt.Errorf("--webhook-secret-file: %w", err)}
		}
		cfg.WebhookSecret = bytes.TrimRight(secret, "\r\n")
	} else {
		cfg.WebhookSecret = []byte(os.Getenv("LOCKBOT_WEBHOOK_SECRET"))
	}
	if len(cfg.WebhookSecret) == 0 {
		return usageError{errors.New("serve needs the webhook secret: --webhook-secret-file FILE or LOCKBOT_WEBHOOK_SECRET")}
	}
	if cfg.KB, err = kb.Load(g.kbFiles...); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := store.Open(ctx, sf.db)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg.Store = st
	cfg.MetricsApart = sf.metricsListen != ""
	srv, err := forge.New(cfg)
	if err != nil {
		return usageError{err}
	}
	ln, err := net.Listen("tcp", sf.listen)
	if err != nil {
		return err
	}
	if sf.metricsListen != "" {
		mln, err := net.Listen("tcp", sf.metricsListen)
		if err != nil {
			ln.Close()
			return err
		}
		ms := &http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}
		go ms.Serve(mln)
		defer ms.Close()
		log.Info("lockbot serve: metrics", "addr", mln.Addr().String())
	}
	log.Info("lockbot serve: listening", "addr", ln.Addr().String(), "db", store.Describe(sf.db), "app", cfg.AppID)
	err = srv.Run(ctx, ln)
	log.Info("lockbot serve: stopped", "err", err)
	return err
}

// maxSecretFile bounds a secret file: a PEM key of 4096-bit RSA is about
// 3 KB, a webhook secret tens of bytes.
const maxSecretFile = 64 << 10

// readSecretFile reads the App's private key or its webhook secret,
// refusing, as ssh does a private key, a file another user could read or
// replace: one open to its group or to others, or owned by another user.
// Whoever reads the key acts as the App on every installation; whoever
// writes the secret can sign deliveries. A FIFO or a device is refused
// too: reading one may never end.
func readSecretFile(path string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO to read it waits for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The open file's own, whatever a symlink or a rename does meanwhile.
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s is mode %04o, open to its group or others; it must be the owner's alone: chmod 600 %s", path, perm, path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return nil, fmt.Errorf("%s is owned by uid %d, not by the user lockbot runs as (uid %d): chown %d %s", path, st.Uid, os.Getuid(), os.Getuid(), path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > maxSecretFile {
		return nil, fmt.Errorf("%s is over %d bytes: not a key or a secret", path, maxSecretFile)
	}
	return data, nil
}
