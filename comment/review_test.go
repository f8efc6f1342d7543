// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lockbot/flow"
	"lockbot/review"
	"lockbot/rules"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// rtFinding is the bug of the review-output sketch: a spinlock_t taken by
// a callee while the caller holds a bit spinlock.
func rtFinding(p *review.PatchRef) *review.Finding {
	return &review.Finding{
		Finding: &rules.Finding{
			Rule: "RT_SLEEPING_LOCK_IN_ATOMIC", Severity: "error", RTOnly: true,
			File: "drivers/bar/bar.c", Line: 30, Function: "bar_count_hit",
			Message: "spin_lock(&b->stats_lock) takes spinlock_t struct bar::stats_lock, a sleeping lock on PREEMPT_RT, but bar_find() calls bar_count_hit() with bit spinlock h held",
			Chain: []flow.Step{
				{File: "drivers/bar/bar.c", Line: 39, Func: "bar_find", Note: "hlist_bl_lock(h) takes bit spinlock h"},
				{File: "drivers/bar/bar.c", Line: 41, Func: "bar_find", Note: "calls bar_count_hit()"},
				{File: "drivers/bar/bar.c", Line: 30, Func: "bar_count_hit", Note: "spin_lock(&b->stats_lock) takes spinlock_t struct bar::stats_lock"},
			},
			Fix:         "use raw_spinlock_t for struct bar::stats_lock, or move it out of the bit spinlock section",
			Fingerprint: "5c0b1c3e9a7d2f10",
		},
		Patch:      p,
		Introduced: true,
		PatchLine:  14,
		Quote:      "+\tspin_lock(&b->stats_lock);",
	}
}

// singleReview is a lone patch introducing one finding.
func singleReview() *review.Result {
	p := &review.PatchRef{Index: 0, Total: 1, Subject: "bar: count lookup hits under a lock"}
	return &review.Result{
		Findings: []*review.Finding{rtFinding(p)},
		Patches:  []review.PatchRef{*p},
		Stats:    flow.Stats{Files: 1, Functions: 6},
	}
}

