// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The review cases: a base tree and patches written for it, in
// testdata/review (make-patches.sh regenerates the patches).
const reviewDir = "testdata/review"

type checkJSON struct {
	Findings []struct {
		Rule       string `json:"rule"`
		File       string `json:"file"`
		Line       int    `json:"line"`
		Function   string `json:"function"`
		Introduced bool   `json:"introduced"`
		Chain      []struct {
			Function string `json:"function"`
			Line     int    `json:"line"`
		} `json:"chain"`
		Patch *struct {
			Index   int    `json:"index"`
			Total   int    `json:"total"`
			Subject string `json:"subject"`
		} `json:"patch"`
	} `json:"findings"`
	Resolved []struct {
		Rule string `json:"rule"`
		Line int    `json:"line"`
	} `json:"resolved"`
	NoTree bool `json:"no_tree"`
}

func checkBin(t *testing.T, args ...string) (checkJSON, string, int) {
	t.Helper()
	out, stderr, code := runBin(t, append([]string{"check", "--format", "json"}, args...)...)
	var r checkJSON
	if code != 2 {
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("bad JSON (%v):\n%s\nstderr: %s", err, out, stderr)
		}
	}
	return r, stderr, code
}

func TestCheckSpinlockUnderBitLock(t *testing.T) {
	r, _, code := checkBin(t, "--tree", reviewDir+"/tree", reviewDir+"/spinlock-in-bitlock.patch")
	if code != 1 || len(r.Findings) != 1 {
		t.Fatalf("exit %d, %d findings; want 1, 1: %+v", code, len(r.Findings), r.Findings)
	}
	f := r.Findings[0]
	// On the added spin_lock() line in the callee, the chain showing the
	// caller's bit lock.
	if f.Rule != "RT_SLEEPING_LOCK_IN_ATOMIC" || f.File != "drivers/bar/bar.c" || f.Line != 15 || f.Function != "bar_count_hit" || !f.Introduced {
		t.Errorf("finding = %+v, want RT_SLEEPING_LOCK_IN_ATOMIC at drivers/bar/bar.c:15 in bar_count_hit, introduced", f)
	}
	if len(f.Chain) == 0 || f.Chain[0].Function != "bar_find" {
		t.Errorf("chain %+v does not start in the caller bar_find()", f.Chain)
	}
	out, _, _ := runBin(t, "check", "--tree", reviewDir+"/tree", reviewDir+"/spinlock-in-bitlock.patch")
	for _, want := range []string{
		"ERROR:RT_SLEEPING_LOCK_IN_ATOMIC: ",
		"#18: FILE: drivers/bar/bar.c:15:\n+\tspin_lock(&b->stats_lock);\n",
		"  drivers/bar/bar.c:27: bar_find(): hlist_bl_lock(h) takes bit spinlock h",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	terse, _, _ := runBin(t, "check", "--terse", "--tree", reviewDir+"/tree", reviewDir+"/spinlock-in-bitlock.patch")
	if want := "drivers/bar/bar.c:15: ERROR:RT_SLEEPING_LOCK_IN_ATOMIC: "; !strings.HasPrefix(terse, want) || strings.Count(terse, "\n") != 1 {
		t.Errorf("terse output = %q, want one line starting %q", terse, want)
	}
	// --no-rt drops the finding: it matters only on PREEMPT_RT.
	if r, _, code := checkBin(t, "--no-rt", "--tree", reviewDir+"/tree", reviewDir+"/spinlock-in-bitlock.patch"); code != 0 || len(r.Findings) != 0 {
		t.Errorf("--no-rt: exit %d, findings %+v; want 0, none", code, r.Findings)
	}
}

// TestCheckRTExcluded: the tree's Kconfig says PREEMPT_RT does not build
// the driver, so a spinlock under local_irq_save() there is no finding;
// without the tree it is.
func TestCheckRTExcluded(t *testing.T) {
	if r, _, code := checkBin(t, "--tree", reviewDir+"/tree", reviewDir+"/rt-excluded.patch"); code != 0 || len(r.Findings) != 0 {
		t.Errorf("with the tree: exit %d, findings %+v; want none", code, r.Findings)
	}
	r, _, code := checkBin(t, "--no-tree", reviewDir+"/rt-excluded.patch")
	if code != 1 || len(r.Findings) != 1 || r.Findings[0].Rule != "RT_SLEEPING_LOCK_IN_ATOMIC" {
		t.Errorf("without the tree: exit %d, findings %+v; want the RT finding", code, r.Findings)
	}
}

func TestCheckMutexToSpinlock(t *testing.T) {
	r, _, code := checkBin(t, "--tree", reviewDir+"/tree", reviewDir+"/mutex-to-spinlock.patch")
	if code != 1 || len(r.Findings) != 1 {
		t.Fatalf("exit %d, findings %+v; want one", code, r.Findings)
	}
	if f := r.Findings[0]; f.Rule != "SLEEP_IN_ATOMIC" || f.Line != 27 || f.Function != "baz_resize" {
		t.Errorf("finding = %+v, want SLEEP_IN_ATOMIC on the added spin_lock() at baz.c:27", f)
	}
}

func TestCheckPreExistingIsNotBlamed(t *testing.T) {
	r, _, code := checkBin(t, "--tree", reviewDir+"/tree", reviewDir+"/cosmetic.patch")
	if code != 0 || len(r.Findings) != 0 || len(r.Resolved) != 0 {
		t.Fatalf("cosmetic patch: exit %d, findings %+v, resolved %+v; want nothing", code, r.Findings, r.Resolved)
	}
	r, _, code = checkBin(t, "--all", "--tree", reviewDir+"/tree", reviewDir+"/cosmetic.patch")
	if code != 0 || len(r.Findings) != 1 || r.Findings[0].Introduced || r.Findings[0].Rule != "LOCK_LEAK" {
		t.Fatalf("--all: exit %d, findings %+v; want the pre-existing LOCK_LEAK, not introduced, exit 0", code, r.Findings)
	}
}

func TestCheckFixResolves(t *testing.T) {
	r, _, code := checkBin(t, "--tree", reviewDir+"/tree", reviewDir+"/fix-leak.patch")
	if code != 0 || len(r.Findings) != 0 || len(r.Resolved) != 1 || r.Resolved[0].Rule != "LOCK_LEAK" {
		t.Fatalf("fix: exit %d, findings %+v, resolved %+v; want none and one resolved LOCK_LEAK", code, r.Findings, r.Resolved)
	}
}

func TestCheckSeriesAttributesToPatch(t *testing.T) {
	for _, input := range [][]string{
		{reviewDir + "/series/0001-bar-add-stats-lock-helpers.patch", reviewDir + "/series/0002-bar-reset-the-statistics.patch"},
		{reviewDir + "/series.mbox"},
	} {
		r, _, code := checkBin(t, append([]string{"--tree", reviewDir + "/tree"}, input...)...)
		if code != 1 || len(r.Findings) != 1 {
			t.Fatalf("%v: exit %d, findings %+v; want one", input, code, r.Findings)
		}
		f := r.Findings[0]
		if f.Patch == nil || f.Patch.Index != 2 || f.Patch.Total != 2 || f.Patch.Subject != "bar: reset the statistics" {
			t.Errorf("%v: patch = %+v, want 2/2 \"bar: reset the statistics\"", input, f.Patch)
		}
		if f.Rule != "SLEEP_IN_ATOMIC" || f.Function != "bar_reset_stats" {
			t.Errorf("%v: finding = %+v, want SLEEP_IN_ATOMIC in bar_reset_stats", input, f)
		}
	}
	// The hook's view: patch 2 alone, with patch 1 applied first.
	r, _, code := checkBin(t, "--tree", reviewDir+"/tree", "--only-patch", "1", reviewDir+"/series.mbox")
	if code != 0 || len(r.Findings) != 0 {
		t.Errorf("--only-patch 1: exit %d, findings %+v; want none", code, r.Findings)
	}
	r, _, code = checkBin(t, "--tree", reviewDir+"/tree", "--only-patch", "2", reviewDir+"/series.mbox")
	if code != 1 || len(r.Findings) != 1 {
		t.Errorf("--only-patch 2: exit %d, findings %+v; want one", code, r.Findings)
	}
}

func TestCheckNoTree(t *testing.T) {
	r, _, code := checkBin(t, "--no-tree", reviewDir+"/hunk-only.patch")
	if code != 1 || !r.NoTree || len(r.Findings) != 1 || r.Findings[0].Rule != "SLEEP_IN_ATOMIC" || r.Findings[0].Line != 37 {
		t.Fatalf("--no-tree: exit %d, no_tree %v, findings %+v; want SLEEP_IN_ATOMIC at line 37", code, r.NoTree, r.Findings)
	}
	out, _, _ := runBin(t, "check", "--no-tree", reviewDir+"/hunk-only.patch")
	if !strings.Contains(out, "only the hunks were analysed") {
		t.Errorf("--no-tree text output does not say the tree was not seen:\n%s", out)
	}
}

func TestCheckBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--tree", reviewDir + "/tree", reviewDir + "/does-not-apply.patch"},
			[]string{"drivers/qux/qux.c", "hunk #1", "does not apply"}},
		{[]string{"--tree", reviewDir + "/tree", reviewDir + "/malformed.mbox"},
			[]string{"malformed.mbox", "mail 1"}},
		{[]string{"--tree", reviewDir + "/tree", reviewDir + "/no-such.patch"},
			[]string{"no-such.patch"}},
		{[]string{"--tree", reviewDir + "/tree", "--format", "xml", reviewDir + "/cosmetic.patch"},
			[]string{"--format"}},
		{[]string{"--tree", reviewDir + "/tree", "--only-patch", "3", reviewDir + "/series.mbox"},
			[]string{"--only-patch 3"}},
	} {
		out, stderr, code := runBin(t, append([]string{"check"}, c.args...)...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		if out != "" {
			t.Errorf("%v: half-reported output on stdout: %q", c.args, out)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: error %q does not name %q", c.args, stderr, w)
			}
		}
	}
}

