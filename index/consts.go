// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"strconv"

	json "github.com/goccy/go-json"
	bolt "go.etcd.io/bbolt"
)

// The shared headers' integer constants (enumerators and #defines of
// include/ and the architecture's include/): a file's analysis reads only
// its local headers, and without these a callee's test of an argument
// against a named constant ("action_code == WLAN_TDLS_SETUP_CONFIRM") is
// not decided by the constant a caller passes
// (WLAN_TDLS_DISCOVERY_REQUEST).

// constVal is a constant's value as the index knows it: ok is false when
// no header defines it, or two define it with different values (per
// architecture, under #ifdef).
type constVal struct {
	v  int64
	ok bool
}

// Const implements flow.ConstSource.
func (ix *Index) Const(name string) (int64, bool) {
	ix.typesMu.Lock()
	defer ix.typesMu.Unlock()
	if c, ok := ix.consts[name]; ok {
		return c.v, c.ok
	}
	v, ok, err := agreed(ix, bucketConsts, name, func(data []byte) (int64, error) {
		return strconv.ParseInt(string(data), 10, 64)
	})
	if err != nil {
		// Unknown, so a test of it is not decided: as much damage to
		// report as a record's.
		ix.RecordError(name, err)
	}
	c := constVal{v: v, ok: ok}
	ix.consts[name] = c
	return c.v, c.ok
}

// agreed reads name's entries in bucket, one per file that has one, and
// returns their value when every file agrees on it; ok is false when
// none has one, two disagree, or an entry is damaged (err).
func agreed[T comparable](ix *Index, bucket []byte, name string, decode func([]byte) (T, error)) (val T, ok bool, err error) {
	var zero T
	n := 0
	err = ix.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		return ix.eachFileEntry(b, name, func(data []byte) error {
			v, err := decode(data)
			if err != nil {
				return err
			}
			if n == 0 || ok && val == v {
				val, ok = v, true
			} else {
				ok = false
			}
			n++
			return nil
		})
	})
	if err != nil || !ok {
		return zero, false, err
	}
	return val, true, nil
}

// editConsts sets (or with !set removes) file's value of constant name.
func editConsts(tx *bolt.Tx, name, file string, v int64, set bool) error {
	if !set {
		return putFileEntry(tx.Bucket(bucketConsts), name, file, nil)
	}
	return putFileEntry(tx.Bucket(bucketConsts), name, file, json.RawMessage(strconv.FormatInt(v, 10)))
}

// derivedVal is the condition under which the shared headers define a
// macro: ok is false when none does, or two do under different
// conditions.
type derivedVal struct {
	cond string
	ok   bool
}

// Derived returns the #if expression under which the shared headers
// define the object-like macro name (mm.h's HASHED_PAGE_VIRTUAL under
// "defined(CONFIG_HIGHMEM) && !defined(WANT_PAGE_VIRTUAL)"), for
// kbuild.Config.SetDerived.
func (ix *Index) Derived(name string) (string, bool) {
	ix.typesMu.Lock()
	defer ix.typesMu.Unlock()
	if d, ok := ix.derived[name]; ok {
		return d.cond, d.ok
	}
	cond, ok, err := agreed(ix, bucketDerived, name, func(data []byte) (string, error) {
		var cond string
		err := json.Unmarshal(data, &cond)
		return cond, err
	})
	if err != nil {
		ix.RecordError(name, err)
	}
	d := derivedVal{cond: cond, ok: ok}
	ix.derived[name] = d
	return d.cond, d.ok
}

// editDerived sets file's condition for macro name, or removes it ("").
func editDerived(tx *bolt.Tx, name, file, cond string) error {
	if cond == "" {
		return putFileEntry(tx.Bucket(bucketDerived), name, file, nil)
	}
	data, err := json.Marshal(cond)
	if err != nil {
		return err
	}
	return putFileEntry(tx.Bucket(bucketDerived), name, file, json.RawMessage(data))
}
