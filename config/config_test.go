// SPDX-License-Identifier: GPL-2.0-only

package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The rule IDs of rules.All(), listed here so that this package's tests do
// not build the cgo parser.
var ruleIDs = []string{
	"RT_SLEEPING_LOCK_IN_ATOMIC", "SLEEP_IN_ATOMIC", "SLEEP_IN_RCU", "ALLOC_IN_RAW_ATOMIC",
	"NOWAIT_MAY_BLOCK", "LOCK_LEAK", "DOUBLE_LOCK", "UNLOCK_NOT_HELD", "LOCK_ORDER_INVERSION",
	"WAIT_UNDER_LOCK", "SEQCOUNT_WRITE_PREEMPTIBLE",
}

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const valid = `# settings for a kernel tree
rt: false
rules:
  disable: [LOCK_ORDER_INVERSION, DOUBLE_LOCK]
  severity: {SLEEP_IN_RCU: warning, LOCK_LEAK: info}
skip: ["drivers/staging/**", "./tools", "**/*_test.c"]
kb: [lockbot-extra.yaml, sub/more.yaml]
suppress:
  - fingerprint: 3f2a9c0d1e2b3a4f
    reason: "false alarm: lock held by caller via foo_lock()"
  - fingerprint: "0000111122223333"
    reason: known, fixed upstream in 6.12
`

func TestLoadValid(t *testing.T) {
	dir := t.TempDir()
	extra := write(t, dir, "lockbot-extra.yaml", "functions: {}\n")
	more := write(t, dir, "sub/more.yaml", "functions: {}\n")
	file := write(t, dir, FileName, valid)

	c, err := Load(file, ruleIDs)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path() != file {
		t.Errorf("Path() = %q", c.Path())
	}
	if c.RT() {
		t.Error("rt: false not honoured")
	}
	for rule, want := range map[string]bool{"LOCK_ORDER_INVERSION": false, "DOUBLE_LOCK": false, "SLEEP_IN_ATOMIC": true} {
		if got := c.Enabled(rule); got != want {
			t.Errorf("Enabled(%s) = %v, want %v", rule, got, want)
		}
	}
	for rule, want := range map[string]string{"SLEEP_IN_RCU": "warning", "LOCK_LEAK": "info", "SLEEP_IN_ATOMIC": "error"} {
		if got := c.Severity(rule, "error"); got != want {
			t.Errorf("Severity(%s) = %q, want %q", rule, got, want)
		}
	}
	if r, ok := c.Suppressed("3f2a9c0d1e2b3a4f"); !ok || !strings.HasPrefix(r, "false alarm") {
		t.Errorf("Suppressed(3f2a...) = %q, %v", r, ok)
	}
	if r, ok := c.Suppressed("0000111122223333"); !ok || r != "known, fixed upstream in 6.12" {
		t.Errorf("Suppressed(0000...) = %q, %v", r, ok)
	}
	if _, ok := c.Suppressed("ffff"); ok {
		t.Error("unknown fingerprint suppressed")
	}
	if got := c.KBFiles(); !reflect.DeepEqual(got, []string{extra, more}) {
		t.Errorf("KBFiles() = %q, want %q", got, []string{extra, more})
	}
}

func TestSkip(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(write(t, dir, FileName, `skip: ["drivers/staging/**", "./tools", "**/*_test.c", "mm/slab?.c", "net/{core,ipv4}/*.h"]`), ruleIDs)
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"drivers/staging/foo/bar.c": true,
		"drivers/staging":           true,
		"./drivers/staging/x.c":     true,
		"drivers/stagingx/a.c":      false,
		"drivers/md/dm.c":           false,
		"tools/perf/builtin-top.c":  true, // "tools" matches the directory
		"tools":                     true,
		"toolsy/a.c":                false,
		"lib/kunit/list_test.c":     true,
		"list_test.c":               true,
		"mm/slab1.c":                true,
		"mm/slab.c":                 false,
		"net/core/sock.h":           true,
		"net/ipv6/route.h":          false,
		"/abs/drivers/staging/a.c":  false,
		"../drivers/staging/a.c":    false,
		".":                         false,
	} {
		if got := c.Skip(p); got != want {
			t.Errorf("Skip(%q) = %v, want %v", p, got, want)
		}
	}
	if got := c.Skip(filepath.Join("drivers", "staging", "x.c")); !got {
		t.Error("Skip does not take OS paths")
	}
}

