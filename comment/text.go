// SPDX-License-Identifier: GPL-2.0-only

// Package comment renders findings: checkpatch-style text and JSON for the
// command line; review comments and mail replies build on the same data.
package comment

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"lockbot/flow"
	"lockbot/rules"
)

// TextOptions shape the text output.
type TextOptions struct {
	// Terse prints one line per finding and no chain.
	Terse bool
	// NoRT is reported in the summary line.
	NoRT bool
}

// Text writes findings in checkpatch's shape, which editors and b4 parse:
// "path:line: ERROR:RULE: message", then the chain indented, then the fix.
func Text(w io.Writer, res *rules.Result, opt TextOptions) error {
	t := NewTextStream(w, opt)
	t.Findings(res.Findings)
	return t.Close(res)
}

// TextStream writes Text a piece at a time: findings as a scan finds
// them, then the totals.
type TextStream struct {
	ew          *errWriter
	opt         TextOptions
	errs, warns int
}

// NewTextStream starts a text report on w.
func NewTextStream(w io.Writer, opt TextOptions) *TextStream {
	return &TextStream{ew: &errWriter{w: w}, opt: opt}
}

// Findings writes findings; the first write error is Close's.
func (t *TextStream) Findings(fs []*rules.Finding) {
	for _, f := range fs {
		if f.Severity.Level() == "ERROR" {
			t.errs++
		} else {
			t.warns++
		}
		t.ew.printf("%s\n", findingLine(f, ""))
		if t.opt.Terse {
			continue
		}
		evidence(t.ew, f)
	}
}

// Close writes the summary of res, the totals of what was analysed (its
// findings were written by Findings and are not counted again).
func (t *TextStream) Close(res *rules.Result) error {
	ew := t.ew
	if !t.opt.Terse {
		rt := "PREEMPT_RT rules on"
		if t.opt.NoRT {
			rt = "PREEMPT_RT rules off"
		}
		st := res.Stats
		ew.printf("total: %s, %s, %d %s, %d %s analysed (%d partly, %d not analysed), %s\n",
			plural(t.errs, "error"), plural(t.warns, "warning"), st.Files, noun(st.Files, "file"),
			st.Functions, noun(st.Functions, "function"), st.Partial, st.Failed, rt)
		if note := UnknownNote(res.Unknown, false); note != "" {
			ew.printf("%s\n", note)
		}
		if n := res.Conditional; n > 0 {
			ew.printf("NOTE: %s left out: each holds only under a condition nothing here decides, a value a caller passes or the last reference dropped (--conditional shows them, with the condition)\n", plural(n, "finding"))
		}
		if res.SplitByDirectory {
			ew.printf("NOTE: without an index, each directory's files were analysed apart (too many to analyse together); calls between directories were not followed: lockbot index builds one\n")
		}
	}
	return ew.err
}

// findingLine is a finding on one line, "path:line: LEVEL:RULE:
// message", the form editors, scripts and b4 read.
func findingLine(f *rules.Finding, suffix string) string {
	return fmt.Sprintf("%s:%d: %s:%s: %s%s", f.File, f.Line, f.Severity.Level(), f.Rule, f.Message, suffix)
}

// evidence prints a finding's chain, its fix and the blank line that
// ends it; also are the other ways the same cause is reached.
func evidence(ew *errWriter, f *rules.Finding, also ...*rules.Finding) {
	for _, s := range f.Chain {
		ew.printf("  %s:%d: %s(): %s\n", s.File, s.Line, s.Func, s.Note)
	}
	if len(also) > 0 {
		ew.printf("  the same cause, also reached:\n")
		for _, s := range AlsoSteps(f, also) {
			ew.printf("    %s:%d: %s(): %s\n", s.File, s.Line, s.Func, s.Note)
		}
	}
	if f.Fix != "" {
		ew.printf("  fix: %s\n", f.Fix)
	}
	ew.printf("\n")
}

func plural(n int, s string) string { return fmt.Sprintf("%d %s", n, noun(n, s)) }

func noun(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err != nil {
		return
	}
	_, e.err = io.WriteString(e.w, TermSafe(fmt.Sprintf(format, args...)))
}

// TermSafe escapes the control characters of text bound for a terminal,
// as Go quotes them ("\x1b"), keeping newlines and tabs. File names and
// lines come from patches, and a name holding "\x1b]0;...\x07" would
// retitle the reviewer's terminal, recolour it, or with OSC 52 write its
// clipboard.
func TermSafe(s string) string {
	clean := true
	for _, r := range s {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// RuleDocs writes the rules with a paragraph each.
func RuleDocs(w io.Writer, as []*rules.Analyzer) error {
	ew := &errWriter{w: w}
	for i, a := range as {
		if i > 0 {
			ew.printf("\n")
		}
		level := strings.ToUpper(string(a.Severity))
		rt := ""
		if a.RTOnly {
			rt = ", PREEMPT_RT only"
		}
		ew.printf("%s (%s%s)\n  %s\n\n", a.Name, level, rt, a.Title)
		for _, l := range strings.Split(a.Doc, "\n") {
			ew.printf("  %s\n", strings.TrimSpace(l))
		}
		ew.printf("\n  Fix: %s\n  See: %s\n", a.Fix, a.Ref)
	}
	return ew.err
}

// AlsoSteps is one step for each other way a finding's cause is reached
// (review.Finding's Also): where another caller's context begins, or, for
// a finding of another rule folded into it (a DOUBLE_LOCK the leak
// causes), where that one is and what it says.
func AlsoSteps(f *rules.Finding, also []*rules.Finding) []flow.Step {
	out := make([]flow.Step, 0, len(also))
	for _, a := range also {
		switch {
		case a.Rule != f.Rule:
			out = append(out, flow.Step{File: a.File, Line: a.Line, Func: a.Function,
				Note: fmt.Sprintf("which also causes %s: %s", a.Rule, a.Message)})
		case len(a.Chain) > 0:
			out = append(out, a.Chain[0])
		default:
			out = append(out, flow.Step{File: a.File, Line: a.Line, Func: a.Function, Note: a.Message})
		}
	}
	return out
}

// alsoSuffix names, on a finding's one line, the other ways its cause is
// reached: " (also reached from a(), b())".
func alsoSuffix(f *rules.Finding, also []*rules.Finding) string {
	if len(also) == 0 {
		return ""
	}
	var names []string
	for _, s := range AlsoSteps(f, also) {
		if n := s.Func + "()"; !slices.Contains(names, n) && s.Func != "" {
			names = append(names, n)
		}
	}
	return fmt.Sprintf(" (also reached from %s)", strings.Join(names, ", "))
}
