// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lockbot/kb"
	"lockbot/source"
)

// A C file another C file includes (a unity build, as kernel/sched's
// build_utility.c includes psi.c) is read with the headers its includer
// reads before it: the helper that disables interrupts is defined there.
func TestUnityBuildContext(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("core.h", "static inline void core_lock_irq(void) { local_irq_disable(); }\n"+
		"static inline void core_unlock_irq(void) { local_irq_enable(); }\n")
	write("part.c", "static DEFINE_MUTEX(part_mutex);\n"+
		"void part_update(void)\n{\n\tcore_lock_irq();\n\tmutex_lock(&part_mutex);\n"+
		"\tmutex_unlock(&part_mutex);\n\tcore_unlock_irq();\n}\n")
	scan := func() []*Finding {
		srcs, err := source.LoadPaths([]string{filepath.Join(dir, "part.c")}, source.LoadOptions{IncludeDepth: 2})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Analyze(context.Background(), srcs, Options{KB: kb.MustDefault()})
		if err != nil {
			t.Fatal(err)
		}
		return res.Findings
	}
	if fs := scan(); len(fs) != 0 {
		t.Errorf("without an includer, core.h is not read: %d findings", len(fs))
	}
	write("build_all.c", "#include \"core.h\"\n#include \"part.c\"\n#include \"other.c\"\n")
	if fs := scan(); len(fs) != 1 || fs[0].Rule != "SLEEP_IN_ATOMIC" || fs[0].Line != 5 {
		t.Errorf("with build_all.c including core.h then part.c: %+v, want SLEEP_IN_ATOMIC at line 5", fs)
	}
}

func TestQuotedIncludes(t *testing.T) {
	src := "#include <linux/spinlock.h>\n" +
		"#include \"dm.h\"\n" +
		"  #  include   \"dm-bio-record.h\"\r\n" +
		"\t#include\t\"a/b.h\" /* why */\n" +
		"#define X \"not.h\"\n" +
		"int x; #include \"no.h\"\n" +
		"#include \"\"\n" +
		"#includes \"odd.h\"\n" +
		"#include \"last.h\""
	got := source.QuotedIncludes([]byte(src))
	want := []string{"dm.h", "dm-bio-record.h", "a/b.h", "last.h"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("QuotedIncludes = %q, want %q", got, want)
	}
}
