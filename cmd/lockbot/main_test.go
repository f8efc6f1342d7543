// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The tests run the built binary, as a user would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lockbot-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "lockbot")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func runBin(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = "../.."
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func TestScanExample(t *testing.T) {
	out, _, code := runBin(t, "scan", "testdata/example")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings)", code)
	}
	for _, want := range []string{
		"testdata/example/bar.c:27: ERROR:RT_SLEEPING_LOCK_IN_ATOMIC: ",
		"  testdata/example/bar.c:24: bar_find(): hlist_bl_lock(h)",
		"testdata/example/bar.c:46: ERROR:SLEEP_IN_ATOMIC: ",
		"testdata/example/bar.c:72: ERROR:LOCK_LEAK: ",
		"ERROR:LOCK_ORDER_INVERSION: ",
		"total: 4 errors, 0 warnings",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestScanJSON(t *testing.T) {
	out, _, code := runBin(t, "scan", "--format", "json", "testdata/example/bar.c")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var doc struct {
		Findings []struct {
			Rule, Severity, File, Function, Message, Fingerprint string
			RTOnly                                               bool `json:"rt_only"`
			Line                                                 int
			Chain                                                []struct {
				File, Function, Note string
				Line                 int
			}
		}
		Stats map[string]int
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(doc.Findings) != 4 || doc.Stats["functions"] != 8 {
		t.Fatalf("got %d findings, stats %v", len(doc.Findings), doc.Stats)
	}
	f := doc.Findings[0]
	if f.Rule != "RT_SLEEPING_LOCK_IN_ATOMIC" || !f.RTOnly || f.Line != 27 || f.Function != "bar_find" ||
		len(f.Fingerprint) != 16 || len(f.Chain) < 3 || f.Chain[0].Line != 24 {
		t.Errorf("unexpected first finding: %+v", f)
	}
}

func TestNoRT(t *testing.T) {
	out, _, code := runBin(t, "scan", "--no-rt", "--terse", "testdata/example")
	if code != 1 || strings.Contains(out, "RT_SLEEPING_LOCK_IN_ATOMIC") || !strings.Contains(out, "SLEEP_IN_ATOMIC") {
		t.Fatalf("--no-rt: exit %d\n%s", code, out)
	}
	if n := strings.Count(strings.TrimSpace(out), "\n") + 1; n != 3 {
		t.Errorf("--terse printed %d lines, want 3:\n%s", n, out)
	}
}

func TestCleanFileExitsZero(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.c")
	os.WriteFile(clean, []byte("void f(spinlock_t *l)\n{\n\tspin_lock(l);\n\tspin_unlock(l);\n}\n"), 0o644)
	out, _, code := runBin(t, "scan", clean)
	if code != 0 || !strings.Contains(out, "total: 0 errors") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	binaryC := filepath.Join(dir, "blob.c")
	os.WriteFile(binaryC, []byte("int x;\x00\x01\x02"), 0o644)
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("hello"), 0o644)
	for name, args := range map[string][]string{
		"missing path":   {"scan", filepath.Join(dir, "nope.c")},
		"no path":        {"scan"},
		"bad format":     {"scan", "--format", "xml", "testdata/example"},
		"not C":          {"scan", text},
		"binary C":       {"scan", binaryC},
		"unknown flag":   {"scan", "--frobnicate", "testdata/example"},
		"unknown kb":     {"scan", "--kb", filepath.Join(dir, "none.yaml"), "testdata/example"},
		"rules bad flag": {"rules", "--format", "xml"},
	} {
		_, stderr, code := runBin(t, args...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2", name, code)
		}
		if !strings.Contains(stderr, "lockbot:") {
			t.Errorf("%s: no error message on stderr: %q", name, stderr)
		}
		if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
			t.Errorf("%s: crashed:\n%s", name, stderr)
		}
	}
}

func TestRules(t *testing.T) {
	out, _, code := runBin(t, "rules")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, r := range []string{"RT_SLEEPING_LOCK_IN_ATOMIC", "SLEEP_IN_ATOMIC", "SLEEP_IN_RCU", "ALLOC_IN_RAW_ATOMIC",
		"NOWAIT_MAY_BLOCK", "LOCK_LEAK", "DOUBLE_LOCK", "UNLOCK_NOT_HELD", "LOCK_ORDER_INVERSION", "WAIT_UNDER_LOCK",
		"SEQCOUNT_WRITE_PREEMPTIBLE"} {
		if !strings.Contains(out, r+" (") {
			t.Errorf("rules does not describe %s", r)
		}
	}
	js, _, _ := runBin(t, "rules", "--format", "json")
	var rules []map[string]any
	if err := json.Unmarshal([]byte(js), &rules); err != nil || len(rules) != 11 {
		t.Errorf("rules --format json: %v, %d rules", err, len(rules))
	}
}

