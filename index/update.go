// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	json "github.com/goccy/go-json"
	bolt "go.etcd.io/bbolt"

	"lockbot/cparse"
	"lockbot/diff"
	"lockbot/flow"
	"lockbot/internal/progress"
	"lockbot/rules"
	"lockbot/source"
)

// UpdateOptions configure an update.
type UpdateOptions struct {
	// Tree is the kernel tree's root.
	Tree string
	// Workers analyse files in parallel; 0: all cores.
	Workers int
	// IncludeDepth levels of quoted includes are read with each file.
	IncludeDepth int
	// Arch is the architecture whose arch/ directory is indexed (the
	// others define the same functions differently, and a build uses
	// one); default x86.
	Arch string
	// Progress receives progress: a bar redrawn in place when Bar is set
	// (a terminal), else a line now and then. nil: none.
	Progress io.Writer
	Bar      bool
	Log      *slog.Logger
}

// parseCacheBytes bounds the source of the parsed headers kept between
// files (their parse takes some ten times that).
const parseCacheBytes = 32 << 20

// UpdateStats says what an update did.
type UpdateStats struct {
	Files     int // C files in the tree
	Analysed  int // new or changed (or Requeued), analysed again
	Unchanged int
	Removed   int
	// Failed could not be read (or analysed): their old records, if any,
	// are kept, and no state is written for them, so the next run tries
	// them again. Unreadable names them, tree-relative and sorted.
	Failed     int
	Unreadable []string
	// NotParsed were read but are not C, or not C the parser takes (too
	// deep): recorded as analysed with no functions, not retried until
	// they change. They count in Analysed.
	NotParsed []string
	// Skipped are not regular files (FIFOs, devices, sockets, symlinks
	// to those), met in the walk or as a quoted include: never opened.
	Skipped []string
	// Requeued are unchanged files analysed again because the owner of
	// a header's record they also write went (see requeue).
	Requeued  int
	Functions int // records written
	// Checked is the time of the check of a new index once written (see
	// Index.Check); an index that was not new is checked when opened.
	Checked time.Duration
	Elapsed time.Duration
}

// skipDirs are top-level directories without kernel C to index.
var skipDirs = map[string]bool{"Documentation": true, "tools": true, "samples": true, "scripts": true,
	"usr": true, "LICENSES": true, ".git": true, ".lockbot": true}

type srcFile struct {
	rel   string
	size  int64
	mtime time.Time
}

// result is one analysed file's records, or why it has none.
type result struct {
	file srcFile
	hash string
	recs []*flow.FuncRecord
	// packed are recs encoded for storage, by the worker: the one
	// goroutine writing the index does nothing else.
	packed [][]byte
	// ops are the file's ops tables, by member.
	ops map[string][]flow.OpsTarget
	// types are a header's structs: their fields by name.
	types map[string]map[string]cparse.Type
	// consts are a shared header's integer constants (enumerators,
	// #defines) by name.
	consts map[string]int64
	// derived are the conditions a shared header defines macros under.
	derived map[string]string
	// notParsed: read, but the parser took none of it (not C, too deep).
	notParsed bool
	// skipped are the files met that are not regular (absolute paths);
	// when the file itself is one (replaced since the walk), err is nil
	// and nothing is stored.
	skipped []string
	// notRegular: the file itself is not a regular file (any more).
	notRegular bool
	// err: the file could not be read, or one of its includes; nothing is
	// stored, and the next run tries again.
	err error
}

// updater is one Update's state.
type updater struct {
	ix     *Index
	opt    UpdateOptions
	log    *slog.Logger
	st     *UpdateStats
	prog   *progress.Progress
	shared *sharedState
	// walked are the tree's files, by path.
	walked map[string]srcFile
	// known is the index's state of each file, kept current as results
	// are stored.
	known map[string]fileState
	// tried are the files analysed (or attempted) in this update.
	tried map[string]bool
	// lost are the keys of header records dropped with their owner's
	// analysis, and that owner, until it writes them again; see requeue.
	lost    map[string]string
	skipped map[string]bool
	unread  []string
	wrote   bool
}