func TestCheckFailOnAndFormats(t *testing.T) {
	patch := reviewDir + "/mutex-to-spinlock.patch"
	if _, _, code := runBin(t, "check", "--fail-on", "never", "--tree", reviewDir+"/tree", patch); code != 0 {
		t.Errorf("--fail-on never: exit %d, want 0", code)
	}
	out, _, code := runBin(t, "check", "--format", "sarif", "--tree", reviewDir+"/tree", patch)
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID              string            `json:"ruleId"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || code != 1 {
		t.Fatalf("sarif: exit %d, %v:\n%s", code, err, out)
	}
	if sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != 1 ||
		sarif.Runs[0].Results[0].RuleID != "SLEEP_IN_ATOMIC" || len(sarif.Runs[0].Results[0].PartialFingerprints) == 0 {
		t.Errorf("sarif output does not hold the finding with a fingerprint:\n%s", out)
	}
	out, _, _ = runBin(t, "check", "--format", "b4", "--tree", reviewDir+"/tree", patch)
	var b4 []map[string]string
	if err := json.Unmarshal([]byte(out), &b4); err != nil || len(b4) != 1 || b4[0]["status"] != "fail" || b4[0]["tool"] != "lockbot" {
		t.Errorf("b4 output = %s (%v), want one failing lockbot check", out, err)
	}
}

// TestCheckStdinAndGit reads a patch from standard input, and a commit
// range from a git checkout of the review tree.
func TestCheckStdinAndGit(t *testing.T) {
	patch, err := os.ReadFile(filepath.Join("../..", reviewDir, "mutex-to-spinlock.patch"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "check", "--terse", "--tree", reviewDir+"/tree", "-")
	cmd.Dir = "../.."
	cmd.Stdin = strings.NewReader(string(patch))
	out, _ := cmd.Output()
	if !strings.Contains(string(out), "drivers/baz/baz.c:27: ERROR:SLEEP_IN_ATOMIC") {
		t.Errorf("stdin: output %q lacks the finding", out)
	}

	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		c := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"}, args...)...)
		c.Dir = repo
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	if out, err := exec.Command("cp", "-r", filepath.Join("../..", reviewDir, "tree")+"/.", repo).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-qm", "base")
	git("am", "-q", filepath.Join(mustAbs(t, "../.."), reviewDir, "spinlock-in-bitlock.patch"))
	// The tree is the checkout the command runs in; its user's files are
	// left untouched.
	before, _ := os.ReadFile(filepath.Join(repo, "drivers/bar/bar.c"))
	c := exec.Command(binary, "check", "--terse", "--git", "HEAD~1..HEAD")
	c.Dir = repo
	gout, _ := c.Output()
	if !strings.Contains(string(gout), "drivers/bar/bar.c:15: ERROR:RT_SLEEPING_LOCK_IN_ATOMIC") {
		t.Errorf("--git HEAD~1..HEAD: output %q lacks the finding", gout)
	}
	// The patch file itself, from the branch that already holds it (as
	// git send-email and b4 run): its base is found by the blob names in
	// its index lines.
	c = exec.Command(binary, "check", "--terse", filepath.Join(mustAbs(t, "../.."), reviewDir, "spinlock-in-bitlock.patch"))
	c.Dir = repo
	pout, err := c.Output()
	if !strings.Contains(string(pout), "drivers/bar/bar.c:15: ERROR:RT_SLEEPING_LOCK_IN_ATOMIC") {
		t.Errorf("patch already applied in the checkout: output %q (%v) lacks the finding", pout, err)
	}
	// A patch with a base-commit trailer this repository has is checked
	// against that commit.
	based := filepath.Join(t.TempDir(), "based.patch")
	git("format-patch", "-q", "--base=HEAD~1", "-1", "-o", filepath.Dir(based))
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(based), "0001-*.patch"))
	if len(matches) != 1 {
		t.Fatalf("format-patch wrote %v", matches)
	}
	c = exec.Command(binary, "check", matches[0])
	c.Dir = repo
	bout, _ := c.Output()
	if !strings.Contains(string(bout), "ERROR:RT_SLEEPING_LOCK_IN_ATOMIC") || !strings.Contains(string(bout), "base: base-commit ") {
		t.Errorf("patch with base-commit: output lacks the finding or the base:\n%s", bout)
	}
	after, _ := os.ReadFile(filepath.Join(repo, "drivers/bar/bar.c"))
	if string(before) != string(after) {
		t.Error("check modified the tree")
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCheckRenameCopyMode checks patches that rename, copy or change the
// mode of a file without an index line (similarity index 100%): they
// apply and review clean, both against their base and from the branch
// that holds them (as the sendemail-validate hook runs).
func TestCheckRenameCopyMode(t *testing.T) {
	repo := t.TempDir()
	git := gitIn(t, repo)
	if out, err := exec.Command("cp", "-r", filepath.Join("../..", reviewDir, "tree")+"/.", repo).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-qm", "base")
	git("mv", "drivers/baz/baz.c", "drivers/baz/baz2.c")
	git("commit", "-qm", "rename")
	if err := os.Chmod(filepath.Join(repo, "drivers/baz/baz2.c"), 0o755); err != nil {
		t.Fatal(err)
	}
	git("commit", "-qam", "mode")
	src, err := os.ReadFile(filepath.Join(repo, "drivers/baz/baz2.c"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "drivers/baz/baz3.c"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	git("add", "drivers/baz/baz3.c")
	git("commit", "-qm", "copy")
	out := t.TempDir()
	files := strings.Fields(git("format-patch", "-C", "-C", "-o", out, "main~3"))
	if len(files) != 3 {
		t.Fatalf("format-patch wrote %q, want 3 patches", files)
	}
	for i, want := range []string{"rename from drivers/baz/baz.c", "new mode 100755", "copy from drivers/baz/baz2.c"} {
		p, _ := os.ReadFile(files[i])
		if !strings.Contains(string(p), want) || strings.Contains(string(p), "\nindex ") {
			t.Fatalf("patch %d is not the shape under test (%q, no index line):\n%s", i+1, want, p)
		}
	}
	check := func(rev string, patches ...string) {
		t.Helper()
		git("checkout", "-q", rev)
		c := exec.Command(binary, append([]string{"check"}, patches...)...)
		c.Dir = repo
		out, err := c.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "0 errors") {
			t.Errorf("check at %s of %v: %v\n%s", rev, patches, err, out)
		}
	}
	check("main~3", files...) // against their base
	check("main~3", files[0])
	check("main", files...) // from the branch that holds them
	check("main", files[1])
}

// TestCheckNotC: a binary patch and a text file that is not C pass, named
// in a note.
func TestCheckNotC(t *testing.T) {
	tree := t.TempDir()
	if err := os.WriteFile(filepath.Join(tree, "README"), []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	patch := filepath.Join(t.TempDir(), "p.patch")
	if err := os.WriteFile(patch, []byte("diff --git a/README b/README\n--- a/README\n+++ b/README\n@@ -1 +1 @@\n-old\n+new\n"+
		"diff --git a/fw.bin b/fw.bin\nnew file mode 100644\nindex 0000000..1234567\nBinary files /dev/null and b/fw.bin differ\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runBin(t, "check", "--tree", tree, patch)
	if code != 0 || !strings.Contains(out, "NOTE: not C, not analysed: README, fw.bin (binary)") {
		t.Errorf("exit %d\n%s%s", code, out, stderr)
	}
}

// TestCheckGitNumbersEachCommit: with --git, each commit's "#N:" counts
// lines of that commit's own mail, as checkpatch -g numbers them.
func TestCheckGitNumbersEachCommit(t *testing.T) {
	repo := t.TempDir()
	git := gitIn(t, repo)
	write := func(src string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(repo, "a.c"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	write("static DEFINE_SPINLOCK(l);\nstatic int n;\nvoid f(void)\n{\n\tn = 0;\n}\nvoid g(void)\n{\n\tn = 1;\n}\n")
	git("add", "-A")
	git("commit", "-qm", "base")
	write("static DEFINE_SPINLOCK(l);\nstatic int n;\nvoid f(void)\n{\n\tspin_lock(&l);\n\tmsleep(1);\n\tspin_unlock(&l);\n}\nvoid g(void)\n{\n\tn = 1;\n}\n")
	git("commit", "-qam", "one")
	write("static DEFINE_SPINLOCK(l);\nstatic int n;\nvoid f(void)\n{\n\tspin_lock(&l);\n\tmsleep(1);\n\tspin_unlock(&l);\n}\nvoid g(void)\n{\n\tspin_lock(&l);\n\tmsleep(2);\n\tspin_unlock(&l);\n}\n")
	git("commit", "-qam", "two")
	want := 0
	for i, l := range strings.Split(git("format-patch", "-1", "--stdout", "--no-signature"), "\n") {
		if strings.Contains(l, "msleep(2)") {
			want = i + 1
		}
	}
	c := exec.Command(binary, "check", "--git", "HEAD~2..HEAD")
	c.Dir = repo
	out, _ := c.Output()
	if want == 0 || !strings.Contains(string(out), fmt.Sprintf("#%d: FILE: a.c:12:", want)) {
		t.Errorf("commit 2's msleep(2) is line %d of its own mail; output:\n%s", want, out)
	}
}
