// SPDX-License-Identifier: GPL-2.0-only

package flow

// Branches: which way a condition goes on a state, what each edge
// learns, and switches.

import (
	"sort"
	"strings"

	"lockbot/cparse"
	"lockbot/kb"
)

func (f *flow) term(b *cparse.Block, st *State) []int {
	switch b.Term {
	case cparse.TJump:
		if len(b.Succs) > 0 {
			return f.propagate(b.Succs[0], st)
		}
	case cparse.TSwitch:
		var r []int
		for i, s := range b.Succs {
			if n := f.switchCase(b, i, st); n != nil {
				r = append(r, f.propagate(s, n)...)
			}
		}
		return r
	case cparse.TBranch:
		return f.branch(b, st)
	case cparse.TReturn:
		if f.record {
			x := &Exit{State: st, Ret: b.Ret, Line: b.Line, Class: f.retClass(b.Ret, st), Block: b.ID}
			f.out.Exits = append(f.out.Exits, x)
			if f.exitBlock == nil {
				f.exitBlock = map[*Exit]int{}
			}
			f.exitBlock[x] = b.ID
		}
	}
	return nil
}

func (f *flow) branch(b *cparse.Block, st *State) []int {
	if b.Cond == nil {
		return append(f.propagate(b.Succs[0], st), f.propagate(b.Succs[1], st)...)
	}
	if v, ok := f.decide(b.Cond, st); ok {
		if v {
			return f.propagate(b.Succs[0], st)
		}
		return f.propagate(b.Succs[1], st)
	}
	if b.Pre {
		// "#ifdef ACPI_GPE_USE_LOGICAL_ADDRESSES": a macro the kernel's
		// headers define whatever the configuration takes the first arm.
		if c := b.Cond.Strip(); c != nil && c.Kind == cparse.EIdent && strings.HasPrefix(c.Name, "defined(") && strings.HasSuffix(c.Name, ")") &&
			f.p.definedMacro(f.fn.File, strings.TrimSuffix(strings.TrimPrefix(c.Name, "defined("), ")")) {
			return f.propagate(b.Succs[0], st)
		}
	}
	key, neg, idents, expr := f.atom(b.Cond)
	if v, ok := f.p.configTest(f.fn, b.Cond); ok {
		// The configuration takes one arm. The fact stays on the path:
		// the RT rules read "#ifdef CONFIG_TRANSPARENT_HUGEPAGE" from it.
		n := st
		succ := b.Succs[1]
		if v {
			succ = b.Succs[0]
		}
		if key != "" {
			n = st.clone()
			if b.Pre {
				idents = preIdents(key)
			}
			n.setFact(Cond{Key: key, Val: v != neg, Idents: idents, Expr: expr})
		}
		return f.propagate(succ, n)
	}
	if key == "" {
		return append(f.propagate(b.Succs[0], st), f.propagate(b.Succs[1], st)...)
	}
	if b.Pre {
		idents = preIdents(key)
	}
	sign := signTest(b.Cond)
	v, ok := st.fact(key)
	if !ok {
		v, ok = otherConstant(expr, st)
	}
	if ok && sign && v && st.factClass(key) != RetError {
		// Nonzero but not known negative: "x < 0" is open, unless x is
		// a positive constant, true or a non-NULL pointer.
		// (For a sign test the key's value is "negative".)
		ok, v = st.factClass(key) == RetNonZero, false
	}
	if !ok && sign {
		// A value known not negative: "idx < 0" after "if (idx < 0)
		// return idx;", or the result of a function whose returns that
		// reach here are not (ipc_addid() locks on success).
		if nn, known := st.fact(nonNegKey(key)); known && nn {
			v, ok = false, true
		}
	}
	if ok {
		if v != neg {
			return f.propagate(b.Succs[0], st)
		}
		return f.propagate(b.Succs[1], st)
	}
	t := st.clone()
	e := st.clone()
	// "x < 0" is keyed as "x": a negative value is a nonzero one, an
	// error code. Its other side says only that x is not negative, and
	// may be positive: "if (n < 0) return; if (n == 0) return; work(n);"
	// reaches work().
	if !sign || !neg {
		t.setFact(Cond{Key: key, Val: !neg, Idents: idents, Expr: expr, Class: f.errorTest(b.Cond, !neg)})
	} else {
		t.setFact(Cond{Key: nonNegKey(key), Val: true, Idents: idents})
	}
	if !sign || neg {
		e.setFact(Cond{Key: key, Val: neg, Idents: idents, Expr: expr, Class: f.errorTest(b.Cond, neg)})
	} else {
		e.setFact(Cond{Key: nonNegKey(key), Val: true, Idents: idents})
	}
	// "flags & (A | B)" clear is "flags & A" and "flags & B" clear
	// (queue_message()'s WARN_ON(flags & (QMFLAGS_NO_MUTEX_LOCK |
	// QMFLAGS_NO_MUTEX_UNLOCK)) before its tests of one flag).
	clear := e
	if neg {
		clear = t
	}
	possible := true
	for _, bit := range maskBits(expr) {
		if bk, bneg, bidents, bx := f.atom(bit); bk != "" {
			if v, known := clear.fact(bk); known {
				possible = possible && v == bneg
			} else {
				clear.setFact(Cond{Key: bk, Val: bneg, Idents: bidents, Expr: bx})
			}
		}
	}
	var out []int
	if def := f.boolDefs[key]; (def == nil || f.implyAtoms(def, !neg, t)) && (possible || clear != t) {
		out = f.propagate(b.Succs[0], t)
	}
	if def := f.boolDefs[key]; (def == nil || f.implyAtoms(def, neg, e)) && (possible || clear != e) {
		out = append(out, f.propagate(b.Succs[1], e)...)
	}
	return out
}

