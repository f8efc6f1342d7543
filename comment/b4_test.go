// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"lockbot/review"
	"lockbot/rules"
)

func b4Out(t *testing.T, res *review.Result) B4Check {
	t.Helper()
	var b bytes.Buffer
	if err := B4(&b, res); err != nil {
		t.Fatal(err)
	}
	// b4 reads a JSON array of objects with exactly these keys.
	var raw []map[string]any
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(raw) != 1 {
		t.Fatalf("%d entries", len(raw))
	}
	for k := range raw[0] {
		switch k {
		case "tool", "status", "summary", "url", "details":
		default:
			t.Errorf("key %q is not in b4's protocol", k)
		}
	}
	var out []B4Check
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out[0]
}

func TestB4(t *testing.T) {
	series := seriesReview()
	warnOnly := seriesReview()
	warnOnly.Findings = warnOnly.Findings[:2] // pre-existing error, introduced warning
	warnOnly.Resolved = nil
	warnOnly.NoTree = false
	preOnly := seriesReview()
	preOnly.Findings = preOnly.Findings[:1]
	preOnly.Resolved = nil
	preOnly.NoTree = false
	two := singleReview()
	leak := &review.Finding{Finding: &rules.Finding{Rule: "LOCK_LEAK", Severity: "error", File: "a.c", Line: 9, Message: "m"}, Introduced: true}
	two.Findings = append(two.Findings, leak)

	cases := []struct {
		name    string
		res     *review.Result
		status  string
		summary string
	}{
		{"one error", singleReview(), "fail", "1 error: RT_SLEEPING_LOCK_IN_ATOMIC"},
		{"two errors", two, "fail", "2 errors: RT_SLEEPING_LOCK_IN_ATOMIC, LOCK_LEAK"},
		{"series", series, "fail", "1 error, 1 warning: SEQCOUNT_WRITE_PREEMPTIBLE, RT_SLEEPING_LOCK_IN_ATOMIC; 1 pre-existing; 1 resolved"},
		{"warning only", warnOnly, "warn", "1 warning: SEQCOUNT_WRITE_PREEMPTIBLE; 1 pre-existing"},
		{"pre-existing only", preOnly, "pass", "no lock problems introduced; 1 pre-existing"},
		{"nothing", &review.Result{}, "pass", "no lock problems introduced"},
	}
	for _, c := range cases {
		got := b4Out(t, c.res)
		if got.Tool != "lockbot" || got.Status != c.status || got.Summary != c.summary {
			t.Errorf("%s: got %+v, want status %q summary %q", c.name, got, c.status, c.summary)
		}
	}

	// Details are the terse lines, each with its chain indented under it,
	// then what was resolved and the no-tree caveat.
	got := b4Out(t, series)
	var terse bytes.Buffer
	if err := ReviewText(&terse, series, ReviewTextOptions{Terse: true}); err != nil {
		t.Fatal(err)
	}
	var withChains strings.Builder
	for i, l := range strings.Split(strings.TrimSuffix(terse.String(), "\n"), "\n") {
		withChains.WriteString(l + "\n")
		for _, st := range series.Findings[i].Chain {
			fmt.Fprintf(&withChains, "  %s:%d: %s(): %s\n", st.File, st.Line, st.Func, st.Note)
		}
	}
	if !strings.Contains(withChains.String(), "  drivers/bar/bar.c:39: bar_find(): hlist_bl_lock(h) takes bit spinlock h\n") {
		t.Fatalf("the fixture's chains are not where the test looks:\n%s", withChains.String())
	}
	want := withChains.String() +
		"drivers/bar/bar.c:140: RESOLVED:LOCK_LEAK: bar_remove() returns -EBUSY with mutex struct bar::mutex held\n" +
		"NOTE: no tree (--no-tree): only the hunks were analysed"
	if got.Details != want {
		t.Errorf("details:\n%s\nwant\n%s", got.Details, want)
	}
	if strings.Contains(b4Out(t, &review.Result{}).Details, "\n") {
		t.Error("empty review has details")
	}
}

func TestB4InfoIsWarn(t *testing.T) {
	res := &review.Result{Findings: []*review.Finding{{
		Finding:    &rules.Finding{Rule: "X", Severity: "info", File: "a.c", Line: 1, Message: "m"},
		Introduced: true,
	}}}
	// b4 shows checkpatch's CHECK lines as warn; an info finding is ours.
	if got := b4Out(t, res); got.Status != "warn" || got.Summary != "1 check: X" {
		t.Errorf("info: %+v", got)
	}
	if fail, _ := Failing(res, "warning"); fail {
		t.Error("--fail-on warning failed on an info finding")
	}
}
