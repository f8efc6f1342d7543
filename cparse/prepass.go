// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"bytes"
	"path"
	"strings"
	"sync"
)

// Dialect is what the parser must know about kernel C beyond the grammar:
// macros that tree-sitter misreads. It comes from rules.yaml ("syntax").
type Dialect struct {
	// Attributes are blanked before parsing (__init, __must_check, __user).
	Attributes map[string]bool
	// AttributesWithArgs are blanked with their parenthesised argument
	// (__aligned(8), __printf(1, 2)).
	AttributesWithArgs map[string]bool
	// Annotations are sparse's lock annotations (__acquires -> "acquires");
	// they are blanked and recorded on the function they decorate.
	Annotations map[string]string
	// BlockMacros are glob patterns of iterator macros whose body may be a
	// single statement without braces (list_for_each_entry(...) stmt;).
	// Any macro call at statement position followed by '{' is a block macro
	// whatever its name.
	BlockMacros []string
	// TypeNames are identifiers known to name types (u32, gfp_t, ...).
	TypeNames map[string]bool
	// Definers are declaration macros and the type they define
	// (DEFINE_SPINLOCK -> spinlock_t).
	Definers map[string]string
	// NoReturn functions end the path that calls them (BUG, panic).
	NoReturn map[string]bool
	// Transparent macros pass their first argument through as a condition
	// (likely, unlikely, WARN_ON).
	Transparent map[string]bool
	// Generators are file-level macros that make code from templates
	// (TRACE_EVENT): their arguments are not C, and tree-sitter's error
	// recovery in them cost more than whole files of code, so the parser
	// is shown only the empty call.
	Generators map[string]bool
	// GuardDefiners are the macros that define a guard class in a file
	// (DEFINE_GUARD): recorded in File.Guards, hidden from tree-sitter.
	GuardDefiners map[string]GuardDefiner
	// PassThrough are macros whose value is their argument of that index
	// (__cond_lock(x, c) is c): a call of one reads as the argument.
	PassThrough map[string]int
	// Lazy lists macro arguments that are not evaluated where the macro is
	// written, so their calls are not emitted there.
	Lazy map[string][]int
	// After lists macro arguments evaluated after the macro's own work.
	After map[string][]int
	// BugOn macros stop the path when their condition holds.
	BugOn map[string]bool
	// LockWords are the primitives that take, release or wait: a macro
	// defined in the file whose body uses one hides where its arguments
	// run, and its arguments are left alone.
	LockWords map[string]bool

	// words indexes the identifiers the prepass acts on, made on first
	// use: the prepass looks up every identifier of every file, and one
	// lookup of the bytes in place costs less than four of a new string.
	// A Dialect is not changed once parsing starts.
	wordsOnce sync.Once
	words     map[string]uint8
}

// What the prepass does with an identifier: the Dialect's lists it is in.
const (
	wAttr uint8 = 1 << iota
	wAttrArgs
	wAnnotation
	wGenerator
	wKeyword
	wGuard
)

func (d *Dialect) wordIndex() map[string]uint8 {
	if d == nil {
		return keywordIndex
	}
	d.wordsOnce.Do(func() {
		m := make(map[string]uint8, len(keywordIndex)+len(d.Attributes)+len(d.AttributesWithArgs)+len(d.Annotations)+len(d.Generators))
		for w, f := range keywordIndex {
			m[w] |= f
		}
		add := func(w string, f uint8) { m[w] |= f }
		for w, ok := range d.Attributes {
			if ok {
				add(w, wAttr)
			}
		}
		for w, ok := range d.AttributesWithArgs {
			if ok {
				add(w, wAttrArgs)
			}
		}
		for w, kind := range d.Annotations {
			if kind != "" {
				add(w, wAnnotation)
			}
		}
		for w, ok := range d.Generators {
			if ok {
				add(w, wGenerator)
			}
		}
		for w := range d.GuardDefiners {
			add(w, wGenerator|wGuard)
		}
		d.words = m
	})
	return d.words
}

var keywordIndex = func() map[string]uint8 {
	m := make(map[string]uint8, len(cKeywords))
	for w, ok := range cKeywords {
		if ok {
			m[w] = wKeyword
		}
	}
	return m
}()

