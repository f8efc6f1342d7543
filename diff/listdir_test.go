// SPDX-License-Identifier: GPL-2.0-only

package diff

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestListDir lists a directory's regular files, in a plain directory and
// at a git commit, and refuses paths that leave the tree.
func TestListDir(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"d/a.c", "d/b.h", "d/sub/c.c"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("int x;\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("a.c", filepath.Join(dir, "d/link.c")); err != nil {
		t.Fatal(err)
	}
	want := []string{"a.c", "b.h"}
	if got, err := DirTree(dir).ListDir("d"); err != nil || !slices.Equal(got, want) {
		t.Errorf("DirTree: %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"../x", "/etc", "d/../.."} {
		if _, err := DirTree(dir).ListDir(bad); err == nil {
			t.Errorf("DirTree listed %q", bad)
		}
	}
	git := func(args ...string) {
		t.Helper()
		c := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"}, args...)...)
		c.Dir = dir
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-qm", "x")
	if err := os.Remove(filepath.Join(dir, "d/a.c")); err != nil {
		t.Fatal(err)
	}
	// The commit's files, whatever the working tree holds now; not the
	// symbolic link.
	if got, err := (GitTree{Repo: dir, Rev: "HEAD"}).ListDir("d"); err != nil || !slices.Equal(got, want) {
		t.Errorf("GitTree: %v, %v", got, err)
	}
	if _, err := (GitTree{Repo: dir, Rev: "HEAD"}).ListDir("nope"); err == nil {
		t.Error("GitTree listed a directory the commit lacks")
	}
}
