// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"fmt"
	"strings"
)

// Expressions in the control flow: the calls, assignments and
// conditional evaluation (&&, ||, ?:) an expression makes, conditions
// split into one branch per atom, and macros with statement bodies
// (scoped guards, iterators).

// logical reports a return value that is a truth value built of && or ||.
func logical(e *Expr) bool {
	e = e.Strip()
	return e != nil && e.Kind == EBinary && (e.Op == "&&" || e.Op == "||")
}

func (b *cfgBuilder) nestedMacro(n *tsNode) {
	name := ""
	if t := n.ChildByFieldName("type"); t != nil {
		name = t.Content(b.fb.src)
	}
	var args []*Expr
	if d := n.ChildByFieldName("declarator"); d != nil {
		x := b.expr(d)
		if x.Kind == EParen {
			x = x.X
		}
		if x != nil && x.Kind == EComma {
			args = x.Args
		} else if x != nil {
			args = []*Expr{x}
		}
	}
	b.blockMacro(&BlockMacro{Name: name, Args: args, Pos: int(n.StartByte())}, n.ChildByFieldName("body"))
}

// blockMacro builds a macro with a statement body: scoped guards run the
// body once with the lock held, iterators run it any number of times.
func (b *cfgBuilder) blockMacro(m *BlockMacro, body *tsNode) {
	line := b.line(m.Pos)
	switch m.Name {
	case "scoped_guard", "scoped_cond_guard":
		if len(m.Args) == 0 || m.Args[0].Kind != EIdent {
			break
		}
		g := &Guard{Class: m.Args[0].Name, Line: line}
		rest := m.Args[1:]
		var fail *Expr
		if m.Name == "scoped_cond_guard" && len(rest) > 0 {
			fail, rest = rest[0], rest[1:]
			g.Cond = true
		}
		g.Args = rest
		g.ID = b.nextID()
		b.add(&Stmt{Kind: SGuard, Line: line, Guard: g})
		after := b.newBlock()
		if g.Cond {
			ok, failed := b.newBlock(), b.newBlock()
			b.branch(&Expr{Kind: EIdent, Name: fmt.Sprintf("$guard%d", g.ID), Pos: m.Pos}, ok.ID, failed.ID, false, line)
			b.cur = failed
			b.failAction(fail, line)
			b.jump(after.ID)
			b.cur = ok
		}
		// scoped_guard is a for loop underneath: break leaves it.
		b.jumps = append(b.jumps, jumpTarget{brk: after.ID, cont: -1, depth: len(b.scopes)})
		if body != nil && b.typ(body) == "compound_statement" {
			b.compound(body, g)
		} else {
			sc := &scope{start: m.Pos, end: m.Pos + 1, guards: []*Guard{g}}
			b.scopes = append(b.scopes, sc)
			b.stmt(body)
			b.closeScopes(len(b.scopes)-1, line)
			b.scopes = b.scopes[:len(b.scopes)-1]
		}
		b.jumps = b.jumps[:len(b.jumps)-1]
		b.jump(after.ID)
		b.cur = after
		return
	}
	head, bodyB, after := b.newBlock(), b.newBlock(), b.newBlock()
	b.ensure()
	b.jump(head.ID)
	b.cur = head
	for _, a := range m.Args {
		if a.Kind == EIdent {
			b.add(&Stmt{Kind: SLoopVar, Line: line, LHS: a})
		}
	}
	// An iterator's exit test is opaque: both edges, no condition.
	b.branch(nil, bodyB.ID, after.ID, false, line)
	b.cur = bodyB
	b.loop(head.ID, after.ID, func() { b.stmt(body) })
	b.jump(head.ID)
	b.cur = after
}

// failAction builds scoped_cond_guard's failure statement.
func (b *cfgBuilder) failAction(fail *Expr, line int) {
	if fail == nil || fail.Kind != EUnary {
		return
	}
	switch strings.TrimSpace(fail.Op) {
	case "return":
		b.emit(fail.X)
		b.ret(fail.X, line)
	case "goto":
		if fail.X != nil && fail.X.Kind == EIdent {
			b.gotoLabel(fail.X.Name, line)
		}
	case "break":
		if t := b.innermost(true); t != nil {
			b.jump(t.brk)
		}
	}
}

