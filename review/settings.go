// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"lockbot/config"
	"lockbot/rules"
)

// Configure sets in o what a tree's settings decide: the rules that run,
// the paths not analysed, and whether PREEMPT_RT-only rules apply (off when
// the settings or the caller, through o.NoRT, say so). `lockbot check`, the
// GitHub App and the mail responder all configure a review this way, so
// that one .lockbot.yaml means the same everywhere.
func (o *Options) Configure(cfg *config.Config) {
	o.NoRT = o.NoRT || !cfg.RT()
	o.Analyzers = nil
	for _, a := range rules.All() {
		if cfg.Enabled(a.Name) {
			o.Analyzers = append(o.Analyzers, a)
		}
	}
	o.Skip = cfg.Skip
}

// ApplyConfig drops the findings the settings suppress by fingerprint and
// gives the others the severity the settings set for their rule.
func ApplyConfig(res *Result, cfg *config.Config) {
	filter := func(fs []*Finding) []*Finding {
		out := fs[:0]
		for _, f := range fs {
			if _, ok := cfg.Suppressed(f.Fingerprint); ok {
				continue
			}
			if sev := rules.Severity(cfg.Severity(f.Rule, string(f.Severity))); sev != f.Severity {
				c := *f.Finding
				c.Severity = sev
				f.Finding = &c
			}
			out = append(out, f)
		}
		return out
	}
	res.Findings = filter(res.Findings)
	res.Resolved = filter(res.Resolved)
}

// RuleNames are the IDs of the rules lockbot knows, which a settings file
// may name (config.Load and config.Parse take them).
func RuleNames() []string {
	var names []string
	for _, a := range rules.All() {
		names = append(names, a.Name)
	}
	return names
}
