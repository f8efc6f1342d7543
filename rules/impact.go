package rules

// Impact: what a change to a function does to its callers in other files.
// The index keeps, by callee, the calls each file makes in a context (a
// lock, RCU, interrupts off; CallerKey). A function of the analysed files
// whose effects the index's version of it does not have (it now sleeps,
// takes another lock) sends the analysis to those callers' files: they
// are analysed with the new version and with the index's, and the
// findings only the new one gives, through the analysed files, are what
// the change does to them (bdc_udc_start() holds bdc->lock around
// bdc_run(), whose poll now sleeps).

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

// AnalyzeImpact is Analyze, followed, when opt has an index and load is
// not nil, by the impact of the sources' changes on their callers in
// other files: the findings in up to MaxCallerFiles caller files that
// the changed functions cause, added to the result.
func AnalyzeImpact(ctx context.Context, srcs []source.Source, opt Options, load CallerLoader) (*Result, *Impact, error) {
	prog, errs, skipped, err := build(ctx, srcs, opt)
	if err != nil {
		return nil, nil, err
	}
	res := finish(prog, srcs, opt, errs, skipped)
	imp := &Impact{}
	if opt.Externals == nil || load == nil {
		return res, imp, nil
	}
	changed := changedFuncs(prog)
	if len(changed) == 0 {
		return res, imp, nil
	}
	for _, fi := range changed {
		imp.Changed = append(imp.Changed, fi.F.Name)
	}
	imp.Files, imp.Left = callerFiles(prog, changed)
	if len(imp.Files) == 0 {
		return res, imp, nil
	}
	csrcs, err := load(imp.Files)
	if err != nil {
		return nil, nil, fmt.Errorf("callers of %s: %w", strings.Join(imp.Changed, ", "), err)
	}
	have := map[string]bool{}
	for _, s := range srcs {
		have[s.Path] = true
	}
	csrcs = slices.DeleteFunc(csrcs, func(s source.Source) bool { return have[s.Path] })
	callerFile := map[string]bool{}
	for _, s := range csrcs {
		if !s.Context {
			callerFile[s.Path] = true
		}
	}
	// The callers with the index's versions of the changed functions,
	// then with the analysed ones.
	before, err := Analyze(ctx, csrcs, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("callers of %s: %w", strings.Join(imp.Changed, ", "), err)
	}
	after, err := Analyze(ctx, append(append([]source.Source(nil), srcs...), csrcs...), opt)
	if err != nil {
		return nil, nil, fmt.Errorf("callers of %s: %w", strings.Join(imp.Changed, ", "), err)
	}
	analysed := map[string]bool{}
	for _, f := range reported(srcs, prog) {
		analysed[f.Path] = true
	}
	var through []*Finding
	for _, f := range after.Findings {
		if callerFile[f.File] && slices.ContainsFunc(f.Chain, func(s flow.Step) bool { return analysed[s.File] }) {
			through = append(through, f)
		}
	}
	var old []*Finding
	for _, f := range before.Findings {
		if callerFile[f.File] {
			old = append(old, f)
		}
	}
	added, _ := subtractFindings(through, old)
	res.Findings = append(res.Findings, added...)
	return res, imp, nil
}

// subtractFindings returns the findings of a whose fingerprint b does not
// have as many times, and the rest.
func subtractFindings(a, b []*Finding) (only, common []*Finding) {
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

// changedFuncs are the analysed functions other files may call (a .c
// file's non-static ones, a header's) that have an effect the index's
// version of them does not have: a sleep, a lock of another kind or
// class, an allocation, a wait.
func changedFuncs(prog *flow.Program) []*flow.FuncInfo {
	var out []*flow.FuncInfo
	for _, fi := range prog.Funcs {
		if !fi.Report || fi.Sum == nil || fi.F.Macro || fi.F.Static && !strings.HasSuffix(fi.F.File.Path, ".h") {
			continue
		}
		old := indexedVersion(prog, fi)
		if old == nil || old.Sum == nil {
			continue // a new function: nothing calls it yet
		}
		was := map[string]bool{}
		for _, e := range old.Sum.Effects {
			was[effectSig(e)] = true
		}
		for _, e := range fi.Sum.Effects {
			if !was[effectSig(e)] {
				out = append(out, fi)
				break
			}
		}
	}
	return out
}

// indexedVersion is the index's record of fi, found by the tree-relative
// path its file's path ends in (a scan names files as given, a review as
// the patch does).
func indexedVersion(prog *flow.Program, fi *flow.FuncInfo) *flow.FuncInfo {
	p := filepath.ToSlash(fi.F.File.Path)
	for {
		if r := prog.IndexedIn(fi.F.Name, p); r != nil {
			return r
		}
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return nil
		}
		p = p[i+1:]
	}
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
		for _, t := range prog.OpsSites(CallerKey(fi.F.Name)) {
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