// BlockMacro is a macro invocation that takes a statement body, rewritten
// to a while loop for tree-sitter.
type BlockMacro struct {
	Name string
	Args []*Expr
	Pos  int // offset of the macro name
}

// Annotation is a sparse lock annotation on a function.
type Annotation struct {
	Kind string // acquires, releases, must_hold, cond_acquires
	Arg  *Expr
	Pos  int
}

type prepassResult struct {
	src         []byte // the text handed to tree-sitter
	annotations []Annotation
	macros      map[int]*BlockMacro
	// opaque are function-like macros defined in the file whose bodies
	// take, release or wait.
	opaque map[string]bool
	// expand are the opaque macros whose body is one expression
	// ("#define sco_conn_lock(c) spin_lock(&c->lock)"): a call of one is
	// read as its body with the arguments in place.
	expand map[string]*macroTpl
	// guards are the guard classes the file defines.
	guards []*GuardDef
	// defs are the function-like macros defined once in the file, to be
	// read as functions (macroSource).
	defs []macroDefn
	// variants are the function-like macros defined more than once, in
	// order: read as functions only where #if arms tell them apart.
	variants []macroDefn
	// objDefines are the object-like macros the file defines whatever
	// the configuration (see File.Defines).
	objDefines []string
	// brackets is the deepest nesting of (, [ and { in the code, and
	// opRun the longest run of operator characters with nothing but
	// spaces between them ("!!!!", "-- * --"): what the text alone shows
	// of how deep its syntax nests, before tree-sitter builds the tree.
	brackets, opRun int
}

// macroTpl is a function-like macro whose body is an expression.
type macroTpl struct {
	params []string
	body   *Expr
}

// exprMacro parses "define NAME(a, b) body" into a template, or nil when
// the body is not one plain expression (a statement, a do-while, a
// token paste, a variadic or empty parameter).
func exprMacro(dir string, types TypeNames) (string, *macroTpl) {
	name, list, raw, ok := macroParts(dir)
	if !ok {
		return "", nil
	}
	var params []string
	if list = strings.TrimSpace(list); list != "" {
		for _, p := range strings.Split(list, ",") {
			p = strings.TrimSpace(p)
			if p == "" || !isIdentStart(p[0]) || strings.IndexFunc(p, func(r rune) bool { return r > 127 || !isIdentChar(byte(r)) }) >= 0 {
				return "", nil
			}
			params = append(params, p)
		}
	}
	body := strings.TrimSpace(strings.ReplaceAll(raw, "\\\n", " "))
	if body == "" || strings.ContainsAny(body, ";{}#") || strings.Contains(body, "/*") || strings.Contains(body, "//") {
		return "", nil
	}
	x := ParseExpr([]byte(body), 0, len(body), types)
	bad := x == nil
	x.Walk(func(e *Expr) bool {
		if e.Kind == EBad {
			bad = true
		}
		return !bad
	})
	if bad {
		return "", nil
	}
	return name, &macroTpl{params: params, body: x}
}

// instantiate is the macro's body with args in place of its parameters,
// placed at pos (the call's offset, for its line).
func (t *macroTpl) instantiate(args []*Expr, pos int) *Expr {
	if len(args) != len(t.params) {
		return nil
	}
	m := map[string]*Expr{}
	for i, p := range t.params {
		m[p] = args[i]
	}
	var inst func(e *Expr) *Expr
	inst = func(e *Expr) *Expr {
		if e == nil {
			return nil
		}
		if e.Kind == EIdent {
			if a, ok := m[e.Name]; ok {
				// A parameter used twice gets a copy each time: a call
				// node belongs to one statement.
				return a.clone()
			}
		}
		c := *e
		c.Pos = pos
		if !(e.Kind == ECall && e.X != nil && e.X.Kind == EIdent) {
			c.X = inst(e.X)
		} else {
			x := *e.X
			x.Pos = pos
			c.X = &x
		}
		c.Y, c.Z = inst(e.Y), inst(e.Z)
		if e.Args != nil {
			c.Args = make([]*Expr, len(e.Args))
			for i, a := range e.Args {
				c.Args[i] = inst(a)
			}
		}
		return &c
	}
	return inst(t.body)
}

