// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"lockbot/diff"
	"lockbot/index"
	"lockbot/kb"
)

// overlay is a tree with some files put over another: testdata/review/tree
// with the .lockbot.yaml and kb files a test gives it.
type overlay struct {
	diff.Tree
	files map[string]string
}

func (o overlay) ReadFile(p string) ([]byte, error) {
	if s, ok := o.files[p]; ok {
		return []byte(s), nil
	}
	return o.Tree.ReadFile(p)
}

func reviewTree(files map[string]string) diff.Tree {
	return overlay{diff.DirTree(filepath.Join(testdata, "tree")), files}
}

// logHit adds a call of bar_log_hit(), which the tree does not define, in
// bar_count_hit(), which bar_find() calls under a bucket's bit lock: a
// finding only when something says bar_log_hit() sleeps.
const logHit = `diff --git a/drivers/bar/bar.c b/drivers/bar/bar.c
--- a/drivers/bar/bar.c
+++ b/drivers/bar/bar.c
@@ -13,4 +13,5 @@ static struct hlist_bl_head *bar_bucket(struct bar *b, unsigned long key)
 static void bar_count_hit(struct bar *b, struct bar_entry *e)
 {
+	bar_log_hit(b);
 	e->hits++;
 }
`

const logHitSleeps = "functions:\n  bar_log_hit: {sleeps: true, src: drivers/bar/bar_log.c}\n"