// switchCase gives the state entering a switch's i-th successor, nil when
// what the path knows of the switched variable rules the case out
// ("needs_lock = cmd != FAST; ... switch (cmd) { case FAST: ..."). The
// case value is recorded only for variables tested elsewhere, so that a
// switch over a plain value does not multiply states.
func (f *flow) switchCase(b *cparse.Block, i int, st *State) *State {
	sw := b.Switch.Strip()
	if sw == nil || i >= len(b.Cases) {
		return st
	}
	member := f.paramMember(sw)
	if sw.Kind != cparse.EIdent && !member {
		return st
	}
	eqKey := func(v *cparse.Expr) (string, *cparse.Expr, bool) {
		key, neg, _, expr := f.atom(&cparse.Expr{Kind: cparse.EBinary, Op: "==", X: sw, Y: v, Pos: sw.Pos})
		return key, expr, neg
	}
	if v := b.Cases[i]; v != nil {
		key, expr, neg := eqKey(v)
		if key == "" {
			return st
		}
		if val, known := st.fact(key); known {
			if val == neg {
				return nil
			}
			return st
		}
		if o, ok := otherConstant(expr, st); ok && !o && !neg {
			return nil
		}
		if member {
			// A member of what the caller passes ("switch
			// (nd->state)" in ncsi_configure_channel()): the caller
			// may have stored the state just before the call.
			if !f.p.enumConst(v) {
				return st
			}
			eq := &cparse.Expr{Kind: cparse.EBinary, Op: "==", X: f.memberPath(sw), Y: v.Strip(), Pos: sw.Pos}
			n := st.clone()
			n.setFact(Cond{Key: eq.String(), Val: true, Idents: eq.Idents(), Expr: eq})
			return n
		}
		if !f.caseVars[sw.Name] {
			return st
		}
		n := st.clone()
		n.setFact(Cond{Key: key, Val: !neg, Idents: []string{sw.Name}, Expr: expr})
		return n
	}
	// default: not taken when the path knows the value is one of the cases.
	for _, v := range b.Cases {
		if v == nil {
			continue
		}
		if key, _, neg := eqKey(v); key != "" {
			if val, known := st.fact(key); known && val != neg {
				return nil
			}
		}
	}
	return st
}

