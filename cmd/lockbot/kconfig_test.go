// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kernelTree writes a minimal kernel tree: a driver whose sleep under a
// spinlock is only in an #ifdef CONFIG_FOO_SLOW arm.
func kernelTree(t *testing.T, dotConfig string) string {
	t.Helper()
	tree := t.TempDir()
	files := map[string]string{
		"Kconfig":  "config FOO_SLOW\n\tbool\n",
		"Makefile": "obj-y += drivers/\n",
		"drivers/foo/foo.c": `static DEFINE_SPINLOCK(foo_lock);

void foo_stop(void)
{
	spin_lock(&foo_lock);
#ifdef CONFIG_FOO_SLOW
	msleep(1);
#endif
	spin_unlock(&foo_lock);
}
`,
	}
	if dotConfig != "" {
		files[".config"] = dotConfig
	}
	writeTree(t, tree, files)
	if err := os.Mkdir(filepath.Join(tree, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	return tree
}

// In a kernel tree, scan resolves #ifdef arms by the tree's .config, by
// Debian's x86_64 configuration without one, or by --kconfig; "none"
// keeps every arm.
func TestScanKconfig(t *testing.T) {
	plain := kernelTree(t, "")
	withSlow := kernelTree(t, "CONFIG_X86=y\nCONFIG_FOO_SLOW=y\n")
	slowFile := filepath.Join(t.TempDir(), "config")
	os.WriteFile(slowFile, []byte("CONFIG_FOO_SLOW=y\n"), 0o644)
	// A copy of the driver outside any tree: no configuration unless
	// --tree names one.
	copyDir := t.TempDir()
	src, _ := os.ReadFile(filepath.Join(plain, "drivers/foo/foo.c"))
	copied := filepath.Join(copyDir, "foo.c")
	os.WriteFile(copied, src, 0o644)
	for _, c := range []struct {
		name string
		args []string
		code int
	}{
		{"default configuration: no FOO_SLOW", []string{filepath.Join(plain, "drivers/foo/foo.c")}, 0},
		{"none", []string{"--kconfig", "none", filepath.Join(plain, "drivers/foo/foo.c")}, 1},
		{"named file", []string{"--kconfig", slowFile, filepath.Join(plain, "drivers/foo/foo.c")}, 1},
		{"the tree's .config", []string{filepath.Join(withSlow, "drivers/foo/foo.c")}, 1},
		{"a copy outside a tree", []string{copied}, 1},
		{"a copy with --tree", []string{"--tree", plain, copied}, 0},
	} {
		out, stderr, code := runBin(t, append([]string{"scan", "--terse"}, c.args...)...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d\n%s%s", c.name, code, c.code, out, stderr)
		}
		if c.code == 1 && !strings.Contains(out, "SLEEP_IN_ATOMIC") {
			t.Errorf("%s: no SLEEP_IN_ATOMIC:\n%s", c.name, out)
		}
	}
	for _, c := range []struct{ args []string }{
		{[]string{"--kconfig", filepath.Join(plain, "missing"), filepath.Join(plain, "drivers/foo/foo.c")}},
		{[]string{"--kconfig", filepath.Join(plain, "Kconfig"), filepath.Join(plain, "drivers/foo/foo.c")}}, // not a .config
		{[]string{"--tree", t.TempDir(), filepath.Join(plain, "drivers/foo/foo.c")}},
	} {
		_, stderr, code := runBin(t, append([]string{"scan"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, "lockbot:") {
			t.Errorf("scan %q: exit %d, want 2 with an error\n%s", c.args, code, stderr)
		}
	}
}
