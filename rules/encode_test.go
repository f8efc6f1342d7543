package rules

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"lockbot/kb"
)

func loadSources(t *testing.T, paths ...string) []Source {
	t.Helper()
	var srcs []Source
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, Source{Path: p, Src: data, Context: strings.HasSuffix(p, ".h")})
	}
	return srcs
}

// TestRecordRoundTrip encodes the summary of every function of the test
// cases and decodes it: the summary a caller gets back is the same.
func TestRecordRoundTrip(t *testing.T) {
	k := kb.MustDefault()
	files, err := filepath.Glob("../testdata/rules/*.c")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test cases: %v", err)
	}
	n := 0
	for _, f := range files {
		prog, err := Build(context.Background(), loadSources(t, f), Options{KB: k})
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range prog.Funcs {
			data, err := MarshalRecord(Record(fi))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := UnmarshalRecord(data)
			if err != nil {
				t.Fatal(err)
			}
			back, err := rec.FuncInfo(k)
			if err != nil {
				t.Fatalf("%s %s: %v", f, fi.F.Name, err)
			}
			if fi.Facts.Failed {
				if !back.Facts.Failed {
					t.Errorf("%s: failed analysis not kept", fi.F.Name)
				}
				continue
			}
			if got, want := back.Sum.key(), fi.Sum.key(); got != want {
				t.Errorf("%s %s: summary changed in the round trip:\n got %s\nwant %s", f, fi.F.Name, got, want)
			}
			for i, e := range fi.Sum.Effects {
				if got := back.Sum.Effects[i]; got.obsKey() != e.obsKey() || len(got.Chain) != len(e.Chain) ||
					(e.Ctx != nil) != (got.Ctx != nil) || e.Ctx != nil && got.Ctx.Via.Len() != e.Ctx.Via.Len() {
					t.Errorf("%s %s: effect %d changed: %+v, want %+v", f, fi.F.Name, i, got, e)
				}
			}
			for i, o := range fi.Sum.Outcomes {
				if got := back.Sum.Outcomes[i]; outcomeKey(got) != outcomeKey(o) || len(got.Facts) != len(o.Facts) {
					t.Errorf("%s %s: outcome %d changed", f, fi.F.Name, i)
				}
			}
			if len(back.F.Params) != len(fi.F.Params) || back.F.Name != fi.F.Name {
				t.Errorf("%s: signature changed", fi.F.Name)
			}
			n++
		}
	}
	if n < 100 {
		t.Errorf("only %d functions round-tripped", n)
	}
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
	var recs []*FuncRecord
	for _, fi := range callees.Funcs {
		data, err := MarshalRecord(Record(fi))
		if err != nil {
			t.Fatal(err)
		}
		r, err := UnmarshalRecord(data)
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
	with, err := Analyze(context.Background(), loadSources(t, a, h), Options{KB: k, Externals: NewRecordSet(k, recs)})
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

func TestRecordErrors(t *testing.T) {
	for _, bad := range []string{`{`, `{"line": 3}`, `[]`} {
		if _, err := UnmarshalRecord([]byte(bad)); err == nil {
			t.Errorf("UnmarshalRecord(%s): no error", bad)
		}
	}
	r := &FuncRecord{Name: "f", Outcomes: []outcomeRec{{Acquired: []ctxRec{{Kind: "no_such_kind"}}}}}
	if _, err := r.FuncInfo(kb.MustDefault()); err == nil || !strings.Contains(err.Error(), "no_such_kind") {
		t.Errorf("unknown kind: err %v", err)
	}
}
