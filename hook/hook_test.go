// SPDX-License-Identifier: GPL-2.0-only

package hook

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// gitEnv isolates git from the machine's and user's settings, and from a
// GIT_DIR the test itself may run under (go test inside a hook).
func gitEnv(t *testing.T) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(home, ".gitconfig"))
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, v := range []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_SENDEMAIL_FILE_COUNTER", "GIT_SENDEMAIL_FILE_TOTAL"} {
		t.Setenv(v, "") // registers the restore
		os.Unsetenv(v)
	}
}

func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func gitC(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return run(t, dir, "git", append([]string{"-c", "user.name=t", "-c", "user.email=t@t"}, args...)...)
}

// newRepo makes a repository with a base commit and three commits to a C
// file, and returns its top and the series as patch files (cover letter
// first).
func newRepo(t *testing.T) (top string, patches []string) {
	t.Helper()
	top = filepath.Join(t.TempDir(), "linux")
	gitC(t, filepath.Dir(top), "init", "-q", top)
	src := filepath.Join(top, "drivers", "foo.c")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	body := "void foo(void)\n{\n}\n"
	write(t, src, body, 0o644)
	gitC(t, top, "add", ".")
	gitC(t, top, "commit", "-q", "-m", "base")
	for i := 1; i <= 3; i++ {
		body += fmt.Sprintf("int foo%d;\n", i)
		write(t, src, body, 0o644)
		gitC(t, top, "commit", "-q", "-a", "-m", fmt.Sprintf("foo: step %d", i))
	}
	out := filepath.Join(t.TempDir(), "out")
	gitC(t, top, "format-patch", "-q", "--cover-letter", "-o", out, "HEAD~3")
	patches, err := filepath.Glob(filepath.Join(out, "000*.patch"))
	if err != nil || len(patches) != 4 {
		t.Fatalf("format-patch made %q (%v)", patches, err)
	}
	// git send-email refuses a cover letter with the template subject.
	cover, err := os.ReadFile(patches[0])
	if err != nil {
		t.Fatal(err)
	}
	write(t, patches[0], strings.Replace(string(cover), "*** SUBJECT HERE ***", "foo: three steps", 1), 0o644)
	return top, patches
}

