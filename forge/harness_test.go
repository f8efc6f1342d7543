// SPDX-License-Identifier: GPL-2.0-only

package forge

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lockbot/forge/fakegithub"
	"lockbot/forge/store"
	"lockbot/kb"
)

const (
	owner = "kernel"
	repo  = "linux"
	inst  = 77
)

// harness is a fake GitHub holding kernel/linux (testdata/review/tree at
// its base commit), and a running App pointed at it.
type harness struct {
	t     *testing.T
	fake  *fakegithub.Server
	st    store.Store
	srv   *Server
	cfg   Config
	url   string
	base  string
	n     atomic.Int64
	files map[string][]byte
}

var testKB = kb.MustDefault()

func readTree(t testing.TB, dir string) map[string][]byte {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func patch(t testing.TB, name string) string {
	data, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func boltStore(t testing.TB) store.Store {
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newHarness starts the App; edit changes its configuration first.
func newHarness(t *testing.T, st store.Store, edit func(*Config)) *harness {
	t.Helper()
	fake := fakegithub.New()
	t.Cleanup(fake.Close)
	h := &harness{t: t, fake: fake, st: st, files: readTree(t, "../testdata/review/tree")}
	h.base = fake.AddRepo(owner, repo, inst, h.files)
	h.cfg = Config{AppID: fake.AppID, PrivateKey: fake.KeyPEM(), WebhookSecret: fake.WebhookSecret, APIURL: fake.URL,
		Store: st, KB: testKB, Lease: 3 * time.Second, Poll: 50 * time.Millisecond, MaxRateWait: 5 * time.Second,
		Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if edit != nil {
		edit(&h.cfg)
	}
	h.srv, h.url = h.replica(st)
	return h
}

// replica starts a server on the harness's configuration with store st:
// another replica when st is the first one's database.
func (h *harness) replica(st store.Store) (*Server, string) {
	h.t.Helper()
	cfg := h.cfg
	cfg.Store = st
	srv, err := New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Run(ctx, ln); err != nil {
			h.t.Error(err)
		}
	}()
	h.t.Cleanup(func() { cancel(); <-done })
	return srv, "http://" + ln.Addr().String()
}

// testWriter sends the server's log to the test's, shown on failure.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// deliver sends a signed webhook and returns its delivery ID, failing
// the test unless it is acknowledged with want.
func (h *harness) deliver(event string, payload any, want int) string {
	h.t.Helper()
	id := fmt.Sprintf("delivery-%d", h.n.Add(1))
	h.deliverID(id, event, payload, want)
	return id
}

func (h *harness) deliverID(id, event string, payload any, want int) {
	h.t.Helper()
	resp, err := h.fake.Deliver(h.url+"/webhook", event, id, payload, h.fake.WebhookSecret)
	if err != nil {
		h.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		h.t.Fatalf("delivery %s (%s): %d %s, want %d", id, event, resp.StatusCode, body, want)
	}
}

// open opens PR n with patch and delivers pull_request.opened.
func (h *harness) open(n int, p string) (head, delivery string) {
	h.t.Helper()
	head, err := h.fake.OpenPR(owner, repo, n, h.base, p)
	if err != nil {
		h.t.Fatal(err)
	}
	return head, h.deliver("pull_request", h.fake.PullRequestEvent("opened", owner, repo, n), http.StatusAccepted)
}

// push moves PR n to patch and delivers pull_request.synchronize.
func (h *harness) push(n int, p string) (head, delivery string) {
	h.t.Helper()
	head, err := h.fake.Push(owner, repo, n, p)
	if err != nil {
		h.t.Fatal(err)
	}
	return head, h.deliver("pull_request", h.fake.PullRequestEvent("synchronize", owner, repo, n), http.StatusAccepted)
}

// wait waits for the jobs of a delivery to end and returns them.
func (h *harness) wait(delivery string) []*store.Job {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		jobs, err := h.st.Jobs(context.Background(), delivery)
		if err != nil {
			h.t.Fatal(err)
		}
		ended := len(jobs) > 0
		for _, j := range jobs {
			if j.State == store.Queued || j.State == store.Running {
				ended = false
			}
		}
		if ended {
			return jobs
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("delivery %s: jobs not ended: %+v", delivery, jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// done waits for a delivery's single job and checks it ended as want.
func (h *harness) done(delivery, want string) *store.Job {
	h.t.Helper()
	jobs := h.wait(delivery)
	if len(jobs) != 1 || jobs[0].State != want {
		h.t.Fatalf("delivery %s: jobs %+v, want one %s", delivery, jobs[0], want)
	}
	return jobs[0]
}

// metric reads one series from /metrics ("name{labels}" as exposed).
func (h *harness) metric(series string) string {
	h.t.Helper()
	resp, err := http.Get(h.url + "/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}
