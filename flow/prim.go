// SPDX-License-Identifier: GPL-2.0-only

package flow

// Primitives: what the knowledge base says a lock, sleep, allocation,
// wait or callback registration does, run on a state.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"lockbot/cparse"
	"lockbot/kb"
)

// lockArg returns the lock expression a primitive acts on, in the current
// function's terms.
// maxIrqLevels bounds the irq-off contexts one local_irq_enable() ends.
const maxIrqLevels = 8

func (f *flow) lockArg(spec *kb.Func, args []*cparse.Expr, ret *cparse.Expr) *cparse.Expr {
	if spec.Lock != nil {
		if i, ok := spec.LockIndex(len(args)); ok {
			return args[i]
		}
		return nil
	}
	if spec.LockExpr == "" {
		return nil
	}
	if ret != nil {
		return f.templateRet(spec.LockExpr, args, ret)
	}
	return f.template(spec.LockExpr, args)
}

// templateRet instantiates a template that may name the call's result as
// $ret (pmd_lock() returns the lock it took).
func (f *flow) templateRet(text string, args []*cparse.Expr, ret *cparse.Expr) *cparse.Expr {
	tpl, ok := f.exprTpl[text]
	if !ok {
		src := []byte(text)
		tpl = cparse.ParseExpr(src, 0, len(src), nil)
		f.exprTpl[text] = tpl
	}
	m := map[string]*cparse.Expr{"$ret": ret}
	for i, a := range args {
		m["$"+strconv.Itoa(i)] = a
	}
	for _, id := range tpl.Idents() {
		if strings.HasPrefix(id, "$") && m[id] == nil {
			return nil
		}
	}
	return Canon(tpl.Subst(m))
}

// template instantiates an expression over call arguments ($0, $1, ...);
// nil when it names an argument the call does not have.
func (f *flow) template(text string, args []*cparse.Expr) *cparse.Expr {
	return f.templateRet(text, args, nil)
}

func (f *flow) newCtx(kind *kb.Kind, spec *kb.Func, arg *cparse.Expr, via Step) *Ctx {
	c := &Ctx{Kind: kind, Via: NewPath(via)}
	if arg != nil {
		c.Expr = f.canonLock(arg)
		if c.Expr != nil {
			if spec != nil && spec.Class != "" {
				c.Class = spec.Class
			} else {
				c.Class = f.env.classOf(Canon(arg))
			}
			c.Inst = instOf(c.Expr, c.Class)
		}
	}
	return c
}

func (f *flow) held(st *State, kind string) bool {
	for _, c := range st.Held {
		if c.Kind.Name == kind || containsStr(c.Kind.Implies, kind) {
			return true
		}
	}
	return false
}

// heldAny reports whether the state holds any of the kinds.
func (f *flow) heldAny(st *State, kinds []string) bool {
	for _, k := range kinds {
		if f.held(st, k) {
			return true
		}
	}
	return false
}

