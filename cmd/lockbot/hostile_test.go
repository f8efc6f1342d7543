// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hostileShapes are C files of about a megabyte built to cost the most
// in one way each: deep nesting of every kind the parser and the control
// flow builder recurse on, quadratic chains, states that grow with every
// branch, many functions each locking around the next, thousands of
// labels. A megabyte of `!` took the process down with a fatal stack
// overflow, 20,000 nested #if cost 4.7 GB, 100 KB of `-` 34 s. Each must
// now be analysed, or refused, in bounded time and memory.
var hostileShapes = []struct {
	name string
	gen  func() string
	// refused: the file is too deeply nested to analyse.
	refused bool
}{
	{"unary not", func() string { return fnBody("\treturn " + strings.Repeat("!", 1_000_000) + "x;") }, true},
	{"parentheses", func() string {
		return fnBody("\treturn " + strings.Repeat("(", 1_000_000) + "x" + strings.Repeat(")", 1_000_000) + ";")
	}, true},
	{"left-deep sum", func() string { return fnBody("\treturn x" + strings.Repeat(" + 1", 250_000) + ";") }, true},
	{"pre-decrements", func() string { return fnBody("\treturn " + strings.Repeat("-", 1_000_000) + "x;") }, true},
	{"nested #if", func() string {
		var b strings.Builder
		for i := 0; i < 20000; i++ {
			fmt.Fprintf(&b, "#if A%d\n", i)
		}
		b.WriteString("void f(void) { spin_lock(&l); msleep(1); spin_unlock(&l); }\n")
		b.WriteString(strings.Repeat("#endif\n", 20000))
		return "spinlock_t l;\n" + b.String()
	}, true},
	{"branches", func() string {
		var b strings.Builder
		for i := 0; i < 14000; i++ {
			fmt.Fprintf(&b, "\tif (x & %d) spin_lock(&l); else mutex_lock(&m);\n", i)
		}
		return fnBody(b.String())
	}, false},
	{"labels", func() string {
		var b strings.Builder
		for i := 0; i < 16000; i++ {
			fmt.Fprintf(&b, "\tif (x == %d) goto L%d;\n\tspin_lock(&l);\nL%d:\n\tspin_unlock(&l);\n", i, i, i)
		}
		return fnBody(b.String() + "\treturn 0;")
	}, false},
	{"locks held", func() string {
		var b strings.Builder
		for i := 0; i < 18000; i++ {
			fmt.Fprintf(&b, "spinlock_t l%d;\n", i)
		}
		b.WriteString("void g(void)\n{\n")
		for i := 0; i < 18000; i++ {
			fmt.Fprintf(&b, "\tspin_lock(&l%d);\n", i)
		}
		return b.String() + "}\n"
	}, false},
	{"long switch", func() string {
		var b strings.Builder
		b.WriteString("\tswitch (x) {\n")
		for i := 0; i < 25000; i++ {
			fmt.Fprintf(&b, "\tcase %d: spin_lock(&l); g(%d); break;\n", i, i)
		}
		return fnBody(b.String() + "\t}")
	}, false},
}

func fnBody(body string) string {
	return "spinlock_t l;\nstruct mutex m;\nint f(int x)\n{\n" + body + "\n}\n"
}

// usage is what one run of the binary cost.
type usage struct {
	code   int
	stderr string
	cpu    time.Duration
	maxRSS int64 // bytes
}

