// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"

	"lockbot/flow"
	"lockbot/source"
)

// A Unit is the sources one analysis of a stream reads together: a file a
// scan names with the headers it includes (with an index, which answers
// every question about the other files), or without one the named files,
// or a directory's when they are too many. Load reads them when a worker takes the unit, so a stream
// holds the sources of the units in flight only.
type Unit struct {
	Name string
	Load func() ([]source.Source, error)
}

// StreamOptions configure Stream.
type StreamOptions struct {
	// Jobs units are analysed at once, each on one core; 0: GOMAXPROCS.
	Jobs int
	// Externals makes a reader of the index, which the workers share
	// (the files of a directory call the same helpers, decoded once),
	// and is called again for a new one after Refresh units, or sooner
	// (see MaxDecoded), so that what a reader caches does not grow with
	// the tree; nil: Options' Externals serves every unit.
	Externals func() flow.Externals
	// Refresh is how many units one reader serves; 0: 1,024.
	Refresh int
	// MaxDecoded: a reader that says how many records it keeps decoded
	// (a Decoded method) is replaced, for the units that start after,
	// once it keeps more; 0: 20,000. A decoded record takes some 20 KB:
	// a directory's files reach 15,000 of them.
	MaxDecoded int
}

// decodedCounter is a reader of the index that counts what it keeps.
type decodedCounter interface{ Decoded() int }

// tooMany reports a reader over max decoded records.
func tooMany(ext flow.Externals, max int) bool {
	if max <= 0 {
		max = defaultMaxDecoded
	}
	d, ok := ext.(decodedCounter)
	return ok && d.Decoded() > max
}

const defaultMaxDecoded = 20000

// defaultRefresh: MaxDecoded bounds the memory of a reader that counts
// what it keeps; this bounds one that does not.
const defaultRefresh = 1024

// readers hands the stream's units their reader of the index: the
// current one, or a new one when it has served refresh units or keeps
// more than max records.
type readers struct {
	mu         sync.Mutex
	make       func() flow.Externals
	cur        flow.Externals
	served     int
	refresh    int
	maxDecoded int
}

func (r *readers) get() flow.Externals {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == nil || r.served >= r.refresh || tooMany(r.cur, r.maxDecoded) {
		r.cur = r.make()
		r.served = 0
	}
	r.served++
	return r.cur
}

// Stream analyses units in parallel and hands each one's result to emit
// in the units' order, as soon as it and those before it are done: a
// scan's findings are written as the scan goes, and its memory is that of
// the units in flight, not of every file. A unit whose files cannot be
// read is reported as a Result with that error, as an unparsable file
// is. emit's error stops the stream.
func Stream(ctx context.Context, units []Unit, opt Options, so StreamOptions, emit func(Unit, *Result) error) error {
	jobs := so.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	refresh := so.Refresh
	if refresh <= 0 {
		refresh = defaultRefresh
	}
	if opt.Cache == nil {
		// The headers of a directory, parsed once for its files.
		opt.Cache = source.NewParseCache(streamCacheBytes)
	}
	if opt.Parsers == nil {
		opt.Parsers = source.NewParserPool(opt.KB)
		defer opt.Parsers.Close()
	}
	opt.Workers = 1
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type done struct {
		i   int
		res *Result
		err error
	}
	// At most window units are taken and not yet emitted: a slow unit
	// holds back the emission of those after it, and the results waiting
	// for it are bounded.
	window := 4 * jobs
	slots := make(chan struct{}, window)
	next := make(chan int)
	results := make(chan done, window)
	var rd *readers
	if so.Externals != nil {
		rd = &readers{make: so.Externals, refresh: refresh, maxDecoded: so.MaxDecoded}
	}
	var wg sync.WaitGroup
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wopt := opt
			for i := range next {
				if rd != nil {
					wopt.Externals = rd.get()
				}
				res, err := analyzeUnit(ctx, units[i], wopt)
				select {
				case results <- done{i, res, err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range units {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	// On an early return the workers are stopped and waited for: they
	// use the parsers, which are closed then.
	defer func() {
		cancel()
		for range results {
		}
	}()

	pending := map[int]done{}
	emitted := 0
	for d := range results {
		pending[d.i] = d
		for {
			d, ok := pending[emitted]
			if !ok {
				break
			}
			delete(pending, emitted)
			if d.err != nil {
				return d.err
			}
			if err := emit(units[d.i], d.res); err != nil {
				return err
			}
			emitted++
			<-slots
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if emitted != len(units) {
		return fmt.Errorf("stream: %d of %d units analysed", emitted, len(units))
	}
	return nil
}

// streamCacheBytes bounds the source of the parsed headers a stream keeps
// between units, as the index's build does.
const streamCacheBytes = 32 << 20

// analyzeUnit loads and analyses one unit. Files it cannot read are its
// result's errors; an error is returned only when the analysis itself
// could not run (a cancelled context, no knowledge base).
func analyzeUnit(ctx context.Context, u Unit, opt Options) (*Result, error) {
	srcs, err := u.Load()
	if err != nil {
		return &Result{Errors: []source.FileError{{Path: u.Name, Err: err.Error()}}}, nil
	}
	res, err := Analyze(ctx, srcs, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Name, err)
	}
	// What a renderer needs of the parse of a review's files; a scan
	// does not keep it.
	res.Parsed = nil
	return res, nil
}

// Totals adds up the results of a stream's units, but for their
// findings, which the stream hands on as it goes.
type Totals struct {
	Stats       flow.Stats
	Errors      []source.FileError
	Skipped     []source.FileError
	Conditional int
	Findings    int
	Units       int
	unknown     map[string]bool
}

// Add counts a unit's result.
func (t *Totals) Add(r *Result) {
	t.Stats.Files += r.Stats.Files
	t.Stats.Functions += r.Stats.Functions
	t.Stats.Partial += r.Stats.Partial
	t.Stats.Failed += r.Stats.Failed
	t.Stats.ParseErrors += r.Stats.ParseErrors
	t.Stats.Skipped += r.Stats.Skipped
	t.Errors = append(t.Errors, r.Errors...)
	t.Skipped = append(t.Skipped, r.Skipped...)
	t.Conditional += r.Conditional
	t.Findings += len(r.Findings)
	t.Units++
	if len(r.Unknown) > 0 && t.unknown == nil {
		t.unknown = map[string]bool{}
	}
	for _, n := range r.Unknown {
		t.unknown[n] = true
	}
}

// Result is the totals as a Result without findings.
func (t *Totals) Result() *Result {
	var unknown []string
	for n := range t.unknown {
		unknown = append(unknown, n)
	}
	slices.Sort(unknown)
	return &Result{Stats: t.Stats, Errors: t.Errors, Skipped: t.Skipped, Conditional: t.Conditional, Unknown: unknown}
}
