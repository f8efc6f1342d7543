// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"testing"

	"lockbot/flow"
	"lockbot/kb"
	"lockbot/source"
)

// A function whose facts make the pass panic (a bug of ours, here a
// control-flow edge to a block that does not exist) is counted as not
// analysed; the rest of the program is analysed and reported as usual.
func TestPanicFailsOneFunction(t *testing.T) {
	src := `
static void broken(spinlock_t *l)
{
	spin_lock(l);
	spin_unlock(l);
}

void sleeper(spinlock_t *l)
{
	spin_lock(l);
	msleep(1);
	spin_unlock(l);
}
`
	k := kb.MustDefault()
	files, _, _, err := source.ParseAll(context.Background(), []source.Source{{Path: "p.c", Src: []byte(src)}}, source.ParseOptions{KB: k, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	prog := flow.NewProgram(files, flow.Config{KB: k})
	for _, fi := range prog.Funcs {
		if fi.F.Name == "broken" {
			fi.F.Blocks[0].Succs = append(fi.F.Blocks[0].Succs, len(fi.F.Blocks)+5)
		}
	}
	if err := prog.Analyze(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if prog.Stats.Failed != 1 {
		t.Errorf("functions failed = %d, want 1 (the broken one)", prog.Stats.Failed)
	}
	fs := Run(prog, All())
	if len(fs) != 1 || fs[0].Rule != "SLEEP_IN_ATOMIC" || fs[0].Function != "sleeper" {
		t.Errorf("findings %+v, want sleeper's SLEEP_IN_ATOMIC alone", fs)
	}
}
