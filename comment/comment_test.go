// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"lockbot/flow"
	"lockbot/rules"
)

func sample() *rules.Result {
	return &rules.Result{
		Findings: []*rules.Finding{
			{Rule: "SLEEP_IN_ATOMIC", Severity: "error", File: "a.c", Line: 12, Function: "f", Message: "msleep(1) may sleep, but spinlock_t x is held",
				Chain: []flow.Step{{File: "a.c", Line: 10, Func: "f", Note: "spin_lock(&x) takes spinlock_t x"}, {File: "a.c", Line: 12, Func: "f", Note: "msleep(1) may sleep"}},
				Fix:   "move it out", Fingerprint: "0123456789abcdef"},
			{Rule: "NOWAIT_MAY_BLOCK", Severity: "warning", File: "b.c", Line: 3, Function: "g", Message: "m", Fingerprint: "fedcba9876543210"},
		},
		Stats: flow.Stats{Files: 2, Functions: 5, Partial: 1},
	}
}

func TestText(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, sample(), TextOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "a.c:12: ERROR:SLEEP_IN_ATOMIC: msleep(1) may sleep, but spinlock_t x is held\n" +
		"  a.c:10: f(): spin_lock(&x) takes spinlock_t x\n" +
		"  a.c:12: f(): msleep(1) may sleep\n" +
		"  fix: move it out\n\n" +
		"b.c:3: WARNING:NOWAIT_MAY_BLOCK: m\n\n" +
		"total: 1 error, 1 warning, 2 files, 5 functions analysed (1 partly, 0 not analysed), PREEMPT_RT rules on\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	Text(&b, sample(), TextOptions{Terse: true, NoRT: true})
	if b.String() != "a.c:12: ERROR:SLEEP_IN_ATOMIC: msleep(1) may sleep, but spinlock_t x is held\nb.c:3: WARNING:NOWAIT_MAY_BLOCK: m\n" {
		t.Errorf("terse: %q", b.String())
	}
}

func TestJSON(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, &rules.Result{}); err != nil {
		t.Fatal(err)
	}
	// No findings is an empty array, not null: consumers iterate it.
	if !strings.Contains(b.String(), `"findings": []`) || strings.Contains(b.String(), `"errors"`) {
		t.Errorf("empty result: %s", b.String())
	}
	b.Reset()
	JSON(&b, sample())
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	fs := doc["findings"].([]any)
	second := fs[1].(map[string]any)
	if chain, ok := second["chain"].([]any); !ok || len(chain) != 0 {
		t.Errorf("a finding without chain must have an empty chain array: %v", second["chain"])
	}
	for _, k := range []string{"rule", "severity", "rt_only", "file", "line", "function", "message", "chain", "fingerprint"} {
		if _, ok := fs[0].(map[string]any)[k]; !ok {
			t.Errorf("field %s missing", k)
		}
	}
}

func TestRuleDocs(t *testing.T) {
	var b bytes.Buffer
	if err := RuleDocs(&b, rules.All()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "RT_SLEEPING_LOCK_IN_ATOMIC (ERROR, PREEMPT_RT only)") || !strings.Contains(b.String(), "See: Documentation/locking/locktypes.rst") {
		t.Errorf("rule docs: %s", b.String()[:200])
	}
}