var cKeywords = map[string]bool{
	"if": true, "else": true, "while": true, "for": true, "do": true, "switch": true,
	"case": true, "default": true, "return": true, "goto": true, "break": true,
	"continue": true, "sizeof": true, "typeof": true, "__typeof__": true, "asm": true,
	"__asm__": true, "volatile": true, "__volatile__": true, "defined": true,
	"struct": true, "union": true, "enum": true, "static": true, "const": true,
	"_Static_assert": true, "static_assert": true, "__attribute__": true,
}

// prepass rewrites the source so that tree-sitter reads kernel idioms as C,
// keeping every byte offset (and so every line number) unchanged.
func prepass(orig []byte, d *Dialect, types TypeNames) prepassResult {
	src := make([]byte, len(orig))
	copy(src, orig)
	res := prepassResult{src: src, macros: map[int]*BlockMacro{}, opaque: map[string]bool{}, expand: map[string]*macroTpl{}}
	// A macro defined more than once (#ifdef CONFIG_PREEMPT_RT arms, an
	// SMP and a UP version) is read in place by no build in particular:
	// it stays left out.
	defined := map[string]int{}
	words := d.wordIndex()

	type ppFrame struct{ depthAtIf, depthAfterFirst, nestAtIf, nestAfterFirst int }
	var ppStack []ppFrame
	// conds are the enclosing conditionals' directives ("ifndef pr_info"),
	// with the arm a #define is in: one in a user-space arm or a
	// fallback ("#ifndef pr_info / #define pr_info(args...) fprintf(...)")
	// is not the kernel's definition, and is not read as one.
	var conds []ppCond
	depth := 0
	nest, run := 0, 0    // see brackets and opRun
	prevSig := byte(';') // last significant punctuation or a marker
	var prevWord []byte  // the identifier just read, in orig
	lineStart := true
	n := len(orig)
	blank := func(a, b int) {
		for k := a; k < b; k++ {
			if src[k] != '\n' {
				src[k] = ' '
			}
		}
	}
	i := 0
	for i < n {
		c := orig[i]
		switch {
		case c == '\n':
			lineStart = true
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case c == '\\' && i+1 < n && orig[i+1] == '\n':
			i += 2
			continue
		case c == '/' && i+1 < n && orig[i+1] == '/':
			for i < n && orig[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < n && orig[i+1] == '*':
			i += 2
			for i+1 < n && !(orig[i] == '*' && orig[i+1] == '/') {
				i++
			}
			i += 2
			continue
		case c == '#' && lineStart:
			s := i
			for i < n && orig[i] != '\n' {
				switch {
				case orig[i] == '\\' && i+1 < n && orig[i+1] == '\n':
					i++
				case orig[i] == '/' && i+1 < n && orig[i+1] == '*':
					// A comment is a space to the preprocessor, however
					// many lines it spans: the directive goes on after it.
					if j := bytes.Index(orig[i+2:], []byte("*/")); j >= 0 {
						i += 2 + j + 1
					} else {
						i = n - 1
					}
				}
				i++
			}
			dir := strings.TrimSpace(strings.TrimPrefix(string(orig[s:i]), "#"))
			if strings.HasPrefix(dir, "define") {
				if name := objectMacro(dir); name != "" && !strings.HasPrefix(name, "CONFIG_") {
					// Defined whatever the configuration (inside include
					// guards and __KERNEL__ arms only): an #ifdef of it in
					// the kernel's code is decided.
					plain := true
					for _, c := range conds {
						n, neg := condName(c.dir)
						kernel := n == "__KERNEL__" && !neg && !c.else_
						guard := neg && !c.else_ && includeGuard(n)
						if !kernel && !guard {
							plain = false
						}
					}
					if plain {
						res.objDefines = append(res.objDefines, name)
					}
				}
				if name, body, ok := macroDef(dir); ok {
					defined[name]++
					fallback := false
					for _, c := range conds {
						if notKernelArm(c.dir, c.else_) || !c.else_ && guardsName(c.dir, name) {
							fallback = true
						}
					}
					if !fallback {
						res.defs = append(res.defs, macroDefn{name: name, s: s, e: i})
					}
					if d != nil && mentionsAny(body, d.LockWords) {
						if _, t := exprMacro(dir, types); t != nil {
							res.expand[name] = t
						}
						res.opaque[name] = true
					}
				}
				// tree-sitter ends a macro at a comment inside it and reads
				// the rest as code; nothing needs the body, so hide it. One
				// token stays: an empty value would make tree-sitter take the
				// next line of code as the macro's value.
				if b := defineBodyStart(orig, s, i); b < i {
					blank(b, i)
					if k := b + 1; k < i && src[k] != '\n' {
						src[k] = '0'
					} else if src[b] != '\n' {
						src[b] = '0'
					}
				}
			}
			switch {
			case strings.HasPrefix(dir, "if"):
				ppStack = append(ppStack, ppFrame{depth, -1, nest, -1})
				conds = append(conds, ppCond{dir: dir})
			case strings.HasPrefix(dir, "el"):
				if len(conds) > 0 {
					conds[len(conds)-1].else_ = true
				}
				// Each arm of #if/#else starts at the depth the #if had; the
				// first arm decides the depth after #endif.
				if len(ppStack) > 0 {
					f := &ppStack[len(ppStack)-1]
					if f.depthAfterFirst < 0 {
						f.depthAfterFirst, f.nestAfterFirst = depth, nest
					}
					depth, nest = f.depthAtIf, f.nestAtIf
				}
			case strings.HasPrefix(dir, "endif"):
				if len(conds) > 0 {
					conds = conds[:len(conds)-1]
				}
				if len(ppStack) > 0 {
					f := ppStack[len(ppStack)-1]
					ppStack = ppStack[:len(ppStack)-1]
					if f.depthAfterFirst >= 0 {
						depth, nest = f.depthAfterFirst, f.nestAfterFirst
					}
				}
			}
			// A directive ends whatever statement came before it.
			prevSig = ';'
			prevWord = nil
			continue
		}
		lineStart = false
		switch {
		case c == '"' || c == '\'':
			i = skipQuoted(orig, i, n)
			prevSig = 'x'
			prevWord = nil
			run = 0
		case isIdentStart(c):
			run = 0
			s := i
			for i < n && isIdentChar(orig[i]) {
				i++
			}
			wb := orig[s:i]
			wf := words[string(wb)]
			if wf&wAttr != 0 {
				blank(s, i)
				continue
			}
			if wf&(wAttrArgs|wAnnotation) != 0 {
				j := skipSpace(orig, i)
				if j < n && orig[j] == '(' {
					end := matchParen(orig, j)
					if kind := d.Annotations[string(wb)]; kind != "" && end > j {
						res.annotations = append(res.annotations, Annotation{
							Kind: kind, Pos: s, Arg: ParseExpr(orig, j+1, end-1, types)})
					}
					blank(s, end)
					i = end
					continue
				}
				if wf&wAttrArgs != 0 {
					blank(s, i)
					continue
				}
			}
			if depth == 0 && wf&wGenerator != 0 && atStatementStart(prevSig, prevWord) {
				if j := skipSpace(orig, i); j < n && orig[j] == '(' {
					end := matchParen(orig, j)
					if wf&wGuard != 0 {
						if g := guardDef(d.GuardDefiners[string(wb)], splitArgs(orig, s, end, types)); g != nil {
							res.guards = append(res.guards, g)
						}
					}
					blank(j+1, end-1)
					i = end
					prevSig = ')'
					prevWord = nil
					continue
				}
			}
			if depth >= 1 && prevSig == '}' && bytes.HasPrefix(wb, []byte("while_each")) {
				// "do { ... } while_each_thread(g, t);" and the closing
				// half of do_each_pid_task()/do_each_subsys_mask(): read
				// as "while (g, t)", or "while(0)" without arguments, so
				// that tree-sitter does not take the rest of the file
				// for this function (cgroup_attach_task() swallowed
				// cgroup_update_dfl_csses()).
				if j := skipSpace(orig, i); j < n && orig[j] == '(' {
					if end := matchParen(orig, j); end > j {
						if k := skipSpace(orig, j+1); k == end-1 {
							copy(src[s:], "while(0)")
							blank(s+len("while(0)"), end)
						} else {
							copy(src[s:], "while")
							blank(s+len("while"), i)
						}
						i = end
						prevSig = ')'
						prevWord = nil
						continue
					}
				}
			}
			if depth >= 1 && wf&wKeyword == 0 && atStatementStart(prevSig, prevWord) {
				if m, end := blockMacroAt(orig, s, i, wb, d); m != nil {
					m.Args = splitArgs(orig, s, end, types)
					res.macros[s] = m
					if len(wb) >= len("while") {
						copy(src[s:], "while")
						blank(s+len("while"), i)
					}
					i = end
					prevSig = ')'
					prevWord = nil
					continue
				}
			}
			prevWord = wb
			prevSig = 'x'
		case c >= '0' && c <= '9':
			for i < n && (isIdentChar(orig[i]) || orig[i] == '.') {
				i++
			}
			prevSig = 'x'
			prevWord = nil
			run = 0
		default:
			switch c {
			case '{':
				depth++
			case '}':
				if depth > 0 {
					depth--
				}
			}
			switch c {
			case '(', '[', '{':
				nest++
				res.brackets = max(res.brackets, nest)
				run = 0
			case ')', ']', '}':
				nest = max(nest-1, 0)
				run = 0
			case ',', ';':
				run = 0
			default:
				run++
				res.opRun = max(res.opRun, run)
			}
			prevSig = c
			prevWord = nil
			i++
		}
	}
	for name := range res.expand {
		if defined[name] > 1 {
			delete(res.expand, name)
		}
	}
	once := res.defs[:0]
	for _, m := range res.defs {
		if defined[m.name] == 1 {
			once = append(once, m)
		} else {
			res.variants = append(res.variants, m)
		}
	}
	res.defs = once
	return res
}

// defineBodyStart returns the offset after "#define NAME" in the
// directive orig[s:e].
func defineBodyStart(orig []byte, s, e int) int {
	k := s + 1
	for k < e && (orig[k] == ' ' || orig[k] == '\t') {
		k++
	}
	k += len("define")
	for k < e && (orig[k] == ' ' || orig[k] == '\t') {
		k++
	}
	for k < e && isIdentChar(orig[k]) {
		k++
	}
	return k
}

// macroDef splits "define NAME(args) body" into the name and body of a
// function-like macro.
func macroDef(dir string) (name, body string, ok bool) {
	name, _, body, ok = macroParts(dir)
	return name, body, ok
}

// macroParts is macroDef with the parameter list's text as well.
func macroParts(dir string) (name, params, body string, ok bool) {
	rest := strings.TrimSpace(strings.TrimPrefix(dir, "define"))
	i := 0
	for i < len(rest) && isIdentChar(rest[i]) {
		i++
	}
	if i == 0 || i >= len(rest) || rest[i] != '(' {
		return "", "", "", false
	}
	end := strings.IndexByte(rest[i:], ')')
	if end < 0 {
		return "", "", "", false
	}
	return rest[:i], rest[i+1 : i+end], rest[i+end+1:], true
}

func mentionsAny(body string, words map[string]bool) bool {
	for i := 0; i < len(body); {
		if !isIdentStart(body[i]) {
			i++
			continue
		}
		j := i
		for j < len(body) && isIdentChar(body[j]) {
			j++
		}
		if words[body[i:j]] {
			return true
		}
		i = j
	}
	return false
}

func atStatementStart(prevSig byte, prevWord []byte) bool {
	switch prevSig {
	case ';', '{', '}', ')', ':':
		return true
	}
	return string(prevWord) == "else" || string(prevWord) == "do"
}

// blockMacroAt decides whether the identifier at orig[s:e] starts a block
// macro: a call followed by '{', or a known iterator followed by a
// statement. It returns the macro and the offset after its ')'.
func blockMacroAt(orig []byte, s, e int, wb []byte, d *Dialect) (*BlockMacro, int) {
	j := skipSpace(orig, e)
	if j >= len(orig) || orig[j] != '(' {
		return nil, 0
	}
	end := matchParen(orig, j)
	if end <= j {
		return nil, 0
	}
	k := skipSpace(orig, end)
	if k >= len(orig) {
		return nil, 0
	}
	next := orig[k]
	word := string(wb)
	switch {
	case next == '{':
		return &BlockMacro{Name: word, Pos: s}, end
	case isIdentStart(next) || next == '*' || next == '(':
		if d != nil && matchesAny(word, d.BlockMacros) && !startsOperator(orig, k) {
			return &BlockMacro{Name: word, Pos: s}, end
		}
	}
	return nil, 0
}

func startsOperator(orig []byte, k int) bool {
	// "foo(x) * 2" or "foo(x) (y)" are expressions, not statement bodies;
	// only identifiers start a body we accept without braces.
	return !isIdentStart(orig[k])
}

func matchesAny(name string, globs []string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// skipSpace skips blanks and comments from i.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch {
		case b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r':
			i++
		case b[i] == '\\' && i+1 < len(b) && b[i+1] == '\n':
			i += 2
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			i += 2
			for i+1 < len(b) && !(b[i] == '*' && b[i+1] == '/') {
				i++
			}
			i += 2
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

// matchParen returns the offset after the ')' matching the '(' at i, or i
// when there is none.
func matchParen(b []byte, i int) int {
	depth := 0
	for k := i; k < len(b); k++ {
		switch b[k] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return k + 1
			}
		case '"', '\'':
			k = skipQuoted(b, k, len(b)) - 1
		case '/':
			if k+1 < len(b) && b[k+1] == '*' {
				k += 2
				for k+1 < len(b) && !(b[k] == '*' && b[k+1] == '/') {
					k++
				}
				k++
			}
		}
	}
	return i
}

