// SPDX-License-Identifier: GPL-2.0-only

package source

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

// FileError is a file that could not be parsed.
type FileError struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// parseTimeout bounds tree-sitter's parse of one file whatever its size
// (cparse.ParseTimeout is the bound by size).
const parseTimeout = 30 * time.Second

// ParseOptions are how ParseAll parses.
type ParseOptions struct {
	// KB gives the parsers their dialect, unless Parsers lends them.
	KB      *kb.KB
	Workers int // parallel parsers; 0: GOMAXPROCS
	// Parsers, when set, lends the parsers; its dialect must be KB's.
	Parsers *ParserPool
	// Cache, when set, keeps parsed context files for later analyses.
	Cache *ParseCache
}

// ParseAll parses sources in parallel, one tree-sitter parser per
// worker. A file that cannot be parsed is in errs, one found in a
// directory that is not C in skipped; the files of both are nil. It
// fails only when ctx ends.
func ParseAll(ctx context.Context, srcs []Source, opt ParseOptions) (files []*cparse.File, errs, skipped []FileError, err error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	files = make([]*cparse.File, len(srcs))
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
	listed, err := ListPaths(paths)
	if err != nil {
		return nil, err
	}
	return LoadListed(listed, opt)
}

// Listed is a file to analyse, not read yet: named, or found in a named
// directory.
type Listed struct {
	Path string
	// Found: met in a directory's walk, so a file there that turns out
	// not to be C (too large, not regular) is passed over with a warning
	// rather than failing the analysis.
	Found bool
	// Size is the file's size when listed.
	Size int64
}

// ListPaths lists the C files of paths as LoadPaths reads them, without
// reading them: each named file, and a named directory's *.c and *.h
// files (recursively, sorted). Each file is listed once. A path that
// does not exist or, named, is not C is an error.
func ListPaths(paths []string) ([]Listed, error) {
	var out []Listed
	seen := map[string]bool{}
	add := func(p string, found bool, size int64) {
		clean := filepath.Clean(p)
		if !seen[clean] {
			seen[clean] = true
			out = append(out, Listed{Path: clean, Found: found, Size: size})
		}
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
			add(p, false, info.Size())
			continue
		}
		var found []Listed
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !IsCFile(path) {
				return nil
			}
			var size int64
			if info, err := d.Info(); err == nil {
				size = info.Size()
			}
			found = append(found, Listed{Path: path, Size: size})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
		for _, f := range found {
			add(f.Path, true, f.Size)
		}
	}
	return out, nil
}

// LoadListed reads listed files, each with the quoted #include files of
// its own directory as context (see LoadPaths).
func LoadListed(listed []Listed, opt LoadOptions) ([]Source, error) {
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
	for _, l := range listed {
		if err := add(l.Path, false); err != nil {
			// What a walk finds and cannot read (too large, a FIFO, a
			// link to a device) is passed over; what was named is not.
			if l.Found && (errors.Is(err, diff.ErrTooLarge) || errors.Is(err, diff.ErrNotRegular)) {
				log.Warn("skipping a file that is not C source to read", "path", l.Path, "err", err)
				continue
			}
			return nil, err
		}
		srcs[len(srcs)-1].Found = l.Found
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