// prim interprets a call to a kernel primitive described in rules.yaml.
func (f *flow) prim(b *cparse.Block, s *cparse.Stmt, spec *kb.Func, call *cparse.Expr, st *State, id int, condGuard bool) []*State {
	args := call.Args
	text := callText(call)
	line := s.Line
	if spec.ContextRelease {
		if len(args) > 0 {
			if c := f.findHeld(st, args[0]); c != nil {
				n := st.clone()
				for i, h := range n.Held {
					if h == c {
						n.Held = append(n.Held[:i:i], n.Held[i+1:]...)
						break
					}
				}
				return []*State{n}
			}
		}
		return []*State{st}
	}
	lock := f.lockArg(spec, args, s.LHS)

	if spec.GFP != nil && *spec.GFP < len(args) && s.LHS != nil {
		mask := args[*spec.GFP]
		if spec.NofailBlocking && f.gfp(mask, st).kind == gfpBlocking || mask.Reads("__GFP_NOFAIL") {
			// This allocation cannot fail: its result is non-NULL.
			f.setVarFact(st, s.LHS, true, RetNonZero)
		}
	}
	if f.record {
		var dropped *Ctx
		if spec.Drops != "" {
			if d := f.template(spec.Drops, args); d != nil {
				dropped = f.findHeld(st, d)
				if dropped == nil {
					// A lock the caller holds (a helper running
					// cond_resched_lock() on it): the caller matches it
					// by its expression, and does not count it.
					if k := f.p.kb.KindOfType(f.env.lockType(d)); k != nil {
						if x := f.canonLock(d); x != nil {
							cls := f.env.classOf(Canon(d))
							dropped = &Ctx{Kind: k, Expr: x, Inst: instOf(x, cls), Class: cls}
						}
					}
				}
			}
		}
		if spec.GFP != nil && *spec.GFP < len(args) {
			g := f.gfp(args[*spec.GFP], st)
			mask := args[*spec.GFP].String()
			switch g.kind {
			case gfpBlocking:
				f.observe(s, st, &Effect{Kind: ESleep, GfpParam: -1, What: text,
					Chain: []Step{f.step(line, fmt.Sprintf("%s may sleep: %s allows direct reclaim", text, mask))}}, dropped, b)
			case gfpParam:
				f.observe(s, st, &Effect{Kind: ESleep, GfpParam: g.param, What: text,
					Chain: []Step{f.step(line, fmt.Sprintf("%s may sleep when %s allows direct reclaim", text, mask))}}, dropped, b)
			}
			if spec.Alloc {
				gp := -1
				if g.kind == gfpParam {
					gp = g.param
				}
				f.observe(s, st, &Effect{Kind: EAlloc, GfpParam: gp, Sleeps: g.kind == gfpBlocking, What: text,
					Chain: []Step{f.step(line, text+" allocates memory")}}, nil, b)
			}
		} else if spec.Alloc {
			f.observe(s, st, &Effect{Kind: EAlloc, GfpParam: -1, Sleeps: spec.Sleeps, What: text,
				Chain: []Step{f.step(line, text+" allocates memory")}}, nil, b)
		}
		if spec.Free {
			f.observe(s, st, &Effect{Kind: EAlloc, GfpParam: -1, Frees: true, What: text,
				Chain: []Step{f.step(line, text+" frees memory")}}, nil, b)
		}
		if unless := spec.Unless(); spec.Sleeps && !f.heldAny(st, unless) {
			e := &Effect{Kind: ESleep, GfpParam: -1, Blocks: spec.Blocks, Wait: spec.Wait, What: text,
				Chain: []Step{f.step(line, text+" may sleep")}, Unless: unless}
			if dropped != nil {
				e.Drops = dropped
			}
			f.observe(s, st, e, dropped, b)
		}
		if spec.Wait != "" {
			f.observe(s, st, f.waitEffect(spec, args, text, line), nil, b)
		}
		if spec.Register != "" && spec.Item != nil && spec.Fn != nil && *spec.Item < len(args) && *spec.Fn < len(args) {
			if fn := args[*spec.Fn].Strip(); fn != nil && fn.Kind == cparse.EIdent {
				e := &Effect{Kind: ERegister, GfpParam: -1, Item: f.env.classOf(args[*spec.Item]), Fn: fn.Name, What: text,
					Chain: []Step{f.step(line, fmt.Sprintf("%s registers %s()", text, fn.Name))}}
				// In a wrapper, what the caller passes.
				e.RegFn = fnParam(f.fn, fn.Name) + 1
				if it := args[*spec.Item].Strip(); it != nil && it.Kind == cparse.EIdent {
					if e.RegItem = fnParam(f.fn, it.Name) + 1; e.RegItem > 0 {
						e.Item = ""
					}
				}
				f.observe(s, st, e, nil, b)
			}
		}
		if spec.RunsIn != "" {
			if e := f.contextRegistration(spec, args, text, line); e != nil {
				f.observe(s, st, e, nil, b)
			}
		}
		if spec.Enqueue && spec.Item != nil && spec.Queue != nil && *spec.Item < len(args) && *spec.Queue < len(args) {
			f.observe(s, st, &Effect{Kind: EQueue, GfpParam: -1, Item: f.env.classOf(args[*spec.Item]),
				Queue: f.queueClass(args[*spec.Queue]), What: text,
				Chain: []Step{f.step(line, text+" queues the work item")}}, nil, b)
		}
		if spec.SeqWrite && lock != nil {
			c := f.newCtx(f.p.kb.Kinds["seqcount_write"], spec, lock, f.step(line, text))
			f.observe(s, st, &Effect{Kind: ESeqWrite, GfpParam: -1, Ctx: c, What: text, Item: f.env.lockType(lock),
				Chain: []Step{f.step(line, fmt.Sprintf("%s begins a write on seqcount_t %s", text, c.Class))}}, nil, b)
		}
	}
	if spec.Assert != "" {
		f.assert(spec, lock, st, line, text)
	}
	restored := false
	if spec.Release != "" {
		var flags *cparse.Expr
		if spec.IrqFlags != nil && *spec.IrqFlags < len(args) {
			flags = args[*spec.IrqFlags]
		}
		kind := f.p.kb.Kinds[spec.Release]
		if flags != nil && kind.Name == "irq" {
			// local_irq_restore(flags): the state the save stored.
			restored = f.restoreIrq(s, b, st, flags, f.step(line, text))
		}
		if !restored && flags != nil {
			// spin_unlock_irqrestore(lock, flags) of the lock's own
			// spin_lock_irqsave(lock, flags): the release ends it, and
			// nothing of the caller's is restored.
			if i := f.matchRelease(st, kind, lock); i >= 0 && st.Held[i].SavedIn != "" {
				saved, _ := f.savedName(flags)
				restored = saved == st.Held[i].SavedIn
			}
		}
		if kind.Name != "irq" || !restored {
			f.release(s, b, kind, lock, "", st, f.step(line, text), true)
		}
		if kind.Name == "irq" && flags == nil {
			// local_irq_enable() enables interrupts however often they
			// were disabled: irq-off does not nest as a lock does
			// (arm's do_work_pending() disables at the bottom of its
			// loop, on a path that did not enable, and enables at the
			// top).
			for n := 0; n < maxIrqLevels && f.matchRelease(st, kind, nil) >= 0; n++ {
				f.release(s, b, kind, nil, "", st, f.step(line, text), false)
			}
		}
		if flags != nil && !restored {
			// spin_unlock_irqrestore(lock, flags) after local_irq_save(flags).
			f.restoreIrq(s, b, st, flags, f.step(line, text))
		}
	}
	if spec.MayRelease != "" {
		f.mayRelease(f.p.kb.Kinds[spec.MayRelease], lock, st, f.step(line, text))
	}
	if spec.AlsoRelease != "" {
		// A secondary release: it never reports a lock not held.
		f.release(s, b, f.p.kb.Kinds[spec.AlsoRelease], nil, "", st, f.step(line, text), false)
	}
	if spec.Callback != nil && *spec.Callback < len(args) {
		if sts := f.callback(b, s, spec, args, st); sts != nil {
			return sts
		}
	}
	kindName := spec.Acquire
	try := false
	if kindName == "" && spec.Try != "" {
		kindName = spec.Try
		try = true
	}
	if kindName == "" {
		return []*State{st}
	}
	kind := f.p.kb.Kinds[kindName]
	c := f.newCtx(kind, spec, lock, f.step(line, f.enterNote(text, kind, nil)))
	c.Via.Step.Note = f.enterNote(text, kind, c)
	c.Try = try
	if spec.IrqFlags != nil && *spec.IrqFlags < len(args) {
		x := args[*spec.IrqFlags]
		if a := x.Strip(); a != nil && a.Kind == cparse.EUnary && a.Op == "&" {
			x = a.X // folio_lruvec_lock_irqsave(folio, &flags)
		}
		c.SavedIn, _ = f.savedName(x)
	}
	if spec.Subclass != nil && *spec.Subclass < len(args) {
		c.Sub, c.SubParam = f.subclass(args[*spec.Subclass])
	}
	if f.record {
		if kind.Category == kb.Sleeping && !try && !kind.EntryNeverSleeps {
			f.observe(s, st, &Effect{Kind: ESleep, GfpParam: -1, Blocks: true, What: text,
				Chain: []Step{f.step(line, fmt.Sprintf("%s may sleep waiting for %s", text, c.Name()))}}, nil, b)
		}
		if spec.Release == "" {
			// A conversion (downgrade_write) keeps the lock it had: it
			// takes nothing new, for lock order or anything else.
			f.observe(s, st, &Effect{Kind: ETake, GfpParam: -1, Ctx: c, What: text, Chain: []Step{c.Via.Step}}, nil, b)
		}
	}
	var also *Ctx
	if spec.AlsoAcquire != "" {
		k := f.p.kb.Kinds[spec.AlsoAcquire]
		also = f.newCtx(k, nil, nil, f.step(line, f.enterNote(text, k, nil)))
	}
	if !try || !(f.tested[id] || condGuard) {
		f.acquire(st, c)
		if also != nil {
			f.acquire(st, also)
		}
		return []*State{st}
	}
	// A trylock whose result is read: split into success and failure.
	val := spec.Success != "zero"
	key := "$call" + strconv.Itoa(id)
	if condGuard {
		key = "$guard" + strconv.Itoa(id)
		val = true
	}
	okClass, failClass := RetNonZero, RetZero
	if !val {
		okClass, failClass = RetZero, RetError
	}
	ok := st.clone()
	f.acquire(ok, c)
	if also != nil {
		f.acquire(ok, also)
	}
	ok.setFact(Cond{Key: key, Val: val, Class: okClass})
	fail := st
	fail.setFact(Cond{Key: key, Val: !val, Class: failClass})
	fail.Released = append(fail.Released, relMark{fam: Family(kind), class: c.Class, inst: c.Inst,
		step: f.step(line, text+" failed"), failed: true})
	if s.LHS != nil && !condGuard {
		f.setVarFact(ok, s.LHS, val, okClass)
		f.setVarFact(fail, s.LHS, !val, failClass)
	}
	return []*State{ok, fail}
}

