// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lockbot/diff"
	"lockbot/kb"
	"lockbot/rules"
	"lockbot/source"
)

const testdata = "../testdata/review"

func readPatch(t *testing.T, name string) *diff.Series {
	t.Helper()
	s, err := diff.ReadFiles([]string{filepath.Join(testdata, name)}, diff.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckAnchorsOnTheAddedLine(t *testing.T) {
	res, err := Check(context.Background(), readPatch(t, "spinlock-in-bitlock.patch"),
		Options{KB: kb.MustDefault(), Tree: diff.DirTree(filepath.Join(testdata, "tree")), IncludeDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Fatalf("%d findings, want 1", len(res.Findings))
	}
	f := res.Findings[0]
	// The scan puts it on the caller's call (bar.c:30); the patch added
	// the spin_lock() in the callee, line 15, patch line 18.
	if f.File != "drivers/bar/bar.c" || f.Line != 15 || f.Function != "bar_count_hit" || f.PatchLine != 18 ||
		f.Quote != "+\tspin_lock(&b->stats_lock);" || !f.Introduced {
		t.Errorf("finding at %s:%d %s() patch line %d %q introduced=%v", f.File, f.Line, f.Function, f.PatchLine, f.Quote, f.Introduced)
	}
}

func TestCheckOnlyPatchRange(t *testing.T) {
	s := readPatch(t, "series.mbox")
	for _, n := range []int{-1, 3} {
		if _, err := Check(context.Background(), s, Options{KB: kb.MustDefault(), OnlyPatch: n}); err == nil {
			t.Errorf("OnlyPatch %d of 2: no error", n)
		}
	}
}

func TestSubtractIsAMultiset(t *testing.T) {
	f := func(fp string) *rules.Finding { return &rules.Finding{Fingerprint: fp} }
	after := []*rules.Finding{f("a"), f("a"), f("b")}
	before := []*rules.Finding{f("a"), f("c")}
	only, common := rules.SubtractFindings(after, before)
	if len(only) != 2 || only[0].Fingerprint != "a" || only[1].Fingerprint != "b" || len(common) != 1 {
		t.Errorf("only %v common %v: want a second \"a\" and \"b\" introduced", only, common)
	}
}

// TestHunkFile rebuilds the new side of a hunk inside a function: the
// function's signature from the @@ heading goes on the line before it,
// and its braces are closed after it, so that the analysis sees the lock
// and the allocation in one function.
func TestHunkFile(t *testing.T) {
	s := readPatch(t, "hunk-only.patch")
	p := s.Patches[0]
	got := string(hunkFile(p, p.Files[0], true))
	lines := strings.Split(got, "\n")
	if len(lines) < 41 {
		t.Fatalf("%d lines:\n%s", len(lines), got)
	}
	if lines[32] != "unsigned int qux_len(struct qux_queue *q) {" {
		t.Errorf("line 33 = %q, want the signature from the hunk heading", lines[32])
	}
	if lines[36] != "\tq->log = kmalloc(64, GFP_KERNEL);" {
		t.Errorf("line 37 = %q, want the added line at its own number", lines[36])
	}
	// The hunk ends with the function's own "}": nothing to close.
	if strings.Count(got, "{") != strings.Count(got, "}") {
		t.Errorf("unbalanced braces:\n%s", got)
	}
	res, err := rules.Analyze(context.Background(), []source.Source{{Path: "qux.c", Src: []byte(got)}}, rules.Options{KB: kb.MustDefault()})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Rule != "SLEEP_IN_ATOMIC" || res.Findings[0].Line != 37 {
		t.Errorf("findings %+v, want SLEEP_IN_ATOMIC at line 37", res.Findings)
	}
}

func TestHunkHelpers(t *testing.T) {
	for _, c := range []struct {
		body []string
		want bool
	}{
		{[]string{"", "\tspin_lock(&q->lock);"}, true},
		{[]string{"}", "", "int f(void)"}, true},
		{[]string{"static int g;", "\tx"}, false},
	} {
		if got := startsInside(c.body); got != c.want {
			t.Errorf("startsInside(%q) = %v", c.body, got)
		}
	}
	for h, want := range map[string]bool{
		"unsigned int qux_len(struct qux_queue *q)": true,
		"static int foo(struct x *a,":               false,
		"struct qux_queue {":                        false,
		"#define X(a) (a)":                          false,
		"int x = f(1);":                             false,
	} {
		if got := isSignature(h); got != want {
			t.Errorf("isSignature(%q) = %v, want %v", h, got, want)
		}
	}
	if d := braceDepth([]string{`	if (x) { /* } */`, `		s = "{";`, `	// }`, `	c = '{';`}); d != 1 {
		t.Errorf("braceDepth = %d, want 1 (comments and literals do not count)", d)
	}
}

// TestPreimageTree finds a patch's base in a checkout that already holds
// the patch: the blob its index line names.
func TestPreimageTree(t *testing.T) {
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		c := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"}, args...)...)
		c.Dir = repo
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if out, err := exec.Command("cp", "-r", filepath.Join(testdata, "tree")+"/.", repo).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-qm", "base")
	base, err := os.ReadFile(filepath.Join(repo, "drivers/bar/bar.c"))
	if err != nil {
		t.Fatal(err)
	}
	patch, _ := filepath.Abs(filepath.Join(testdata, "spinlock-in-bitlock.patch"))
	git("am", "-q", patch)
	s := readPatch(t, "spinlock-in-bitlock.patch")
	tr := NewPreimageTree(repo, s)
	got, err := tr.ReadFile("drivers/bar/bar.c")
	if err != nil || string(got) != string(base) {
		t.Errorf("touched file: %v; got the working tree's version, not the patch's base", err)
	}
	// Files the series does not touch come from the working tree.
	if h, err := tr.ReadFile("drivers/bar/bar.h"); err != nil || !strings.Contains(string(h), "struct bar_entry") {
		t.Errorf("untouched header: %v", err)
	}
	snaps, err := diff.ApplySeries(tr, s)
	if err != nil || len(snaps) != 1 {
		t.Fatalf("the patch does not apply to its found base: %v", err)
	}
	// A file the series creates is absent from its base.
	created := &PreimageTree{Dir: repo, want: map[string]string{"drivers/bar/bar.c": ""}, work: diff.DirTree(repo)}
	if _, err := created.ReadFile("drivers/bar/bar.c"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("created file: err %v, want not exist", err)
	}
}
