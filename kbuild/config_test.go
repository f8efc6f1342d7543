// SPDX-License-Identifier: GPL-2.0-only

package kbuild

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testConfig = `#
# Automatically generated file; DO NOT EDIT.
CONFIG_X86=y
CONFIG_PM=y
CONFIG_USB=m
CONFIG_HZ=250
CONFIG_LOCALVERSION="-test"
# CONFIG_HAVE_CLK is not set
CONFIG_SHMEM=y
CONFIG_PREEMPT_RT=y
`

func TestConfigEval(t *testing.T) {
	c, err := ParseConfig(strings.NewReader(testConfig), "test")
	if err != nil {
		t.Fatal(err)
	}
	c = c.ForTree("", func(s string) bool { return s == "CONFIG_PREEMPT_RT" })
	for expr, want := range map[string]struct{ val, ok bool }{
		"defined(CONFIG_PM)":                                  {true, true},
		"defined(CONFIG_HAVE_CLK)":                            {false, true},
		"defined(CONFIG_USB)":                                 {false, true}, // a module defines CONFIG_USB_MODULE
		"defined(CONFIG_USB_MODULE)":                          {true, true},
		"#if IS_ENABLED(CONFIG_USB)":                          {true, true},
		"IS_BUILTIN(CONFIG_USB)":                              {false, true},
		"IS_MODULE(CONFIG_USB)":                               {true, true},
		"IS_REACHABLE(CONFIG_USB)":                            {false, false}, // depends on the caller
		"#if defined(CONFIG_PM) && !defined(CONFIG_HAVE_CLK)": {true, true},
		"#if defined CONFIG_HAVE_CLK || defined(MODULE)":      {false, false},
		"#if defined(CONFIG_PM) || defined(MODULE)":           {true, true}, // one side decides
		"#if defined(CONFIG_HAVE_CLK) && defined(MODULE)":     {false, true},
		"#if CONFIG_HZ >= 1000":                               {false, true},
		"#if CONFIG_HZ == 250":                                {true, true},
		"#if CONFIG_USB":                                      {false, true},  // not defined for m
		"defined(CONFIG_PREEMPT_RT)":                          {false, false}, // the RT rules judge these arms
		"IS_ENABLED(CONFIG_PREEMPT_RT)":                       {false, false},
		"defined(__KERNEL__)":                                 {false, false},
		"#if LINUX_VERSION_CODE > 5":                          {false, false},
		"#if (defined(CONFIG_PM)":                             {false, false}, // malformed
		"IS_ENABLED(CONFIG_PM) && x":                          {false, false},
	} {
		v, ok := c.Eval(expr)
		if v != want.val || ok != want.ok {
			t.Errorf("Eval(%q) = %v, %v; want %v, %v", expr, v, ok, want.val, want.ok)
		}
	}
	if got := c.Value("CONFIG_LOCALVERSION"); got != "-test" {
		t.Errorf("Value(LOCALVERSION) = %q", got)
	}
	if c.Arch() != "x86" {
		t.Errorf("Arch() = %q, want x86", c.Arch())
	}
}

func TestConfigFormats(t *testing.T) {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(testConfig))
	w.Close()
	c, err := ParseConfig(&gz, "config.gz")
	if err != nil || c.Value("PM") != "y" {
		t.Fatalf("gzip: %v, PM=%q", err, c.Value("PM"))
	}
	// The embedded default is xz, as Debian ships it.
	d := DefaultConfig()
	if d.Value("PM") != "y" || d.Value("SUPERH") != "" || d.Arch() != "x86" {
		t.Errorf("default: PM=%q SUPERH=%q arch=%q", d.Value("PM"), d.Value("SUPERH"), d.Arch())
	}
	if _, err := ParseConfig(strings.NewReader("not a config\n"), "x"); err == nil {
		t.Error("a file without CONFIG_ lines was accepted")
	}
	if _, err := ParseConfig(bytes.NewReader([]byte{0x1f, 0x8b, 1, 2, 3}), "x"); err == nil {
		t.Error("broken gzip accepted")
	}
	big := strings.Repeat("CONFIG_A=y\n", maxConfig/11+10)
	if _, err := ParseConfig(strings.NewReader(big), "x"); err == nil {
		t.Error("a configuration over the bound was accepted")
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing file was accepted")
	}
}