// mayRelease forgets a lock a call releases on some of its returns: a
// lock this function took is no longer counted as held; one its caller
// holds becomes a maybe-release in the summary.
func (f *flow) mayRelease(kind *kb.Kind, lock *cparse.Expr, st *State, step Step) {
	if i := f.matchLoose(st, kind, lock); i >= 0 {
		st.Held = append(st.Held[:i:i], st.Held[i+1:]...)
		return
	}
	m := &Ctx{Kind: kind, FromCaller: true, Via: NewPath(step)}
	if lock != nil {
		m.Expr = f.canonLock(lock)
		m.Class = f.env.classOf(Canon(lock))
		m.Inst = instOf(m.Expr, m.Class)
	}
	if !st.isCallerMaybe(m) {
		st.CallerMaybe = append(st.CallerMaybe[:len(st.CallerMaybe):len(st.CallerMaybe)], m)
	}
}

// matchLoose is matchRelease for releases that are only maybe (a call
// that drops a lock on some returns, a callee that released it before an
// effect): where the types on the way are unknown ("vma->vm_mm->mmap_lock"
// without struct vm_area_struct), the one held lock of the family with
// the same member name is the one.
func (f *flow) matchLoose(st *State, kind *kb.Kind, lock *cparse.Expr) int {
	i := f.matchRelease(st, kind, lock)
	if i >= 0 || lock == nil {
		return i
	}
	field := lastField(Canon(lock))
	if field == "" {
		return -1
	}
	for j, c := range st.Held {
		if Family(c.Kind) == Family(kind) && lastField(c.Expr) == field {
			if i >= 0 {
				return -1
			}
			i = j
		}
	}
	return i
}

