// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"lockbot/cparse"
	"lockbot/kb"
	"lockbot/source"
)

// benchSources loads the rule test cases: small, always present, and
// written to exercise every rule.
func benchSources(b *testing.B) ([]source.Source, int64) {
	b.Helper()
	srcs, err := source.LoadPaths([]string{"../testdata/rules"}, source.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if len(srcs) == 0 {
		b.Fatal("no C files in testdata/rules")
	}
	return srcs, totalBytes(srcs)
}

func totalBytes(srcs []source.Source) int64 {
	var n int64
	for _, s := range srcs {
		n += int64(len(s.Src))
	}
	return n
}

func BenchmarkParse(b *testing.B) {
	srcs, n := benchSources(b)
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	b.SetBytes(n)
	for b.Loop() {
		for _, s := range srcs {
			if _, err := p.Parse(s.Path, s.Src); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkAnalyze(b *testing.B) {
	srcs, n := benchSources(b)
	opt := Options{KB: kb.MustDefault()}
	b.SetBytes(n)
	for b.Loop() {
		if _, err := Analyze(context.Background(), srcs, opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKernelSubsystem measures a real subsystem, where the shape of
// the code (long functions, deep call chains, many files) differs from the
// test cases. scripts/fetch-kernel.sh gives a tree.
func BenchmarkKernelSubsystem(b *testing.B) {
	tree := os.Getenv("LOCKBOT_KERNEL_DIR")
	if tree == "" {
		b.Skip("LOCKBOT_KERNEL_DIR not set: point it at a kernel tree (scripts/fetch-kernel.sh 6.12 drivers/md)")
	}
	srcs, err := source.LoadPaths([]string{filepath.Join(tree, "drivers/md")}, source.LoadOptions{IncludeDepth: 2})
	if err != nil {
		b.Fatal(err)
	}
	opt := Options{KB: kb.MustDefault()}
	b.SetBytes(totalBytes(srcs))
	for b.Loop() {
		if _, err := Analyze(context.Background(), srcs, opt); err != nil {
			b.Fatal(err)
		}
	}
}
