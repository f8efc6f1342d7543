// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"lockbot/forge"
	"lockbot/forge/fakegithub"
	"lockbot/forge/store"
	"lockbot/kb"
)

// demoTimeout bounds the demo's one review.
const demoTimeout = 2 * time.Minute

// runServeDemo runs the App as serve does, against an in-process fake of
// GitHub holding one repository (tree) and one pull request (patch): it
// delivers the "opened" webhook, waits for the review, prints what the
// App posted, and exits. An operator sees what the App would do without
// registering one.
func runServeDemo(ctx context.Context, w io.Writer, log *slog.Logger, cfg forge.Config, kbFiles []string, tree, patchFile string) error {
	files := map[string][]byte{}
	err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(tree, p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		return usageError{fmt.Errorf("--demo-tree: %w", err)}
	}
	patch, err := os.ReadFile(patchFile)
	if err != nil {
		return usageError{fmt.Errorf("--demo-patch: %w", err)}
	}
	fake := fakegithub.New()
	defer fake.Close()
	base := fake.AddRepo("kernel", "linux", 77, files)
	if _, err := fake.OpenPR("kernel", "linux", 1, base, string(patch)); err != nil {
		return usageError{fmt.Errorf("--demo-patch: %w", err)}
	}
	dir, err := os.MkdirTemp("", "lockbot-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	cfg.Store, cfg.Log, cfg.AppID, cfg.PrivateKey, cfg.WebhookSecret, cfg.APIURL = st, log, 4242, fake.KeyPEM(), fake.WebhookSecret, fake.URL
	if cfg.KB, err = kb.Load(kbFiles...); err != nil {
		return err
	}
	srv, err := forge.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	rctx, stop := context.WithTimeout(ctx, demoTimeout)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Run(rctx, ln) }()
	resp, err := fake.Deliver("http://"+ln.Addr().String()+"/webhook", "pull_request", "demo-1",
		fake.PullRequestEvent("opened", "kernel", "linux", 1), fake.WebhookSecret)
	if err != nil {
		return err
	}
	resp.Body.Close()
	for {
		runs, _ := fake.CheckRuns("kernel", "linux")
		if len(runs) > 0 && runs[len(runs)-1].GetStatus() == "completed" {
			break
		}
		select {
		case <-rctx.Done():
			return errors.New("demo: the review did not finish in time")
		case <-time.After(50 * time.Millisecond):
		}
	}
	stop()
	<-served
	pr := fake.PR("kernel", "linux", 1)
	fmt.Fprintf(w, "The App would post on pull request kernel/linux#1 (%s):\n", patchFile)
	for _, r := range pr.Reviews {
		fmt.Fprintf(w, "\n=== review (%s)\n%s\n", r.GetState(), r.GetBody())
	}
	for _, c := range pr.Comments {
		fmt.Fprintf(w, "\n=== comment on %s:%d\n%s\n", c.GetPath(), c.GetLine(), c.GetBody())
	}
	runs, notes := fake.CheckRuns("kernel", "linux")
	for _, r := range runs {
		fmt.Fprintf(w, "\n=== check run %q: %s, %s\n", r.GetName(), r.GetConclusion(), r.GetOutput().GetTitle())
		for _, a := range notes[r.GetID()] {
			fmt.Fprintf(w, "  %s:%d %s: %s\n", a.GetPath(), a.GetStartLine(), a.GetAnnotationLevel(), a.GetMessage())
		}
	}
	return nil
}
