// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"path/filepath"
	"strings"

	"lockbot/cparse"
)

// typeEnv answers the declared type of an expression inside one function.
type typeEnv struct {
	prog *Program
	fn   *cparse.Func
}

func (e typeEnv) ident(name string) (cparse.Type, bool) {
	if t, ok := e.fn.Locals[name]; ok {
		return t, true
	}
	for _, p := range e.fn.Params {
		if p.Name == name {
			return p.Type, true
		}
	}
	if t, ok := e.fn.File.Globals[name]; ok {
		return t, true
	}
	if t, ok := e.prog.globals[name]; ok {
		return t, true
	}
	return cparse.Type{}, false
}

// isLocal reports whether name is a local variable or parameter.
func (e typeEnv) isLocal(name string) bool {
	if _, ok := e.fn.Locals[name]; ok {
		return true
	}
	for _, p := range e.fn.Params {
		if p.Name == name {
			return true
		}
	}
	return false
}

// captured reports a name a function-like macro's body uses that is
// none of its own and names no global or constant the analysis knows:
// the variable of that name where the macro is expanded (amdgpu's
// "#define WREG32(reg, v) amdgpu_device_wreg(adev, (reg), (v), 0)"
// reads its caller's adev). What the body tests of it is a test of the
// caller's variable, as a test of a parameter is. An upper-case name is
// a constant or a macro, not a variable.
func (e typeEnv) captured(name string) bool {
	if !e.fn.Macro || isUpperName(name) || e.isLocal(name) {
		return false
	}
	if _, ok := e.prog.globals[name]; ok {
		return false
	}
	_, ok := e.prog.consts[name]
	return !ok
}

func (e typeEnv) paramIndex(name string) int {
	for i, p := range e.fn.Params {
		if p.Name == name {
			return i
		}
	}
	return -1
}

// resolve follows typedefs to a struct tag where there is one.
func (p *Program) resolve(t cparse.Type) cparse.Type {
	for i := 0; i < 8; i++ {
		td, ok := p.typedefs[t.Base]
		if !ok || td.Base == t.Base {
			return t
		}
		t = cparse.Type{Base: td.Base, Ptr: t.Ptr + td.Ptr, Array: t.Array || td.Array}
	}
	return t
}

func (p *Program) field(t cparse.Type, name string) (cparse.Type, bool) {
	base := p.resolve(t).Base
	st := p.structs[base]
	if st == nil && p.types != nil && strings.HasPrefix(base, "struct ") {
		// Defined in a <linux/...> header the analysis did not read.
		st = p.types.Struct(base)
	}
	if st == nil {
		return cparse.Type{}, false
	}
	f, ok := st.Fields[name]
	return f, ok
}

// typeOf returns the declared type of x, as far as the analysed files tell.
func (e typeEnv) typeOf(x *cparse.Expr) (cparse.Type, bool) {
	switch x.Kind {
	case cparse.EIdent:
		t, ok := e.ident(x.Name)
		if !ok {
			return t, false
		}
		return e.prog.resolve(t), true
	case cparse.EParen:
		return e.typeOf(x.X)
	case cparse.ECast:
		return e.prog.resolve(parseTypeName(x.Name)), true
	case cparse.EField:
		t, ok := e.typeOf(x.X)
		if !ok {
			return t, false
		}
		f, ok := e.prog.field(t, x.Name)
		if !ok {
			return f, false
		}
		return e.prog.resolve(f), true
	case cparse.EIndex:
		t, ok := e.typeOf(x.X)
		if !ok {
			return t, false
		}
		if t.Array {
			t.Array = false
		} else if t.Ptr > 0 {
			t.Ptr--
		} else {
			return t, false
		}
		return t, true
	case cparse.EUnary:
		t, ok := e.typeOf(x.X)
		if !ok {
			return t, false
		}
		switch x.Op {
		case "*":
			if t.Ptr == 0 {
				return t, false
			}
			t.Ptr--
		case "&":
			t.Ptr++
		default:
			return t, false
		}
		return t, true
	case cparse.ECall:
		name := x.CallName()
		if f := e.prog.kb.Funcs[name]; f != nil && f.TypeArg != nil && *f.TypeArg < len(x.Args) {
			if a := x.Args[*f.TypeArg]; a.Kind == cparse.EType {
				t := e.prog.resolve(parseTypeName(a.Name))
				t.Ptr++
				return t, true
			}
		}
		if fi := e.prog.lookupAny(name); fi != nil {
			return e.prog.resolve(fi.F.Ret), true
		}
	}
	return cparse.Type{}, false
}