// lastField returns the member a lock expression ends in: "mmap_lock" of
// "&mm->mmap_lock".
func lastField(e *cparse.Expr) string {
	e = e.Strip()
	for e != nil && e.Kind == cparse.EUnary && (e.Op == "&" || e.Op == "*") {
		e = e.X.Strip()
	}
	if e != nil && e.Kind == cparse.EField {
		return e.Name
	}
	return ""
}

// callback splits on a call that runs a function it is given when it
// returns nonzero (kref_put(ref, release)): on that side the function's
// summary applies, as if called with the first argument.
func (f *flow) callback(b *cparse.Block, s *cparse.Stmt, spec *kb.Func, args []*cparse.Expr, st *State) []*State {
	fn := args[*spec.Callback].Strip()
	if fn == nil || fn.Kind != cparse.EIdent {
		return nil
	}
	g := f.p.Lookup(f.fn, fn.Name)
	if g == nil || g.Sum == nil {
		return nil
	}
	call := &cparse.Expr{Kind: cparse.ECall, X: fn, Args: args[:1], Pos: s.Call.Pos}
	cs := &cparse.Stmt{Kind: cparse.SCall, ID: s.ID, Line: s.Line, Call: call}
	key := "$call" + strconv.Itoa(s.ID)
	f.lastRef = spec.LastRef
	ran := f.apply(b, cs, g, st.clone(), st)
	f.lastRef = false
	for _, r := range ran {
		r.setFact(Cond{Key: key, Val: true, Class: RetNonZero})
		if s.LHS != nil {
			f.setVarFact(r, s.LHS, true, RetNonZero)
		}
	}
	kept := st.clone()
	kept.setFact(Cond{Key: key, Val: false, Class: RetZero})
	if s.LHS != nil {
		f.setVarFact(kept, s.LHS, false, RetZero)
	}
	return append(ran, kept)
}

