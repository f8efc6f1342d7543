// SPDX-License-Identifier: GPL-2.0-only

// Package index keeps the summaries of a whole kernel tree's functions in
// one file, so that a scan or a patch review sees callees in other files:
// bio_alloc_clone() in block/, a static inline in a header.
//
// The store is bbolt (go.etcd.io/bbolt): one file, ACID, read through a
// memory map, in pure Go. The index needs nothing of SQL: it looks up a
// function's records by name and a file's state by path, and rewrites the
// records of the files that changed. Records are flow.FuncRecord JSON,
// written and read with github.com/goccy/go-json: the same bytes as
// encoding/json's, made about twice as fast and read four times as fast
// (an index build writes 650,000 records; a review reads hundreds).
package index

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	json "github.com/goccy/go-json"
	bolt "go.etcd.io/bbolt"

	"github.com/klauspost/compress/s2"

	"lockbot/cparse"
	"lockbot/flow"
	"lockbot/kb"
)

// layoutVersion names how the buckets are keyed and their values
// framed: an index of another layout is rebuilt by lockbot index, and
// refused (ErrStale) by the commands that read it. 6: every entry sealed
// with its checksum.
const layoutVersion = 7

// Records are JSON compressed with S2 (github.com/klauspost/compress):
// summaries repeat their field names and chains, and a whole tree's come
// to 1.5 GB of JSON, which the memory-mapped file would otherwise bring
// into memory as it is written. S2 encodes at about a gigabyte a second,
// a few seconds for a tree. The value is sealed (see seal): S2's block
// format has no checksum of its own.
func packRecord(key []byte, r *flow.FuncRecord) ([]byte, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	// Encoded in place after the checksum's room: one allocation.
	buf := make([]byte, sumSize+s2.MaxEncodedLen(len(data)))
	enc := s2.Encode(buf[sumSize:], data)
	v := buf[:sumSize+len(enc)]
	putSum(v, key)
	return v, nil
}

