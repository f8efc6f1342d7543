// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lockbot/lore"
)

func TestLoreUsage(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "lore.yaml")
	if err := os.WriteFile(bad, []byte("state: s.db\nfrom: a@b.c\nkernel: {repo: .}\nlists: []\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"lore"}, "needs --config"},
		{[]string{"lore", "--config", bad, "--send", "--dry-run"}, "exclude each other"},
		{[]string{"lore", "--config", bad}, "field bogus not found"},
	} {
		_, stderr, code := runBin(t, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("lockbot %v: exit %d, %q; want 2 and %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestLoreCommand runs `lockbot lore` on an mbox of testdata/lore: a dry
// run shows the reply to patch 2, a run writes it to the outbox, and the
// next run has nothing to do.
func TestLoreCommand(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "linux")
	if err := os.CopyFS(repo, os.DirFS("../../testdata/lore/tree")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base"}} {
		if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	mbox, _ := filepath.Abs("../../testdata/lore/sleep.mbox")
	cfg := filepath.Join(dir, "lore.yaml")
	text := "state: state.db\nfrom: \"lockbot <lockbot@lockbot.example.org>\"\nkernel: {repo: linux, branch: main}\noutbox: {path: outbox}\n" +
		"lists:\n  - {name: linux-quux, address: linux-quux@lists.example.org, mbox: " + mbox + ", max_age_hours: -1}\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runBin(t, "lore", "--config", cfg, "--dry-run")
	if code != 0 || !strings.Contains(out, "In-Reply-To: <20261121110000.2002-quux-expire-2@example.org>") || !strings.Contains(out, "> +\tmsleep(1);") {
		t.Fatalf("--dry-run: exit %d\n%s\n%s", code, out, stderr)
	}
	// A dry run delivers nothing, and says so.
	if !strings.Contains(stderr, "1 printed (dry run: none sent)") || strings.Contains(stderr, "delivered") {
		t.Errorf("--dry-run summary: %s", stderr)
	}
	for _, f := range []string{"outbox", "state.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("--dry-run made %s (%v)", f, err)
		}
	}
	_, stderr, code = runBin(t, "lore", "--config", cfg)
	if code != 0 || !strings.Contains(stderr, "3 new messages, 1 series reviewed (0 did not apply), 1 replies queued, 1 delivered, 0 delivery failures, 0 stale (not sent), 0 reviews unfinished") {
		t.Fatalf("run: exit %d, %s", code, stderr)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "outbox", "new", "*")); len(files) != 1 {
		t.Errorf("%d replies in the outbox, want 1", len(files))
	}
	_, stderr, code = runBin(t, "lore", "--config", cfg)
	if code != 0 || !strings.Contains(stderr, "0 new messages, 0 series reviewed (0 did not apply), 0 replies queued, 0 delivered") {
		t.Errorf("second run: exit %d, %s", code, stderr)
	}
	// Nothing pending is said, not left silent.
	if out, _, code := runBin(t, "lore", "--config", cfg, "--status"); code != 0 || !strings.Contains(out, "nothing pending") {
		t.Errorf("--status with nothing pending: exit %d, %q", code, out)
	}
}

// TestLoreNoBase: a kernel repository without the configured branch (and
// without the series' base-commit) reviews nothing; the run reads the mail,
// says what it did, and fails naming the missing base, and the series is
// reviewed by a later run that has it.
func TestLoreNoBase(t *testing.T) {
	dir := t.TempDir()
	repo := filepath.Join(dir, "linux")
	if err := os.CopyFS(repo, os.DirFS("../../testdata/lore/tree")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base"}} {
		if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	mbox, _ := filepath.Abs("../../testdata/lore/sleep.mbox")
	cfg := filepath.Join(dir, "lore.yaml")
	text := "state: state.db\nfrom: \"lockbot <lockbot@lockbot.example.org>\"\nkernel: {repo: linux, branch: next}\noutbox: {path: outbox}\n" +
		"lists:\n  - {name: linux-quux, address: linux-quux@lists.example.org, mbox: " + mbox + ", max_age_hours: -1}\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runBin(t, "lore", "--config", cfg)
	if code == 0 || !strings.Contains(stderr, "3 new messages, 0 series reviewed") || !strings.Contains(stderr, `no commit "next"`) {
		t.Fatalf("run without the branch: exit %d, %s", code, stderr)
	}
	if out, err := exec.Command("git", "-C", repo, "branch", "next").CombinedOutput(); err != nil {
		t.Fatalf("git branch: %v\n%s", err, out)
	}
	_, stderr, code = runBin(t, "lore", "--config", cfg)
	if code != 0 || !strings.Contains(stderr, "0 new messages, 1 series reviewed (0 did not apply), 1 replies queued, 1 delivered, 0 delivery failures, 0 stale (not sent), 0 reviews unfinished") {
		t.Fatalf("run with the branch: exit %d, %s", code, stderr)
	}
}

// TestIdleRound: --follow reports the rounds that did something only.
func TestIdleRound(t *testing.T) {
	if !idleRound(lore.Report{Elapsed: time.Second}) {
		t.Error("a round that read and sent nothing is not idle")
	}
	for _, r := range []lore.Report{{Messages: 1}, {Delivered: 1}, {Failed: 1}, {Unfinished: 1}} {
		if idleRound(r) {
			t.Errorf("%+v is idle", r)
		}
	}
}
