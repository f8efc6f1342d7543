// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
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
	// Var is the table variable (cparse.OpsInit.Var), "" when unnamed.
	Var string `json:"var,omitempty"`
	// By is the function that registers Fn (RegisterKey's entries).
	By string `json:"by,omitempty"`
	// Chain is the evidence of a lock order site (rules.OrderKey's
	// entries): where Fn took the held lock, and the second.
	Chain []Step `json:"chain,omitempty"`
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
	// members are local's keys by the function stored (file, name),
	// sorted: LocalOps is asked for every function, and scanning local
	// each time made a directory's lock order check quadratic.
	members map[[2]string][]string
	mu      sync.Mutex
	all     map[string][]OpsTarget
	// defined memoises definedMacro.
	defined map[string]bool
	// stores are, by file and by the class of the member they are stored
	// in ("struct rtw_hci::ops"), the tables the file's functions store
	// there ("rtwdev->hci.ops = &rtw_pci_ops"), built once (tableStores).
	stores     map[string]map[string][]string
	storesOnce sync.Once
}

func newOpsTable(files []*cparse.File) *opsTable {
	t := &opsTable{local: map[string][]OpsTarget{}, members: map[[2]string][]string{}, all: map[string][]OpsTarget{}, defined: map[string]bool{}}
	for _, f := range files {
		for _, o := range f.Ops {
			k := o.Key()
			t.local[k] = append(t.local[k], OpsTarget{Fn: o.Fn, File: f.Path, Line: o.Line, Var: o.Var})
			fn := [2]string{f.Path, o.Fn}
			if !slices.Contains(t.members[fn], k) {
				t.members[fn] = append(t.members[fn], k)
			}
		}
	}
	for _, l := range t.members {
		sort.Strings(l)
	}
	return t
}

// OpsHeldKey is the key under which an index keeps the sites that call
// through an ops member ("struct thermal_zone_device_ops.get_temp") with a
// lock held, the lock's class in each entry's Var: every implementation
// of the member runs inside that lock.
func OpsHeldKey(member string) string { return "opsheld " + member }

// RegisterKey is the key under which an index keeps the callbacks
// registered for a work item class (INIT_WORK(&x->work, fn)), beside the
// ops tables' members.
func RegisterKey(item string) string { return "register " + item }

// DefineKey is the key under which an index keeps the headers that
// define an object-like macro whatever the configuration.
func DefineKey(name string) string { return "define " + name }

// definedMacro reports a macro the analysed files or the tree's headers
// define whatever the configuration (not CONFIG_ options, which a
// configuration decides).
func (p *Program) definedMacro(in *cparse.File, name string) bool {
	if strings.HasPrefix(name, "CONFIG_") {
		return false
	}
	if slices.Contains(in.Defines, name) {
		return true
	}
	p.ops.mu.Lock()
	v, ok := p.ops.defined[name]
	p.ops.mu.Unlock()
	if ok {
		return v
	}
	// The headers read with the analysed files; another .c file's own
	// defines are not this one's.
	for _, f := range p.Files {
		if strings.HasSuffix(f.Path, ".h") && slices.Contains(f.Defines, name) {
			v = true
			break
		}
	}
	if !v && p.ext != nil {
		v = len(p.ext.Ops(DefineKey(name))) > 0
	}
	p.ops.mu.Lock()
	p.ops.defined[name] = v
	p.ops.mu.Unlock()
	return v
}

// LocalOps lists the ops members ("struct thermal_zone_device_ops.get_temp")
// the analysed files' tables store fi in, sorted.
func (p *Program) LocalOps(fi *FuncInfo) []string {
	return slices.Clone(p.ops.members[[2]string{fi.F.File.Path, fi.F.Name}])
}

// ExternalLookup resolves name among the index's functions, as a call
// from a file with no definition of its own would; nil without an index.
func (p *Program) ExternalLookup(name string) *FuncInfo {
	if p.ext == nil {
		return nil
	}
	return p.ext.Lookup(name)
}

// OpsTargetsOf lists what the tree's ops tables store in member key, the
// analysed files' and the index's.
func (p *Program) OpsTargetsOf(key string) []OpsTarget { return p.opsTargets(key) }

// LocalOpsTargets lists what the analysed files' ops tables store in
// member key.
func (p *Program) LocalOpsTargets(key string) []OpsTarget { return p.ops.local[key] }

// KeysWithPrefix lists the index's keys that begin with prefix, at most
// max of them; none without an index that lists its keys.
func (p *Program) KeysWithPrefix(prefix string, max int) []string {
	if l, ok := p.ext.(KeyLister); ok {
		return l.KeysWithPrefix(prefix, max)
	}
	return nil
}

// Registered lists the callbacks registered for a work item class in
// other files of the tree, as the index recorded them.
func (p *Program) Registered(item string) []OpsTarget {
	return p.OpsSites(RegisterKey(item))
}

