// SPDX-License-Identifier: GPL-2.0-only

package kbuild

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRT(t *testing.T) {
	root, ok := FindRoot("../testdata/kbuild/mm/memory.c")
	if !ok {
		t.Fatal("no kernel root found above testdata/kbuild/mm")
	}
	want, _ := filepath.Abs("../testdata/kbuild")
	if root != want {
		t.Fatalf("root %s, want %s", root, want)
	}
	rt, err := LoadRT(root, "PREEMPT_RT")
	if err != nil {
		t.Fatal(err)
	}
	for sym, excluded := range map[string]bool{
		"CONFIG_TRANSPARENT_HUGEPAGE": true,  // depends on !PREEMPT_RT
		"READ_ONLY_THP_FOR_FS":        true,  // depends on an excluded symbol
		"LEGACY_NONRT":                true,  // inside "if !PREEMPT_RT"
		"EITHER":                      false, // SMP || !PREEMPT_RT may hold on RT
		"SHMEM":                       false,
		"PREEMPT_RT":                  false,
		"MM_NONRT":                    true,  // in a file mm/Kconfig rsources
		"STRAY_NONRT":                 false, // in a Kconfig nothing sources
		"X86":                         false, // selects ARCH_SUPPORTS_RT
		"S390":                        true,  // defined only by an architecture without RT
		"MMU":                         false, // defined by x86 too
		"ADB_PMU":                     true,  // PPC_PMAC || S390: neither on RT
		"ANY_ARCH":                    false, // X86 || S390
	} {
		if got := rt.ExcludedConfig(sym); got != excluded {
			t.Errorf("ExcludedConfig(%s) = %v, want %v", sym, got, excluded)
		}
	}
	for file, excluded := range map[string]bool{
		"mm/memory.c":                 false,
		"mm/huge_memory.c":            true,  // obj-$(CONFIG_TRANSPARENT_HUGEPAGE)
		"mm/ro_helper.c":              true,  // part of thp_ro.o, built under READ_ONLY_THP_FOR_FS
		"mm/shmem_extra.c":            false, // CONFIG_SHMEM is fine on RT
		"drivers/thp/thp_driver.c":    true,  // its directory is conditional
		"../outside.c":                false,
		"drivers/s390/sclp.c":         true, // obj-$(CONFIG_S390)
		"drivers/macintosh/via-pmu.c": true, // obj-$(CONFIG_ADB_PMU)
		"arch/s390/kernel/setup.c":    true, // an architecture without RT
		"arch/x86/kernel/setup.c":     false,
	} {
		if got := rt.ExcludedFile(filepath.Join(root, file)); got != excluded {
			t.Errorf("ExcludedFile(%s) = %v, want %v", file, got, excluded)
		}
		// A patch's paths are relative to the tree, not to the working
		// directory.
		if got := (TreeRelative{rt}).ExcludedFile(file); got != excluded && file[0] != '.' {
			t.Errorf("TreeRelative.ExcludedFile(%s) = %v, want %v", file, got, excluded)
		}
	}
}

func TestFindRootOutsideTree(t *testing.T) {
	if root, ok := FindRoot(t.TempDir()); ok {
		t.Fatalf("found a kernel root %s in an empty directory", root)
	}
}

// Before any architecture selected ARCH_SUPPORTS_RT (6.1), PREEMPT_RT came
// as a patch set for several: no architecture's code is ruled out.
func TestRTNoArchSupportsIt(t *testing.T) {
	root := t.TempDir()
	for path, text := range map[string]string{
		"Kconfig":                  "config PREEMPT_RT\n\tbool\n\nsource \"arch/$(SRCARCH)/Kconfig\"\n",
		"Makefile":                 "obj-y += arch/\n",
		"scripts/README":           "",
		"arch/s390/Kconfig":        "config S390\n\tbool\n",
		"arch/s390/kernel/setup.c": "int s390_setup(void) { return 0; }\n",
	} {
		p := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rt, err := LoadRT(root, "PREEMPT_RT")
	if err != nil {
		t.Fatal(err)
	}
	if rt.ExcludedConfig("S390") || rt.ExcludedFile(filepath.Join(root, "arch/s390/kernel/setup.c")) {
		t.Error("s390 ruled out though no architecture supports RT")
	}
}