func TestConfigBuilds(t *testing.T) {
	root, _ := filepath.Abs("../testdata/kbuild")
	c, err := ParseConfig(strings.NewReader("CONFIG_X86=y\nCONFIG_SHMEM=y\nCONFIG_MMU=y\n"), "test")
	if err != nil {
		t.Fatal(err)
	}
	c = c.ForTree(root, nil)
	for file, built := range map[string]bool{
		"mm/nommu.c":                  false, // mmu-y, replaced by "mmu-$(CONFIG_MMU) :="
		"mm/mmap.c":                   true,
		"mm/memory.c":                 true,  // obj-y
		"mm/huge_memory.c":            false, // obj-$(CONFIG_TRANSPARENT_HUGEPAGE), unset
		"mm/shmem_extra.c":            true,  // obj-$(CONFIG_SHMEM)
		"mm/ro_helper.c":              false, // part of thp_ro.o, whose own setting is unset
		"drivers/thp/thp_driver.c":    false, // its directory is conditional
		"drivers/s390/sclp.c":         false,
		"drivers/macintosh/via-pmu.c": false, // obj-$(CONFIG_ADB_PMU) in an obj-y directory
		"arch/s390/kernel/setup.c":    false, // another architecture
		"arch/x86/kernel/setup.c":     true,
		"include/linux/pm.h":          true, // headers are built where included
		"mm/unlisted.c":               true, // no Makefile says otherwise
	} {
		if got := c.Builds(file); got != built {
			t.Errorf("Builds(%s) = %v, want %v", file, got, built)
		}
		if got := c.Builds(filepath.Join(root, file)); got != built {
			t.Errorf("Builds(absolute %s) = %v, want %v", file, got, built)
		}
	}
	nommu, err := ParseConfig(strings.NewReader("CONFIG_X86=y\n"), "nommu")
	if err != nil {
		t.Fatal(err)
	}
	nommu = nommu.ForTree(root, nil)
	if !nommu.Builds("mm/nommu.c") || nommu.Builds("mm/mmap.c") {
		t.Errorf("without CONFIG_MMU: Builds(mm/nommu.c) = %v, Builds(mm/mmap.c) = %v, want true, false",
			nommu.Builds("mm/nommu.c"), nommu.Builds("mm/mmap.c"))
	}
}

func TestConfigFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".config")
	if err := os.WriteFile(p, []byte(testConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(p)
	if err != nil || c.Value("USB") != "m" {
		t.Fatalf("LoadConfig: %v, USB=%q", err, c.Value("USB"))
	}
}

func TestResolveConfig(t *testing.T) {
	root, _ := filepath.Abs("../testdata/kbuild")
	if c, err := ResolveConfig("none", root, nil); c != nil || err != nil {
		t.Errorf("none: %v, %v", c, err)
	}
	if c, err := ResolveConfig("", "", nil); c != nil || err != nil {
		t.Errorf("outside a tree: %v, %v", c, err)
	}
	c, err := ResolveConfig("", root, nil)
	if err != nil || c == nil || c.Name != DefaultConfigName || c.Builds("drivers/s390/sclp.c") {
		t.Fatalf("a tree without .config: %v, %+v", err, c)
	}
	p := filepath.Join(t.TempDir(), "cfg")
	os.WriteFile(p, []byte("CONFIG_S390=y\n"), 0o644)
	c, err = ResolveConfig(p, root, nil)
	if err != nil || !c.Builds("drivers/s390/sclp.c") || c.Builds("arch/x86/kernel/setup.c") {
		t.Fatalf("a named file: %v, %+v", err, c)
	}
	if _, err := ResolveConfig(filepath.Join(t.TempDir(), "missing"), root, nil); err == nil {
		t.Error("a missing file was accepted")
	}
}

func TestConfigEvalDeep(t *testing.T) {
	c, _ := ParseConfig(strings.NewReader(testConfig), "test")
	deep := "#if " + strings.Repeat("(", 100000) + "defined(CONFIG_PM)" + strings.Repeat(")", 100000)
	if _, ok := c.Eval(deep); ok {
		t.Error("an expression nested 100000 deep was decided")
	}
	bangs := "#if " + strings.Repeat("!", 100000) + "defined(CONFIG_PM)"
	if _, ok := c.Eval(bangs); ok {
		t.Error("100000 negations were decided")
	}
	if v, ok := c.Eval("#if " + strings.Repeat("(", 20) + "defined(CONFIG_PM)" + strings.Repeat(")", 20)); !ok || !v {
		t.Error("a modest nesting was not decided")
	}
}

func FuzzConfigEval(f *testing.F) {
	c, _ := ParseConfig(strings.NewReader(testConfig), "test")
	for _, s := range []string{"defined(CONFIG_PM)", "#if IS_ENABLED(CONFIG_USB) && !(CONFIG_HZ > 100)", "#if (", "#if 0x1ffffffffffffffffff", "#if defined"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c.Eval(s)
	})
}

