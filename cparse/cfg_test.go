// SPDX-License-Identifier: GPL-2.0-only

package cparse_test

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"lockbot/cparse"
	"lockbot/kb"
)

// ---- helpers -------------------------------------------------------------

func parseC(t *testing.T, src string) *cparse.File {
	t.Helper()
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	f, err := p.Parse("test.c", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := checkFile(f); err != nil {
		t.Fatal(err)
	}
	return f
}

func funcNamed(t *testing.T, f *cparse.File, name string) *cparse.Func {
	t.Helper()
	for _, fn := range f.Funcs {
		if fn.Name == name {
			return fn
		}
	}
	var names []string
	for _, fn := range f.Funcs {
		names = append(names, fn.Name)
	}
	t.Fatalf("no function %s; have %v", name, names)
	return nil
}

// onlyFunc parses src and returns its single function.
func onlyFunc(t *testing.T, src string) *cparse.Func {
	t.Helper()
	f := parseC(t, src)
	if len(f.Funcs) != 1 {
		t.Fatalf("%d functions, want 1", len(f.Funcs))
	}
	if f.ErrorNodes != 0 || f.Funcs[0].ErrorNodes != 0 {
		t.Fatalf("syntax errors: file %d, func %d\n%s", f.ErrorNodes, f.Funcs[0].ErrorNodes, f.Funcs[0].Dump())
	}
	return f.Funcs[0]
}

// callStmt finds the call statement of the named function.
func callStmt(t *testing.T, fn *cparse.Func, callee string) (*cparse.Block, *cparse.Stmt) {
	t.Helper()
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			if s.Callee() == callee {
				return b, s
			}
		}
	}
	t.Fatalf("no call to %s in\n%s", callee, fn.Dump())
	return nil, nil
}

func hasCall(fn *cparse.Func, callee string) bool {
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			if s.Callee() == callee {
				return true
			}
		}
	}
	return false
}

// reach returns the blocks reachable from the given block, itself included.
func reach(fn *cparse.Func, from int) map[int]bool {
	seen := map[int]bool{}
	var visit func(int)
	visit = func(id int) {
		if seen[id] {
			return
		}
		seen[id] = true
		for _, s := range fn.Blocks[id].Succs {
			visit(s)
		}
	}
	visit(from)
	return seen
}

// reachesCall reports whether a call to callee can run after control
// enters block from.
func reachesCall(fn *cparse.Func, from int, callee string) bool {
	for id := range reach(fn, from) {
		for _, s := range fn.Blocks[id].Stmts {
			if s.Callee() == callee {
				return true
			}
		}
	}
	return false
}

// reachesAvoiding reports whether block to is reachable from from without
// passing through block avoid.
func reachesAvoiding(fn *cparse.Func, from, to, avoid int) bool {
	seen := map[int]bool{avoid: true}
	var visit func(int) bool
	visit = func(id int) bool {
		if seen[id] {
			return false
		}
		if id == to {
			return true
		}
		seen[id] = true
		for _, s := range fn.Blocks[id].Succs {
			if visit(s) {
				return true
			}
		}
		return false
	}
	return visit(from)
}

// calleesFrom lists, in order, the calls along the straight-line path that
// starts at block id (following jumps, stopping at a branch or an exit).
func calleesFrom(fn *cparse.Func, id int) []string {
	var out []string
	seen := map[int]bool{}
	for !seen[id] {
		seen[id] = true
		b := fn.Blocks[id]
		for _, s := range b.Stmts {
			out = append(out, s.String())
		}
		if b.Term != cparse.TJump {
			break
		}
		id = b.Succs[0]
	}
	return out
}

// branches lists the branch blocks with their condition text.
func branches(fn *cparse.Func) map[string]*cparse.Block {
	out := map[string]*cparse.Block{}
	for _, b := range fn.Blocks {
		if b.Term == cparse.TBranch && b.Cond != nil {
			out[b.Cond.String()] = b
		}
	}
	return out
}

// guardPaths walks every path from the entry tracking the guards held. It
// fails when a path releases a guard it does not hold or leaves the
// function holding one, and records the guards held at each call.
func guardPaths(t *testing.T, fn *cparse.Func) map[string]string {
	t.Helper()
	heldAt := map[string]string{}
	seen := map[string]bool{}
	// held entries are "class#id": a scoped_cond_guard's failure edge
	// (the false edge of the branch on $guard<id>) drops its guard.
	var visit func(id int, held []string)
	visit = func(id int, held []string) {
		key := fmt.Sprint(id, held)
		if seen[key] {
			return
		}
		seen[key] = true
		b := fn.Blocks[id]
		held = append([]string(nil), held...)
		for _, s := range b.Stmts {
			switch s.Kind {
			case cparse.SGuard:
				held = append(held, fmt.Sprintf("%s#%d", s.Guard.Class, s.Guard.ID))
			case cparse.SGuardEnd:
				if len(held) == 0 || held[len(held)-1] != fmt.Sprintf("%s#%d", s.Guard.Class, s.Guard.ID) {
					t.Errorf("B%d line %d: releases %s while holding %v\n%s", id, s.Line, s.Guard.Class, held, fn.Dump())
					return
				}
				held = held[:len(held)-1]
			case cparse.SCall:
				var classes []string
				for _, h := range held {
					classes = append(classes, h[:strings.IndexByte(h, '#')])
				}
				h := strings.Join(classes, ",")
				if prev, ok := heldAt[s.Callee()]; ok && prev != h {
					h = "conflict: " + prev + " / " + h
				}
				heldAt[s.Callee()] = h
			}
		}
		if len(held) > 8 {
			t.Errorf("B%d: guards pile up around a loop: %v\n%s", id, held, fn.Dump())
			return
		}
		if b.Term == cparse.TReturn && len(held) > 0 {
			t.Errorf("B%d: returns at line %d holding %v\n%s", id, b.Line, held, fn.Dump())
		}
		for i, s := range b.Succs {
			h := held
			if b.Term == cparse.TBranch && i == 1 && b.Cond != nil && len(held) > 0 &&
				"$guard"+held[len(held)-1][strings.IndexByte(held[len(held)-1], '#')+1:] == b.Cond.Name {
				h = held[:len(held)-1]
			}
			visit(s, h)
		}
	}
	visit(fn.Entry, nil)
	return heldAt
}

// ---- control flow ----------------------------------------------------------