// OpsSites lists the index's entries under key from files other than
// the analysed ones.
func (p *Program) OpsSites(key string) []OpsTarget {
	if p.ext == nil {
		return nil
	}
	var l []OpsTarget
	for _, x := range p.ext.Ops(key) {
		if !p.analysedFile(x.File) {
			l = append(l, x)
		}
	}
	return l
}

// LookupIn returns the function name of a tree-relative file: one of
// the analysed files' or the index's.
func (p *Program) LookupIn(name, file string) *FuncInfo {
	return p.lookupIn(name, file)
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
		home := p.structHome(key[:strings.LastIndexByte(key, '.')+1])
		for _, x := range p.ext.Ops(key) {
			if p.analysedFile(x.File) || home != "" && !underHome(x.File, home) {
				continue
			}
			l = append(l, x)
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

// OpsFunc is the function an ops entry names, in its table's file.
func (p *Program) OpsFunc(t OpsTarget) *FuncInfo { return p.lookupIn(t.Fn, t.File) }

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

// opsCallee is a function a call through a member may reach, from the
// table variable tbl ("" when unnamed).
type opsCallee struct {
	g    *FuncInfo
	step Step
	tbl  string
}

// Calls through the ops table of an object a parameter points to
// ("ops->do_action(substream)" in snd_pcm_action_group(ops, ...)) reach
// whichever table the caller hands over: snd_pcm_stop() passes
// &snd_pcm_action_stop, whose do_action never sleeps, while another
// table's does. An effect through such a call carries the parameter and
// the table (Effect.OpsArg, OpsVar); a caller passing the address of
// another table does not get it (narrowOps).

// opsParam returns the index of the parameter a call through a member
// reads its table from ("ops" in ops->do_action()), or -1.
func (f *flow) opsParam(call *cparse.Expr) int {
	fx := call.X.Strip()
	if fx == nil || fx.Kind != cparse.EField {
		return -1
	}
	x := fx.X.Strip()
	if x == nil || x.Kind != cparse.EIdent {
		return -1
	}
	return f.env.paramIndex(x.Name)
}

// narrowOps decides an effect tagged with the table a parameter held
// from the argument this call passes there: nil when the argument is
// another table, the effect with the tag moved to this function's
// parameter when it passes its own on, and without the tag otherwise.
func (f *flow) narrowOps(n *Effect, args []*cparse.Expr) *Effect {
	if !narrowByArg(n, args, f.env.isLocal, f.env.paramIndex) {
		return nil
	}
	return n
}

// narrowByArg is narrowOps on a list of arguments (a call's, or those an
// index recorded): false when the argument is the address of another
// table than n's; n keeps the tag, moved to the caller's parameter,
// when the argument is one; otherwise n loses it.
func narrowByArg(n *Effect, args []*cparse.Expr, isLocal func(string) bool, paramIndex func(string) int) bool {
	i := n.OpsArg - 1
	n.OpsArg = 0
	var a *cparse.Expr
	if i < len(args) {
		a = args[i].Strip()
	}
	if a != nil && a.Kind == cparse.EUnary && a.Op == "&" {
		if x := a.X.Strip(); x != nil && x.Kind == cparse.EIdent && !isLocal(x.Name) {
			if x.Name != n.OpsVar {
				return false // the caller hands over another table
			}
			n.OpsVar = ""
			return true
		}
	}
	if a != nil && a.Kind == cparse.EIdent {
		if j := paramIndex(a.Name); j >= 0 {
			n.OpsArg = j + 1
			return true
		}
	}
	n.OpsVar = ""
	return true
}

// opsCallees resolves a call through a member to the functions ops tables
// store there, with the call step that says so.
func (f *flow) opsCallees(s *cparse.Stmt) []opsCallee {
	if l, ok := f.opsMemo[s.ID]; ok {
		return l
	}
	var l []opsCallee
	if key := opsMember(f.env, s.Call); key != "" {
		ts := f.p.opsTargets(key)
		if tbl := f.p.storedTable(f.fn.File.Path, f.storeClass(s.Call)); tbl != "" {
			ts = onlyTable(ts, tbl)
		}
		if len(ts) <= maxOpsTargets {
			seen := map[*FuncInfo]bool{}
			for _, t := range ts {
				g := f.p.OpsFunc(t)
				if g == nil || g.Sum == nil || g == f.fi || seen[g] {
					continue
				}
				seen[g] = true
				l = append(l, opsCallee{g, f.step(s.Line, opsNote(g.F.Name, key, t)), t.Var})
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
		if g := p.OpsFunc(t); g != nil && g != fi && g.Sum != nil && !g.Sum.trivial() {
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

// dropDeferred removes, once the summary has them, the observations made
// through an ops table a parameter chose (Effect.OpsArg): which table it
// is, and so whether the effect happens, is the callers' to say, and they
// report it (narrowOps).
func (r *FuncResult) dropDeferred() {
	n := 0
	for _, o := range r.Obs {
		if o.Eff.OpsArg == 0 {
			r.Obs[n] = o
			n++
		}
	}
	clear(r.Obs[n:])
	r.Obs = r.Obs[:n]
}

// storedTable names the one table the functions of file store in the
// member class cls, or "": a driver that sets "rtwdev->hci.ops =
// &rtw_pci_ops" calls through rtwdev->hci.ops its own table's functions,
// not the USB or SDIO driver's that fill the same struct type elsewhere
// in the tree. A file that stores two tables there, or none, decides
// nothing, and so does a store in a struct a shared header defines.
func (p *Program) storedTable(file, cls string) string {
	if cls == "" {
		return ""
	}
	// Only a driver's own struct: a core type (struct net_device's
	// xfrmdev_ops) is every driver's, and bonding stores its table in the
	// bond's device while it calls its slaves' tables.
	owner, _, ok := strings.Cut(cls, "::")
	if !ok || p.structHome(owner+".") == "" {
		return ""
	}
	if vs := p.tableStores()[file][cls]; len(vs) == 1 {
		return vs[0]
	}
	return ""
}

// storeClass is the class of the member a call through a member reads its
// table from ("struct rtw_hci::ops" for rtwdev->hci.ops->read8()), when
// that is a member of an object rather than a parameter or a variable.
func (f *flow) storeClass(call *cparse.Expr) string {
	fx := call.X.Strip()
	if fx == nil || fx.Kind != cparse.EField || fx.Op != "->" {
		return ""
	}
	if x := fx.X.Strip(); x == nil || x.Kind != cparse.EField {
		return ""
	}
	return f.env.objClass(fx.X)
}

// onlyTable keeps the targets of table tbl, when there are any.
func onlyTable(ts []OpsTarget, tbl string) []OpsTarget {
	var out []OpsTarget
	for _, t := range ts {
		if t.Var == tbl {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return ts
	}
	return out
}

// tableStores finds the tables each analysed file's functions store in
// struct members: an assignment of a table variable's address that the
// analysed files' initializers name, by file and by the class of the
// member assigned.
func (p *Program) tableStores() map[string]map[string][]string {
	t := p.ops
	t.storesOnce.Do(func() {
		tables := map[string]bool{}
		for _, l := range t.local {
			for _, o := range l {
				if o.Var != "" {
					tables[o.Var] = true
				}
			}
		}
		t.stores = map[string]map[string][]string{}
		if len(tables) == 0 {
			return
		}
		for _, fi := range p.Funcs {
			env := typeEnv{p, fi.F}
			for _, b := range fi.F.Blocks {
				for _, st := range b.Stmts {
					if st.Kind != cparse.SAssign || st.Op != "=" || st.LHS == nil || st.RHS == nil {
						continue
					}
					v := st.RHS.Strip()
					if v == nil || v.Kind != cparse.EUnary || v.Op != "&" {
						continue
					}
					if v = v.X.Strip(); v == nil || v.Kind != cparse.EIdent || !tables[v.Name] {
						continue
					}
					l := st.LHS.Strip()
					if l == nil || l.Kind != cparse.EField {
						continue
					}
					cls := env.objClass(l)
					if cls == "" {
						continue
					}
					file := fi.F.File.Path
					if t.stores[file] == nil {
						t.stores[file] = map[string][]string{}
					}
					if !slices.Contains(t.stores[file][cls], v.Name) {
						t.stores[file][cls] = append(t.stores[file][cls], v.Name)
					}
				}
			}
		}
	})
	return t.stores
}

// structHome is, for a struct type ("struct e1000_mac_operations.", as an
// ops key's prefix) that the analysed code knows only from a local header,
// that header's directory: the tables other files fill for a struct of
// that name outside it are another driver's type (igbvf's vf.h and
// e1000e's hw.h both define struct e1000_mac_operations). "" when a
// header under an include/ directory defines it, or none does.
func (p *Program) structHome(prefix string) string {
	name := strings.TrimSuffix(prefix, ".")
	if !strings.HasPrefix(name, "struct ") {
		return ""
	}
	home := ""
	for _, f := range p.Files {
		if _, ok := f.Structs[name]; !ok || !strings.HasSuffix(f.Path, ".h") {
			continue
		}
		slashed := filepath.ToSlash(f.Path)
		if strings.Contains("/"+slashed, "/include/") {
			return ""
		}
		d := path.Dir(slashed)
		if home != "" && home != d {
			return ""
		}
		home = d
	}
	return home
}

// underHome reports whether a tree-relative path is in home, a directory
// given as the analysed files name it (tree-relative, or absolute).
func underHome(rel, home string) bool {
	for i := -1; i < len(home); i++ {
		if i >= 0 && home[i] != '/' {
			continue
		}
		if strings.HasPrefix(rel, home[i+1:]+"/") {
			return true
		}
	}
	return false
}
