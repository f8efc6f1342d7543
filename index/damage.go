// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A damaged index (a full disk, an interrupted copy, a flipped bit) must
// be refused, never crash its reader nor be read as other summaries:
// bbolt checks its meta pages but trusts the rest of the file it maps. So
// the file's size is checked against the meta page before the pages are
// read, every entry carries a checksum of its key and value, and a panic
// or a memory fault in bbolt becomes an error.

// ErrDamaged is in the chain of every error about a damaged index.
var ErrDamaged = errors.New("index damaged")

// damagedError says what is damaged, and the fix.
type damagedError struct {
	path, what string
	// notBolt: no meta page at all, which may be a file named by mistake
	// (--index README) as well as an index overwritten.
	notBolt bool
}

func (e *damagedError) Error() string {
	if e.notBolt {
		return fmt.Sprintf("index %s: not an index (no bbolt meta page); if it was one, it is damaged: delete it and run lockbot index", e.path)
	}
	return fmt.Sprintf("index %s is damaged: %s; delete it and run lockbot index", e.path, e.what)
}

func (e *damagedError) Is(target error) bool { return target == ErrDamaged }

func damaged(path, format string, args ...any) error {
	return &damagedError{path: path, what: fmt.Sprintf(format, args...)}
}

// errChecksum is an entry whose checksum does not match.
var errChecksum = errors.New("fails its checksum")

// sumSize is the checksum's size, before each entry's value.
const sumSize = 4

// castagnoli is CRC-32C's table, which the CPU computes (SSE 4.2, ARMv8):
// 600 MB, a whole tree's records, in under a fifth of a second.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// entrySum covers the key too: a value moved to another key is damage
// as much as a flipped bit.
func entrySum(key, payload []byte) uint32 {
	return crc32.Update(crc32.Checksum(key, castagnoli), castagnoli, payload)
}

// seal frames payload for storage under key: its checksum, then itself.
func seal(key, payload []byte) []byte {
	v := make([]byte, sumSize+len(payload))
	copy(v[sumSize:], payload)
	putSum(v, key)
	return v
}

// putSum writes the checksum of v's payload into its first bytes.
func putSum(v, key []byte) {
	binary.LittleEndian.PutUint32(v, entrySum(key, v[sumSize:]))
}

// unseal returns the payload of a sealed value, errChecksum when the value
// is not what was stored under key.
func unseal(key, v []byte) ([]byte, error) {
	if len(v) < sumSize || binary.LittleEndian.Uint32(v) != entrySum(key, v[sumSize:]) {
		return nil, errChecksum
	}
	return v[sumSize:], nil
}

// guard runs fn, which reads or writes the file through bbolt, turning a
// panic (bbolt asserts what it reads of a page: "invalid freelist page",
// "Page expected to be ...") or a memory fault (a page past the end of a
// file truncated under it) into an error saying the index is damaged.
// A recovered read transaction has been rolled back by bbolt's View; a
// write one by its Update, so nothing of it is committed.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if v := recover(); v != nil {
			err = damaged(path, "reading it failed (%v)", v)
		}
	}()
	return fn()
}

// view runs fn in a read transaction, guarded.
func (ix *Index) view(fn func(tx *bolt.Tx) error) error {
	ix.dbMu.RLock()
	defer ix.dbMu.RUnlock()
	return guard(ix.path, func() error { return ix.db.View(fn) })
}

// write runs fn in a write transaction, guarded.
func (ix *Index) write(fn func(tx *bolt.Tx) error) error {
	err := guard(ix.path, func() error { return ix.db.Update(fn) })
	if err != nil && !errors.Is(err, ErrDamaged) {
		return fmt.Errorf("index %s: %w", ix.path, err)
	}
	return err
}

// bbolt's file format (go.etcd.io/bbolt internal/common: page.go, meta.go):
// pages 0 and 1 are meta pages, each a 16-byte page header and then the
// meta, whose checksum is FNV-64a of the fields before it. Fields are in
// the machine's byte order, as bbolt writes them through a struct.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaSum    = 56 // the meta's bytes the checksum covers
	boltMetaSize   = boltMetaSum + 8
	boltNoFreelist = ^uint64(0)
)

// boltMeta is a bbolt meta page's fields this check uses.
type boltMeta struct {
	pageSize             uint64
	root, freelist, pgid uint64 // pgid: the high-water mark, pages in use
	txid                 uint64
}