func TestCFGIfElse(t *testing.T) {
	fn := onlyFunc(t, `void f(int a)
{
	before();
	if (a)
		yes();
	else
		no();
	after();
}
`)
	b, _ := callStmt(t, fn, "before")
	if b.Term != cparse.TBranch || b.Cond.String() != "a" || b.Line != 4 {
		t.Fatalf("block of before() ends with %d on %v at line %d\n%s", b.Term, b.Cond, b.Line, fn.Dump())
	}
	if !reachesCall(fn, b.Succs[0], "yes") || reachesCall(fn, b.Succs[0], "no") {
		t.Errorf("true edge does not lead to yes() only\n%s", fn.Dump())
	}
	if !reachesCall(fn, b.Succs[1], "no") || reachesCall(fn, b.Succs[1], "yes") {
		t.Errorf("false edge does not lead to no() only\n%s", fn.Dump())
	}
	for _, s := range b.Succs {
		if !reachesCall(fn, s, "after") {
			t.Errorf("after() not reached from B%d", s)
		}
	}
	// else if, and an else arm with its own control flow.
	fn = onlyFunc(t, "int h(int a, int b) { if (a) x(); else if (b) return 1; else { if (c) y(); z(); } end(); return 0; }")
	br := branches(fn)
	if br["b"] == nil || br["c"] == nil || !reach(fn, br["a"].Succs[1])[br["b"].ID] || reach(fn, br["a"].Succs[0])[br["b"].ID] {
		t.Fatalf("else if not a branch on the false edge\n%s", fn.Dump())
	}
	if r := fn.Blocks[br["b"].Succs[0]]; r.Term != cparse.TReturn || r.Ret.String() != "1" {
		t.Errorf("else if arm does not return 1\n%s", fn.Dump())
	}
	if !reachesCall(fn, br["b"].Succs[1], "z") || !reach(fn, br["b"].Succs[1])[br["c"].ID] {
		t.Errorf("final else wrong\n%s", fn.Dump())
	}

	// if without else: the false edge goes straight on.
	fn = onlyFunc(t, "void g(int a) { if (a) yes(); after(); }")
	b = fn.Blocks[fn.Entry]
	if got := calleesFrom(fn, b.Succs[1]); strings.Join(got, " ") != "after()" {
		t.Errorf("false edge runs %q", got)
	}
}

func TestCFGConstantConditions(t *testing.T) {
	fn := onlyFunc(t, "void f(void) { if (0) dead(); if (1) live(); else dead2(); if (true) t(); if (false) dead3(); }")
	live := reach(fn, fn.Entry)
	for _, c := range []string{"dead", "dead2", "dead3"} {
		b, _ := callStmt(t, fn, c)
		if live[b.ID] {
			t.Errorf("%s() reachable\n%s", c, fn.Dump())
		}
	}
	for _, c := range []string{"live", "t"} {
		if b, _ := callStmt(t, fn, c); !live[b.ID] {
			t.Errorf("%s() unreachable", c)
		}
	}
	for _, b := range fn.Blocks {
		if b.Term == cparse.TBranch {
			t.Errorf("constant condition left a branch on %v", b.Cond)
		}
	}
}

func TestCFGWhileLoop(t *testing.T) {
	fn := onlyFunc(t, "void f(void) { while (more(x)) body(); after(); }")
	head, _ := callStmt(t, fn, "more")
	if head.Term != cparse.TBranch || head.Cond.CallName() != "more" {
		t.Fatalf("loop head %d on %v\n%s", head.Term, head.Cond, fn.Dump())
	}
	bodyB, _ := callStmt(t, fn, "body")
	if !reach(fn, bodyB.ID)[head.ID] {
		t.Errorf("no back edge from the body to the test\n%s", fn.Dump())
	}
	if !reachesCall(fn, head.Succs[1], "after") || reachesCall(fn, head.Succs[1], "body") {
		t.Errorf("loop exit edge wrong\n%s", fn.Dump())
	}
}

func TestCFGForLoop(t *testing.T) {
	fn := onlyFunc(t, "void f(int n) { int i; for (i = init(); i < n; i++) { if (skip(i)) continue; if (stop(i)) break; body(i); } after(); }")
	br := branches(fn)
	head := br["i < n"]
	if head == nil {
		t.Fatalf("no loop test\n%s", fn.Dump())
	}
	initB, _ := callStmt(t, fn, "init")
	if reach(fn, head.ID)[initB.ID] {
		t.Errorf("the initialiser runs again\n%s", fn.Dump())
	}
	// The step block: "i++" then back to the test.
	var step *cparse.Block
	for _, b := range fn.Blocks {
		if len(b.Stmts) == 1 && b.Stmts[0].Kind == cparse.SAssign && b.Stmts[0].RHS == nil {
			step = b
		}
	}
	if step == nil || step.Term != cparse.TJump || step.Succs[0] != head.ID || step.Stmts[0].Op != "" {
		t.Fatalf("no i++ step jumping to the test\n%s", fn.Dump())
	}
	// continue goes to the step, break to the code after the loop.
	skip := br["skip(i)"]
	if !reachesAvoiding(fn, skip.Succs[0], step.ID, callBlockID(t, fn, "body")) {
		t.Errorf("continue does not reach the step\n%s", fn.Dump())
	}
	if reachesAvoidingCall(fn, skip.Succs[0], "body", step.ID) {
		t.Errorf("continue runs the rest of the body\n%s", fn.Dump())
	}
	stop := br["stop(i)"]
	if !reachesAvoiding(fn, stop.Succs[0], callBlockID(t, fn, "after"), head.ID) || reachesAvoidingCall(fn, stop.Succs[0], "body", head.ID) {
		t.Errorf("break does not leave the loop\n%s", fn.Dump())
	}
}

func callBlockID(t *testing.T, fn *cparse.Func, callee string) int {
	t.Helper()
	b, _ := callStmt(t, fn, callee)
	return b.ID
}

// reachesAvoidingCall reports whether a call to callee is reachable from
// from without passing through block avoid.
func reachesAvoidingCall(fn *cparse.Func, from int, callee string, avoid int) bool {
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			if s.Callee() == callee && reachesAvoiding(fn, from, b.ID, avoid) {
				return true
			}
		}
	}
	return false
}

func TestCFGDoWhile(t *testing.T) {
	fn := onlyFunc(t, "void f(void) { do { body(); } while (again()); after(); }")
	bodyB, _ := callStmt(t, fn, "body")
	test, _ := callStmt(t, fn, "again")
	if test.Term != cparse.TBranch || !reach(fn, test.Succs[0])[bodyB.ID] {
		t.Errorf("no back edge from the test to the body\n%s", fn.Dump())
	}
	if !reach(fn, fn.Entry)[bodyB.ID] || reachesAvoiding(fn, fn.Entry, test.ID, bodyB.ID) {
		t.Errorf("the body does not run before the test\n%s", fn.Dump())
	}

	// do { } while (0) runs once: no back edge, no branch.
	fn = onlyFunc(t, "void g(void) { do { once(); } while (0); after(); }")
	onceB, _ := callStmt(t, fn, "once")
	for _, b := range fn.Blocks {
		if b.Term == cparse.TBranch {
			t.Errorf("do-while(0) left a branch\n%s", fn.Dump())
		}
	}
	for _, s := range onceB.Succs {
		if reach(fn, s)[onceB.ID] {
			t.Errorf("do-while(0) loops\n%s", fn.Dump())
		}
	}
	if got := strings.Join(calleesFrom(fn, fn.Entry), " "); got != "once() after()" {
		t.Errorf("straight path %q", got)
	}
}

func TestCFGInfiniteLoops(t *testing.T) {
	// while (1) and for (;;) leave only through break.
	fn := onlyFunc(t, "void f(void) { while (1) { if (done()) break; work(); } after(); }")
	afterB, _ := callStmt(t, fn, "after")
	done, _ := callStmt(t, fn, "done")
	if !reach(fn, fn.Entry)[afterB.ID] {
		t.Fatalf("after() unreachable despite the break\n%s", fn.Dump())
	}
	if reachesAvoiding(fn, fn.Entry, afterB.ID, done.Succs[0]) {
		t.Errorf("while (1) exits other than through break\n%s", fn.Dump())
	}

	for _, src := range []string{
		"void g(void) { for (;;) { work(); } after(); }",
		"void g(void) { while (1) work(); after(); }",
		"void g(void) { for (;;) { if (x) continue; work(); } after(); }",
	} {
		fn = onlyFunc(t, src)
		if b, _ := callStmt(t, fn, "after"); reach(fn, fn.Entry)[b.ID] {
			t.Errorf("%s: after() reachable\n%s", src, fn.Dump())
		}
		for id := range reach(fn, fn.Entry) {
			if fn.Blocks[id].Term == cparse.TReturn {
				t.Errorf("%s: a return is reachable\n%s", src, fn.Dump())
			}
		}
	}
}

