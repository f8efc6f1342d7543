// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"lockbot/review"
	"lockbot/rules"
)

func sarifDoc(t *testing.T, res *review.Result) (map[string]any, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := SARIF(&b, res, rules.All(), "0.3.0"); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	return doc, b.Bytes()
}

func obj(t *testing.T, v any, path string) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, not an object", path, v)
	}
	return m
}

func arr(t *testing.T, v any, path string) []any {
	t.Helper()
	a, ok := v.([]any)
	if !ok {
		t.Fatalf("%s is %T, not an array", path, v)
	}
	return a
}

func TestSARIFStructure(t *testing.T) {
	doc, raw := sarifDoc(t, seriesReview())
	// The properties SARIF 2.1.0's schema requires, and GitHub's upload
	// checks, at every level we write.
	if doc["version"] != "2.1.0" {
		t.Errorf("version = %v", doc["version"])
	}
	if s, _ := doc["$schema"].(string); s == "" {
		t.Error("$schema missing")
	}
	runs := arr(t, doc["runs"], "runs")
	if len(runs) != 1 {
		t.Fatalf("%d runs", len(runs))
	}
	run := obj(t, runs[0], "runs[0]")
	driver := obj(t, obj(t, run["tool"], "tool")["driver"], "driver")
	if driver["name"] != "lockbot" || driver["version"] != "0.3.0" {
		t.Errorf("driver = %v %v %v", driver["name"], driver["version"], driver["informationUri"])
	}

	ruleList := arr(t, driver["rules"], "rules")
	if len(ruleList) != len(rules.All()) {
		t.Errorf("%d rules, want %d", len(ruleList), len(rules.All()))
	}
	byID := map[string]map[string]any{}
	for i, r := range ruleList {
		rm := obj(t, r, "rule")
		id, _ := rm["id"].(string)
		if id == "" {
			t.Errorf("rule %d has no id", i)
		}
		if obj(t, rm["shortDescription"], id+".shortDescription")["text"] == "" {
			t.Errorf("%s: no shortDescription", id)
		}
		byID[id] = rm
	}
	rt := byID["RT_SLEEPING_LOCK_IN_ATOMIC"]
	if rt["name"] != "RTSleepingLockInAtomic" || byID["SLEEP_IN_RCU"]["name"] != "SleepInRCU" {
		t.Errorf("rule names %v %v", rt["name"], byID["SLEEP_IN_RCU"]["name"])
	}
	if obj(t, rt["defaultConfiguration"], "defaultConfiguration")["level"] != "error" ||
		obj(t, byID["NOWAIT_MAY_BLOCK"]["defaultConfiguration"], "defaultConfiguration")["level"] != "warning" {
		t.Error("defaultConfiguration levels wrong")
	}
	if rt["helpUri"] != "https://docs.kernel.org/locking/locktypes.html" {
		t.Errorf("helpUri = %v", rt["helpUri"])
	}
	help := obj(t, rt["help"], "help")
	if help["text"] != "Fix: "+rules.RTSleepingLockInAtomic.Fix+"\nSee: Documentation/locking/locktypes.rst" {
		t.Errorf("help text = %q", help["text"])
	}
	if help["markdown"] != "**Fix:** "+rules.RTSleepingLockInAtomic.Fix+"\n\n**See:** [Documentation/locking/locktypes.rst](https://docs.kernel.org/locking/locktypes.html)" {
		t.Errorf("help markdown = %q", help["markdown"])
	}
	full := obj(t, rt["fullDescription"], "fullDescription")["text"].(string)
	if full == "" || bytes.ContainsRune([]byte(full), '\n') {
		t.Errorf("fullDescription must be the doc unwrapped: %q", full)
	}

	results := arr(t, run["results"], "results")
	// Three findings; the resolved one is not a result.
	if len(results) != 3 {
		t.Fatalf("%d results", len(results))
	}
	states := map[string]string{}
	for i, r := range results {
		rm := obj(t, r, "result")
		id, _ := rm["ruleId"].(string)
		if id == "" {
			t.Errorf("result %d has no ruleId", i)
		}
		idx, ok := rm["ruleIndex"].(float64)
		if !ok || int(idx) >= len(ruleList) || obj(t, ruleList[int(idx)], "rule")["id"] != id {
			t.Errorf("result %d ruleIndex %v does not point at %s", i, rm["ruleIndex"], id)
		}
		if obj(t, rm["message"], "message")["text"] == "" {
			t.Errorf("result %d has no message", i)
		}
		locs := arr(t, rm["locations"], "locations")
		if len(locs) != 1 {
			t.Fatalf("result %d: %d locations", i, len(locs))
		}
		pl := obj(t, obj(t, locs[0], "location")["physicalLocation"], "physicalLocation")
		if obj(t, pl["artifactLocation"], "artifactLocation")["uri"] == "" {
			t.Errorf("result %d: no uri", i)
		}
		if fp := obj(t, rm["partialFingerprints"], "partialFingerprints")[FingerprintKey]; fp == "" || fp == nil {
			t.Errorf("result %d: no fingerprint", i)
		}
		states[id], _ = rm["baselineState"].(string)
	}
	if states["RT_SLEEPING_LOCK_IN_ATOMIC"] != "new" || states["SEQCOUNT_WRITE_PREEMPTIBLE"] != "new" || states["SLEEP_IN_ATOMIC"] != "unchanged" {
		t.Errorf("baseline states = %v", states)
	}

	// The introduced RT error, last in the input.
	r := obj(t, results[2], "result")
	if r["level"] != "error" || r["ruleId"] != "RT_SLEEPING_LOCK_IN_ATOMIC" {
		t.Errorf("result = %v %v", r["level"], r["ruleId"])
	}
	pl := obj(t, arr(t, r["locations"], "locations")[0], "loc")["physicalLocation"].(map[string]any)
	if pl["artifactLocation"].(map[string]any)["uri"] != "drivers/bar/bar.c" || pl["region"].(map[string]any)["startLine"] != 30.0 {
		t.Errorf("location = %v", pl)
	}
	if obj(t, r["partialFingerprints"], "fp")[FingerprintKey] != "5c0b1c3e9a7d2f10" {
		t.Errorf("fingerprint = %v", r["partialFingerprints"])
	}
	tfl := arr(t, obj(t, arr(t, obj(t, arr(t, r["codeFlows"], "codeFlows")[0], "codeFlow")["threadFlows"], "threadFlows")[0], "threadFlow")["locations"], "threadFlow.locations")
	if len(tfl) != 3 {
		t.Fatalf("%d thread flow locations", len(tfl))
	}
	first := obj(t, obj(t, tfl[0], "tfl")["location"], "tfl.location")
	if obj(t, first["message"], "message")["text"] != "bar_find(): hlist_bl_lock(h) takes bit spinlock h" ||
		obj(t, obj(t, first["physicalLocation"], "pl")["region"], "region")["startLine"] != 39.0 {
		t.Errorf("first step = %v", first)
	}
	rel := arr(t, r["relatedLocations"], "relatedLocations")
	if len(rel) != 3 || obj(t, rel[1], "rel")["id"] != 2.0 || obj(t, obj(t, rel[1], "rel")["message"], "m")["text"] != "bar_find(): calls bar_count_hit()" {
		t.Errorf("relatedLocations = %v", rel)
	}
	props := obj(t, r["properties"], "properties")
	if props["rt_only"] != true || props["introduced"] != true || obj(t, props["patch"], "patch")["index"] != 1.0 {
		t.Errorf("properties = %v", props)
	}

	// The warning has no chain: no empty code flow for GitHub to show.
	w := obj(t, results[1], "result")
	if w["level"] != "warning" {
		t.Errorf("warning level = %v", w["level"])
	}
	if _, ok := w["codeFlows"]; ok {
		t.Error("a finding without chain has codeFlows")
	}

	rprops := obj(t, run["properties"], "run.properties")
	if rprops["no_tree"] != true {
		t.Errorf("no_tree = %v", rprops["no_tree"])
	}
	resolved := arr(t, rprops["resolved"], "resolved")
	if len(resolved) != 1 || obj(t, resolved[0], "resolved")["fingerprint"] != "fedcba9876543210" {
		t.Errorf("resolved = %v", resolved)
	}

	// go-sarif's own reader accepts what we wrote.
	rep, err := sarif.FromBytes(raw)
	if err != nil || len(rep.Runs) != 1 || len(rep.Runs[0].Results) != 3 {
		t.Errorf("go-sarif cannot read it back: %v", err)
	}
}