// cond builds the branches of a condition, splitting && and || into
// separate tests so each atom gets its own edge.
func (b *cfgBuilder) cond(e *Expr, t, f int, line int) {
	for e != nil && e.Kind == EParen {
		e = e.X
	}
	if e == nil || e.Kind == EBad {
		b.branch(nil, t, f, false, line)
		return
	}
	switch e.Kind {
	case EUnary:
		if e.Op == "!" {
			b.cond(e.X, f, t, line)
			return
		}
	case EBinary:
		switch e.Op {
		case "&&":
			mid := b.newBlock()
			b.cond(e.X, mid.ID, f, line)
			b.cur = mid
			b.cond(e.Y, t, f, line)
			return
		case "||":
			mid := b.newBlock()
			b.cond(e.X, t, mid.ID, line)
			b.cur = mid
			b.cond(e.Y, t, f, line)
			return
		}
	case ECall:
		if name := e.CallName(); b.fb.p.dialect.Transparent[name] && len(e.Args) > 0 {
			b.cond(e.Args[0], t, f, line)
			return
		}
	case EComma:
		for _, a := range e.Args[:len(e.Args)-1] {
			b.emit(a)
		}
		b.cond(e.Args[len(e.Args)-1], t, f, line)
		return
	case EPostfix:
		// "if (!p++)" tests p before the increment, which happens on
		// both edges.
		if e.Op == "++" || e.Op == "--" {
			inc := &Stmt{Kind: SAssign, Line: line, LHS: e.X}
			tt, ff := b.newBlock(), b.newBlock()
			b.cond(e.X, tt.ID, ff.ID, line)
			for _, bl := range []*Block{tt, ff} {
				b.cur = bl
				b.add(&Stmt{Kind: inc.Kind, Line: inc.Line, LHS: inc.LHS})
			}
			b.cur = tt
			b.jump(t)
			b.cur = ff
			b.jump(f)
			return
		}
	case ENumber:
		if isZero(e.Name) {
			b.jump(f)
		} else {
			b.jump(t)
		}
		return
	case EIdent:
		switch e.Name {
		case "true":
			b.jump(t)
			return
		case "false":
			b.jump(f)
			return
		}
	}
	b.emit(e)
	b.branch(e, t, f, false, line)
}

func isZero(lit string) bool {
	s := strings.TrimRight(strings.ToLower(lit), "ul")
	return s == "0" || s == "0x0" || s == "00"
}

func containsInt(l []int, x int) bool {
	for _, v := range l {
		if v == x {
			return true
		}
	}
	return false
}

func hasCall(e *Expr) bool {
	found := false
	e.Walk(func(x *Expr) bool {
		if x.Kind == ECall || x.Kind == EStmtExpr {
			found = true
		}
		return !found && x.Kind != ESizeof
	})
	return found
}

