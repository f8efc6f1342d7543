// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/smacker/go-tree-sitter/c"
)

// MaxFileSize bounds the input a parser accepts; kernel sources stay far
// below it, generated register headers and hostile input do not.
const MaxFileSize = 8 << 20

// ErrNotC is returned for input that is not C source text.
var ErrNotC = errors.New("not C source")

// Parser parses C files. It wraps one tree-sitter parser and is not safe
// for concurrent use: make one per goroutine and Close it.
type Parser struct {
	ts      *tsParser
	err     error // making ts failed
	table   *langTable
	flat    flattener
	dialect *Dialect
	// Timeout bounds the tree-sitter parse of one file, beside the bound
	// its size gives (ParseTimeout).
	Timeout time.Duration
}

// ParseTimeout is how long tree-sitter may take over a file of size
// bytes: 1 s, and 3 s per MiB. The kernel's slowest files parse at about
// 1.5 MiB/s (rtw89's 1.8 MiB register tables: 1.2 s on a loaded machine,
// 6.4 s allowed); its error recovery on text that is not C can take
// minutes for a megabyte.
func ParseTimeout(size int) time.Duration {
	return time.Second + time.Duration(size)*3*time.Second/(1<<20)
}

// NewParser returns a parser for the given dialect.
func NewParser(d *Dialect) *Parser {
	if d == nil {
		d = &Dialect{}
	}
	ts, err := newTSParser()
	return &Parser{ts: ts, err: err, table: newLangTable(c.GetLanguage()), dialect: d, Timeout: 20 * time.Second}
}

// Close frees the tree-sitter parser.
func (p *Parser) Close() {
	if p.ts != nil {
		p.ts.close()
	}
	p.flat.close()
}

func (p *Parser) typ(n *tsNode) string { return n.Type() }

