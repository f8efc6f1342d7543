// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"strconv"
	"strings"
)

// EvalInt evaluates an integer constant expression: numbers, the named
// constants given (enumerators, object-like #defines), and the arithmetic
// and bit operators flags are spelled with ("CS_LOCAL_ONLY | CS_HARD",
// "1 << 4").
func EvalInt(x *Expr, consts map[string]int64) (int64, bool) {
	return evalInt(x, consts, 0)
}

func evalInt(x *Expr, consts map[string]int64, depth int) (int64, bool) {
	x = x.Strip()
	if x == nil || depth > 32 {
		return 0, false
	}
	switch x.Kind {
	case ENumber:
		v, err := strconv.ParseInt(strings.TrimRight(strings.ToLower(x.Name), "ul"), 0, 64)
		return v, err == nil
	case EIdent:
		if v, ok := consts[x.Name]; ok {
			return v, true
		}
		// The kernel's booleans (include/linux/stddef.h's enum, C23's
		// keywords): "#define CAN_NOT_SLEEP false" is a constant too.
		switch x.Name {
		case "false":
			return 0, true
		case "true":
			return 1, true
		}
		return 0, false
	case EUnary:
		v, ok := evalInt(x.X, consts, depth+1)
		if !ok {
			return 0, false
		}
		switch x.Op {
		case "-":
			return -v, true
		case "~":
			return ^v, true
		case "!":
			if v == 0 {
				return 1, true
			}
			return 0, true
		case "+":
			return v, true
		}
	case ECall:
		// The kernel's bit macros (include/vdso/bits.h, linux/bits.h):
		// flags are spelled BIT(2), masks GENMASK(7, 4).
		var args []int64
		for _, a := range x.Args {
			v, ok := evalInt(a, consts, depth+1)
			if !ok {
				return 0, false
			}
			args = append(args, v)
		}
		switch name := x.CallName(); {
		case len(args) == 1 && (name == "BIT" || name == "BIT_ULL" || name == "_BITUL" || name == "_BITULL"):
			if args[0] >= 0 && args[0] < 63 {
				return 1 << args[0], true
			}
		case len(args) == 2 && (name == "GENMASK" || name == "GENMASK_ULL"):
			h, l := args[0], args[1]
			if l >= 0 && h >= l && h < 63 {
				return (1<<(h-l+1) - 1) << l, true
			}
		}
	case EBinary:
		a, okA := evalInt(x.X, consts, depth+1)
		b, okB := evalInt(x.Y, consts, depth+1)
		if !okA || !okB {
			return 0, false
		}
		switch x.Op {
		case "|":
			return a | b, true
		case "&":
			return a & b, true
		case "^":
			return a ^ b, true
		case "+":
			return a + b, true
		case "-":
			return a - b, true
		case "*":
			return a * b, true
		case "<<":
			if b >= 0 && b < 63 {
				return a << b, true
			}
		case ">>":
			if b >= 0 && b < 63 {
				return a >> b, true
			}
		}
	}
	return 0, false
}
