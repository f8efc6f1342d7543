// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSendEmailHook installs the hook with the real binary and sends
// series with git send-email --dry-run: a series with a lock bug is not
// sent, a clean one is. Debian packages git send-email apart (git-email).
func TestSendEmailHook(t *testing.T) {
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skipf("git --exec-path: %v", err)
	}
	if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(execPath)), "git-send-email")); err != nil {
		t.Skipf("git send-email is not installed (Debian: git-email): %v", err)
	}
	t.Setenv("HOME", t.TempDir()) // no user configuration
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	repo := t.TempDir()
	git := gitIn(t, repo)
	if out, err := exec.Command("cp", "-r", filepath.Join("../..", reviewDir, "tree")+"/.", repo).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-qm", "base")
	install := exec.Command(binary, "hook", "install")
	install.Dir = repo
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("hook install: %v\n%s", err, out)
	}
	patchDir := mustAbs(t, filepath.Join("../..", reviewDir))
	series := func(name string, patches ...string) []string {
		git("checkout", "-q", "-B", name, "main")
		for _, p := range patches {
			git("am", "-q", filepath.Join(patchDir, p))
		}
		out := git("format-patch", "-o", filepath.Join(t.TempDir(), name), "main")
		return strings.Fields(out)
	}
	send := func(files []string) (string, error) {
		c := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.org",
			"send-email", "--dry-run", "--to", "x@example.org", "--from", "t <t@example.org>",
			"--suppress-cc=all", "--confirm=never", "--smtp-server=/bin/true"}, files...)...)
		c.Dir = repo
		out, err := c.CombinedOutput()
		return string(out), err
	}

	clean := series("clean", "cosmetic.patch", "fix-leak.patch")
	if len(clean) != 2 {
		t.Fatalf("format-patch wrote %q, want 2 patches", clean)
	}
	out, err := send(clean)
	if err != nil || strings.Count(out, "Dry-OK") != 2 {
		t.Errorf("clean series not sent: %v\n%s", err, out)
	}

	bad := series("bad", "cosmetic.patch", "mutex-to-spinlock.patch")
	out, err = send(bad)
	if err == nil || strings.Contains(out, "Dry-OK") {
		t.Errorf("series with a lock bug was sent: %v\n%s", err, out)
	}
	for _, want := range []string{"ERROR:SLEEP_IN_ATOMIC: ", "drivers/baz/baz.c:27", "nothing was sent"} {
		if !strings.Contains(out, want) {
			t.Errorf("send-email output lacks %q:\n%s", want, out)
		}
	}

	// git 2.42 and later number the messages: the hook checks patch 2 with
	// patch 1 applied. This git may be older, so run the hook as it would.
	helper := series("helper", "series/0001-bar-add-stats-lock-helpers.patch", "series/0002-bar-reset-the-statistics.patch")
	hookPath := filepath.Join(repo, ".git", "hooks", "sendemail-validate")
	for i, p := range helper {
		c := exec.Command(hookPath, p)
		c.Dir = repo
		c.Env = append(os.Environ(), "GIT_SENDEMAIL_FILE_COUNTER="+string(rune('1'+i)), "GIT_SENDEMAIL_FILE_TOTAL=2")
		out, err := c.CombinedOutput()
		switch i {
		case 0:
			if err != nil {
				t.Errorf("hook on patch 1/2 (adds the helpers): %v\n%s", err, out)
			}
		case 1:
			if err == nil || !strings.Contains(string(out), "ERROR:SLEEP_IN_ATOMIC: msleep(1)") {
				t.Errorf("hook on patch 2/2 (sleeps under the helper's lock): %v\n%s", err, out)
			}
		}
	}

	// lockbot's own trouble is not the patch's: a patch that does not
	// apply to the checkout, or a mail in a charset lockbot cannot read,
	// is sent with a warning; findings still stop the send.
	git("checkout", "-q", "main")
	out, err = send([]string{filepath.Join(patchDir, "does-not-apply.patch")})
	if err != nil || !strings.Contains(out, "Dry-OK") || !strings.Contains(out, "warning: lockbot check could not review") {
		t.Errorf("patch that does not apply: not sent with a warning: %v\n%s", err, out)
	}
	git("checkout", "-q", "-B", "cp1252", "main")
	baz := filepath.Join(repo, "drivers/baz/baz.c")
	src, _ := os.ReadFile(baz)
	if err := os.WriteFile(baz, append(src, []byte("/* quoted */\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	msg := filepath.Join(t.TempDir(), "msg")
	// "\x93baz\x94" are windows-1252's curly quotes, which Latin-1 lacks.
	if err := os.WriteFile(msg, []byte("baz: a comment \x93quoted\x94\n\nSigned-off-by: Ren\xe9 <r@example.org>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git("-c", "i18n.commitEncoding=windows-1252", "commit", "-qa", "-F", msg)
	cp := strings.Fields(git("format-patch", "--encoding=windows-1252", "-o", filepath.Join(t.TempDir(), "cp1252"), "main"))
	if p, _ := os.ReadFile(cp[0]); !strings.Contains(string(p), "charset=windows-1252") {
		t.Fatalf("format-patch did not write a windows-1252 mail:\n%s", p)
	}
	out, err = send(cp)
	if err != nil || !strings.Contains(out, "Dry-OK") {
		t.Errorf("windows-1252 mail not sent: %v\n%s", err, out)
	}
}