func TestCFGSwitch(t *testing.T) {
	fn := onlyFunc(t, `void f(int a)
{
	switch (sel(a)) {
	case 1:
		one();
		/* fallthrough */
	case 2:
	case 3:
		two();
		break;
	default:
		dflt();
	}
	after();
}
`)
	sw, _ := callStmt(t, fn, "sel")
	if sw.Term != cparse.TSwitch || len(sw.Succs) != 4 {
		t.Fatalf("switch block: term %d, succs %v\n%s", sw.Term, sw.Succs, fn.Dump())
	}
	afterB := callBlockID(t, fn, "after")
	for _, s := range sw.Succs {
		if s == afterB {
			t.Errorf("a switch with default jumps past its cases\n%s", fn.Dump())
		}
	}
	// case 1 falls through into two(); break leaves.
	if got := strings.Join(calleesFrom(fn, sw.Succs[0]), " "); got != "one() two() after()" {
		t.Errorf("case 1 runs %q", got)
	}
	if got := strings.Join(calleesFrom(fn, sw.Succs[3]), " "); got != "dflt() after()" {
		t.Errorf("default runs %q", got)
	}

	// Without default the switch may skip every case.
	fn = onlyFunc(t, "void g(int a) { switch (a) { case 1: one(); break; case 2: return; } after(); }")
	sw = fn.Blocks[fn.Entry]
	if sw.Term != cparse.TSwitch || len(sw.Succs) != 3 {
		t.Fatalf("switch block: term %d, succs %v\n%s", sw.Term, sw.Succs, fn.Dump())
	}
	if got := strings.Join(calleesFrom(fn, sw.Succs[2]), " "); got != "after()" {
		t.Errorf("no-match edge runs %q\n%s", got, fn.Dump())
	}
	if fn.Blocks[sw.Succs[1]].Term != cparse.TReturn {
		t.Errorf("case 2 does not return")
	}

	// continue inside a switch inside a loop goes to the loop.
	fn = onlyFunc(t, "void h(void) { while (more()) { switch (x) { case 1: continue; } tail(); } }")
	sw = nil
	for _, b := range fn.Blocks {
		if b.Term == cparse.TSwitch {
			sw = b
		}
	}
	head, _ := callStmt(t, fn, "more")
	if reachesAvoidingCall(fn, sw.Succs[0], "tail", head.ID) {
		t.Errorf("continue in a switch runs the rest of the loop body\n%s", fn.Dump())
	}
}

func TestCFGGoto(t *testing.T) {
	fn := onlyFunc(t, `int f(int a)
{
again:
	start();
	if (a)
		goto out;
	middle();
	if (retry())
		goto again;
out:
	end();
	return 0;
}
`)
	br := branches(fn)
	// forward: the goto skips middle()
	if reachesAvoidingCall(fn, br["a"].Succs[0], "middle", fn.Entry) {
		t.Errorf("goto out runs middle()\n%s", fn.Dump())
	}
	if !reachesCall(fn, br["a"].Succs[0], "end") {
		t.Errorf("goto out does not reach end()")
	}
	// backward: the goto loops to start()
	startB := callBlockID(t, fn, "start")
	if !reach(fn, br["retry()"].Succs[0])[startB] {
		t.Errorf("goto again does not loop\n%s", fn.Dump())
	}
	// falling into a label
	if !reachesAvoiding(fn, br["retry()"].Succs[1], callBlockID(t, fn, "end"), br["a"].ID) {
		t.Errorf("code before out: does not fall into it")
	}
	// the return value
	var rets []string
	for _, b := range fn.Blocks {
		if b.Term == cparse.TReturn {
			rets = append(rets, fmt.Sprintf("%v@%d", b.Ret, b.Line))
		}
	}
	if strings.Join(rets, " ") != "0@12" {
		t.Errorf("returns %v", rets)
	}
}

func TestCFGUnknownLabelEndsPath(t *testing.T) {
	// A goto whose label never appears (lost in unreadable syntax, or a
	// computed goto) ends the path instead of leaving an unterminated block.
	for _, src := range []string{
		"void f(void) { if (a) goto nowhere; b(); }",
		"void f(void) { void *p = &&l; goto *p; l: b(); }",
	} {
		fn := onlyFunc(t, src)
		stops := 0
		for _, b := range fn.Blocks {
			if b.Term == cparse.TStop && len(b.Stmts) == 0 {
				stops++
			}
		}
		if stops != 1 {
			t.Errorf("%s: %d empty stop blocks, want 1\n%s", src, stops, fn.Dump())
		}
	}
}

func TestCFGDuplicateLabels(t *testing.T) {
	// A label in each #ifdef arm: each arm keeps its own code.
	fn := onlyFunc(t, `void f(void)
{
	if (a)
		goto out;
#ifdef X
out:
	one();
#else
out:
	two();
#endif
	end();
}
`)
	one, _ := callStmt(t, fn, "one")
	two, _ := callStmt(t, fn, "two")
	if one == two || reach(fn, one.ID)[two.ID] || reach(fn, two.ID)[one.ID] {
		t.Errorf("the two arms run one after the other\n%s", fn.Dump())
	}
	if !reachesCall(fn, one.ID, "end") || !reachesCall(fn, two.ID, "end") {
		t.Errorf("end() not reached from both arms")
	}
}

func TestCFGReturn(t *testing.T) {
	fn := onlyFunc(t, `int f(struct mutex *m)
{
	if (!m)
		return -EINVAL;
	if (mutex_trylock(m))
		return helper(m);
	return;
}
`)
	var rets []string
	for _, b := range fn.Blocks {
		if b.Term != cparse.TReturn {
			continue
		}
		r := "<none>"
		if b.Ret != nil {
			r = b.Ret.String()
		}
		rets = append(rets, fmt.Sprintf("%s@%d", r, b.Line))
		if b.Ret != nil && b.Ret.Kind == cparse.ECall {
			// The returned call is evaluated in the block and its result
			// is the one returned.
			if id, ok := fn.CallIDs[b.Ret]; !ok || b.Stmts[len(b.Stmts)-1].ID != id {
				t.Errorf("returned call %s not evaluated last in its block\n%s", b.Ret, fn.Dump())
			}
		}
	}
	sort.Strings(rets)
	if got := strings.Join(rets, " "); got != "-EINVAL@4 <none>@7 helper(m)@6" {
		t.Errorf("returns %q\n%s", got, fn.Dump())
	}
	// The branch on a call's result names the call statement.
	b := branches(fn)["mutex_trylock(m)"]
	if b == nil {
		t.Fatalf("no branch on the trylock\n%s", fn.Dump())
	}
	if id, ok := fn.CallIDs[b.Cond]; !ok || b.Stmts[len(b.Stmts)-1].ID != id {
		t.Errorf("branch condition is not the call statement's expression")
	}
	// Falling off the end returns at the closing brace.
	fn = onlyFunc(t, "void g(void)\n{\n\tx();\n}\n")
	last := fn.Blocks[len(fn.Blocks)-1]
	if last.Term != cparse.TReturn || last.Ret != nil || last.Line != 4 || fn.Line != 1 || fn.EndLine != 4 {
		t.Errorf("implicit return: term %d line %d, func lines %d-%d", last.Term, last.Line, fn.Line, fn.EndLine)
	}
}

