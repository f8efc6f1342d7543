// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"lockbot/review"
)

// ReviewTextOptions shape the text of a patch review.
type ReviewTextOptions struct {
	// Terse prints "path:line: LEVEL:RULE: message" per finding and
	// nothing else: the form b4's prep-perpatch-check-cmd and editors read.
	Terse bool
	// NoRT and Base are reported in the summary line, so that a pasted
	// review says what it was checked against.
	NoRT bool
	Base string
	// Verbose lists every unknown callee, not only the first few.
	Verbose bool
}

// ReviewText writes a patch review in checkpatch's shape, which b4 and
// editors parse: per finding "LEVEL:RULE: message", then "#N: FILE:
// path:line:" with the patch line quoted, then the chain and the fix. A
// series is grouped per patch under checkpatch's per-commit header. The
// resolved findings follow, then a "total:" line.
func ReviewText(w io.Writer, res *review.Result, opt ReviewTextOptions) error {
	if err := checkResult(res); err != nil {
		return err
	}
	ew := &errWriter{w: w}
	if opt.Terse {
		for _, f := range res.Findings {
			ew.printf("%s\n", terseLine(f))
		}
		for _, na := range res.NotAnalysed {
			ew.printf("%s\n", notAnalysedTerse(na))
		}
		return ew.err
	}

	var current *review.PatchRef
	headed := false
	for i, f := range groupByPatch(res.Findings) {
		if inSeries(f.Patch) && (i == 0 || !samePatch(current, f.Patch)) {
			header(ew, patchLabel(f.Patch))
			headed = true
		} else if !inSeries(f.Patch) && i > 0 && inSeries(current) {
			// Findings outside any patch of a series (pre-existing ones in
			// the touched files) must not read as the last patch's.
			header(ew, "Pre-existing in the touched files")
		}
		current = f.Patch
		ew.printf("%s:%s: %s%s\n", f.Severity.Level(), f.Rule, f.Message, preExisting(f))
		location(ew, f)
		evidence(ew, f.Finding, f.Also...)
	}

	if headed && len(res.Resolved) > 0 {
		header(ew, "Resolved by the series")
	}
	for _, f := range res.Resolved {
		ew.printf("RESOLVED:%s: %s\n", f.Rule, f.Message)
		location(ew, f)
		if p := f.Patch; inSeries(p) {
			ew.printf("  resolved by patch %d/%d (\"%s\")\n", p.Index, p.Total, p.Subject)
		}
		ew.printf("\n")
	}

	for _, na := range res.NotAnalysed {
		ew.printf("WARNING:%s: %s\n", NotAnalysedRule, NotAnalysedText(na))
		if na.PatchLine > 0 {
			ew.printf("#%d: FILE: %s:%d:\n", na.PatchLine, na.File, na.Line)
			if na.Quote != "" {
				ew.printf("%s\n", strings.TrimRight(na.Quote, "\n"))
			}
		} else if na.Line > 0 {
			ew.printf("FILE: %s:%d:\n", na.File, na.Line)
		}
		ew.printf("\n")
	}

	ew.printf("%s\n", reviewTotal(res, opt))
	if res.NoTree {
		ew.printf("NOTE: no tree (--no-tree): only the hunks were analysed; callers and callees outside them were not seen\n")
	}
	if note := UnknownNote(res.Unknown, opt.Verbose); note != "" {
		ew.printf("%s\n", note)
	}
	if note := CallersNote(res.CallersNotSeen); note != "" {
		ew.printf("%s\n", note)
	}
	if len(res.NotC) > 0 {
		shown, more := res.NotC, ""
		if len(shown) > maxUnknownShown && !opt.Verbose {
			shown, more = shown[:maxUnknownShown], fmt.Sprintf(" and %d more", len(res.NotC)-maxUnknownShown)
		}
		ew.printf("NOTE: not C, not analysed: %s%s\n", strings.Join(shown, ", "), more)
	}
	return ew.err
}

// NotAnalysedRule is the name a warning about code a review could not
// analyse goes by, in the place of a rule's: a patch said clean must
// not be one that was not read.
const NotAnalysedRule = "NOT_ANALYSED"

