// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"strconv"

	"lockbot/cparse"
	"lockbot/kb"
)

// Call is a call a function makes that a later run may follow into
// another file: to a function the analysed files do not define, or to one
// of theirs (File set) whose own calls leave them. An index records them
// so that a function's summary grows, when it is looked up, by what its
// callees in other files do: a spinlock holder's callee that sleeps two
// files down is seen.
type Call struct {
	Fn   string
	File string // where the callee is defined, when the analysis saw it
	// Ops is the member a call through an ops table goes through
	// ("struct target_type.map"); Fn is empty then.
	Ops  string
	Line int
	// Inner are the contexts the function holds at the call.
	Inner []*Ctx
	// Gfp classifies the arguments that are gfp masks: GfpBlocking,
	// GfpNonblocking, or the index of the function's own gfp parameter
	// passed on.
	Gfp map[int]int
	// Conds are the conditions on the function's parameters under which
	// the call is made.
	Conds []Cond
	// ArgsAct: an argument calls a function, so a macro of that name
	// is not read as a function here (calleeOf).
	ArgsAct bool
	// Args are the arguments that may name a table a callee calls
	// through (paramArgs), nil for the others: the link narrows such a
	// call to that table's implementation, as narrowOps does in a file.
	Args []*cparse.Expr
	// OpsParam is 1 + the parameter a call through a member reads its
	// table from ("ops" in ops->do_action()), or 0: the effects through
	// it are those of the table the caller hands over.
	OpsParam int
	// Asserted are, for a call through an ops member, the locks the
	// function's caller holds by its own assertion (lockdep_assert_held,
	// __must_hold): every implementation of the member runs under them.
	Asserted []*Ctx
	// OpsStore is, for a call through a member of an object ("struct
	// rtw_hci::ops" for rtwdev->hci.ops->read8()), the class of the member
	// the table is read from: the effects through each table carry it
	// (Effect.OpsStore).
	OpsStore string
	// Unheld are the caller's contexts the function released before the
	// call on some path to it (jffs2_write_dnode()'s "mutex_unlock(&f->sem)"
	// before jffs2_reserve_space()): what the callee does there happens
	// without them, as Effect.Unheld says of the function's own effects.
	Unheld []*Ctx
	// stmt is the call statement Args were read from, while recording.
	stmt *cparse.Stmt
}

// Values of Call.Gfp besides a parameter index.
const (
	GfpBlocking    = -1
	GfpNonblocking = -2
)

const (
	maxCallsPerFunc = 128
	// maxLinkDepth bounds how many files deep a summary is followed, and
	// maxLinkChain the evidence chain it leaves.
	maxLinkDepth = 16
	maxLinkChain = 24
	// maxLinkArgs bounds the arguments recorded per call.
	maxLinkArgs = 8
)

// linkable reports whether a function makes calls an index links: the
// full analysis then runs to record them with their conditions.
func (p *Program) linkable(fi *FuncInfo) bool {
	for _, b := range fi.F.Blocks {
		for _, s := range b.Stmts {
			if s.Kind != cparse.SCall {
				continue
			}
			if name := s.Callee(); name == "" || !isUpperName(name) && p.kb.Funcs[name] == nil {
				return true
			}
		}
	}
	return false
}

// noteCall records a call for linking (Options.LinkCalls).
func (f *flow) noteCall(s *cparse.Stmt, st *State) {
	name := s.Callee()
	if name != "" && (isUpperName(name) || f.p.kb.Funcs[name] != nil || shadowed(f.fn, name)) || len(f.out.Calls) >= maxCallsPerFunc {
		return
	}
	file, ops := "", ""
	if name == "" {
		if ops = opsMember(f.env, s.Call); ops == "" {
			return
		}
	} else if g := f.p.Lookup(f.fn, name); g != nil {
		if g.external || g == f.fi || g.F.Macro && f.macroArgsAct(g, s.Call) {
			return
		}
		file = g.F.File.Path
	}
	var inner []*Ctx
	for _, c := range st.Held {
		if !c.FromCaller {
			inner = append(inner, c)
		}
	}
	c := &Call{Fn: name, File: file, Ops: ops, Line: s.Line, Inner: inner, ArgsAct: name != "" && file == "" && f.macroArgsAct(nil, s.Call), stmt: s}
	if len(st.CallerRel)+len(st.CallerMaybe) > 0 {
		c.Unheld = f.pathUnheld(nil, st.CallerRel, st.CallerMaybe)
	}
	if ops != "" {
		c.OpsParam = f.opsParam(s.Call) + 1
		if c.OpsParam == 0 {
			c.OpsStore = f.storeClass(s.Call)
		}
		for _, h := range st.Held {
			if h.FromCaller && h.Kind.Lock && h.Class != "" {
				c.Asserted = append(c.Asserted, h)
			}
		}
	}
	for i, a := range s.Call.Args {
		v := 0
		switch g := f.gfp(a, st); g.kind {
		case gfpBlocking:
			v = GfpBlocking
		case gfpNonblocking:
			v = GfpNonblocking
		case gfpParam:
			v = g.param
		default:
			continue
		}
		if c.Gfp == nil {
			c.Gfp = map[int]int{}
		}
		c.Gfp[i] = v
	}
	// Paths that reach the call under different configurations or
	// context tests stay apart: their intersection would be no condition
	// at all, and debugobjects' "if (!IS_ENABLED(CONFIG_PREEMPT_RT) ||
	// preemptible()) fill_pool();" would allocate under a raw lock on RT.
	// The key is built in a buffer the flow keeps, and becomes a string
	// only for a call not seen before: most calls are met again on other
	// paths.
	key := append(f.keyBuf[:0], name...)
	key = append(key, '|')
	key = append(key, file...)
	key = append(key, '|')
	key = append(key, ops...)
	key = append(key, '|')
	key = strconv.AppendInt(key, int64(s.Line), 10)
	key = append(key, '|')
	key = append(key, innerSig(inner)...)
	key = append(key, '|')
	for _, fa := range st.Conds {
		deciding := configFact(fa) || ctxTest(f.p.kb, fa) != nil
		if deciding || paramFact(f.env, fa) {
			c.Conds = append(c.Conds, *fa)
		}
		if deciding {
			key = append(key, fa.Key...)
			key = strconv.AppendBool(key, fa.Val)
			key = append(key, ';')
		}
	}
	f.keyBuf = key
	if i, ok := f.calls[string(key)]; ok {
		mergeCall(f.out.Calls[i], c)
		return
	}
	c.Args = f.paramArgs(s.Call) // once per call recorded, not per path
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[string(key)] = len(f.out.Calls)
	f.out.Calls = append(f.out.Calls, c)
}