func write(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// fake is a stand-in lockbot: it appends its arguments (with each patch
// file's subject) to log and exits with the status in status.
type fake struct {
	path, log, status string
}

func newFake(t *testing.T) fake {
	t.Helper()
	// Space and quote in the path: the hook must quote it.
	dir := filepath.Join(t.TempDir(), "it's a dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f := fake{path: filepath.Join(dir, "lockbot"), log: filepath.Join(dir, "log"), status: filepath.Join(dir, "status")}
	write(t, f.path, `#!/bin/sh
log=$(dirname -- "$0")/log
{
	echo "run GIT_DIR=${GIT_DIR-unset}"
	for a in "$@"; do
		echo "arg $a"
		if [ -f "$a" ]; then
			echo "subject $(grep -m1 '^Subject:' "$a")"
		fi
	done
} >>"$log"
echo "fake lockbot says hello"
exit "$(cat "$(dirname -- "$0")/status")"
`, 0o755)
	f.setStatus(t, 0)
	return f
}

func (f fake) setStatus(t *testing.T, code int) {
	t.Helper()
	write(t, f.status, strconv.Itoa(code)+"\n", 0o644)
}

// runs returns the invocations logged since the last call, and clears them.
func (f fake) runs(t *testing.T) [][]string {
	t.Helper()
	data, err := os.ReadFile(f.log)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(f.log)
	var runs [][]string
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if strings.HasPrefix(line, "run ") {
			runs = append(runs, nil)
		}
		runs[len(runs)-1] = append(runs[len(runs)-1], line)
	}
	return runs
}

func TestInstall(t *testing.T) {
	gitEnv(t)
	top, _ := newRepo(t)
	f := newFake(t)
	sub := filepath.Join(top, "drivers")
	path, err := Install(sub, Options{Lockbot: f.path})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(top, ".git", "hooks", Name); path != want {
		t.Errorf("installed at %s, want %s", path, want)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755", st.Mode().Perm())
	}
	text, _ := os.ReadFile(path)
	if !bytes.Contains(text, []byte(Marker)) || !bytes.Contains(text, []byte(shellQuote(f.path))) {
		t.Errorf("hook lacks the marker or the lockbot path:\n%s", text)
	}
	// dash is what git runs hooks with on Debian; bash --posix catches
	// what dash would not.
	run(t, top, "sh", "-n", path)
	if _, err := exec.LookPath("bash"); err == nil {
		run(t, top, "bash", "--posix", "-n", path)
	}
}

func TestInstallBadLockbot(t *testing.T) {
	gitEnv(t)
	top, _ := newRepo(t)
	for _, p := range []string{"", "bin/lockbot", filepath.Join(top, "nope"), top} {
		if _, err := Install(top, Options{Lockbot: p}); err == nil {
			t.Errorf("Install with lockbot %q succeeded", p)
		}
	}
	if _, err := Install(t.TempDir(), Options{Lockbot: "lockbot"}); err == nil {
		t.Error("Install outside a repository succeeded")
	}
	path, err := Install(top, Options{Lockbot: "lockbot"}) // found on PATH when the hook runs
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := os.ReadFile(path); !bytes.Contains(text, []byte("lockbot='lockbot'")) {
		t.Errorf("bare command name not kept:\n%s", text)
	}
}

func TestHooksPath(t *testing.T) {
	gitEnv(t)
	f := newFake(t)

	t.Run("absolute", func(t *testing.T) {
		top, _ := newRepo(t)
		hooks := filepath.Join(t.TempDir(), "shared", "hooks") // does not exist yet
		gitC(t, top, "config", "core.hooksPath", hooks)
		path, err := Install(filepath.Join(top, "drivers"), Options{Lockbot: f.path})
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(hooks, Name); path != want {
			t.Errorf("installed at %s, want %s", path, want)
		}
	})

	t.Run("relative", func(t *testing.T) {
		top, _ := newRepo(t)
		gitC(t, top, "config", "core.hooksPath", "tools/githooks")
		// From a subdirectory: relative to the work tree top, not to here.
		sub := filepath.Join(top, "drivers")
		path, err := Install(sub, Options{Lockbot: f.path})
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(top, "tools", "githooks", Name); path != want {
			t.Errorf("installed at %s, want %s", path, want)
		}
		if gits := gitC(t, sub, "rev-parse", "--path-format=absolute", "--git-path", "hooks"); filepath.Join(gits, Name) != path {
			t.Errorf("git says hooks are in %s, installed at %s", gits, path)
		}
	})

	t.Run("home", func(t *testing.T) {
		top, _ := newRepo(t)
		gitC(t, top, "config", "core.hooksPath", "~/hooks")
		path, err := Install(top, Options{Lockbot: f.path})
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(os.Getenv("HOME"), "hooks", Name); path != want {
			t.Errorf("installed at %s, want %s", path, want)
		}
	})

	t.Run("linked worktree", func(t *testing.T) {
		top, _ := newRepo(t)
		wt := filepath.Join(t.TempDir(), "wt")
		gitC(t, top, "worktree", "add", "-q", wt)
		path, err := Install(wt, Options{Lockbot: f.path})
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(top, ".git", "hooks", Name); path != want {
			t.Errorf("installed at %s, want %s (the common git dir)", path, want)
		}
	})

	t.Run("bare relative", func(t *testing.T) {
		bare := filepath.Join(t.TempDir(), "bare.git")
		gitC(t, filepath.Dir(bare), "init", "-q", "--bare", bare)
		gitC(t, bare, "config", "core.hooksPath", "myhooks")
		path, err := Install(bare, Options{Lockbot: f.path})
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(bare, "myhooks", Name); path != want {
			t.Errorf("installed at %s, want %s", path, want)
		}
	})
}

// existingHook writes a foreign hook that logs its arguments and exits
// with the status in its status file.
func existingHook(t *testing.T, path, log string) (status string) {
	t.Helper()
	status = path + ".status"
	write(t, status, "0\n", 0o644)
	write(t, path, fmt.Sprintf("#!/bin/sh\necho \"existing $# $1\" >>'%s'\nexit \"$(cat '%s')\"\n", log, status), 0o755)
	return status
}

// runHook runs the hook as git send-email does: from the work tree top,
// with GIT_DIR set and an absolute message file, plus env.
func runHook(t *testing.T, hook, top string, env []string, args ...string) (stderr string, code int) {
	t.Helper()
	cmd := exec.Command(hook, args...)
	cmd.Dir = top
	cmd.Env = append(append(os.Environ(), "GIT_DIR="+filepath.Join(top, ".git")), env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	if out.Len() > 0 {
		t.Errorf("hook wrote to standard output, which git may not show: %q", out.String())
	}
	return errb.String(), code
}

func TestChain(t *testing.T) {
	gitEnv(t)
	top, patches := newRepo(t)
	f := newFake(t)
	hooks := filepath.Join(top, ".git", "hooks")
	log := filepath.Join(t.TempDir(), "existing.log")
	status := existingHook(t, filepath.Join(hooks, Name), log)
	original, _ := os.ReadFile(filepath.Join(hooks, Name))

	path, err := Install(top, Options{Lockbot: f.path})
	if err != nil {
		t.Fatal(err)
	}
	chained := path + ChainedSuffix
	if got, _ := os.ReadFile(chained); !bytes.Equal(got, original) {
		t.Fatalf("existing hook not kept as %s", chained)
	}

	// The existing hook runs first, with the same arguments; then lockbot.
	write(t, f.log, "", 0o644)
	headers := filepath.Join(t.TempDir(), "headers")
	write(t, headers, "From: t@t\n", 0o644)
	if _, code := runHook(t, path, top, nil, patches[1], headers); code != 0 {
		t.Fatalf("hook exit %d", code)
	}
	if got, _ := os.ReadFile(log); string(got) != "existing 2 "+patches[1]+"\n" {
		t.Errorf("existing hook log %q", got)
	}
	if runs := f.runs(t); len(runs) != 1 {
		t.Errorf("lockbot ran %d times, want once", len(runs))
	}

	// An existing hook that fails aborts before lockbot runs.
	write(t, status, "3\n", 0o644)
	stderr, code := runHook(t, path, top, nil, patches[1])
	if code != 3 || !strings.Contains(stderr, "rejected") {
		t.Errorf("failing chained hook: exit %d, stderr %q", code, stderr)
	}
	if runs := f.runs(t); len(runs) != 0 {
		t.Errorf("lockbot ran after the chained hook failed: %q", runs)
	}

	// A chained hook that is not executable is not run, as git would not.
	os.Chmod(chained, 0o644)
	if _, code := runHook(t, path, top, nil, patches[1]); code != 0 {
		t.Errorf("non-executable chained hook: exit %d", code)
	}
}

func TestReinstall(t *testing.T) {
	gitEnv(t)
	top, _ := newRepo(t)
	f := newFake(t)
	hooks := filepath.Join(top, ".git", "hooks")
	existingHook(t, filepath.Join(hooks, Name), filepath.Join(t.TempDir(), "log"))
	original, _ := os.ReadFile(filepath.Join(hooks, Name))

	path, err := Install(top, Options{Lockbot: f.path})
	if err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if _, err := Install(top, Options{Lockbot: f.path}); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(path)
	if !bytes.Equal(first, again) {
		t.Error("reinstalling changed the hook")
	}
	if got, _ := os.ReadFile(path + ChainedSuffix); !bytes.Equal(got, original) {
		t.Error("reinstalling lost or replaced the chained hook")
	}
	// Reinstalling with another binary updates the hook, not the chain.
	if _, err := Install(top, Options{Lockbot: "lockbot"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Contains(got, []byte("lockbot='lockbot'")) {
		t.Error("reinstall did not take the new lockbot path")
	}
	entries, _ := os.ReadDir(hooks)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}

	// Someone replaced our hook while the chained one is still there: which
	// to keep is theirs to say.
	write(t, path, "#!/bin/sh\nexit 0\n", 0o755)
	if _, err := Install(top, Options{Lockbot: f.path}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("Install over a foreign hook with a chained one: %v", err)
	}
	if _, err := Install(top, Options{Lockbot: f.path, Force: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path + ChainedSuffix); string(got) != "#!/bin/sh\nexit 0\n" {
		t.Errorf("--force chained %q, want the current hook", got)
	}
}

func TestUninstall(t *testing.T) {
	gitEnv(t)
	f := newFake(t)

	t.Run("restores the chained hook", func(t *testing.T) {
		top, _ := newRepo(t)
		hook := filepath.Join(top, ".git", "hooks", Name)
		existingHook(t, hook, filepath.Join(t.TempDir(), "log"))
		original, _ := os.ReadFile(hook)
		if _, err := Install(top, Options{Lockbot: f.path}); err != nil {
			t.Fatal(err)
		}
		path, err := Uninstall(top)
		if err != nil || path != hook {
			t.Fatalf("Uninstall = %s, %v", path, err)
		}
		got, _ := os.ReadFile(hook)
		st, _ := os.Stat(hook)
		if !bytes.Equal(got, original) || st.Mode().Perm() != 0o755 {
			t.Errorf("hook not restored: %v\n%s", st.Mode(), got)
		}
		if _, err := os.Lstat(hook + ChainedSuffix); !errors.Is(err, os.ErrNotExist) {
			t.Error("chained hook left behind")
		}
		// Now the hook is theirs again: uninstall leaves it.
		if _, err := Uninstall(top); err == nil || errors.Is(err, ErrNotInstalled) {
			t.Errorf("Uninstall of a foreign hook: %v", err)
		}
		if got2, _ := os.ReadFile(hook); !bytes.Equal(got2, original) {
			t.Error("Uninstall touched a foreign hook")
		}
	})

	t.Run("removes", func(t *testing.T) {
		top, _ := newRepo(t)
		path, err := Install(top, Options{Lockbot: f.path})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Uninstall(top); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
			t.Error("hook still there")
		}
		if _, err := Uninstall(top); !errors.Is(err, ErrNotInstalled) {
			t.Errorf("second Uninstall: %v, want ErrNotInstalled", err)
		}
	})
}

func TestScriptSinglePatch(t *testing.T) {
	gitEnv(t)
	top, patches := newRepo(t)
	f := newFake(t)
	path, err := Install(top, Options{Lockbot: f.path})
	if err != nil {
		t.Fatal(err)
	}
	headers := filepath.Join(t.TempDir(), "headers")
	write(t, headers, "From: t@t\n", 0o644)

	// Old git: no counter, one or two arguments; each patch checked alone.
	for _, args := range [][]string{{patches[2]}, {patches[2], headers}} {
		stderr, code := runHook(t, path, top, nil, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stderr, "fake lockbot says hello") {
			t.Errorf("lockbot's output not on standard error: %q", stderr)
		}
		want := [][]string{{"run GIT_DIR=unset", "arg check", "arg --tree", "arg " + top,
			"arg " + patches[2], "subject Subject: [PATCH 2/3] foo: step 2"}}
		if got := f.runs(t); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("invocation\n got %q\nwant %q", got, want)
		}
	}
	// A bare repository has no tree to give.
	bare := filepath.Join(t.TempDir(), "bare.git")
	gitC(t, top, "clone", "-q", "--bare", top, bare)
	barePath, err := Install(bare, Options{Lockbot: f.path})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(barePath, patches[1])
	cmd.Dir = bare
	cmd.Env = append(os.Environ(), "GIT_DIR="+bare)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bare: %v\n%s", err, out)
	}
	want := [][]string{{"run GIT_DIR=unset", "arg check", "arg --no-tree",
		"arg " + patches[1], "subject Subject: [PATCH 1/3] foo: step 1"}}
	if got := f.runs(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bare repository:\n got %q\nwant %q", got, want)
	}

	// The cover letter has no diff: nothing to check.
	if _, code := runHook(t, path, top, nil, patches[0]); code != 0 {
		t.Errorf("cover letter: exit %d", code)
	}
	if got := f.runs(t); len(got) != 0 {
		t.Errorf("lockbot ran on the cover letter: %q", got)
	}
	for _, args := range [][]string{nil, {patches[1], headers, "extra"}} {
		if _, code := runHook(t, path, top, nil, args...); code != 2 {
			t.Errorf("%d arguments: exit %d, want 2", len(args), code)
		}
	}
}

func TestScriptSeries(t *testing.T) {
	gitEnv(t)
	top, patches := newRepo(t)
	f := newFake(t)
	path, err := Install(top, Options{Lockbot: f.path})
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(top, ".git", StateDir)
	total := strconv.Itoa(len(patches))
	for i, p := range patches {
		env := []string{"GIT_SENDEMAIL_FILE_COUNTER=" + strconv.Itoa(i+1), "GIT_SENDEMAIL_FILE_TOTAL=" + total}
		if stderr, code := runHook(t, path, top, env, p, "/dev/null"); code != 0 {
			t.Fatalf("message %d: exit %d: %s", i+1, code, stderr)
		}
		runs := f.runs(t)
		if i == 0 {
			if len(runs) != 0 {
				t.Errorf("lockbot ran on the cover letter: %q", runs)
			}
			continue
		}
		// Patch n (message i+1, after the cover letter) with patches 1..n.
		n := i
		want := []string{"run GIT_DIR=unset", "arg check", "arg --tree", "arg " + top, "arg --only-patch", "arg " + strconv.Itoa(n)}
		for k := 1; k <= n; k++ {
			want = append(want, fmt.Sprintf("arg %s/%04d.patch", state, k),
				fmt.Sprintf("subject Subject: [PATCH %d/3] foo: step %d", k, k))
		}
		if fmt.Sprint(runs) != fmt.Sprint([][]string{want}) {
			t.Errorf("patch %d:\n got %q\nwant %q", n, runs, want)
		}
	}
	if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s not removed after the last message", state)
	}
}