// NotAnalysedText says what was not analysed and why.
func NotAnalysedText(na review.NotAnalysed) string {
	switch {
	case len(na.Functions) > 0:
		return fmt.Sprintf("%s: %s not analysed, or only in part: %s; what the patch does there is not known",
			na.File, strings.Join(na.Functions, ", "), na.Reason)
	case na.Line > 0:
		return fmt.Sprintf("%s: code not analysed: %s; what the patch does there is not known", na.File, na.Reason)
	}
	return fmt.Sprintf("%s not analysed: %s; what the patch does in it is not known", na.File, na.Reason)
}

func notAnalysedTerse(na review.NotAnalysed) string {
	loc := na.File
	if na.Line > 0 {
		loc = fmt.Sprintf("%s:%d", na.File, na.Line)
	}
	return fmt.Sprintf("%s: WARNING:%s: %s", loc, NotAnalysedRule, NotAnalysedText(na))
}

// UnknownNote says which functions called under a lock were not seen, so
// were assumed not to sleep; "" when there are none. They are ranked, the
// ones whose names suggest a lock, a sleep, an allocation or a wait first
// and trivial helpers (atomic_inc(), test_bit()) last, and the first
// four are named unless all is set.
func UnknownNote(names []string, all bool) string {
	if len(names) == 0 {
		return ""
	}
	shown := RankUnknown(names)
	more := ""
	if !all && len(shown) > maxUnknownShown {
		shown, more = shown[:maxUnknownShown], fmt.Sprintf(" and %d more (-v lists them)", len(names)-maxUnknownShown)
	}
	return fmt.Sprintf("NOTE: %s called under a lock not seen, assumed not to sleep: %s()%s (lockbot index covers other files)",
		plural(len(names), "function"), strings.Join(shown, "(), "), more)
}

const maxUnknownShown = 4

// CallersNote says, for a review without an index, which changed
// functions' callers were looked for only near them; "" when none.
func CallersNote(names []string) string {
	if len(names) == 0 {
		return ""
	}
	shown, more := names, ""
	if len(shown) > maxUnknownShown {
		shown, more = shown[:maxUnknownShown], fmt.Sprintf(" and %d more", len(names)-maxUnknownShown)
	}
	return fmt.Sprintf("NOTE: %s()%s may now sleep or lock differently; callers were looked for only in the same directory (lockbot index covers the tree)",
		strings.Join(shown, "(), "), more)
}

// suspectName is a name that says it may lock, sleep, allocate or wait.
var suspectName = regexp.MustCompile(`lock|mutex|sem|wait|sleep|alloc|flush|sync|cancel|sched|resched|complet|firmware|request|copy_(from|to)_user|get_user|put_user|kthread|notify|event|msg|send|recv|xfer|transfer|read|write`)

// trivialName is a helper that never locks or sleeps on any kernel
// configuration worth a note: atomics, bit operations, list and bitmap
// helpers, accessors.
var trivialName = regexp.MustCompile(`^(atomic(64)?_|atomic_long_|test_bit|test_and_|set_bit|clear_bit|__set_bit|__clear_bit|change_bit|(h)?list_|bitmap_|cpumask_|refcount_(inc|read|set)|kref_(get|read)|READ_ONCE|WRITE_ONCE|likely|unlikely|min|max|clamp|is_|(le|be)(16|32|64)_to_cpu|cpu_to_(le|be)(16|32|64)|jiffies|time_(after|before)|ktime_get|IS_ERR|PTR_ERR|ERR_PTR|dev_(get|set)_drvdata|container_of|(io)?read[bwlq]|(io)?write[bwlq]|raw_smp_processor_id|smp_processor_id|memcpy|memset|str)`)

// RankUnknown orders unknown callees by how much a reviewer should look
// at them: suspect names first, trivial ones last, the rest between; each
// group keeps the given order.
func RankUnknown(names []string) []string {
	rank := func(n string) int {
		switch {
		case trivialName.MatchString(n):
			return 2
		case suspectName.MatchString(strings.ToLower(n)):
			return 0
		}
		return 1
	}
	out := slices.Clone(names)
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}

// terseLine is one finding on one line; b4 counts a line holding
// "ERROR:" as a failure and any other line as a warning.
func terseLine(f *review.Finding) string {
	return findingLine(f.Finding, alsoSuffix(f.Finding, f.Also)+preExisting(f))
}