// TestCFGReturnOfTest: a returned && or || is a branch with a constant
// return on each side, so each way out knows what it tested; other
// returned expressions stay as they are.
func TestCFGReturnOfTest(t *testing.T) {
	fn := onlyFunc(t, `bool f(void)
{
	if (x)
		return a < b;
	return (system_state < SYSTEM_SCHEDULING && !in_hardirq());
}
`)
	var rets []string
	for _, b := range fn.Blocks {
		if b.Term == cparse.TReturn {
			rets = append(rets, fmt.Sprintf("%s@%d", b.Ret, b.Line))
		}
	}
	sort.Strings(rets)
	if got := strings.Join(rets, " "); got != "0@5 1@5 a < b@4" {
		t.Errorf("returns %q\n%s", got, fn.Dump())
	}
	if br := branches(fn); br["system_state < SYSTEM_SCHEDULING"] == nil || br["in_hardirq()"] == nil {
		t.Errorf("the returned test is not branched on\n%s", fn.Dump())
	}
}

func TestCFGNoReturnCalls(t *testing.T) {
	fn := onlyFunc(t, `void f(int a)
{
	if (a)
		BUG();
	if (a > 2)
		panic("bad %d", a);
	ok();
	BUG();
	dead();
}
`)
	for _, c := range []string{"BUG", "panic"} {
		b, s := callStmt(t, fn, c)
		if b.Term != cparse.TStop || b.Stmts[len(b.Stmts)-1] != s || len(b.Succs) != 0 {
			t.Errorf("%s() does not end its block\n%s", c, fn.Dump())
		}
	}
	if b, _ := callStmt(t, fn, "dead"); reach(fn, fn.Entry)[b.ID] {
		t.Errorf("code after BUG() reachable\n%s", fn.Dump())
	}
	if b, _ := callStmt(t, fn, "ok"); !reach(fn, fn.Entry)[b.ID] {
		t.Errorf("ok() unreachable")
	}
}

func TestCFGShortCircuitConditions(t *testing.T) {
	fn := onlyFunc(t, "void f(struct x *x) { if (a(x) && !b(x) || c) yes(); else no(); }")
	br := branches(fn)
	if len(br) != 3 || br["a(x)"] == nil || br["b(x)"] == nil || br["c"] == nil {
		t.Fatalf("branches %v, want one per atom\n%s", keys(br), fn.Dump())
	}
	yes, no := callBlockID(t, fn, "yes"), callBlockID(t, fn, "no")
	a, b, c := br["a(x)"], br["b(x)"], br["c"]
	// a false: test c; a true: test b
	if !reach(fn, a.Succs[1])[c.ID] || reach(fn, a.Succs[1])[b.ID] || !reach(fn, a.Succs[0])[b.ID] {
		t.Errorf("a(x) edges wrong\n%s", fn.Dump())
	}
	// !b(x): b true goes on to c, b false is the "then" branch directly
	if !reachesAvoiding(fn, b.Succs[1], yes, c.ID) || !reach(fn, b.Succs[0])[c.ID] {
		t.Errorf("!b(x) does not swap the edges\n%s", fn.Dump())
	}
	if !reachesAvoiding(fn, c.Succs[0], yes, no) || !reachesAvoiding(fn, c.Succs[1], no, yes) {
		t.Errorf("c edges wrong\n%s", fn.Dump())
	}
	// b(x) is only called when a(x) is true.
	if reachesAvoiding(fn, fn.Entry, b.ID, a.Succs[0]) {
		t.Errorf("b(x) evaluated without a(x) true")
	}

	// Transparent wrappers test their argument: no call, edges swapped by !.
	fn = onlyFunc(t, "int g(void *p) { if (unlikely(!p)) return -ENOMEM; if (WARN_ON(bad(p))) return -EIO; return 0; }")
	if hasCall(fn, "unlikely") || hasCall(fn, "WARN_ON") {
		t.Errorf("transparent macro emitted as a call\n%s", fn.Dump())
	}
	pb := branches(fn)["p"]
	if pb == nil || fn.Blocks[pb.Succs[1]].Term != cparse.TReturn || fn.Blocks[pb.Succs[1]].Ret.String() != "-ENOMEM" {
		t.Errorf("unlikely(!p) not a swapped branch on p\n%s", fn.Dump())
	}
	if branches(fn)["bad(p)"] == nil || !hasCall(fn, "bad") {
		t.Errorf("WARN_ON(bad(p)) not a branch on bad(p)\n%s", fn.Dump())
	}
}

func keys(m map[string]*cparse.Block) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestCFGConditionalCalls(t *testing.T) {
	// Calls under ?:, && and || run only on their own branch.
	for _, c := range []struct{ src, cond, onTrue, onFalse string }{
		{"void f(int c) { r = c ? get_a() : get_b(); }", "c", "get_a", "get_b"},
		{"void f(int c) { r = c ?: get_b(); }", "c", "", "get_b"},
		{"void f(int c) { ok = c && check(); }", "c", "check", ""},
		{"void f(int c) { ok = c || check(); }", "c", "", "check"},
		{"void f(int c) { ok = (c(), d) && check(); }", "d", "check", ""},
	} {
		fn := onlyFunc(t, c.src)
		b := branches(fn)[c.cond]
		if b == nil {
			t.Errorf("%s: no branch on %s\n%s", c.src, c.cond, fn.Dump())
			continue
		}
		for i, callee := range []string{c.onTrue, c.onFalse} {
			if callee == "" {
				continue
			}
			if !reachesCall(fn, b.Succs[i], callee) || reachesCall(fn, b.Succs[1-i], callee) {
				t.Errorf("%s: %s() not only on edge %d\n%s", c.src, callee, i, fn.Dump())
			}
		}
	}
}

func TestCFGSelectedCallee(t *testing.T) {
	fn := onlyFunc(t, "void f(struct rw_semaphore *sem, bool w) { (w ? up_write : up_read)(sem); }")
	b := branches(fn)["w"]
	if b == nil {
		t.Fatalf("no branch on w\n%s", fn.Dump())
	}
	if got := calleesFrom(fn, b.Succs[0]); len(got) == 0 || got[0] != "up_write(sem)" {
		t.Errorf("true arm runs %q", got)
	}
	if got := calleesFrom(fn, b.Succs[1]); len(got) == 0 || got[0] != "up_read(sem)" {
		t.Errorf("false arm runs %q", got)
	}
	_, s := callStmt(t, fn, "up_write")
	if s.Call.CallName() != "up_write" {
		t.Errorf("arm call is not direct: %s", s.Call)
	}
}