// enumConst reports an identifier the program knows as a constant: an
// enumerator, lower case ones included (ncsi_dev_state_config), or a
// #define, or what isNamedConst takes for one.
func (p *Program) enumConst(x *cparse.Expr) bool {
	x = x.Strip()
	if x == nil {
		return false
	}
	if isNamedConst(x) {
		return true
	}
	if x.Kind != cparse.EIdent {
		return false
	}
	if _, ok := p.consts[x.Name]; ok {
		return true
	}
	if p.constSrc != nil {
		_, ok := p.constSrc.Const(x.Name)
		return ok
	}
	return false
}

// switchedMember reports a member name some analysed function switches
// on ("switch (nd->state)"): a store of a constant in such a member is
// worth following.
func (p *Program) switchedMember(name string) bool {
	p.switchedOnce.Do(func() {
		p.switched = map[string]bool{}
		for _, fi := range p.Funcs {
			for _, b := range fi.F.Blocks {
				if sw := b.Switch.Strip(); b.Term == cparse.TSwitch && sw != nil && sw.Kind == cparse.EField {
					p.switched[sw.Name] = true
				}
			}
		}
	})
	return name != "" && p.switched[name]
}

// memberName is the last member of a member path ("state" of
// "ndp->ndev.state").
func memberName(x *cparse.Expr) string {
	if x = x.Strip(); x != nil && x.Kind == cparse.EField {
		return x.Name
	}
	return ""
}

// paramMember reports a member path of a parameter the function never
// changes, directly or through a local defined from one ("nd->state"
// with nd = &ndp->ndev).
func (f *flow) paramMember(x *cparse.Expr) bool {
	c := f.memberPath(x)
	if c == nil {
		return false
	}
	root := rootIdent(c)
	return root != "" && f.env.paramIndex(root) >= 0 && f.stableParams[root]
}

// memberPath is a member path in the terms of the function's parameters
// ("ndp->ndev.state" for "nd->state" with nd = &ndp->ndev), or nil.
func (f *flow) memberPath(x *cparse.Expr) *cparse.Expr {
	if x = x.Strip(); x == nil || x.Kind != cparse.EField {
		return nil
	}
	c := f.canonLock(x)
	if c == nil || !isAccessPath(c.String()) {
		return nil
	}
	return c
}

// maskBits splits "x & (A | B)" into "x & A" and "x & B": each is clear
// when the whole is.
func maskBits(x *cparse.Expr) []*cparse.Expr {
	x = x.Strip()
	if x == nil || x.Kind != cparse.EBinary || x.Op != "&" {
		return nil
	}
	v, m := x.X, x.Y.Strip()
	if m == nil || m.Kind != cparse.EBinary || m.Op != "|" {
		v, m = x.Y, x.X.Strip()
	}
	if m == nil || m.Kind != cparse.EBinary || m.Op != "|" {
		return nil
	}
	var leaves []*cparse.Expr
	var walk func(e *cparse.Expr) bool
	walk = func(e *cparse.Expr) bool {
		e = e.Strip()
		if e == nil {
			return false
		}
		if e.Kind == cparse.EBinary && e.Op == "|" {
			return walk(e.X) && walk(e.Y)
		}
		if !isNamedConst(e) {
			return false
		}
		leaves = append(leaves, e)
		return len(leaves) <= 8
	}
	if !walk(m) {
		return nil
	}
	out := make([]*cparse.Expr, len(leaves))
	for i, l := range leaves {
		out[i] = &cparse.Expr{Kind: cparse.EBinary, Op: "&", X: v, Y: l, Pos: x.Pos}
	}
	return out
}

