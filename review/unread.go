// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"lockbot/diff"
	"lockbot/rules"
)

// notAnalysed lists what a patch left unanalysed in the files it touches:
// files the analysis refused after it (or before it), and syntax it added
// that the parser could not read, which hides the functions it breaks. A
// review that passes over them silently would call the patch clean.
func notAnalysed(before, after *rules.Result, snap *diff.Snapshot) []NotAnalysed {
	var out []NotAnalysed
	failed := map[string]bool{}
	for _, side := range []*rules.Result{after, before} {
		for _, e := range side.Errors {
			if failed[e.Path] {
				continue
			}
			failed[e.Path] = true
			reason := strings.TrimPrefix(e.Err, e.Path+": ")
			if side == before {
				reason += " (before the patch)"
			}
			out = append(out, NotAnalysed{File: e.Path, Reason: reason})
		}
	}
	was := map[string]rules.ParsedFile{}
	for _, pf := range before.Parsed {
		was[pf.Path] = pf
	}
	for _, pf := range after.Parsed {
		if failed[pf.Path] {
			continue
		}
		old, had := was[pf.Path]
		if na, ok := unreadable(old, had, pf, snap.After[pf.Path]); ok {
			out = append(out, na)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}

// unreadable compares how the parser read a file before and after a
// patch: syntax it could not read that the patch added, the functions
// it read only in part, and those it no longer found although their
// names are still in the file (a brace too many ends a function early,
// and what follows is lost).
func unreadable(old rules.ParsedFile, had bool, now rules.ParsedFile, text []byte) (NotAnalysed, bool) {
	na := NotAnalysed{File: now.Path}
	if len(now.ErrorLines) > len(old.ErrorLines) {
		na.Line = now.ErrorLines[len(old.ErrorLines)]
		if had {
			// The first error line the patch added: the lines before
			// it read as they did.
			for i, l := range now.ErrorLines {
				if i >= len(old.ErrorLines) || l != old.ErrorLines[i] {
					na.Line = l
					break
				}
			}
		}
	}
	var names []string
	for name, line := range now.Partial {
		if _, before := old.Partial[name]; !before {
			names = append(names, name+"()")
			if na.Line == 0 || line < na.Line {
				na.Line = line
			}
		}
	}
	found := map[string]bool{}
	for _, f := range now.Funcs {
		found[f] = true
	}
	for _, f := range old.Funcs {
		if !found[f] && bytes.Contains(text, []byte(f+"(")) {
			names = append(names, f+"()")
		}
	}
	if na.Line == 0 && len(names) == 0 {
		return na, false
	}
	sort.Strings(names)
	na.Functions = names
	if na.Line > 0 {
		na.Reason = fmt.Sprintf("the parser could not read the code at line %d", na.Line)
	} else {
		na.Reason = "the parser no longer finds them"
	}
	return na, true
}

// wholeFiles are the files a list names whole (Line 0 and no functions:
// refused), whose findings cannot be compared.
func wholeFiles(l []NotAnalysed) map[string]bool {
	m := map[string]bool{}
	for _, na := range l {
		if na.Line == 0 && len(na.Functions) == 0 {
			m[na.File] = true
		}
	}
	return m
}

// outside keeps the findings that neither sit in nor pass through the
// given files.
func outside(fs []*rules.Finding, files map[string]bool) []*rules.Finding {
	var out []*rules.Finding
next:
	for _, f := range fs {
		if files[f.File] {
			continue
		}
		for _, s := range f.Chain {
			if files[s.File] {
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}
