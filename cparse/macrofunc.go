// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"bytes"
	"strings"
)

// Function-like macros are read as functions. hci_dev_lock(d) is
// "#define hci_dev_lock(d) mutex_lock(&d->lock)", readl_poll_timeout()
// sleeps in usleep_range() inside a statement expression: what such a
// macro does is what its body does, and a caller in another file learns
// it as it learns a static inline's, from the function's summary. Each
// macro becomes a function of the same name whose parameters are
// untyped (as K&R C wrote them), on the lines the macro spans, so that a
// chain through it names the header's lines; the function is marked
// Func.Macro.

// macroDefn is a function-like #define: its name and the directive's
// extent in the original text, from '#' to the end of its last line.
type macroDefn struct {
	name string
	s, e int
}

// maxMacroFuncs bounds the macros of one file read as functions: a
// generated header of register accessors has thousands, and each costs
// an analysis.
const maxMacroFuncs = 4000

// macroKeywords are names called in macro bodies that are not functions.
var macroKeywords = map[string]bool{
	"sizeof": true, "typeof": true, "__typeof__": true, "__typeof": true, "if": true, "while": true,
	"for": true, "switch": true, "return": true, "defined": true, "_Generic": true, "__alignof__": true,
	"alignof": true, "_Alignof": true, "offsetof": true, "__builtin_constant_p": true,
	"__builtin_expect": true, "__builtin_choose_expr": true, "__builtin_types_compatible_p": true,
	"__same_type": true, "__is_constexpr": true, "asm": true, "__asm__": true, "volatile": true,
	"__volatile__": true, "do": true,
}

// special reports a macro the dialect reads in its own way: its calls
// never reach a lookup by name, or must not.
func (d *Dialect) special(name string) bool {
	if d == nil {
		return false
	}
	if d.Transparent[name] || d.BugOn[name] || d.NoReturn[name] || d.Generators[name] ||
		d.LockWords[name] || d.Annotations[name] != "" || d.AttributesWithArgs[name] || d.Attributes[name] {
		return true
	}
	if _, ok := d.Definers[name]; ok {
		return true
	}
	if _, ok := d.GuardDefiners[name]; ok {
		return true
	}
	if _, ok := d.PassThrough[name]; ok {
		return true
	}
	if _, ok := d.Lazy[name]; ok {
		return true
	}
	if _, ok := d.After[name]; ok {
		return true
	}
	return matchesAny(name, d.BlockMacros)
}

// macroSource writes the file's function-like macros as functions, each
// on the lines it has in orig and every other line empty, so that line
// numbers agree with orig's, and returns their names. It returns nil when
// no macro qualifies: one
// whose body calls something other than its parameters, that is defined
// once in the file, is not special to the dialect, and whose text the
// preprocessor would not rewrite (# and ## operators).
func macroSource(orig []byte, defs []macroDefn, d *Dialect) ([]byte, map[string]bool) {
	var out []byte
	var names map[string]bool
	line := 0 // lines of orig written to out so far
	n := 0
	for _, m := range defs {
		if n >= maxMacroFuncs {
			break
		}
		if d.special(m.name) {
			continue
		}
		piece := macroFunc(orig[m.s:m.e], m.name)
		if piece == nil {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(orig)/4)
			names = map[string]bool{}
		}
		at := bytes.Count(orig[:m.s], []byte{'\n'})
		if at < line {
			continue // two directives on one line cannot be
		}
		for ; line < at; line++ {
			out = append(out, '\n')
		}
		out = append(out, piece...)
		line += bytes.Count(piece, []byte{'\n'})
		names[m.name] = true
		n++
	}
	return out, names
}

