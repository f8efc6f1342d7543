// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"context"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	sitter "github.com/smacker/go-tree-sitter"
	"github.com/smacker/go-tree-sitter/c"
)

// ParseStats says what ParseOnly read.
type ParseStats struct {
	Files   int   // files parsed: the set Update indexes
	Failed  int   // could not be read
	Bytes   int64 // their size
	Workers int
	// Elapsed is the wall time of the whole pass: the walk, reading and
	// parsing, as Update's Elapsed counts them.
	Elapsed time.Duration
	// Read and Parse are the time spent reading and in tree-sitter,
	// summed over the workers.
	Read, Parse time.Duration
}

// ParseOnly is the baseline an index build is measured against: the files
// Update would index (the same walk, Tree and Arch), each read and parsed
// by tree-sitter's C grammar alone, on as many workers as Update uses. The
// quoted includes Update reads with each file and everything after the
// parse (the control-flow graphs, the analysis, the store) are not done.
func ParseOnly(ctx context.Context, opt UpdateOptions) (*ParseStats, error) {
	start := time.Now()
	arch := opt.Arch
	if arch == "" {
		arch = "x86"
	}
	files, _, err := walk(opt.Tree, arch)
	if err != nil {
		return nil, err
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	jobs := make(chan srcFile)
	go func() {
		defer close(jobs)
		for _, f := range files {
			select {
			case jobs <- f:
			case <-ctx.Done():
				return
			}
		}
	}()

	var (
		mu   sync.Mutex
		st   = &ParseStats{Workers: workers}
		werr error
		wg   sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := sitter.NewParser()
			defer p.Close()
			p.SetLanguage(c.GetLanguage())
			var (
				files, failed int
				bytes         int64
				read, parse   time.Duration
			)
			defer func() {
				mu.Lock()
				st.Files += files
				st.Failed += failed
				st.Bytes += bytes
				st.Read += read
				st.Parse += parse
				mu.Unlock()
			}()
			for f := range jobs {
				t0 := time.Now()
				src, err := readRegular(filepath.Join(opt.Tree, filepath.FromSlash(f.rel)))
				t1 := time.Now()
				read += t1.Sub(t0)
				if err != nil {
					failed++
					continue
				}
				tree, err := p.ParseCtx(ctx, nil, src)
				parse += time.Since(t1)
				if err != nil {
					// Cancelled: stop, and let the feeder see it.
					mu.Lock()
					if werr == nil {
						werr = err
					}
					mu.Unlock()
					cancel()
					return
				}
				if tree != nil {
					tree.Close()
				}
				files++
				bytes += int64(len(src))
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil && werr == nil {
		werr = err
	}
	if werr != nil {
		return nil, werr
	}
	st.Elapsed = time.Since(start)
	return st, nil
}
