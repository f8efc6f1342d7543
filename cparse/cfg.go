// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"strings"
)

// cfgBuilder turns one function body into basic blocks. Statements come
// from tree-sitter; expressions are parsed from the text in Go.
type cfgBuilder struct {
	fb        *fileBuilder
	fn        *Func
	cur       *Block // nil while the code is unreachable
	labels    map[string]int
	defined   map[string]bool // labels whose statement has been built
	jumps     []jumpTarget
	scopes    []*scope
	bodyStart int
	bodyEnd   int
	expanding int // local macros being read in place, nested
	// labelAt are the offsets of the body's "name:", found on the first
	// goto.
	labelAt map[string]int
}

// maxMacroDepth bounds local macros expanding into one another.
const maxMacroDepth = 4

// wholeMacro reports a macro body all of whose local lock macros can be
// read in place too: raid10's wait_event_barrier_cmd() passes a
// do-while that unlocks and an expression that relocks, and reading the
// one without the other would leave the lock taken twice.
func (b *cfgBuilder) wholeMacro(t *macroTpl) bool {
	ok := true
	t.body.Walk(func(e *Expr) bool {
		if n := e.CallName(); n != "" && b.fb.pre.opaque[n] && b.fb.pre.expand[n] == nil {
			ok = false
		}
		return ok
	})
	return ok
}

// jumpTarget is where break and continue go inside a loop or switch, and
// how many guard scopes were open outside it.
type jumpTarget struct {
	brk, cont int // block IDs; -1 when not applicable
	depth     int
	sw        *switchCtx
}

type switchCtx struct {
	block      *Block
	hasDefault bool
}

type scope struct {
	start, end int
	guards     []*Guard
}

func (b *cfgBuilder) build(body *tsNode) {
	entry := b.newBlock()
	b.fn.Entry = entry.ID
	b.cur = entry
	b.stmt(body)
	if b.cur != nil {
		b.cur.Term = TReturn
		b.cur.Line = b.fn.EndLine
		b.cur = nil
	}
	b.fn.NumStmts = 0
	for _, bl := range b.fn.Blocks {
		if bl.Term == TJump && len(bl.Succs) == 0 {
			// The block of a label the body never defines (goto *p, or a
			// label lost in syntax tree-sitter could not read): where it
			// goes is unknown, so the path ends there.
			bl.Term = TStop
		}
		b.fn.NumStmts += len(bl.Stmts)
	}
}

func (b *cfgBuilder) newBlock() *Block {
	bl := &Block{ID: len(b.fn.Blocks)}
	b.fn.Blocks = append(b.fn.Blocks, bl)
	return bl
}

// ensure returns the current block, opening an unreachable one when code
// follows a jump (it may still be reached through a label).
func (b *cfgBuilder) ensure() *Block {
	if b.cur == nil {
		b.cur = b.newBlock()
	}
	return b.cur
}

func (b *cfgBuilder) jump(to int) {
	if b.cur == nil {
		return
	}
	b.cur.Term = TJump
	b.cur.Succs = []int{to}
	b.cur = nil
}

func (b *cfgBuilder) branch(cond *Expr, t, f int, pre bool, line int) {
	if b.cur == nil {
		return
	}
	b.cur.Term = TBranch
	b.cur.Cond = cond
	b.cur.Succs = []int{t, f}
	b.cur.Pre = pre
	b.cur.Line = line
	b.cur = nil
}

func (b *cfgBuilder) line(pos int) int { return b.fb.f.Line(pos) }

func (b *cfgBuilder) add(s *Stmt) {
	bl := b.ensure()
	s.ID = b.nextID()
	bl.Stmts = append(bl.Stmts, s)
	if s.Kind == SCall {
		b.fn.CallIDs[s.Call] = s.ID
	}
}

func (b *cfgBuilder) nextID() int {
	b.fn.NumStmts++
	return b.fn.NumStmts
}