func unpackRecord(key, v []byte) (*flow.FuncRecord, error) {
	payload, err := unseal(key, v)
	if err != nil {
		return nil, err
	}
	data, err := s2.Decode(nil, payload)
	if err != nil {
		return nil, err
	}
	var r flow.FuncRecord
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// funcKey keys a function's record (and a file's ops or struct entry) by
// name and defining file, so that the definitions of one name are
// neighbours and a file's records are written without reading the
// others'.
func funcKey(name, file string) []byte { return []byte(name + "\x00" + file) }

// DefaultPath is where an index lives in a tree when no --index is given.
const DefaultPath = ".lockbot/index.db"

var (
	bucketMeta  = []byte("meta")
	bucketFiles = []byte("files")
	bucketFuncs = []byte("funcs")
	bucketOps   = []byte("ops")
	bucketTypes = []byte("types")
	// bucketConsts holds the shared headers' integer constants.
	bucketConsts = []byte("consts")
	// bucketDerived holds the conditions under which the shared headers
	// define object-like macros (cparse.File.CondDefines).
	bucketDerived = []byte("derived")
	// bucketOwners names, for each header function's record, the file
	// whose analysis wrote it (see store).
	bucketOwners = []byte("owners")
	keyVersion   = []byte("version")
	keyKB        = []byte("kb")
)

// sealedBuckets hold values sealed with their checksum (see seal); the
// meta bucket's version and knowledge-base hash are not, as a damaged one
// reads as another version, which is refused as well.
var sealedBuckets = [][]byte{bucketFiles, bucketFuncs, bucketOps, bucketTypes, bucketConsts, bucketDerived, bucketOwners}

// Index is an open index file.
type Index struct {
	// dbMu guards db against Unmap, which reopens it: read transactions
	// hold it shared.
	dbMu sync.RWMutex
	db   *bolt.DB
	path string
	k    *kb.KB
	log  *slog.Logger
	// read reads the tree's files: readRegular, but for tests.
	read readFunc

	// set decodes and links the records read, once, choosing variants
	// by kc.
	set *flow.RecordSet
	kc  flow.Kconfig
	// raw links without kc, for callers the configuration does not
	// build; nil without one.
	raw *flow.RecordSet

	typesMu sync.Mutex
	types   map[string]*cparse.Struct
	consts  map[string]constVal
	derived map[string]derivedVal

	// damage is the first record found damaged or undecodable; damageN
	// counts them (see RecordError).
	damageMu sync.Mutex
	damage   error
	damageN  int

	// checked: Check passed on this index, opened for writing; an update
	// of an index not checked yet (a new one) is checked once written.
	checked bool
}

// fileState is what the index knows of a source file: enough to tell a
// change without reading it (size and modification time), the content
// hash when those differ, and the functions it defined.
type fileState struct {
	Size  int64     `json:"size"`
	MTime time.Time `json:"mtime"`
	Hash  string    `json:"hash"`
	Funcs []string  `json:"funcs,omitempty"`
	// Owned are the keys of the header functions' records this file's
	// analysis wrote (a header's own, or an included header's).
	Owned []string `json:"owned,omitempty"`
	// Headers are the local headers whose static inlines its analysis
	// recorded, whether it kept those records or another includer did:
	// when their owner goes, this file can write them again.
	Headers []string `json:"headers,omitempty"`
	Ops     []string `json:"ops,omitempty"`     // members its ops tables fill
	Types   []string `json:"types,omitempty"`   // structs a header defines
	Consts  []string `json:"consts,omitempty"`  // integer constants a shared header defines
	Derived []string `json:"derived,omitempty"` // macros a shared header defines under a condition
}

// ErrStale is an index written by another version of lockbot or with
// another knowledge base: its summaries mean something else.
var ErrStale = errors.New("index: written by another version of lockbot or knowledge base; rebuild it with lockbot index")

// OpenOptions say how to open an index.
type OpenOptions struct {
	// Write creates the index if there is none and prepares it for
	// Update; else it is opened read-only, and must match this lockbot's
	// summary version and knowledge base.
	Write bool
	// Log hears of the damage found as records are read (see
	// RecordError); nil: slog's default logger, so that it is never
	// silent.
	Log *slog.Logger
	// Kconfig chooses among a name's variants when records are looked
	// up; nil: a name with several definitions is unknown. Records are
	// written without it, so one index serves every configuration.
	Kconfig flow.Kconfig
}

// Open opens the index at path for reading (and, when write is set,
// creates it and prepares it for Update). A read-only index must match
// this lockbot's summary version and knowledge base.
func Open(path string, k *kb.KB, write bool) (*Index, error) {
	return OpenWith(path, k, OpenOptions{Write: write})
}

// OpenWith opens the index at path. A damaged file is refused with an
// error that says so (errors.Is ErrDamaged), before bbolt reads more of
// it than its meta pages. For writing, the whole file is checked first
// (Check, half a second for a whole tree's): bbolt trusts the pages it
// updates, and a damaged one can make it write nonsense, or, for a bucket
// kept inline, point the Go heap at memory that is not there.
func OpenWith(path string, k *kb.KB, opt OpenOptions) (*Index, error) {
	log := opt.Log
	if log == nil {
		log = slog.Default()
	}
	if opt.Write {
		// Before bbolt's open, which reads the freelist when writing.
		warning, err := checkFile(path, true)
		if err != nil {
			return nil, err
		}
		if warning != "" {
			log.Warn("index: "+warning, "index", path)
		}
	} else if info, err := os.Stat(path); err == nil && info.Size() == 0 {
		// bbolt would try to write a new database into it.
		return nil, damaged(path, "the file is empty")
	}
	db, err := openBolt(path, opt.Write)
	if err != nil {
		return nil, err
	}
	ix := &Index{db: db, path: path, k: k, log: log, read: readRegular, types: map[string]*cparse.Struct{}, consts: map[string]constVal{}, derived: map[string]derivedVal{}}
	ix.kc = opt.Kconfig
	ix.set = flow.NewLinker(k, ix, ix.kc)
	if opt.Write {
		err = ix.prepare()
	} else {
		err = ix.validate()
	}
	if err != nil {
		ix.db.Close()
		return nil, err
	}
	return ix, nil
}

// UseKconfig makes lookups choose among variants by kc (nil: none is
// chosen). Call it before the index serves lookups.
func (ix *Index) UseKconfig(kc flow.Kconfig) {
	ix.kc = kc
	ix.set = flow.NewLinker(ix.k, ix, kc)
	ix.raw = nil
	if kc != nil {
		ix.raw = flow.NewLinker(ix.k, ix, nil)
		ix.raw.UseVariants(kc)
	}
}

// openBolt opens the bbolt file, a panic or a fault in it being damage.
func openBolt(path string, write bool) (*bolt.DB, error) {
	var db *bolt.DB
	// The freelist read at open even read-only: bbolt's consistency check
	// (Check) would read it in a goroutine of its own, where a damaged
	// one's panic could not be recovered.
	opts := &bolt.Options{Timeout: 5 * time.Second, ReadOnly: !write, PreLoadFreelist: true}
	err := guard(path, func() error {
		var err error
		db, err = bolt.Open(path, 0o644, opts)
		return err
	})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, ErrDamaged):
		return nil, err
	}
	if !write {
		// Say why, when the meta pages do.
		if _, cerr := checkFile(path, false); errors.Is(cerr, ErrDamaged) {
			return nil, cerr
		}
	}
	return nil, fmt.Errorf("index %s: %w", path, err)
}