// emit adds the statements that evaluate e: its calls in evaluation order
// and its assignments. Conditional evaluation (?:, &&, ||) around calls
// becomes real branches.
func (b *cfgBuilder) emit(e *Expr) {
	if e == nil {
		return
	}
	line := func() int { return b.line(e.Pos) }
	switch e.Kind {
	case ECall:
		if sel := e.X.Strip(); sel != nil && sel.Kind == ECond && sel.Y != nil && sel.Y.Strip().Kind == EIdent && sel.Z.Strip().Kind == EIdent {
			// (w ? up_write : up_read)(&b->lock): one direct call per arm.
			t, f, join := b.newBlock(), b.newBlock(), b.newBlock()
			b.ensure()
			b.cond(sel.X, t.ID, f.ID, line())
			for _, arm := range []struct {
				bl   *Block
				fn   *Expr
				args []*Expr
			}{{t, sel.Y.Strip(), e.Args}, {f, sel.Z.Strip(), cloneAll(e.Args)}} {
				b.cur = arm.bl
				b.emit(&Expr{Kind: ECall, X: arm.fn, Args: arm.args, Pos: e.Pos})
				b.jump(join.ID)
			}
			b.cur = join
			return
		}
		if inner := e.X.Strip(); inner != nil && inner.Kind == ECall && inner.CallName() == "guard" && len(inner.Args) == 1 && inner.Args[0].Kind == EIdent {
			g := &Guard{Class: inner.Args[0].Name, Args: e.Args, Line: line()}
			g.ID = b.nextID()
			b.add(&Stmt{Kind: SGuard, Line: g.Line, Guard: g})
			if len(b.scopes) > 0 {
				sc := b.scopes[len(b.scopes)-1]
				sc.guards = append(sc.guards, g)
			}
			return
		}
		if e.X != nil && e.X.Kind != EIdent {
			b.emit(e.X)
		}
		name := e.CallName()
		if b.fb.p.dialect.BugOn[name] && len(e.Args) > 0 {
			// BUG_ON(cond): the path where cond holds stops here.
			stop, cont := b.newBlock(), b.newBlock()
			b.ensure()
			b.cond(e.Args[0], stop.ID, cont.ID, line())
			b.cur = stop
			b.add(&Stmt{Kind: SCall, Line: line(), Call: e})
			b.cur.Term = TStop
			b.cur = cont
			return
		}
		if b.fb.pre.opaque[name] {
			// A local macro around locking: a plain expression body is
			// read in the call's place (bounded, for macros naming one
			// another). Otherwise where its arguments run is hidden in
			// its body: a call of it stands for its body read as a
			// function (macrofunc.go) when no argument does anything,
			// and is left out when one does (raid10 hands its wait
			// macro an unlock and a lock to run around the sleep).
			if t := b.fb.pre.expand[name]; t != nil && b.expanding < maxMacroDepth && b.wholeMacro(t) {
				if x := t.instantiate(e.Args, e.Pos); x != nil {
					b.expanding++
					b.emit(x)
					b.expanding--
				}
			} else if b.fb.macroFns[name] && !anyHasCall(e.Args) {
				b.add(&Stmt{Kind: SCall, Line: line(), Call: e})
			}
			return
		}
		lazy := b.fb.p.dialect.Lazy[name]
		after := b.fb.p.dialect.After[name]
		for i, a := range e.Args {
			if !containsInt(lazy, i) && !containsInt(after, i) {
				b.emit(a)
			}
		}
		b.add(&Stmt{Kind: SCall, Line: line(), Call: e})
		for _, i := range after {
			if i < len(e.Args) {
				b.emit(e.Args[i])
			}
		}
		if b.fb.p.dialect.NoReturn[e.CallName()] {
			b.ensure().Term = TStop
			b.cur.Line = line()
			b.cur = nil
		}
	case EAssign:
		if y := e.Y.Strip(); y != nil && y.Kind == ECond && y.Y != nil && (hasCall(y.Y) || hasCall(y.Z)) {
			// x = c ? f() : g(): each arm assigns its own call's value,
			// so a test of x later knows which call it came from.
			t, f, join := b.newBlock(), b.newBlock(), b.newBlock()
			b.ensure()
			b.cond(y.X, t.ID, f.ID, line())
			b.cur = t
			b.emit(&Expr{Kind: EAssign, Op: e.Op, X: e.X, Y: y.Y, Pos: e.Pos})
			b.jump(join.ID)
			b.cur = f
			b.emit(&Expr{Kind: EAssign, Op: e.Op, X: e.X.clone(), Y: y.Z, Pos: e.Pos})
			b.jump(join.ID)
			b.cur = join
			return
		}
		if hasCall(e.X) {
			b.emit(e.X)
		}
		b.emit(e.Y)
		if b.cur == nil {
			return
		}
		y := e.Y.Strip()
		bl := b.cur
		if e.Op == "=" && y != nil && y.Kind == ECall && len(bl.Stmts) > 0 {
			last := bl.Stmts[len(bl.Stmts)-1]
			if last.Kind == SCall && last.Call == y && last.LHS == nil {
				last.LHS = e.X
				return
			}
		}
		b.add(&Stmt{Kind: SAssign, Line: line(), LHS: e.X, RHS: e.Y, Op: e.Op})
	case EUnary, EPostfix:
		b.emit(e.X)
		if e.Op == "++" || e.Op == "--" {
			b.add(&Stmt{Kind: SAssign, Line: line(), LHS: e.X})
		}
	case ECond:
		if !hasCall(e.Y) && !hasCall(e.Z) {
			b.emit(e.X)
			return
		}
		t, f, join := b.newBlock(), b.newBlock(), b.newBlock()
		b.ensure()
		b.cond(e.X, t.ID, f.ID, line())
		b.cur = t
		if e.Y != nil {
			b.emit(e.Y)
		}
		b.jump(join.ID)
		b.cur = f
		b.emit(e.Z)
		b.jump(join.ID)
		b.cur = join
	case EBinary:
		if (e.Op == "&&" || e.Op == "||") && hasCall(e.Y) {
			t, join := b.newBlock(), b.newBlock()
			b.ensure()
			if e.Op == "&&" {
				b.cond(e.X, t.ID, join.ID, line())
			} else {
				b.cond(e.X, join.ID, t.ID, line())
			}
			b.cur = t
			b.emit(e.Y)
			b.jump(join.ID)
			b.cur = join
			return
		}
		b.emit(e.X)
		b.emit(e.Y)
	case ESizeof, EType, EIdent, ENumber, EString, EBad:
	default:
		b.emit(e.X)
		b.emit(e.Y)
		b.emit(e.Z)
		for _, a := range e.Args {
			b.emit(a)
		}
	}
}

// anyHasCall reports whether any of the expressions calls a function.
func anyHasCall(es []*Expr) bool {
	for _, e := range es {
		if hasCall(e) {
			return true
		}
	}
	return false
}