func runMeasured(t *testing.T, dir string, args ...string) usage {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var e bytes.Buffer
	cmd.Stderr = &e
	err := cmd.Run()
	var exit *exec.ExitError
	u := usage{stderr: e.String()}
	if errors.As(err, &exit) {
		u.code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	u.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	u.maxRSS = ru.Maxrss * 1024
	return u
}

// Each megabyte of hostile C is analysed or refused in under 5 s of CPU
// and 500 MB (CPU time and peak memory are the process's own, whatever
// else the machine runs), never by a crash.
func TestHostileFilesBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("megabyte inputs")
	}
	dir := t.TempDir()
	for _, sh := range hostileShapes {
		t.Run(sh.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "h.c"), []byte(sh.gen()), 0o644); err != nil {
				t.Fatal(err)
			}
			u := runMeasured(t, dir, "scan", "h.c")
			if strings.Contains(u.stderr, "fatal error") || strings.Contains(u.stderr, "goroutine ") {
				t.Fatalf("crashed:\n%.2000s", u.stderr)
			}
			switch {
			case sh.refused && (u.code != 2 || !strings.Contains(u.stderr, "h.c: syntax nested too deeply")):
				t.Errorf("exit %d, want 2 with the file named as too deep:\n%.500s", u.code, u.stderr)
			case !sh.refused && u.code == 2:
				t.Errorf("exit 2:\n%.500s", u.stderr)
			}
			if u.cpu > 5*time.Second || u.maxRSS > 500<<20 {
				t.Errorf("%v of CPU, %d MB peak; the bound is 5 s and 500 MB", u.cpu, u.maxRSS>>20)
			}
			t.Logf("%v of CPU, %d MB", u.cpu, u.maxRSS>>20)
		})
	}
}

