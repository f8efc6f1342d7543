// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lockbot/cparse"
	"lockbot/kb"
	"lockbot/source"
)

// buildProgram parses and analyses sources as rules.Build does.
func buildProgram(t *testing.T, k *kb.KB, srcs ...source.Source) *Program {
	t.Helper()
	files, _, _, err := source.ParseAll(context.Background(), srcs, source.ParseOptions{KB: k})
	if err != nil {
		t.Fatal(err)
	}
	var parsed []*cparse.File
	report := map[*cparse.File]bool{}
	for i, f := range files {
		if f != nil {
			parsed = append(parsed, f)
			report[f] = !srcs[i].Context
		}
	}
	prog := NewProgram(parsed, Config{KB: k, Report: func(f *cparse.File) bool { return report[f] }})
	if err := prog.Analyze(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	return prog
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
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		prog := buildProgram(t, k, source.Source{Path: f, Src: data})
		for _, fi := range prog.Funcs {
			if fi.F.Macro && fi.Result == nil {
				continue // a macro no function calls is not analysed
			}
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
			if fi.Result.Failed {
				if !back.Result.Failed {
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
				if got := back.Sum.Outcomes[i]; outcomeKey(got) != outcomeKey(o) || len(got.Conds) != len(o.Conds) {
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
