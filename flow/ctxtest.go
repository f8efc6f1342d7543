// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"lockbot/cparse"
	"lockbot/kb"
)

// ctxTest returns the context test a fact is about (preemptible(),
// irqs_disabled(), in_atomic() in rules.yaml): a condition a caller
// decides by what it holds, as it decides gfpflags_allow_blocking(gfp)
// by what it passes.
func ctxTest(k *kb.KB, fa *Cond) *kb.Func {
	x := fa.Expr.Strip()
	if x == nil || x.Kind != cparse.ECall || len(x.Args) > 0 {
		return nil
	}
	spec := k.Funcs[x.CallName()]
	if spec == nil || len(spec.TrueUnder)+len(spec.FalseUnder) == 0 {
		return nil
	}
	return spec
}

// contextDenies reports whether the contexts held rule out a path whose
// facts include a context test with the other value: debugobjects fills
// its pool only "if (!IS_ENABLED(CONFIG_PREEMPT_RT) || preemptible())",
// which no caller holding a raw spinlock reaches on PREEMPT_RT.
func contextDenies(k *kb.KB, facts []Cond, held []*Ctx) bool {
	for i := range facts {
		spec := ctxTest(k, &facts[i])
		if spec == nil {
			continue
		}
		for _, c := range held {
			if v, ok := spec.Under(c.Kind); ok && v != facts[i].Val {
				return true
			}
		}
	}
	return false
}
