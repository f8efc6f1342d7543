// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"bytes"
	"encoding/json"
	"testing"

	"lockbot/flow"
	"lockbot/rules"
	"lockbot/source"
)

func streamFindings(n int) []*rules.Finding {
	var fs []*rules.Finding
	for i := 0; i < n; i++ {
		f := &rules.Finding{Rule: "SLEEP_IN_ATOMIC", Severity: "error", File: "a.c", Line: 10 + i, Function: "f",
			Message: "msleep() <under> spin_lock(&l) & more", Fingerprint: "fp"}
		if i == 1 {
			f.Chain = []flow.Step{{File: "a.c", Line: 3, Func: "f", Note: "spin_lock(&l)"}}
			f.If = []string{"wait"}
		}
		fs = append(fs, f)
	}
	return fs
}

// TestJSONStreamIsReport: the scan document written a piece at a time is,
// byte for byte, Report's encoding, whatever the number of findings and
// however they are handed over, so a streaming scan's output parses as a
// whole scan's did and the schema describes it.
func TestJSONStreamIsReport(t *testing.T) {
	for _, n := range []int{0, 1, 3} {
		res := &rules.Result{Findings: streamFindings(n), Stats: flow.Stats{Files: 2, Functions: 7},
			Errors: []source.FileError{{Path: "b.c", Err: "b.c: cannot parse"}}, Unknown: []string{"g"}, Conditional: 2,
			SplitByDirectory: n == 3}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		r := Report{SchemaVersion: JSONSchemaVersion, Findings: res.Findings, Stats: res.Stats, Errors: res.Errors,
			UnknownCallees: res.Unknown, Conditional: res.Conditional, SplitByDirectory: res.SplitByDirectory}
		if r.Findings == nil {
			r.Findings = []*rules.Finding{}
		}
		for _, f := range r.Findings {
			if f.Chain == nil {
				f.Chain = []flow.Step{}
			}
		}
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := JSON(&got, res); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%d findings: JSON\n%s\nwant Report's encoding\n%s", n, got.String(), want.String())
		}
		// Handed over one at a time, as a stream's units are.
		var piece bytes.Buffer
		j := NewJSONStream(&piece)
		for _, f := range res.Findings {
			j.Findings([]*rules.Finding{f})
		}
		j.Findings(nil)
		if err := j.Close(res); err != nil {
			t.Fatal(err)
		}
		if piece.String() != want.String() {
			t.Errorf("%d findings one by one:\n%s\nwant\n%s", n, piece.String(), want.String())
		}
	}
}

// TestTextStreamCounts: a text report written a piece at a time counts
// the findings it wrote in its summary line, and says when a scan without
// an index was split by directory.
func TestTextStreamCounts(t *testing.T) {
	fs := streamFindings(3)
	fs[2].Severity = "warning"
	var b bytes.Buffer
	s := NewTextStream(&b, TextOptions{})
	s.Findings(fs[:1])
	s.Findings(fs[1:])
	if err := s.Close(&rules.Result{Stats: flow.Stats{Files: 4, Functions: 9}, SplitByDirectory: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"a.c:10: ERROR:SLEEP_IN_ATOMIC:", "a.c:12: WARNING:SLEEP_IN_ATOMIC:",
		"total: 2 errors, 1 warning, 4 files, 9 functions analysed", "NOTE: without an index, each directory's files were analysed apart"} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	var whole bytes.Buffer
	if err := Text(&whole, &rules.Result{Findings: fs, Stats: flow.Stats{Files: 4, Functions: 9}, SplitByDirectory: true}, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if whole.String() != out {
		t.Errorf("Text of the whole result differs from the stream:\n%s\nvs\n%s", whole.String(), out)
	}
}
