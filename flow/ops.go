package flow

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"lockbot/cparse"
)

// OpsTarget is a function an ops table stores in a struct member: a call
// through that member may call it.
type OpsTarget struct {
	Fn   string `json:"fn"`
	File string `json:"file"`
	Line int    `json:"line"` // of the initializer
}

// maxOpsTargets bounds the implementations a call through a member is
// taken to reach. A member every driver fills (file_operations.open) says
// nothing of which one a call site reaches; a handful of implementations
// of a subsystem's own ops do.
const maxOpsTargets = 8

// opsTable holds the ops tables of the analysed files and, through the
// externals, of the tree.
type opsTable struct {
	local map[string][]OpsTarget
	mu    sync.Mutex
	all   map[string][]OpsTarget
}

func newOpsTable(files []*cparse.File) *opsTable {
	t := &opsTable{local: map[string][]OpsTarget{}, all: map[string][]OpsTarget{}}
	for _, f := range files {
		for _, o := range f.Ops {
			t.local[o.Key()] = append(t.local[o.Key()], OpsTarget{Fn: o.Fn, File: f.Path, Line: o.Line})
		}
	}
	return t
}

// opsTargets lists what ops tables store in member key ("struct
// target_type.map"): the analysed files' own, then the index's for other
// files.
func (p *Program) opsTargets(key string) []OpsTarget {
	t := p.ops
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.all[key]; ok {
		return l
	}
	l := append([]OpsTarget(nil), t.local[key]...)
	if p.ext != nil {
		for _, x := range p.ext.Ops(key) {
			if !p.analysedFile(x.File) {
				l = append(l, x)
			}
		}
	}
	t.all[key] = l
	return l
}

// analysedFile reports whether a tree-relative path (an index's) is one of
// the analysed files, which speak for themselves.
func (p *Program) analysedFile(rel string) bool {
	for _, f := range p.Files {
		if f.Path == rel || strings.HasSuffix(f.Path, string(filepath.Separator)+filepath.FromSlash(rel)) {
			return true
		}
	}
	return false
}

// lookupIn finds the definition of name in file: an analysed one, or the
// index's.
func (p *Program) lookupIn(name, file string) *FuncInfo {
	for _, c := range p.byName[name] {
		if c.F.File.Path == file {
			return c
		}
	}
	if p.ext != nil {
		return p.ext.LookupIn(name, file)
	}
	return nil
}

// opsMember returns the member a call goes through ("struct
// target_type.map" for ti->type->map(ti, bio)), when the type of the
// object is known.
func opsMember(env typeEnv, call *cparse.Expr) string {
	fx := call.X.Strip()
	if fx == nil || fx.Kind != cparse.EField {
		return ""
	}
	t, ok := env.typeOf(fx.X)
	if !ok || !strings.HasPrefix(t.Base, "struct ") || t.Array {
		return ""
	}
	if want := map[string]int{"->": 1, ".": 0}[fx.Op]; t.Ptr != want {
		return ""
	}
	return t.Base + "." + fx.Name
}

// opsCallee is a function a call through a member may reach.
type opsCallee struct {
	g    *FuncInfo
	step Step
}

// opsCallees resolves a call through a member to the functions ops tables
// store there, with the call step that says so.
func (f *flow) opsCallees(s *cparse.Stmt) []opsCallee {
	if l, ok := f.opsMemo[s.ID]; ok {
		return l
	}
	var l []opsCallee
	if key := opsMember(f.env, s.Call); key != "" {
		if ts := f.p.opsTargets(key); len(ts) <= maxOpsTargets {
			for _, t := range ts {
				g := f.p.lookupIn(t.Fn, t.File)
				if g == nil || g.Sum == nil || g == f.fi {
					continue
				}
				l = append(l, opsCallee{g, f.step(s.Line, opsNote(g.F.Name, key, t))})
			}
		}
	}
	if f.opsMemo == nil {
		f.opsMemo = map[int][]opsCallee{}
	}
	f.opsMemo[s.ID] = l
	return l
}

// opsMatter reports a call through a member that reaches an
// implementation with a summary callers must see (what opsCallees follows).
func (p *Program) opsMatter(fi *FuncInfo, s *cparse.Stmt) bool {
	key := opsMember(typeEnv{p, fi.F}, s.Call)
	if key == "" {
		return false
	}
	ts := p.opsTargets(key)
	if len(ts) > maxOpsTargets {
		return false
	}
	for _, t := range ts {
		if g := p.lookupIn(t.Fn, t.File); g != nil && g != fi && g.Sum != nil && !g.Sum.trivial() {
			return true
		}
	}
	return false
}

// opsNote says in a chain that an edge came from an ops table.
func opsNote(fn, key string, t OpsTarget) string {
	return fmt.Sprintf("calls %s() through %s (ops table at %s:%d)", fn, key, filepath.Base(t.File), t.Line)
}

// opsStep tells a chain step opsNote wrote.
func opsStep(s Step) bool {
	return strings.HasPrefix(s.Note, "calls ") && strings.Contains(s.Note, " (ops table at ")
}

// beyondOps reports an effect that a call through an ops table must not
// carry further: one already reached through another ops table. Each such
// edge stands for any of up to maxOpsTargets implementations; two in one
// chain pair implementations that need not ever meet (md-cluster's
// receive thread reaching raid5's ->hot_remove_disk(), and from there
// md-cluster's ->metadata_update_start(), when md-cluster only runs
// raid1 and raid10), and a maintainer cannot tell from the chain whether
// the pairing is real.
func beyondOps(e *Effect) bool {
	for _, s := range e.Chain {
		if opsStep(s) {
			return true
		}
	}
	return false
}