// Parse parses one file. It fails on input that is not C text or too large;
// syntax tree-sitter cannot read is skipped, counted and analysed around.
func (p *Parser) Parse(path string, src []byte) (*File, error) {
	if len(src) > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes is over the %d-byte limit", path, len(src), MaxFileSize)
	}
	if bytes.IndexByte(src, 0) >= 0 {
		return nil, fmt.Errorf("%s: %w: the file holds NUL bytes", path, ErrNotC)
	}
	f := &File{Path: path, Src: src, Structs: map[string]*Struct{}, Typedefs: map[string]Type{}, Globals: map[string]Type{}, Consts: map[string]int64{}}
	f.lines = append(f.lines, 0)
	for i, b := range src {
		if b == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	types := &fileTypes{d: p.dialect, f: f}
	pre := prepass(src, p.dialect, types)
	f.Defines = pre.objDefines
	f.CondDefines = CondDefines(src)
	for _, g := range pre.guards {
		if f.Guards == nil {
			f.Guards = map[string]*GuardDef{}
		}
		f.Guards[g.Name] = g
	}
	// Refused before tree-sitter builds a tree that would be: a megabyte
	// of "!" or "(" costs it hundreds of megabytes.
	if pre.brackets > MaxNesting {
		return nil, fmt.Errorf("%s: %w: brackets nest %d levels, over the limit of %d", path, ErrTooDeep, pre.brackets, MaxNesting)
	}
	if pre.opRun > 2*MaxExprHeight {
		return nil, fmt.Errorf("%s: %w: a run of %d operator characters (the limit is %d operators in a row)", path, ErrTooDeep, pre.opRun, 2*MaxExprHeight)
	}

	if p.err != nil {
		return nil, fmt.Errorf("%s: %w", path, p.err)
	}
	// tree-sitter's own timeout, not a cancellable context: a cancelled
	// parser resumes the old input on its next parse.
	timeout := min(p.Timeout, ParseTimeout(len(src)))
	defined, spans := definerExpansions(src, pre.defs)
	for _, sp := range spans {
		for k := sp[0]; k < sp[1] && k < len(pre.src); k++ {
			if pre.src[k] != '\n' {
				pre.src[k] = ' '
			}
		}
	}
	ft, err := p.flat.parse(p.ts, pre.src, timeout, p.table)
	if err != nil {
		if errors.Is(err, errTimeout) {
			return nil, fmt.Errorf("%s: tree-sitter: %w (limit %v)", path, err, timeout.Round(time.Millisecond))
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	root := ft.root()

	synth, macroFns := macroSource(src, withVariants(pre.defs, pre.variants), p.dialect)
	f.KeyedInits = keyedInits(src, pre.defs)
	b := &fileBuilder{p: p, f: f, src: src, pre: pre, types: types, conds: map[*tsNode]*condList{},
		scratch: &exprScratch{str: string(src)}, macroFns: macroFns}
	tops := b.topLevel(root)
	for _, n := range tops {
		b.declarations(n)
	}
	for i := 0; i < len(tops); i++ {
		n := tops[i]
		switch p.typ(n) {
		case "function_definition":
			b.function(n, nil)
		case "expression_statement":
			// SYSCALL_DEFINE3(name, ...) { body }: a macro that defines a
			// function, read by tree-sitter as a call missing its ';'.
			if i+1 < len(tops) && p.typ(tops[i+1]) == "compound_statement" && missingSemicolon(n) {
				b.function(tops[i+1], n)
				i++
			}
		}
	}
	if b.tooDeep {
		return nil, fmt.Errorf("%s: %w: declarations or statements nest more than %d levels", path, ErrTooDeep, MaxNesting)
	}
	if b.scratch.tooDeep {
		return nil, fmt.Errorf("%s: %w: an expression nests more than %d levels", path, ErrTooDeep, MaxExprHeight)
	}
	f.Depth, f.ExprHeight = b.deepest, b.scratch.height
	if len(f.Funcs) == 0 && ft.hasError() && len(bytes.TrimSpace(src)) > 0 && !hasDeclarations(tops, p) {
		return nil, fmt.Errorf("%s: %w: tree-sitter found no C declarations", path, ErrNotC)
	}
	if synth != nil {
		// The #if arms around each macro, from the file's own tree: a
		// macro of the !CONFIG_JUMP_LABEL arm is a variant as a stub
		// function is.
		type at struct {
			name string
			line int
		}
		conds := map[at][]PreCond{}
		for _, n := range tops {
			// The prepass leaves "#define NAME 0" of a function-like one.
			if t := p.typ(n); t != "preproc_def" && t != "preproc_function_def" || b.conds[n] == nil {
				continue
			}
			if nm := n.ChildByFieldName("name"); nm != nil {
				conds[at{nm.Content(src), f.Line(int(nm.StartByte()))}] = b.conds[n].conds()
			}
		}
		variant := map[string]bool{}
		for _, m := range pre.variants {
			variant[m.name] = true
		}
		// The file's own tree is not used past here: the flattener's
		// buffers are reused.
		for _, fn := range p.macroFuncs(f, synth, pre, macroFns, types, timeout) {
			fn.Conds = conds[at{fn.Name, fn.Line}]
			if variant[fn.Name] && len(fn.Conds) == 0 {
				// Defined again outside any #if arm (#undef, then a
				// new body for the next table): not one function.
				continue
			}
			f.Funcs = append(f.Funcs, fn)
		}
	}
	for _, text := range defined {
		f.Funcs = append(f.Funcs, p.generatedFuncs(f, text, pre, types, timeout)...)
	}
	f.Ops = append(f.Ops, p.expandedTables(f, b.pendingInits, pre, types, timeout)...)
	return f, nil
}

// generatedFuncs parses the functions one expansion of a definer macro
// writes (definers.go): f's functions, on the lines of the macro's
// definition. A name f defines already is not defined twice.
func (p *Parser) generatedFuncs(f *File, text []byte, real prepassResult, types *fileTypes, timeout time.Duration) []*Func {
	sf := p.parseSynth(f, text, real, nil, types, timeout, true)
	if sf == nil {
		return nil
	}
	have := map[string]bool{}
	for _, fn := range f.Funcs {
		have[fn.Name] = true
	}
	var out []*Func
	for _, fn := range sf.Funcs {
		if have[fn.Name] || fn.Static {
			// A static helper the macro makes for its file alone (ALSA's
			// snd_pcm_group_lock_irq(), a mutex or a spinlock by a flag
			// its callers pair with the unlock's) stays unknown, as
			// before: only the file's exported API is worth the risk.
			continue
		}
		fn.File = f
		out = append(out, fn)
	}
	// What the expansion declares (the struct it defines, a per-CPU
	// variable) types the functions' expressions.
	for k, v := range sf.Structs {
		if _, ok := f.Structs[k]; !ok {
			f.Structs[k] = v
		}
	}
	for k, v := range sf.Globals {
		if _, ok := f.Globals[k]; !ok {
			f.Globals[k] = v
		}
	}
	return out
}

// withVariants merges a file's macros defined once and those defined
// more than once (#ifdef CONFIG_SERIAL_CORE_CONSOLE's uart_console()
// and its stub) in the order of the text, as macroSource writes them.
func withVariants(defs, variants []macroDefn) []macroDefn {
	if len(variants) == 0 {
		return defs
	}
	all := make([]macroDefn, 0, len(defs)+len(variants))
	all = append(all, defs...)
	all = append(all, variants...)
	slices.SortFunc(all, func(a, b macroDefn) int { return a.s - b.s })
	return all
}

// macroFuncs parses the functions macroSource wrote for f's macros. They
// are f's functions, marked Macro; what the parser cannot read of them is
// not f's syntax error, and a text it cannot parse in time, or too deep,
// gives none.
func (p *Parser) macroFuncs(f *File, synth []byte, real prepassResult, names map[string]bool, types *fileTypes, timeout time.Duration) []*Func {
	sf := p.parseSynth(f, synth, real, names, types, timeout, false)
	if sf == nil {
		return nil
	}
	for _, fn := range sf.Funcs {
		fn.File, fn.Macro, fn.Static = f, true, true
	}
	return sf.Funcs
}

// parseSynth parses a text written for f (its macros as functions, a
// definer's expansion) on f's lines, with f's own lock macros read in it
// as in f; declare reads its declarations too. nil when it is too deep or
// cannot be parsed in time.
func (p *Parser) parseSynth(f *File, text []byte, real prepassResult, names map[string]bool, types *fileTypes, timeout time.Duration, declare bool) *File {
	sf := &File{Path: f.Path, Src: text, Structs: map[string]*Struct{}, Typedefs: map[string]Type{}, Globals: map[string]Type{}, Consts: map[string]int64{}}
	for k, v := range f.Structs {
		sf.Structs[k] = v // the file's own types name the members of what it generates
	}
	sf.lines = append(sf.lines, 0)
	for i, c := range text {
		if c == '\n' {
			sf.lines = append(sf.lines, i+1)
		}
	}
	pre := prepass(text, p.dialect, types)
	pre.opaque, pre.expand = real.opaque, real.expand
	if pre.brackets > MaxNesting || pre.opRun > 2*MaxExprHeight {
		return nil
	}
	ft, err := p.flat.parse(p.ts, pre.src, timeout, p.table)
	if err != nil {
		return nil
	}
	b := &fileBuilder{p: p, f: sf, src: text, pre: pre, types: types, conds: map[*tsNode]*condList{},
		scratch: &exprScratch{str: string(text)}, macroFns: names}
	tops := b.topLevel(ft.root())
	if declare {
		for _, n := range tops {
			b.declarations(n)
		}
	}
	for _, n := range tops {
		if p.typ(n) == "function_definition" {
			b.function(n, nil)
		}
	}
	if b.tooDeep || b.scratch.tooDeep {
		return nil
	}
	return sf
}

func hasDeclarations(tops []*tsNode, p *Parser) bool {
	for _, n := range tops {
		switch p.typ(n) {
		case "declaration", "type_definition", "struct_specifier", "preproc_include",
			"preproc_def", "preproc_function_def", "enum_specifier", "union_specifier":
			return true
		}
	}
	return false
}

func missingSemicolon(n *tsNode) bool {
	k := int(n.ChildCount())
	return k > 0 && n.Child(k-1).IsMissing()
}

// fileTypes answers which identifiers are types while expressions are read.
type fileTypes struct {
	d *Dialect
	f *File
}

func (t *fileTypes) IsType(name string) bool {
	if t.d.TypeNames[name] {
		return true
	}
	if _, ok := t.f.Typedefs[name]; ok {
		return true
	}
	return strings.HasSuffix(name, "_t") && len(name) > 2
}

type fileBuilder struct {
	p     *Parser
	f     *File
	src   []byte
	pre   prepassResult
	types *fileTypes
	// scratch serves the parse of the file's expressions.
	scratch *exprScratch
	// conds are the preprocessor conditions around top-level nodes.
	conds map[*tsNode]*condList
	// macroFns are the file's macros read as functions (macroSource).
	macroFns map[string]bool
	// nest is the depth of the recursive walks of the tree, deepest the
	// most it reached; tooDeep is set past MaxNesting.
	nest, deepest int
	tooDeep       bool
	// initDefs are the file's function-like macros by name, for
	// initializers built by them (expandInit); pendingInits the
	// initializers whose macros were expanded, parsed after the file.
	initDefs     map[string]initMacro
	pendingInits []pendingInit
}

// condList is a stack of preprocessor conditions shared between levels:
// each level adds one to its parent's, as a linked list, so that nesting
// costs no copy of the conditions outside it. slice is built once, for
// the functions defined at that level.
type condList struct {
	c     PreCond
	up    *condList
	n     int
	slice []PreCond
}

func (l *condList) push(c PreCond) *condList {
	n := 1
	if l != nil {
		n = l.n + 1
	}
	return &condList{c: c, up: l, n: n}
}

// negateTop replaces the innermost condition by its negation.
func (l *condList) negateTop() *condList {
	return l.up.push(PreCond{Atom: l.c.Atom, Val: !l.c.Val})
}

// conds lists the conditions, outermost first.
func (l *condList) conds() []PreCond {
	if l == nil {
		return nil
	}
	if l.slice == nil {
		l.slice = make([]PreCond, l.n)
		for x, i := l, l.n-1; x != nil; x, i = x.up, i-1 {
			l.slice[i] = x.c
		}
	}
	return l.slice
}

// enter counts one more level of a recursive walk of the syntax tree, to
// be undone by leave; past MaxNesting it refuses (tooDeep), and every
// walk stops.
func (b *fileBuilder) enter() bool {
	if b.tooDeep || b.nest == MaxNesting {
		b.tooDeep = true
		return false
	}
	b.nest++
	b.deepest = max(b.deepest, b.nest)
	return true
}

func (b *fileBuilder) leave() { b.nest-- }

// topLevel flattens the file's top-level nodes, looking through
// preprocessor conditionals (both arms are real code) and ERROR wrappers.
func (b *fileBuilder) topLevel(root *tsNode) []*tsNode {
	var out []*tsNode
	var visit func(n *tsNode, conds *condList)
	visit = func(n *tsNode, conds *condList) {
		if !b.enter() {
			return
		}
		defer b.leave()
		cnt := int(n.NamedChildCount())
		var alt *tsNode
		if t := b.p.typ(n); strings.HasPrefix(t, "preproc_if") || strings.HasPrefix(t, "preproc_elif") {
			alt = n.ChildByFieldName("alternative")
		}
		for i := 0; i < cnt; i++ {
			ch := n.NamedChild(i)
			switch t := b.p.typ(ch); t {
			case "preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef":
				if alt != nil && ch.StartByte() == alt.StartByte() {
					// This conditional's own #elif: visited below, under
					// the negation of this condition. Visiting it here
					// too made each #elif of a chain double the work.
					continue
				}
				visit(ch, conds.push(b.preCond(ch, true)))
			case "preproc_else":
				c := conds
				if conds != nil && alt != nil && ch.StartByte() == alt.StartByte() {
					// #else of the enclosing #if: its condition negated.
					c = conds.negateTop()
				}
				visit(ch, c)
			case "linkage_specification", "declaration_list":
				visit(ch, conds)
			case "ERROR":
				b.f.ErrorNodes++
				b.f.ErrorLines = append(b.f.ErrorLines, b.f.Line(int(ch.StartByte())))
				visit(ch, conds)
			default:
				if alt != nil && ch.StartByte() == alt.StartByte() {
					continue
				}
				out = append(out, ch)
				if conds != nil {
					b.conds[ch] = conds
				}
			}
		}
		if alt != nil && b.p.typ(alt) != "preproc_else" && conds != nil {
			// #elif B of "#if A": not A, and B.
			visit(alt, conds.negateTop().push(b.preCond(alt, true)))
		}
	}
	visit(root, nil)
	return out
}

// preCond reads the condition of an #if/#ifdef/#ifndef node.
func (b *fileBuilder) preCond(n *tsNode, val bool) PreCond {
	switch b.p.typ(n) {
	case "preproc_ifdef", "preproc_elifdef":
		name := ""
		if nm := n.ChildByFieldName("name"); nm != nil {
			name = nm.Content(b.src)
		}
		head := n.Child(0).Content(b.src)
		if strings.Contains(head, "ndef") {
			val = !val
		}
		return PreCond{Atom: &Expr{Kind: EIdent, Name: "defined(" + name + ")", Pos: int(n.StartByte())}, Val: val}
	}
	text := ""
	if c := n.ChildByFieldName("condition"); c != nil {
		text = strings.Join(strings.Fields(c.Content(b.src)), " ")
	}
	return PreCond{Atom: &Expr{Kind: EIdent, Name: "#if " + text, Pos: int(n.StartByte())}, Val: val}
}

// declarations records typedefs, struct definitions, globals and includes.
func (b *fileBuilder) declarations(n *tsNode) {
	switch b.p.typ(n) {
	case "preproc_def":
		b.define(n)
	case "preproc_include":
		if pth := n.ChildByFieldName("path"); pth != nil && b.p.typ(pth) == "string_literal" {
			b.f.Includes = append(b.f.Includes, strings.Trim(pth.Content(b.src), `"`))
		}
	case "type_definition":
		t := b.typeOf(n.ChildByFieldName("type"))
		for i := 0; i < int(n.ChildCount()); i++ {
			if n.FieldNameForChild(i) != "declarator" {
				continue
			}
			name, ptr, arr := b.declName(n.Child(i))
			if name != "" {
				b.f.Typedefs[name] = Type{Base: t.Base, Ptr: t.Ptr + ptr, Array: arr}
			}
		}
	case "declaration":
		tn := n.ChildByFieldName("type")
		t := b.typeOf(tn)
		static := false
		for i := 0; i < int(n.NamedChildCount()); i++ {
			if ch := n.NamedChild(i); b.p.typ(ch) == "storage_class_specifier" && ch.Content(b.src) == "static" {
				static = true
			}
		}
		markStatic := func(name string) {
			if !static {
				return
			}
			if b.f.Statics == nil {
				b.f.Statics = map[string]bool{}
			}
			b.f.Statics[name] = true
		}
		if def, ok := b.p.dialect.Definers[t.Base]; ok {
			// DEFINE_SPINLOCK(name): the declarator is the parenthesised name.
			if d := n.ChildByFieldName("declarator"); d != nil {
				if name, _, _ := b.declName(d); name != "" {
					b.f.Globals[name] = Type{Base: def}
					markStatic(name)
				}
			}
			return
		}
		b.eachDeclarator(n, func(name string, ptr int, arr bool, value *tsNode) {
			b.f.Globals[name] = Type{Base: t.Base, Ptr: t.Ptr + ptr, Array: arr}
			markStatic(name)
			if value != nil && ptr == 0 && strings.HasPrefix(t.Base, "struct ") {
				v := name
				if arr {
					v = ""
				}
				b.opsTable(t.Base, value, arr, v)
			}
		})
	case "expression_statement":
		// DEFINE_SPINLOCK(name); without a storage class reads as a call.
		if n.NamedChildCount() > 0 {
			if c := n.NamedChild(0); b.p.typ(c) == "call_expression" {
				call := parseExprWith(b.scratch, b.src, int(c.StartByte()), int(c.EndByte()), b.types)
				if def, ok := b.p.dialect.Definers[call.CallName()]; ok && len(call.Args) > 0 && call.Args[0].Kind == EIdent {
					b.f.Globals[call.Args[0].Name] = Type{Base: def}
				}
			}
		}
	case "struct_specifier", "union_specifier", "enum_specifier":
		b.typeOf(n)
	}
}

// opsTable records the functions a struct initializer stores in its
// members (".map = snapshot_map"): the targets of calls through them. An
// array of structs has one initializer per element.
func (b *fileBuilder) opsTable(st string, list *tsNode, arr bool, tableVar string) {
	if b.p.typ(list) != "initializer_list" {
		return
	}
	for i := 0; i < int(list.NamedChildCount()); i++ {
		c := list.NamedChild(i)
		switch b.p.typ(c) {
		case "initializer_list":
			if arr {
				b.opsTable(st, c, false, "")
			}
		case "call_expression":
			// INIT_MESON8_COMMON_DATA(134): an initializer the file's own
			// macro writes (irq-meson-gpio.c), read once expanded.
			if text, ok := b.expandInit(int(c.StartByte()), int(c.EndByte())); ok {
				v := tableVar
				if arr {
					v = ""
				}
				b.pendingInits = append(b.pendingInits, pendingInit{st: st, text: text, tableVar: v, line: b.f.Line(int(c.StartByte()))})
			}
		case "initializer_pair":
			d, v := c.ChildByFieldName("designator"), c.ChildByFieldName("value")
			if arr && d != nil && v != nil && b.p.typ(d) == "subscript_designator" && b.p.typ(v) == "initializer_list" {
				b.opsTable(st, v, false, "") // [FOO_X] = { .fn = f }
				continue
			}
			if d != nil && v != nil && b.p.typ(d) == "field_designator" && b.p.typ(v) == "initializer_list" {
				// .ops = { .set_type = f }: a member that is itself a
				// struct, whose type the file's definition names.
				field := strings.TrimSpace(strings.TrimPrefix(d.Content(b.src), "."))
				if s := b.f.Structs[st]; s != nil {
					if t, ok := s.Fields[field]; ok && t.Ptr == 0 && !t.Array && strings.HasPrefix(t.Base, "struct ") {
						b.opsTable(t.Base, v, false, "")
					}
				}
				continue
			}
			if d == nil || v == nil || b.p.typ(d) != "field_designator" || c.NamedChildCount() != 2 {
				continue // .a.b = f, [i] = f: nested members are not followed
			}
			if b.p.typ(v) == "pointer_expression" && v.ChildByFieldName("argument") != nil {
				v = v.ChildByFieldName("argument") // .fn = &handler
			}
			if b.p.typ(v) != "identifier" || strings.ToUpper(v.Content(b.src)) == v.Content(b.src) {
				continue // THIS_MODULE, NULL: macros, not functions
			}
			field := strings.TrimPrefix(d.Content(b.src), ".")
			b.f.Ops = append(b.f.Ops, OpsInit{Struct: st, Field: strings.TrimSpace(field), Fn: v.Content(b.src),
				Line: b.f.Line(int(c.StartByte())), Var: tableVar})
		}
	}
}

// childIndex maps the i-th named child to its index among all children,
// which FieldNameForChild wants.
func (b *fileBuilder) childIndex(n *tsNode, named int) int {
	k := -1
	for i := 0; i < int(n.ChildCount()); i++ {
		if n.Child(i).IsNamed() {
			k++
			if k == named {
				return i
			}
		}
	}
	return 0
}

// eachDeclarator calls fn for each declarator of a declaration.
func (b *fileBuilder) eachDeclarator(n *tsNode, fn func(name string, ptr int, arr bool, value *tsNode)) {
	cnt := int(n.ChildCount())
	for i := 0; i < cnt; i++ {
		if n.FieldNameForChild(i) != "declarator" {
			continue
		}
		d := n.Child(i)
		var value *tsNode
		if b.p.typ(d) == "init_declarator" {
			value = d.ChildByFieldName("value")
			d = d.ChildByFieldName("declarator")
		}
		if d == nil {
			continue
		}
		if b.p.typ(d) == "function_declarator" {
			// A prototype, unless it declares a pointer: "int (*sync)(...)".
			if inner := d.ChildByFieldName("declarator"); inner == nil || b.p.typ(inner) != "parenthesized_declarator" {
				continue
			}
		}
		name, ptr, arr := b.declName(d)
		if name != "" {
			fn(name, ptr, arr, value)
		}
	}
}

// declName unwraps a declarator to its name, counting pointer levels.
func (b *fileBuilder) declName(d *tsNode) (name string, ptr int, arr bool) {
	for d != nil {
		switch b.p.typ(d) {
		case "identifier", "field_identifier", "type_identifier":
			return d.Content(b.src), ptr, arr
		case "pointer_declarator", "abstract_pointer_declarator":
			ptr++
			d = d.ChildByFieldName("declarator")
		case "array_declarator":
			arr = true
			d = d.ChildByFieldName("declarator")
		case "init_declarator", "function_declarator", "attributed_declarator":
			d = d.ChildByFieldName("declarator")
		case "parenthesized_declarator":
			d = d.NamedChild(0)
		default:
			return "", ptr, arr
		}
	}
	return "", ptr, arr
}

// typeOf reads a type specifier, recording struct and union bodies.
func (b *fileBuilder) typeOf(n *tsNode) Type {
	if n == nil {
		return Type{}
	}
	switch k := b.p.typ(n); k {
	case "struct_specifier", "union_specifier":
		kw := strings.TrimSuffix(k, "_specifier")
		name := ""
		if nm := n.ChildByFieldName("name"); nm != nil {
			name = kw + " " + nm.Content(b.src)
		} else {
			name = fmt.Sprintf("%s <anonymous@%d>", kw, b.f.Line(int(n.StartByte())))
		}
		if body := n.ChildByFieldName("body"); body != nil && b.enter() {
			defer b.leave()
			st := b.f.Structs[name]
			if st == nil {
				st = &Struct{Name: name, Fields: map[string]Type{}}
				b.f.Structs[name] = st
			}
			b.fields(body, st)
		}
		return Type{Base: name}
	case "enum_specifier":
		if body := n.ChildByFieldName("body"); body != nil {
			b.enumerators(body)
		}
		return Type{Base: "int"}
	case "primitive_type", "type_identifier", "sized_type_specifier":
		return Type{Base: strings.Join(strings.Fields(n.Content(b.src)), " ")}
	default:
		return Type{Base: strings.Join(strings.Fields(n.Content(b.src)), " ")}
	}
}

// enumerators records the values of an enum's constants: an explicit
// value, or the one before plus one.
func (b *fileBuilder) enumerators(body *tsNode) {
	next, known := int64(0), true
	for i := 0; i < int(body.NamedChildCount()); i++ {
		e := body.NamedChild(i)
		if b.p.typ(e) != "enumerator" {
			continue
		}
		name := e.ChildByFieldName("name")
		if name == nil {
			continue
		}
		if v := e.ChildByFieldName("value"); v != nil {
			x := parseExprWith(b.scratch, b.src, int(v.StartByte()), int(v.EndByte()), b.types)
			next, known = EvalInt(x, b.f.Consts)
		}
		if known {
			b.f.Consts[name.Content(b.src)] = next
		}
		next++
	}
}

// define records an object-like #define of an integer constant.
func (b *fileBuilder) define(n *tsNode) {
	name, v := n.ChildByFieldName("name"), n.ChildByFieldName("value")
	if name == nil || v == nil {
		return
	}
	x := parseExprWith(b.scratch, b.src, int(v.StartByte()), int(v.EndByte()), b.types)
	if val, ok := EvalInt(x, b.f.Consts); ok {
		b.f.Consts[name.Content(b.src)] = val
	}
}

// fields records the fields of a struct body; anonymous struct and union
// members are folded into the parent.
func (b *fileBuilder) fields(body *tsNode, st *Struct) {
	if !b.enter() {
		return
	}
	defer b.leave()
	cnt := int(body.NamedChildCount())
	for i := 0; i < cnt; i++ {
		fd := body.NamedChild(i)
		switch b.p.typ(fd) {
		case "field_declaration":
		case "preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif":
			b.fields(fd, st)
			continue
		default:
			continue
		}
		tn := fd.ChildByFieldName("type")
		t := b.typeOf(tn)
		found := false
		for j := 0; j < int(fd.ChildCount()); j++ {
			if fd.FieldNameForChild(j) != "declarator" {
				continue
			}
			found = true
			name, ptr, arr := b.declName(fd.Child(j))
			if name != "" {
				st.Fields[name] = Type{Base: t.Base, Ptr: t.Ptr + ptr, Array: arr}
			}
		}
		if !found {
			if inner := b.f.Structs[t.Base]; inner != nil && strings.Contains(t.Base, "<anonymous") {
				for k, v := range inner.Fields {
					st.Fields[k] = v
				}
			}
		}
	}
}

// function builds one function definition. macro is set for a function
// defined through a macro (SYSCALL_DEFINE), n is then its body.
func (b *fileBuilder) function(n *tsNode, macro *tsNode) {
	fn := &Func{File: b.f, Locals: map[string]Type{}, CallIDs: map[*Expr]int{}}
	var body *tsNode
	if macro != nil {
		body = n
		call := parseExprWith(b.scratch, b.src, int(macro.StartByte()), int(macro.EndByte()), b.types)
		fn.Name = call.CallName()
		if len(call.Args) > 0 && call.Args[0].Kind == EIdent {
			name := call.Args[0].Name
			if strings.HasPrefix(fn.Name, "SYSCALL_DEFINE") || strings.HasPrefix(fn.Name, "COMPAT_SYSCALL_DEFINE") {
				name = "sys_" + name
			}
			fn.Name = name
		}
		fn.Line = b.f.Line(int(macro.StartByte()))
	} else {
		body = n.ChildByFieldName("body")
		fn.Ret = b.typeOf(n.ChildByFieldName("type"))
		d := n.ChildByFieldName("declarator")
		// static CLOSURE_CALLBACK(name) { ... }: tree-sitter reads the
		// macro as the return type and (name) as a parenthesised
		// declarator, which no C function definition has.
		var macroName *tsNode
		if tn := n.ChildByFieldName("type"); d != nil && tn != nil && b.p.typ(d) == "parenthesized_declarator" && isUpperIdent(tn.Content(b.src)) {
			if id := d.NamedChild(0); id != nil && b.p.typ(id) == "identifier" {
				macroName, d = id, nil
				fn.Ret = Type{}
			}
		}
		for d != nil && b.p.typ(d) != "function_declarator" {
			switch b.p.typ(d) {
			case "pointer_declarator":
				fn.Ret.Ptr++
				d = d.ChildByFieldName("declarator")
			case "parenthesized_declarator", "attributed_declarator":
				d = d.NamedChild(0)
			default:
				d = nil
			}
		}
		if d == nil && macroName == nil {
			return
		}
		nameNode := macroName
		if d != nil {
			nameNode = d.ChildByFieldName("declarator")
		}
		if nameNode == nil {
			return
		}
		fn.Name = nameNode.Content(b.src)
		fn.Line = b.f.Line(int(nameNode.StartByte()))
		if d != nil && isUpperIdent(fn.Name) {
			// CLOSURE_CALLBACK(name) { ... }: a macro that declares the
			// function named by its argument.
			if params := d.ChildByFieldName("parameters"); params != nil && params.NamedChildCount() == 1 {
				if arg := strings.TrimSpace(params.NamedChild(0).Content(b.src)); arg != "" && isIdentStart(arg[0]) && !strings.ContainsAny(arg, " *") {
					fn.Name = arg
					d = nil
				}
			}
		}
		for i := 0; i < int(n.NamedChildCount()); i++ {
			ch := n.NamedChild(i)
			if b.p.typ(ch) == "storage_class_specifier" && ch.Content(b.src) == "static" {
				fn.Static = true
			}
		}
		var params *tsNode
		if d != nil {
			params = d.ChildByFieldName("parameters")
		}
		if params != nil {
			for i := 0; i < int(params.NamedChildCount()); i++ {
				pd := params.NamedChild(i)
				if b.p.typ(pd) == "identifier" {
					// K&R's "f(a, b)", as macros are read (macrofunc.go):
					// a parameter of no known type.
					fn.Params = append(fn.Params, Param{Name: pd.Content(b.src)})
					continue
				}
				if b.p.typ(pd) != "parameter_declaration" {
					continue
				}
				t := b.typeOf(pd.ChildByFieldName("type"))
				name, ptr, arr := b.declName(pd.ChildByFieldName("declarator"))
				if name == "" && t.Base == "void" && ptr == 0 {
					continue
				}
				fn.Params = append(fn.Params, Param{Name: name, Type: Type{Base: t.Base, Ptr: t.Ptr + ptr, Array: arr}})
			}
		}
	}
	if body == nil || fn.Name == "" || !isIdentStart(fn.Name[0]) {
		return
	}
	start, bodyStart := int(n.StartByte()), int(body.StartByte())
	if macro != nil {
		start = int(macro.StartByte())
	}
	for _, a := range b.pre.annotations {
		if a.Pos >= start && a.Pos < bodyStart {
			fn.Annots = append(fn.Annots, a)
		}
	}
	fn.EndLine = b.f.Line(int(body.EndByte()) - 1)
	if macro != nil {
		fn.Conds = b.conds[macro].conds()
	} else {
		fn.Conds = b.conds[n].conds()
	}
	cb := &cfgBuilder{fb: b, fn: fn, labels: map[string]int{}, bodyStart: bodyStart, bodyEnd: int(body.EndByte())}
	cb.build(body)
	b.f.Funcs = append(b.f.Funcs, fn)
}

// initMacro is a function-like macro of the file: its parameters and its
// body, continuation lines joined.
type initMacro struct {
	params []string
	body   string
}

// pendingInit is an initializer written by macros, expanded: the struct
// it fills, the table variable, and the line of the macro's call.
type pendingInit struct {
	st, text, tableVar string
	line               int
}

// Bounds of initializer macro expansion: nesting of macros in macros, and
// the text one call may grow to.
const (
	maxInitExpansionDepth = 8
	maxInitExpansion      = 64 << 10
)

// expandInit expands the file's function-like macros in the text of an
// initializer element (src[s:e]); ok is false when it names none, or the
// expansion is beyond what initializers need (token pasting,
// stringizing, variadic macros, the bounds).
func (b *fileBuilder) expandInit(s, e int) (string, bool) {
	if b.initDefs == nil {
		b.initDefs = map[string]initMacro{}
		for _, d := range b.pre.defs {
			dir := strings.ReplaceAll(string(b.src[d.s:d.e]), "\\\n", " ")
			dir = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(dir), "#"))
			name, params, body, ok := macroParts(dir)
			if !ok || strings.Contains(body, "#") || strings.Contains(params, "...") {
				continue
			}
			var ps []string
			for _, p := range strings.Split(params, ",") {
				if p = strings.TrimSpace(p); p != "" {
					ps = append(ps, p)
				}
			}
			b.initDefs[name] = initMacro{params: ps, body: body}
		}
	}
	out, changed, ok := expandMacros(string(b.src[s:e]), b.initDefs, maxInitExpansionDepth)
	return out, ok && changed
}

