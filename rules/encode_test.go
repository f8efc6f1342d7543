// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"lockbot/flow"
	"lockbot/kb"
	"lockbot/source"
)

func loadSources(t *testing.T, paths ...string) []source.Source {
	t.Helper()
	var srcs []source.Source
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, source.Source{Path: p, Src: data, Context: strings.HasSuffix(p, ".h")})
	}
	return srcs
}

func findingKeys(fs []*Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, filepath.Base(f.File)+":"+f.Rule+":"+f.Function+":"+f.Fingerprint)
	}
	sort.Strings(out)
	return out
}

// TestExternals analyses a caller alone, with its callees' file given only
// as records: the finding two calls down in the other file is the one a
// joint analysis makes; without the records it is not found.
func TestExternals(t *testing.T) {
	k := kb.MustDefault()
	dir := "../testdata/rules/xfile"
	a, b, h := filepath.Join(dir, "a.c"), filepath.Join(dir, "b.c"), filepath.Join(dir, "xfile.h")
	together, err := Analyze(context.Background(), loadSources(t, a, b, h), Options{KB: k})
	if err != nil {
		t.Fatal(err)
	}
	var want []*Finding
	for _, f := range together.Findings {
		if strings.HasSuffix(f.File, "a.c") {
			want = append(want, f)
		}
	}
	if len(want) == 0 {
		t.Fatal("the joint analysis finds nothing in a.c")
	}
	callees, err := Build(context.Background(), loadSources(t, b, h), Options{KB: k})
	if err != nil {
		t.Fatal(err)
	}
	var recs []*flow.FuncRecord
	for _, fi := range callees.Funcs {
		data, err := flow.MarshalRecord(flow.Record(fi))
		if err != nil {
			t.Fatal(err)
		}
		r, err := flow.UnmarshalRecord(data)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	alone, err := Analyze(context.Background(), loadSources(t, a, h), Options{KB: k})
	if err != nil {
		t.Fatal(err)
	}
	if len(alone.Findings) != 0 {
		t.Errorf("a.c alone, no records: %v; unknown callees must not be guessed to sleep", findingKeys(alone.Findings))
	}
	// It says what it did not see: the callees called under the lock.
	if got := strings.Join(alone.Unknown, " "); got != "xf_grow xf_resize xf_store" {
		t.Errorf("a.c alone: unknown callees %q, want \"xf_grow xf_resize xf_store\"", got)
	}
	with, err := Analyze(context.Background(), loadSources(t, a, h), Options{KB: k, Externals: flow.NewRecordSet(k, recs)})
	if err != nil {
		t.Fatal(err)
	}
	if len(with.Unknown) != 0 {
		t.Errorf("a.c with records: unknown callees %v, want none", with.Unknown)
	}
	if got, w := strings.Join(findingKeys(with.Findings), "\n"), strings.Join(findingKeys(want), "\n"); got != w {
		t.Errorf("a.c with records:\n%s\nwant, as analysed with b.c:\n%s", got, w)
	}
	// The chain still walks into the other file.
	for _, f := range with.Findings {
		deep := false
		for _, s := range f.Chain {
			deep = deep || strings.HasSuffix(s.File, "b.c")
		}
		if !deep {
			t.Errorf("%s: chain %+v does not reach b.c", f.Message, f.Chain)
		}
	}
}
