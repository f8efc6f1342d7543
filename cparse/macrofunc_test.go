// SPDX-License-Identifier: GPL-2.0-only

package cparse_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"lockbot/cparse"
	"lockbot/kb"
)

// TestMacroFuncs: a file's function-like macros become functions on the
// lines they span, with untyped parameters (a variadic one named), and
// calls where their bodies call; macros the preprocessor rewrites (#,
// ##), defined twice, calling nothing or only their parameters, or
// wrapping the function of their own name are not read.
func TestMacroFuncs(t *testing.T) {
	src := `struct s { int x; };
#define poll_it(op, val, sleep_us, args...) \
({ \
	for (;;) { \
		(val) = op(args); \
		if (sleep_us) \
			usleep_range(sleep_us, sleep_us); \
	} \
	0; \
})
#define take(x) mutex_lock(&(x)->m)
#define settle(d) do { /* a comment */ msleep(d); } while (0)
#define STR(x) printk(#x)
#define PASTE(x) x##_fn()
#define twice(x) foo(x)
#define twice(x) bar(x)
#define plain(a, b) ((a) + (b))
#define param_only(fn, a) fn(a)
#define kmalloc_wrap(n) kmalloc_wrap(n, 0)
#define noparen foo()

void user(struct s *p)
{
	take(p);
}
`
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	f, err := p.Parse("t.c", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*cparse.Func{}
	var names []string
	for _, fn := range f.Funcs {
		if fn.Macro {
			got[fn.Name] = fn
			names = append(names, fn.Name)
		}
	}
	sort.Strings(names)
	if strings.Join(names, " ") != "poll_it settle take" {
		t.Fatalf("macro functions %v, want poll_it settle take", names)
	}
	poll := got["poll_it"]
	if poll.Line != 2 || poll.EndLine != 10 || poll.File != f || !poll.Static {
		t.Errorf("poll_it: line %d-%d, file %p (want %p), static %v", poll.Line, poll.EndLine, poll.File, f, poll.Static)
	}
	var params []string
	for _, prm := range poll.Params {
		params = append(params, prm.Name)
	}
	if strings.Join(params, " ") != "op val sleep_us args" {
		t.Errorf("poll_it params %v", params)
	}
	line := 0
	for _, b := range poll.Blocks {
		for _, s := range b.Stmts {
			if s.Callee() == "usleep_range" {
				line = s.Line
			}
		}
	}
	if line != 7 {
		t.Errorf("usleep_range on line %d, want 7", line)
	}
	if s := got["settle"]; s.Line != 12 || len(s.Params) != 1 {
		t.Errorf("settle: line %d, %d params", s.Line, len(s.Params))
	}
	// The file's own functions are as before, and its syntax is whole.
	if f.ErrorNodes != 0 {
		t.Errorf("%d syntax errors in the file", f.ErrorNodes)
	}
	user := 0
	for _, fn := range f.Funcs {
		if fn.Name == "user" && !fn.Macro {
			user++
		}
	}
	if user != 1 {
		t.Errorf("user() defined %d times", user)
	}
}

// TestMacroFallbacks: a macro a file defines only for user space
// (#ifndef __KERNEL__, the #else of #ifdef __KERNEL__) or only where
// nothing defined it before ("#ifndef pr_info") is not the kernel's, and
// is not read as a function; the other arm's is.
func TestMacroFallbacks(t *testing.T) {
	src := `#ifndef __KERNEL__
#ifndef pr_info
#define pr_info(args...)	fprintf(stderr, args);
#endif
#define ulock(x) pthread_mutex_lock(x)
#endif
#ifdef __KERNEL__
#define klock(x) mutex_lock(x)
#else
#define ulock2(x) pthread_mutex_lock(x)
#endif
#ifndef warn_once
#define warn_once(x) printk(x)
#endif
#if !defined(__KERNEL__)
#define other_user(x) fprintf(stderr, x)
#endif
`
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	f, err := p.Parse("t.h", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fn := range f.Funcs {
		if fn.Macro {
			names = append(names, fn.Name)
		}
	}
	if strings.Join(names, " ") != "klock" {
		t.Errorf("macro functions %v, want klock alone", names)
	}
}

// TestMacroFuncConds: a macro inside an #if arm carries the arm's
// condition, as a function there does: it is one configuration's variant.
func TestMacroFuncConds(t *testing.T) {
	src := `#ifdef CONFIG_JUMP_LABEL
void key_enable(struct k *key);
#define key_enable_locked(k) key_enable(k)
#else
#define key_enable_locked(k) key_stub(k)
#endif
#define key_any(k) key_enable(k)
`
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	f, err := p.Parse("t.h", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fn := range f.Funcs {
		if !fn.Macro {
			continue
		}
		var cs []string
		for _, c := range fn.Conds {
			cs = append(cs, fmt.Sprintf("%s=%v", c.Atom.Name, c.Val))
		}
		got = append(got, fmt.Sprintf("%s:%d[%s]", fn.Name, fn.Line, strings.Join(cs, " ")))
	}
	// key_enable_locked is defined twice, in the two arms of one #if:
	// each definition is read, a variant with its arm's condition.
	want := "key_enable_locked:3[defined(CONFIG_JUMP_LABEL)=true] key_enable_locked:5[defined(CONFIG_JUMP_LABEL)=false] key_any:7[]"
	if strings.Join(got, " ") != want {
		t.Errorf("macro functions %q, want %q", strings.Join(got, " "), want)
	}
	// Defined again outside any arm (#undef, then another body): the
	// two are not variants of one function, and neither is read.
	redef := "#define tbl(x) foo(x)\n#undef tbl\n#define tbl(x) bar(x)\n"
	f, err = p.Parse("r.h", []byte(redef))
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range f.Funcs {
		t.Errorf("redefined macro read as %s:%d", fn.Name, fn.Line)
	}
	src2 := strings.Replace(src, "#define key_enable_locked(k) key_enable(k)\n", "", 1)
	f, err = p.Parse("t.h", []byte(src2))
	if err != nil {
		t.Fatal(err)
	}
	for _, fn := range f.Funcs {
		if fn.Name == "key_enable_locked" {
			if len(fn.Conds) != 1 || fn.Conds[0].Atom.Name != "defined(CONFIG_JUMP_LABEL)" || fn.Conds[0].Val {
				t.Errorf("key_enable_locked conditions %+v, want defined(CONFIG_JUMP_LABEL) false", fn.Conds)
			}
			return
		}
	}
	t.Error("key_enable_locked not read")
}

// TestCondDefines: an object-like macro defined under plain #if arms is
// kept with the conjunction of their conditions; include guards and
// __KERNEL__ arms are no condition; an #else arm, a fallback under
// "#ifndef NAME" and two different conditions give nothing.
func TestCondDefines(t *testing.T) {
	src := `#ifndef _LINUX_MM_H
#define _LINUX_MM_H
#ifdef __KERNEL__
#if defined(CONFIG_HIGHMEM) && !defined(WANT_PAGE_VIRTUAL)
#define HASHED_PAGE_VIRTUAL
#endif
#ifdef CONFIG_SMP
#ifndef CONFIG_UP_ONLY
#define SMP_ONLY 1
#endif
#endif
#ifdef CONFIG_A
#define TWICE 1
#endif
#ifdef CONFIG_B
#define TWICE 1
#endif
#ifdef CONFIG_C
#else
#define IN_ELSE 1
#endif
#ifndef FALLBACK
#define FALLBACK 0
#endif
#define PLAIN 1
#endif
#endif
`
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	f, err := p.Parse("t.h", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"HASHED_PAGE_VIRTUAL": "(defined(CONFIG_HIGHMEM) && !defined(WANT_PAGE_VIRTUAL))",
		"SMP_ONLY":            "defined(CONFIG_SMP) && !defined(CONFIG_UP_ONLY)",
	}
	if fmt.Sprint(f.CondDefines) != fmt.Sprint(want) {
		t.Errorf("CondDefines %v, want %v", f.CondDefines, want)
	}
}

// TestWhileEach: "do { } while_each_thread(g, t);" is a loop that ends
// there: the functions after it are their own (tree-sitter took
// cgroup.c's rest for cgroup_attach_task(), or left this file with no
// function at all).
func TestWhileEach(t *testing.T) {
	src := `int attach(struct cgroup *dst, struct task_struct *leader, bool threadgroup)
{
	struct task_struct *task;
	int ret = 0;

	rcu_read_lock();
	task = leader;
	do {
		add_src(task, dst);
		if (!threadgroup)
			break;
	} while_each_thread(leader, task);
	rcu_read_unlock();
	return ret;
}

void update_csses(struct cgroup *cgrp)
{
	cgroup_attach_lock(true);
	cgroup_attach_unlock(true);
}
`
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	f, err := p.Parse("t.c", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fn := range f.Funcs {
		got = append(got, fmt.Sprintf("%s:%d-%d", fn.Name, fn.Line, fn.EndLine))
	}
	if want := "attach:1-15 update_csses:17-21"; strings.Join(got, " ") != want {
		t.Errorf("functions %q, want %q", got, want)
	}
}
