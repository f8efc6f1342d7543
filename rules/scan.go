// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"lockbot/cparse"
	"lockbot/flow"
	"lockbot/kb"
	"lockbot/source"
)

// Options configure an analysis.
type Options struct {
	KB        *kb.KB
	Analyzers []*Analyzer // nil: all
	NoRT      bool        // drop findings that matter only on PREEMPT_RT
	Workers   int         // parallel parsers and analysers; 0: GOMAXPROCS
	Log       *slog.Logger
	// RT tells which code a PREEMPT_RT kernel cannot build (from the
	// tree's Kconfig and Makefiles); nil when unknown.
	RT flow.RTScope
	// Kconfig decides configuration variants (kbuild.Config); nil: every
	// arm is possible.
	Kconfig flow.Kconfig
	// Externals supplies the summaries of functions the sources call but
	// do not define (an index of the tree); nil: such calls are unknown.
	Externals flow.Externals
	// LinkCalls records the calls each function makes (FuncFacts.Calls),
	// which an index needs to follow summaries across files.
	LinkCalls bool
	// Types supplies the structs the sources use but do not define (the
	// tree's headers); nil: Externals' when it has them.
	Types flow.TypeSource
	// Cache, when set, keeps parsed context files for later analyses.
	Cache *source.ParseCache
	// Parsers, when set, lends the parsers; its dialect must be KB's.
	Parsers *source.ParserPool
	// NearCallers, without Externals, names the files that may call the
	// named functions of file (a tree-relative path), found without an
	// index: the .c files near it that name them. An impact analysis
	// reads those instead of the index's callers.
	NearCallers func(file string, names []string) []string
	// Deliberate keeps the findings in files that break the rules on
	// purpose (kb's deliberate: lockdep's self-tests, torture tests),
	// which are left out otherwise.
	Deliberate bool
	// Conditional keeps the findings whose witness path needs a
	// condition on the function's arguments that nothing in view decides
	// (Finding.If), which are left out otherwise.
	Conditional bool
}

// Result is what an analysis found.
type Result struct {
	Findings []*Finding
	Stats    flow.Stats
	// Errors are named files that could not be parsed; Skipped are files
	// found in a directory that are not C (a header made only of macro
	// calls).
	Errors  []source.FileError
	Skipped []source.FileError
	// Unknown are the functions the reported code calls under a spinning
	// or RCU context without their definition in view (another file, no
	// index): assumed not to sleep. Sorted.
	Unknown []string
	// Conditional counts the findings left out because they hold only if
	// a caller passes some value nothing in view decides (Finding.If).
	Conditional int
	// SplitByDirectory: a scan too large to analyse as one program
	// without an index analysed each directory's files apart, so calls
	// between directories were not followed.
	SplitByDirectory bool
	// Parsed says how the parser read each reported file, for a review
	// to tell what a patch made unreadable.
	Parsed []ParsedFile `json:"-"`
}

// ParsedFile is what the parser made of one file: where it found syntax
// it could not read, and the functions it found.
type ParsedFile struct {
	Path string
	// ErrorLines start the syntax it could not read outside functions.
	ErrorLines []int
	// Funcs are the functions defined; Partial those read around syntax
	// it could not read, with the line of the first.
	Funcs   []string
	Partial map[string]int
}

// Analyze parses and analyses sources and runs the rules. A file that
// cannot be parsed is listed in Result.Errors; the others are still
// analysed.
func Analyze(ctx context.Context, srcs []source.Source, opt Options) (*Result, error) {
	prog, errs, skipped, err := build(ctx, srcs, opt)
	if err != nil {
		return nil, err
	}
	return finish(prog, srcs, opt, errs, skipped), nil
}

// finish runs the rules over a built program.
func finish(prog *flow.Program, srcs []source.Source, opt Options, errs, skipped []source.FileError) *Result {
	as := opt.Analyzers
	if as == nil {
		as = All()
	}
	findings := Run(prog, as)
	kept := findings[:0]
	hidden := 0
	for _, f := range findings {
		if opt.NoRT && f.RTOnly {
			continue
		}
		if _, on := opt.KB.IsDeliberate(f.File); on && !opt.Deliberate {
			continue
		}
		if len(f.If) > 0 && !opt.Conditional {
			hidden++
			continue
		}
		kept = append(kept, f)
	}
	findings = kept
	res := &Result{Findings: findings, Stats: prog.Stats, Errors: errs, Skipped: skipped, Unknown: prog.Unknown(), Conditional: hidden}
	for _, f := range reported(srcs, prog) {
		pf := ParsedFile{Path: f.Path, ErrorLines: f.ErrorLines, Partial: map[string]int{}}
		for _, fn := range f.Funcs {
			pf.Funcs = append(pf.Funcs, fn.Name)
			if fn.ErrorNodes > 0 {
				pf.Partial[fn.Name] = fn.ErrorLine
			}
		}
		res.Parsed = append(res.Parsed, pf)
	}
	return res
}

