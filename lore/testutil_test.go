// SPDX-License-Identifier: GPL-2.0-only

package lore

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The series of testdata/lore (make-series.sh writes them): a clean one, one
// whose patch 2 sleeps under a bit lock, and a patch that does not apply.
const loreData = "../testdata/lore"

const (
	sleepCover  = "20261121110000.2002-quux-expire-0@example.org"
	sleepPatch1 = "20261121110000.2002-quux-expire-1@example.org"
	sleepPatch2 = "20261121110000.2002-quux-expire-2@example.org"
	baseCommit  = "826bf276826966ff9dc0d43502ab701a249f6a4f"
	listAddr    = "linux-quux@lists.example.org"
)

// t0 is the tests' clock at the start: an hour after the series' Date.
var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// needTools skips a test whose programs are missing, except in CI, which
// installs them (.ci/setup.d/lore.sh): there a missing one fails.
func needTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed; .ci/setup.d/lore.sh installs it in CI", n)
			}
			t.Skipf("%s is not installed (Debian: apt-get install public-inbox b4)", n)
		}
	}
}

// runTimeout bounds a program run: one that hangs (public-inbox-mda did
// once) fails its own test, with its stderr, rather than the package's
// run at go test's timeout.
const runTimeout = 2 * time.Minute

func run(t *testing.T, dir string, env []string, stdin []byte, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	// Children that keep the output pipes open are not waited for long.
	cmd.WaitDelay = 10 * time.Second
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w after %v", err, runTimeout)
		}
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// kernelRepo is a git repository of testdata/lore/tree, committed the way
// make-series.sh commits it, so that its commit is the series' base-commit.
func kernelRepo(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "linux")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(loreData, "tree"))); err != nil {
		t.Fatal(err)
	}
	env := []string{"GIT_AUTHOR_NAME=Ada Author", "GIT_AUTHOR_EMAIL=ada@example.org",
		"GIT_COMMITTER_NAME=Ada Author", "GIT_COMMITTER_EMAIL=ada@example.org",
		"GIT_AUTHOR_DATE=2026-11-21T10:00:00Z", "GIT_COMMITTER_DATE=2026-11-21T10:00:00Z",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1"}
	run(t, dir, env, nil, "git", "init", "-q", "-b", "main")
	// Files are added with the modes git would give the checked-in tree.
	run(t, dir, env, nil, "git", "add", "-A")
	run(t, dir, env, nil, "git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "base")
	if head := strings.TrimSpace(run(t, dir, nil, nil, "git", "rev-parse", "HEAD")); head != baseCommit {
		t.Fatalf("the test repository's commit is %s, the series name %s: rerun testdata/lore/make-series.sh", head, baseCommit)
	}
	return dir
}

// mboxMails splits an mbox of testdata/lore.
func mboxMails(t *testing.T, name string) [][]byte {
	t.Helper()
	return mboxReplies(t, filepath.Join(loreData, name))
}

// testInbox is a public-inbox v2 archive made by Debian's public-inbox.
type testInbox struct {
	dir string
	env []string
}

const inboxName = "linux-quux"

func newTestInbox(t *testing.T) *testInbox {
	t.Helper()
	needTools(t, "public-inbox-init", "public-inbox-mda", "perl")
	home := t.TempDir()
	ib := &testInbox{dir: filepath.Join(home, "inbox"), env: []string{"HOME=" + home, "PI_CONFIG=" + filepath.Join(home, "pi-config")}}
	run(t, home, ib.env, nil, "public-inbox-init", "-V2", inboxName, ib.dir, "https://lore.example.org/"+inboxName, listAddr)
	// No spam filter on the test machine.
	run(t, home, ib.env, nil, "git", "config", "-f", filepath.Join(home, "pi-config"), "publicinboxmda.spamcheck", "none")
	return ib
}

// mda delivers mails as the list's mail server would, through
// public-inbox-mda (with its checks: a Message-ID, a Date, the list among
// the recipients).
func (ib *testInbox) mda(t *testing.T, mails ...[]byte) {
	t.Helper()
	for _, m := range mails {
		run(t, ib.dir, append(ib.env, "ORIGINAL_RECIPIENT="+listAddr), m, "public-inbox-mda")
	}
}

// importMails adds many mails in one process with public-inbox's own
// writer (what public-inbox-mda calls), which is a hundred times faster
// than a process per mail.
func (ib *testInbox) importMails(t *testing.T, mails [][]byte) {
	t.Helper()
	dir := t.TempDir()
	for i, m := range mails {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%06d", i)), m, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	script, err := filepath.Abs(filepath.Join(loreData, "import.pl"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, ib.dir, ib.env, nil, "perl", script, inboxName, dir)
}

// botConfig is a configuration for one list read from source (inbox:,
// mbox: or maildir: and its path), with more YAML for the list appended.
func botConfig(t *testing.T, repo, source, listExtra, topExtra string) *Config {
	t.Helper()
	dir := t.TempDir()
	text := fmt.Sprintf(`state: state.db
from: "lockbot <lockbot@lockbot.example.org>"
kernel:
  repo: %s
  branch: main
outbox:
  path: outbox
%s
lists:
  - name: %s
    address: %s
    %s
%s
`, repo, topExtra, inboxName, listAddr, source, indent(listExtra, "    "))
	cfg, err := ParseConfig([]byte(text), dir)
	if err != nil {
		t.Fatalf("config:\n%s\n%v", text, err)
	}
	return cfg
}

func indent(s, by string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return strings.Join(lines, "\n")
}

func openBot(t *testing.T, cfg *Config, c *clock, opt Options) *Bot {
	t.Helper()
	opt.Now = c.now
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	opt.UserAgent = "lockbot test"
	b, err := Open(cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func runBot(t *testing.T, b *Bot) Report {
	t.Helper()
	rep, err := b.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// outboxMails are the files of a Maildir outbox's new/, by name.
func outboxMails(t *testing.T, dir string) [][]byte {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "new"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var out [][]byte
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, "new", n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// mailOf builds a mail for the archive.
func mailOf(from, subject, id string, extra string, body string) []byte {
	return []byte(fmt.Sprintf("From: %s\nTo: %s\nSubject: %s\nDate: Sat, 21 Nov 2026 11:30:00 +0000\nMessage-ID: <%s>\n%s\n%s", from, listAddr, subject, id, extra, body))
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