// version is what an index's meta bucket says of the meaning of its
// summaries and its layout.
func version() string {
	return strconv.Itoa(flow.SummaryVersion) + "." + strconv.Itoa(layoutVersion)
}

// validate checks, for reading, that the file is an index of this
// version and knowledge base, under bbolt's shared lock (no writer is
// mid-commit, and the meta pages are whole).
func (ix *Index) validate() error {
	if _, err := checkFile(ix.path, false); err != nil {
		return err
	}
	return ix.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || tx.Bucket(bucketFuncs) == nil {
			return fmt.Errorf("index %s: not an index", ix.path)
		}
		if string(meta.Get(keyVersion)) != version() || string(meta.Get(keyKB)) != ix.k.Hash() {
			return ErrStale
		}
		for _, b := range sealedBuckets {
			if tx.Bucket(b) == nil {
				return damaged(ix.path, "bucket %s is missing", b)
			}
		}
		return nil
	})
}

// prepare readies an index for Update: a new one gets its buckets; one of
// another version or knowledge base is started over in an empty file (its
// summaries mean something else, and its pages are not read, so neither
// is any damage of theirs); the current one is checked whole.
func (ix *Index) prepare() error {
	var state string
	err := ix.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		first, _ := tx.Cursor().First()
		switch {
		case meta == nil && first != nil:
			// Some other bbolt file, named by --out: not ours to clear.
			return fmt.Errorf("index %s: a bbolt file that is not an index; name another file", ix.path)
		case meta == nil:
			state = "new"
		case string(meta.Get(keyVersion)) != version() || string(meta.Get(keyKB)) != ix.k.Hash():
			state = "stale"
		default:
			state = "current"
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch state {
	case "stale":
		// The old file's pages would only stay on as free space.
		if err := ix.db.Close(); err != nil {
			return fmt.Errorf("index %s: %w", ix.path, err)
		}
		if err := os.Truncate(ix.path, 0); err != nil {
			return fmt.Errorf("index %s: %w", ix.path, err)
		}
		if ix.db, err = openBolt(ix.path, true); err != nil {
			return err
		}
	case "current":
		if _, err := ix.Check(); err != nil {
			return err
		}
		ix.checked = true
	}
	return ix.write(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		for _, b := range sealedBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if err := meta.Put(keyVersion, []byte(version())); err != nil {
			return err
		}
		return meta.Put(keyKB, []byte(ix.k.Hash()))
	})
}

// Close closes the file.
func (ix *Index) Close() error { return ix.db.Close() }

// Unmap lets go of the pages of the file read so far, by opening it
// again: bbolt reads through a memory map, and the pages a long run
// (a whole tree's scan) touches stay mapped, counted in the process's
// resident memory, until the map goes. What was decoded from them is
// kept. Only for an index opened read-only.
func (ix *Index) Unmap() error {
	ix.dbMu.Lock()
	defer ix.dbMu.Unlock()
	if !ix.db.IsReadOnly() {
		return fmt.Errorf("index %s: not unmapped while open for writing", ix.path)
	}
	if err := ix.db.Close(); err != nil {
		return fmt.Errorf("index %s: %w", ix.path, err)
	}
	db, err := openBolt(ix.path, false)
	if err != nil {
		return err
	}
	ix.db = db
	// Rebuilt meanwhile by another version or knowledge base: its
	// records mean something else than those read before.
	return guard(ix.path, func() error {
		return db.View(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if meta == nil || string(meta.Get(keyVersion)) != version() || string(meta.Get(keyKB)) != ix.k.Hash() {
				return ErrStale
			}
			return nil
		})
	})
}

// Path is the index file.
func (ix *Index) Path() string { return ix.path }

