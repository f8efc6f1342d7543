package rules

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"lockbot/kb"
	"lockbot/source"
)

// TestRules runs every case in testdata/rules: a C file, or a directory of
// C files analysed together. Each expected finding is marked on its line
// with a comment "want RULE [RULE...]"; every finding must be wanted and
// every want found.
func TestRules(t *testing.T) {
	k, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("../testdata/rules")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("no test cases")
	}
	for _, e := range entries {
		path := filepath.Join("../testdata/rules", e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			var files []string
			if e.IsDir() {
				files, _ = filepath.Glob(filepath.Join(path, "*.[ch]"))
			} else if strings.HasSuffix(path, ".c") {
				files = []string{path}
			} else {
				t.Skip("not a case")
			}
			checkCase(t, k, files)
		})
	}
}

var wantRE = regexp.MustCompile(`want((?:\s+[A-Z_]+)+)`)

func checkCase(t *testing.T, k *kb.KB, files []string) {
	t.Helper()
	var srcs []source.Source
	want := map[string]int{} // "file:line:RULE" -> count
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, source.Source{Path: f, Src: data})
		for i, line := range strings.Split(string(data), "\n") {
			if m := wantRE.FindStringSubmatch(line); m != nil && (strings.Contains(line, "/*") || strings.Contains(line, "//")) {
				for _, r := range strings.Fields(m[1]) {
					want[fmt.Sprintf("%s:%d:%s", f, i+1, r)]++
				}
			}
		}
	}
	res, err := Analyze(context.Background(), srcs, Options{KB: k, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("parse errors: %v", res.Errors)
	}
	if res.Stats.Failed > 0 {
		t.Errorf("%d functions could not be analysed", res.Stats.Failed)
	}
	got := map[string][]*Finding{}
	for _, f := range res.Findings {
		k := fmt.Sprintf("%s:%d:%s", f.File, f.Line, f.Rule)
		got[k] = append(got[k], f)
	}
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if want[k] > 0 && len(got[k]) == 0 {
			t.Errorf("%s: wanted, not found", k)
			continue
		}
		if want[k] == 0 {
			for _, f := range got[k] {
				t.Errorf("%s: unexpected finding: %s\n%s", k, f.Message, chainText(f))
			}
		}
	}
	if t.Failed() || testing.Verbose() {
		for _, f := range res.Findings {
			t.Logf("%s:%d: %s: %s\n%s", f.File, f.Line, f.Rule, f.Message, chainText(f))
		}
	}
}

func chainText(f *Finding) string {
	var b strings.Builder
	for _, s := range f.Chain {
		fmt.Fprintf(&b, "    %s:%d: %s(): %s\n", filepath.Base(s.File), s.Line, s.Func, s.Note)
	}
	return b.String()
}
