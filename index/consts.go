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
