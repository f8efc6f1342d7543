package rules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"lockbot/cparse"
	"lockbot/diff"
	"lockbot/kb"
)

// Source is one file to analyse.
type Source struct {
	Path string
	Src  []byte
	// Context files are analysed for their declarations and helpers but
	// their findings are not reported (headers pulled in by #include).
	Context bool
	// Found marks a file found by walking a directory rather than named:
	// if it is not C, it is skipped with a warning instead of failing.
	Found bool
}

// Options configure an analysis.
type Options struct {
	KB        *kb.KB
	Analyzers []*Analyzer // nil: all
	NoRT      bool        // drop findings that matter only on PREEMPT_RT
	Workers   int         // parallel parsers and analysers; 0: GOMAXPROCS
	Log       *slog.Logger
	// RT tells which code a PREEMPT_RT kernel cannot build (from the
	// tree's Kconfig and Makefiles); nil when unknown.
	RT RTScope
	// Externals supplies the summaries of functions the sources call but
	// do not define (an index of the tree); nil: such calls are unknown.
	Externals Externals
	// LinkCalls records the calls each function makes (FuncFacts.Calls),
	// which an index needs to follow summaries across files.
	LinkCalls bool
	// Types supplies the structs the sources use but do not define (the
	// tree's headers); nil: Externals' when it has them.
	Types TypeSource
	// Cache, when set, keeps parsed context files for later analyses.
	Cache *ParseCache
	// Parsers, when set, lends the parsers; its dialect must be KB's.
	Parsers *ParserPool
}