// expandMacros replaces the calls of defs' macros in text by their bodies,
// arguments in place, depth levels deep.
func expandMacros(text string, defs map[string]initMacro, depth int) (out string, changed, ok bool) {
	if depth == 0 || len(text) > maxInitExpansion {
		return "", false, false
	}
	var sb strings.Builder
	for i := 0; i < len(text); {
		if !isIdentStart(text[i]) || i > 0 && isIdentChar(text[i-1]) {
			sb.WriteByte(text[i])
			i++
			continue
		}
		j := i
		for j < len(text) && isIdentChar(text[j]) {
			j++
		}
		m, isMacro := defs[text[i:j]]
		k := j
		for k < len(text) && (text[k] == ' ' || text[k] == '\t' || text[k] == '\n') {
			k++
		}
		if !isMacro || k >= len(text) || text[k] != '(' {
			sb.WriteString(text[i:j])
			i = j
			continue
		}
		args, end, good := splitInitArgs(text, k)
		if !good || len(args) != len(m.params) && !(len(m.params) == 0 && len(args) == 1 && strings.TrimSpace(args[0]) == "") {
			return "", false, false
		}
		exp, _, good := expandMacros(substParams(m.body, m.params, args), defs, depth-1)
		if !good {
			return "", false, false
		}
		sb.WriteString(exp)
		changed = true
		i = end
		if sb.Len() > maxInitExpansion {
			return "", false, false
		}
	}
	return sb.String(), changed, true
}