// readMeta decodes the meta page in b: magic says bbolt's magic number is
// there, ok that the page validates as bbolt validates it.
func readMeta(b []byte) (m boltMeta, magic, ok bool) {
	if len(b) < boltPageHeader+boltMetaSize {
		return m, false, false
	}
	b = b[boltPageHeader:]
	ne := binary.NativeEndian
	if ne.Uint32(b) != boltMagic {
		return m, false, false
	}
	h := fnv.New64a()
	h.Write(b[:boltMetaSum])
	if ne.Uint32(b[4:]) != boltVersion || ne.Uint64(b[boltMetaSum:]) != h.Sum64() {
		return m, true, false
	}
	m = boltMeta{pageSize: uint64(ne.Uint32(b[8:])), root: ne.Uint64(b[16:]), freelist: ne.Uint64(b[32:]),
		pgid: ne.Uint64(b[40:]), txid: ne.Uint64(b[48:])}
	return m, true, true
}

// checkFile checks a bbolt file before its pages are read: bbolt maps the
// file and follows the page numbers it finds, so a file shorter than its
// meta page's high-water mark (a truncated copy) faults in the middle of
// a read, and an empty one is taken for a new database. It returns a
// warning when one meta page is damaged and the other, an earlier state,
// is good: bbolt falls back to it, as after a crash in the middle of a
// commit, and for a write (lockbot index) that is fine, since the next
// commit rewrites that page; a reader refuses it, as it would read an
// index other than the one last written.
//
// The meta pages are read without bbolt's lock: a writer's commit, which
// grows the file before it writes the meta page that counts the new
// pages, may tear one of them (hence a reader calls this with bbolt's
// lock held), never both.
func checkFile(path string, write bool) (warning string, err error) {
	_, warning, err = fileMeta(path, write)
	return warning, err
}