// TestScanConditional: findings that hold only for some value no caller
// in view passes are counted and left out; --conditional shows them with
// the condition named.
func TestScanConditional(t *testing.T) {
	out, _, code := runBin(t, "scan", "--terse", "testdata/rules/conditional.c")
	if code != 1 || strings.Count(out, "\n") != 6 || strings.Contains(out, "only if") {
		t.Errorf("default: exit %d, want the six unconditional findings\n%s", code, out)
	}
	if out, _, _ := runBin(t, "scan", "testdata/rules/conditional.c"); !strings.Contains(out, "NOTE: 4 findings left out") {
		t.Errorf("default text does not count what it left out:\n%s", out)
	}
	out, _, code = runBin(t, "scan", "--terse", "--conditional", "testdata/rules/conditional.c")
	if code != 1 || strings.Count(out, "\n") != 10 || !strings.Contains(out, "(only if d->flags & F_SLOW)") ||
		!strings.Contains(out, "(only if w.flags & REQ_MAY_SLEEP)") {
		t.Errorf("--conditional: exit %d, want ten findings, the conditions named\n%s", code, out)
	}
}

// TestVersion prints the release, and the commit when the build recorded
// one.
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, _, code := runBin(t, args...)
		if code != 0 || !strings.HasPrefix(out, "lockbot "+version) {
			t.Errorf("%v: exit %d, output %q", args, code, out)
		}
	}
}

// TestHookBinary refuses go run's temporary binary for the hook.
func TestHookBinary(t *testing.T) {
	if err := hookBinary("/tmp/go-build1234/b001/exe/lockbot"); err == nil || !strings.Contains(err.Error(), "go install") {
		t.Errorf("go run's binary: %v", err)
	}
	if err := hookBinary("/usr/local/bin/lockbot"); err != nil {
		t.Errorf("an installed binary: %v", err)
	}
}

// TestMachineFormatErrors: on exit 2 the machine formats still write a
// document on standard output, for readers that parse it whatever
// happened.
func TestMachineFormatErrors(t *testing.T) {
	out, _, code := runBin(t, "check", "--format", "json", "testdata/no-such.patch")
	var e struct {
		Schema int    `json:"schema_version"`
		Error  string `json:"error"`
	}
	if code != 2 || json.Unmarshal([]byte(out), &e) != nil || e.Schema != 1 || !strings.Contains(e.Error, "no-such.patch") {
		t.Errorf("check --format json: exit %d, stdout %q", code, out)
	}
	out, _, code = runBin(t, "check", "--format", "b4", "testdata/no-such.patch")
	var b4 []map[string]string
	if code != 2 || json.Unmarshal([]byte(out), &b4) != nil || len(b4) != 1 || b4[0]["status"] != "warn" {
		t.Errorf("check --format b4: exit %d, stdout %q", code, out)
	}
	if out, _, code := runBin(t, "check", "testdata/no-such.patch"); code != 2 || out != "" {
		t.Errorf("check (text): exit %d, stdout %q; want nothing on stdout", code, out)
	}
}

// TestFlagCompletion: the shells complete the words a flag takes, read
// from its usage, and directories for --tree.
func TestFlagCompletion(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"__complete", "check", "--format", ""}, "text\njson\nsarif\nb4\n:4\n"},
		{[]string{"__complete", "scan", "--format", ""}, "text\njson\n:4\n"},
		{[]string{"__complete", "check", "--fail-on", ""}, "error\nwarning\nnever\n:4\n"},
		{[]string{"__complete", "index", "--tree", ""}, ":16\n"},
	} {
		if out, _, _ := runBin(t, c.args...); out != c.want {
			t.Errorf("%v: %q, want %q", c.args, out, c.want)
		}
	}
}

// TestMan writes a man page per command, from the commands' help.
func TestMan(t *testing.T) {
	dir := t.TempDir()
	if out, stderr, code := runBin(t, "man", dir); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	page, err := os.ReadFile(filepath.Join(dir, "lockbot-check.1"))
	if err != nil || !strings.Contains(string(page), ".TH \"LOCKBOT\" \"1\"") || !strings.Contains(string(page), "conditional") {
		t.Errorf("lockbot-check.1: %v\n%.400s", err, page)
	}
	if _, _, code := runBin(t, "man", filepath.Join(dir, "no-such-dir")); code != 2 {
		t.Errorf("missing directory: exit %d, want 2", code)
	}
}

// TestErrorsWithoutPackagePrefixes: an error names the user's input, not
// the package inside lockbot that met it ("diff: ...").
func TestErrorsWithoutPackagePrefixes(t *testing.T) {
	_, stderr, code := runBin(t, "check", "testdata/no-such.patch")
	if code != 2 || !strings.HasPrefix(stderr, "lockbot: open testdata/no-such.patch") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if got := (userError{errors.New("diff: review: x.patch: bad")}).Error(); got != "x.patch: bad" {
		t.Errorf("userError = %q", got)
	}
}

// writeTree writes files, by tree-relative path, under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, src := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// gitIn returns a runner of git in dir, with a fixed identity and no
// signing, that fails the test when git does and returns its output.
func gitIn(t *testing.T, dir string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		c := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"}, args...)...)
		c.Dir = dir
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
}
