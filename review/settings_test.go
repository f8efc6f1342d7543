// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"lockbot/config"
	"lockbot/diff"
	"lockbot/kb"
	"lockbot/rules"
)

func TestSettingsShapeAReview(t *testing.T) {
	s := readPatch(t, "spinlock-in-bitlock.patch")
	run := func(yaml string) *Result {
		t.Helper()
		cfg, err := config.Parse([]byte(yaml), "test.yaml", RuleNames())
		if err != nil {
			t.Fatal(err)
		}
		opt := Options{KB: kb.MustDefault(), Tree: diff.DirTree(filepath.Join(testdata, "tree")), IncludeDepth: 2}
		opt.Configure(cfg)
		res, err := Check(context.Background(), s, opt)
		if err != nil {
			t.Fatal(err)
		}
		ApplyConfig(res, cfg)
		return res
	}
	base := run("")
	if len(base.Findings) != 1 || base.Findings[0].Rule != "RT_SLEEPING_LOCK_IN_ATOMIC" || base.Findings[0].Severity != "error" {
		t.Fatalf("defaults: %d findings, want the RT error", len(base.Findings))
	}
	fp := base.Findings[0].Fingerprint
	for _, tc := range []struct {
		yaml     string
		findings int
		severity rules.Severity
	}{
		{"rt: false\n", 0, ""},
		{"rules: {disable: [RT_SLEEPING_LOCK_IN_ATOMIC]}\n", 0, ""},
		{"skip: [drivers/bar]\n", 0, ""},
		{fmt.Sprintf("suppress: [{fingerprint: %s, reason: test}]\n", fp), 0, ""},
		{"rules: {severity: {RT_SLEEPING_LOCK_IN_ATOMIC: warning}}\n", 1, "warning"},
		{"rules: {disable: [LOCK_LEAK]}\n", 1, "error"},
	} {
		res := run(tc.yaml)
		if len(res.Findings) != tc.findings {
			t.Errorf("%q: %d findings, want %d", tc.yaml, len(res.Findings), tc.findings)
			continue
		}
		if tc.findings > 0 && res.Findings[0].Severity != tc.severity {
			t.Errorf("%q: severity %s, want %s", tc.yaml, res.Findings[0].Severity, tc.severity)
		}
	}
}