func (b *cfgBuilder) typ(n *tsNode) string { return b.fb.p.typ(n) }

func (b *cfgBuilder) expr(n *tsNode) *Expr {
	e := parseExprWith(b.fb.scratch, b.fb.src, int(n.StartByte()), int(n.EndByte()), b.fb.types)
	if pt := b.fb.p.dialect.PassThrough; len(pt) > 0 {
		passThrough(e, pt)
	}
	return e
}

// passThrough reads a call of a pass-through macro as the argument it
// passes: "return __cond_lock(&l, spin_trylock(&l));" returns the
// trylock's result, which callers branch on.
func passThrough(e *Expr, pt map[string]int) {
	e.Walk(func(x *Expr) bool {
		for {
			i, ok := pt[x.CallName()]
			if !ok || i >= len(x.Args) {
				break
			}
			*x = *x.Args[i]
		}
		return true
	})
}

// stmt builds one statement node.
func (b *cfgBuilder) stmt(n *tsNode) {
	if n == nil || !b.fb.enter() {
		return
	}
	defer b.fb.leave()
	switch b.typ(n) {
	case "compound_statement":
		b.compound(n, nil)
	case "expression_statement":
		if n.NamedChildCount() == 0 {
			return
		}
		x := b.exprStmt(n)
		if c := x.Strip(); c != nil && c.Kind == ECall && len(c.Args) > 0 && c.Args[0].Kind == EIdent {
			// XA_STATE(xas, xa, index); declares a local, as a declaration
			// would: its locks are this function's own, never a caller's.
			if def, ok := b.fb.p.dialect.Definers[c.CallName()]; ok {
				b.fn.Locals[c.Args[0].Name] = Type{Base: def}
				return
			}
		}
		b.emit(x)
	case "declaration":
		b.declaration(n)
	case "if_statement":
		b.ifStmt(n)
	case "while_statement":
		if m := b.fb.pre.macros[int(n.StartByte())]; m != nil {
			b.blockMacro(m, n.ChildByFieldName("body"))
			return
		}
		b.whileStmt(n)
	case "for_statement":
		b.forStmt(n)
	case "do_statement":
		b.doStmt(n)
	case "switch_statement":
		b.switchStmt(n)
	case "case_statement":
		b.caseStmt(n)
	case "break_statement":
		if t := b.innermost(true); t != nil {
			line := b.line(int(n.StartByte()))
			b.closeScopes(t.depth, line)
			b.leave("break", line)
			b.jump(t.brk)
		}
	case "continue_statement":
		if t := b.innermost(false); t != nil {
			line := b.line(int(n.StartByte()))
			b.closeScopes(t.depth, line)
			b.leave("continue", line)
			b.jump(t.cont)
		}
	case "return_statement":
		var val *Expr
		line := b.line(int(n.StartByte()))
		if n.NamedChildCount() > 0 {
			val = b.expr(n.NamedChild(0))
			if logical(val) {
				// "return a && !b;" is a branch: each way out knows what
				// it tested, and callers branching on the result learn it
				// (can_fill_pool()'s preemptible() or early boot).
				t, f := b.newBlock(), b.newBlock()
				b.ensure()
				b.cond(val, t.ID, f.ID, line)
				b.cur = t
				b.ret(&Expr{Kind: ENumber, Name: "1", Pos: val.Pos}, line)
				b.cur = f
				b.ret(&Expr{Kind: ENumber, Name: "0", Pos: val.Pos}, line)
				return
			}
			b.emit(val)
		}
		b.ret(val, line)
	case "goto_statement":
		if l := n.ChildByFieldName("label"); l != nil {
			b.gotoLabel(l.Content(b.fb.src), b.line(int(n.StartByte())))
		}
	case "labeled_statement":
		name := ""
		if l := n.ChildByFieldName("label"); l != nil {
			name = l.Content(b.fb.src)
		}
		target := b.label(name)
		if b.defined[name] {
			// A label defined again (in each arm of an #ifdef): the second
			// definition gets a block of its own, which later gotos reach;
			// re-entering the first would append to a finished block.
			target = b.newBlock().ID
			b.labels[name] = target
		}
		if b.defined == nil {
			b.defined = map[string]bool{}
		}
		b.defined[name] = true
		b.jump(target)
		b.cur = b.fn.Blocks[target]
		for i := 0; i < int(n.NamedChildCount()); i++ {
			ch := n.NamedChild(i)
			if b.typ(ch) != "statement_identifier" {
				b.stmt(ch)
			}
		}
	case "preproc_ifdef", "preproc_if", "preproc_elif", "preproc_elifdef":
		b.preproc(n)
	case "preproc_else":
		b.children(n, nil)
	case "attributed_statement":
		for i := 0; i < int(n.NamedChildCount()); i++ {
			if ch := n.NamedChild(i); b.typ(ch) != "attribute_declaration" {
				b.stmt(ch)
			}
		}
	case "ERROR":
		if b.fn.ErrorNodes == 0 {
			b.fn.ErrorLine = b.line(int(n.StartByte()))
		}
		b.fn.ErrorNodes++
		b.errorNode(n)
	case "comment", "type_definition", "struct_specifier", "union_specifier", "enum_specifier",
		"preproc_def", "preproc_function_def", "preproc_call", "preproc_include", "empty_statement":
	case "function_definition":
		// A one-argument block macro the pre-pass did not catch:
		// "for_each_cpu(cpu) { ... }" reads as a nested function.
		b.nestedMacro(n)
	default:
		// Unknown statement syntax: keep its calls.
		b.emit(b.expr(n))
	}
}