// Update brings the index up to date with the tree: files whose size or
// time changed are analysed again, each with its quoted includes as
// context; the records of removed files are dropped. A new index is
// checked once written (Index.Check), as an existing one was when opened.
func (ix *Index) Update(ctx context.Context, opt UpdateOptions) (*UpdateStats, error) {
	start := time.Now()
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	arch := opt.Arch
	if arch == "" {
		arch = "x86"
	}
	files, skipped, err := walk(opt.Tree, arch)
	if err != nil {
		return nil, err
	}
	u := &updater{ix: ix, opt: opt, log: log, st: &UpdateStats{Files: len(files)}, walked: map[string]srcFile{},
		known: map[string]fileState{}, tried: map[string]bool{}, lost: map[string]string{}, skipped: map[string]bool{}}
	for _, rel := range skipped {
		u.skipped[rel] = true
	}
	if err := ix.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFiles).ForEach(func(k, v []byte) error {
			fs, err := ix.decodeState(k, v)
			if err != nil {
				return err
			}
			u.known[string(k)] = fs
			return nil
		})
	}); err != nil {
		return nil, err
	}
	var todo []srcFile
	for _, f := range files {
		u.walked[f.rel] = f
		if old, ok := u.known[f.rel]; ok && old.Size == f.size && old.MTime.Equal(f.mtime) {
			u.st.Unchanged++
			continue
		}
		todo = append(todo, f)
	}
	var removed []string
	for rel := range u.known {
		if _, ok := u.walked[rel]; !ok {
			removed = append(removed, rel)
		}
	}
	sort.Strings(removed)
	u.st.Removed = len(removed)
	if len(removed) > 0 {
		if err := ix.write(func(tx *bolt.Tx) error {
			for _, rel := range removed {
				if err := u.drop(tx, rel, u.known[rel]); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
		for _, rel := range removed {
			delete(u.known, rel)
		}
		u.wrote = true
	}

	ix.resetTypes()
	// Files are walked directory by directory: the headers one includes,
	// its neighbours include too.
	u.shared = &sharedState{cache: source.NewParseCache(parseCacheBytes), unity: source.NewUnityBuilds(), parsers: source.NewParserPool(ix.k)}
	defer u.shared.parsers.Close()
	u.prog = progress.New(opt.Progress, opt.Bar, "index", len(todo))
	if err := u.analyse(ctx, todo); err != nil {
		return nil, err
	}
	for {
		again, err := u.requeue()
		if err != nil {
			return nil, err
		}
		if len(again) == 0 {
			break
		}
		u.st.Requeued += len(again)
		u.st.Unchanged -= len(again)
		u.prog.Total += len(again)
		if err := u.analyse(ctx, again); err != nil {
			return nil, err
		}
	}
	u.prog.Done()
	// Lookups after an update read the new records.
	ix.UseKconfig(ix.kc)
	ix.resetTypes()
	for p := range u.skipped {
		u.st.Skipped = append(u.st.Skipped, p)
	}
	sort.Strings(u.st.Skipped)
	for _, p := range u.st.Skipped {
		log.Warn("skipped: not a regular file", "file", p)
	}
	sort.Strings(u.unread)
	u.st.Unreadable = u.unread
	sort.Strings(u.st.NotParsed)
	if u.wrote && !ix.checked {
		// A new index: checked once, as an index is before it is
		// updated (see OpenWith).
		cs, err := ix.Check()
		if err != nil {
			return nil, err
		}
		ix.checked = true
		u.st.Checked = cs.Elapsed
	}
	u.st.Elapsed = time.Since(start)
	return u.st, nil
}

// analyse analyses files: the headers of include/ first, as their
// structs are stored and the C files' analysis reads them to type member
// calls (ti->type->map()).
func (u *updater) analyse(ctx context.Context, todo []srcFile) error {
	var headers, cfiles []srcFile
	for _, f := range todo {
		u.tried[f.rel] = true
		if strings.HasSuffix(f.rel, ".h") {
			headers = append(headers, f)
		} else {
			cfiles = append(cfiles, f)
		}
	}
	for _, phase := range []struct {
		files []srcFile
		types flow.TypeSource
	}{{headers, nil}, {cfiles, u.ix}} {
		if len(phase.files) == 0 {
			continue
		}
		sh := *u.shared
		sh.types = phase.types
		if err := u.runPhase(ctx, &sh, phase.files); err != nil {
			return err
		}
	}
	return nil
}

// requeue returns the unchanged files to analyse again so that a local
// header's static inline keeps the record a clean build would give it. A
// header's record is kept once, from its first includer by path (see
// store); when that owner is removed, or analysed again and no longer
// writes it, the record goes with it, and the other includers, being
// unchanged, would not write it back: lookups would then take the
// function for unknown. So the includers that would own it (those before
// its owner now, if it has one) are analysed again. Includers are known
// by the headers their states list.
func (u *updater) requeue() ([]srcFile, error) {
	if len(u.lost) == 0 {
		return nil, nil
	}
	owner := map[string]string{} // lost key -> its owner now, if any
	if err := u.ix.view(func(tx *bolt.Tx) error {
		owners := tx.Bucket(bucketOwners)
		for k := range u.lost {
			if v := owners.Get([]byte(k)); v != nil {
				cur, err := unseal([]byte(k), v)
				if err != nil {
					return damaged(u.ix.path, "owners entry %s %v", entryName([]byte(k)), err)
				}
				owner[k] = string(cur)
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	// bar: by header, the owner an includer must come before to take its
	// lost records (the last of their owners now), "" when one has none.
	bar := map[string]string{}
	gone := map[string]bool{}
	for k := range u.lost {
		_, header, _ := strings.Cut(k, "\x00")
		if _, ok := gone[header]; !ok {
			_, err := os.Stat(filepath.Join(u.opt.Tree, filepath.FromSlash(header)))
			gone[header] = err != nil
		}
		if gone[header] {
			continue // the header went too: no includer can write it
		}
		cur, seen := bar[header]
		switch o, owned := owner[k]; {
		case !owned:
			bar[header] = ""
		case !seen || cur != "" && ownsBefore(cur, o, header):
			bar[header] = o
		}
	}
	clear(u.lost)
	var again []srcFile
	for rel, fs := range u.known {
		if u.tried[rel] {
			continue
		}
		for _, h := range fs.Headers {
			if cur, ok := bar[h]; ok && (cur == "" || ownsBefore(rel, cur, h)) {
				again = append(again, u.walked[rel])
				break
			}
		}
	}
	sort.Slice(again, func(i, j int) bool { return again[i].rel < again[j].rel })
	for _, f := range again {
		u.log.Info("analysed again: it includes a header whose records' owner went", "file", f.rel)
	}
	return again, nil
}

// sharedState is what the analyses of one update share: parsed headers,
// the unity builds of the directories walked, and the structs of the
// headers indexed (for C files).
type sharedState struct {
	cache   *source.ParseCache
	parsers *source.ParserPool
	unity   *source.UnityBuilds
	types   flow.TypeSource
}

// runPhase analyses files on opt.Workers workers and stores their records.
func (u *updater) runPhase(ctx context.Context, sh *sharedState, todo []srcFile) error {
	ix, opt, st, log := u.ix, u.opt, u.st, u.log
	// Room for the results of a batch and more: workers go on analysing
	// while the writer commits one.
	results := make(chan result, 2*batchFiles)
	jobs := make(chan srcFile)
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				r := ix.analyse(ctx, opt, sh, f)
				select {
				case results <- r:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for _, f := range todo {
			select {
			case jobs <- f:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()

	var batch []result
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		states := make([]fileState, len(batch))
		err := ix.write(func(tx *bolt.Tx) error {
			for i, r := range batch {
				fs, err := u.store(tx, r, u.known[r.file.rel])
				if err != nil {
					return err
				}
				states[i] = fs
			}
			return nil
		})
		if err == nil {
			for i, r := range batch {
				u.known[r.file.rel] = states[i]
			}
			u.wrote = true
		}
		batch = batch[:0]
		return err
	}
	for r := range results {
		for _, p := range r.skipped {
			u.skipped[u.relPath(p)] = true
		}
		prog := r.file.rel
		switch {
		case r.err != nil:
			// Not stored: the file keeps its old records and state (or
			// has none), so the next run sees it changed and tries again.
			st.Failed++
			u.unread = append(u.unread, r.file.rel)
			log.Warn("not indexed; tried again on the next run", "file", r.file.rel, "err", r.err)
		case r.notRegular:
			// Replaced by something that is not a regular file since the
			// walk, which the next run's walk skips, dropping its records.
		default:
			st.Analysed++
			st.Functions += len(r.recs)
			if r.notParsed {
				st.NotParsed = append(st.NotParsed, r.file.rel)
				log.Warn("not parsed as C: recorded with no functions (lockbot scan FILE says why)", "file", r.file.rel)
			}
			batch = append(batch, r)
		}
		u.prog.Step(prog)
		if len(batch) >= batchFiles {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return flush()
}

// relPath is p relative to the tree, as the index names files (p itself
// when outside it).
func (u *updater) relPath(p string) string {
	if rel, err := filepath.Rel(u.opt.Tree, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return p
}

// batchFiles is how many files' records one write transaction stores.
const batchFiles = 64

// analyse makes the records of one file: its functions, and the static
// inline functions of the headers it includes.
func (ix *Index) analyse(ctx context.Context, opt UpdateOptions, sh *sharedState, f srcFile) result {
	r := result{file: f}
	abs := filepath.Join(opt.Tree, filepath.FromSlash(f.rel))
	l, err := loadSources(abs, opt.IncludeDepth, sh.unity, ix.read)
	r.skipped = l.skipped
	switch {
	case errors.Is(err, diff.ErrNotRegular) && len(l.srcs) == 0:
		r.skipped = append(r.skipped, abs)
		r.notRegular = true
		return r
	case err != nil:
		r.err = err
		return r
	}
	srcs := l.srcs
	h := sha256.Sum256(srcs[0].Src)
	r.hash = hex.EncodeToString(h[:])
	// Each file on its own, without the index's other records: the
	// records then do not depend on the order files are analysed in,
	// and an index is the same built on one core or many. Calls into
	// other files are recorded and followed when a record is looked up.
	prog, err := rules.Build(ctx, srcs, rules.Options{KB: ix.k, Workers: 1, LinkCalls: true, Cache: sh.cache, Types: sh.types, Parsers: sh.parsers})
	if err != nil {
		r.err = err
		return r
	}
	r.notParsed = true
	for _, f := range prog.Files {
		if f.Path != abs {
			continue
		}
		r.notParsed = false
		if strings.HasSuffix(f.Path, ".h") && flow.SharedHeader(r.file.rel) {
			// What the kernel's headers define whatever the
			// configuration: an #ifdef of it anywhere is decided.
			for _, name := range f.Defines {
				if r.ops == nil {
					r.ops = map[string][]flow.OpsTarget{}
				}
				k := flow.DefineKey(name)
				if len(r.ops[k]) == 0 {
					r.ops[k] = []flow.OpsTarget{{File: r.file.rel}}
				}
			}
		}
		if strings.HasSuffix(f.Path, ".h") && flow.SharedHeader(r.file.rel) && len(f.Consts) > 0 {
			r.consts = f.Consts
		}
		if strings.HasSuffix(f.Path, ".h") && flow.SharedHeader(r.file.rel) && len(f.CondDefines) > 0 {
			r.derived = f.CondDefines
		}
		if strings.HasSuffix(f.Path, ".h") {
			for name, s := range f.Structs {
				if !strings.Contains(name, "<anonymous") && len(s.Fields) > 0 {
					if r.types == nil {
						r.types = map[string]map[string]cparse.Type{}
					}
					r.types[name] = s.Fields
				}
			}
		}
		for _, o := range f.Ops {
			if r.ops == nil {
				r.ops = map[string][]flow.OpsTarget{}
			}
			r.ops[o.Key()] = append(r.ops[o.Key()], flow.OpsTarget{Fn: o.Fn, File: r.file.rel, Line: o.Line, Var: o.Var})
		}
	}
	// Locks this file initialises by their place in an outer struct: a
	// class of their own wherever they are taken (flow.InitKey).
	for _, cls := range prog.InitSites(abs) {
		if r.ops == nil {
			r.ops = map[string][]flow.OpsTarget{}
		}
		k := flow.InitKey(cls)
		if len(r.ops[k]) == 0 {
			r.ops[k] = []flow.OpsTarget{{File: r.file.rel}}
		}
	}
	for _, fi := range prog.Funcs {
		if fi.F.File.Path != abs || fi.Result == nil {
			continue
		}
		// Work items and timers this file registers a callback for
		// (INIT_WORK, timer_setup), by the item's class: a wait in
		// another file (cancel_work_sync) finds the callback here.
		for _, o := range fi.Result.Obs {
			if o.Eff.Kind != flow.ERegister || o.Eff.Item == "" || o.Eff.Fn == "" {
				continue
			}
			if r.ops == nil {
				r.ops = map[string][]flow.OpsTarget{}
			}
			k := flow.RegisterKey(o.Eff.Item)
			t := flow.OpsTarget{Fn: o.Eff.Fn, File: r.file.rel, Line: o.Line, By: fi.F.Name}
			if !slices.ContainsFunc(r.ops[k], func(x flow.OpsTarget) bool { return x.Fn == t.Fn && x.Line == t.Line }) {
				r.ops[k] = append(r.ops[k], t)
			}
		}
	}
	// Lock order edges, for an AB-BA across files.
	for k, l := range rules.OrderSites(prog, abs, r.file.rel) {
		if r.ops == nil {
			r.ops = map[string][]flow.OpsTarget{}
		}
		r.ops[k] = append(r.ops[k], l...)
	}
	for _, fi := range prog.Funcs {
		path := fi.F.File.Path
		if path != abs && !(strings.HasSuffix(path, ".h") && fi.F.Static && fi.Result != nil) {
			continue // a header's function this file does not reach is not analysed
		}
		if fi.F.Macro && (!strings.HasSuffix(path, ".h") || fi.Result == nil) {
			continue // a .c file's macros serve that file alone
		}
		rec := flow.Record(fi)
		// Paths relative to the tree: an index moves with it, and a
		// review names files as the patch does.
		rec.Relocate(func(p string) string {
			if rel, err := filepath.Rel(opt.Tree, p); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.ToSlash(rel)
			}
			return p
		})
		data, err := packRecord(funcKey(rec.Name, rec.File), rec)
		if err != nil {
			r.err = fmt.Errorf("record of %s: %w", rec.Name, err)
			return r
		}
		r.recs = append(r.recs, rec)
		r.packed = append(r.packed, data)
	}
	return r
}

// store replaces a file's records with those of its new analysis, and
// returns its new state.
func (u *updater) store(tx *bolt.Tx, r result, old fileState) (fileState, error) {
	if err := u.drop(tx, r.file.rel, old); err != nil {
		return fileState{}, err
	}
	fs := fileState{Size: r.file.size, MTime: r.file.mtime, Hash: r.hash}
	funcs, owners := tx.Bucket(bucketFuncs), tx.Bucket(bucketOwners)
	headers := map[string]bool{}
	for i, rec := range r.recs {
		key := funcKey(rec.Name, rec.File)
		if strings.HasSuffix(rec.File, ".h") {
			if rec.File != r.file.rel {
				headers[rec.File] = true
			}
			// One record per defining file: a header's static inline is
			// analysed with every file including it, each with its own
			// context. The header's own analysis wins, then the includer
			// first by path, so that the index does not depend on the
			// order files finish in, nor on how many workers there were.
			if v := owners.Get(key); v != nil {
				cur, err := unseal(key, v)
				if err != nil {
					return fileState{}, damaged(u.ix.path, "owners entry %s %v", entryName(key), err)
				}
				if string(cur) != r.file.rel && ownsBefore(string(cur), r.file.rel, rec.File) {
					continue
				}
			}
			if err := owners.Put(key, seal(key, []byte(r.file.rel))); err != nil {
				return fileState{}, err
			}
			if u.lost[string(key)] == r.file.rel {
				delete(u.lost, string(key)) // its owner wrote it again
			}
			fs.Owned = append(fs.Owned, string(key))
		} else {
			fs.Funcs = append(fs.Funcs, rec.Name)
		}
		if err := funcs.Put(key, r.packed[i]); err != nil {
			return fileState{}, err
		}
	}
	for h := range headers {
		fs.Headers = append(fs.Headers, h)
	}
	sort.Strings(fs.Headers)
	var err error
	if fs.Ops, err = storeSorted(r.ops, func(k string, v []flow.OpsTarget) error { return editOps(tx, k, r.file.rel, v) }); err != nil {
		return fileState{}, err
	}
	if fs.Types, err = storeSorted(r.types, func(n string, v map[string]cparse.Type) error { return editTypes(tx, n, r.file.rel, v) }); err != nil {
		return fileState{}, err
	}
	if fs.Consts, err = storeSorted(r.consts, func(n string, v int64) error { return editConsts(tx, n, r.file.rel, v, true) }); err != nil {
		return fileState{}, err
	}
	if fs.Derived, err = storeSorted(r.derived, func(n string, v string) error { return editDerived(tx, n, r.file.rel, v) }); err != nil {
		return fileState{}, err
	}
	data, err := json.Marshal(fs)
	if err != nil {
		return fileState{}, err
	}
	key := []byte(r.file.rel)
	return fs, tx.Bucket(bucketFiles).Put(key, seal(key, data))
}

// decodeState reads a file's state.
func (ix *Index) decodeState(k, v []byte) (fileState, error) {
	var fs fileState
	data, err := unseal(k, v)
	if err == nil {
		err = json.Unmarshal(data, &fs)
	}
	if err != nil {
		return fs, damaged(ix.path, "the state of file %s %v", k, err)
	}
	return fs, nil
}

// ownsBefore reports whether the record of header's function written by
// file cur is kept against file next's: the header's own analysis first,
// then the includers by path.
func ownsBefore(cur, next, header string) bool {
	switch {
	case cur == header:
		return true
	case next == header:
		return false
	}
	return cur < next
}

// drop removes a file and the records it defined. The header records it
// owned are noted as lost, for requeue.
func (u *updater) drop(tx *bolt.Tx, rel string, old fileState) error {
	funcs := tx.Bucket(bucketFuncs)
	for _, name := range old.Funcs {
		if err := funcs.Delete(funcKey(name, rel)); err != nil {
			return err
		}
	}
	owners := tx.Bucket(bucketOwners)
	for _, k := range old.Owned {
		key := []byte(k)
		// Another file's analysis may have written over it since.
		v := owners.Get(key)
		if v == nil {
			continue
		}
		cur, err := unseal(key, v)
		if err != nil {
			return damaged(u.ix.path, "owners entry %s %v", entryName(key), err)
		}
		if string(cur) != rel {
			continue
		}
		if err := funcs.Delete(key); err != nil {
			return err
		}
		if err := owners.Delete(key); err != nil {
			return err
		}
		u.lost[k] = rel
	}
	for _, k := range old.Ops {
		if err := editOps(tx, k, rel, nil); err != nil {
			return err
		}
	}
	for _, n := range old.Types {
		if err := editTypes(tx, n, rel, nil); err != nil {
			return err
		}
	}
	for _, n := range old.Consts {
		if err := editConsts(tx, n, rel, 0, false); err != nil {
			return err
		}
	}
	for _, n := range old.Derived {
		if err := editDerived(tx, n, rel, ""); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketFiles).Delete([]byte(rel))
}

// storeSorted stores each entry of m with edit, in the order of its
// names (an index is written the same whatever the map's order), and
// returns the names.
func storeSorted[V any](m map[string]V, edit func(name string, v V) error) ([]string, error) {
	names := slices.Sorted(maps.Keys(m))
	for _, n := range names {
		if err := edit(n, m[n]); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// editOps replaces what file's ops tables store in member key with add.
func editOps(tx *bolt.Tx, key, file string, add []flow.OpsTarget) error {
	if len(add) == 0 {
		return putFileEntry(tx.Bucket(bucketOps), key, file, nil)
	}
	return putFileEntry(tx.Bucket(bucketOps), key, file, add)
}

// putFileEntry stores file's entry for name (an ops member, a struct) as
// sealed JSON, or deletes it when v is nil. Keyed by name and file as
// records are, a file's update writes its own entries, not a list that
// every file defining the name rewrites (file_operations.open has
// thousands).
func putFileEntry(b *bolt.Bucket, name, file string, v any) error {
	k := funcKey(name, file)
	if v == nil {
		return b.Delete(k)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return b.Put(k, seal(k, data))
}

// eachFileEntry calls fn with each file's entry for name, in file order.
// An entry that fails its checksum or to decode is damage, naming it.
func (ix *Index) eachFileEntry(b *bolt.Bucket, name string, fn func([]byte) error) error {
	prefix := []byte(name + "\x00")
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		data, err := unseal(k, v)
		if err == nil {
			err = fn(data)
		}
		if err != nil {
			return damaged(ix.path, "the entry %s %v", entryName(k), err)
		}
	}
	return nil
}

// walk lists the tree's C files, and the headers of include/ and the
// architecture's include/: their static inlines are what <linux/...>
// includes bring, which the files' own analysis does not read. Local
// headers ("foo.h") come with the files that include them. Those that are
// not regular files are returned apart, to be noted (a FIFO named x.c, a
// symlink to a device); symlinks to regular files are left out as they
// always were, their targets being indexed where they are.
func walk(root, arch string) (files []srcFile, skipped []string, err error) {
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if p != root && (skipDirs[rel] || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if a, ok := strings.CutPrefix(filepath.ToSlash(rel), "arch/"); ok && !strings.Contains(a, "/") && a != arch {
				return filepath.SkipDir
			}
			return nil
		}
		slash := filepath.ToSlash(rel)
		header := strings.HasSuffix(p, ".h") && (strings.HasPrefix(slash, "include/") || strings.HasPrefix(slash, "arch/"+arch+"/include/"))
		if !strings.HasSuffix(p, ".c") && !header {
			return nil
		}
		if !d.Type().IsRegular() {
			if d.Type()&fs.ModeSymlink != 0 {
				if info, err := os.Stat(p); err != nil || info.Mode().IsRegular() {
					return nil // dangling, or a regular file's other name
				}
			}
			skipped = append(skipped, slash)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > cparse.MaxFileSize {
			return nil
		}
		files = append(files, srcFile{rel: slash, size: info.Size(), mtime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("index: reading %s: %w", root, err)
	}
	return files, skipped, nil
}

func exists(p string) (bool, error) {
	_, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