// macroFunc rewrites one directive, "#define NAME(a, b) body" with its
// continuation lines, as a function definition with the same line
// breaks, or returns nil.
func macroFunc(dir []byte, name string) []byte {
	d, ok := readDirective(dir, name)
	if !ok || d.lineComment || d.hashOp {
		// A line comment would swallow the code after it; # and ## mean
		// the text is not C as written.
		return nil
	}
	s, open, cl := d.text, d.open, d.close
	var params []string
	if list := strings.TrimSpace(s[open+1 : cl]); list != "" {
		for _, p := range strings.Split(list, ",") {
			p = strings.TrimSpace(p)
			switch {
			case p == "...":
				p = "__VA_ARGS__"
			case strings.HasSuffix(p, "..."):
				p = strings.TrimSpace(strings.TrimSuffix(p, "..."))
			}
			if !isIdent(p) {
				return nil
			}
			params = append(params, p)
		}
	}
	body := s[cl+1:]
	trimmed := strings.TrimSpace(body)
	if trimmed == "" || !callsOther(trimmed, name, params) && !flagPredicate(trimmed, params) {
		return nil
	}
	var b strings.Builder
	b.Grow(len(s) + 32)
	// The header line: "#  define NAME(" becomes "long NAME(", the
	// newlines before the name (none in practice) kept.
	b.WriteString(strings.Repeat("\n", strings.Count(s[:open-len(name)], "\n")))
	switch {
	case strings.HasPrefix(trimmed, "({") && strings.HasSuffix(trimmed, "})"):
		// A statement expression: its statements are the body, its value
		// is not kept.
		b.WriteString("long ")
		b.WriteString(name)
		b.WriteString("(" + strings.Join(params, ", ") + ") ")
		i := strings.Index(body, "({")
		j := strings.LastIndex(body, "})")
		b.WriteString(body[:i] + " {" + returnLast(body[i+2:j]) + "} ")
		b.WriteString(body[j+2:])
	case statementBody(trimmed):
		b.WriteString("void ")
		b.WriteString(name)
		b.WriteString("(" + strings.Join(params, ", ") + ") {")
		b.WriteString(strings.TrimRight(body, " \t\r\n"))
		b.WriteString(";}")
		b.WriteString(trailingNewlines(body))
	default:
		b.WriteString("long ")
		b.WriteString(name)
		b.WriteString("(" + strings.Join(params, ", ") + ") { return ")
		b.WriteString(strings.TrimRight(body, " \t\r\n"))
		b.WriteString(";}")
		b.WriteString(trailingNewlines(body))
	}
	return []byte(b.String())
}

// directive is a function-like #define's text with its continuations and
// comments as spaces, line breaks kept (only the line structure must
// stay), with the offsets of the '(' and ')' around its parameters.
type directive struct {
	text        string
	open, close int
	// lineComment: the text had a // comment (blanked to its line's
	// end); hashOp: a # operator (stringizing or pasting).
	lineComment, hashOp bool
}

// readDirective reads "#define NAME(a, b) body" with its continuation
// lines.
func readDirective(dir []byte, name string) (directive, bool) {
	var d directive
	t := make([]byte, len(dir))
	copy(t, dir)
	for i := 0; i < len(t); i++ {
		switch {
		case t[i] == '\\' && i+1 < len(t) && t[i+1] == '\n':
			t[i] = ' '
		case t[i] == '\\' && i+2 < len(t) && t[i+1] == '\r' && t[i+2] == '\n':
			t[i], t[i+1] = ' ', ' '
		case t[i] == '/' && i+1 < len(t) && t[i+1] == '*':
			j := bytes.Index(t[i+2:], []byte("*/"))
			end := len(t)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			for k := i; k < end; k++ {
				if t[k] != '\n' {
					t[k] = ' '
				}
			}
			i = end - 1
		case t[i] == '/' && i+1 < len(t) && t[i+1] == '/':
			d.lineComment = true
			for ; i < len(t) && t[i] != '\n'; i++ {
				t[i] = ' '
			}
		case t[i] == '"' || t[i] == '\'':
			i = skipQuoted(t, i, len(t)) - 1
		case t[i] == '#' && i > 0:
			d.hashOp = true
		}
	}
	s := string(t)
	k := strings.Index(s, name)
	if k < 0 || k+len(name) >= len(s) || s[k+len(name)] != '(' {
		return d, false
	}
	open := k + len(name)
	cl := strings.IndexByte(s[open:], ')')
	if cl < 0 {
		return d, false
	}
	d.text, d.open, d.close = s, open, open+cl
	return d, true
}

// trailingNewlines is the line breaks at the end of s, after its last
// other character.
func trailingNewlines(s string) string {
	rest := s[len(strings.TrimRight(s, " \t\r\n")):]
	return strings.Repeat("\n", strings.Count(rest, "\n"))
}

// statementBody reports a macro body that is statements, not an
// expression: a do-while, an if, a loop, a block, or statements joined
// by ';' outside brackets.
// returnLast makes the value of a statement expression's last
// statement, when it is an expression ("success;" in printk.c's
// printk_enter_irqsave()), the function's return value, so that a
// caller's test of it chooses among the paths ("if
// (!printk_enter_irqsave(...)) return 0;" leaves with interrupts as
// they were). The line breaks are kept.
func returnLast(inner string) string {
	end := strings.LastIndexByte(inner, ';')
	if end < 0 || strings.TrimSpace(inner[end+1:]) != "" {
		return inner
	}
	// The start of the last statement: after the ';', '{' or '}' before
	// it at the same depth.
	depth, start := 0, 0
	for k := end - 1; k >= 0; k-- {
		c := inner[k]
		if c == ')' || c == ']' {
			depth++
		} else if c == '(' || c == '[' {
			depth--
		}
		if depth == 0 && (c == ';' || c == '{' || c == '}') {
			start = k + 1
			break
		}
		if depth < 0 {
			return inner
		}
	}
	stmt := strings.TrimSpace(inner[start:end])
	if stmt == "" || statementBody(stmt) || strings.ContainsAny(stmt, "{}") {
		return inner
	}
	for _, kw := range []string{"return", "break", "continue", "goto", "else", "case", "default"} {
		if strings.HasPrefix(stmt, kw) && (len(stmt) == len(kw) || !isIdentChar(stmt[len(kw)])) {
			return inner
		}
	}
	if declaration(stmt) {
		return inner
	}
	at := start + strings.Index(inner[start:end], stmt)
	return inner[:at] + "return " + inner[at:]
}

