// SPDX-License-Identifier: GPL-2.0-only

package cparse

import "testing"

// TestReturnLast: a statement expression's last expression statement
// becomes the return; statements that are not expressions do not.
func TestReturnLast(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{" bool ok = true; f(x); ok; ", " bool ok = true; f(x); return ok; "},
		{" int r = g(); if (r) { h(); } r; ", " int r = g(); if (r) { h(); } return r; "},
		{"\n\tlocal_irq_save(f);\n\t(p)->n + 1;\n", "\n\tlocal_irq_save(f);\n\treturn (p)->n + 1;\n"},
		{" f(x); if (y) g(); ", " f(x); if (y) g(); "},
		{" f(x); return y; ", " f(x); return y; "},
		{" int r = 0; ", " int r = 0; "},
		{" f(x); struct foo *p; ", " f(x); struct foo *p; "},
		{" do { f(); } while (0); ", " do { f(); } while (0); "},
		{" f(x); g(y) ", " f(x); g(y) "},
	} {
		if got := returnLast(tc.in); got != tc.want {
			t.Errorf("returnLast(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