// reported are the program's files that were not context.
func reported(srcs []source.Source, prog *flow.Program) []*cparse.File {
	ctxFile := map[string]bool{}
	for _, s := range srcs {
		if s.Context {
			ctxFile[s.Path] = true
		}
	}
	var out []*cparse.File
	for _, f := range prog.Files {
		if !ctxFile[f.Path] {
			out = append(out, f)
		}
	}
	return out
}

// Build parses sources and runs the shared pass: the program with every
// function's facts and summary, before any rule runs.
func Build(ctx context.Context, srcs []source.Source, opt Options) (*flow.Program, error) {
	prog, _, _, err := build(ctx, srcs, opt)
	return prog, err
}

// build is Build with the files that could not be parsed (and, for
// files found in a directory, were not C) and those the budget left out.
func build(ctx context.Context, srcs []source.Source, opt Options) (prog *flow.Program, errs, skipped []source.FileError, err error) {
	if opt.KB == nil {
		return nil, nil, nil, errors.New("rules: no knowledge base")
	}
	files, errs, skipped, err := source.ParseAll(ctx, srcs, source.ParseOptions{KB: opt.KB, Workers: opt.Workers, Parsers: opt.Parsers, Cache: opt.Cache})
	if err != nil {
		return nil, nil, nil, err
	}
	report := map[*cparse.File]bool{}
	for i, f := range files {
		if f != nil && !srcs[i].Context {
			report[f] = true
		}
	}
	var parsed []*cparse.File
	for _, f := range files {
		if f != nil {
			parsed = append(parsed, f)
		}
	}
	size := 0
	for _, s := range srcs {
		size += len(s.Src)
	}
	prog = flow.NewProgram(parsed, flow.Config{KB: opt.KB, Report: func(f *cparse.File) bool { return report[f] }, Log: opt.Log,
		RT: opt.RT, Kconfig: opt.Kconfig, Externals: opt.Externals, Types: opt.Types, LinkCalls: opt.LinkCalls, Budget: workBudget(size)})
	prog.Stats.Skipped = len(skipped)
	if err := prog.Analyze(ctx, opt.Workers); err != nil {
		// Functions were passed over: what the program says is not the
		// analysis of its files.
		return nil, nil, nil, fmt.Errorf("analysis stopped: %w", err)
	}
	if prog.OverBudget() {
		// What was analysed is reported; each file with functions the
		// budget left out is named, as a file the parser refused is.
		left := map[*cparse.File]int{}
		for _, fi := range prog.Funcs {
			if fi.Report && fi.Result != nil && fi.Result.Failed {
				left[fi.F.File]++
			}
		}
		for _, f := range prog.Files {
			if n := left[f]; n > 0 {
				errs = append(errs, source.FileError{Path: f.Path,
					Err: fmt.Sprintf("%s: %v: %d of its functions not analysed (%d bytes of source may cost %d)",
						f.Path, ErrBudget, n, size, prog.Budget())})
			}
		}
	}
	return prog, errs, skipped, nil
}

// ErrBudget is an analysis that would cost more than its input allows
// (see workBudget).
var ErrBudget = errors.New("analysis over its budget")

// workBudget is what analysing size bytes of sources may cost, in
// maxWork's units, counting what each function keeps (its observations)
// as well as what it does: the cost of an analysis is linear in its
// input, not only bounded per function. Indexing the whole 6.12 tree
// (one program per file, with its local headers), the costliest program
// measures 7.4 million units for 718 KB (10 a byte); small files reach
// 50 a byte but stay under 4.5 million; scans of whole directories with
// the index cost at most 5 a byte (fs/xfs, mm). Past the budget the
// functions left are not analysed and each file they are in is named
// (ErrBudget).
func workBudget(size int) int64 {
	return budgetBase + budgetPerByte*int64(size)
}

const (
	budgetBase    = 10_000_000
	budgetPerByte = 10
)
