// SPDX-License-Identifier: GPL-2.0-only

// Package pgtest starts a throwaway PostgreSQL server for tests: initdb in
// a temporary directory, the server on a Unix socket there, stopped and
// removed when the test ends. It uses Debian's server binaries
// (/usr/lib/postgresql/N/bin, installed by .ci/setup.d/postgres.sh).
//
// PostgreSQL refuses to run as root, which is how CI runs: there the
// server runs as the unprivileged user "nobody" through runuser.
package pgtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"
)

// binDir finds the newest installed server's binaries.
func binDir() (string, error) {
	if d := os.Getenv("LOCKBOT_PG_BIN"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	var ok []string
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			ok = append(ok, d)
		}
	}
	if len(ok) == 0 {
		return "", fmt.Errorf("no PostgreSQL server in /usr/lib/postgresql/*/bin (Debian's postgresql; .ci/setup.d/postgres.sh installs it)")
	}
	sort.Slice(ok, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(ok[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(ok[j])))
		return vi < vj
	})
	return ok[len(ok)-1], nil
}

// Start runs a server for the test and returns a postgres:// URL to its
// database. The test is skipped when no server is installed, except in CI
// (CI set), where that is a failure: CI installs it.
func Start(t testing.TB) string {
	t.Helper()
	bin, err := binDir()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI: %v", err)
		}
		t.Skip(err)
	}
	// Not t.TempDir: its parents are private to root, and the server may
	// run as nobody.
	dir, err := os.MkdirTemp("", "lockbot-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var wrap []string
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("running as root and no user nobody to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		wrap = []string{"runuser", "-u", "nobody", "--"}
	}
	run := func(name string, args ...string) {
		t.Helper()
		argv := append(append(append([]string(nil), wrap...), filepath.Join(bin, name)), args...)
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out.String())
		}
	}
	data := filepath.Join(dir, "data")
	start := time.Now()
	run("initdb", "-D", data, "-U", "lockbot", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale", "C")
	// No TCP: the socket in dir is the only way in. fsync off: a test's
	// data need not survive a power cut.
	opts := fmt.Sprintf("-k %s -c listen_addresses= -c fsync=off -c synchronous_commit=off", dir)
	run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start")
	t.Cleanup(func() { run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop") })
	t.Logf("PostgreSQL (%s) started in %v", bin, time.Since(start).Round(time.Millisecond))
	return fmt.Sprintf("postgres://lockbot@/postgres?host=%s&sslmode=disable", dir)
}