func TestCFGAssignments(t *testing.T) {
	fn := onlyFunc(t, `void f(struct foo *x)
{
	int r = kmalloc(10, GFP_KERNEL), n = 1, *p = &n;
	struct foo *q = container_of(x, struct foo, member);
	unsigned long flags;
	x->flags |= FLAG;
	x->flags &= ~FLAG;
	n++;
	--n;
	r = get(x);
	r = (void *)get2(x);
}
`)
	var got []string
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			lhs := ""
			if s.LHS != nil {
				lhs = s.LHS.String()
			}
			got = append(got, fmt.Sprintf("%d:%d:%s:%q", s.Kind, s.Line, lhs, s.Op))
		}
	}
	want := []string{
		`0:3:r:""`,  // r = kmalloc(...): the call gets the LHS
		`1:3:n:"="`, // n = 1
		`1:3:p:"="`, // p = &n
		`0:4:q:""`,  // container_of
		`1:6:x->flags:"|="`,
		`1:7:x->flags:"&="`,
		`1:8:n:""`, // n++
		`1:9:n:""`, // --n
		`0:10:r:""`,
		`0:11:r:""`, // through a cast
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("statements\n got %q\nwant %q\n%s", got, want, fn.Dump())
	}
	locals := map[string]string{}
	for k, v := range fn.Locals {
		locals[k] = v.String()
	}
	if fmt.Sprint(locals) != "map[flags:unsigned long n:int p:int* q:struct foo* r:int]" {
		t.Errorf("locals %v", locals)
	}
	if fmt.Sprint(fn.Params) != "[{x struct foo*}]" {
		t.Errorf("params %v", fn.Params)
	}
}

func TestCFGLocalDefiners(t *testing.T) {
	// static DEFINE_MUTEX(m) in a body names a local of the defined type.
	fn := onlyFunc(t, "void f(void)\n{\n\tstatic DEFINE_MUTEX(m1);\n\tstatic DEFINE_SPINLOCK(s1);\n\tmutex_lock(&m1);\n}\n")
	if got := fmt.Sprint(fn.Locals); got != "map[m1:struct mutex s1:spinlock_t]" {
		t.Errorf("locals %s", got)
	}
	if got := calleesFrom(fn, fn.Entry); strings.Join(got, " ") != "mutex_lock(&m1)" {
		t.Errorf("statements %q", got)
	}
}

func TestCFGLocalDefinerStatement(t *testing.T) {
	// XA_STATE(xas, xa, 0); reads as a call: it declares xas, and is no
	// call to follow.
	fn := onlyFunc(t, "void f(struct xarray *xa)\n{\n\tXA_STATE(xas, xa, 0);\n\txas_lock(&xas);\n}\n")
	if got := fmt.Sprint(fn.Locals["xas"]); got != "struct xa_state" {
		t.Errorf("xas is %q, want struct xa_state; locals %v", got, fn.Locals)
	}
	if got := calleesFrom(fn, fn.Entry); strings.Join(got, " ") != "xas_lock(&xas)" {
		t.Errorf("statements %q", got)
	}
}

func TestCFGStatementExpressionInBody(t *testing.T) {
	// tree-sitter has no GNU statement expressions: the body holds ERROR
	// nodes, and the calls inside must survive them.
	for _, src := range []string{
		"int f(void) { r = ({ int __r = get(); spin_unlock(&l); __r; }); return r; }",
		"int f(void) { ({ get(); spin_unlock(&l); }); return r; }",
	} {
		f := parseC(t, src)
		fn := funcNamed(t, f, "f")
		for _, c := range []string{"get", "spin_unlock"} {
			if !hasCall(fn, c) {
				t.Errorf("%s: %s() inside ({ }) lost\n%s", src, c, fn.Dump())
			}
		}
	}
}

// ---- guards ------------------------------------------------------------------

func TestCFGGuardReleasedOnEveryExit(t *testing.T) {
	fn := onlyFunc(t, `int f(struct foo *p)
{
	guard(mutex)(&p->lock);
	if (p->dead)
		return -ENODEV;
	{
		guard(spinlock)(&p->slock);
		if (a())
			goto out;
		if (b())
			goto inner;
		inner_work();
inner:
		more_inner();
	}
	middle();
	while (loop()) {
		guard(rcu)();
		if (c())
			continue;
		if (d())
			break;
		loop_work();
	}
out:
	end();
	return 0;
}
`)
	held := guardPaths(t, fn)
	want := map[string]string{
		"a": "mutex,spinlock", "b": "mutex,spinlock", "inner_work": "mutex,spinlock", "more_inner": "mutex,spinlock",
		"middle": "mutex", "loop": "mutex", "c": "mutex,rcu", "d": "mutex,rcu", "loop_work": "mutex,rcu", "end": "mutex",
	}
	for c, h := range want {
		if held[c] != h {
			t.Errorf("%s() runs holding %q, want %q", c, held[c], h)
		}
	}
	var g *cparse.Guard
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			if s.Kind == cparse.SGuard && s.Guard.Class == "mutex" {
				g = s.Guard
			}
		}
	}
	if g == nil || len(g.Args) != 1 || g.Args[0].String() != "&p->lock" || g.Line != 3 {
		t.Errorf("mutex guard %+v", g)
	}
	// Every release is of a guard object the function took.
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			if s.Kind == cparse.SGuardEnd && s.Guard.ID == 0 {
				t.Errorf("release of a guard without an ID")
			}
		}
	}
}

func TestCFGScopedGuard(t *testing.T) {
	fn := onlyFunc(t, `void f(struct foo *p)
{
	while (more()) {
		scoped_guard(spinlock_irqsave, &p->lock) {
			if (a())
				break;
			locked();
		}
		after_scope();
	}
	scoped_guard(rcu)
		single();
	done();
}
`)
	held := guardPaths(t, fn)
	for c, h := range map[string]string{"a": "spinlock_irqsave", "locked": "spinlock_irqsave", "after_scope": "", "single": "rcu", "done": "", "more": ""} {
		if held[c] != h {
			t.Errorf("%s() runs holding %q, want %q\n%s", c, held[c], h, fn.Dump())
		}
	}
	// break inside scoped_guard leaves the guard, not the loop.
	aB, _ := callStmt(t, fn, "a")
	if !reachesCall(fn, aB.Succs[0], "after_scope") {
		t.Errorf("break in scoped_guard does not continue after the scope\n%s", fn.Dump())
	}
	if reachesAvoidingCall(fn, aB.Succs[0], "done", callBlockID(t, fn, "after_scope")) {
		t.Errorf("break in scoped_guard leaves the loop\n%s", fn.Dump())
	}
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			if s.Kind == cparse.SGuard && s.Guard.Class == "spinlock_irqsave" {
				if len(s.Guard.Args) != 1 || s.Guard.Args[0].String() != "&p->lock" || s.Guard.Cond {
					t.Errorf("guard %+v", s.Guard)
				}
			}
		}
	}
}