func (f *flow) setVarFact(st *State, lhs *cparse.Expr, val bool, class RetClass) {
	l := Canon(lhs)
	if l == nil {
		return
	}
	st.setFact(Cond{Key: l.String(), Val: val, Idents: l.Idents(), Expr: l, Class: class})
}

// subclass is the lockdep subclass a *_nested() call names: a number,
// or a named constant (ntfs3's BITMAP_MUTEX_MFT is 1, its
// BITMAP_MUTEX_CLUSTERS 0: two classes, as lockdep sees them). A
// parameter of the function (a wrapper's, a macro's) is decided by each
// caller's argument (translateCtx); anything else is taken as 1, a
// nesting annotation with a value not known here.
func (f *flow) subclass(e *cparse.Expr) (int, string) {
	e = e.Strip()
	if e == nil {
		return 1, ""
	}
	if e.Kind == cparse.ENumber {
		if n, err := strconv.Atoi(e.Name); err == nil {
			return n, ""
		}
	}
	if v, ok := cparse.EvalInt(e, f.p.constsOf(e)); ok {
		return int(v), ""
	}
	if e.Kind == cparse.EIdent && f.fi != nil {
		for _, p := range f.fi.F.Params {
			if p.Name == e.Name {
				return 1, e.Name
			}
		}
	}
	return 1, ""
}

// argSubclass decides a callee's parameter subclass (Ctx.SubParam) by the
// argument its caller passes.
func (f *flow) argSubclass(c *Ctx, subst map[string]*cparse.Expr) (int, string) {
	if c.SubParam == "" {
		return c.Sub, ""
	}
	a, ok := subst[c.SubParam]
	if !ok || a == nil {
		return c.Sub, ""
	}
	return f.subclass(a)
}

func (f *flow) enterNote(text string, kind *kb.Kind, c *Ctx) string {
	if c != nil && kind.Lock {
		return fmt.Sprintf("%s takes %s", text, c.Name())
	}
	return fmt.Sprintf("%s enters %s", text, kind.Note)
}

func (f *flow) waitEffect(spec *kb.Func, args []*cparse.Expr, text string, line int) *Effect {
	e := &Effect{Kind: EWait, GfpParam: -1, Wait: spec.Wait, What: text}
	switch spec.Wait {
	case "rcu":
		e.Chain = []Step{f.step(line, text+" waits for all RCU readers")}
	case "srcu":
		if i, ok := spec.LockIndex(len(args)); ok {
			e.Ctx = f.newCtx(f.p.kb.Kinds["srcu"], spec, args[i], f.step(line, text))
		}
		e.Chain = []Step{f.step(line, text+" waits for all SRCU readers")}
	case "work":
		if spec.Item != nil && *spec.Item < len(args) {
			e.Item = f.env.classOf(args[*spec.Item])
		}
		e.Chain = []Step{f.step(line, text+" waits for the work item to finish")}
	case "queue":
		if spec.Queue != nil && *spec.Queue < len(args) {
			e.Queue = f.queueClass(args[*spec.Queue])
		}
		e.Chain = []Step{f.step(line, text+" waits for the work queued on it")}
	}
	return e
}