func TestSARIFUnknownRuleAndEmpty(t *testing.T) {
	// A rule the analyzers do not list (a knowledge-base or newer rule)
	// still gets a descriptor, so ruleIndex stays valid.
	res := &review.Result{Findings: []*review.Finding{{
		Finding:    &rules.Finding{Rule: "NEW_RULE", Severity: "info", File: "./lib/x.c", Message: "m"},
		Introduced: true,
	}}}
	doc, _ := sarifDoc(t, res)
	run := obj(t, arr(t, doc["runs"], "runs")[0], "run")
	ruleList := arr(t, obj(t, obj(t, run["tool"], "tool")["driver"], "driver")["rules"], "rules")
	r := obj(t, arr(t, run["results"], "results")[0], "result")
	idx := int(r["ruleIndex"].(float64))
	if idx != len(ruleList)-1 || obj(t, ruleList[idx], "rule")["id"] != "NEW_RULE" {
		t.Errorf("ruleIndex %d of %d rules", idx, len(ruleList))
	}
	if r["level"] != "note" {
		t.Errorf("info level = %v", r["level"])
	}
	// No line: the file alone, without a region SARIF would reject
	// (startLine must be at least 1).
	pl := obj(t, obj(t, arr(t, r["locations"], "locations")[0], "loc")["physicalLocation"], "pl")
	if _, ok := pl["region"]; ok || obj(t, pl["artifactLocation"], "al")["uri"] != "lib/x.c" {
		t.Errorf("location = %v", pl)
	}

	doc, _ = sarifDoc(t, &review.Result{})
	run = obj(t, arr(t, doc["runs"], "runs")[0], "run")
	if rs := arr(t, run["results"], "results"); len(rs) != 0 {
		t.Errorf("results = %v", rs)
	}
	if rs := arr(t, obj(t, run["properties"], "props")["resolved"], "resolved"); len(rs) != 0 {
		t.Errorf("resolved = %v", rs)
	}
}

func TestArtifactURI(t *testing.T) {
	for in, want := range map[string]string{
		"drivers/md/dm-snap.c": "drivers/md/dm-snap.c",
		"./fs/ext4/inode.c":    "fs/ext4/inode.c",
		"a dir/x.c":            "a%20dir/x.c",
		"/tmp/k/x.c":           "file:///tmp/k/x.c",
	} {
		if got := artifactURI(in); got != want {
			t.Errorf("artifactURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSARIFReadable(t *testing.T) {
	_, raw := sarifDoc(t, singleReview())
	if !bytes.Contains(raw, []byte(`"text": "spin_lock(&b->stats_lock) takes`)) {
		t.Error("SARIF messages are HTML-escaped")
	}
	if !bytes.HasSuffix(raw, []byte("}\n")) {
		t.Error("SARIF output does not end in a newline")
	}
}
