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
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	json "github.com/goccy/go-json"
	bolt "go.etcd.io/bbolt"

	"lockbot/cparse"
	"lockbot/rules"
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
	Analysed  int // new or changed, analysed again
	Unchanged int
	Removed   int
	Failed    int // could not be read or parsed
	Functions int // records written
	Elapsed   time.Duration
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
	recs []*rules.FuncRecord
	// packed are recs encoded for storage, by the worker: the one
	// goroutine writing the index does nothing else.
	packed [][]byte
	// ops are the file's ops tables, by member.
	ops map[string][]rules.OpsTarget
	// types are a header's structs: their fields by name.
	types map[string]map[string]cparse.Type
	err   error
}

// Update brings the index up to date with the tree: files whose size or
// time changed are analysed again, each with its quoted includes as
// context; the records of removed files are dropped.
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
	files, err := walk(opt.Tree, arch)
	if err != nil {
		return nil, err
	}
	st := &UpdateStats{Files: len(files)}
	known := map[string]fileState{}
	if err := ix.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFiles).ForEach(func(k, v []byte) error {
			var fs fileState
			if err := json.Unmarshal(v, &fs); err != nil {
				return fmt.Errorf("file %s: %w", k, err)
			}
			known[string(k)] = fs
			return nil
		})
	}); err != nil {
		return nil, fmt.Errorf("index %s: %w", ix.path, err)
	}
	present := map[string]bool{}
	var todo []srcFile
	for _, f := range files {
		present[f.rel] = true
		if old, ok := known[f.rel]; ok && old.Size == f.size && old.MTime.Equal(f.mtime) {
			st.Unchanged++
			continue
		}
		todo = append(todo, f)
	}
	var removed []string
	for rel := range known {
		if !present[rel] {
			removed = append(removed, rel)
		}
	}
	sort.Strings(removed)
	st.Removed = len(removed)
	if err := ix.write(func(tx *bolt.Tx) error {
		for _, rel := range removed {
			if err := ix.drop(tx, rel, known[rel]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}

	// The headers of include/ first: their structs are stored, and the C
	// files' analysis reads them to type member calls (ti->type->map()).
	var headers, cfiles []srcFile
	for _, f := range todo {
		if strings.HasSuffix(f.rel, ".h") {
			headers = append(headers, f)
		} else {
			cfiles = append(cfiles, f)
		}
	}
	ix.resetTypes()
	// Files are walked directory by directory: the headers one includes,
	// its neighbours include too.
	shared := &sharedState{cache: rules.NewParseCache(parseCacheBytes), unity: rules.NewUnityBuilds(), parsers: rules.NewParserPool(ix.k)}
	defer shared.parsers.Close()
	prog := newProgress(opt.Progress, opt.Bar, len(todo))
	for _, phase := range []struct {
		files []srcFile
		types rules.TypeSource
	}{{headers, nil}, {cfiles, ix}} {
		sh := *shared
		sh.types = phase.types
		if err := ix.runPhase(ctx, opt, &sh, phase.files, known, st, prog); err != nil {
			return nil, err
		}
	}
	prog.done()
	// Lookups after an update read the new records.
	ix.set = rules.NewLinker(ix.k, ix)
	ix.resetTypes()
	st.Elapsed = time.Since(start)
	return st, nil
}

// sharedState is what the analyses of one update share: parsed headers,
// the unity builds of the directories walked, and the structs of the
// headers indexed (for C files).
type sharedState struct {
	cache   *rules.ParseCache
	parsers *rules.ParserPool
	unity   *rules.UnityBuilds
	types   rules.TypeSource
}

// runPhase analyses files on opt.Workers workers and stores their records.
func (ix *Index) runPhase(ctx context.Context, opt UpdateOptions, sh *sharedState, todo []srcFile,
	known map[string]fileState, st *UpdateStats, prog *progress) error {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
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
		err := ix.write(func(tx *bolt.Tx) error {
			for _, r := range batch {
				if err := ix.store(tx, r, known[r.file.rel]); err != nil {
					return err
				}
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	for r := range results {
		if r.err != nil {
			st.Failed++
			log.Warn("not indexed", "file", r.file.rel, "err", r.err)
		} else {
			st.Analysed++
			st.Functions += len(r.recs)
		}
		batch = append(batch, r)
		prog.step(r.file.rel)
		if len(batch) >= batchFiles {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return nil
}

// batchFiles is how many files' records one write transaction stores.
const batchFiles = 64

// write runs fn in a write transaction.
func (ix *Index) write(fn func(tx *bolt.Tx) error) error {
	if err := ix.db.Update(fn); err != nil {
		return fmt.Errorf("index %s: %w", ix.path, err)
	}
	return nil
}

// analyse makes the records of one file: its functions, and the static
// inline functions of the headers it includes.
func (ix *Index) analyse(ctx context.Context, opt UpdateOptions, sh *sharedState, f srcFile) result {
	r := result{file: f}
	abs := filepath.Join(opt.Tree, filepath.FromSlash(f.rel))
	srcs, err := rules.LoadPaths([]string{abs}, rules.LoadOptions{IncludeDepth: opt.IncludeDepth, Unity: sh.unity})
	if err != nil {
		r.err = err
		return r
	}
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
	for _, f := range prog.Files {
		if f.Path != abs {
			continue
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
				r.ops = map[string][]rules.OpsTarget{}
			}
			r.ops[o.Key()] = append(r.ops[o.Key()], rules.OpsTarget{Fn: o.Fn, File: r.file.rel, Line: o.Line})
		}
	}
	for _, fi := range prog.Funcs {
		path := fi.F.File.Path
		if path != abs && !(strings.HasSuffix(path, ".h") && fi.F.Static && fi.Facts != nil) {
			continue // a header's function this file does not reach is not analysed
		}
		rec := rules.Record(fi)
		// Paths relative to the tree: an index moves with it, and a
		// review names files as the patch does.
		rec.Relocate(func(p string) string {
			if rel, err := filepath.Rel(opt.Tree, p); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.ToSlash(rel)
			}
			return p
		})
		data, err := packRecord(rec)
		if err != nil {
			r.err = fmt.Errorf("record of %s: %w", rec.Name, err)
			return r
		}
		r.recs = append(r.recs, rec)
		r.packed = append(r.packed, data)
	}
	return r
}

// store replaces a file's records with those of its new analysis.
func (ix *Index) store(tx *bolt.Tx, r result, old fileState) error {
	if err := ix.drop(tx, r.file.rel, old); err != nil {
		return err
	}
	fs := fileState{Size: r.file.size, MTime: r.file.mtime, Hash: r.hash}
	funcs, owners := tx.Bucket(bucketFuncs), tx.Bucket(bucketOwners)
	for i, rec := range r.recs {
		key := funcKey(rec.Name, rec.File)
		if strings.HasSuffix(rec.File, ".h") {
			// One record per defining file: a header's static inline is
			// analysed with every file including it, each with its own
			// context. The header's own analysis wins, then the includer
			// first by path, so that the index does not depend on the
			// order files finish in, nor on how many workers there were.
			if cur := owners.Get(key); cur != nil && string(cur) != r.file.rel && ownsBefore(string(cur), r.file.rel, rec.File) {
				continue
			}
			if err := owners.Put(key, []byte(r.file.rel)); err != nil {
				return err
			}
			fs.Owned = append(fs.Owned, string(key))
		} else {
			fs.Funcs = append(fs.Funcs, rec.Name)
		}
		if err := funcs.Put(key, r.packed[i]); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(r.ops))
	for k := range r.ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := ix.editOps(tx, k, r.file.rel, r.ops[k]); err != nil {
			return err
		}
		fs.Ops = append(fs.Ops, k)
	}
	names := make([]string, 0, len(r.types))
	for n := range r.types {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := ix.editTypes(tx, n, r.file.rel, r.types[n]); err != nil {
			return err
		}
		fs.Types = append(fs.Types, n)
	}
	data, err := json.Marshal(fs)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketFiles).Put([]byte(r.file.rel), data)
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

// drop removes a file and the records it defined.
func (ix *Index) drop(tx *bolt.Tx, rel string, old fileState) error {
	funcs := tx.Bucket(bucketFuncs)
	for _, name := range old.Funcs {
		if err := funcs.Delete(funcKey(name, rel)); err != nil {
			return err
		}
	}
	owners := tx.Bucket(bucketOwners)
	for _, k := range old.Owned {
		// Another file's analysis may have written over it since.
		if string(owners.Get([]byte(k))) != rel {
			continue
		}
		if err := funcs.Delete([]byte(k)); err != nil {
			return err
		}
		if err := owners.Delete([]byte(k)); err != nil {
			return err
		}
	}
	for _, k := range old.Ops {
		if err := ix.editOps(tx, k, rel, nil); err != nil {
			return err
		}
	}
	for _, n := range old.Types {
		if err := ix.editTypes(tx, n, rel, nil); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketFiles).Delete([]byte(rel))
}

// editOps replaces what file's ops tables store in member key with add.
func (ix *Index) editOps(tx *bolt.Tx, key, file string, add []rules.OpsTarget) error {
	if len(add) == 0 {
		return putFileEntry(tx.Bucket(bucketOps), key, file, nil)
	}
	return putFileEntry(tx.Bucket(bucketOps), key, file, add)
}

// putFileEntry stores file's entry for name (an ops member, a struct) as
// JSON, or deletes it when v is nil. Keyed by name and file as records
// are, a file's update writes its own entries, not a list that every file
// defining the name rewrites (file_operations.open has thousands).
func putFileEntry(b *bolt.Bucket, name, file string, v any) error {
	k := funcKey(name, file)
	if v == nil {
		return b.Delete(k)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return b.Put(k, data)
}

// eachFileEntry calls fn with each file's entry for name, in file order.
func eachFileEntry(b *bolt.Bucket, name string, fn func([]byte) error) error {
	prefix := []byte(name + "\x00")
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(v); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// walk lists the tree's C files, and the headers of include/ and the
// architecture's include/: their static inlines are what <linux/...>
// includes bring, which the files' own analysis does not read. Local
// headers ("foo.h") come with the files that include them.
func walk(root, arch string) ([]srcFile, error) {
	var out []srcFile
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
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
		if !strings.HasSuffix(p, ".c") && !header || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > cparse.MaxFileSize {
			return nil
		}
		out = append(out, srcFile{rel: slash, size: info.Size(), mtime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index: reading %s: %w", root, err)
	}
	return out, nil
}

func exists(p string) (bool, error) {
	_, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