func TestCFGScopedCondGuard(t *testing.T) {
	fn := onlyFunc(t, `int f(struct mutex *m)
{
	scoped_cond_guard(mutex_intr, return -EINTR, m) {
		work();
	}
	scoped_cond_guard(mutex_try, goto fail, m)
		work2();
	return 0;
fail:
	return -EBUSY;
}
`)
	held := guardPaths(t, fn)
	if held["work"] != "mutex_intr" || held["work2"] != "mutex_try" {
		t.Errorf("held %v\n%s", held, fn.Dump())
	}
	var guards []*cparse.Guard
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			if s.Kind == cparse.SGuard {
				guards = append(guards, s.Guard)
			}
		}
	}
	if len(guards) != 2 {
		t.Fatalf("%d guards\n%s", len(guards), fn.Dump())
	}
	for _, g := range guards {
		if !g.Cond || len(g.Args) != 1 || g.Args[0].String() != "m" {
			t.Errorf("guard %+v", g)
		}
		// The branch on the lock attempt is named after the guard's ID.
		b := branches(fn)[fmt.Sprintf("$guard%d", g.ID)]
		if b == nil {
			t.Fatalf("no branch on guard %d\n%s", g.ID, fn.Dump())
		}
		fail := fn.Blocks[b.Succs[1]]
		if g.Class == "mutex_intr" {
			if fail.Term != cparse.TReturn || fail.Ret.String() != "-EINTR" || len(fail.Stmts) != 0 {
				t.Errorf("failure arm does not return -EINTR without releasing\n%s", fn.Dump())
			}
		} else if got := calleesFrom(fn, b.Succs[1]); len(got) != 0 {
			t.Errorf("goto failure arm runs %q", got)
		}
	}
}

// ---- block macros --------------------------------------------------------------

func TestCFGBlockMacros(t *testing.T) {
	fn := onlyFunc(t, `void f(struct list_head *h)
{
	struct foo *p, *n;
	int cpu;
	list_for_each_entry(p, h, list) {
		use(p);
	}
	list_for_each_entry_safe(p, n, h, list)
		use_safe(p);
	for_each_possible_cpu(cpu) {
		per_cpu_work(cpu);
	}
	for_each_online_cpu(cpu)
		online(cpu);
	my_own_iterator(x, y) {
		custom(x);
	}
	done();
}
`)
	for _, c := range []string{"use", "use_safe", "per_cpu_work", "online", "custom"} {
		b, _ := callStmt(t, fn, c)
		// the body loops back to the opaque test, which can skip it
		var head *cparse.Block
		for id := range reach(fn, b.ID) {
			if bl := fn.Blocks[id]; bl.Term == cparse.TBranch && bl.Cond == nil && reach(fn, bl.Succs[0])[b.ID] {
				head = bl
			}
		}
		if head == nil {
			t.Errorf("%s(): no loop back to an iterator test\n%s", c, fn.Dump())
			continue
		}
		if reach(fn, head.Succs[1])[b.ID] && !reach(fn, head.Succs[1])[head.ID] {
			t.Errorf("%s(): the exit edge runs the body", c)
		}
	}
	var vars []string
	for _, b := range fn.Blocks {
		for _, s := range b.Stmts {
			if s.Kind == cparse.SLoopVar {
				vars = append(vars, s.LHS.String())
			}
		}
	}
	// identifier arguments are the cursors (the member name comes along)
	for _, v := range []string{"p", "n", "cpu", "x"} {
		found := false
		for _, w := range vars {
			found = found || w == v
		}
		if !found {
			t.Errorf("loop vars %v lack %s", vars, v)
		}
	}
	if !reachesCall(fn, fn.Entry, "done") {
		t.Errorf("done() unreachable")
	}
}

func TestCFGBlockMacroInIfElse(t *testing.T) {
	fn := onlyFunc(t, `void f(struct list_head *h, int a)
{
	struct foo *x;
	if (a)
		list_for_each_entry(x, h, m)
			stmt(x);
	else
		other();
	after();
}
`)
	b := branches(fn)["a"]
	if b == nil {
		t.Fatalf("no branch on a\n%s", fn.Dump())
	}
	if !reachesCall(fn, b.Succs[0], "stmt") || reachesCall(fn, b.Succs[0], "other") {
		t.Errorf("then arm wrong\n%s", fn.Dump())
	}
	if !reachesCall(fn, b.Succs[1], "other") || reachesCall(fn, b.Succs[1], "stmt") {
		t.Errorf("else arm wrong: the else did not attach to the if\n%s", fn.Dump())
	}
}

func TestCFGBlockMacroFallback(t *testing.T) {
	// Without a dialect the pre-pass knows no iterator names: tree-sitter
	// reads "list_for_each(p, h)" as a call missing its ';' and the body
	// as the next statement, and the builder still makes a loop of it.
	p := cparse.NewParser(nil)
	defer p.Close()
	f, err := p.Parse("nil.c", []byte("void f(void)\n{\n\tlist_for_each(p, h)\n\t\tg(p);\n\tafter();\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	fn := funcNamed(t, f, "f")
	if hasCall(fn, "list_for_each") {
		t.Errorf("iterator emitted as a call\n%s", fn.Dump())
	}
	g := callBlockID(t, fn, "g")
	if !reach(fn, g)[g] {
		t.Errorf("body does not loop\n%s", fn.Dump())
	}
	if reachesAvoiding(fn, fn.Entry, callBlockID(t, fn, "after"), g) == false {
		t.Errorf("the loop cannot be skipped\n%s", fn.Dump())
	}
}

// ---- preprocessor ------------------------------------------------------------

func TestCFGPreprocessorArms(t *testing.T) {
	fn := onlyFunc(t, `void f(void)
{
#ifdef CONFIG_A
	a_on();
#else
	a_off();
#endif
#ifndef CONFIG_B
	b_off();
#else
	b_on();
#endif
#ifdef CONFIG_C
	c_on();
#endif
#if IS_ENABLED(CONFIG_D) && X > 1
	d_on();
#endif
	end();
}
`)
	check := func(cond, onTrue, onFalse string) {
		t.Helper()
		var b *cparse.Block
		for _, bl := range fn.Blocks {
			if bl.Term == cparse.TBranch && bl.Cond != nil && bl.Cond.Name == cond {
				b = bl
			}
		}
		if b == nil {
			t.Fatalf("no branch on %q\n%s", cond, fn.Dump())
		}
		if !b.Pre || b.Cond.Kind != cparse.EIdent {
			t.Errorf("%s: branch not marked as preprocessor", cond)
		}
		if onTrue != "" && (!reachesCall(fn, b.Succs[0], onTrue) || reachesAvoidingCall(fn, b.Succs[1], onTrue, b.ID)) {
			t.Errorf("%s true: %s not on its arm\n%s", cond, onTrue, fn.Dump())
		}
		if onFalse != "" && (!reachesCall(fn, b.Succs[1], onFalse) || reachesAvoidingCall(fn, b.Succs[0], onFalse, b.ID)) {
			t.Errorf("%s false: %s not on its arm\n%s", cond, onFalse, fn.Dump())
		}
		for _, s := range b.Succs {
			if !reachesCall(fn, s, "end") {
				t.Errorf("%s: arms do not join", cond)
			}
		}
	}
	check("defined(CONFIG_A)", "a_on", "a_off")
	check("defined(CONFIG_B)", "b_on", "b_off")
	check("defined(CONFIG_C)", "c_on", "")
	check("#if IS_ENABLED(CONFIG_D) && X > 1", "d_on", "")
	if hasCall(fn, "IS_ENABLED") {
		t.Errorf("#if condition emitted as a call")
	}
}

func TestFuncConds(t *testing.T) {
	f := parseC(t, `void plain(void) { }
#ifndef CONFIG_PREEMPT_RT
void not_rt(void) { a(); }
#ifdef CONFIG_SMP
void not_rt_smp(void) { b(); }
#endif
#else
void rt(void) { c(); }
#endif
#if defined(CONFIG_X)
void x(void) { }
#elif defined(CONFIG_Y)
void y(void) { }
#elif defined(CONFIG_Z)
void z(void) { }
#else
void neither(void) { }
#endif
void plain2(void) { }
`)
	want := map[string]string{
		"plain":      "",
		"not_rt":     "!defined(CONFIG_PREEMPT_RT)",
		"not_rt_smp": "!defined(CONFIG_PREEMPT_RT) defined(CONFIG_SMP)",
		"rt":         "defined(CONFIG_PREEMPT_RT)",
		"x":          "#if defined(CONFIG_X)",
		"y":          "!#if defined(CONFIG_X) #if defined(CONFIG_Y)",
		"z":          "!#if defined(CONFIG_X) !#if defined(CONFIG_Y) #if defined(CONFIG_Z)",
		"neither":    "!#if defined(CONFIG_X) !#if defined(CONFIG_Y) !#if defined(CONFIG_Z)",
		"plain2":     "",
	}
	for name, w := range want {
		fn := funcNamed(t, f, name)
		var got []string
		for _, c := range fn.Conds {
			s := c.Atom.Name
			if !c.Val {
				s = "!" + s
			}
			got = append(got, s)
		}
		if strings.Join(got, " ") != w {
			t.Errorf("%s: conds %q, want %q", name, got, w)
		}
	}
}

// TestElifChainIsLinear: a long #elif chain (arch/x86's vermagic.h has 25)
// is read once per arm, not once per subset of arms.
func TestElifChainIsLinear(t *testing.T) {
	var b strings.Builder
	b.WriteString("#if defined(C0)\nint v0;\n")
	for i := 1; i < 40; i++ {
		fmt.Fprintf(&b, "#elif defined(C%d)\nint v%d;\n", i, i)
	}
	b.WriteString("#endif\nvoid f(void) { }\n")
	start := time.Now()
	f := parseC(t, b.String())
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("40 #elif arms took %s", d)
	}
	funcNamed(t, f, "f")
}

// ---- dialect-driven emission -------------------------------------------------------

func TestCFGLazyAndAfterArguments(t *testing.T) {
	d := kb.MustDefault().Dialect()
	if fmt.Sprint(d.Lazy["wait_event_lock_irq_cmd"]) != "[3]" || fmt.Sprint(d.After["wait_event_cmd"]) != "[3]" {
		t.Fatalf("knowledge base changed: lazy %v, after %v", d.Lazy["wait_event_lock_irq_cmd"], d.After["wait_event_cmd"])
	}
	fn := onlyFunc(t, `void f(struct foo *p)
{
	wait_event_lock_irq_cmd(p->wq, cond(p), p->lock, cmd(p));
	wait_event_cmd(p->wq, cond2(p), before_cmd(p), after_cmd(p));
}
`)
	got := calleesFrom(fn, fn.Entry)
	want := []string{
		"cond(p)", "wait_event_lock_irq_cmd(p->wq, cond(p), p->lock, cmd(p))",
		"cond2(p)", "before_cmd(p)", "wait_event_cmd(p->wq, cond2(p), before_cmd(p), after_cmd(p))", "after_cmd(p)",
	}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("statements\n got %q\nwant %q", got, want)
	}
}

