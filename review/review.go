// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"lockbot/cparse"
	"lockbot/diff"
	"lockbot/flow"
	"lockbot/kb"
	"lockbot/rules"
	"lockbot/source"
)

// Options configure a review.
type Options struct {
	KB *kb.KB
	// Tree is the base the series applies to; nil reviews the hunks alone
	// (--no-tree).
	Tree diff.Tree
	// Analyzers are the rules to run; nil: all.
	Analyzers []*rules.Analyzer
	NoRT      bool
	RT        flow.RTScope
	// Kconfig resolves configuration variants; nil: every arm is
	// possible.
	Kconfig flow.Kconfig
	// All adds the pre-existing findings of the touched files.
	All bool
	// OnlyPatch keeps the findings of one patch (1-based position in the
	// series); the patches before it are applied as its base. 0: all.
	OnlyPatch int
	// IncludeDepth is how many levels of quoted #include files of a
	// touched file are read from the tree as context.
	IncludeDepth int
	// Skip reports paths (relative to the tree) not to analyse.
	Skip func(path string) bool
	// Externals are the summaries of functions outside the touched files
	// (the tree's index); nil: such callees are unknown.
	Externals flow.Externals
	// Conditional keeps the findings that hold only if a caller passes
	// some value nothing in view decides (rules.Options.Conditional).
	Conditional bool
	// NoCallers skips the callers in other files of the functions a patch
	// changes (the impact analysis): faster, and blind to what a change
	// does to them.
	NoCallers bool
	Log       *slog.Logger
}

// Check reviews a series: each patch is applied in turn to copies of the
// files it touches, which are analysed before and after it; the findings
// the patch adds are reported, anchored on its lines, and those it removes
// are listed as resolved.
func Check(ctx context.Context, s *diff.Series, opt Options) (*Result, error) {
	if opt.KB == nil {
		return nil, errors.New("review: no knowledge base")
	}
	if len(s.Patches) == 0 {
		return nil, errors.New("review: the input holds no patch")
	}
	if opt.OnlyPatch < 0 || opt.OnlyPatch > len(s.Patches) {
		return nil, fmt.Errorf("review: there is no patch %d in a series of %d", opt.OnlyPatch, len(s.Patches))
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	snaps, lineOf, err := snapshots(s, opt.Tree)
	if err != nil {
		return nil, err
	}
	r := &reviewer{opt: opt, memo: map[string]*rules.Result{}, unseen: map[string]bool{}}
	res := &Result{NoTree: opt.Tree == nil, Findings: []*Finding{}, Resolved: []*Finding{}}
	for i, p := range s.Patches {
		res.Patches = append(res.Patches, ref(p, i, len(s.Patches)))
	}
	introduced := map[string]bool{}
	var pre []*Finding
	// earlier holds the files the patches before this one touched, as they
	// left them: each patch is analysed with them, so that a problem only
	// the combination has (a lock patch 1 adds, misused by patch 3 in
	// another file) is found, and attributed to the last patch it needs.
	earlier := map[string][]byte{}
	for i, snap := range snaps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		beforeFiles, afterFiles := withEarlier(earlier, snap)
		for p := range snap.Before {
			delete(earlier, p)
		}
		maps.Copy(earlier, snap.After)
		if opt.OnlyPatch > 0 && i+1 != opt.OnlyPatch {
			continue
		}
		pr := &res.Patches[i]
		before, err := r.analyse(ctx, beforeFiles, nil)
		if err != nil {
			return nil, err
		}
		after, err := r.analyse(ctx, afterFiles, beforeFiles)
		if err != nil {
			return nil, err
		}
		addStats(&res.Stats, after.Stats)
		// The unknown callees worth a note are those the patch brings
		// under a lock: the ones already called so before are not its
		// doing, and naming them on every clean patch is noise.
		res.Unknown = mergeSorted(res.Unknown, slices.DeleteFunc(slices.Clone(after.Unknown), func(n string) bool {
			return slices.Contains(before.Unknown, n)
		}))
		// A file not analysed on one side would make each of its
		// findings look introduced or resolved: its findings are left
		// out of the comparison, and it is named instead.
		unread := slices.DeleteFunc(notAnalysed(before, after, snap), func(na NotAnalysed) bool {
			return !touches(snap, na.File) // an earlier patch's file, named there
		})
		for _, na := range unread {
			na.Patch = pr
			if nl, ok := lineOf(i, na.File, na.Line); ok && na.Line > 0 {
				na.PatchLine, na.Quote, _ = snap.Patch.PatchLine(na.File, nl)
			}
			res.NotAnalysed = append(res.NotAnalysed, na)
		}
		bf, af := before.Findings, after.Findings
		if failed := wholeFiles(unread); len(failed) > 0 {
			bf, af = outside(bf, failed), outside(af, failed)
		}
		added, kept := rules.SubtractFindings(af, bf)
		removed, _ := rules.SubtractFindings(bf, af)
		for _, f := range added {
			rf := &Finding{Finding: f, Patch: pr, Introduced: true}
			anchor(rf, snap.Patch, func(file string, line int) (int, bool) { return lineOf(i, file, line) })
			res.Findings = append(res.Findings, rf)
			introduced[f.Fingerprint] = true
		}
		for _, f := range removed {
			res.Resolved = append(res.Resolved, &Finding{Finding: f, Patch: pr})
		}
		for _, f := range kept {
			pre = append(pre, &Finding{Finding: f})
		}
	}
	if opt.All {
		seen := map[string]bool{}
		for _, f := range pre {
			k := f.Fingerprint + "\x00" + f.File
			if introduced[f.Fingerprint] || seen[k] {
				continue
			}
			seen[k] = true
			res.Findings = append(res.Findings, f)
		}
	}
	sortFindings(res.Findings)
	sortFindings(res.Resolved)
	res.Findings = oneper(res.Findings)
	res.CallersNotSeen = slices.Sorted(maps.Keys(r.unseen))
	res.NotC = notC(snaps)
	return res, nil
}