// implyAtoms records what def having the value val says of its atoms:
// "a && b" true makes both true, "a || b" false both false. It reports
// false when that contradicts what the path knows: the branch cannot be
// taken.
func (f *flow) implyAtoms(def *cparse.Expr, val bool, st *State) bool {
	def = def.Strip()
	switch {
	case def == nil:
		return true
	case def.Kind == cparse.EUnary && def.Op == "!":
		return f.implyAtoms(def.X, !val, st)
	case def.Kind == cparse.EBinary && (def.Op == "&&" && val || def.Op == "||" && !val):
		return f.implyAtoms(def.X, val, st) && f.implyAtoms(def.Y, val, st)
	case def.Kind == cparse.EBinary && (def.Op == "&&" || def.Op == "||"):
		return true // one of them: nothing definite
	}
	key, neg, idents, expr := f.atom(def)
	if key == "" {
		return true
	}
	v := val != neg
	if old, known := st.fact(key); known {
		return old == v
	}
	if o, ok := otherConstant(expr, st); ok && v && !o {
		return false
	}
	st.setFact(Cond{Key: key, Val: v, Idents: idents, Expr: expr})
	return true
}

// isNamedConst reports an enumerator or macro constant (M_PARTIAL) or a
// nonzero number: a value a variable can be compared with.
func isNamedConst(e *cparse.Expr) bool {
	e = e.Strip()
	if e == nil {
		return false
	}
	switch e.Kind {
	case cparse.ENumber:
		return !isNull(e)
	case cparse.EIdent:
		// FOO_BAR, and CamelCase constants (the USB hub requests:
		// ClearPortFeature, GetPortStatus): kernel variables are lower case.
		return e.Name != "NULL" && e.Name != "true" && e.Name != "false" && !isIdentDigit(e.Name[0]) &&
			(isUpperName(e.Name) || e.Name[0] >= 'A' && e.Name[0] <= 'Z')
	}
	return false
}

func isIdentDigit(c byte) bool { return c >= '0' && c <= '9' }

// otherConstant decides "x == B" on a path that knows "x == A" for a
// different constant A: false.
func otherConstant(expr *cparse.Expr, st *State) (val, ok bool) {
	if expr == nil || expr.Kind != cparse.EBinary || expr.Op != "==" || expr.X.Kind != cparse.EIdent || !isNamedConst(expr.Y) {
		return false, false
	}
	return otherConstantOf(expr, st, isNamedConst)
}

func otherConstantOf(expr *cparse.Expr, st *State, isConst func(*cparse.Expr) bool) (val, ok bool) {
	prefix := expr.X.String() + " == "
	i := sort.Search(len(st.Conds), func(i int) bool { return st.Conds[i].Key >= prefix })
	for ; i < len(st.Conds) && strings.HasPrefix(st.Conds[i].Key, prefix); i++ {
		if fa := st.Conds[i]; fa.Val && fa.Expr != nil && fa.Expr.Kind == cparse.EBinary && isConst(fa.Expr.Y) &&
			fa.Expr.X.String() == expr.X.String() && fa.Expr.Y.String() != expr.Y.String() {
			return false, true
		}
	}
	return false, false
}

// otherState is otherConstant for a member path and the program's
// enumerators: "ndp->ndev.state == ncsi_dev_state_config_apply_mac"
// where the path knows the state is ncsi_dev_state_config.
func (f *flow) otherState(expr *cparse.Expr, st *State) (val, ok bool) {
	if v, ok := otherConstant(expr, st); ok {
		return v, ok
	}
	if expr == nil || expr.Kind != cparse.EBinary || expr.Op != "==" || expr.X.Kind != cparse.EField ||
		!isAccessPath(expr.X.String()) || !f.p.enumConst(expr.Y) {
		return false, false
	}
	return otherConstantOf(expr, st, f.p.enumConst)
}

// stripNot returns a condition without its parentheses, casts and
// negations, and whether an odd number of "!" was taken off.
func stripNot(cond *cparse.Expr) (e *cparse.Expr, neg bool) {
	e = cond.Strip()
	for e != nil && e.Kind == cparse.EUnary && e.Op == "!" {
		neg = !neg
		e = e.X.Strip()
	}
	return e, neg
}

// nonNegKey is the key of the fact that a value is not negative: its
// sign is known, not whether it is zero.
func nonNegKey(key string) string { return "$nonneg " + key }