// exprStmt returns the expression of an expression statement.
func (b *cfgBuilder) exprStmt(n *tsNode) *Expr {
	return b.expr(n.NamedChild(0))
}

func (b *cfgBuilder) children(n *tsNode, skip func(i int) bool) {
	cnt := int(n.NamedChildCount())
	for i := 0; i < cnt; i++ {
		if skip != nil && skip(i) {
			continue
		}
		ch := n.NamedChild(i)
		// A block macro the pre-pass missed: tree-sitter reads
		// "macro(args)" as a call missing its ';' and the body as the
		// next statement. Only a braced body or an iterator's name says
		// so: a statement macro whose expansion carries its own ';'
		// ("DB(f, printk(...))" then "spin_unlock(...);") is followed
		// by a statement of its own, not a body.
		if b.typ(ch) == "expression_statement" && i+1 < cnt && missingSemicolon(ch) {
			call := b.exprStmt(ch)
			if call.Kind == ECall && call.CallName() != "" &&
				(b.typ(n.NamedChild(i+1)) == "compound_statement" || b.iterator(call.CallName())) {
				m := &BlockMacro{Name: call.CallName(), Args: call.Args, Pos: int(ch.StartByte())}
				b.blockMacro(m, n.NamedChild(i+1))
				i++
				continue
			}
		}
		b.stmt(ch)
	}
}

// iterator reports an iterator macro's name: the dialect's, or any
// *for_each* without one.
func (b *cfgBuilder) iterator(name string) bool {
	if d := b.fb.p.dialect; d != nil && matchesAny(name, d.BlockMacros) {
		return true
	}
	return strings.Contains(name, "for_each")
}

func (b *cfgBuilder) compound(n *tsNode, g *Guard) {
	sc := &scope{start: int(n.StartByte()), end: int(n.EndByte())}
	if g != nil {
		sc.guards = append(sc.guards, g)
	}
	b.scopes = append(b.scopes, sc)
	b.children(n, nil)
	b.closeScopes(len(b.scopes)-1, b.line(int(n.EndByte())-1))
	b.scopes = b.scopes[:len(b.scopes)-1]
}

