package rules

import (
	"context"
	"strings"
	"testing"

	"lockbot/cparse"
	"lockbot/kb"
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
	opt := Options{KB: kb.MustDefault(), Workers: 1}
	files, _, _, err := parseAll(context.Background(), []Source{{Path: "p.c", Src: []byte(src)}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	prog := NewProgram(files, Config{KB: opt.KB})
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
