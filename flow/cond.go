// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"strconv"
	"strings"

	"lockbot/cparse"
	"lockbot/kb"
)

// atom normalises a branch condition to a key and a polarity: "!x",
// "x == 0", "x == NULL" are x negated, "ret < 0" is ret (kernel error codes
// are negative), and a call is keyed by the statement that made it, since
// two calls may return different values. The key is "" when the condition
// says nothing reusable.
func (f *flow) atom(e *cparse.Expr) (key string, neg bool, idents []string, expr *cparse.Expr) {
	for i := 0; i < 16; i++ {
		e = e.Strip()
		if e == nil {
			return "", false, nil, nil
		}
		switch {
		case e.Kind == cparse.EUnary && e.Op == "!":
			neg = !neg
			e = e.X
			continue
		case e.Kind == cparse.EAssign:
			e = e.X
			continue
		case e.Kind == cparse.EBinary && e.Op == "*" && (nonZeroConst(e.Y) || nonZeroConst(e.X)):
			// "mintime * 100" is as true as mintime (scc's
			// scc_start_tx_timer(scc, t_dwait, scc->kiss.mintime*100)
			// under "if (scc->kiss.mintime)").
			if nonZeroConst(e.Y) {
				e = e.X
			} else {
				e = e.Y
			}
			continue
		case e.Kind == cparse.EBinary && (e.Op == "==" || e.Op == "!="):
			if isNull(e.Y) {
				if e.Op == "==" {
					neg = !neg
				}
				e = e.X
				continue
			}
			if isNull(e.X) {
				if e.Op == "==" {
					neg = !neg
				}
				e = e.Y
				continue
			}
			if c := tryFailTest(f.p.kb, e); c != nil {
				// "mutex_lock_interruptible(&m) == -EINTR": the only
				// way it fails, so the test is its failure, a nonzero
				// return (and "!= -EINTR" its success).
				if e.Op == "!=" {
					neg = !neg
				}
				e = c
				continue
			}
			if e.Op == "!=" {
				// a != b is the negation of a == b: one key for both.
				neg = !neg
				e = &cparse.Expr{Kind: cparse.EBinary, Op: "==", X: e.X, Y: e.Y, Pos: e.Pos}
				continue
			}
			if x, y := e.X.Strip(), e.Y.Strip(); x != nil && y != nil && !constLike(x) && !constLike(y) && x.String() > y.String() {
				// "pml == ptl" and "ptl == pml" are one test.
				e = &cparse.Expr{Kind: cparse.EBinary, Op: "==", X: e.Y, Y: e.X, Pos: e.Pos}
			}
		case e.Kind == cparse.EBinary && (e.Op == "<" || e.Op == ">=") && isNull(e.Y):
			if e.Op == ">=" {
				neg = !neg
			}
			e = e.X
			continue
		case e.Kind == cparse.EBinary && (e.Op == ">" || e.Op == "<=") && isNull(e.Y) && f.unsignedExpr(e.X):
			// An unsigned "x > 0" is "x": "if (instance > 0)
			// hci_dev_lock(hdev); ... if (instance) hci_dev_unlock(hdev);"
			// tests one thing twice.
			if e.Op == "<=" {
				neg = !neg
			}
			e = e.X
			continue
		case e.Kind == cparse.ECall:
			if t := f.predicateCall(e); t != nil {
				e = t // the test the predicate makes: one fact for every call
				if t.Kind == cparse.ECall {
					break // a test of state: keyed by its own call (stateTest)
				}
				continue
			}
			if name := e.CallName(); name != "" && !isUpperName(name) && !f.pure(name) {
				if id, ok := f.fn.CallIDs[e]; ok {
					return "$call" + strconv.Itoa(id), neg, nil, nil
				}
				return "", neg, nil, nil
			}
		}
		break
	}
	if len(f.valueDefs) > 0 {
		e = e.Subst(f.valueDefs)
	}
	c := Canon(e)
	if c == nil {
		return "", neg, nil, nil
	}
	return c.String(), neg, c.Idents(), c
}

// nonZeroConst reports a nonzero integer literal.
func nonZeroConst(x *cparse.Expr) bool {
	v, ok := constInt(x)
	return ok && v != 0
}

