// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"lockbot/cparse"
	"lockbot/flow"
)

// View reads an index with lookup caches of its own: the records it
// decodes and links stay with it, and go with it. The Index's own caches
// keep everything read for as long as it is open, which a whole tree's
// scan would make the whole index; a streaming scan shares a View among
// its workers and takes a new one when it holds too many records. What
// a lookup links does not depend on the lookups before it (see
// flow.RecordSet), so neither do a file's findings. The index's structs
// and its damage are shared. A View is safe for concurrent use, as the
// Index is.
type View struct {
	ix  *Index
	set *flow.RecordSet
	raw *flow.RecordSet
}

// View returns a new reader of the index, choosing among variants by the
// configuration UseKconfig last set.
func (ix *Index) View() *View {
	v := &View{ix: ix, set: flow.NewLinker(ix.k, ix, ix.kc)}
	if ix.kc != nil {
		v.raw = flow.NewLinker(ix.k, ix, nil)
		v.raw.UseVariants(ix.kc)
	}
	return v
}

// Decoded counts the records the view keeps decoded.
func (v *View) Decoded() int {
	n := v.set.Decoded()
	if v.raw != nil {
		n += v.raw.Decoded()
	}
	return n
}

// Lookup implements flow.Externals (see Index.Lookup).
func (v *View) Lookup(name string) *flow.FuncInfo { return v.set.Lookup(name) }

// LookupIn implements flow.Externals (see Index.LookupIn).
func (v *View) LookupIn(name, file string) *flow.FuncInfo { return v.set.LookupIn(name, file) }

// Ops implements flow.Externals (see Index.Ops).
func (v *View) Ops(key string) []flow.OpsTarget { return v.set.Ops(key) }

// LookupUnconfigured implements flow.UnconfiguredLookup (see
// Index.LookupUnconfigured).
func (v *View) LookupUnconfigured(name, file string) *flow.FuncInfo {
	if v.raw == nil {
		return v.set.LookupFrom(name, file)
	}
	return v.raw.LookupFrom(name, file)
}

// KeysWithPrefix implements flow.KeyLister (see Index.KeysWithPrefix).
func (v *View) KeysWithPrefix(prefix string, max int) []string {
	return v.ix.KeysWithPrefix(prefix, max)
}

// Struct implements flow.TypeSource (see Index.Struct).
func (v *View) Struct(name string) *cparse.Struct { return v.ix.Struct(name) }

// Const implements flow.ConstSource (see Index.Const).
func (v *View) Const(name string) (int64, bool) { return v.ix.Const(name) }

// Interfaces the analysis looks for on its Externals.
var (
	_ flow.ConstSource        = (*View)(nil)
	_ flow.Externals          = (*View)(nil)
	_ flow.UnconfiguredLookup = (*View)(nil)
	_ flow.KeyLister          = (*View)(nil)
	_ flow.TypeSource         = (*View)(nil)
)
