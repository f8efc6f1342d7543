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
	var c constVal
	n := 0
	err := ix.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketConsts)
		if b == nil {
			return nil
		}
		return ix.eachFileEntry(b, name, func(data []byte) error {
			v, err := strconv.ParseInt(string(data), 10, 64)
			if err != nil {
				return err
			}
			if n == 0 || c.ok && c.v == v {
				c = constVal{v: v, ok: true}
			} else {
				c.ok = false
			}
			n++
			return nil
		})
	})
	if err != nil {
		// Unknown, so a test of it is not decided: as much damage to
		// report as a record's.
		ix.RecordError(name, err)
		c = constVal{}
	}
	ix.consts[name] = c
	return c.v, c.ok
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
// kbuild.Config.WithDerived.
func (ix *Index) Derived(name string) (string, bool) {
	ix.typesMu.Lock()
	defer ix.typesMu.Unlock()
	if d, ok := ix.derived[name]; ok {
		return d.cond, d.ok
	}
	var d derivedVal
	n := 0
	err := ix.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDerived)
		if b == nil {
			return nil
		}
		return ix.eachFileEntry(b, name, func(data []byte) error {
			var cond string
			if err := json.Unmarshal(data, &cond); err != nil {
				return err
			}
			if n == 0 || d.ok && d.cond == cond {
				d = derivedVal{cond: cond, ok: true}
			} else {
				d.ok = false
			}
			n++
			return nil
		})
	})
	if err != nil {
		ix.RecordError(name, err)
		d = derivedVal{}
	}
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