// queueClass names a workqueue: the pointer itself, by declared type and
// field, or a global.
func (f *flow) queueClass(arg *cparse.Expr) string {
	a := Canon(arg)
	if a == nil {
		return ""
	}
	switch a.Kind {
	case cparse.EIdent:
		if !f.env.isLocal(a.Name) {
			return a.Name
		}
	case cparse.EField:
		if t, ok := f.env.typeOf(a.X); ok && strings.HasPrefix(t.Base, "struct ") {
			return t.Base + "::" + a.Name
		}
	}
	return ""
}

func (f *flow) assert(spec *kb.Func, lock *cparse.Expr, st *State, line int, text string) {
	var kind *kb.Kind
	if spec.Assert == "not_held" {
		// The code states the lock is released by now: a callee this
		// analysis cannot see (bdev_freeze()'s ->freeze() holder op)
		// dropped it. Held no longer, and no release to check.
		if c := f.findHeld(st, lock); c != nil && lock != nil {
			for i := len(st.Held) - 1; i >= 0; i-- {
				if st.Held[i] == c {
					st.Held = append(st.Held[:i:i], st.Held[i+1:]...)
					break
				}
			}
		}
		return
	}
	if spec.Assert == "held" {
		if lock == nil {
			return
		}
		kind = f.p.kb.KindOfType(f.env.lockType(lock))
		if kind == nil {
			return
		}
		if spec.Read && kind.Name == "rwsem_write" {
			kind = f.p.kb.Kinds["rwsem_read"]
		}
		if f.findHeld(st, lock) != nil {
			return
		}
	} else {
		kind = f.p.kb.Kinds[spec.Assert]
		if f.held(st, kind.Name) {
			return
		}
		lock = nil
	}
	c := f.newCtx(kind, nil, lock, f.step(line, fmt.Sprintf("%s: the caller holds %s", text, kind.Desc)))
	c.FromCaller = true
	st.Held = append(st.Held, c)
}

// callText renders a call compactly for chain lines.
func callText(call *cparse.Expr) string {
	s := call.String()
	if len(s) <= 60 {
		return s
	}
	name := call.CallName()
	if name == "" {
		return s[:57] + "..."
	}
	var args []string
	for _, a := range call.Args {
		t := a.String()
		if len(t) > 24 {
			t = "..."
		}
		args = append(args, t)
	}
	s = name + "(" + strings.Join(args, ", ") + ")"
	if len(s) > 80 {
		s = name + "(...)"
	}
	return s
}

// contextRegistration is a wrapper's registration of what its caller
// passes with a function whose callback runs in a context (runs_in):
// usb_register_notifier(x, nb) registers nb on an atomic notifier chain,
// and the caller's nb->notifier_call runs there. Registrations of the
// function's own callbacks are callbackContexts' business; nil for them.
func (f *flow) contextRegistration(spec *kb.Func, args []*cparse.Expr, text string, line int) *Effect {
	kind := f.p.kb.Kinds[spec.RunsIn]
	if kind == nil {
		return nil
	}
	e := &Effect{Kind: ERegister, GfpParam: -1, Runs: spec.RunsIn, What: text}
	switch {
	case spec.Fn != nil:
		if *spec.Fn >= len(args) {
			return nil
		}
		name := funcArg(args[*spec.Fn])
		if name == "" || fnParam(f.fn, name) < 0 {
			return nil
		}
		e.Fn, e.RegFn = name, fnParam(f.fn, name)+1
	case spec.FnMember != "" && spec.Item != nil:
		if *spec.Item >= len(args) {
			return nil
		}
		it := args[*spec.Item].Strip()
		if it == nil || it.Kind != cparse.EIdent || fnParam(f.fn, it.Name) < 0 {
			return nil
		}
		e.RegItem, e.Member = fnParam(f.fn, it.Name)+1, spec.FnMember
	default:
		return nil
	}
	e.Chain = []Step{f.step(line, fmt.Sprintf("%s runs its callback in %s", text, kind.Desc))}
	return e
}

// paramSave prefixes, in an interrupts-off context, the index of the
// parameter that holds the saved state for the caller: "$param1" the
// flags passed by value, "$param1*" those a pointer points to
// (local_irq_save(*flags) in perf_lock_task_context()).
const paramSave = "$param"