// TestScriptExitStatus: findings (exit 1) stop the send; lockbot's own
// trouble (exit 2, a missing binary) is a warning unless the hook is
// strict, by install option or by environment.
func TestScriptExitStatus(t *testing.T) {
	gitEnv(t)
	top, patches := newRepo(t)
	f := newFake(t)
	for _, strict := range []bool{false, true} {
		path, err := Install(top, Options{Lockbot: f.path, Strict: strict})
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range []int{0, 1, 2} {
			f.setStatus(t, code)
			for _, env := range [][]string{nil, {"GIT_SENDEMAIL_FILE_COUNTER=2", "GIT_SENDEMAIL_FILE_TOTAL=4"}, {"LOCKBOT_HOOK_STRICT=1"}} {
				strictRun := strict || len(env) == 1
				want := code
				if code == 2 && !strictRun {
					want = 0
				}
				stderr, got := runHook(t, path, top, env, patches[1])
				if got != want {
					t.Errorf("strict %v, lockbot exit %d, env %q: hook exit %d, want %d", strict, code, env, got, want)
				}
				if aborted := strings.Contains(stderr, "nothing was sent"); aborted != (want != 0) {
					t.Errorf("strict %v, lockbot exit %d, env %q: stderr %q", strict, code, env, stderr)
				}
				if warned := strings.Contains(stderr, "warning: lockbot check could not review"); warned != (code == 2 && !strictRun) {
					t.Errorf("strict %v, lockbot exit %d, env %q: warning %v: %q", strict, code, env, warned, stderr)
				}
			}
		}
	}
	// A lockbot that is not there: a warning, or with --strict, no send.
	if err := os.Rename(f.path, f.path+".gone"); err != nil {
		t.Fatal(err)
	}
	for _, strict := range []bool{false, true} {
		path, err := Install(top, Options{Lockbot: "lockbot-not-on-path", Strict: strict})
		if err != nil {
			t.Fatal(err)
		}
		if stderr, got := runHook(t, path, top, nil, patches[1]); (got != 0) != strict {
			t.Errorf("missing lockbot, strict %v: exit %d: %s", strict, got, stderr)
		}
	}
}