func readDiff(t *testing.T, text string) *diff.Series {
	t.Helper()
	s, err := diff.Read(strings.NewReader(text), diff.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func open(t *testing.T, s Setup) *Reviewer {
	t.Helper()
	r, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func rulesOf(fs []*Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+":"+string(f.Severity))
	}
	return out
}

// TestReviewerFollowsTheBaseSettings: with SettingsFromBase, the base's
// .lockbot.yaml decides the rules, severities and PREEMPT_RT, and the kb
// files it names, read from the base, extend the knowledge base.
func TestReviewerFollowsTheBaseSettings(t *testing.T) {
	r := open(t, Setup{SettingsFromBase: true, IncludeDepth: 2})
	ctx := context.Background()
	rt := readPatch(t, "spinlock-in-bitlock.patch")
	for _, tc := range []struct {
		settings string
		want     []string
		noRT     bool
	}{
		{"", []string{"RT_SLEEPING_LOCK_IN_ATOMIC:error"}, false},
		{"rules: {severity: {RT_SLEEPING_LOCK_IN_ATOMIC: warning}}\n", []string{"RT_SLEEPING_LOCK_IN_ATOMIC:warning"}, false},
		{"rules: {disable: [RT_SLEEPING_LOCK_IN_ATOMIC]}\n", nil, false},
		{"rt: false\n", nil, true},
	} {
		files := map[string]string{}
		if tc.settings != "" {
			files[".lockbot.yaml"] = tc.settings
		}
		out, err := r.Review(ctx, Base{Tree: reviewTree(files), Label: "master at 1234"}, rt)
		if err != nil {
			t.Fatalf("%q: %v", tc.settings, err)
		}
		if got := rulesOf(out.Result.Findings); !slices.Equal(got, tc.want) || out.NoRT != tc.noRT || out.Base != "master at 1234" {
			t.Errorf("%q: findings %v noRT %v base %q, want %v noRT %v", tc.settings, got, out.NoRT, out.Base, tc.want, tc.noRT)
		}
	}

	s := readDiff(t, logHit)
	out, err := r.Review(ctx, Base{Tree: reviewTree(nil)}, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Result.Findings) != 0 {
		t.Fatalf("without a kb file: findings %v, want none", rulesOf(out.Result.Findings))
	}
	withKB := map[string]string{".lockbot.yaml": "kb: [tools/lockbot/extra.yaml]\n", "tools/lockbot/extra.yaml": logHitSleeps}
	out, err = r.Review(ctx, Base{Tree: reviewTree(withKB)}, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := rulesOf(out.Result.Findings); !slices.Equal(got, []string{"SLEEP_IN_ATOMIC:error"}) {
		t.Errorf("with the base's kb file: findings %v, want SLEEP_IN_ATOMIC", got)
	}

	// The App reads the settings of another commit than the one it
	// applies the series to: the base branch's head.
	out, err = r.Review(ctx, Base{Tree: reviewTree(nil), Settings: reviewTree(withKB)}, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Result.Findings) != 1 {
		t.Errorf("settings of Base.Settings: %d findings, want the one its kb file makes", len(out.Result.Findings))
	}
}

// TestReviewerCachesTheBaseKB: a base with the same kb files as the last
// one reuses its knowledge base; a changed file makes another.
func TestReviewerCachesTheBaseKB(t *testing.T) {
	r := open(t, Setup{SettingsFromBase: true})
	files := map[string]string{".lockbot.yaml": "kb: [extra.yaml]\n", "extra.yaml": logHitSleeps}
	kbOf := func() *kb.KB {
		t.Helper()
		_, k, err := r.settings(Base{Tree: reviewTree(files)})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	first := kbOf()
	if first == r.kb || first.Funcs["bar_log_hit"] == nil {
		t.Fatal("the base's kb file did not extend the knowledge base")
	}
	if again := kbOf(); again != first {
		t.Error("the same kb file loaded the knowledge base again")
	}
	files["extra.yaml"] = strings.Replace(logHitSleeps, "sleeps: true", "sleeps: false", 1)
	if changed := kbOf(); changed == first || changed.Funcs["bar_log_hit"].Sleeps {
		t.Error("a changed kb file gave the cached knowledge base")
	}
}

// TestReviewerBadBaseSettings: what is wrong with a base's settings is a
// *SettingsError naming the file, the tree's path of it.
func TestReviewerBadBaseSettings(t *testing.T) {
	r := open(t, Setup{SettingsFromBase: true})
	s := readPatch(t, "spinlock-in-bitlock.patch")
	for _, tc := range []struct {
		files map[string]string
		want  []string
	}{
		{map[string]string{".lockbot.yaml": "rules: {disable: [NO_SUCH_RULE]}\n"}, []string{"base:.lockbot.yaml", "NO_SUCH_RULE"}},
		{map[string]string{".lockbot.yaml": "kb: [extra.yaml]\n"}, []string{"base:.lockbot.yaml", "extra.yaml"}},
		{map[string]string{".lockbot.yaml": "kb: [kb/extra.yaml]\n", "kb/extra.yaml": "functions: [\n"}, []string{"kb/extra.yaml"}},
		{map[string]string{".lockbot.yaml": "kb: [kb/extra.yaml]\n", "kb/extra.yaml": "functions:\n  f: {acquire: spinlok, src: x.h}\n"},
			[]string{"base:.lockbot.yaml", "spinlok"}},
	} {
		b := Base{Tree: reviewTree(tc.files), SettingsRev: "base"}
		_, err := r.Review(context.Background(), b, s)
		var se *SettingsError
		if !errors.As(err, &se) {
			t.Errorf("%v: error %v, want a *SettingsError", tc.files, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q does not say %q", tc.files, err, w)
			}
		}
		if _, serr := r.Settings(b); serr == nil || serr.Error() != err.Error() {
			t.Errorf("Settings: %v, want Review's error", serr)
		}
	}
	// A tree that cannot be read is not the settings' fault.
	broken := failingTree{}
	if _, err := r.Review(context.Background(), Base{Tree: broken}, s); err == nil || errors.As(err, new(*SettingsError)) {
		t.Errorf("unreadable settings: %v, want an error that is not a *SettingsError", err)
	}
}

type failingTree struct{}

func (failingTree) ReadFile(p string) ([]byte, error) {
	return nil, &fs.PathError{Op: "read", Path: p, Err: errors.New("connection reset")}
}

// TestReviewerSettingsFile: a settings file of this machine is read once,
// by Open, which fails naming it when it is bad; its kb files (paths of
// this machine) join the knowledge base, and the base's own .lockbot.yaml
// is not read.
func TestReviewerSettingsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("extra.yaml", logHitSleeps)
	settings := write("lockbot.yaml", "kb: [extra.yaml]\nrules: {severity: {SLEEP_IN_ATOMIC: warning}}\n")
	r := open(t, Setup{Settings: settings})
	base := Base{Tree: reviewTree(map[string]string{".lockbot.yaml": "rules: {disable: [SLEEP_IN_ATOMIC]}\n"})}
	out, err := r.Review(context.Background(), base, readDiff(t, logHit))
	if err != nil {
		t.Fatal(err)
	}
	if got := rulesOf(out.Result.Findings); !slices.Equal(got, []string{"SLEEP_IN_ATOMIC:warning"}) {
		t.Errorf("findings %v, want SLEEP_IN_ATOMIC at the settings file's severity", got)
	}

	bad := write("bad.yaml", "rules: {disable: [NO_SUCH_RULE]}\n")
	if _, err := Open(Setup{Settings: bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad settings file: %v, want an error naming %s", err, bad)
	}
	if _, err := Open(Setup{Settings: settings, SettingsFromBase: true}); err == nil {
		t.Error("a settings file and the base's settings: no error")
	}
}

// TestReviewerKconfig: with the tree's Kconfig, a driver PREEMPT_RT does
// not build is out of the RT-only rules; without it, it is not.
func TestReviewerKconfig(t *testing.T) {
	s := readPatch(t, "rt-excluded.patch")
	for _, kconfig := range []string{"", filepath.Join(testdata, "tree")} {
		r := open(t, Setup{Kconfig: kconfig, IncludeDepth: 2})
		out, err := r.Review(context.Background(), Base{Tree: reviewTree(nil)}, s)
		if err != nil {
			t.Fatal(err)
		}
		if want := kconfig == ""; (len(out.Result.Findings) == 1) != want {
			t.Errorf("Kconfig %q: findings %v", kconfig, rulesOf(out.Result.Findings))
		}
	}
}

// TestReviewerIndex: the index is used under the knowledge base it was
// built with, and not under one a base's kb files extend.
func TestReviewerIndex(t *testing.T) {
	tree := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join(testdata, "tree")+"/.", tree).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	// bar_log_hit() sleeps in a file of its own, which only the index
	// sees.
	src := "#include <linux/delay.h>\nstruct bar;\nvoid bar_log_hit(struct bar *b)\n{\n\tmsleep(1);\n}\n"
	if err := os.WriteFile(filepath.Join(tree, "drivers/bar/bar_log.c"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	path := buildIndex(t, tree)
	r := open(t, Setup{SettingsFromBase: true, IncludeDepth: 2, OpenIndex: func(k *kb.KB) (*index.Index, error) {
		return index.OpenWith(path, k, index.OpenOptions{})
	}})
	s := readDiff(t, logHit)
	out, err := r.Review(context.Background(), Base{Tree: diff.DirTree(tree)}, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := rulesOf(out.Result.Findings); !slices.Equal(got, []string{"SLEEP_IN_ATOMIC:error"}) || out.IndexUnused != nil || out.IndexErr != nil {
		t.Errorf("with the index: findings %v, unused %v, damage %v; want SLEEP_IN_ATOMIC through it", got, out.IndexUnused, out.IndexErr)
	}
	other := overlay{diff.DirTree(tree), map[string]string{".lockbot.yaml": "kb: [extra.yaml]\n",
		"extra.yaml": "functions:\n  bar_other: {sleeps: true, src: drivers/bar/bar.c}\n"}}
	out, err = r.Review(context.Background(), Base{Tree: other}, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Result.Findings) != 0 || !errors.Is(out.IndexUnused, index.ErrStale) {
		t.Errorf("under the base's knowledge base: findings %v, unused %v; want none, the index unused", rulesOf(out.Result.Findings), out.IndexUnused)
	}
}

// TestResolveCommitGuard: a revision git would read as an option is never
// passed to it.
func TestResolveCommitGuard(t *testing.T) {
	repo := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=T", "-c", "user.email=t@example.org"}, args...)...).Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("commit", "-q", "--allow-empty", "-m", "one")
	head := git("rev-parse", "HEAD")
	ctx := context.Background()
	if full, ok := ResolveCommit(ctx, repo, head[:12]); !ok || full != head {
		t.Errorf("ResolveCommit(%s) = %q, %v; want %s", head[:12], full, ok, head)
	}
	out := filepath.Join(repo, "written")
	for _, rev := range []string{"--output=" + out, "-h", "--all"} {
		if full, ok := ResolveCommit(ctx, repo, rev); ok || full != "" {
			t.Errorf("ResolveCommit(%q) = %q, %v; want refused", rev, full, ok)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an option in a revision wrote a file")
	}
}

// slowHit sleeps in bar_count_hit(), under the bucket's bit lock, only in
// an #ifdef CONFIG_BAR_SLOW arm.
const slowHit = `diff --git a/drivers/bar/bar.c b/drivers/bar/bar.c
--- a/drivers/bar/bar.c
+++ b/drivers/bar/bar.c
@@ -13,4 +13,7 @@ static struct hlist_bl_head *bar_bucket(struct bar *b, unsigned long key)
 static void bar_count_hit(struct bar *b, struct bar_entry *e)
 {
+#ifdef CONFIG_BAR_SLOW
+	msleep(1);
+#endif
 	e->hits++;
 }
`

// TestReviewerKconfigFile: a configuration decides the arm a patch adds.
func TestReviewerKconfigFile(t *testing.T) {
	s := readDiff(t, slowHit)
	dir := t.TempDir()
	with, without := filepath.Join(dir, "with"), filepath.Join(dir, "without")
	os.WriteFile(with, []byte("CONFIG_BAR_SLOW=y\n"), 0o644)
	os.WriteFile(without, []byte("CONFIG_X86=y\n"), 0o644)
	for _, c := range []struct {
		file string
		want int
	}{{"", 1}, {"none", 1}, {with, 1}, {without, 0}} {
		r := open(t, Setup{KconfigFile: c.file, IncludeDepth: 2})
		out, err := r.Review(context.Background(), Base{Tree: reviewTree(nil)}, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Result.Findings) != c.want {
			t.Errorf("--kconfig %q: findings %v, want %d", c.file, rulesOf(out.Result.Findings), c.want)
		}
	}
	if _, err := Open(Setup{KconfigFile: filepath.Join(dir, "missing")}); err == nil {
		t.Error("a missing configuration was accepted")
	}
}