func preExisting(f *review.Finding) string {
	if f.Introduced {
		return ""
	}
	return " (pre-existing)"
}

// location prints checkpatch's "#N: FILE: path:line:" and the quoted
// patch line, or only "FILE: path:line:" for a line the patch does not
// show.
func location(ew *errWriter, f *review.Finding) {
	if f.PatchLine <= 0 {
		ew.printf("FILE: %s:%d:\n", f.File, f.Line)
		return
	}
	ew.printf("#%d: FILE: %s:%d:\n", f.PatchLine, f.File, f.Line)
	if f.Quote != "" {
		ew.printf("%s\n", strings.TrimRight(f.Quote, "\n"))
	}
}

// header is checkpatch's header before each commit of a series: the name
// between two rules of dashes as long as it.
func header(ew *errWriter, name string) {
	rule := strings.Repeat("-", len(name))
	ew.printf("%s\n%s\n%s\n", rule, name, rule)
}

// patchLabel names a patch as checkpatch names a commit: `Commit abc
// ("subject")`, with the series position instead of the hash.
func patchLabel(p *review.PatchRef) string {
	return fmt.Sprintf(`Patch %d/%d ("%s")`, p.Index, p.Total, p.Subject)
}

func inSeries(p *review.PatchRef) bool { return p != nil && p.Total > 1 }

func samePatch(a, b *review.PatchRef) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Index == b.Index && a.Total == b.Total
}

// groupByPatch orders findings by patch, keeping their order within a
// patch, so that each patch of a series gets one header. Findings without
// a patch come last. The caller's slice is not reordered.
func groupByPatch(fs []*review.Finding) []*review.Finding {
	out := append([]*review.Finding(nil), fs...)
	key := func(f *review.Finding) int {
		if f.Patch == nil {
			return int(^uint(0) >> 1)
		}
		return f.Patch.Index
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// reviewTotal is checkpatch's summary line. Errors, warnings and checks
// count what the patches introduce, the figure --fail-on acts on;
// pre-existing findings are counted apart.
func reviewTotal(res *review.Result, opt ReviewTextOptions) string {
	c := countFindings(res)
	parts := []string{plural(c.errors, "error"), plural(c.warnings, "warning")}
	if c.checks > 0 {
		parts = append(parts, plural(c.checks, "check"))
	}
	if c.preExisting > 0 {
		parts = append(parts, fmt.Sprintf("%d pre-existing", c.preExisting))
	}
	if len(res.Resolved) > 0 {
		parts = append(parts, fmt.Sprintf("%d resolved", len(res.Resolved)))
	}
	if len(res.NotAnalysed) > 0 {
		parts = append(parts, fmt.Sprintf("%d not analysed", len(res.NotAnalysed)))
	}
	n := len(res.Patches)
	patches := "patches"
	if n == 1 {
		patches = "patch"
	}
	parts = append(parts, fmt.Sprintf("%d %s checked", n, patches))
	rt := "PREEMPT_RT rules on"
	if opt.NoRT {
		rt = "PREEMPT_RT rules off"
	}
	if opt.Base != "" {
		rt = "base: " + opt.Base + ", " + rt
	}
	return "total: " + strings.Join(parts, ", ") + " (" + rt + ")"
}

type findingCounts struct {
	errors, warnings, checks, preExisting int
}

func countFindings(res *review.Result) findingCounts {
	var c findingCounts
	for _, f := range res.Findings {
		if !f.Introduced {
			c.preExisting++
			continue
		}
		switch f.Severity.Level() {
		case "ERROR":
			c.errors++
		case "WARNING":
			c.warnings++
		default:
			c.checks++
		}
	}
	return c
}

// checkResult rejects a result the renderers cannot print, instead of
// panicking half way through the output.
func checkResult(res *review.Result) error {
	if res == nil {
		return fmt.Errorf("comment: no review result")
	}
	for _, list := range [][]*review.Finding{res.Findings, res.Resolved} {
		for i, f := range list {
			if f == nil || f.Finding == nil {
				return fmt.Errorf("comment: review finding %d is empty", i)
			}
		}
	}
	return nil
}