// closeScopes emits the guard releases of scopes deeper than depth, as the
// compiler's cleanup does when control leaves them.
func (b *cfgBuilder) closeScopes(depth int, line int) {
	if b.cur == nil {
		return
	}
	for i := len(b.scopes) - 1; i >= depth && i >= 0; i-- {
		gs := b.scopes[i].guards
		for j := len(gs) - 1; j >= 0; j-- {
			b.add(&Stmt{Kind: SGuardEnd, Line: line, Guard: gs[j]})
		}
	}
}

func (b *cfgBuilder) ret(val *Expr, line int) {
	b.closeScopes(0, line)
	bl := b.ensure()
	bl.Term = TReturn
	bl.Ret = val
	bl.Line = line
	b.cur = nil
}

func (b *cfgBuilder) label(name string) int {
	if id, ok := b.labels[name]; ok {
		return id
	}
	bl := b.newBlock()
	b.labels[name] = bl.ID
	return bl.ID
}

func (b *cfgBuilder) gotoLabel(name string, line int) {
	// Leave the guard scopes that do not contain the label.
	pos := b.labelPos(name)
	depth := len(b.scopes)
	for i, sc := range b.scopes {
		if pos < sc.start || pos >= sc.end {
			depth = i
			break
		}
	}
	b.closeScopes(depth, line)
	b.leave("goto "+name, line)
	b.jump(b.label(name))
}

// leave marks the current block as ended by a jump the source writes.
func (b *cfgBuilder) leave(what string, line int) {
	if b.cur != nil {
		b.cur.Leave, b.cur.Line = what, line
	}
}

// labelPos finds "name:" in the body text; -1 when absent. The body is
// read once for every label it holds: a function of many gotos would
// read it once per goto.
func (b *cfgBuilder) labelPos(name string) int {
	if b.labelAt == nil {
		b.labelAt = labelPositions(b.fb.src, b.bodyStart, b.bodyEnd)
	}
	if at, ok := b.labelAt[name]; ok {
		return at
	}
	return -1
}

