// SPDX-License-Identifier: GPL-2.0-only

package rules

// Impact: what a change to a function does to its callers in other files.
// The index keeps, by callee, the calls each file makes in a context (a
// lock, RCU, interrupts off; CallerKey). A function of the analysed files
// with an effect its version before the change did not have (it now
// sleeps, takes another lock) sends the analysis to those callers' files:
// they are analysed with each version, and the findings only the new one
// gives, through the analysed files, are what the change does to them
// (bdc_udc_start() holds bdc->lock around bdc_run(), whose poll now
// sleeps). Both versions are analysed in one program with the callers, so
// that what the analysis of a file sees and a link does not (an effect
// under a condition on an argument) is the same on both sides.

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"lockbot/flow"
	"lockbot/source"
)

// CallerKey is the key under which an index keeps the calls of a function
// made in a context, by the callee's name.
func CallerKey(fn string) string { return "caller " + fn }

// MaxCallerFiles bounds the caller files an impact analysis reads: the
// nearest ones, by directory, to the changed function's.
const MaxCallerFiles = 8

// CallerLoader reads tree-relative files for an impact analysis, with
// what they include as context.
type CallerLoader func(rels []string) ([]source.Source, error)

// Impact is what an impact analysis looked at.
type Impact struct {
	// Changed are the functions whose effects the index's versions did
	// not have.
	Changed []string
	// Files are the caller files analysed; Left counts those past
	// MaxCallerFiles, not analysed.
	Files []string
	Left  int
}

// AnalyzeImpact is Analyze of srcs, followed, when base holds the same
// files before a change, opt has an index and load is not nil, by the
// impact of the change on the callers in other files: the findings in up
// to MaxCallerFiles caller files that the changed functions cause, added
// to the result.
func AnalyzeImpact(ctx context.Context, srcs, base []source.Source, opt Options, load CallerLoader) (*Result, *Impact, error) {
	prog, errs, skipped, err := build(ctx, srcs, opt)
	if err != nil {
		return nil, nil, err
	}
	res := finish(prog, srcs, opt, errs, skipped)
	imp := &Impact{}
	if opt.Externals == nil && opt.NearCallers == nil || load == nil || len(base) == 0 {
		return res, imp, nil
	}
	old, err := Build(ctx, base, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("before the change: %w", err)
	}
	changed := changedFuncs(old, prog)
	if len(changed) == 0 {
		return res, imp, nil
	}
	for _, fi := range changed {
		imp.Changed = append(imp.Changed, fi.F.Name)
	}
	if opt.Externals != nil {
		imp.Files, imp.Left = callerFiles(prog, changed)
	} else {
		imp.Files, imp.Left = nearCallerFiles(changed, opt.NearCallers)
	}
	if len(imp.Files) == 0 {
		return res, imp, nil
	}
	fail := func(err error) (*Result, *Impact, error) {
		return nil, nil, fmt.Errorf("callers of %s: %w", strings.Join(imp.Changed, ", "), err)
	}
	csrcs, err := load(imp.Files)
	if err != nil {
		return fail(err)
	}
	have := map[string]bool{}
	for _, s := range append(append([]source.Source(nil), srcs...), base...) {
		have[s.Path] = true
	}
	csrcs = slices.DeleteFunc(csrcs, func(s source.Source) bool { return have[s.Path] })
	callerFile := map[string]bool{}
	for _, s := range csrcs {
		if !s.Context {
			callerFile[s.Path] = true
		}
	}
	before, err := Analyze(ctx, append(append([]source.Source(nil), base...), csrcs...), opt)
	if err != nil {
		return fail(err)
	}
	after, err := Analyze(ctx, append(append([]source.Source(nil), srcs...), csrcs...), opt)
	if err != nil {
		return fail(err)
	}
	analysed := map[string]bool{}
	for _, f := range reported(srcs, prog) {
		analysed[f.Path] = true
	}
	var through, was []*Finding
	for _, f := range after.Findings {
		if callerFile[f.File] && slices.ContainsFunc(f.Chain, func(s flow.Step) bool { return analysed[s.File] }) {
			through = append(through, f)
		}
	}
	for _, f := range before.Findings {
		if callerFile[f.File] {
			was = append(was, f)
		}
	}
	for _, e := range append(before.Errors, after.Errors...) {
		if opt.Log != nil {
			opt.Log.Warn("caller file not analysed whole", "err", e.Err)
		}
	}
	added, _ := SubtractFindings(through, was)
	res.Findings = append(res.Findings, added...)
	return res, imp, nil
}

// SubtractFindings returns the findings of a whose fingerprint b does not
// have as many times (what a change added, matched as a multiset), and
// the rest.
func SubtractFindings(a, b []*Finding) (only, common []*Finding) {
	count := map[string]int{}
	for _, f := range b {
		count[f.Fingerprint]++
	}
	for _, f := range a {
		if count[f.Fingerprint] > 0 {
			count[f.Fingerprint]--
			common = append(common, f)
			continue
		}
		only = append(only, f)
	}
	return only, common
}

