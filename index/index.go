// Package index keeps the summaries of a whole kernel tree's functions in
// one file, so that a scan or a patch review sees callees in other files:
// bio_alloc_clone() in block/, a static inline in a header.
//
// The store is bbolt (go.etcd.io/bbolt): one file, ACID, read through a
// memory map, in pure Go. The index needs nothing of SQL: it looks up a
// function's records by name and a file's state by path, and rewrites the
// records of the files that changed. Records are rules.FuncRecord JSON,
// written and read with github.com/goccy/go-json: the same bytes as
// encoding/json's, made about twice as fast and read four times as fast
// (an index build writes 650,000 records; a review reads hundreds).
package index

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	json "github.com/goccy/go-json"
	bolt "go.etcd.io/bbolt"

	"github.com/klauspost/compress/s2"

	"lockbot/cparse"
	"lockbot/kb"
	"lockbot/rules"
)

// layoutVersion names how the buckets are keyed: an index of another
// layout is rebuilt.
const layoutVersion = 5

// Records are JSON compressed with S2 (github.com/klauspost/compress):
// summaries repeat their field names and chains, and a whole tree's come
// to 1.5 GB of JSON, which the memory-mapped file would otherwise bring
// into memory as it is written. S2 encodes at about a gigabyte a second,
// a few seconds for a tree.
func packRecord(r *rules.FuncRecord) ([]byte, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return s2.Encode(nil, data), nil
}

func unpackRecord(v []byte) (*rules.FuncRecord, error) {
	data, err := s2.Decode(nil, v)
	if err != nil {
		return nil, err
	}
	var r rules.FuncRecord
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
	// bucketOwners names, for each header function's record, the file
	// whose analysis wrote it (see store).
	bucketOwners = []byte("owners")
	keyVersion   = []byte("version")
	keyKB        = []byte("kb")
)

// Index is an open index file.
type Index struct {
	db   *bolt.DB
	path string
	k    *kb.KB

	// set decodes and links the records read, once.
	set *rules.RecordSet

	typesMu sync.Mutex
	types   map[string]*cparse.Struct
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
	Ops   []string `json:"ops,omitempty"`   // members its ops tables fill
	Types []string `json:"types,omitempty"` // structs a header defines
}

// ErrStale is an index written by another version of lockbot or with
// another knowledge base: its summaries mean something else.
var ErrStale = errors.New("index: written by another version of lockbot or knowledge base; rebuild it with lockbot index")

// Open opens the index at path for reading (and, when write is set,
// creates it and prepares it for Update). A read-only index must match
// this lockbot's summary version and knowledge base.
func Open(path string, k *kb.KB, write bool) (*Index, error) {
	opts := &bolt.Options{Timeout: 5 * time.Second, ReadOnly: !write}
	db, err := bolt.Open(path, 0o644, opts)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", path, err)
	}
	ix := &Index{db: db, path: path, k: k, types: map[string]*cparse.Struct{}}
	ix.set = rules.NewLinker(k, ix)
	version := strconv.Itoa(rules.SummaryVersion) + "." + strconv.Itoa(layoutVersion)
	if write {
		err = db.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			if string(meta.Get(keyVersion)) != version || string(meta.Get(keyKB)) != k.Hash() {
				// Another meaning of summaries: start over.
				for _, b := range [][]byte{bucketFiles, bucketFuncs, bucketOps, bucketTypes, bucketOwners} {
					if tx.Bucket(b) != nil {
						if err := tx.DeleteBucket(b); err != nil {
							return err
						}
					}
				}
			}
			for _, b := range [][]byte{bucketFiles, bucketFuncs, bucketOps, bucketTypes, bucketOwners} {
				if _, err := tx.CreateBucketIfNotExists(b); err != nil {
					return err
				}
			}
			if err := meta.Put(keyVersion, []byte(version)); err != nil {
				return err
			}
			return meta.Put(keyKB, []byte(k.Hash()))
		})
	} else {
		err = db.View(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if meta == nil || tx.Bucket(bucketFuncs) == nil {
				return fmt.Errorf("index %s: not an index", path)
			}
			if string(meta.Get(keyVersion)) != version || string(meta.Get(keyKB)) != k.Hash() {
				return ErrStale
			}
			return nil
		})
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return ix, nil
}

// Close closes the file.
func (ix *Index) Close() error { return ix.db.Close() }

// Path is the index file.
func (ix *Index) Path() string { return ix.path }

// Records returns the records of every definition of name.
func (ix *Index) Records(name string) ([]*rules.FuncRecord, error) {
	var recs []*rules.FuncRecord
	prefix := funcKey(name, "")
	err := ix.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketFuncs).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			r, err := unpackRecord(v)
			if err != nil {
				return err
			}
			recs = append(recs, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index %s: %s: %w", ix.path, name, err)
	}
	return recs, nil
}

// OpsTargets returns what the tree's ops tables store in a member
// ("struct target_type.map").
func (ix *Index) OpsTargets(key string) ([]rules.OpsTarget, error) {
	var ts []rules.OpsTarget
	err := ix.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOps)
		if b == nil {
			return nil
		}
		return eachFileEntry(b, key, func(data []byte) error {
			var l []rules.OpsTarget
			if err := json.Unmarshal(data, &l); err != nil {
				return err
			}
			ts = append(ts, l...)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("index %s: %s: %w", ix.path, key, err)
	}
	return ts, nil
}

// Lookup implements rules.Externals: the one visible definition of name,
// with what its callees in other files do, decoded once.
func (ix *Index) Lookup(name string) *rules.FuncInfo { return ix.set.Lookup(name) }

// LookupIn implements rules.Externals: the definition of name in a
// tree-relative file.
func (ix *Index) LookupIn(name, file string) *rules.FuncInfo { return ix.set.LookupIn(name, file) }

// Ops implements rules.Externals.
func (ix *Index) Ops(key string) []rules.OpsTarget { return ix.set.Ops(key) }

// Stats counts what an index holds.
type Stats struct {
	Files, Functions int
}

// Stats counts the index's files and function names.
func (ix *Index) Stats() (Stats, error) {
	var s Stats
	err := ix.db.View(func(tx *bolt.Tx) error {
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