// parseTypeName reads "struct foo *" into a Type.
func parseTypeName(s string) cparse.Type {
	var t cparse.Type
	var words []string
	for _, w := range strings.Fields(s) {
		switch {
		case w == "*":
			t.Ptr++
		case strings.Trim(w, "*") == "":
			t.Ptr += len(w)
		case w == "const" || w == "volatile":
		default:
			if strings.HasSuffix(w, "*") {
				t.Ptr += len(w) - len(strings.TrimRight(w, "*"))
				w = strings.TrimRight(w, "*")
			}
			words = append(words, w)
		}
	}
	t.Base = strings.Join(words, " ")
	return t
}

// Canon strips parentheses and casts and folds &*x and *&x, so that one
// lock object has one spelling.
func Canon(x *cparse.Expr) *cparse.Expr {
	x = x.Strip()
	if x == nil {
		return nil
	}
	switch x.Kind {
	case cparse.EUnary:
		inner := Canon(x.X)
		if inner != nil && inner.Kind == cparse.EUnary && (x.Op == "&" && inner.Op == "*" || x.Op == "*" && inner.Op == "&") {
			return inner.X
		}
		if inner != x.X {
			c := *x
			c.X = inner
			return &c
		}
	case cparse.EField:
		inner := Canon(x.X)
		if x.Op == "->" && inner != nil && inner.Kind == cparse.EUnary && inner.Op == "&" {
			c := *x
			c.X = inner.X
			c.Op = "."
			return &c
		}
		if inner != x.X {
			c := *x
			c.X = inner
			return &c
		}
	case cparse.EIndex:
		inner := Canon(x.X)
		if inner != x.X {
			c := *x
			c.X = inner
			return &c
		}
	case cparse.ECall:
		// ACCESS_PRIVATE(rnp, lock) is rnp->lock (compiler_types.h):
		// the lock rcu_node's lock helpers take and release under both
		// spellings.
		if x.CallName() == "ACCESS_PRIVATE" && len(x.Args) == 2 {
			if p, m := Canon(x.Args[0]), x.Args[1].Strip(); p != nil && m != nil && m.Kind == cparse.EIdent {
				return Canon(&cparse.Expr{Kind: cparse.EField, Op: "->", X: p, Name: m.Name, Pos: x.Pos})
			}
		}
		// container_of(&z->refcount, struct zpage, refcount) is z.
		if containerMacros[x.CallName()] && len(x.Args) == 3 {
			ptr, member := Canon(x.Args[0]), x.Args[2].Strip()
			if ptr != nil && ptr.Kind == cparse.EUnary && ptr.Op == "&" && member != nil && member.Kind == cparse.EIdent {
				if fld := ptr.X.Strip(); fld != nil && fld.Kind == cparse.EField && fld.Name == member.Name {
					if fld.Op == "->" {
						return Canon(fld.X)
					}
					return Canon(&cparse.Expr{Kind: cparse.EUnary, Op: "&", X: fld.X, Pos: x.Pos})
				}
			}
		}
	}
	return x
}

// LockObject returns the expression of the lock object a lock argument
// points to: &x -> x, p -> *p.
func LockObject(arg *cparse.Expr) *cparse.Expr {
	a := Canon(arg)
	if a == nil {
		return nil
	}
	if a.Kind == cparse.EUnary && a.Op == "&" {
		return a.X
	}
	return &cparse.Expr{Kind: cparse.EUnary, Op: "*", X: a, Pos: a.Pos}
}

// classOf names the lock a lock argument points to, as lockdep names lock
// classes: a global by its name, a member by its struct type and field.
// It returns "" when the type of the expression is unknown.
func (e typeEnv) classOf(arg *cparse.Expr) string {
	obj := LockObject(arg)
	if obj == nil {
		return ""
	}
	return e.objClass(obj)
}

func (e typeEnv) objClass(obj *cparse.Expr) string {
	return e.objClassQ(obj, true)
}