// labelPositions maps each identifier of src[start:end] that is followed
// by a colon (spaces and tabs between, not "::") to its first offset:
// where a label of that name is defined, if anywhere. Identifiers
// inside longer words ("x1" in "0x1") are not candidates.
func labelPositions(src []byte, start, end int) map[string]int {
	m := map[string]int{}
	body := src[start:end]
	for i := 0; i < len(body); {
		if !isIdentChar(body[i]) {
			i++
			continue
		}
		j := i
		for j < len(body) && isIdentChar(body[j]) {
			j++
		}
		k := j
		for k < len(body) && (body[k] == ' ' || body[k] == '\t') {
			k++
		}
		if k < len(body) && body[k] == ':' && (k+1 >= len(body) || body[k+1] != ':') && j < len(body) {
			if name := string(body[i:j]); !hasKey(m, name) {
				m[name] = start + i
			}
		}
		i = j
	}
	return m
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

func (b *cfgBuilder) innermost(brk bool) *jumpTarget {
	for i := len(b.jumps) - 1; i >= 0; i-- {
		t := &b.jumps[i]
		if brk && t.brk >= 0 || !brk && t.cont >= 0 {
			return t
		}
	}
	return nil
}

func (b *cfgBuilder) declaration(n *tsNode) {
	t := b.fb.typeOf(n.ChildByFieldName("type"))
	if def, ok := b.fb.p.dialect.Definers[t.Base]; ok {
		// static DEFINE_MUTEX(name); in a body, as at top level.
		if d := n.ChildByFieldName("declarator"); d != nil {
			if name, _, _ := b.fb.declName(d); name != "" {
				b.fn.Locals[name] = Type{Base: def}
			}
		}
		return
	}
	b.fb.eachDeclarator(n, func(name string, ptr int, arr bool, value *tsNode) {
		b.fn.Locals[name] = Type{Base: t.Base, Ptr: t.Ptr + ptr, Array: arr}
		if value == nil {
			return
		}
		v := b.expr(value)
		lhs := &Expr{Kind: EIdent, Name: name, Pos: int(value.StartByte())}
		b.emit(&Expr{Kind: EAssign, Op: "=", X: lhs, Y: v, Pos: v.Pos})
	})
}

func (b *cfgBuilder) ifStmt(n *tsNode) {
	cond := b.expr(n.ChildByFieldName("condition"))
	t, f, join := b.newBlock(), b.newBlock(), b.newBlock()
	b.ensure()
	b.cond(cond, t.ID, f.ID, b.line(int(n.StartByte())))
	b.cur = t
	b.stmt(n.ChildByFieldName("consequence"))
	b.jump(join.ID)
	b.cur = f
	if alt := n.ChildByFieldName("alternative"); alt != nil {
		if b.typ(alt) == "else_clause" {
			b.children(alt, nil)
		} else {
			b.stmt(alt)
		}
	}
	b.jump(join.ID)
	b.cur = join
}

func (b *cfgBuilder) loop(head, after int, body func()) {
	b.jumps = append(b.jumps, jumpTarget{brk: after, cont: head, depth: len(b.scopes)})
	body()
	b.jumps = b.jumps[:len(b.jumps)-1]
}

func (b *cfgBuilder) whileStmt(n *tsNode) {
	head, body, after := b.newBlock(), b.newBlock(), b.newBlock()
	b.ensure()
	b.jump(head.ID)
	b.cur = head
	b.cond(b.expr(n.ChildByFieldName("condition")), body.ID, after.ID, b.line(int(n.StartByte())))
	b.cur = body
	b.loop(head.ID, after.ID, func() { b.stmt(n.ChildByFieldName("body")) })
	b.jump(head.ID)
	b.cur = after
}

func (b *cfgBuilder) forStmt(n *tsNode) {
	// A for loop's own declarations live in a scope of their own.
	if init := n.ChildByFieldName("initializer"); init != nil {
		if b.typ(init) == "declaration" {
			b.declaration(init)
		} else {
			b.emit(b.expr(init))
		}
	}
	head, body, step, after := b.newBlock(), b.newBlock(), b.newBlock(), b.newBlock()
	b.ensure()
	b.jump(head.ID)
	b.cur = head
	line := b.line(int(n.StartByte()))
	if c := n.ChildByFieldName("condition"); c != nil {
		b.cond(b.expr(c), body.ID, after.ID, line)
	} else {
		b.jump(body.ID)
	}
	b.cur = body
	b.loop(step.ID, after.ID, func() { b.stmt(n.ChildByFieldName("body")) })
	b.jump(step.ID)
	b.cur = step
	if u := n.ChildByFieldName("update"); u != nil {
		b.emit(b.expr(u))
	}
	b.jump(head.ID)
	b.cur = after
}

func (b *cfgBuilder) doStmt(n *tsNode) {
	body, test, after := b.newBlock(), b.newBlock(), b.newBlock()
	b.ensure()
	b.jump(body.ID)
	b.cur = body
	b.loop(test.ID, after.ID, func() { b.stmt(n.ChildByFieldName("body")) })
	b.jump(test.ID)
	b.cur = test
	b.cond(b.expr(n.ChildByFieldName("condition")), body.ID, after.ID, b.line(int(n.EndByte())))
	b.cur = after
}

func (b *cfgBuilder) switchStmt(n *tsNode) {
	cond := b.expr(n.ChildByFieldName("condition"))
	b.emit(cond)
	sw := b.ensure()
	sw.Term = TSwitch
	sw.Switch = cond
	sw.Line = b.line(int(n.StartByte()))
	b.cur = nil
	after := b.newBlock()
	ctx := &switchCtx{block: sw}
	b.jumps = append(b.jumps, jumpTarget{brk: after.ID, cont: -1, depth: len(b.scopes), sw: ctx})
	b.stmt(n.ChildByFieldName("body"))
	b.jumps = b.jumps[:len(b.jumps)-1]
	if !ctx.hasDefault {
		sw.Succs = append(sw.Succs, after.ID)
		sw.Cases = append(sw.Cases, nil)
	}
	b.jump(after.ID)
	b.cur = after
}

func (b *cfgBuilder) caseStmt(n *tsNode) {
	var ctx *switchCtx
	for i := len(b.jumps) - 1; i >= 0; i-- {
		if b.jumps[i].sw != nil {
			ctx = b.jumps[i].sw
			break
		}
	}
	bl := b.newBlock()
	b.jump(bl.ID) // fallthrough from the previous case
	value := n.ChildByFieldName("value")
	if ctx != nil {
		ctx.block.Succs = append(ctx.block.Succs, bl.ID)
		var v *Expr
		if value != nil {
			v = b.expr(value)
		}
		ctx.block.Cases = append(ctx.block.Cases, v)
	}
	if value == nil && ctx != nil {
		ctx.hasDefault = true
	}
	b.cur = bl
	var vstart uint32
	if value != nil {
		vstart = value.StartByte()
	}
	b.children(n, func(i int) bool {
		return value != nil && n.NamedChild(i).StartByte() == vstart
	})
}

// preproc builds #ifdef/#if arms as a branch on the preprocessor condition,
// so that two blocks under the same condition correlate.
func (b *cfgBuilder) preproc(n *tsNode) {
	var atom *Expr
	negate := false
	switch b.typ(n) {
	case "preproc_ifdef", "preproc_elifdef":
		name := ""
		if nm := n.ChildByFieldName("name"); nm != nil {
			name = nm.Content(b.fb.src)
		}
		atom = &Expr{Kind: EIdent, Name: "defined(" + name + ")", Pos: int(n.StartByte())}
		head := n.Child(0).Content(b.fb.src)
		negate = strings.Contains(head, "ifndef") || strings.Contains(head, "elifndef")
	default:
		text := ""
		if c := n.ChildByFieldName("condition"); c != nil {
			text = strings.Join(strings.Fields(c.Content(b.fb.src)), " ")
		}
		atom = &Expr{Kind: EIdent, Name: "#if " + text, Pos: int(n.StartByte())}
	}
	t, f, join := b.newBlock(), b.newBlock(), b.newBlock()
	line := b.line(int(n.StartByte()))
	b.ensure()
	if negate {
		b.branch(atom, f.ID, t.ID, true, line)
	} else {
		b.branch(atom, t.ID, f.ID, true, line)
	}
	alt := n.ChildByFieldName("alternative")
	var altStart uint32
	if alt != nil {
		altStart = alt.StartByte()
	}
	cnt := int(n.NamedChildCount())
	skip := map[int]bool{}
	for i := 0; i < cnt; i++ {
		ch := n.NamedChild(i)
		fname := n.FieldNameForChild(b.fb.childIndex(n, i))
		if fname == "name" || fname == "condition" || alt != nil && ch.StartByte() == altStart {
			skip[i] = true
		}
	}
	b.cur = t
	b.children(n, func(i int) bool { return skip[i] })
	b.jump(join.ID)
	b.cur = f
	if alt != nil {
		b.stmt(alt)
	}
	b.jump(join.ID)
	b.cur = join
}

// errorNode keeps what it can of syntax tree-sitter could not read: the
// statements it recognised inside, and the calls in the rest.
func (b *cfgBuilder) errorNode(n *tsNode) {
	cnt := int(n.NamedChildCount())
	if cnt == 0 {
		b.emit(b.expr(n))
		return
	}
	for i := 0; i < cnt; i++ {
		ch := n.NamedChild(i)
		switch b.typ(ch) {
		case "compound_statement", "expression_statement", "if_statement", "while_statement",
			"for_statement", "do_statement", "return_statement", "declaration", "switch_statement",
			"goto_statement", "labeled_statement", "break_statement", "continue_statement":
			b.stmt(ch)
		default:
			b.emit(b.expr(ch))
		}
	}
}