// declaration reports a statement that declares ("int ret = 0",
// "struct foo *p"): two words before anything else, the first not an
// operand of an expression.
func declaration(stmt string) bool {
	k := 0
	for k < len(stmt) && isIdentChar(stmt[k]) {
		k++
	}
	if k == 0 {
		return false
	}
	rest := strings.TrimLeft(stmt[k:], " \t\n")
	return rest != "" && (isIdentStart(rest[0]) || rest[0] == '*' && !strings.HasPrefix(stmt, "*"))
}

func statementBody(body string) bool {
	for _, kw := range []string{"do", "if", "for", "while", "switch"} {
		if strings.HasPrefix(body, kw) && (len(body) == len(kw) || !isIdentChar(body[len(kw)])) {
			return true
		}
	}
	if body[0] == '{' {
		return true
	}
	depth := 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ';':
			if depth == 0 {
				return true
			}
		case '"', '\'':
			i = skipQuoted([]byte(body), i, len(body)) - 1
		}
	}
	return false
}

// callsOther reports a body that calls a function other than its
// parameters (a function pointer the caller passes), its keywords and
// itself; a body that calls its own name (a macro wrapping the function
// of that name) reports false: the function is the one to resolve.
func callsOther(body, name string, params []string) bool {
	found := false
	for i := 0; i < len(body); {
		c := body[i]
		if c == '"' || c == '\'' {
			i = skipQuoted([]byte(body), i, len(body))
			continue
		}
		if !isIdentStart(c) {
			i++
			continue
		}
		j := i
		for j < len(body) && isIdentChar(body[j]) {
			j++
		}
		w := body[i:j]
		k := j
		for k < len(body) && (body[k] == ' ' || body[k] == '\t' || body[k] == '\n' || body[k] == '\r') {
			k++
		}
		if k < len(body) && body[k] == '(' {
			switch {
			case w == name:
				return false
			case macroKeywords[w] || containsStr(params, w):
			default:
				found = true
			}
		}
		i = j
	}
	return found
}

func isIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// flagPredicate reports a macro body that tests a flag or a mode of what
// a parameter points to, calling nothing: "((adev)->virt.caps &
// AMDGPU_SRIOV_CAPS_RUNTIME)". Read as a function, a branch on it is that
// test on the caller's argument (flow's predicates), so the same test in
// a callee and a caller is one fact. Other call-free macros (constants,
// accessors) are left to the preprocessor, as before.
func flagPredicate(body string, params []string) bool {
	if len(params) == 0 || strings.ContainsAny(body, ";{}\"'?") || strings.Contains(body, "++") || strings.Contains(body, "--") {
		return false
	}
	if !strings.Contains(body, "->") && !strings.Contains(body, ".") {
		return false
	}
	test := false
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '&':
			test = true
			if i+1 < len(body) && body[i+1] == '&' {
				i++
			}
		case '=':
			if i == 0 || !strings.ContainsRune("=!<>", rune(body[i-1])) {
				if i+1 >= len(body) || body[i+1] != '=' {
					return false // an assignment
				}
			}
			test = true
			if i+1 < len(body) && body[i+1] == '=' {
				i++
			}
		}
	}
	if !test {
		return false
	}
	for _, p := range params {
		if strings.Contains(body, p) {
			return true
		}
	}
	return false
}

// keyedInits names the function-like macros whose body declares a static
// struct lock_class_key ("static struct lock_class_key __key;"), as the
// kernel's lock initialisers do: each expansion is a lock class.
func keyedInits(orig []byte, defs []macroDefn) []string {
	var out []string
	for _, m := range defs {
		body := orig[m.s:m.e]
		if i := bytes.Index(body, []byte("struct lock_class_key")); i > 0 && bytes.Contains(body[:i], []byte("static")) &&
			!containsStr(out, m.name) {
			out = append(out, m.name)
		}
	}
	return out
}