// savedName names the variable interrupt state is saved in or restored
// from, and, when it is the caller's (a parameter, or what one points
// to), that parameter in paramSave's form.
func (f *flow) savedName(flags *cparse.Expr) (name, param string) {
	deref := ""
	if r := flags.Strip(); r != nil && r.Kind == cparse.EUnary && r.Op == "*" {
		deref, flags = "*", r.X
	}
	x := f.canonLock(flags)
	if x == nil {
		return "", ""
	}
	name = deref + x.String()
	x = x.Strip()
	if x != nil && x.Kind == cparse.EIdent {
		if i := f.env.paramIndex(x.Name); i >= 0 {
			param = paramSave + strconv.Itoa(i) + deref
			if deref != "" {
				name = param // the same save whatever the caller calls it
			}
		}
	}
	return name, param
}

// restoresFirst orders a callee's releases with its restores of the
// caller's interrupt state first: a restore of the flags the caller's
// spin_lock_irqsave(lock, flags) saved finds that lock held only before
// the lock's own release is applied.
func restoresFirst(rs []*Ctx) []*Ctx {
	i := slices.IndexFunc(rs, func(r *Ctx) bool { return !strings.HasPrefix(r.SavedIn, paramSave) })
	if i < 0 || !slices.ContainsFunc(rs[i:], func(r *Ctx) bool { return strings.HasPrefix(r.SavedIn, paramSave) }) {
		return rs
	}
	out := make([]*Ctx, 0, len(rs))
	for _, first := range []bool{true, false} {
		for _, r := range rs {
			if strings.HasPrefix(r.SavedIn, paramSave) == first {
				out = append(out, r)
			}
		}
	}
	return out
}

// callerFlags is, at call s, the caller's expression for a callee's
// paramSave-named flags: the argument, or what it points to ("flags" for
// a callee's *flags given &flags).
func callerFlags(s *cparse.Stmt, saved string) *cparse.Expr {
	i, ok := strings.CutPrefix(saved, paramSave)
	if !ok || s.Call == nil {
		return nil
	}
	i, deref := strings.CutSuffix(i, "*")
	j, err := strconv.Atoi(i)
	if err != nil || j >= len(s.Call.Args) {
		return nil
	}
	arg := s.Call.Args[j]
	if !deref {
		return arg
	}
	if a := arg.Strip(); a != nil && a.Kind == cparse.EUnary && a.Op == "&" {
		return a.X
	}
	return &cparse.Expr{Kind: cparse.EUnary, Op: "*", X: arg}
}

// restoreIrq ends, at a restore from flags, the interrupts-off section a
// save to flags began and every one begun after it: the saved state comes
// back whatever disabled interrupts in between (local_irq_save(flags); if
// (x) local_irq_disable(); local_irq_restore(flags) leaves them as they
// were). It reports whether a save to flags was held.
func (f *flow) restoreIrq(s *cparse.Stmt, b *cparse.Block, st *State, flags *cparse.Expr, via Step) bool {
	saved, param := f.savedName(flags)
	if saved == "" {
		return false
	}
	at := -1
	for i := len(st.Held) - 1; i >= 0; i-- {
		// A lock's irqsave counts as the save: a helper handed the lock
		// and its flags (spin_unlock_irqrestore(lock, flags) of its
		// caller's spin_lock_irqsave(lock, flags)) restores the state of
		// before that lock, not before an older section.
		if c := st.Held[i]; c.SavedIn == saved {
			at = i
			break
		}
	}
	if at < 0 {
		if param != "" {
			// The flags are the caller's (process_finished_items(...,
			// flags) unlocks with the state its caller saved): the
			// caller's save ends at this call.
			st.CallerRel = append(st.CallerRel, &Ctx{Kind: f.p.kb.Kinds["irq"], FromCaller: true, SavedIn: param, Via: NewPath(via)})
		}
		return false
	}
	n := 0
	for _, c := range st.Held[at:] {
		if c.Kind.Name == "irq" {
			n++
		}
	}
	irq := f.p.kb.Kinds["irq"]
	for ; n > 0; n-- {
		f.release(s, b, irq, nil, "", st, via, false)
	}
	return true
}