// FileError is a file that could not be parsed.
type FileError struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// Result is what an analysis found.
type Result struct {
	Findings []*Finding
	Stats    Stats
	// Errors are named files that could not be parsed; Skipped are files
	// found in a directory that are not C (a header made only of macro
	// calls).
	Errors  []FileError
	Skipped []FileError
	// Unknown are the functions the reported code calls under a spinning
	// or RCU context without their definition in view (another file, no
	// index): assumed not to sleep. Sorted.
	Unknown []string
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
func Analyze(ctx context.Context, srcs []Source, opt Options) (*Result, error) {
	prog, errs, skipped, err := build(ctx, srcs, opt)
	if err != nil {
		return nil, err
	}
	as := opt.Analyzers
	if as == nil {
		as = All()
	}
	findings := Run(prog, as)
	if opt.NoRT {
		kept := findings[:0]
		for _, f := range findings {
			if !f.RTOnly {
				kept = append(kept, f)
			}
		}
		findings = kept
	}
	res := &Result{Findings: findings, Stats: prog.Stats, Errors: errs, Skipped: skipped, Unknown: prog.Unknown()}
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
	return res, nil
}

// reported are the program's files that were not context.
func reported(srcs []Source, prog *Program) []*cparse.File {
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
func Build(ctx context.Context, srcs []Source, opt Options) (*Program, error) {
	prog, _, _, err := build(ctx, srcs, opt)
	return prog, err
}

// build is Build with the files that could not be parsed (and, for
// files found in a directory, were not C) and those the budget left out.
func build(ctx context.Context, srcs []Source, opt Options) (prog *Program, errs, skipped []FileError, err error) {
	if opt.KB == nil {
		return nil, nil, nil, errors.New("rules: no knowledge base")
	}
	files, errs, skipped, err := parseAll(ctx, srcs, opt)
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
	prog = NewProgram(parsed, Config{KB: opt.KB, Report: func(f *cparse.File) bool { return report[f] }, Log: opt.Log,
		RT: opt.RT, Externals: opt.Externals, Types: opt.Types, LinkCalls: opt.LinkCalls, Budget: workBudget(size)})
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
			if fi.Report && fi.Facts != nil && fi.Facts.Failed {
				left[fi.F.File]++
			}
		}
		for _, f := range prog.Files {
			if n := left[f]; n > 0 {
				errs = append(errs, FileError{Path: f.Path,
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

// parseTimeout bounds tree-sitter's parse of one file whatever its size
// (cparse.ParseTimeout is the bound by size).
const parseTimeout = 30 * time.Second

// parseAll parses sources in parallel, one tree-sitter parser per worker.
func parseAll(ctx context.Context, srcs []Source, opt Options) ([]*cparse.File, []FileError, []FileError, error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	files := make([]*cparse.File, len(srcs))
	ferrs := make([]error, len(srcs))
	jobs := make(chan int)
	var wg sync.WaitGroup
	pool := opt.Parsers
	if pool == nil {
		pool = NewParserPool(opt.KB)
		defer pool.Close()
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := pool.get()
			defer func() { pool.put(p) }()
			for i := range jobs {
				s := srcs[i]
				if ctx.Err() != nil {
					continue // the caller gets ctx's error
				}
				// tree-sitter cannot be cancelled midway, but its timeout
				// can stop at the deadline.
				p.Timeout = parseTimeout
				if d, ok := ctx.Deadline(); ok {
					p.Timeout = max(min(parseTimeout, time.Until(d)), time.Millisecond)
				}
				if opt.Cache != nil && s.Context {
					if f, err, ok := opt.Cache.get(s.Path, s.Src); ok {
						files[i], ferrs[i] = f, err
						continue
					}
				}
				var panicked bool
				files[i], panicked, ferrs[i] = safeParse(p, s.Path, s.Src)
				if panicked {
					// The parser may be mid-tree: start afresh.
					p.Close()
					p = pool.get()
				}
				if opt.Cache != nil && s.Context {
					opt.Cache.put(s.Path, s.Src, files[i], ferrs[i])
				}
			}
		}()
	}
	var cerr error
feed:
	for i := range srcs {
		select {
		case jobs <- i:
		case <-ctx.Done():
			cerr = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if cerr == nil {
		cerr = ctx.Err()
	}
	if cerr != nil {
		return nil, nil, nil, fmt.Errorf("parsing stopped: %w", cerr)
	}
	var errs, skipped []FileError
	for i, e := range ferrs {
		switch {
		case e == nil || srcs[i].Context:
		case srcs[i].Found && errors.Is(e, cparse.ErrNotC):
			skipped = append(skipped, FileError{Path: srcs[i].Path, Err: e.Error()})
		default:
			errs = append(errs, FileError{Path: srcs[i].Path, Err: e.Error()})
		}
	}
	return files, errs, skipped, nil
}

// safeParse is p.Parse that turns a panic (a bug of ours on some
// file's code) into that file's error: the file is reported as not
// parsed, and the rest of the run goes on.
func safeParse(p *cparse.Parser, path string, src []byte) (f *cparse.File, panicked bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			f, panicked, err = nil, true, fmt.Errorf("%s: internal error while parsing: %v", path, v)
		}
	}()
	f, err = p.Parse(path, src)
	return f, false, err
}

// LoadOptions bound what LoadPaths reads.
type LoadOptions struct {
	// IncludeDepth is how many levels of quoted #include to pull in as
	// context for files given one by one.
	IncludeDepth int
	Log          *slog.Logger
	// Unity caches which C files include others (unity builds); nil: a
	// cache for this call.
	Unity *UnityBuilds
}

// LoadPaths reads files and directories (recursively, *.c and *.h). Each
// named file gets its quoted #include files from its own directory as
// context. A path that does not exist or is not C is an error; an
// oversized file inside a directory is skipped with a warning.
func LoadPaths(paths []string, opt LoadOptions) ([]Source, error) {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var srcs []Source
	seen := map[string]bool{}
	add := func(p string, ctx bool) error {
		clean := filepath.Clean(p)
		if seen[clean] {
			return nil
		}
		data, err := ReadSourceFile(clean)
		if err != nil {
			return err
		}
		seen[clean] = true
		srcs = append(srcs, Source{Path: clean, Src: data, Context: ctx})
		return nil
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if !info.IsDir() {
			if !IsCFile(p) {
				return nil, fmt.Errorf("%s: not a C source or header file (.c, .h)", p)
			}
			if err := add(p, false); err != nil {
				return nil, err
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !IsCFile(path) {
				return nil
			}
			found = append(found, path)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		sort.Strings(found)
		for _, f := range found {
			// What a walk finds and cannot read (too large, a FIFO, a
			// link to a device) is passed over; what was named is not.
			if err := add(f, false); err != nil {
				if errors.Is(err, diff.ErrTooLarge) || errors.Is(err, diff.ErrNotRegular) {
					log.Warn("skipping a file that is not C source to read", "path", f, "err", err)
					continue
				}
				return nil, err
			}
			srcs[len(srcs)-1].Found = true
		}
	}
	// A C file another one includes is read with the headers read before
	// it there.
	if opt.IncludeDepth > 0 {
		unity := opt.Unity
		if unity == nil {
			unity = NewUnityBuilds()
		}
		for _, s := range append([]Source(nil), srcs...) {
			if s.Context || !strings.HasSuffix(s.Path, ".c") {
				continue
			}
			for _, h := range unity.Before(s.Path) {
				if err := add(h, true); err != nil {
					log.Debug("not reading a header a unity build includes", "path", h, "err", err)
				}
			}
		}
	}
	// Quoted includes of the named files give types and helpers.
	return AddIncludes(srcs, opt.IncludeDepth,
		func(from, name string) string { return filepath.Clean(filepath.Join(filepath.Dir(from), name)) },
		func(p string) ([]byte, bool) {
			data, err := ReadSourceFile(p)
			return data, err == nil
		}), nil
}

// ReadSourceFile reads a C file named on the command line or by an
// #include: a regular file of at most cparse.MaxFileSize bytes (see
// diff.ReadRegular).
func ReadSourceFile(path string) ([]byte, error) {
	return diff.ReadRegular(path, cparse.MaxFileSize)
}

// AddIncludes appends to srcs, as context, the files their quoted
// #includes name, depth levels deep. resolve turns a name included by the
// file at from into a path; read returns that file, ok false when it
// cannot be read (a generated header) or is too large. A path already
// among the sources is not added twice.
func AddIncludes(srcs []Source, depth int, resolve func(from, name string) string, read func(path string) ([]byte, bool)) []Source {
	seen := map[string]bool{}
	for _, s := range srcs {
		seen[s.Path] = true
	}
	frontier := append([]Source(nil), srcs...)
	for d := 0; d < depth && len(frontier) > 0; d++ {
		var next []Source
		for _, s := range frontier {
			for _, inc := range QuotedIncludes(s.Src) {
				p := resolve(s.Path, inc)
				if p == "" || seen[p] {
					continue
				}
				seen[p] = true
				data, ok := read(p)
				if !ok || len(data) > cparse.MaxFileSize {
					continue
				}
				src := Source{Path: p, Src: data, Context: true}
				srcs = append(srcs, src)
				next = append(next, src)
			}
		}
		frontier = next
	}
	return srcs
}

// IsCFile reports a C source or header file name.
func IsCFile(p string) bool {
	return strings.HasSuffix(p, ".c") || strings.HasSuffix(p, ".h")
}

// QuotedIncludes lists #include "x.h" names without a full parse. It
// reads every file of an index and every header those include, so it
// walks the bytes in place rather than splitting the file into strings.
func QuotedIncludes(src []byte) []string {
	var out []string
	for len(src) > 0 {
		line := src
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = nil
		}
		l := trimSpace(line)
		if len(l) == 0 || l[0] != '#' {
			continue
		}
		l, ok := bytes.CutPrefix(trimSpace(l[1:]), []byte("include"))
		if !ok {
			continue
		}
		l = trimSpace(l)
		if len(l) > 2 && l[0] == '"' {
			if end := bytes.IndexByte(l[1:], '"'); end > 0 {
				out = append(out, string(l[1:1+end]))
			}
		}
	}
	return out
}

// trimSpace trims C's white space (what strings.TrimSpace trims of ASCII).
func trimSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n\v\f")
}