// changedFuncs are the functions of prog's analysed files that other
// files may call (a .c file's non-static ones, those its ops tables
// store, a header's) with an effect
// their version in old, the same files before a change, does not have: a
// sleep, a lock of another kind or class, an allocation, a wait. A
// function old does not have is new: nothing calls it yet.
func changedFuncs(old, prog *flow.Program) []*flow.FuncInfo {
	was := map[string]*flow.FuncInfo{}
	for _, fi := range old.Funcs {
		if fi.Report && fi.Sum != nil {
			was[fi.F.Name+"\x00"+filepath.Base(fi.F.File.Path)] = fi
		}
	}
	var out []*flow.FuncInfo
	for _, fi := range prog.Funcs {
		if !fi.Report || fi.Sum == nil || fi.F.Macro {
			continue
		}
		if fi.F.Static && !strings.HasSuffix(fi.F.File.Path, ".h") && len(prog.LocalOps(fi)) == 0 {
			continue // no other file can call it: not by name, not through a table
		}
		o := was[fi.F.Name+"\x00"+filepath.Base(fi.F.File.Path)]
		if o == nil {
			continue
		}
		sigs := map[string]bool{}
		for _, e := range o.Sum.Effects {
			sigs[effectSig(e)] = true
		}
		for _, e := range fi.Sum.Effects {
			if !sigs[effectSig(e)] {
				out = append(out, fi)
				break
			}
		}
	}
	return out
}

// effectSig is what an effect is to a caller, coarsely: its kind, the
// kind and class of what it holds or takes, whether it sleeps, frees or
// waits, and whether the caller's gfp decides it. Lines and spellings do
// not count.
func effectSig(e *flow.Effect) string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(int(e.Kind)))
	if e.Ctx != nil {
		b.WriteString("|" + e.Ctx.Kind.Name + "|" + e.Ctx.Class)
	}
	for _, f := range []bool{e.Blocks, e.Sleeps, e.Frees, e.GfpParam >= 0} {
		b.WriteString("|" + strconv.FormatBool(f))
	}
	b.WriteString("|" + e.Wait)
	return b.String()
}

// callerFiles lists the files of the index's callers of fns, nearest to
// each function's own directory first, at most MaxCallerFiles; left
// counts the others.
func callerFiles(prog *flow.Program, fns []*flow.FuncInfo) (files []string, left int) {
	near := map[string]int{}
	for _, fi := range fns {
		dir := path.Dir(filepath.ToSlash(fi.F.File.Path))
		sites := prog.OpsSites(CallerKey(fi.F.Name))
		// Callers through an ops member the function is stored in: the
		// calls of that member made holding a lock (a bus core calling
		// ->kick() under its spinlock).
		for _, key := range prog.LocalOps(fi) {
			sites = append(sites, prog.OpsSites(flow.OpsHeldKey(key))...)
		}
		for _, t := range sites {
			d := sharedDirs(dir, path.Dir(t.File))
			if n, ok := near[t.File]; !ok || d > n {
				near[t.File] = d
			}
		}
	}
	for f := range near {
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool {
		if near[files[i]] != near[files[j]] {
			return near[files[i]] > near[files[j]]
		}
		return files[i] < files[j]
	})
	if len(files) > MaxCallerFiles {
		left = len(files) - MaxCallerFiles
		files = files[:MaxCallerFiles]
	}
	return files, left
}

// nearCallerFiles are, without an index, the files near's search names
// for the changed functions, file by file, at most MaxCallerFiles.
func nearCallerFiles(fns []*flow.FuncInfo, near func(string, []string) []string) (files []string, left int) {
	byFile := map[string][]string{}
	var order []string
	for _, fi := range fns {
		p := filepath.ToSlash(fi.F.File.Path)
		if _, ok := byFile[p]; !ok {
			order = append(order, p)
		}
		byFile[p] = append(byFile[p], fi.F.Name)
	}
	seen := map[string]bool{}
	for _, p := range order {
		for _, f := range near(p, byFile[p]) {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	if len(files) > MaxCallerFiles {
		left = len(files) - MaxCallerFiles
		files = files[:MaxCallerFiles]
	}
	return files, left
}

// sharedDirs counts the trailing directories of a (a path as given, maybe
// absolute) that b (tree-relative) begins with: how close b's directory
// is to a's.
func sharedDirs(a, b string) int {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	best := 0
	// a may carry a prefix (/tmp/x/drivers/usb): try each alignment.
	for off := range as {
		n := 0
		for n < len(bs) && off+n < len(as) && as[off+n] == bs[n] {
			n++
		}
		if n > best {
			best = n
		}
	}
	return best
}
