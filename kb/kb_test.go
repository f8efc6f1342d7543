// SPDX-License-Identifier: GPL-2.0-only

package kb

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func TestBuiltin(t *testing.T) {
	k, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(k.Funcs); n < 400 {
		t.Errorf("only %d functions: the knowledge base should cover the kernel API widely", n)
	}
	for _, name := range []string{"spin_lock", "raw_spin_lock_irqsave", "hlist_bl_lock", "mutex_lock_interruptible",
		"rcu_read_lock", "srcu_read_lock", "kmalloc", "flush_work", "INIT_WORK", "write_seqcount_begin"} {
		if k.Funcs[name] == nil {
			t.Errorf("%s is missing", name)
		}
	}
	if k.KindOfType("raw_spinlock_t") == nil || k.KindOfType("struct mutex").Name != "mutex" {
		t.Error("lock types do not map to kinds")
	}
	if k.Kinds["bit_spinlock"].Category != Atomic || k.Kinds["spinlock"].Category != Spinning || !k.Kinds["spinlock"].RTSleeps {
		t.Error("kinds lost their categories")
	}
	d := k.Dialect()
	if !d.Attributes["__init"] || d.Annotations["__acquires"] != "acquires" || !d.NoReturn["BUG"] || len(d.BlockMacros) == 0 {
		t.Error("the dialect does not carry the syntax section")
	}
}

func write(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "extra.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExtraFile(t *testing.T) {
	p := write(t, `
functions:
  my_lock: {acquire: spinlock, lock: 0, src: drivers/foo/foo.h}
  msleep: {src: "overridden: no longer sleeps"}
gfp:
  MY_GFP_SLEEPY: blocking
`)
	k, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if f := k.Funcs["my_lock"]; f == nil || f.Acquire != "spinlock" {
		t.Error("an extra entry was not added")
	}
	if k.Funcs["msleep"].Sleeps {
		t.Error("an extra entry did not replace the built-in one")
	}
	if k.GFP["MY_GFP_SLEEPY"] != GFPBlocking || k.GFP["GFP_KERNEL"] != GFPBlocking {
		t.Error("gfp flags were not merged")
	}
}

func TestExtraFileErrors(t *testing.T) {
	for name, text := range map[string]string{
		"unknown field":   "functions:\n  f: {acquires: spinlock, src: x.h}\n",
		"unknown kind":    "functions:\n  f: {acquire: spinlok, src: x.h}\n",
		"no src":          "functions:\n  f: {acquire: spinlock}\n",
		"bad category":    "kinds:\n  k: {category: sometimes}\n",
		"implies nothing": "kinds:\n  k: {category: none, implies: [nothing]}\n",
		"bad success":     "functions:\n  f: {try: mutex, success: maybe, src: x.h}\n",
		"bad gfp":         "gfp:\n  X: perhaps\n",
		"guard to nobody": "guards:\n  g: {lock: nothing, unlock: spin_unlock, src: x.h}\n",
		"not yaml":        "functions: [\n",
	} {
		if _, err := Load(write(t, text)); err == nil {
			t.Errorf("%s: loaded without error", name)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file loaded without error")
	}
}

// TestSourcesInKernel checks that every entry names a file of a real
// kernel tree that mentions it. It needs LOCKBOT_KERNEL_6_12 (and
// LOCKBOT_KERNEL_6_1 for entries marked v6.1).
func TestSourcesInKernel(t *testing.T) {
	root := os.Getenv("LOCKBOT_KERNEL_6_12")
	if root == "" {
		t.Skip("LOCKBOT_KERNEL_6_12 is not set")
	}
	root61 := os.Getenv("LOCKBOT_KERNEL_6_1")
	k, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	check := func(kind, name, src string) {
		path, tree := strings.Fields(src)[0], root
		if strings.Contains(src, "v6.1") {
			if root61 == "" {
				return
			}
			tree = root61
		}
		if strings.Contains(src, "builtin") {
			return
		}
		data, err := os.ReadFile(filepath.Join(tree, path))
		if err != nil {
			t.Errorf("%s %s: %v", kind, name, err)
			return
		}
		// Guard classes are declared as DEFINE_*GUARD*(name, ...); the
		// conditional ones compose name and suffix (spinlock_try).
		word := name
		if kind == "guard" {
			word = strings.TrimSuffix(strings.TrimSuffix(name, "_try"), "_intr")
		}
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(word) + `\b`).Match(data) {
			t.Errorf("%s %s: not found in %s", kind, name, path)
		}
	}
	for n, f := range k.Funcs {
		check("function", n, f.Src)
	}
	for n, g := range k.Guards {
		check("guard", n, g.Src)
	}
	for n, kd := range k.Kinds {
		if _, err := os.Stat(filepath.Join(root, kd.Src)); err != nil {
			t.Errorf("kind %s: %v", n, err)
		}
	}
}

// TestLoadFS: files read from an fs.FS make the same knowledge base as
// the same files read from paths, and errors name them by their path in
// it.
func TestLoadFS(t *testing.T) {
	one := "functions:\n  my_lock: {acquire: spinlock, lock: 0, src: drivers/foo/foo.h}\n  msleep: {src: \"overridden\"}\n"
	two := "functions:\n  my_lock: {acquire: mutex, lock: 0, src: drivers/foo/foo.h}\ngfp:\n  MY_GFP: blocking\n"
	dir := t.TempDir()
	var paths []string
	for i, text := range []string{one, two} {
		p := filepath.Join(dir, string(rune('a'+i))+".yaml")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	fsys := fstest.MapFS{
		"lockbot/one.yaml": {Data: []byte(one)},
		"lockbot/two.yaml": {Data: []byte(two)},
		"lockbot/bad.yaml": {Data: []byte("functions: [\n")},
	}
	fromPaths, err := Load(paths...)
	if err != nil {
		t.Fatal(err)
	}
	fromFS, err := LoadFS(fsys, "lockbot/one.yaml", "lockbot/two.yaml")
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, a, b *KB) {
		t.Helper()
		if a.Hash() != b.Hash() || !reflect.DeepEqual(a.Funcs, b.Funcs) || !reflect.DeepEqual(a.Kinds, b.Kinds) ||
			!reflect.DeepEqual(a.GFP, b.GFP) || !reflect.DeepEqual(a.Syntax, b.Syntax) {
			t.Errorf("%s: not the knowledge base Load makes of the same files", what)
		}
	}
	same("LoadFS", fromPaths, fromFS)
	if f := fromFS.Funcs["my_lock"]; f == nil || f.Acquire != "mutex" || fromFS.Funcs["msleep"].Sleeps || fromFS.GFP["MY_GFP"] != GFPBlocking {
		t.Error("LoadFS did not merge the files in order over the built-in knowledge base")
	}

	// Extend adds a tree's files to those a knowledge base was loaded
	// from, leaving it as it was.
	first, err := Load(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	hash := first.Hash()
	extended, err := first.Extend(fsys, "lockbot/two.yaml")
	if err != nil {
		t.Fatal(err)
	}
	same("Extend", fromPaths, extended)
	if first.Hash() != hash || first.Funcs["my_lock"].Acquire != "spinlock" {
		t.Error("Extend changed the knowledge base it extends")
	}

	for _, name := range []string{"lockbot/bad.yaml", "lockbot/missing.yaml"} {
		if _, err := LoadFS(fsys, name); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("LoadFS(%s): %v, want an error naming it", name, err)
		}
	}
}
