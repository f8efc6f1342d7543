// SPDX-License-Identifier: GPL-2.0-only

package source

import (
	"strings"
	"testing"

	"lockbot/cparse"
	"lockbot/kb"
)

// A parse that panics is that file's error, and the parser is usable
// afterwards.
func TestSafeParse(t *testing.T) {
	_, panicked, err := safeParse(nil, "x.c", []byte("int x;"))
	if !panicked || err == nil || !strings.Contains(err.Error(), "x.c: internal error while parsing") {
		t.Errorf("safeParse(nil parser) = %v, %v; want a panic turned into an error naming the file", panicked, err)
	}
	p := cparse.NewParser(kb.MustDefault().Dialect())
	defer p.Close()
	f, panicked, err := safeParse(p, "y.c", []byte("void f(void) { }\n"))
	if panicked || err != nil || f == nil || len(f.Funcs) != 1 {
		t.Errorf("safeParse = %v, %v, %v; want one function", f, panicked, err)
	}
}
