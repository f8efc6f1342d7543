// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	json "github.com/goccy/go-json"
	bolt "go.etcd.io/bbolt"

	"lockbot/cparse"
)

// typeDef is a struct as one header defines it.
type typeDef struct {
	File   string                 `json:"file"`
	Fields map[string]cparse.Type `json:"fields"`
}

// Struct implements flow.TypeSource: a struct of the tree's headers.
// Where headers define it differently (per architecture, or under #ifdef)
// the definition with the most fields is taken, the first file's on a tie.
func (ix *Index) Struct(name string) *cparse.Struct {
	ix.typesMu.Lock()
	defer ix.typesMu.Unlock()
	if st, ok := ix.types[name]; ok {
		return st
	}
	var defs []typeDef
	err := ix.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTypes)
		if b == nil {
			return nil
		}
		return ix.eachFileEntry(b, name, func(data []byte) error {
			var d typeDef
			if err := json.Unmarshal(data, &d); err != nil {
				return err
			}
			defs = append(defs, d)
			return nil
		})
	})
	var st *cparse.Struct
	if err != nil {
		// The struct is then unknown, and member calls through it
		// untyped: as much damage to report as a record's.
		ix.RecordError(name, err)
	} else {
		var best *typeDef
		for i := range defs {
			d := &defs[i]
			if best == nil || len(d.Fields) > len(best.Fields) || len(d.Fields) == len(best.Fields) && d.File < best.File {
				best = d
			}
		}
		if best != nil {
			st = &cparse.Struct{Name: name, Fields: best.Fields}
		}
	}
	ix.types[name] = st
	return st
}

// resetTypes forgets the structs read: an update may change them.
func (ix *Index) resetTypes() {
	ix.typesMu.Lock()
	ix.types = map[string]*cparse.Struct{}
	ix.consts = map[string]constVal{}
	ix.typesMu.Unlock()
}

// editTypes replaces file's definition of struct name with fields.
func editTypes(tx *bolt.Tx, name, file string, fields map[string]cparse.Type) error {
	if fields == nil {
		return putFileEntry(tx.Bucket(bucketTypes), name, file, nil)
	}
	return putFileEntry(tx.Bucket(bucketTypes), name, file, typeDef{File: file, Fields: fields})
}
