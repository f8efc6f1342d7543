// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"strings"
)

// ExprKind says what an Expr node is.
type ExprKind uint8

const (
	EBad      ExprKind = iota
	EIdent             // Name
	ENumber            // Name holds the literal
	EString            // Name holds the literal
	ECall              // X(Args)
	EUnary             // Op X (prefix)
	EPostfix           // X Op
	EBinary            // X Op Y
	EAssign            // X Op Y, Op is "=", "+=", ...
	ECond              // X ? Y : Z (Y is nil for the GNU "X ?: Z")
	EField             // X Op Name, Op is "->" or "."
	EIndex             // X[Y]
	ECast              // (Name) X
	ESizeof            // Op X, Op is "sizeof" or "alignof"; X may be an EType
	EParen             // (X)
	EComma             // Args
	EInit              // { Args }
	EType              // a type name used as a macro argument: Name
	EStmtExpr          // ({ ... }): Args are the expressions found inside
)

// Expr is a C expression read from the source text. It keeps just what the
// lock analysis needs: calls with their arguments, conditions, assignments
// and the access paths of lock expressions.
type Expr struct {
	Kind ExprKind
	Op   string
	Name string
	X    *Expr
	Y    *Expr
	Z    *Expr
	Args []*Expr
	Pos  int // byte offset of the first token
}

// clone copies e deeply: an expression evaluated on two paths needs its
// own nodes on each, since CallIDs maps each call node to one statement.
func (e *Expr) clone() *Expr {
	if e == nil {
		return nil
	}
	c := *e
	c.X, c.Y, c.Z = e.X.clone(), e.Y.clone(), e.Z.clone()
	c.Args = cloneAll(e.Args)
	return &c
}

func cloneAll(xs []*Expr) []*Expr {
	if xs == nil {
		return nil
	}
	out := make([]*Expr, len(xs))
	for i, x := range xs {
		out[i] = x.clone()
	}
	return out
}

// String renders the expression in a canonical spacing, so that two
// spellings of one expression compare equal.
func (e *Expr) String() string {
	if e == nil {
		return ""
	}
	switch e.Kind {
	case EIdent, ENumber, EString, EType:
		return e.Name // most keys are a name: no builder
	}
	var b strings.Builder
	b.Grow(32)
	e.write(&b)
	return b.String()
}

func (e *Expr) write(b *strings.Builder) {
	if e == nil {
		return
	}
	switch e.Kind {
	case EIdent, ENumber, EString, EType:
		b.WriteString(e.Name)
	case ECall:
		e.X.write(b)
		b.WriteByte('(')
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.write(b)
		}
		b.WriteByte(')')
	case EUnary:
		b.WriteString(e.Op)
		e.X.write(b)
	case EPostfix:
		e.X.write(b)
		b.WriteString(e.Op)
	case EBinary, EAssign:
		e.X.write(b)
		b.WriteByte(' ')
		b.WriteString(e.Op)
		b.WriteByte(' ')
		e.Y.write(b)
	case ECond:
		e.X.write(b)
		if e.Y == nil {
			b.WriteString(" ?: ")
		} else {
			b.WriteString(" ? ")
			e.Y.write(b)
			b.WriteString(" : ")
		}
		e.Z.write(b)
	case EField:
		e.X.write(b)
		b.WriteString(e.Op)
		b.WriteString(e.Name)
	case EIndex:
		e.X.write(b)
		b.WriteByte('[')
		e.Y.write(b)
		b.WriteByte(']')
	case ECast:
		b.WriteByte('(')
		b.WriteString(e.Name)
		b.WriteByte(')')
		e.X.write(b)
	case ESizeof:
		b.WriteString(e.Op)
		b.WriteByte('(')
		e.X.write(b)
		b.WriteByte(')')
	case EParen:
		b.WriteByte('(')
		e.X.write(b)
		b.WriteByte(')')
	case EComma:
		for i, a := range e.Args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.write(b)
		}
	case EInit:
		b.WriteString("{...}")
	case EStmtExpr:
		b.WriteString("({...})")
	default:
		b.WriteString("?")
	}
}

// Larger reports whether the expression has more than n nodes; it stops
// counting there.
func (e *Expr) Larger(n int) bool {
	count := 0
	e.Walk(func(*Expr) bool {
		count++
		return count <= n
	})
	return count > n
}