// fileMeta is checkFile, returning the meta page bbolt goes by (zero for
// a file bbolt will write anew).
func fileMeta(path string, write bool) (m boltMeta, warning string, err error) {
	f, err := os.Open(path)
	if err != nil {
		if write && errors.Is(err, os.ErrNotExist) {
			return m, "", nil
		}
		return m, "", fmt.Errorf("index %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return m, "", fmt.Errorf("index %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return m, "", fmt.Errorf("index %s: not a regular file", path)
	}
	size := uint64(info.Size())
	if size == 0 {
		if write {
			// bbolt writes a new database into an empty file: what
			// deleting it would lead to.
			return m, "", nil
		}
		return m, "", damaged(path, "the file is empty")
	}
	at := func(off uint64) []byte {
		b := make([]byte, boltPageHeader+boltMetaSize)
		n, err := f.ReadAt(b, int64(off))
		if err != nil && err != io.EOF {
			return nil
		}
		return b[:n]
	}
	m0, magic0, ok0 := readMeta(at(0))
	var m1 boltMeta
	var magic1, ok1 bool
	if ok0 {
		m1, magic1, ok1 = readMeta(at(m0.pageSize))
	} else {
		// Meta page 1 is one page in, and the page size is in the meta:
		// try them as bbolt does, from 1 KiB to 16 MiB.
		for i := 0; i <= 14; i++ {
			pos := uint64(1024) << i
			if pos+1024 > size {
				break
			}
			m, magic, ok := readMeta(at(pos))
			magic1 = magic1 || magic
			if ok && m.pageSize == pos {
				m1, ok1 = m, true
				break
			}
		}
	}
	switch {
	case !ok0 && !ok1:
		if !magic0 && !magic1 {
			return m, "", &damagedError{path: path, notBolt: true}
		}
		return m, "", damaged(path, "neither of its meta pages is valid")
	case !ok0 || !ok1:
		bad := 0
		if ok0 {
			bad = 1
		}
		if !write {
			return m, "", damaged(path, "meta page %d is not valid (a write interrupted, or damage)", bad)
		}
		warning = fmt.Sprintf("meta page %d is not valid: going on from the state before the last write, which this update rewrites", bad)
	}
	m = m0
	if !ok0 || ok1 && m1.txid > m0.txid {
		m = m1
	}
	ps := m.pageSize
	if ps < 512 || ps&(ps-1) != 0 {
		return m, "", damaged(path, "its meta page gives a page size of %d bytes", ps)
	}
	if m.pgid < 2 || m.root >= m.pgid || m.freelist != boltNoFreelist && m.freelist >= m.pgid {
		return m, "", damaged(path, "its meta page points past its last page")
	}
	if m.pgid > size/ps {
		return m, "", damaged(path, "the file has %d bytes, and its pages take %d: it was cut short", size, m.pgid*ps)
	}
	return m, warning, nil
}

// CheckStats says what Check read.
type CheckStats struct {
	Pages   int // pages walked from the roots
	Entries int // entries of every bucket, checksums verified
	Elapsed time.Duration
}

// Check verifies the whole index: its pages, as bbolt links them, every
// entry's checksum, then bbolt's own consistency check (every page below
// the high-water mark reachable or free, none twice, keys in order).
// bbolt's check runs in a goroutine of its own, where a damaged page's
// panic, or a key read past the end of the map, could not be recovered:
// so what it reads is read first here, guarded. The cursors read the
// leaves' keys and values; checkPages the rest (branch keys, page
// headers, the freelist's page).
func (ix *Index) Check() (*CheckStats, error) {
	start := time.Now()
	st := &CheckStats{}
	// For writing, one meta page may be damaged (see checkFile): the
	// check is of the state bbolt goes on from.
	m, _, err := fileMeta(ix.path, !ix.db.IsReadOnly())
	if err != nil {
		return nil, err
	}
	f, err := os.Open(ix.path)
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", ix.path, err)
	}
	defer f.Close()
	err = ix.view(func(tx *bolt.Tx) error {
		pc := &pageCheck{ix: ix, tx: tx, f: f, m: m, seen: map[uint64]bool{}}
		if err := pc.check(); err != nil {
			return err
		}
		st.Pages = len(pc.seen)
		for _, name := range sealedBuckets {
			b := tx.Bucket(name)
			if b == nil {
				return damaged(ix.path, "bucket %s is missing", name)
			}
			err := b.ForEach(func(k, v []byte) error {
				st.Entries++
				if _, err := unseal(k, v); err != nil {
					return damaged(ix.path, "%s entry %s %v", name, entryName(k), err)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		var errs []string
		n := 0
		for err := range tx.Check(bolt.WithKVStringer(shortKV{})) {
			// Drained whole: the check's goroutine waits on each send.
			if n++; n <= 3 {
				errs = append(errs, err.Error())
			}
		}
		if n > 0 {
			more := ""
			if n > len(errs) {
				more = fmt.Sprintf(" (and %d more)", n-len(errs))
			}
			return damaged(ix.path, "bbolt's consistency check: %s%s", strings.Join(errs, "; "), more)
		}
		return nil
	})
	st.Elapsed = time.Since(start)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// shortKV prints keys and values for bbolt's check as their first bytes:
// a damaged length would otherwise have it print a key many megabytes
// long, read past the end of the map.
type shortKV struct{}

func (shortKV) KeyToString(b []byte) string   { return shortHex(b) }
func (shortKV) ValueToString(b []byte) string { return shortHex(b) }

func shortHex(b []byte) string {
	if len(b) > 32 {
		return fmt.Sprintf("%x... (%d bytes)", b[:32], len(b))
	}
	return fmt.Sprintf("%x", b)
}

// Page layout (go.etcd.io/bbolt internal/common/page.go): a 16-byte
// header (id, flags, count, overflow), then count 16-byte elements whose
// keys lie pos bytes after the element. A branch element is pos, ksize,
// pgid; a leaf element flags, pos, ksize, vsize, its value after its key;
// a bucket's value starts with its root page's number (0: inline).
const (
	boltElemSize   = 16
	boltBucketLeaf = 0x01
	// boltMaxDepth bounds the walk, far above any real tree's height.
	boltMaxDepth = 64
)

// pageCheck walks an index's pages from the root bucket, as bbolt's
// check will, checking what it will read: each page is the page it is
// said to be, and of the kind expected, and each element's key lies in
// its page. Headers are read through tx.Page, guarded; branch pages and
// the root bucket's leaves are read from the file.
type pageCheck struct {
	ix   *Index
	tx   *bolt.Tx
	f    *os.File
	m    boltMeta
	seen map[uint64]bool
}

func (pc *pageCheck) check() error {
	if pc.m.freelist != boltNoFreelist {
		if _, err := pc.header(pc.m.freelist, "freelist"); err != nil {
			return err
		}
	}
	return pc.walk(pc.m.root, true, 0)
}

// pageHead is what a page's header says of it.
type pageHead struct {
	typ      string // "branch", "leaf", "freelist", "free", ...
	overflow uint64 // pages after the first it takes
}

// header checks page id is one of kind ("" for branch or leaf), and
// returns its header.
func (pc *pageCheck) header(id uint64, kind string) (pageHead, error) {
	if id < 2 || id >= pc.m.pgid {
		return pageHead{}, damaged(pc.ix.path, "a link to page %d, past its last page %d", id, pc.m.pgid-1)
	}
	info, err := pc.tx.Page(int(id))
	if err != nil {
		return pageHead{}, fmt.Errorf("index %s: page %d: %w", pc.ix.path, id, err)
	}
	if info == nil {
		return pageHead{}, damaged(pc.ix.path, "page %d cannot be read", id)
	}
	h := pageHead{typ: info.Type, overflow: uint64(info.OverflowCount)}
	switch {
	case uint64(info.ID) != id:
		return h, damaged(pc.ix.path, "page %d says it is page %d", id, info.ID)
	case kind == "" && h.typ != "branch" && h.typ != "leaf", kind != "" && h.typ != kind:
		return h, damaged(pc.ix.path, "page %d is a %s page where a link leads", id, h.typ)
	case id+h.overflow >= pc.m.pgid:
		return h, damaged(pc.ix.path, "page %d runs past the last page", id)
	}
	return h, nil
}

// walk checks the tree rooted at page id: a bucket's, or the root
// bucket's (root), whose leaves name the buckets.
func (pc *pageCheck) walk(id uint64, root bool, depth int) error {
	if depth > boltMaxDepth || pc.seen[id] {
		return damaged(pc.ix.path, "page %d is linked twice, or in a loop", id)
	}
	pc.seen[id] = true
	h, err := pc.header(id, "")
	if err != nil {
		return err
	}
	if h.typ == "leaf" && !root {
		return nil // its elements are read by the cursors, guarded
	}
	ps := pc.m.pageSize
	page := make([]byte, (h.overflow+1)*ps)
	if _, err := pc.f.ReadAt(page, int64(id*ps)); err != nil {
		return fmt.Errorf("index %s: page %d: %w", pc.ix.path, id, err)
	}
	ne := binary.NativeEndian
	count := uint64(ne.Uint16(page[10:]))
	if boltPageHeader+count*boltElemSize > uint64(len(page)) {
		return damaged(pc.ix.path, "page %d holds more elements than fit", id)
	}
	for i := uint64(0); i < count; i++ {
		off := boltPageHeader + i*boltElemSize
		e := page[off : off+boltElemSize]
		if h.typ == "branch" {
			pos, ksize, child := uint64(ne.Uint32(e)), uint64(ne.Uint32(e[4:])), ne.Uint64(e[8:])
			if off+pos+ksize > uint64(len(page)) {
				return damaged(pc.ix.path, "page %d: key %d lies past the page", id, i)
			}
			if err := pc.walk(child, root, depth+1); err != nil {
				return err
			}
			continue
		}
		flags, pos := ne.Uint32(e), uint64(ne.Uint32(e[4:]))
		ksize, vsize := uint64(ne.Uint32(e[8:])), uint64(ne.Uint32(e[12:]))
		end := off + pos + ksize + vsize
		if end > uint64(len(page)) {
			return damaged(pc.ix.path, "page %d: entry %d lies past the page", id, i)
		}
		if flags&boltBucketLeaf == 0 {
			continue
		}
		if vsize < 16 {
			return damaged(pc.ix.path, "page %d: bucket %d is too short", id, i)
		}
		if sub := ne.Uint64(page[off+pos+ksize:]); sub != 0 {
			if err := pc.walk(sub, false, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// entryName prints a key as the index builds them: name, then file.
func entryName(k []byte) string {
	name, file, ok := strings.Cut(string(k), "\x00")
	if !ok {
		return fmt.Sprintf("%q", name)
	}
	return fmt.Sprintf("%q (%s)", name, file)
}