// seriesReview is a three-patch series reviewed with --all and --no-tree:
// an introduced error with a chain, an RT-only warning without one, a
// pre-existing finding off the patch's lines, and a finding patch 3
// resolves.
func seriesReview() *review.Result {
	ps := []review.PatchRef{
		{Index: 1, Total: 3, Subject: "bar: count lookup hits under a lock"},
		{Index: 2, Total: 3, Subject: "bar: write the stats seqcount from the timer"},
		{Index: 3, Total: 3, Subject: "bar: unlock on the error path"},
	}
	warn := &review.Finding{
		Finding: &rules.Finding{
			Rule: "SEQCOUNT_WRITE_PREEMPTIBLE", Severity: "warning", RTOnly: true,
			File: "drivers/bar/stats.c", Line: 57, Function: "bar_stats_update",
			Message:     "write_seqcount_begin(&s->seq) on plain seqcount_t s->seq with preemption enabled on PREEMPT_RT",
			Fingerprint: "aa00bb11cc22dd33",
		},
		Patch: &ps[1], Introduced: true, PatchLine: 88, Quote: "+\twrite_seqcount_begin(&s->seq);",
	}
	old := &review.Finding{
		Finding: &rules.Finding{
			Rule: "SLEEP_IN_ATOMIC", Severity: "error",
			File: "drivers/bar/bar.c", Line: 112, Function: "bar_add",
			Message: "kmalloc(GFP_KERNEL) may sleep, but bar_add() holds spinlock_t struct bar::lock",
			Chain: []flow.Step{
				{File: "drivers/bar/bar.c", Line: 110, Func: "bar_add", Note: "spin_lock(&b->lock) takes spinlock_t struct bar::lock"},
			},
			Fix:         "allocate before taking the lock",
			Fingerprint: "0123456789abcdef",
		},
	}
	resolved := &review.Finding{
		Finding: &rules.Finding{
			Rule: "LOCK_LEAK", Severity: "error",
			File: "drivers/bar/bar.c", Line: 140, Function: "bar_remove",
			Message:     "bar_remove() returns -EBUSY with mutex struct bar::mutex held",
			Fingerprint: "fedcba9876543210",
		},
		Patch: &ps[2],
	}
	return &review.Result{
		// Out of patch order on purpose: the text groups by patch.
		Findings: []*review.Finding{old, warn, rtFinding(&ps[0])},
		Resolved: []*review.Finding{resolved},
		Patches:  ps,
		NoTree:   true,
		Stats:    flow.Stats{Files: 2, Functions: 11, Partial: 1},
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./comment -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestReviewTextSingle(t *testing.T) {
	var b bytes.Buffer
	if err := ReviewText(&b, singleReview(), ReviewTextOptions{Base: "v6.12"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "review_single", b.String())
	// A lone patch gets no series header.
	if strings.Contains(b.String(), "Patch ") {
		t.Errorf("lone patch printed a series header:\n%s", b.String())
	}
}

func TestReviewTextSeries(t *testing.T) {
	var b bytes.Buffer
	if err := ReviewText(&b, seriesReview(), ReviewTextOptions{NoRT: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "review_series", b.String())
	out := b.String()
	// Headers come in patch order although the findings did not.
	i1 := strings.Index(out, `Patch 1/3 ("bar: count lookup hits under a lock")`)
	i2 := strings.Index(out, `Patch 2/3 ("bar: write the stats seqcount from the timer")`)
	ipre := strings.Index(out, "Pre-existing in the touched files")
	ires := strings.Index(out, "Resolved by the series")
	if i1 < 0 || i2 < 0 || ipre < 0 || !(i1 < i2 && i2 < ipre && ipre < ires) {
		t.Errorf("patch headers missing or out of order:\n%s", out)
	}
	for _, want := range []string{
		"ERROR:SLEEP_IN_ATOMIC: kmalloc(GFP_KERNEL) may sleep, but bar_add() holds spinlock_t struct bar::lock (pre-existing)\nFILE: drivers/bar/bar.c:112:\n",
		"WARNING:SEQCOUNT_WRITE_PREEMPTIBLE: ",
		"RESOLVED:LOCK_LEAK: bar_remove() returns -EBUSY with mutex struct bar::mutex held\nFILE: drivers/bar/bar.c:140:\n  resolved by patch 3/3 (\"bar: unlock on the error path\")\n",
		"total: 1 error, 1 warning, 1 pre-existing, 1 resolved, 3 patches checked (PREEMPT_RT rules off)\n",
		"NOTE: no tree (--no-tree)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestReviewTextTerse(t *testing.T) {
	var b bytes.Buffer
	if err := ReviewText(&b, seriesReview(), ReviewTextOptions{Terse: true}); err != nil {
		t.Fatal(err)
	}
	want := "drivers/bar/bar.c:112: ERROR:SLEEP_IN_ATOMIC: kmalloc(GFP_KERNEL) may sleep, but bar_add() holds spinlock_t struct bar::lock (pre-existing)\n" +
		"drivers/bar/stats.c:57: WARNING:SEQCOUNT_WRITE_PREEMPTIBLE: write_seqcount_begin(&s->seq) on plain seqcount_t s->seq with preemption enabled on PREEMPT_RT\n" +
		"drivers/bar/bar.c:30: ERROR:RT_SLEEPING_LOCK_IN_ATOMIC: spin_lock(&b->stats_lock) takes spinlock_t struct bar::stats_lock, a sleeping lock on PREEMPT_RT, but bar_find() calls bar_count_hit() with bit spinlock h held\n"
	if b.String() != want {
		t.Errorf("terse:\n%s\nwant\n%s", b.String(), want)
	}
}

func TestReviewTextEmptyAndLevels(t *testing.T) {
	var b bytes.Buffer
	res := &review.Result{Patches: []review.PatchRef{{Total: 1, Subject: "x"}}}
	if err := ReviewText(&b, res, ReviewTextOptions{}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "total: 0 errors, 0 warnings, 1 patch checked (PREEMPT_RT rules on)\n" {
		t.Errorf("empty review: %q", b.String())
	}

	info := &review.Finding{Finding: &rules.Finding{Rule: "X", Severity: "info", File: "a.c", Line: 3, Message: "m"}, Introduced: true, PatchLine: 9}
	b.Reset()
	res.Findings = []*review.Finding{info}
	if err := ReviewText(&b, res, ReviewTextOptions{}); err != nil {
		t.Fatal(err)
	}
	// checkpatch's third level; a patch line without a quote prints only
	// the location.
	want := "CHECK:X: m\n#9: FILE: a.c:3:\n\ntotal: 0 errors, 0 warnings, 1 check, 1 patch checked (PREEMPT_RT rules on)\n"
	if b.String() != want {
		t.Errorf("info finding:\n%q\nwant\n%q", b.String(), want)
	}
}

func TestRenderersRejectEmptyFinding(t *testing.T) {
	res := &review.Result{Findings: []*review.Finding{{Introduced: true}}}
	var b bytes.Buffer
	if err := ReviewText(&b, res, ReviewTextOptions{}); err == nil {
		t.Error("ReviewText accepted a finding without a scan finding")
	}
	if err := ReviewJSON(&b, res); err == nil {
		t.Error("ReviewJSON accepted a finding without a scan finding")
	}
	if err := SARIF(&b, res, rules.All(), "1"); err == nil {
		t.Error("SARIF accepted a finding without a scan finding")
	}
	if err := B4(&b, res); err == nil {
		t.Error("B4 accepted a finding without a scan finding")
	}
	if err := ReviewText(&b, nil, ReviewTextOptions{}); err == nil {
		t.Error("ReviewText accepted a nil result")
	}
}

func TestReviewJSON(t *testing.T) {
	res := seriesReview()
	var b bytes.Buffer
	if err := ReviewJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"findings", "resolved", "patches", "no_tree", "stats"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("top-level %s missing", k)
		}
	}
	if doc["no_tree"] != true {
		t.Errorf("no_tree = %v", doc["no_tree"])
	}
	if st := doc["stats"].(map[string]any); st["functions"] != 11.0 || st["functions_partial"] != 1.0 {
		t.Errorf("stats = %v", st)
	}
	if ps := doc["patches"].([]any); len(ps) != 3 || ps[2].(map[string]any)["subject"] != "bar: unlock on the error path" {
		t.Errorf("patches = %v", ps)
	}

	fs := doc["findings"].([]any)
	if len(fs) != 3 {
		t.Fatalf("%d findings", len(fs))
	}
	old, warn, rt := fs[0].(map[string]any), fs[1].(map[string]any), fs[2].(map[string]any)
	for _, k := range []string{"rule", "severity", "rt_only", "file", "line", "function", "message", "chain", "fingerprint", "introduced"} {
		if _, ok := rt[k]; !ok {
			t.Errorf("finding field %s missing", k)
		}
	}
	if p, ok := rt["patch"].(map[string]any); !ok || p["index"] != 1.0 || p["total"] != 3.0 {
		t.Errorf("patch = %v", rt["patch"])
	}
	if rt["introduced"] != true || old["introduced"] != false {
		t.Errorf("introduced: %v %v", rt["introduced"], old["introduced"])
	}
	if _, ok := old["patch"]; ok {
		t.Errorf("a finding outside any patch has a patch: %v", old["patch"])
	}
	if c, ok := warn["chain"].([]any); !ok || len(c) != 0 {
		t.Errorf("no chain must be [], got %v", warn["chain"])
	}
	if c := rt["chain"].([]any); len(c) != 3 || c[0].(map[string]any)["function"] != "bar_find" {
		t.Errorf("chain = %v", c)
	}
	// The document is for people too: C operators are not HTML-escaped.
	if !strings.Contains(b.String(), "spin_lock(&b->stats_lock)") {
		t.Error("message HTML-escaped")
	}
	rs := doc["resolved"].([]any)
	if len(rs) != 1 || rs[0].(map[string]any)["rule"] != "LOCK_LEAK" || rs[0].(map[string]any)["introduced"] != false {
		t.Errorf("resolved = %v", rs)
	}
	if c, ok := rs[0].(map[string]any)["chain"].([]any); !ok || len(c) != 0 {
		t.Errorf("resolved chain = %v", rs[0].(map[string]any)["chain"])
	}
	// Rendering must not touch the caller's findings.
	if res.Findings[1].Chain != nil {
		t.Error("ReviewJSON modified the input's chain")
	}

	b.Reset()
	if err := ReviewJSON(&b, &review.Result{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"findings": []`, `"resolved": []`, `"patches": []`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("empty review lacks %s: %s", want, b.String())
		}
	}
}

func TestFailing(t *testing.T) {
	errRes := singleReview()
	warnOnly := seriesReview()
	// Keep only the introduced warning and the pre-existing error.
	warnOnly.Findings = warnOnly.Findings[:2]
	preOnly := seriesReview()
	preOnly.Findings = preOnly.Findings[:1]
	empty := &review.Result{}

	cases := []struct {
		name  string
		res   *review.Result
		level string
		want  bool
	}{
		{"error/error", errRes, "error", true},
		{"error/warning", errRes, "warning", true},
		{"error/never", errRes, "never", false},
		{"warn/error", warnOnly, "error", false},
		{"warn/warning", warnOnly, "warning", true},
		{"warn/never", warnOnly, "never", false},
		{"pre-existing/error", preOnly, "error", false},
		{"pre-existing/warning", preOnly, "warning", false},
		{"empty/error", empty, "error", false},
		{"empty/warning", empty, "warning", false},
		{"empty/never", empty, "never", false},
	}
	for _, c := range cases {
		got, err := Failing(c.res, c.level)
		if err != nil || got != c.want {
			t.Errorf("%s: Failing = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "Error", "info", "always"} {
		if _, err := Failing(errRes, bad); err == nil {
			t.Errorf("Failing accepted level %q", bad)
		}
	}
}

// TestUnknownNote ranks the unknown callees (the dm_table_event() that
// takes a mutex before atomic_inc() and test_bit()), names four, and
// names all when asked.
func TestUnknownNote(t *testing.T) {
	if got := UnknownNote(nil, false); got != "" {
		t.Errorf("no names: %q", got)
	}
	if got, want := UnknownNote([]string{"a", "b"}, false), "NOTE: 2 functions called under a lock not seen, assumed not to sleep: a(), b() (lockbot index covers other files)"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	names := []string{"atomic_inc", "bio_endio", "dm_table_event", "foo_frob", "list_add", "test_bit", "zz_wait_idle"}
	got := UnknownNote(names, false)
	if !strings.Contains(got, "7 functions") || !strings.Contains(got, ": dm_table_event(), zz_wait_idle(), bio_endio(), foo_frob() and 3 more") {
		t.Errorf("seven names: %q", got)
	}
	if all := UnknownNote(names, true); !strings.Contains(all, "test_bit()") || strings.Contains(all, "more") {
		t.Errorf("all: %q", all)
	}
}
