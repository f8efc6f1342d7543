// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"lockbot/diff"
	"lockbot/kb"
)

// writeTree writes files (path: content) under a new directory.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	tree := t.TempDir()
	for rel, src := range files {
		writeFile(t, tree, rel, src)
	}
	return tree
}

func writeFile(t *testing.T, tree, rel, src string) {
	t.Helper()
	p := filepath.Join(tree, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// touch gives a file a new modification time, which an update sees.
func touch(t *testing.T, tree, rel string) {
	t.Helper()
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(tree, rel), later, later); err != nil {
		t.Fatal(err)
	}
}

func update(t *testing.T, ix *Index, tree string) *UpdateStats {
	t.Helper()
	st, err := ix.Update(context.Background(), UpdateOptions{Tree: tree, Workers: 1, IncludeDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// failing reads the tree as the index does, but reading a file whose
// path ends in one of names fails, as EACCES or EIO would.
func failing(names ...string) readFunc {
	return func(p string) ([]byte, error) {
		for _, n := range names {
			if strings.HasSuffix(p, n) {
				return nil, &os.PathError{Op: "read", Path: p, Err: syscall.EIO}
			}
		}
		return readRegular(p)
	}
}

// TestIndexRetriesUnreadable: a file that cannot be read keeps the
// records it had and is tried again on the next run, however long it
// stays unreadable; a new one is not recorded until it is read; a file
// whose include cannot be read is not recorded without it.
func TestIndexRetriesUnreadable(t *testing.T) {
	tree := copyTree(t)
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 1)
	defer ix.Close()
	const core = "drivers/foo/foo_core.c"
	touch(t, tree, core)
	ix.read = failing(core)
	st := update(t, ix, tree)
	if st.Failed != 1 || !reflect.DeepEqual(st.Unreadable, []string{core}) || st.Analysed != 0 {
		t.Fatalf("update with %s unreadable: %+v, want it failed, and named", core, st)
	}
	if recs, err := ix.Records("foo_resize"); err != nil || len(recs) != 1 {
		t.Errorf("foo_resize after its file could not be read: %v %v, want its old record kept", recs, err)
	}
	// Still unreadable: tried again, not taken for unchanged.
	if st := update(t, ix, tree); st.Failed != 1 || st.Unchanged != 12 {
		t.Errorf("second update, still unreadable: %+v, want it tried and failed again", st)
	}
	ix.read = readRegular
	if st := update(t, ix, tree); st.Analysed != 1 || st.Failed != 0 || st.Unchanged != 12 {
		t.Errorf("update once readable: %+v, want %s analysed", st, core)
	}
	if recs, err := ix.Records("foo_resize"); err != nil || len(recs) != 1 {
		t.Errorf("foo_resize once readable: %v %v", recs, err)
	}

	// A new file that cannot be read has no records until it is read.
	const added = "drivers/foo/foo_new.c"
	writeFile(t, tree, added, "void foo_new(void)\n{\n}\n")
	ix.read = failing(added)
	for run := 1; run <= 2; run++ {
		if st := update(t, ix, tree); st.Failed != 1 || st.Analysed != 0 {
			t.Errorf("run %d with a new unreadable file: %+v, want it failed", run, st)
		}
		if recs, _ := ix.Records("foo_new"); len(recs) != 0 {
			t.Errorf("run %d: foo_new recorded though never read: %+v", run, recs)
		}
	}
	ix.read = readRegular
	if st := update(t, ix, tree); st.Analysed != 1 || st.Failed != 0 {
		t.Errorf("the new file readable: %+v, want it analysed", st)
	}
	if recs, _ := ix.Records("foo_new"); len(recs) != 1 {
		t.Errorf("foo_new once readable: %+v", recs)
	}

	// foo_main.c changes, and foo.h, which it includes, cannot be read:
	// without foo.h its summary would lose the lock foo_lock() takes.
	const main = "drivers/foo/foo_main.c"
	touch(t, tree, main)
	ix.read = failing("drivers/foo/foo.h")
	st = update(t, ix, tree)
	if st.Failed != 1 || !reflect.DeepEqual(st.Unreadable, []string{main}) {
		t.Errorf("an includer of an unreadable header: %+v, want %s failed", st, main)
	}
	ix.read = readRegular
	if st := update(t, ix, tree); st.Analysed != 1 || st.Failed != 0 {
		t.Errorf("the header readable again: %+v, want %s analysed", st, main)
	}
}

// TestIndexNotParsed: a file that reads but is not C is recorded as
// analysed with no functions, named in the stats, and not tried again
// until it changes (it would fail the same way).
func TestIndexNotParsed(t *testing.T) {
	tree := copyTree(t)
	const junk = "drivers/foo/blob.c"
	writeFile(t, tree, junk, "\x7fELF\x00\x00\x01binary")
	ix, st := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 1)
	defer ix.Close()
	if !reflect.DeepEqual(st.NotParsed, []string{junk}) || st.Failed != 0 || st.Analysed != 14 {
		t.Errorf("build: %+v, want %s not parsed, 14 analysed, none failed", st, junk)
	}
	if st := update(t, ix, tree); st.Unchanged != 14 || len(st.NotParsed) != 0 {
		t.Errorf("second update: %+v, want everything unchanged", st)
	}
}

// snapshot is everything an index holds but the files' times: the records
// and entries of dump, each bucket's keys, and the header records' owners.
func snapshot(t *testing.T, path string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o644, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	err = db.View(func(tx *bolt.Tx) error {
		for _, b := range sealedBuckets {
			err := tx.Bucket(b).ForEach(func(k, v []byte) error {
				line := string(b) + " " + strings.ReplaceAll(string(k), "\x00", " ")
				if bytes.Equal(b, bucketOwners) {
					owner, err := unseal(k, v)
					if err != nil {
						return err
					}
					line += " <- " + string(owner)
				}
				lines = append(lines, line)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n") + "\n" + dump(t, path)
}

// TestIndexHeaderOwnerGone: a local header's static inline is recorded
// once, from its first includer by path. When that includer is removed,
// or stops including the header, an update gives the index a clean
// build of the same tree gives: the next includer's record.
func TestIndexHeaderOwnerGone(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(tree string)
	}{
		{"owner removed", func(tree string) {
			if err := os.Remove(filepath.Join(tree, "drv/a.c")); err != nil {
				t.Fatal(err)
			}
		}},
		{"owner removed, a later includer changed", func(tree string) {
			// c.c, analysed in this update, takes the records first; b.c,
			// unchanged, comes before it.
			if err := os.Remove(filepath.Join(tree, "drv/a.c")); err != nil {
				t.Fatal(err)
			}
			writeFile(t, tree, "drv/c.c", "#include \"h.h\"\nvoid c(int *p) { hi(); ho(p); }\n")
			touch(t, tree, "drv/c.c")
		}},
		{"owner stops including", func(tree string) {
			writeFile(t, tree, "drv/a.c", "#include \"defs.h\"\nvoid a(void) { helper(2); }\n")
			touch(t, tree, "drv/a.c")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree := writeTree(t, map[string]string{
				"drv/defs.h": "static inline void helper(int x) { }\n",
				"drv/h.h":    "static inline void hi(void) { helper(1); }\nstatic inline void ho(int *p) { *p = 1; }\n",
				"drv/a.c":    "#include \"defs.h\"\n#include \"h.h\"\nvoid a(int *p) { hi(); ho(p); }\n",
				"drv/b.c":    "#include \"h.h\"\nvoid b(int *p) { hi(); ho(p); }\n",
				"drv/c.c":    "#include \"h.h\"\nvoid c(void) { hi(); }\n",
			})
			path := filepath.Join(t.TempDir(), "inc.db")
			ix, _ := build(t, tree, path, 1)
			tc.change(tree)
			st := update(t, ix, tree)
			ix.Close()
			if st.Requeued == 0 {
				t.Errorf("update %+v: no includer analysed again", st)
			}
			clean := filepath.Join(t.TempDir(), "clean.db")
			ix, _ = build(t, tree, clean, 1)
			ix.Close()
			got, want := snapshot(t, path), snapshot(t, clean)
			if got != want {
				t.Errorf("after the update:\n%s\n--- a clean build:\n%s", got, want)
			}
			if !strings.Contains(want, "owners hi drv/h.h <- drv/b.c") {
				t.Errorf("clean build: hi's record is not b.c's:\n%s", want)
			}
		})
	}
}

// TestIndexSpecialFiles: a FIFO named like C, a header that is a symlink
// to /dev/zero (as git can commit), and a symlink to a device among
// include/'s headers are skipped and named, never opened: the update ends,
// without blocking on the FIFO nor reading /dev/zero without end.
func TestIndexSpecialFiles(t *testing.T) {
	tree := writeTree(t, map[string]string{
		"drivers/x/a.c":       "#include \"zero.h\"\nvoid a(void) { }\n",
		"drivers/x/b.c":       "void b(void) { }\n",
		"drivers/y/c.c":       "#include \"zero.h\"\n#include \"dev.h\"\nvoid c(void) { }\n",
		"include/linux/ok.h":  "static inline void ok(void) { }\n",
		"drivers/y/fine.h":    "static inline void fine(void) { }\n",
		"drivers/y/README.md": "not C\n",
	})
	if err := syscall.Mkfifo(filepath.Join(tree, "drivers/x/f.c"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for link, target := range map[string]string{
		"drivers/x/zero.h":     "/dev/zero",
		"drivers/y/zero.h":     "/dev/zero",
		"drivers/y/dev.h":      "../x/f.c",
		"include/linux/zero.h": "/dev/zero",
		"drivers/y/null.c":     "/dev/null",
	} {
		if err := os.Symlink(target, filepath.Join(tree, link)); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := Open(filepath.Join(t.TempDir(), "index.db"), kb.MustDefault(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	type outcome struct {
		st  *UpdateStats
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		st, err := ix.Update(context.Background(), UpdateOptions{Tree: tree, Workers: 2, IncludeDepth: 2})
		done <- outcome{st, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the update did not end in 60 s: a FIFO or a device was read")
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
	want := []string{"drivers/x/f.c", "drivers/x/zero.h", "drivers/y/dev.h", "drivers/y/null.c", "drivers/y/zero.h", "include/linux/zero.h"}
	if !reflect.DeepEqual(o.st.Skipped, want) {
		t.Errorf("skipped %q, want %q", o.st.Skipped, want)
	}
	if o.st.Files != 4 || o.st.Analysed != 4 || o.st.Failed != 0 {
		t.Errorf("stats %+v, want a.c, b.c, c.c and ok.h analysed", o.st)
	}
	for _, fn := range []string{"a", "b", "c", "ok"} {
		if recs, err := ix.Records(fn); err != nil || len(recs) != 1 {
			t.Errorf("%s: %v %v, want its record", fn, recs, err)
		}
	}
}

func TestReadRegular(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.h")
	if err := os.WriteFile(big, make([]byte, 9<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readRegular(big); !errors.Is(err, diff.ErrTooLarge) {
		t.Errorf("a 9 MiB file: %v, want errTooLarge", err)
	}
	if _, err := readRegular("/dev/zero"); !errors.Is(err, diff.ErrNotRegular) {
		t.Errorf("/dev/zero: %v, want errNotRegular", err)
	}
	if _, err := readRegular(dir); !absent(err) {
		t.Errorf("a directory: %v, want it taken for absent, not noted as skipped", err)
	}
	ok := filepath.Join(dir, "ok.c")
	os.WriteFile(ok, []byte("int x;\n"), 0o644)
	if data, err := readRegular(ok); err != nil || string(data) != "int x;\n" {
		t.Errorf("a small file: %q %v", data, err)
	}
}

// built is a sound index of the test tree, its bytes, and what reading
// it needs.
type built struct {
	path  string
	data  []byte
	pageS int
	// values are the records' sealed values by key.
	values map[string][]byte
}

func buildFile(t *testing.T) built {
	t.Helper()
	tree := copyTree(t)
	b := built{path: filepath.Join(t.TempDir(), "index.db"), values: map[string][]byte{}}
	ix, _ := build(t, tree, b.path, 1)
	err := ix.db.View(func(tx *bolt.Tx) error {
		b.pageS = tx.DB().Info().PageSize
		return tx.Bucket(bucketFuncs).ForEach(func(k, v []byte) error {
			b.values[string(k)] = bytes.Clone(v)
			return nil
		})
	})
	ix.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b.data, err = os.ReadFile(b.path); err != nil {
		t.Fatal(err)
	}
	return b
}

// damage writes a damaged copy of the index.
func (b built) damage(t *testing.T, fn func(data []byte) []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "damaged.db")
	if err := os.WriteFile(p, fn(bytes.Clone(b.data)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// isDamaged checks err says the index is damaged, and the fix.
func isDamaged(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil || !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "delete it and run lockbot index") {
		t.Errorf("%s: %v, want an error saying the index is damaged, and the fix", what, err)
	}
}

// TestIndexDamagedFile: a truncated, empty, or overwritten file is refused
// when opened, for reading or writing, with an error saying it is
// damaged: never a crash (bbolt faults reading past the end of a file
// cut short, and panics on a page that is not what it expects).
func TestIndexDamagedFile(t *testing.T) {
	b := buildFile(t)
	random := func(data []byte, from, to int) {
		r := rand.New(rand.NewSource(1))
		for i := from; i < to; i++ {
			data[i] = byte(r.Intn(256))
		}
	}
	for _, tc := range []struct {
		name string
		fn   func([]byte) []byte
		// write: opening for an update refuses it too.
		write bool
	}{
		{"truncated", func(d []byte) []byte { return d[:len(d)/2] }, true},
		{"empty", func(d []byte) []byte { return nil }, false},
		{"stub", func(d []byte) []byte { return d[:4096] }, true},
		{"meta page 0 overwritten", func(d []byte) []byte { random(d, 16, 80); return d }, false},
		{"both meta pages overwritten", func(d []byte) []byte { random(d, 0, 2*b.pageS); return d }, true},
		{"page headers overwritten", func(d []byte) []byte {
			// Every data page claims another page's number.
			for off := 2 * b.pageS; off+8 <= len(d); off += b.pageS {
				d[off] ^= 0x55
			}
			return d
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.damage(t, tc.fn)
			ix, err := Open(p, kb.MustDefault(), false)
			if err == nil {
				// Opened: reading it must say so.
				_, err = ix.Records("foo_resize")
				ix.Close()
			}
			isDamaged(t, "read-only", err)
			if tc.write {
				ix, err := Open(p, kb.MustDefault(), true)
				if err == nil {
					ix.Close()
				}
				isDamaged(t, "for writing", err)
			}
		})
	}
	// An empty file for writing is a new index: what deleting it gives.
	p := b.damage(t, func([]byte) []byte { return nil })
	ix, err := Open(p, kb.MustDefault(), true)
	if err != nil {
		t.Fatalf("an empty file for writing: %v", err)
	}
	ix.Close()
	// One meta page damaged, for writing: the earlier state, rewritten,
	// and a warning.
	p = b.damage(t, func(d []byte) []byte { random(d, 16, 80); return d })
	var log bytes.Buffer
	ix, err = OpenWith(p, kb.MustDefault(), OpenOptions{Write: true, Log: logTo(&log)})
	if err != nil {
		t.Fatalf("one meta page damaged, for writing: %v", err)
	}
	ix.Close()
	if !strings.Contains(log.String(), "meta page 0 is not valid") {
		t.Errorf("one meta page damaged, for writing: no warning:\n%s", log.String())
	}
	if ix, err = Open(p, kb.MustDefault(), false); err != nil {
		t.Errorf("after a write, the meta page rewritten: %v", err)
	} else {
		ix.Close()
	}
}

// logTo is a logger writing text into a buffer.
func logTo(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// TestIndexDamagedRecords: bytes flipped in records are found, when the
// records are read and by Check; a lookup takes the function for unknown,
// but says so once, with the function and the fix, and Err returns it.
func TestIndexDamagedRecords(t *testing.T) {
	b := buildFile(t)
	keys := make([]string, 0, len(b.values))
	for k := range b.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	r := rand.New(rand.NewSource(7))
	hit := map[string]bool{}
	p := b.damage(t, func(d []byte) []byte {
		for len(hit) < 3 {
			k := keys[r.Intn(len(keys))]
			if hit[k] {
				continue
			}
			off := bytes.Index(d, b.values[k])
			if off < 0 {
				t.Fatalf("%q: value not found in the file", k)
			}
			d[off+r.Intn(len(b.values[k]))] ^= byte(1 + r.Intn(255))
			hit[k] = true
		}
		return d
	})
	var log bytes.Buffer
	ix, err := OpenWith(p, kb.MustDefault(), OpenOptions{Log: logTo(&log)})
	if err != nil {
		t.Fatalf("open: %v (the damage is in records alone)", err)
	}
	for k := range hit {
		name, file, _ := strings.Cut(k, "\x00")
		_, err := ix.Records(name)
		isDamaged(t, "records of "+name, err)
		if err != nil && !strings.Contains(err.Error(), name) || err != nil && !strings.Contains(err.Error(), file) {
			t.Errorf("%v does not name the record %s (%s)", err, name, file)
		}
	}
	_, err = ix.Check()
	isDamaged(t, "Check", err)

	var damagedKeys []string
	for k := range hit {
		damagedKeys = append(damagedKeys, k)
	}
	sort.Strings(damagedKeys)
	first, _, _ := strings.Cut(damagedKeys[0], "\x00")
	for i := 0; i < 2; i++ {
		if fi := ix.Lookup(first); fi != nil {
			t.Errorf("lookup of the damaged %s: %v", first, fi)
		}
	}
	if n := strings.Count(log.String(), "level=ERROR"); n != 1 || !strings.Contains(log.String(), first) ||
		!strings.Contains(log.String(), "delete it and run lockbot index") {
		t.Errorf("log (%d errors), want one naming %s with the fix:\n%s", n, first, log.String())
	}
	isDamaged(t, "Err", ix.Err())
	ix.Close()
	// Not updated either: bbolt trusts the pages it rewrites.
	if w, err := Open(p, kb.MustDefault(), true); err == nil {
		w.Close()
		t.Error("opened for writing")
	} else {
		isDamaged(t, "for writing", err)
	}

	// A sound index: Check passes, Err is nil.
	sound, err := Open(b.path, kb.MustDefault(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer sound.Close()
	if cs, err := sound.Check(); err != nil || cs.Entries == 0 {
		t.Errorf("Check of a sound index: %+v %v", cs, err)
	}
	if sound.Lookup("foo_resize") == nil || sound.Err() != nil {
		t.Errorf("a sound index: foo_resize not found, or Err %v", sound.Err())
	}
}

// TestIndexUndecodableRecord: a record that passes its checksum but does
// not decode (a context kind this knowledge base does not know) is not
// dropped silently: the lookup logs it once, with the fix.
func TestIndexUndecodableRecord(t *testing.T) {
	tree := copyTree(t)
	var log bytes.Buffer
	path := filepath.Join(t.TempDir(), "index.db")
	ix, _ := build(t, tree, path, 1)
	key := funcKey("foo_lock", "drivers/foo/foo.h")
	if err := ix.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketFuncs)
		rec, err := unpackRecord(key, b.Get(key))
		if err != nil {
			return err
		}
		rec.Outcomes[0].Acquired[0].Kind = "no_such_kind"
		v, err := packRecord(key, rec)
		if err != nil {
			return err
		}
		return b.Put(key, v)
	}); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	ix, err := OpenWith(path, kb.MustDefault(), OpenOptions{Log: logTo(&log)})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.LookupIn("foo_lock", "drivers/foo/foo.h") != nil {
		t.Fatal("foo_lock's record decoded with an unknown kind")
	}
	ix.LookupIn("foo_lock", "drivers/foo/foo.h")
	if n := strings.Count(log.String(), "level=ERROR"); n != 1 || !strings.Contains(log.String(), "foo_lock") ||
		!strings.Contains(log.String(), "no_such_kind") || !strings.Contains(log.String(), "delete it and run lockbot index") {
		t.Errorf("log (%d errors), want one naming foo_lock, why, and the fix:\n%s", n, log.String())
	}
	isDamaged(t, "Err", ix.Err())
}

// TestIndexRandomDamage: bytes flipped anywhere past the meta pages never
// crash lockbot: opening, Check, reading records, and updating end, with
// or without an error (a flip in a page's unused room changes nothing).
// Updating a damaged file unchecked once had bbolt point the Go heap at
// memory outside an inline bucket, which the collector found later: a
// crash that depends on its timing, so this runs many copies.
func TestIndexRandomDamage(t *testing.T) {
	b := buildFile(t)
	tree := copyTree(t)
	keys := make([]string, 0, len(b.values))
	for k := range b.values {
		name, _, _ := strings.Cut(k, "\x00")
		keys = append(keys, name)
	}
	sort.Strings(keys)
	quiet := slog.New(slog.DiscardHandler)
	found := 0
	const rounds = 40
	for seed := int64(0); seed < rounds; seed++ {
		r := rand.New(rand.NewSource(seed))
		p := b.damage(t, func(d []byte) []byte {
			for i := 0; i < 1+int(seed%8); i++ {
				d[2*b.pageS+r.Intn(len(d)-2*b.pageS)] ^= byte(1 + r.Intn(255))
			}
			return d
		})
		ix, err := OpenWith(p, kb.MustDefault(), OpenOptions{Log: quiet})
		if err == nil {
			_, err = ix.Check()
			for _, k := range keys {
				ix.Lookup(k)
			}
			if err == nil {
				err = ix.Err()
			}
			ix.Close()
		}
		if err != nil {
			found++
		}
		w, err := OpenWith(p, kb.MustDefault(), OpenOptions{Write: true, Log: quiet})
		if err != nil {
			continue
		}
		touch(t, tree, "drivers/foo/foo_core.c")
		w.Update(context.Background(), UpdateOptions{Tree: tree, Workers: 1, IncludeDepth: 2})
		w.Close()
	}
	t.Logf("%d of %d damaged copies found damaged", found, rounds)
	if found == 0 {
		t.Error("no damage found in any copy")
	}
}

// TestIndexOldLayout: an index of an earlier layout (records without
// checksums) is refused for reading with "rebuild it", and rebuilt by an
// update, not taken for damaged.
func TestIndexOldLayout(t *testing.T) {
	tree := copyTree(t)
	path := filepath.Join(t.TempDir(), "index.db")
	ix, _ := build(t, tree, path, 1)
	if err := ix.write(func(tx *bolt.Tx) error {
		// As layout 5 wrote them: a version before, values bare.
		old := []byte(strings.TrimSuffix(version(), "6") + "5")
		if err := tx.Bucket(bucketMeta).Put(keyVersion, old); err != nil {
			return err
		}
		return tx.Bucket(bucketFuncs).Put(funcKey("foo_old", "drivers/foo/foo_core.c"), []byte("bare"))
	}); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	if _, err := Open(path, kb.MustDefault(), false); !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "rebuild it") {
		t.Errorf("reading an index of layout 5: %v, want ErrStale", err)
	}
	ix, st := build(t, tree, path, 1)
	defer ix.Close()
	if st.Analysed != 13 {
		t.Errorf("update of an index of layout 5: %+v, want all 13 files analysed", st)
	}
	if recs, err := ix.Records("foo_old"); err != nil || len(recs) != 0 {
		t.Errorf("foo_old: %v %v, want the old records gone", recs, err)
	}
}
