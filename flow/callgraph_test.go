// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"testing"

	"lockbot/kb"
	"lockbot/source"
)

// A function handed over as an argument is analysed before the caller:
// the callee may run it (scc_start_tx_timer(scc, t_txdelay, 0) calls its
// handler), and what the caller sees of it must not depend on which
// worker finished first.
func TestCallGraphHandedFunctions(t *testing.T) {
	src := `static DEFINE_SPINLOCK(l);

static void handler(int *p)
{
	msleep(1);
}

static void start(void (*fn)(int *), int *p)
{
	spin_lock(&l);
	fn(p);
	spin_unlock(&l);
}

void user(int *p)
{
	start(handler, p);
}
`
	prog := buildProgram(t, kb.MustDefault(), source.Source{Path: "h.c", Src: []byte(src)})
	pos := map[string]int{}
	for i, c := range prog.sccs() {
		for _, fi := range c {
			pos[fi.F.Name] = i
		}
	}
	if !(pos["handler"] < pos["user"]) {
		t.Errorf("groups %v: handler must come before user, which hands it to start()", pos)
	}
	var found bool
	for _, fi := range prog.Funcs {
		if fi.F.Name != "user" {
			continue
		}
		for _, c := range fi.callees {
			found = found || c.F.Name == "handler"
		}
	}
	if !found {
		t.Error("user's callees lack handler")
	}
}