func TestScriptCounterResets(t *testing.T) {
	gitEnv(t)
	top, patches := newRepo(t)
	f := newFake(t)
	path, err := Install(top, Options{Lockbot: f.path})
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(top, ".git", StateDir)
	// A send of patches 1..3 aborted after patch 2 (lockbot found a bug).
	runHook(t, path, top, []string{"GIT_SENDEMAIL_FILE_COUNTER=1", "GIT_SENDEMAIL_FILE_TOTAL=3"}, patches[1])
	f.setStatus(t, 1)
	if _, code := runHook(t, path, top, []string{"GIT_SENDEMAIL_FILE_COUNTER=2", "GIT_SENDEMAIL_FILE_TOTAL=3"}, patches[2]); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	f.runs(t)
	// The next send starts again at 1, with patch 3 alone: the leftovers
	// of the aborted send must not be taken as its earlier patches.
	f.setStatus(t, 0)
	if _, code := runHook(t, path, top, []string{"GIT_SENDEMAIL_FILE_COUNTER=1", "GIT_SENDEMAIL_FILE_TOTAL=2"}, patches[3]); code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := [][]string{{"run GIT_DIR=unset", "arg check", "arg --tree", "arg " + top, "arg --only-patch", "arg 1",
		"arg " + state + "/0001.patch", "subject Subject: [PATCH 3/3] foo: step 3"}}
	if got := f.runs(t); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("after reset:\n got %q\nwant %q", got, want)
	}
}