// splitArgs parses the macro call orig[s:end] and returns its arguments.
func splitArgs(orig []byte, s, end int, types TypeNames) []*Expr {
	if call := ParseExpr(orig, s, end, types); call.Kind == ECall {
		return call.Args
	}
	return nil
}

// GuardDefiner says where a guard-defining macro has its lock and unlock
// calls among its arguments, and whether they name the guarded object
// as "_T" (DEFINE_GUARD) or as "_T->lock" (DEFINE_LOCK_GUARD_1).
type GuardDefiner struct {
	Lock     int  `yaml:"lock"`
	Unlock   int  `yaml:"unlock"`
	LockT    bool `yaml:"lock_t"`
	NoObject bool `yaml:"no_object"`
}

// GuardDef is a guard class a file defines: guard(Name)(x) runs Lock with
// x in place of the guarded object, and Unlock when the scope ends.
type GuardDef struct {
	Name         string
	Lock, Unlock *Expr
	// LockT: the templates name the object as "_T->lock", not "_T";
	// NoObject: they name none (DEFINE_LOCK_GUARD_0).
	LockT, NoObject bool
}

func guardDef(d GuardDefiner, args []*Expr) *GuardDef {
	if len(args) <= max(d.Lock, d.Unlock) || args[0].Kind != EIdent {
		return nil
	}
	lock, unlock := args[d.Lock], args[d.Unlock]
	if lock.Kind != ECall || unlock.Kind != ECall {
		return nil // statements, not calls: not followed
	}
	return &GuardDef{Name: args[0].Name, Lock: lock, Unlock: unlock, LockT: d.LockT, NoObject: d.NoObject}
}