// signTest reports a comparison of a value with zero by sign ("x < 0",
// "x >= 0", maybe negated), which atom keys as the value itself.
func signTest(cond *cparse.Expr) bool {
	e, _ := stripNot(cond)
	return e != nil && e.Kind == cparse.EBinary && (e.Op == "<" || e.Op == ">=") && isNull(e.Y)
}

// errorTest gives the fact class of "x < 0" taken true: an error code.
func (f *flow) errorTest(cond *cparse.Expr, keyVal bool) RetClass {
	e := cond.Strip()
	if e != nil && e.Kind == cparse.EBinary && e.Op == "<" && isNull(e.Y) && keyVal {
		return RetError
	}
	return RetUnknown
}

// decide evaluates a condition from what the path knows of its parts:
// an error-code comparison, an IS_ERR() test, a gfp-mask test.
func (f *flow) decide(cond *cparse.Expr, st *State) (val, ok bool) {
	if v, ok := f.impliedFalse(cond, st); ok {
		return v, true
	}
	e, neg := stripNot(cond)
	if e == nil {
		return false, false
	}
	if e.Kind == cparse.ECall && len(e.Args) > 0 {
		spec := f.p.kb.Funcs[e.CallName()]
		if spec != nil && spec.ErrTest != "" {
			if x := Canon(e.Args[0]); x != nil {
				if v, known := st.fact(x.String()); known {
					c := st.factClass(x.String())
					switch {
					case c == RetError:
						return !neg, true
					case !v && spec.ErrTest == "err_or_null":
						return !neg, true
					case !v || c == RetNonZero:
						return neg, true
					}
				}
			}
		}
		if spec != nil && spec.GFPTest != nil && *spec.GFPTest < len(e.Args) {
			switch f.gfp(e.Args[*spec.GFPTest], st).kind {
			case gfpBlocking:
				return !neg, true
			case gfpNonblocking:
				return neg, true
			}
		}
	}
	if e.Kind == cparse.EBinary && e.Op == "&" {
		// gfp & __GFP_DIRECT_RECLAIM on a mask whose value is known.
		for _, pair := range [][2]*cparse.Expr{{e.X, e.Y}, {e.Y, e.X}} {
			if fl := pair[1].Strip(); fl != nil && fl.Kind == cparse.EIdent && f.p.kb.GFP[fl.Name] == kb.GFPReclaim {
				switch f.gfp(pair[0], st).kind {
				case gfpBlocking:
					return !neg, true
				case gfpNonblocking:
					return neg, true
				}
			}
		}
	}
	if e.Kind == cparse.EIdent || e.Kind == cparse.EField {
		// A lock held through a pointer: the pointer is not NULL
		// ("if (pml && pml != ptl) spin_unlock(pml)").
		if x := f.canonLock(e); x != nil {
			inst := x.String()
			for _, c := range st.Held {
				if c.Inst == inst {
					return !neg, true
				}
			}
		}
	}
	return false, false
}

// impliedFalse decides "x == C" and "x != C" for a nonzero constant C when
// the path knows x is zero (ret == -ENOSPC after "if (ret) ...").
func (f *flow) impliedFalse(cond *cparse.Expr, st *State) (val, ok bool) {
	e := cond.Strip()
	if e == nil || e.Kind != cparse.EBinary || e.Op != "==" && e.Op != "!=" {
		return false, false
	}
	x, c := e.X, e.Y
	if _, isConst := constInt(x); isConst || isErrConst(x) {
		x, c = c, x
	}
	if v, isConst := constInt(c); !(isConst && v != 0 || isErrConst(c)) {
		return false, false
	}
	xc := Canon(x)
	if xc == nil {
		return false, false
	}
	if v, known := st.fact(xc.String()); known && !v {
		return e.Op == "!=", true
	}
	return false, false
}

// isErrConst reports -EFOO.
func isErrConst(e *cparse.Expr) bool {
	e = e.Strip()
	if e == nil || e.Kind != cparse.EUnary || e.Op != "-" {
		return false
	}
	x := e.X.Strip()
	return x != nil && x.Kind == cparse.EIdent && len(x.Name) > 1 && x.Name[0] == 'E' && isUpperName(x.Name)
}