func TestCFGOpaqueLocalMacros(t *testing.T) {
	fn := funcNamed(t, parseC(t, `#define lock_obj(o) do { spin_lock(&(o)->lock); } while (0)
#define plain(x) foo(x)
void f(struct foo *p)
{
	lock_obj(get_obj(p));
	plain(get_other(p));
}
`), "f")
	if hasCall(fn, "get_obj") {
		t.Errorf("argument of a locking macro emitted\n%s", fn.Dump())
	}
	if !hasCall(fn, "get_other") || !hasCall(fn, "plain") {
		t.Errorf("arguments of an ordinary macro lost\n%s", fn.Dump())
	}
}

// ---- definitions through macros and attributes ---------------------------------

func TestMacroDefinedFunctions(t *testing.T) {
	f := parseC(t, `SYSCALL_DEFINE3(frob, int, a, char __user *, buf, size_t, n)
{
	return do_frob(a);
}
COMPAT_SYSCALL_DEFINE1(frob2, int, a)
{
	return 0;
}
BPF_CALL_2(bpf_thing, void *, a, u32, b)
{
	return 1;
}
static CLOSURE_CALLBACK(cb_static)
{
	closure_type(c, struct foo, cl);
	work(c);
}
CLOSURE_CALLBACK(cb_plain)
{
	work2();
}
`)
	sys := funcNamed(t, f, "sys_frob")
	if sys.Line != 1 || sys.EndLine != 4 || !hasCall(sys, "do_frob") {
		t.Errorf("sys_frob: lines %d-%d\n%s", sys.Line, sys.EndLine, sys.Dump())
	}
	funcNamed(t, f, "sys_frob2")
	funcNamed(t, f, "bpf_thing")
	cb := funcNamed(t, f, "cb_static")
	if !cb.Static || cb.Line != 13 || !hasCall(cb, "work") || len(cb.Params) != 0 {
		t.Errorf("cb_static: static %v line %d params %v\n%s", cb.Static, cb.Line, cb.Params, cb.Dump())
	}
	cb = funcNamed(t, f, "cb_plain")
	if cb.Static || !hasCall(cb, "work2") {
		t.Errorf("cb_plain: static %v\n%s", cb.Static, cb.Dump())
	}
	if len(f.Funcs) != 5 {
		t.Errorf("%d functions", len(f.Funcs))
	}
}

func TestAttributeHeavySignature(t *testing.T) {
	f := parseC(t, `static int __init __must_check foo(struct x *x) __acquires(&x->lock)
{
	spin_lock(&x->lock);
	return 0;
}

static inline void __cold noinline bar(struct x __rcu *x, char __user *buf) __releases(x->a) __must_hold(&x->b)
{
}
`)
	if f.ErrorNodes != 0 {
		t.Errorf("%d syntax errors", f.ErrorNodes)
	}
	foo := funcNamed(t, f, "foo")
	if !foo.Static || foo.Ret.String() != "int" || foo.Line != 1 || fmt.Sprint(foo.Params) != "[{x struct x*}]" {
		t.Errorf("foo: static %v ret %v line %d params %v", foo.Static, foo.Ret, foo.Line, foo.Params)
	}
	if len(foo.Annots) != 1 || foo.Annots[0].Kind != "acquires" || foo.Annots[0].Arg.String() != "&x->lock" {
		t.Errorf("foo annotations %+v", foo.Annots)
	}
	bar := funcNamed(t, f, "bar")
	var got []string
	for _, a := range bar.Annots {
		got = append(got, a.Kind+" "+a.Arg.String())
	}
	if strings.Join(got, ", ") != "releases x->a, must_hold &x->b" {
		t.Errorf("bar annotations %q", got)
	}
	if len(bar.Params) != 2 || bar.Params[1].Type.String() != "char*" {
		t.Errorf("bar params %v", bar.Params)
	}
}

// ---- declarations -------------------------------------------------------------