// Records returns the records of every definition of name. A record that
// fails its checksum is an error naming it.
func (ix *Index) Records(name string) ([]*flow.FuncRecord, error) {
	var recs []*flow.FuncRecord
	prefix := funcKey(name, "")
	err := ix.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketFuncs).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			r, err := unpackRecord(k, v)
			if errors.Is(err, errChecksum) {
				return damaged(ix.path, "the record of %s %v", entryName(k), err)
			}
			if err != nil {
				// Sound bytes that are not a record of this version.
				return damaged(ix.path, "the record of %s cannot be decoded (%v)", entryName(k), err)
			}
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// OpsTargets returns what the tree's ops tables store in a member
// ("struct target_type.map").
func (ix *Index) OpsTargets(key string) ([]flow.OpsTarget, error) {
	var ts []flow.OpsTarget
	err := ix.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOps)
		if b == nil {
			return nil
		}
		return ix.eachFileEntry(b, key, func(data []byte) error {
			var l []flow.OpsTarget
			if err := json.Unmarshal(data, &l); err != nil {
				return err
			}
			ts = append(ts, l...)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return ts, nil
}

// Lookup implements flow.Externals: the one visible definition of name,
// with what its callees in other files do, decoded once.
func (ix *Index) Lookup(name string) *flow.FuncInfo { return ix.set.Lookup(name) }

// LookupUnconfigured implements flow.UnconfiguredLookup: name resolved
// without the configuration, for a caller in file that it does not build
// or when there is none.
func (ix *Index) LookupUnconfigured(name, file string) *flow.FuncInfo {
	if ix.raw == nil {
		return ix.set.LookupFrom(name, file)
	}
	return ix.raw.LookupFrom(name, file)
}

// KeysWithPrefix implements flow.KeyLister: the distinct names of the
// ops bucket's entries that begin with prefix ("order A -> "), sorted, at
// most max. A damaged index lists what it can read; the damage is
// reported as for any record.
func (ix *Index) KeysWithPrefix(prefix string, max int) []string {
	var out []string
	err := ix.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOps)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		p := []byte(prefix)
		for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p) && len(out) < max; k, _ = c.Next() {
			name, _, _ := bytes.Cut(k, []byte{0})
			if n := string(name); len(out) == 0 || out[len(out)-1] != n {
				out = append(out, n)
			}
		}
		return nil
	})
	if err != nil {
		ix.RecordError(prefix, err)
	}
	return out
}

// LookupIn implements flow.Externals: the definition of name in a
// tree-relative file.
func (ix *Index) LookupIn(name, file string) *flow.FuncInfo { return ix.set.LookupIn(name, file) }

// Ops implements flow.Externals.
func (ix *Index) Ops(key string) []flow.OpsTarget { return ix.set.Ops(key) }

// maxDamageLogged bounds the records named in the log: past a few, the
// file is plainly damaged, and the log would only grow.
const maxDamageLogged = 5

// RecordError implements flow.RecordErrors: a record (or ops entry, or
// struct) that could not be read or decoded leaves its function unknown
// to the analysis, assumed not to sleep, which must not pass unsaid. The
// first is logged as an error, with the fix, the next few as warnings by
// name; Err returns it for the command to fail on. The analysis goes on:
// what it reports is still so, only blind to that function.
func (ix *Index) RecordError(name string, err error) {
	ix.damageMu.Lock()
	defer ix.damageMu.Unlock()
	ix.damageN++
	if !errors.Is(err, ErrDamaged) {
		// The record read, but its summary does not decode.
		err = damaged(ix.path, "%v", err)
	}
	switch {
	case ix.damage == nil:
		ix.damage = err
		ix.log.Error(err.Error(), "function", name, "taken as", "unknown")
	case ix.damageN <= maxDamageLogged:
		ix.log.Warn("index: another record cannot be read", "index", ix.path, "function", name, "err", err)
	case ix.damageN == maxDamageLogged+1:
		ix.log.Warn("index: more records cannot be read; not logged", "index", ix.path)
	}
}

// Err returns the first damage found by the reads so far, with the count
// of the records found damaged: nil when none was. A command that read
// the index should fail on it, as its analysis took those functions for
// unknown.
func (ix *Index) Err() error {
	ix.damageMu.Lock()
	defer ix.damageMu.Unlock()
	if ix.damage == nil || ix.damageN == 1 {
		return ix.damage
	}
	return fmt.Errorf("%w (%d records could not be read)", ix.damage, ix.damageN)
}

// Stats counts what an index holds.
type Stats struct {
	Files, Functions int
}

// Stats counts the index's files and function names.
func (ix *Index) Stats() (Stats, error) {
	var s Stats
	err := ix.view(func(tx *bolt.Tx) error {
		s.Files = tx.Bucket(bucketFiles).Stats().KeyN
		s.Functions = tx.Bucket(bucketFuncs).Stats().KeyN
		return nil
	})
	return s, err
}

// Find returns the index of the tree at root, if it has one.
func Find(root string) (string, bool) {
	p := filepath.Join(root, DefaultPath)
	if ok, _ := exists(p); ok {
		return p, true
	}
	return "", false
}