// objClassQ is objClass; with qualify, a lock in a struct embedded in
// another ("ioc->ctl_cmds.mutex", a struct _internal_cmd in the adapter)
// is named by its place in the outer struct ("struct
// MPT3SAS_ADAPTER::ctl_cmds.mutex") when the tree initialises it there
// (initQualified): lockdep's class is the initialisation site, and
// mutex_init(&ioc->ctl_cmds.mutex) and mutex_init(&ioc->tm_cmds.mutex)
// are two. A device's mutex, initialised once through a struct device
// pointer, stays "struct device::mutex" wherever the device is embedded.
func (e typeEnv) objClassQ(obj *cparse.Expr, qualify bool) string {
	if qualify && obj.Kind == cparse.EField && obj.Op == "." {
		if x := obj.X.Strip(); x != nil && x.Kind == cparse.EField {
			if prefix := e.objClassQ(x, true); strings.Contains(prefix, "::") {
				if q := prefix + "." + obj.Name; e.prog.initQualified(q) || e.prog.initQualified(prefix) {
					return q
				}
			}
		}
	}
	switch obj.Kind {
	case cparse.EIdent:
		if e.isLocal(obj.Name) {
			t, _ := e.ident(obj.Name)
			if t.Ptr == 0 {
				// A lock object on the stack: its own class per function.
				return e.fn.Name + "()::" + obj.Name
			}
			return ""
		}
		return e.globalClass(obj.Name)
	case cparse.EField:
		if t, ok := e.typeOf(obj.X); ok && strings.HasPrefix(t.Base, "struct ") || ok && strings.HasPrefix(t.Base, "union ") {
			if !strings.Contains(t.Base, "<anonymous") {
				return t.Base + "::" + obj.Name
			}
		}
		if obj.X.Kind == cparse.EField || obj.X.Kind == cparse.EIndex {
			if prefix := e.objClassQ(obj.X, qualify); prefix != "" && strings.Contains(prefix, "::") {
				return prefix + "." + obj.Name
			}
		}
		return ""
	case cparse.EIndex:
		if c := e.objClassQ(obj.X, qualify); c != "" {
			return c + "[]"
		}
		return ""
	case cparse.EUnary:
		if obj.Op == "*" {
			inner := Canon(obj.X)
			switch {
			case inner != nil && inner.Kind == cparse.EIdent && !e.isLocal(inner.Name):
				// *global_ptr: a global pointer to a lock.
				return "*" + inner.Name
			case inner != nil && inner.Kind == cparse.EField:
				// What a pointer field points to: struct foo::*lockp.
				if c := e.objClassQ(inner, qualify); c != "" {
					if i := strings.LastIndex(c, "::"); i >= 0 {
						return c[:i+2] + "*" + c[i+2:]
					}
				}
			}
		}
	}
	return ""
}

// globalClass is the class of a global lock: its name, qualified by its
// file for a static one (two files' static DEFINE_MUTEX(register_mutex)
// are two locks, as lockdep keys them by address), unless the knowledge
// base names it (rtnl_lock() takes rtnetlink.c's static rtnl_mutex).
func (e typeEnv) globalClass(name string) string {
	if f := e.fn.File; f.Statics[name] && !e.prog.kb.LockGlobals()[name] {
		return name + "@" + fileTail(f.Path)
	}
	return name
}

// fileTail is the last directory and name of a path ("core/init.c"),
// which names a file for a reader without the tree it is in.
func fileTail(p string) string {
	p = filepath.ToSlash(p)
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		if j := strings.LastIndexByte(p[:i], '/'); j >= 0 {
			return p[j+1:]
		}
	}
	return p
}

// lockType returns the C type of the lock object, or "".
func (e typeEnv) lockType(arg *cparse.Expr) string {
	obj := LockObject(arg)
	if obj == nil {
		return ""
	}
	if obj.Kind == cparse.EUnary && obj.Op == "*" {
		if t, ok := e.typeOf(obj.X); ok && t.Ptr == 1 {
			return t.Base
		}
		return ""
	}
	t, ok := e.typeOf(obj)
	if !ok || t.Ptr != 0 {
		return ""
	}
	return t.Base
}

// pathClass names a lock object by its whole place: a member of a struct
// embedded in another by the outer struct and the path ("struct
// MPT3SAS_ADAPTER::ctl_cmds.mutex"), as an initialisation site names it.
func (e typeEnv) pathClass(obj *cparse.Expr) string {
	if obj.Kind == cparse.EField && obj.Op == "." {
		if x := obj.X.Strip(); x != nil && x.Kind == cparse.EField {
			if prefix := e.pathClass(x); strings.Contains(prefix, "::") {
				return prefix + "." + obj.Name
			}
		}
	}
	return e.objClassQ(obj, false)
}