// condName reads the name an #ifdef/#ifndef/#if [!]defined(X) tests, and
// whether the test is negated; "" for anything else.
func condName(dir string) (name string, neg bool) {
	f := strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(dir))
	switch {
	case len(f) == 2 && f[0] == "ifdef":
		return f[1], false
	case len(f) == 2 && f[0] == "ifndef":
		return f[1], true
	case len(f) == 3 && f[0] == "if" && f[1] == "defined":
		return f[2], false
	case len(f) == 3 && f[0] == "if" && f[1] == "!defined":
		return f[2], true
	case len(f) == 4 && f[0] == "if" && f[1] == "!" && f[2] == "defined":
		return f[3], true
	}
	return "", false
}

// ppCond is an open #if arm: its directive, and whether an #else or
// #elif arm of it is being read.
type ppCond struct {
	dir   string
	else_ bool
}

// CondDefines returns the object-like macros src defines under plain #if
// conditions, each with its condition as an #if expression (see
// File.CondDefines). It reads only the directives, without parsing, so
// that an index can learn what the tree's headers define before it
// analyses any file.
func CondDefines(src []byte) map[string]string {
	var out map[string]string
	var conds []ppCond
	lines := bytes.Split(src, []byte("\n"))
	inComment := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if inComment {
			j := bytes.Index(line, []byte("*/"))
			if j < 0 {
				continue
			}
			line, inComment = line[j+2:], false
		}
		t := bytes.TrimSpace(line)
		if len(t) == 0 || t[0] != '#' {
			if j := bytes.LastIndex(line, []byte("/*")); j >= 0 && !bytes.Contains(line[j:], []byte("*/")) {
				inComment = true
			}
			continue
		}
		dirb := append([]byte(nil), t[1:]...)
		for bytes.HasSuffix(dirb, []byte("\\")) && i+1 < len(lines) {
			i++
			dirb = append(dirb[:len(dirb)-1], bytes.TrimSpace(lines[i])...)
		}
		if j := bytes.Index(dirb, []byte("/*")); j >= 0 {
			if k := bytes.Index(dirb[j:], []byte("*/")); k >= 0 {
				dirb = append(dirb[:j:j], dirb[j+k+2:]...)
			} else {
				dirb, inComment = dirb[:j], true
			}
		}
		if j := bytes.Index(dirb, []byte("//")); j >= 0 {
			dirb = dirb[:j]
		}
		dir := strings.TrimSpace(string(dirb))
		switch {
		case strings.HasPrefix(dir, "if"):
			conds = append(conds, ppCond{dir: dir})
		case strings.HasPrefix(dir, "el"):
			if len(conds) > 0 {
				conds[len(conds)-1].else_ = true
			}
		case strings.HasPrefix(dir, "endif"):
			if len(conds) > 0 {
				conds = conds[:len(conds)-1]
			}
		case strings.HasPrefix(dir, "define"):
			name := objectMacro(dir)
			if name == "" || strings.HasPrefix(name, "CONFIG_") {
				continue
			}
			cond, ok := definedUnder(conds, name)
			if !ok {
				continue
			}
			if out == nil {
				out = map[string]string{}
			}
			if old, seen := out[name]; seen && old != cond {
				cond = "" // defined under two conditions: not one
			}
			out[name] = cond
		}
	}
	for name, cond := range out {
		if cond == "" {
			delete(out, name)
		}
	}
	return out
}