// notC lists the files the snapshots touch that are not C: what the
// binary diffs and symbolic links changed, and text files other than .c
// and .h.
func notC(snaps []*diff.Snapshot) []string {
	seen := map[string]bool{}
	for _, snap := range snaps {
		for _, p := range snap.Skipped {
			seen[p+" (binary)"] = true
		}
		for _, files := range []map[string][]byte{snap.Before, snap.After} {
			for p := range files {
				if !source.IsCFile(p) && !strings.HasSuffix(p, ".h") {
					seen[p] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// withEarlier is what patch snap is analysed with: the files it touches,
// before and after it, and those earlier patches touched, as they left
// them (the same on both sides).
func withEarlier(earlier map[string][]byte, snap *diff.Snapshot) (before, after map[string][]byte) {
	if len(earlier) == 0 {
		return snap.Before, snap.After
	}
	before, after = maps.Clone(earlier), maps.Clone(earlier)
	for p := range snap.Before {
		delete(after, p) // deleted or renamed away by this patch, unless After has it
	}
	maps.Copy(before, snap.Before)
	maps.Copy(after, snap.After)
	return before, after
}

func touches(snap *diff.Snapshot, file string) bool {
	_, b := snap.Before[file]
	_, a := snap.After[file]
	return a || b
}

// oneper makes one finding per cause. Findings of one rule anchored on one
// patch line are that line's problem reached from several callers: the
// first (in sorted order) keeps them in Also. A DOUBLE_LOCK whose earlier
// acquisition is the one a LOCK_LEAK of the same patch leaves held is the
// leak's consequence, and fixing the leak fixes it: it is folded into the
// leak.
func oneper(fs []*Finding) []*Finding {
	type key struct {
		patch      int
		file, rule string
		line       int
	}
	patchOf := func(f *Finding) int {
		if f.Patch == nil {
			return 0
		}
		return f.Patch.Index
	}
	first := map[key]*Finding{}
	var out []*Finding
	for _, f := range fs {
		if !f.Introduced || f.PatchLine <= 0 {
			out = append(out, f)
			continue
		}
		k := key{patchOf(f), f.File, f.Rule, f.Line}
		if p := first[k]; p != nil {
			p.Also = append(p.Also, f.Finding)
			continue
		}
		first[k] = f
		out = append(out, f)
	}
	type site struct {
		patch int
		file  string
		line  int
	}
	leaks := map[site]*Finding{}
	for _, f := range out {
		if f.Introduced && f.Rule == "LOCK_LEAK" && len(f.Chain) > 0 {
			leaks[site{patchOf(f), f.Chain[0].File, f.Chain[0].Line}] = f
		}
	}
	if len(leaks) == 0 {
		return out
	}
	kept := out[:0]
	for _, f := range out {
		if f.Introduced && f.Rule == "DOUBLE_LOCK" && len(f.Chain) > 1 {
			// The chain's steps before the second acquisition: the first
			// one, and how it came to be held.
			var leak *Finding
			for _, s := range f.Chain[:len(f.Chain)-1] {
				if l := leaks[site{patchOf(f), s.File, s.Line}]; l != nil {
					leak = l
					break
				}
			}
			if leak != nil {
				leak.Also = append(append(leak.Also, f.Finding), f.Also...)
				continue
			}
		}
		kept = append(kept, f)
	}
	return kept
}

// ref names patch i of n: numbered mails keep their numbers; patch files
// without them are counted in the order given.
func ref(p *diff.Patch, i, n int) PatchRef {
	r := PatchRef{Index: p.Index, Total: p.Total, Subject: p.Subject}
	if r.Total == 0 && n > 1 {
		r.Index, r.Total = i+1, n
	}
	return r
}

// lineMap turns a line of the file after patch i into the new-side line
// number the patch shows it at.
type lineMap func(i int, file string, line int) (int, bool)

// snapshots applies the series to the tree, or, without one, rebuilds
// each touched file from what its hunks show.
func snapshots(s *diff.Series, tree diff.Tree) ([]*diff.Snapshot, lineMap, error) {
	if tree != nil {
		snaps, err := diff.ApplySeries(tree, s)
		if err != nil {
			return nil, nil, err
		}
		return snaps, func(i int, file string, line int) (int, bool) { return snaps[i].NewLine(file, line) }, nil
	}
	var snaps []*diff.Snapshot
	for _, p := range s.Patches {
		snap := &diff.Snapshot{Patch: p, Before: map[string][]byte{}, After: map[string][]byte{}}
		for _, f := range p.Files {
			if diff.NotText(f) {
				continue
			}
			if !f.IsNew {
				if b := hunkFile(p, f, false); b != nil {
					snap.Before[f.OldName] = b
				}
			}
			if !f.IsDelete {
				if b := hunkFile(p, f, true); b != nil {
					snap.After[f.NewName] = b
				}
			}
		}
		snaps = append(snaps, snap)
	}
	// Hunk texts keep the new side's own numbering.
	return snaps, func(_ int, _ string, line int) (int, bool) { return line, true }, nil
}

// reviewer analyses file sets, remembering results: in a series, the
// files after one patch are often the files before the next.
type reviewer struct {
	opt  Options
	memo map[string]*rules.Result
	// unseen are, without an index, the changed functions whose callers
	// beyond the near files were not seen.
	unseen map[string]bool
}

// analyse runs the rules over a patch's touched C files, with their quoted
// includes from the tree as context. With base, the same files before the
// patch, it also reports what the patch does to the callers in other files
// of the functions it changes, which the index names
// (rules.AnalyzeImpact).
func (r *reviewer) analyse(ctx context.Context, files, base map[string][]byte) (*rules.Result, error) {
	names := r.cNames(files)
	h := sha256.New()
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(files[n]))
		h.Write(files[n])
	}
	if base != nil {
		h.Write([]byte("\x00base\x00"))
		for _, n := range r.cNames(base) {
			fmt.Fprintf(h, "%s\x00%d\x00", n, len(base[n]))
			h.Write(base[n])
		}
	}
	key := string(h.Sum(nil))
	if res, ok := r.memo[key]; ok {
		return res, nil
	}
	srcs, err := r.sources(files, names)
	if err != nil {
		return nil, err
	}
	var load rules.CallerLoader
	var baseSrcs []source.Source
	if r.opt.Tree != nil && base != nil && !r.opt.NoCallers {
		if baseSrcs, err = r.sources(base, r.cNames(base)); err != nil {
			return nil, err
		}
		// The callers, read from the tree (or the patch, for a file it
		// touches), as the files are.
		load = func(rels []string) ([]source.Source, error) {
			cs := map[string][]byte{}
			for _, rel := range rels {
				if data, ok := r.read(files, rel); ok && len(data) <= cparse.MaxFileSize {
					cs[rel] = data
				} // else named by a stale index
			}
			return r.sources(cs, r.cNames(cs))
		}
	}
	res := &rules.Result{}
	if len(names) > 0 {
		var imp *rules.Impact
		opt := rules.Options{KB: r.opt.KB, Analyzers: r.opt.Analyzers, NoRT: r.opt.NoRT, RT: r.opt.RT,
			Kconfig: r.opt.Kconfig, Log: r.opt.Log, Externals: r.opt.Externals, Conditional: r.opt.Conditional}
		if opt.Externals == nil {
			opt.NearCallers = r.nearCallers(files)
		}
		res, imp, err = rules.AnalyzeImpact(ctx, srcs, baseSrcs, opt, load)
		if err != nil {
			return nil, err
		}
		if opt.Externals == nil {
			for _, n := range imp.Changed {
				r.unseen[n] = true
			}
		}
		if len(imp.Files) > 0 {
			r.opt.Log.Debug("callers in other files analysed", "changed", imp.Changed, "files", imp.Files, "not analysed", imp.Left)
		}
	}
	r.memo[key] = res
	return res, nil
}

// nearCallers finds, without an index, the callers a changed function
// may have outside the patch: the .c files of its own directory that call
// it by name (and, for a header's function, include that header). The
// rest of the tree is not searched: the review says so.
func (r *reviewer) nearCallers(files map[string][]byte) func(file string, names []string) []string {
	l, ok := r.opt.Tree.(diff.DirLister)
	if !ok {
		return nil
	}
	return func(file string, names []string) []string {
		dir := path.Dir(file)
		ents, err := l.ListDir(dir)
		if err != nil {
			return nil
		}
		alts := make([]string, len(names))
		for i, n := range names {
			alts[i] = regexp.QuoteMeta(n)
		}
		call := regexp.MustCompile(`\b(` + strings.Join(alts, "|") + `)\s*\(`)
		var incl *regexp.Regexp
		if strings.HasSuffix(file, ".h") {
			incl = regexp.MustCompile(`(?m)^\s*#\s*include\s*["<]([^">]*/)?` + regexp.QuoteMeta(path.Base(file)) + `[">]`)
		}
		var out []string
		for _, e := range ents {
			rel := path.Join(dir, e)
			if rel == file || !strings.HasSuffix(e, ".c") {
				continue
			}
			if _, touched := files[rel]; touched {
				continue // analysed with the patch already
			}
			data, ok := r.read(files, rel)
			if !ok || len(data) > cparse.MaxFileSize || incl != nil && !incl.Match(data) || !call.Match(data) {
				continue
			}
			out = append(out, rel)
		}
		return out
	}
}

// cNames are the C files of files the review reads, sorted.
func (r *reviewer) cNames(files map[string][]byte) []string {
	var names []string
	for name := range files {
		if source.IsCFile(name) && (r.opt.Skip == nil || !r.opt.Skip(name)) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// sources are the named files of files, with their quoted includes from
// the patch or the tree as context.
func (r *reviewer) sources(files map[string][]byte, names []string) ([]source.Source, error) {
	var srcs []source.Source
	for _, n := range names {
		if len(files[n]) > cparse.MaxFileSize {
			return nil, fmt.Errorf("%s: %d bytes is over the %d-byte limit", n, len(files[n]), cparse.MaxFileSize)
		}
		srcs = append(srcs, source.Source{Path: n, Src: files[n]})
	}
	if r.opt.Tree == nil {
		return srcs, nil
	}
	return source.AddIncludes(srcs, r.opt.IncludeDepth,
		func(from, name string) string {
			if p := path.Clean(path.Join(path.Dir(from), name)); fs.ValidPath(p) {
				return p
			}
			return ""
		},
		func(p string) ([]byte, bool) { return r.read(files, p) }), nil
}

// read is a file of files (what the patch makes of it), else the tree's.
func (r *reviewer) read(files map[string][]byte, p string) ([]byte, bool) {
	if data, ok := files[p]; ok {
		return data, true
	}
	data, err := r.opt.Tree.ReadFile(p)
	return data, err == nil
}

// anchor places an introduced finding on the patch line that caused it:
// the line the finding is on when the patch adds it, else the deepest step
// of its chain the patch adds (the spin_lock() added in a callee, under a
// caller's lock the chain shows), else a line the patch shows as context.
// A finding no hunk shows stays where the analysis put it, without a
// patch line.
func anchor(f *Finding, p *diff.Patch, newLine func(file string, line int) (int, bool)) {
	type site struct {
		file, fn string
		line     int
	}
	sites := []site{{f.File, f.Function, f.Line}}
	for i := len(f.Chain) - 1; i >= 0; i-- {
		s := f.Chain[i]
		sites = append(sites, site{s.File, s.Func, s.Line})
	}
	pick := func(want func(file string, nl int) bool) bool {
		for _, s := range sites {
			nl, ok := newLine(s.file, s.line)
			if !ok || !want(s.file, nl) {
				continue
			}
			n, text, _ := p.PatchLine(s.file, nl)
			f.PatchLine, f.Quote = n, text
			if s.file != f.File || s.line != f.Line {
				// The scan finding is shared with the memo: copy before
				// moving it.
				c := *f.Finding
				c.File, c.Line, c.Function = s.file, s.line, s.fn
				f.Finding = &c
			}
			return true
		}
		return false
	}
	if pick(p.Added) {
		return
	}
	pick(func(file string, nl int) bool { _, _, ok := p.PatchLine(file, nl); return ok })
}

func addStats(dst *flow.Stats, s flow.Stats) {
	dst.Files += s.Files
	dst.Functions += s.Functions
	dst.Partial += s.Partial
	dst.Failed += s.Failed
	dst.ParseErrors += s.ParseErrors
	dst.Skipped += s.Skipped
}

func sortFindings(fs []*Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		ai, bi := 0, 0
		if a.Patch != nil {
			ai = a.Patch.Index
		}
		if b.Patch != nil {
			bi = b.Patch.Index
		}
		if ai != bi {
			return ai < bi
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}

// mergeSorted is the sorted union of two sorted lists.
func mergeSorted(a, b []string) []string {
	out := append(append([]string(nil), a...), b...)
	sort.Strings(out)
	w := 0
	for i, s := range out {
		if i == 0 || s != out[w-1] {
			out[w] = s
			w++
		}
	}
	return out[:w]
}
