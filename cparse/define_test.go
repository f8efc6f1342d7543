// SPDX-License-Identifier: GPL-2.0-only

package cparse

import (
	"bytes"
	"testing"
)

// A comment inside a multi-line #define ends the macro for tree-sitter;
// the pre-pass hides macro bodies so the code after them parses as itself.
func TestDefineBodyWithComments(t *testing.T) {
	src := []byte(`#define FLAGS \
	pf(A)	/* first, don't care */	\
	pf(B)	/* second */		\

static int after(void)
{
	mutex_lock(&m);
	return 0;
}
`)
	p := NewParser(&Dialect{})
	defer p.Close()
	f, err := p.Parse("d.c", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Funcs) != 1 || f.Funcs[0].Name != "after" || f.Funcs[0].Line != 5 {
		for _, fn := range f.Funcs {
			t.Logf("func %s at line %d", fn.Name, fn.Line)
		}
		t.Fatalf("want one function after() at line 5, got %d functions", len(f.Funcs))
	}
}

// A block comment that begins on a #define line and ends lines later is
// still part of the directive (msr-index.h writes its notes so): the
// lines inside it are not code.
func TestDefineWithCommentOverLines(t *testing.T) {
	src := []byte(`#define CAP_A	BIT(4)	/*
			 * Not susceptible to something,
			 * so no control required.
			 */
#define CAP_B	BIT(5)	/* one line */

static int after(void)
{
	mutex_lock(&m);
	return 0;
}
`)
	r := prepass(src, &Dialect{}, nil)
	for _, word := range []string{"susceptible", "control", "BIT", "one line"} {
		if bytes.Contains(r.src, []byte(word)) {
			t.Errorf("%q left for tree-sitter to read:\n%s", word, r.src)
		}
	}
	p := NewParser(&Dialect{})
	defer p.Close()
	f, err := p.Parse("d.c", src)
	if err != nil {
		t.Fatal(err)
	}
	if f.ErrorNodes != 0 || len(f.Funcs) != 1 || f.Funcs[0].Name != "after" || f.Funcs[0].Line != 7 {
		t.Fatalf("want one function after() at line 7 and no errors, got %d functions, %d error nodes", len(f.Funcs), f.ErrorNodes)
	}
}

// Hiding macro bodies keeps every line where it was.
func TestDefineBodyKeepsLines(t *testing.T) {
	for _, src := range []string{
		"#define X\\\n  body\nint a;\n",
		"#define Y(a)\\\n  (a)\nint b;\n",
		"#define Z 1\nint c;\n",
		"#define W\nint d;\n",
	} {
		r := prepass([]byte(src), &Dialect{}, nil)
		if len(r.src) != len(src) {
			t.Fatalf("%q: length changed", src)
		}
		for i := range src {
			if (src[i] == '\n') != (r.src[i] == '\n') {
				t.Fatalf("%q: newline moved at %d: %q", src, i, r.src)
			}
		}
	}
}