// TestSendEmail runs the real git send-email --dry-run: git finds the hook
// where Install put it, a lockbot exit 1 aborts the send, exit 0 lets it
// through.
func TestSendEmail(t *testing.T) {
	gitEnv(t)
	// git-email is a separate package on Debian: look for the command
	// where git looks for it.
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Skipf("git --exec-path: %v", err)
	}
	if _, err := os.Stat(filepath.Join(strings.TrimSpace(string(execPath)), "git-send-email")); err != nil {
		t.Skipf("git send-email is not available: %v", err)
	}
	for _, hooksPath := range []string{"", "tools/githooks"} {
		t.Run("hooksPath="+hooksPath, func(t *testing.T) {
			top, patches := newRepo(t)
			if hooksPath != "" {
				gitC(t, top, "config", "core.hooksPath", hooksPath)
			}
			f := newFake(t)
			if _, err := Install(top, Options{Lockbot: f.path}); err != nil {
				t.Fatal(err)
			}
			send := func() (string, error) {
				cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.org", "send-email", "--dry-run", "--to", "x@example.org",
					"--from", "t <t@example.org>", "--suppress-cc=all", "--confirm=never", "--smtp-server=/bin/true"}, patches...)...)
				cmd.Dir = filepath.Join(top, "drivers")
				out, err := cmd.CombinedOutput()
				return string(out), err
			}

			out, err := send()
			if err != nil {
				t.Fatalf("send with a clean lockbot: %v\n%s", err, out)
			}
			if n := strings.Count(out, "Dry-OK"); n != len(patches) {
				t.Errorf("%d messages dry-sent, want %d:\n%s", n, len(patches), out)
			}
			runs := f.runs(t)
			if len(runs) != len(patches)-1 {
				t.Fatalf("lockbot ran %d times, want %d (not on the cover letter):\n%q", len(runs), len(patches)-1, runs)
			}
			// Every run names the work tree and the patch being sent last.
			for i, r := range runs {
				joined := strings.Join(r, "\n")
				if !strings.Contains(joined, "arg "+top+"\n") ||
					!strings.HasSuffix(joined, fmt.Sprintf("foo: step %d", i+1)) {
					t.Errorf("run %d: %q", i+1, r)
				}
			}

			f.setStatus(t, 1)
			out, err = send()
			if err == nil || strings.Contains(out, "Dry-OK") {
				t.Errorf("send went ahead although lockbot exited 1: %v\n%s", err, out)
			}
			if !strings.Contains(out, "fake lockbot says hello") || !strings.Contains(out, "nothing was sent") {
				t.Errorf("lockbot's output not shown:\n%s", out)
			}
		})
	}
}
