package rules

import (
	"strings"
	"sync"

	"lockbot/kb"
)

// Externals supplies functions defined outside the analysed files. Lookup
// is called from the analysis workers at once, and returns nil for a name
// it does not know or cannot tell apart (two non-static definitions).
type Externals interface {
	Lookup(name string) *FuncInfo
}

// RecordSet is Externals over records held in memory, decoded when first
// called.
type RecordSet struct {
	k       *kb.KB
	mu      sync.Mutex
	records map[string][]*FuncRecord
	decoded map[string]*FuncInfo
}

// NewRecordSet holds records for lookup by name.
func NewRecordSet(k *kb.KB, recs []*FuncRecord) *RecordSet {
	s := &RecordSet{k: k, records: map[string][]*FuncRecord{}, decoded: map[string]*FuncInfo{}}
	for _, r := range recs {
		s.records[r.Name] = append(s.records[r.Name], r)
	}
	return s
}

// Lookup returns the one visible definition of name: the non-static one,
// or a static inline of a header when it is the only definition.
func (s *RecordSet) Lookup(name string) *FuncInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fi, ok := s.decoded[name]; ok {
		return fi
	}
	r := pickRecord(s.records[name])
	var fi *FuncInfo
	if r != nil {
		var err error
		if fi, err = r.FuncInfo(s.k); err != nil {
			fi = nil // a record this knowledge base cannot read is unknown
		} else {
			fi.external = true
		}
	}
	s.decoded[name] = fi
	return fi
}

// pickRecord chooses among definitions of one name: a single non-static
// one wins; otherwise a single definition in a header.
func pickRecord(rs []*FuncRecord) *FuncRecord {
	var global, header []*FuncRecord
	for _, r := range rs {
		switch {
		case !r.Static:
			global = append(global, r)
		case strings.HasSuffix(r.File, ".h"):
			header = append(header, r)
		}
	}
	if len(global) == 1 {
		return global[0]
	}
	if len(global) == 0 && len(header) == 1 {
		return header[0]
	}
	// Several headers define it: per-architecture variants
	// (arch_enter_lazy_mmu_mode() disables preemption on some, is empty
	// on x86) or #ifdef alternatives. Which one a build uses is not known
	// here, so none is guessed.
	return nil
}