func TestFileDeclarations(t *testing.T) {
	f := parseC(t, `#include "local.h"
#include <linux/spinlock.h>
#include "sub/dir.h"
static DEFINE_SPINLOCK(glock);
static DEFINE_MUTEX(gmutex);
DEFINE_RAW_SPINLOCK(raw);
typedef struct foo foo_t;
typedef unsigned long *ulp, arr_t[4];
struct foo {
	spinlock_t lock;
	struct mutex *m;
	union {
		int a;
		struct list_head list;
		struct {
			struct rw_semaphore sem;
		};
	};
	struct bar named;
	int arr[4];
#ifdef CONFIG_X
	raw_spinlock_t rlock;
#endif
};
struct bar { u32 v; };
int counter, *cp;
static struct foo *gfoo;
extern int proto(void);
`)
	if strings.Join(f.Includes, " ") != "local.h sub/dir.h" {
		t.Errorf("includes %q", f.Includes)
	}
	globals := map[string]string{}
	for k, v := range f.Globals {
		globals[k] = v.String()
	}
	want := "map[counter:int cp:int* gfoo:struct foo* glock:spinlock_t gmutex:struct mutex raw:raw_spinlock_t]"
	if fmt.Sprint(globals) != want {
		t.Errorf("globals\n got %v\nwant %s", globals, want)
	}
	typedefs := map[string]string{}
	for k, v := range f.Typedefs {
		typedefs[k] = v.String()
	}
	if fmt.Sprint(typedefs) != "map[arr_t:unsigned long[] foo_t:struct foo ulp:unsigned long*]" {
		t.Errorf("typedefs %v", typedefs)
	}
	st := f.Structs["struct foo"]
	if st == nil {
		t.Fatalf("no struct foo: %v", f.Structs)
	}
	fields := map[string]string{}
	for k, v := range st.Fields {
		fields[k] = v.String()
	}
	want = "map[a:int arr:int[] list:struct list_head lock:spinlock_t m:struct mutex* named:struct bar rlock:raw_spinlock_t sem:struct rw_semaphore]"
	if fmt.Sprint(fields) != want {
		t.Errorf("struct foo fields\n got %v\nwant %s", fields, want)
	}
	if b := f.Structs["struct bar"]; b == nil || b.Fields["v"].Base != "u32" {
		t.Errorf("struct bar %v", b)
	}
}

func TestFileLines(t *testing.T) {
	src := "int a;\r\nvoid f(void)\n{\n\tx();\n}"
	f := parseC(t, src)
	for pos, line := range map[int]int{0: 1, 7: 1, 8: 2, len(src) - 1: 5} {
		if got := f.Line(pos); got != line {
			t.Errorf("Line(%d) = %d, want %d", pos, got, line)
		}
	}
	if f.LineText(1) != "int a;" || f.LineText(4) != "\tx();" || f.LineText(5) != "}" || f.LineText(0) != "" || f.LineText(6) != "" {
		t.Errorf("LineText: %q %q %q", f.LineText(1), f.LineText(4), f.LineText(5))
	}
	_, s := callStmt(t, funcNamed(t, f, "f"), "x")
	if s.Line != 4 {
		t.Errorf("x() at line %d", s.Line)
	}
}

// ---- bad input ---------------------------------------------------------------

func TestParseBadInput(t *testing.T) {
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()

	f, err := p.Parse("nul.c", []byte("int x;\x00\nvoid f(void) {}\n"))
	if !errors.Is(err, cparse.ErrNotC) || f != nil {
		t.Errorf("NUL bytes: file %v, error %v", f, err)
	}

	big := make([]byte, cparse.MaxFileSize+1)
	for i := range big {
		big[i] = ' '
	}
	f, err = p.Parse("big.c", big)
	if err == nil || f != nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("oversized file: file %v, error %v", f, err)
	}

	for _, garbage := range []string{
		"@@@ $$$ %%%%\n",
		"!!! ??? ...\n",
		"Hello, world! This is prose.\n",
		"<html><body>hi</body></html>\n",
		"{ \"json\": [1, 2, 3] }\n",
	} {
		f, err := p.Parse("prose.txt", []byte(garbage))
		if !errors.Is(err, cparse.ErrNotC) || f != nil {
			t.Errorf("%q: file %v, error %v, want ErrNotC", garbage, f, err)
		}
	}

	// Empty and comment-only files are C.
	for _, ok := range []string{"", "\n\n", "/* nothing */\n", "#define X 1\n"} {
		f, err := p.Parse("empty.c", []byte(ok))
		if err != nil || f == nil || len(f.Funcs) != 0 {
			t.Errorf("%q: file %v, error %v", ok, f, err)
		}
	}

	// A header of macro invocations only (include/linux/lockdep_states.h)
	// has no declarations tree-sitter recognises: it is reported as not C
	// rather than crashing.
	f, err = p.Parse("lockdep_states.h", []byte("LOCKDEP_STATE(HARDIRQ)\nLOCKDEP_STATE(SOFTIRQ)\n"))
	if !errors.Is(err, cparse.ErrNotC) || f != nil {
		t.Errorf("macro-only header: file %v, error %v", f, err)
	}

	// The parser still works after all that.
	f, err = p.Parse("ok.c", []byte("void ok(void) { x(); }\n"))
	if err != nil || len(f.Funcs) != 1 || f.Funcs[0].Name != "ok" {
		t.Errorf("parser unusable after bad input: %v", err)
	}
}

func TestParserTimeoutAndReuse(t *testing.T) {
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	var b strings.Builder
	for i := 0; b.Len() < 4<<20; i++ {
		fmt.Fprintf(&b, "int big%d(int a) { if (a) { while (a--) g(a, %d); } return h(a) + %d; }\n", i, i, i)
	}
	p.Timeout = time.Microsecond
	if f, err := p.Parse("big.c", []byte(b.String())); err == nil || f != nil {
		t.Fatalf("a 4 MB parse finished within a microsecond: %v", err)
	}
	// The next parse reads its own input, not the interrupted one.
	p.Timeout = 20 * time.Second
	f, err := p.Parse("small.c", []byte("void small(void) { y(); }\n"))
	if err != nil || len(f.Funcs) != 1 || f.Funcs[0].Name != "small" || !hasCall(f.Funcs[0], "y") {
		t.Fatalf("after a timeout: %v %v", f, err)
	}
	// An empty file reaches tree-sitter with no bytes at all.
	for _, empty := range [][]byte{nil, {}} {
		if f, err := p.Parse("empty.c", empty); err != nil || len(f.Funcs) != 0 {
			t.Fatalf("empty file: %v %v", f, err)
		}
	}
	// Declarations do not leak from one file into the next.
	f1, _ := p.Parse("a.c", []byte("typedef int my_t;\nstruct s { int a; };\nint g;\n"))
	f2, _ := p.Parse("b.c", []byte("int h;\n"))
	if len(f1.Typedefs) != 1 || len(f2.Typedefs) != 0 || len(f2.Structs) != 0 || len(f2.Globals) != 1 {
		t.Errorf("state shared between files: %v %v %v", f2.Typedefs, f2.Structs, f2.Globals)
	}
}

func TestDumpFormat(t *testing.T) {
	fn := onlyFunc(t, "int f(int a)\n{\n\tguard(mutex)(&l);\n\tif (a)\n\t\tBUG();\n\tr = g();\n\ta++;\n\treturn r;\n}\n")
	d := fn.Dump()
	for _, frag := range []string{
		"func f (line 1-9, entry B0)",
		"  3: guard(mutex)(&l)\n",
		"  if a then B",
		"  5: BUG()\n  stop\n",
		"  6: r = g()\n",
		"  7: a++\n",
		"  8: end guard(mutex)(&l)\n  8: return r\n",
	} {
		if !strings.Contains(d, frag) {
			t.Errorf("Dump lacks %q:\n%s", frag, d)
		}
	}
}