// unsignedExpr reports a variable or member of an unsigned integer type.
func (f *flow) unsignedExpr(x *cparse.Expr) bool {
	x = x.Strip()
	if x == nil || x.Kind != cparse.EIdent && x.Kind != cparse.EField {
		return false
	}
	t, ok := f.env.typeOf(x)
	if !ok || t.Ptr > 0 || t.Array {
		return false
	}
	switch t.Base {
	case "u8", "u16", "u32", "u64", "__u8", "__u16", "__u32", "__u64", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
		"size_t", "unsigned", "unsigned int", "unsigned long", "unsigned long long", "unsigned short", "unsigned char",
		"uint", "ulong", "bool", "_Bool":
		return true
	}
	return false
}

// constLike is a number or a named constant: the side of a comparison
// that stays on the right.
func constLike(e *cparse.Expr) bool {
	return e.Kind == cparse.ENumber || isNamedConst(e)
}

func (f *flow) pure(name string) bool {
	spec := f.p.kb.Funcs[name]
	return spec != nil && spec.Pure
}

func isNull(e *cparse.Expr) bool {
	e = e.Strip()
	if e == nil {
		return false
	}
	switch e.Kind {
	case cparse.ENumber:
		s := strings.TrimRight(strings.ToLower(e.Name), "ul")
		return s == "0" || s == "0x0"
	case cparse.EIdent:
		return e.Name == "NULL" || e.Name == "false"
	}
	return false
}

func isUpperName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' {
			return false
		}
	}
	return true
}

// retClass classifies a returned value by what the caller can tell of it.
func (f *flow) retClass(ret *cparse.Expr, st *State) RetClass {
	if ret == nil {
		if f.fn.Ret.Base == "void" && f.fn.Ret.Ptr == 0 || f.fn.Ret.Base == "" {
			return RetVoid
		}
		return RetUnknown
	}
	e := ret.Strip()
	if e == nil {
		return RetUnknown
	}
	boolish := f.fn.Ret.Base == "bool" && f.fn.Ret.Ptr == 0
	if t, ok := f.fn.Locals[e.Name]; ok && e.Kind == cparse.EIdent && isBool(t) {
		// A bool local returned (a statement expression's "success;",
		// read as the macro function's return): nonzero is true, not
		// an error code.
		boolish = true
	}
	switch e.Kind {
	case cparse.ENumber:
		if isNull(e) {
			return RetZero
		}
		return RetNonZero
	case cparse.EUnary:
		if e.Op == "-" {
			if x := e.X.Strip(); x != nil && (x.Kind == cparse.ENumber || x.Kind == cparse.EIdent && strings.HasPrefix(x.Name, "E")) {
				return RetError
			}
		}
		if e.Op == "!" {
			return RetUnknown
		}
	case cparse.EIdent:
		switch e.Name {
		case "NULL", "false":
			return RetZero
		case "true":
			return RetNonZero
		}
	case cparse.ECall:
		switch e.CallName() {
		case "ERR_PTR", "ERR_CAST", "PTR_ERR":
			// PTR_ERR() is returned under IS_ERR(): an error code.
			return RetError
		}
	}
	if key, neg, _, _ := f.atom(e); key != "" {
		if v, ok := st.fact(key); ok {
			if c := st.factClass(key); c != RetUnknown && !neg {
				return c
			}
			if v == neg {
				return RetZero
			}
			if boolish || f.fn.Ret.Ptr > 0 {
				return RetNonZero
			}
			// A nonzero int of unknown origin may be an error code or a
			// trylock's success: say nothing.
			return RetUnknown
		}
		if nn, ok := st.fact(nonNegKey(key)); ok && nn && !neg {
			return RetNonNeg
		}
	}
	return RetUnknown
}

// tryFailTest returns the call of "call == -ECODE" or "call != -ECODE"
// when the call is a knowledge-base try-lock (mutex_lock_interruptible(),
// down_killable()), which returns 0 or a negative error code: the
// comparison tells success from failure. nil otherwise.
func tryFailTest(k *kb.KB, e *cparse.Expr) *cparse.Expr {
	for _, p := range [][2]*cparse.Expr{{e.X, e.Y}, {e.Y, e.X}} {
		call, code := p[0].Strip(), p[1].Strip()
		if call == nil || code == nil || call.Kind != cparse.ECall {
			continue
		}
		if spec := k.Funcs[call.CallName()]; spec == nil || spec.Try == "" {
			continue
		}
		if code.Kind == cparse.EUnary && code.Op == "-" {
			if c := code.X.Strip(); c != nil && c.Kind == cparse.EIdent && strings.HasPrefix(c.Name, "E") && isUpperName(c.Name) {
				return call
			}
		}
	}
	return nil
}