func TestDefaults(t *testing.T) {
	dir := t.TempDir()
	empty, err := Load(write(t, dir, "empty.yaml", "# nothing\n"), ruleIDs)
	if err != nil {
		t.Fatal(err)
	}
	rtOnly, err := Load(write(t, dir, "rt.yaml", "rt: true\nrules:\nsuppress: []\n"), ruleIDs)
	if err != nil {
		t.Fatal(err)
	}
	var nilConfig *Config
	for name, c := range map[string]*Config{"Default()": Default(), "empty file": empty, "rt only": rtOnly, "nil": nilConfig} {
		if !c.RT() || !c.Enabled("LOCK_LEAK") || c.Severity("LOCK_LEAK", "warning") != "warning" ||
			c.Skip("drivers/md/dm.c") || len(c.KBFiles()) != 0 {
			t.Errorf("%s: not the defaults: %+v", name, c)
		}
		if _, ok := c.Suppressed("3f2a9c0d1e2b3a4f"); ok {
			t.Errorf("%s: suppresses", name)
		}
	}
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	if p, ok := Find(dir); ok || p != filepath.Join(dir, FileName) {
		t.Errorf("Find(empty dir) = %q, %v", p, ok)
	}
	write(t, dir, FileName, "rt: true\n")
	if p, ok := Find(dir); !ok || p != filepath.Join(dir, FileName) {
		t.Errorf("Find = %q, %v", p, ok)
	}
}

func TestKBRelativeToFile(t *testing.T) {
	root := t.TempDir()
	extra := write(t, root, "conf/extra.yaml", "functions: {}\n")
	abs := write(t, root, "elsewhere/abs.yaml", "functions: {}\n")
	write(t, root, "conf/"+FileName, "kb: [extra.yaml, ../conf/./extra.yaml, "+abs+"]\n")

	// Load from another working directory with a relative file name: kb
	// paths follow the file, not the process.
	t.Chdir(root)
	c, err := Load(filepath.Join("conf", FileName), ruleIDs)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.KBFiles(); !reflect.DeepEqual(got, []string{extra, extra, abs}) {
		t.Errorf("KBFiles() = %q", got)
	}
	for _, p := range c.KBFiles() {
		if !filepath.IsAbs(p) {
			t.Errorf("%s is not absolute", p)
		}
	}

	_, err = Load(write(t, root, "conf/missing.yaml", "rt: true\nkb: [nope.yaml]\n"), ruleIDs)
	wantErr(t, err, "missing.yaml", "line 2", "nope.yaml")
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func TestErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		want []string
	}{
		"unknown top-level key": {"rt: true\nrulez:\n  disable: [LOCK_LEAK]\n",
			[]string{"line 2", `unknown key "rulez"`, "top level", "rules, skip"}},
		"unknown key under rules": {"rules:\n  disable: [LOCK_LEAK]\n  enable: [DOUBLE_LOCK]\n",
			[]string{"line 3", `unknown key "enable"`, "under rules", "disable, severity"}},
		"unknown key in suppress": {"suppress:\n  - fingerprint: ab12\n    reason: ok\n    until: 2025\n",
			[]string{"line 4", `unknown key "until"`, "suppress entry", "fingerprint, reason"}},
		"bad rule in disable": {"rules:\n  disable: [LOCK_LEAK, LOCK_LEAKS]\n",
			[]string{"line 2", `unknown rule "LOCK_LEAKS"`, "rules.disable", "DOUBLE_LOCK"}},
		"bad rule in severity": {"rules:\n  severity:\n    SLEEP_IN_RCU: warning\n    SLEEP_IN_RUC: error\n",
			[]string{"line 4", `unknown rule "SLEEP_IN_RUC"`, "rules.severity"}},
		"bad severity": {"rules:\n  severity: {SLEEP_IN_RCU: fatal}\n",
			[]string{"line 2", `"fatal"`, "error, warning, info"}},
		"null severity": {"rules:\n  severity: {SLEEP_IN_RCU: }\n", []string{"line 2", `severity ""`}},
		"duplicate severity": {"rules:\n  severity:\n    LOCK_LEAK: info\n    LOCK_LEAK: error\n",
			[]string{"line 4", "LOCK_LEAK", "line 3"}},
		"severity not a map": {"rules:\n  severity: [LOCK_LEAK]\n", []string{"line 2", "mapping"}},
		"bad glob":           {"skip:\n  - drivers/[staging\n", []string{"line 2", `"drivers/[staging"`, "not a valid glob"}},
		"absolute glob":      {"skip: [/usr/src/linux/**]\n", []string{"line 1", "relative to the tree root"}},
		"parent glob":        {"skip: [../other/**]\n", []string{"line 1", "relative to the tree root"}},
		"empty glob":         {"skip: ['']\n", []string{"line 1", "empty skip pattern"}},
		"missing reason": {"suppress:\n  - fingerprint: 3f2a9c0d1e2b3a4f\n",
			[]string{"line 2", "suppress entry 1", "reason is required"}},
		"blank reason": {"suppress:\n  - fingerprint: aa\n    reason: ok\n  - fingerprint: bb\n    reason: '   '\n",
			[]string{"line 5", "suppress entry 2", "reason is required"}},
		"missing fingerprint": {"suppress:\n  - reason: because\n", []string{"line 2", "fingerprint is required"}},
		"empty entry":         {"suppress:\n  - {}\n", []string{"suppress entry 1", "fingerprint is required"}},
		"duplicate fingerprint": {"suppress:\n  - {fingerprint: aa, reason: x}\n  - {fingerprint: aa, reason: y}\n",
			[]string{"line 3", "suppressed twice"}},
		"rt not a bool":     {"rt: maybe\n", []string{"line 1", "bool"}},
		"skip not a list":   {"skip: tools/**\n", []string{"line 1", "a list"}},
		"list of lists":     {"skip: [[a]]\n", []string{"line 1", "single value"}},
		"not a mapping":     {"- rt\n", []string{"line 1", "settings (a mapping)"}},
		"duplicate key":     {"rt: true\nrt: false\n", []string{"line 2", `"rt" already defined`}},
		"two documents":     {"rt: true\n---\nrt: false\n", []string{"line 2", "more than one YAML document"}},
		"syntax error":      {"rules: {disable: [\n", []string{"yaml"}},
		"empty kb path":     {"kb: ['']\n", []string{"line 1", "empty kb path"}},
		"kb is a directory": {"kb: [.]\n", []string{"line 1", "not a regular file"}},
	} {
		t.Run(name, func(t *testing.T) {
			file := write(t, t.TempDir(), FileName, tc.text)
			_, err := Load(file, ruleIDs)
			wantErr(t, err, append([]string{file}, tc.want...)...)
		})
	}
}