// definedUnder is the condition, as an #if expression, under which an
// object-like macro is defined: the conjunction of the #if, #ifdef and
// #ifndef arms around its #define, include guards and __KERNEL__ arms
// left out ("defined(CONFIG_HIGHMEM) && !defined(WANT_PAGE_VIRTUAL)" for
// mm.h's HASHED_PAGE_VIRTUAL). ok is false inside an #else or #elif
// arm, whose condition is not kept, and under an "#ifndef NAME" of the
// name itself (a fallback).
func definedUnder(conds []ppCond, name string) (string, bool) {
	var parts []string
	for _, c := range conds {
		if c.else_ {
			return "", false
		}
		n, neg := condName(c.dir)
		switch {
		case n == "__KERNEL__" && !neg, neg && includeGuard(n):
			continue
		case n == name:
			return "", false
		case n != "":
			if neg {
				parts = append(parts, "!defined("+n+")")
			} else {
				parts = append(parts, "defined("+n+")")
			}
		default:
			e, ok := strings.CutPrefix(c.dir, "if")
			if !ok || strings.HasPrefix(c.dir, "ifdef") || strings.HasPrefix(c.dir, "ifndef") {
				return "", false
			}
			parts = append(parts, "("+strings.TrimSpace(e)+")")
		}
	}
	if len(parts) == 0 {
		return "", false
	}
	return strings.Join(parts, " && "), true
}

// notKernelArm reports the arm of a conditional that only user space
// compiles: "#ifndef __KERNEL__", or the #else of "#ifdef __KERNEL__".
func notKernelArm(dir string, elseArm bool) bool {
	name, neg := condName(dir)
	return name == "__KERNEL__" && neg != elseArm
}

// guardsName reports "#ifndef NAME": what follows defines NAME only
// where nothing else has.
func guardsName(dir, name string) bool {
	n, neg := condName(dir)
	return neg && n == name
}

// objectMacro is the name an object-like "#define NAME [value]" defines,
// "" for a function-like one.
func objectMacro(dir string) string {
	rest := strings.TrimSpace(strings.TrimPrefix(dir, "define"))
	i := 0
	for i < len(rest) && isIdentChar(rest[i]) {
		i++
	}
	if i == 0 || i < len(rest) && rest[i] == '(' {
		return ""
	}
	return rest[:i]
}

// includeGuard reports a name shaped like a header's include guard
// (_LINUX_CLK_H, __ACLINUX_H__).
func includeGuard(name string) bool {
	n := strings.TrimRight(name, "_")
	return strings.HasSuffix(n, "_H") || strings.HasSuffix(n, "_H_INCLUDED")
}
