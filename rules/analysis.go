// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"lockbot/flow"
	"lockbot/kb"
)

// Analyzer is one rule. Like golang.org/x/tools/go/analysis, every rule
// reads the facts the shared pass computed (observations, exits and
// summaries) and reports findings; it computes no flow of its own.
type Analyzer struct {
	Name     string // the rule ID, as in JSON output
	Title    string // one line
	Doc      string // what it finds and why it matters
	Fix      string // the usual fix
	Ref      string // the kernel documentation behind it
	Severity Severity
	// RTOnly: the finding matters only on PREEMPT_RT kernels.
	RTOnly bool
	Run    func(*Pass)
}

// Severity is how much a finding matters: an error fails a patch by
// default, a warning at --fail-on warning; info is shown, never fails
// and is not mailed (only a setting gives it).
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Severities are the severities, most severe first.
var Severities = []Severity{Error, Warning, Info}

// Level is the severity in checkpatch's words: ERROR, WARNING, or CHECK
// for info. An unknown severity is an ERROR rather than hidden.
func (s Severity) Level() string {
	switch s {
	case Warning:
		return "WARNING"
	case Info:
		return "CHECK"
	}
	return "ERROR"
}

// Finding is one reported problem with the chain that proves it.
type Finding struct {
	Rule     string      `json:"rule"`
	Severity Severity    `json:"severity"`
	RTOnly   bool        `json:"rt_only"`
	File     string      `json:"file"`
	Line     int         `json:"line"`
	Function string      `json:"function"`
	Message  string      `json:"message"`
	Chain    []flow.Step `json:"chain"`
	Fix      string      `json:"fix,omitempty"`
	// If are the conditions on the function's arguments the witness path
	// needs and the analysis could not decide (a flag a caller sets):
	// such a finding holds only for callers that pass that, and is left
	// out of the output unless Options.Conditional asks for it.
	If []string `json:"if,omitempty"`
	// Fingerprint identifies the finding across edits: rule, function,
	// lock classes and callee path, never line numbers.
	Fingerprint string `json:"fingerprint"`
}

// Pass is one analyzer's run over a program.
type Pass struct {
	Prog     *flow.Program
	Analyzer *Analyzer
	findings []*Finding
	seen     map[string]int
}

// Funcs returns the functions whose findings are reported.
func (p *Pass) Funcs() []*flow.FuncInfo {
	var out []*flow.FuncInfo
	for _, fi := range p.Prog.Funcs {
		if fi.Report && fi.Result != nil && !fi.Result.Failed {
			out = append(out, fi)
		}
	}
	return out
}

// Report adds a finding; fp lists what identifies it besides the rule and
// function (lock classes, callees).
func (p *Pass) Report(f *Finding, fp ...string) {
	a := p.Analyzer
	f.Rule = a.Name
	if f.Severity == "" {
		f.Severity = a.Severity
	}
	if !f.RTOnly {
		f.RTOnly = a.RTOnly
	}
	if f.RTOnly && p.Prog.RTExcluded(append([]flow.Step{{File: f.File}}, f.Chain...)) {
		return // a PREEMPT_RT kernel does not build this code
	}
	if f.Fix == "" {
		f.Fix = a.Fix
	}
	h := sha256.Sum256([]byte(a.Name + "\x00" + f.Function + "\x00" + strings.Join(fp, "\x00")))
	f.Fingerprint = hex.EncodeToString(h[:8])
	f.Chain = compactChain(f.Chain)
	f.Message = ownStatics(f.Message, f.File)
	if len(f.If) > 0 {
		f.Message += " (only if " + strings.Join(f.If, " and ") + ")"
	}
	k := fmt.Sprintf("%s:%d:%s", f.File, f.Line, f.Fingerprint)
	if i, ok := p.seen[k]; ok {
		// One finding per site and cause: keep the witness that needs
		// no undecided condition, then the shortest.
		if o := p.findings[i]; len(f.If) < len(o.If) || len(f.If) == len(o.If) && len(f.Chain) < len(o.Chain) {
			p.findings[i] = f
		}
		return
	}
	p.seen[k] = len(p.findings)
	p.findings = append(p.findings, f)
}