// splitInitArgs splits the parenthesized arguments at text[open] by their
// top-level commas; end is past the closing parenthesis.
func splitInitArgs(text string, open int) (args []string, end int, ok bool) {
	depth, start := 0, open+1
	for i := open; i < len(text); i++ {
		switch text[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				return append(args, text[start:i]), i + 1, text[i] == ')'
			}
		case ',':
			if depth == 1 {
				args = append(args, text[start:i])
				start = i + 1
			}
		}
	}
	return nil, 0, false
}

// substParams puts args in place of the macro's parameters in body.
func substParams(body string, params, args []string) string {
	var sb strings.Builder
	for i := 0; i < len(body); {
		if !isIdentStart(body[i]) || i > 0 && isIdentChar(body[i-1]) {
			sb.WriteByte(body[i])
			i++
			continue
		}
		j := i
		for j < len(body) && isIdentChar(body[j]) {
			j++
		}
		word := body[i:j]
		if k := slices.Index(params, word); k >= 0 {
			word = strings.TrimSpace(args[k])
		}
		sb.WriteString(word)
		i = j
	}
	return sb.String()
}

// expandedTables parses the initializers expanded from macros as tables
// of their own, and returns the functions they store, on the lines of the
// macros' calls.
func (p *Parser) expandedTables(f *File, pending []pendingInit, pre prepassResult, types *fileTypes, timeout time.Duration) []OpsInit {
	if len(pending) == 0 {
		return nil
	}
	var sb strings.Builder
	for i, pi := range pending {
		fmt.Fprintf(&sb, "static %s __lockbot_init_%d = { %s };\n", pi.st, i, strings.ReplaceAll(pi.text, "\n", " "))
	}
	sf := p.parseSynth(f, []byte(sb.String()), pre, nil, types, timeout, true)
	if sf == nil {
		return nil
	}
	// One macro writes many tables naming the same functions
	// (irq-meson-gpio.c's eleven name two set_type functions): a function
	// is one target however many of them name it.
	var out []OpsInit
	seen := map[[3]string]bool{}
	for _, o := range sf.Ops {
		i := o.Line - 1
		if i < 0 || i >= len(pending) {
			continue
		}
		k := [3]string{o.Struct, o.Field, o.Fn}
		if seen[k] {
			continue
		}
		seen[k] = true
		if o.Var != "" {
			o.Var = pending[i].tableVar
		}
		o.Line = pending[i].line
		out = append(out, o)
	}
	return out
}