// paramArgs are a call's arguments that name a table a callee may call
// through (Call.Args): the address of a global ("&snd_pcm_action_stop"),
// or one of the function's own unchanged parameters passed on; nil when
// none is.
func (f *flow) paramArgs(call *cparse.Expr) []*cparse.Expr {
	var out []*cparse.Expr
	for i, a := range call.Args {
		if a == nil || i >= maxLinkArgs {
			break
		}
		x := a.Strip()
		switch {
		case x == nil:
			continue
		case x.Kind == cparse.EIdent && f.stableParams[x.Name]:
		case f.globalTable(x):
		default:
			continue
		}
		if out == nil {
			out = make([]*cparse.Expr, min(len(call.Args), maxLinkArgs))
		}
		out[i] = x
	}
	return out
}

// globalTable reports the address of a global object ("&ops_table").
func (f *flow) globalTable(x *cparse.Expr) bool {
	if x.Kind != cparse.EUnary || x.Op != "&" {
		return false
	}
	v := x.X.Strip()
	return v != nil && v.Kind == cparse.EIdent && !f.env.isLocal(v.Name) && f.env.paramIndex(v.Name) < 0
}

// mergeCall folds another path's view of a call into the one recorded:
// the call is made under the conditions both paths share, and a mask
// argument blocks if it does on either path.
func mergeCall(c, o *Call) {
	var facts []Cond
	for _, a := range c.Conds {
		for _, b := range o.Conds {
			if a.Key == b.Key && a.Val == b.Val {
				facts = append(facts, a)
				break
			}
		}
	}
	c.Conds = facts
	// A caller's lock released on one path to the call is not one the
	// callee can be taken to run under.
	if len(o.Unheld) > 0 {
		c.Unheld = unheldList(c.Unheld, o.Unheld)
	}
	if c.stmt != o.stmt {
		c.Args = nil // two calls of one function on one line
	}
	for i, v := range c.Gfp {
		w, ok := o.Gfp[i]
		switch {
		case !ok || w == v:
		case v == GfpBlocking || w == GfpBlocking:
			c.Gfp[i] = GfpBlocking
		default:
			delete(c.Gfp, i) // the caller's mask on one path, another on the other
		}
	}
	for i, w := range o.Gfp {
		if _, ok := c.Gfp[i]; !ok && w == GfpBlocking {
			if c.Gfp == nil {
				c.Gfp = map[int]int{}
			}
			c.Gfp[i] = w
		}
	}
}