// A patch adding a file the parser refuses is reviewed for the rest: the
// refused file is named as not analysed, with the reason, and the other
// file's finding is reported.
func TestCheckNamesWhatItCannotAnalyse(t *testing.T) {
	p, err := os.ReadFile("../../testdata/review/spinlock-in-bitlock.patch")
	if err != nil {
		t.Fatal(err)
	}
	deep := fnBody("\treturn " + strings.Repeat("!", 200_000) + "x;")
	lines := strings.Split(strings.TrimSuffix(deep, "\n"), "\n")
	var add strings.Builder
	fmt.Fprintf(&add, "diff --git a/drivers/bar/deep.c b/drivers/bar/deep.c\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/drivers/bar/deep.c\n@@ -0,0 +1,%d @@\n", len(lines))
	for _, l := range lines {
		add.WriteString("+" + l + "\n")
	}
	patch := strings.TrimSuffix(string(p), "\n-- \n2.43.0\n") + "\n" + add.String()
	if !strings.Contains(patch, "deep.c") || !strings.Contains(patch, "stats_lock") {
		t.Fatal("the test patch was not built")
	}
	file := filepath.Join(t.TempDir(), "deep.patch")
	if err := os.WriteFile(file, []byte(patch), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runBin(t, "check", "--tree", "testdata/review/tree", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the finding in bar.c):\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"ERROR:RT_SLEEPING_LOCK_IN_ATOMIC: spin_lock(&b->stats_lock) in bar_count_hit()",
		"WARNING:NOT_ANALYSED: drivers/bar/deep.c not analysed: syntax nested too deeply",
		"1 not analysed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runBin(t, "check", "--tree", "testdata/review/tree", "--format", "json", file)
	if !strings.Contains(out, `"not_analysed": [`) || !strings.Contains(out, `"file": "drivers/bar/deep.c"`) {
		t.Errorf("JSON lacks the file not analysed:\n%.3000s", out)
	}
}

// A line the parser cannot read is never a silent pass: the functions it
// hides are named, and --fail-on warning fails the patch.
func TestCheckNamesUnreadableSyntax(t *testing.T) {
	p, err := os.ReadFile("../../testdata/review/spinlock-in-bitlock.patch")
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(p), "+\tb->lookups++;", "+\t}}}} ((( @@@ $$$ b->lookups++;", 1)
	if broken == string(p) {
		t.Fatal("the patch line to break is gone")
	}
	file := filepath.Join(t.TempDir(), "broken.patch")
	if err := os.WriteFile(file, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := runBin(t, "check", "--tree", "testdata/review/tree", file)
	if code != 0 {
		t.Errorf("exit %d, want 0: not analysed is a warning", code)
	}
	want := "WARNING:NOT_ANALYSED: drivers/bar/bar.c: bar_find(), bar_stats() not analysed, or only in part: the parser could not read the code at line 17"
	if !strings.Contains(out, want) || !strings.Contains(out, "+\t}}}} ((( @@@ $$$ b->lookups++;") {
		t.Errorf("output lacks %q and the patch line:\n%s", want, out)
	}
	if _, _, code := runBin(t, "check", "--tree", "testdata/review/tree", "--fail-on", "warning", file); code != 1 {
		t.Errorf("--fail-on warning: exit %d, want 1", code)
	}
	out, _, _ = runBin(t, "check", "--tree", "testdata/review/tree", "--terse", file)
	if !strings.HasPrefix(out, "drivers/bar/bar.c:17: WARNING:NOT_ANALYSED: ") {
		t.Errorf("terse output:\n%s", out)
	}
}

// A patch adding a symbolic link named *.c is reviewed for what it can
// be: the link is not C to analyse.
func TestCheckSymlinkPatch(t *testing.T) {
	patch := "diff --git a/drivers/bar/l.c b/drivers/bar/l.c\nnew file mode 120000\nindex 0000000..3333333\n--- /dev/null\n+++ b/drivers/bar/l.c\n@@ -0,0 +1 @@\n+bar.c\n\\ No newline at end of file\n"
	file := filepath.Join(t.TempDir(), "l.patch")
	if err := os.WriteFile(file, []byte(patch), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runBin(t, "check", "--tree", "testdata/review/tree", file)
	if code != 0 || !strings.Contains(out, "total: 0 errors, 0 warnings, 1 patch checked") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
}

// File names and lines come from the patch: control characters in them
// reach the terminal escaped, never as escape sequences.
func TestCheckEscapesControlCharacters(t *testing.T) {
	name := `"b/drivers/bar/\033]0;PWNED\007\033[31mred.c"`
	patch := "diff --git " + strings.Replace(name, "b/", "a/", 1) + " " + name + "\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ " + name +
		"\n@@ -0,0 +1,6 @@\n+static DEFINE_SPINLOCK(l);\n+void f(void)\n+{\n+\tspin_lock(&l); msleep(1); /* \x1b[2J */\n+\tspin_unlock(&l);\n+}\n"
	file := filepath.Join(t.TempDir(), "esc.patch")
	if err := os.WriteFile(file, []byte(patch), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "--no-tree", file}, {"check", "--no-tree", "--terse", file}} {
		out, errOut, code := runBin(t, args...)
		if code != 1 {
			t.Fatalf("%v: exit %d, want 1:\n%s%s", args, code, out, errOut)
		}
		if strings.ContainsAny(out+errOut, "\x1b\x07") {
			t.Errorf("%v: raw control characters in the output:\n%q", args, out)
		}
		if !strings.Contains(out, `drivers/bar/\x1b]0;PWNED\a\x1b[31mred.c`) {
			t.Errorf("%v: the file name is not shown escaped:\n%s", args, out)
		}
	}
}

// A FIFO or a link to a device is never opened for reading: named, it is
// an error at once; in a directory, or named by an include, it is passed
// over with a warning.
func TestScanSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "f.c"), 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "z.c")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.c"), []byte("#include \"z.c\"\nvoid a(void) { }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		arg  string
		code int
		want string
	}{
		{"f.c", 2, "f.c: not a regular file"},
		{"z.c", 2, "not a regular file"},
		{".", 0, "skipping a file that is not C source to read"},
	} {
		start := time.Now()
		u := runMeasured(t, dir, "scan", c.arg)
		if u.code != c.code || !strings.Contains(u.stderr, c.want) {
			t.Errorf("scan %s: exit %d, want %d with %q:\n%s", c.arg, u.code, c.code, c.want, u.stderr)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("scan %s took %v", c.arg, d)
		}
	}
}
