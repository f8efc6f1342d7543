// SPDX-License-Identifier: GPL-2.0-only

package flow

import (
	"strings"

	"lockbot/cparse"
)

// Kconfig is a kernel configuration (kbuild.Config): it decides the
// preprocessor tests of configuration symbols and which .c files are
// built. With one, an #ifdef CONFIG_PM arm is taken or not, and a
// header's stub for !CONFIG_HAVE_CLK_PREPARE gives way to the real
// clk_prepare(); without one, both arms are possible and a name with
// several definitions is the caller's subsystem's, or may sleep if any of
// them may (RecordSet.anyVariant).
type Kconfig interface {
	// Eval is the value of a test ("defined(CONFIG_X)",
	// "IS_ENABLED(CONFIG_X)", "#if ..."); ok is false when the
	// configuration does not decide it.
	Eval(expr string) (val, ok bool)
	// Builds reports whether a file (relative to the tree) is built;
	// it is asked often, and must remember its answers.
	Builds(path string) bool
}

// configFor is the configuration that decides a file's #if arms: none for
// a .c file the configuration does not build, whose arms it says nothing
// of (a driver for another architecture).
func (p *Program) configFor(f *cparse.File) Kconfig {
	if p.kc == nil || f == nil {
		return nil
	}
	if !p.builds(f.Path) {
		return nil
	}
	return p.kc
}

// builds reports whether the configuration builds a file (kbuild.Config
// keeps the answers).
func (p *Program) builds(path string) bool {
	return p.kc == nil || p.kc.Builds(path)
}

// configTest is the value the configuration gives a branch condition of
// fn: a preprocessor arm or IS_ENABLED(CONFIG_X), possibly negated.
func (p *Program) configTest(fn *cparse.Func, cond *cparse.Expr) (val, ok bool) {
	kc := p.configFor(fn.File)
	if kc == nil {
		return false, false
	}
	e, neg := stripNot(cond)
	if e == nil {
		return false, false
	}
	var text string
	switch e.Kind {
	case cparse.EIdent:
		if !strings.HasPrefix(e.Name, "defined(") && !strings.HasPrefix(e.Name, "#if ") && !strings.HasPrefix(e.Name, "CONFIG_") {
			return false, false
		}
		text = e.Name
	case cparse.ECall:
		switch e.CallName() {
		case "IS_ENABLED", "IS_BUILTIN", "IS_MODULE", "IS_REACHABLE":
			text = e.String()
		default:
			return false, false
		}
	default:
		return false, false
	}
	v, ok := kc.Eval(text)
	return v != neg, ok
}

// defLive reports whether a definition is one the configuration keeps:
// each preprocessor condition around it holds, when the configuration
// decides it.
func defLive(kc Kconfig, conds []cparse.PreCond) bool {
	for _, c := range conds {
		if c.Atom == nil {
			continue
		}
		if v, ok := kc.Eval(c.Atom.Name); ok && v != c.Val {
			return false
		}
	}
	return true
}

// UnconfiguredLookup may be implemented by Externals that resolve names
// by a configuration: it resolves a name for a caller in file when no
// configuration decides, because there is none or because it does not
// build the caller's file (a driver for another architecture must not be
// given x86's variants, nor lose its own). Where several definitions
// remain, the caller's own subsystem's serves, or the function may sleep
// if any of them may.
type UnconfiguredLookup interface {
	LookupUnconfigured(name, file string) *FuncInfo
}

// externalFor resolves name for caller outside the analysed files.
func (p *Program) externalFor(caller *cparse.Func, name string) *FuncInfo {
	if p.kc == nil || !p.builds(caller.File.Path) {
		if u, ok := p.ext.(UnconfiguredLookup); ok {
			return u.LookupUnconfigured(name, caller.File.Path)
		}
	}
	return p.ext.Lookup(name)
}

// liveDefs drops the definitions the configuration rules out: in a .c
// file it does not build (but the caller's own), or under an #if it
// fails.
func (p *Program) liveDefs(caller *cparse.Func, cands []*FuncInfo) []*FuncInfo {
	if p.kc == nil || !p.builds(caller.File.Path) {
		return cands
	}
	var out []*FuncInfo
	for _, c := range cands {
		if c.F.File != caller.File && !p.builds(c.F.File.Path) {
			continue
		}
		if kc := p.configFor(c.F.File); kc != nil && !defLive(kc, c.F.Conds) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// factContradicts reports whether a recorded configuration fact is false
// in kc: an effect under #ifndef CONFIG_HAVE_CLK_PREPARE, for a
// configuration that has it.
func factContradicts(kc Kconfig, f *Cond) bool {
	if !configFact(f) && !strings.HasPrefix(f.Key, "defined(CONFIG_") && !strings.HasPrefix(f.Key, "#if ") {
		return false
	}
	v, ok := kc.Eval(f.Key)
	return ok && v != f.Val
}

func factsContradict(kc Kconfig, fs []Cond) bool {
	for i := range fs {
		if factContradicts(kc, &fs[i]) {
			return true
		}
	}
	return false
}