// Strip removes parentheses and casts around an expression.
func (e *Expr) Strip() *Expr {
	for e != nil && (e.Kind == EParen || e.Kind == ECast) {
		e = e.X
	}
	return e
}

// CallName is the name of the called function for a direct call, or "".
func (e *Expr) CallName() string {
	if e == nil || e.Kind != ECall {
		return ""
	}
	if f := e.X.Strip(); f != nil && f.Kind == EIdent {
		return f.Name
	}
	return ""
}

// Walk calls fn for e and its subexpressions, parents first; fn returning
// false skips the children.
func (e *Expr) Walk(fn func(*Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	e.X.Walk(fn)
	e.Y.Walk(fn)
	e.Z.Walk(fn)
	for _, a := range e.Args {
		a.Walk(fn)
	}
}

// Idents returns the identifiers the expression reads, field names excluded.
func (e *Expr) Idents() []string {
	var out []string
	e.EachIdent(func(name string) { out = append(out, name) })
	return out
}

// EachIdent calls fn with each identifier Idents returns, in its order,
// without making the list.
func (e *Expr) EachIdent(fn func(name string)) {
	e.ReadsAny(func(name string) bool { fn(name); return false })
}

// ReadsAny reports whether the expression reads an identifier for which
// match holds, stopping at the first. Field names, a called function's
// name and the operands of sizeof and type arguments are not reads.
func (e *Expr) ReadsAny(match func(name string) bool) bool {
	found := false
	e.Walk(func(x *Expr) bool {
		if found {
			return false
		}
		if x.Kind == EIdent && match(x.Name) {
			found = true
			return false
		}
		if x.Kind == ECall && x.X != nil && x.X.Kind == EIdent {
			for _, a := range x.Args {
				if a.ReadsAny(match) {
					found = true
					break
				}
			}
			return false
		}
		return x.Kind != ESizeof && x.Kind != EType
	})
	return found
}

// Reads reports whether the expression reads the identifier name.
func (e *Expr) Reads(name string) bool {
	return e.ReadsAny(func(n string) bool { return n == name })
}

// Subst returns a copy of e with identifiers replaced by the expressions in m.
func (e *Expr) Subst(m map[string]*Expr) *Expr {
	if e == nil {
		return nil
	}
	if e.Kind == EIdent {
		if r, ok := m[e.Name]; ok {
			return r
		}
		return e
	}
	// Copy on write: a subtree without substituted names is shared, so
	// callers can tell an unchanged expression by its pointer.
	x := e.X
	if !(e.Kind == ECall && e.X != nil && e.X.Kind == EIdent) {
		x = e.X.Subst(m)
	}
	y, z := e.Y.Subst(m), e.Z.Subst(m)
	var args []*Expr
	for i, a := range e.Args {
		if r := a.Subst(m); r != a && args == nil {
			args = make([]*Expr, len(e.Args))
			copy(args, e.Args[:i])
			args[i] = r
		} else if args != nil {
			args[i] = r
		}
	}
	if x == e.X && y == e.Y && z == e.Z && args == nil {
		return e
	}
	c := *e
	c.X, c.Y, c.Z = x, y, z
	if args != nil {
		c.Args = args
	}
	if e.Kind == EField {
		// Fold &a->b into a.b so that substituted paths stay canonical.
		if x := c.X.Strip(); e.Op == "->" && x != nil && x.Kind == EUnary && x.Op == "&" {
			c.X = x.X
			c.Op = "."
		}
	}
	if c.Kind == EUnary && c.Op == "*" {
		// *&x is x
		if x := c.X.Strip(); x != nil && x.Kind == EUnary && x.Op == "&" {
			return x.X
		}
	}
	return &c
}

// Calls returns the calls in e in evaluation order (arguments before the
// call that consumes them).
func (e *Expr) Calls() []*Expr {
	var out []*Expr
	var visit func(x *Expr)
	visit = func(x *Expr) {
		if x == nil {
			return
		}
		switch x.Kind {
		case ESizeof, EType:
			return // not evaluated
		case ECall:
			if x.X != nil && x.X.Kind != EIdent {
				visit(x.X)
			}
			for _, a := range x.Args {
				visit(a)
			}
			out = append(out, x)
			return
		}
		visit(x.X)
		visit(x.Y)
		visit(x.Z)
		for _, a := range x.Args {
			visit(a)
		}
	}
	visit(e)
	return out
}