// TestEvalPartial: with only PREEMPT_RT known, an arm that needs it unset
// is decided, one that needs another symbol is not.
func TestEvalPartial(t *testing.T) {
	known := map[string]string{"PREEMPT_RT": "y", "HIGHMEM": ""}
	for _, tc := range []struct {
		expr    string
		val, ok bool
	}{
		{"defined(CONFIG_SMP) || defined(CONFIG_PREEMPT_RT)", true, true},
		{"#if defined(CONFIG_SMP) && !defined(CONFIG_PREEMPT_RT)", false, true},
		{"defined(CONFIG_SMP)", false, false},
		{"IS_ENABLED(CONFIG_HIGHMEM) || defined(CONFIG_SMP)", false, false},
		{"defined(CONFIG_HIGHMEM)", false, true},
	} {
		val, ok := EvalPartial(tc.expr, known)
		if val != tc.val || ok != tc.ok {
			t.Errorf("EvalPartial(%q) = %v, %v; want %v, %v", tc.expr, val, ok, tc.val, tc.ok)
		}
	}
	// A PREEMPT_RT kernel on x86 has no HIGHMEM, so no
	// HASHED_PAGE_VIRTUAL: mm/highmem.c's page_address() is not built.
	derived := func(n string) (string, bool) {
		if n == "HASHED_PAGE_VIRTUAL" {
			return "(defined(CONFIG_HIGHMEM) && !defined(WANT_PAGE_VIRTUAL))", true
		}
		return "", false
	}
	if val, ok := EvalPartialDerived("#if defined(HASHED_PAGE_VIRTUAL)", known, derived); val || !ok {
		t.Errorf("defined(HASHED_PAGE_VIRTUAL) on RT: %v, %v; want false, true", val, ok)
	}
	if _, ok := EvalPartialDerived("#if !defined(HASHED_PAGE_VIRTUAL) && !defined(WANT_PAGE_VIRTUAL)", known, derived); ok {
		t.Error("the other arm decided, though WANT_PAGE_VIRTUAL is not known")
	}
}

// TestConfigDerived: a name a header defines under a condition is
// decided as the condition is, recursively, and stays unknown where the
// condition reads what the configuration does not decide.
func TestConfigDerived(t *testing.T) {
	derived := map[string]string{
		"HASHED_PAGE_VIRTUAL": "defined(CONFIG_HIGHMEM) && !defined(WANT_PAGE_VIRTUAL)",
		"OUTER":               "defined(HASHED_PAGE_VIRTUAL) || defined(CONFIG_SMP)",
		"LOOP":                "defined(LOOP)",
	}
	lookup := func(n string) (string, bool) { c, ok := derived[n]; return c, ok }
	for _, tc := range []struct {
		config, expr string
		val, ok      bool
	}{
		{"CONFIG_SMP=y\n", "defined(HASHED_PAGE_VIRTUAL)", false, true},
		{"CONFIG_SMP=y\n", "!defined(HASHED_PAGE_VIRTUAL) && !defined(WANT_PAGE_VIRTUAL)", false, false},
		{"CONFIG_HIGHMEM=y\n", "defined(HASHED_PAGE_VIRTUAL)", false, false},
		{"CONFIG_SMP=y\n", "defined(OUTER)", true, true},
		{"CONFIG_PM=y\n# CONFIG_SMP is not set\n", "defined(OUTER)", false, true},
		{"CONFIG_SMP=y\n", "defined(LOOP)", false, false},
		{"CONFIG_SMP=y\n", "defined(UNKNOWN_NAME)", false, false},
	} {
		c, err := ParseConfig(strings.NewReader(tc.config), "test")
		if err != nil {
			t.Fatal(err)
		}
		c = c.SetDerived(lookup)
		if v, ok := c.Eval(tc.expr); v != tc.val || ok != tc.ok {
			t.Errorf("%q with %q: %v, %v; want %v, %v", tc.expr, tc.config, v, ok, tc.val, tc.ok)
		}
	}
}