func TestLoadBounds(t *testing.T) {
	dir := t.TempDir()
	big := write(t, dir, "big.yaml", "# "+strings.Repeat("x", MaxSize)+"\n")
	_, err := Load(big, ruleIDs)
	wantErr(t, err, "big.yaml", "more than")

	_, err = Load(dir, ruleIDs)
	wantErr(t, err, dir, "not a regular file")

	_, err = Load(filepath.Join(dir, "absent.yaml"), ruleIDs)
	wantErr(t, err, "absent.yaml", "no such file")
}

// FuzzLoad feeds arbitrary bytes to the parser: it must not panic, and what
// it accepts must keep the invariants the rest of lockbot relies on.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(valid))
	f.Add([]byte("rt: true\n"))
	f.Add([]byte("rules:\n  severity: {SLEEP_IN_RCU: warning}\n  disable: [LOCK_LEAK]\n"))
	f.Add([]byte("skip: ['**/{a,b}/*.[ch]', 'x\\\\y']\nkb: [extra.yaml]\n"))
	f.Add([]byte("suppress:\n  - fingerprint: 3f2a\n    reason: why\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("rules: {severity: {? [a]: b}}\n"))
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "extra.yaml"), []byte("functions: {}\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parse(data, dir, ruleIDs)
		if err != nil {
			if c != nil {
				t.Fatal("config returned with an error")
			}
			return
		}
		for _, r := range ruleIDs {
			if s := c.Severity(r, "default"); s != "default" && s != "error" && s != "warning" && s != "info" {
				t.Fatalf("Severity(%s) = %q", r, s)
			}
			c.Enabled(r)
		}
		for _, p := range c.KBFiles() {
			if !filepath.IsAbs(p) {
				t.Fatalf("kb path %q is not absolute", p)
			}
		}
		for _, p := range []string{"drivers/md/dm.c", "a", "", "../x", "/x", "a/b/c/d/e.c"} {
			c.Skip(p)
		}
	})
}

func TestParseFromCommit(t *testing.T) {
	c, err := Parse([]byte(valid), "base:.lockbot.yaml", ruleIDs)
	if err != nil {
		t.Fatal(err)
	}
	// Tree-relative and unchecked: the caller fetches them from the same
	// commit, and nothing on this machine is looked at.
	if got := c.KBFiles(); !reflect.DeepEqual(got, []string{"lockbot-extra.yaml", "sub/more.yaml"}) {
		t.Errorf("KBFiles() = %q", got)
	}
	if c.RT() || c.Enabled("DOUBLE_LOCK") || c.Path() != "base:.lockbot.yaml" {
		t.Errorf("settings not read: rt %v, DOUBLE_LOCK %v, path %q", c.RT(), c.Enabled("DOUBLE_LOCK"), c.Path())
	}
	_, err = Parse([]byte("kb: [../../etc/passwd]\n"), "base:.lockbot.yaml", ruleIDs)
	wantErr(t, err, "base:.lockbot.yaml", "line 1", "relative to the tree root")
	_, err = Parse([]byte("colour: red\n"), "base:.lockbot.yaml", ruleIDs)
	wantErr(t, err, "base:.lockbot.yaml", "colour")
	_, err = Parse(make([]byte, MaxSize+1), "big", ruleIDs)
	wantErr(t, err, "big", "more than")
}