// staticClass is a file's static lock as a class names it
// (flow's globalClass: "register_mutex@core/init.c").
var staticClass = regexp.MustCompile(`\b([A-Za-z_][A-Za-z0-9_]*)@([A-Za-z0-9_.+-]+/[A-Za-z0-9_.+-]+\.[ch])\b`)

// ownStatics names the static locks of the finding's own file without
// their file in its message: the file goes without saying there.
func ownStatics(msg, file string) string {
	return staticClass.ReplaceAllStringFunc(msg, func(m string) string {
		sub := staticClass.FindStringSubmatch(m)
		if strings.HasSuffix(filepath.ToSlash(file), "/"+sub[2]) || filepath.ToSlash(file) == sub[2] {
			return sub[1]
		}
		return m
	})
}

// compactChain drops repeated steps (a context entered through the same
// call the effect goes through).
func compactChain(ch []flow.Step) []flow.Step {
	var out []flow.Step
	seen := map[flow.Step]bool{}
	for _, s := range ch {
		if seen[s] {
			// The held context's path and the effect's both start at
			// the call: once is enough.
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// All returns the analyzers, in the order `lockbot rules` lists them.
func All() []*Analyzer {
	return []*Analyzer{
		RTSleepingLockInAtomic, SleepInAtomic, SleepInRCU, AllocInRawAtomic, NowaitMayBlock,
		LockLeak, DoubleLock, UnlockNotHeld, LockOrderInversion, WaitUnderLock, SeqcountWritePreemptible,
	}
}

// Run runs analyzers over an analysed program and returns the findings in
// file and line order.
func Run(prog *flow.Program, analyzers []*Analyzer) []*Finding {
	var all []*Finding
	for _, a := range analyzers {
		p := &Pass{Prog: prog, Analyzer: a, seen: map[string]int{}}
		a.Run(p)
		all = append(all, p.findings...)
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
	return all
}

// Helpers shared by the rules.

func isAtomic(c *flow.Ctx) bool { return c.Kind.Category == kb.Atomic }

func isSpinningNonRCU(c *flow.Ctx) bool {
	return (c.Kind.Category == kb.Spinning || c.Kind.Category == kb.Atomic) && !c.Kind.RCU
}

func isRCU(c *flow.Ctx) bool { return c.Kind.RCU }

func anyCtx(l []*flow.Ctx, pred func(*flow.Ctx) bool) bool {
	for _, c := range l {
		if pred(c) {
			return true
		}
	}
	return false
}

// heldDesc describes a held context and where it was entered.
func heldDesc(c *flow.Ctx) string {
	s := c.Name()
	if c.Via.Len() > 0 {
		last := c.Via.Last()
		if prim := primOf(last.Note); prim != "" {
			s += " (" + prim
			if last.Func != c.Via.Step.Func {
				s += " in " + last.Func + "()"
			}
			s += ")"
		}
	}
	return s
}

// primOf returns the call a chain note starts with: "spin_lock(&x) takes
// ..." -> "spin_lock(&x)".
func primOf(note string) string {
	depth := 0
	for i, r := range note {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return note[:i+1]
			}
		case ' ':
			if depth == 0 {
				return ""
			}
		}
	}
	return ""
}

// siteCallee names what a finding's site calls: the callee for an effect
// deep in a call, or the primitive for a direct one. Fingerprints use it
// rather than the whole path, so one call with many witnesses is one
// finding.
func siteCallee(o *flow.Obs) string {
	if c := viaCall(o); c != "" {
		return c + "()"
	}
	return primName(o.Eff.What)
}

func primName(what string) string {
	if i := strings.IndexByte(what, '('); i > 0 {
		return what[:i]
	}
	return what
}

// where says "in callee()" for an effect that happens in a callee.
func where(o *flow.Obs) string {
	path := flow.CalleePath(o.Eff.Chain)
	if len(path) == 0 {
		return ""
	}
	return " in " + path[len(path)-1] + "()"
}

// viaCall names the call at the site when the effect is in a callee.
func viaCall(o *flow.Obs) string {
	path := flow.CalleePath(o.Eff.Chain)
	if len(path) == 0 {
		return ""
	}
	return path[0]
}

func stepAt(fi *flow.FuncInfo, line int, note string) flow.Step {
	return flow.Step{File: fi.F.File.Path, Line: line, Func: fi.F.Name, Note: note}
}