// lift restates effect y of callee g, called by fn at c, as an effect of
// fn: nil when it does not reach fn's callers (it depends on what g's
// arguments are, or it is fn's own violation, reported in fn's file).
func lift(k *kb.KB, fn *cparse.Func, c *Call, g *cparse.Func, note string, y *Effect) *Effect {
	regFn, regItem := 0, 0
	switch y.Kind {
	case ESleep, EAlloc, EWait:
	case ETake:
		if y.Ctx == nil {
			return nil
		}
	case ERegister:
		// A wrapper's registration of a callback that runs in a context
		// (usb_register_notifier() in devm_usb_get_phy_by_node()): fn
		// registers what its own caller passes, when it hands on one of
		// its parameters.
		if y.Runs == "" {
			return nil
		}
		param := func(i int) int {
			if i <= 0 || i > len(c.Args) || c.Args[i-1] == nil || c.Args[i-1].Kind != cparse.EIdent {
				return 0
			}
			return fnParam(fn, c.Args[i-1].Name) + 1
		}
		regFn, regItem = param(y.RegFn), param(y.RegItem)
		if regFn == 0 && regItem == 0 {
			return nil
		}
	default:
		return nil
	}
	if len(y.Unheld) > 0 || y.Drops != nil || len(y.Chain)+1 > maxLinkChain {
		return nil
	}
	n := *y
	n.keyCache, n.obsCache = "", ""
	if y.Kind == ERegister {
		n.RegFn, n.RegItem = regFn, regItem
	}
	if y.OpsArg > 0 {
		// Reached through the table g's parameter points to: the one
		// this call hands over decides (narrowOps, across the link).
		if !linkNarrow(&n, c, fn) {
			return nil
		}
	}
	if len(c.Unheld) > 0 {
		n.Unheld = c.Unheld
	}
	n.Conds = append([]Cond(nil), c.Conds...)
	for _, fa := range y.Conds {
		if fa.Val && isPointerParam(&FuncInfo{F: g}, fa) {
			// "if (p)": the link takes the argument to be a real pointer;
			// when fn hands on its own parameter, the condition is fn's
			// (page_get_link() sleeps only for a non-NULL dentry, which
			// f2fs_get_link() passes on from the RCU path walk).
			if a := paramArg(c, g, fa.Expr.Strip().Name, fn); a != "" {
				n.Conds = append(n.Conds, Cond{Key: a, Val: true, Idents: []string{a}, Expr: &cparse.Expr{Kind: cparse.EIdent, Name: a}})
			}
			continue
		}
		if !configFact(&fa) && ctxTest(k, &fa) == nil {
			// A condition on g's arguments: what fn passes is not
			// followed across a link, and a condition no caller there
			// can decide (a device's capability, a computed mask) makes
			// more false findings than real ones (measured on 6.12:
			// restating them, with ops contexts inferred, added 984
			// findings, 6 of 40 sampled real).
			return nil
		}
		n.Conds = append(n.Conds, fa)
	}
	if y.GfpParam >= 0 {
		v, ok := c.Gfp[y.GfpParam]
		switch {
		case !ok:
			return nil
		case v == GfpBlocking:
			n.GfpParam, n.Sleeps = -1, y.Kind == EAlloc
		case v == GfpNonblocking:
			if y.Kind == ESleep {
				return nil
			}
			n.GfpParam, n.Sleeps = -1, false
		default:
			n.GfpParam = v
		}
	}
	if contextDenies(k, y.Conds, c.Inner) {
		return nil // g tested its context, and fn's call fails the test
	}
	n.Inner = append(append([]*Ctx(nil), c.Inner...), y.Inner...)
	if !propagates(&Obs{Eff: &n}) {
		return nil
	}
	step := Step{File: fn.File.Path, Line: c.Line, Func: fn.Name, Note: note}
	n.Chain = append([]Step{step}, y.Chain...)
	if y.Ctx != nil {
		cx := *y.Ctx
		cx.keyCache = ""
		if !globalLock(cx.Expr, g) {
			// Named through g's arguments or locals, which the link does
			// not have: the lock is known by its class alone.
			cx.Expr, cx.Inst, cx.Flags = nil, "", nil
		}
		if cx.Via != nil {
			cx.Via = cx.Via.Push(step)
		} else {
			cx.Via = NewPath(step)
		}
		n.Ctx = &cx
	}
	return &n
}

// linkNarrow is narrowOps across a link, on the arguments c recorded
// (paramArgs: the addresses of globals and fn's own parameters).
func linkNarrow(n *Effect, c *Call, fn *cparse.Func) bool {
	return narrowByArg(n, c.Args, func(string) bool { return false }, func(name string) int {
		for j, p := range fn.Params {
			if p.Name == name {
				return j
			}
		}
		return -1
	})
}

// globalLock reports whether a lock expression names a global object
// (&dev_list_lock), the same in every function: the address of a name
// that is not one of fn's parameters.
func globalLock(x *cparse.Expr, fn *cparse.Func) bool {
	x = x.Strip()
	if x == nil || x.Kind != cparse.EUnary || x.Op != "&" {
		return false
	}
	v := x.X.Strip()
	if v == nil || v.Kind != cparse.EIdent {
		return false
	}
	for _, p := range fn.Params {
		if p.Name == v.Name {
			return false
		}
	}
	return true
}

// paramArg is fn's parameter that call c hands to g's parameter named
// param, or "" when the argument is something else (or not recorded).
func paramArg(c *Call, g *cparse.Func, param string, fn *cparse.Func) string {
	for i, p := range g.Params {
		if p.Name != param {
			continue
		}
		if i >= len(c.Args) || c.Args[i] == nil || c.Args[i].Kind != cparse.EIdent {
			return ""
		}
		if name := c.Args[i].Name; fnParam(fn, name) >= 0 {
			return name
		}
	}
	return ""
}
