// SPDX-License-Identifier: GPL-2.0-only

// Package kbuild reads what a kernel tree's Kconfig and Makefiles say
// about which code a PREEMPT_RT kernel can build: an RT-only finding in
// code that needs !PREEMPT_RT (transparent huge pages, for one) is noise.
package kbuild

import (
	"lockbot/diff"

	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// RT knows which configuration symbols and files PREEMPT_RT excludes.
type RT struct {
	root     string
	excluded map[string]bool
	// nonRTArch are the architectures that cannot enable PREEMPT_RT (they
	// do not select ARCH_SUPPORTS_RT, where any does): their code and
	// their symbols are out of an RT kernel.
	nonRTArch map[string]bool

	mk makefiles
}

// FindRoot returns the top of the kernel tree holding path: the nearest
// directory with a Kconfig, a Makefile and a scripts/ directory.
func FindRoot(path string) (string, bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", false
	}
	dir := abs
	if info, err := os.Stat(abs); err == nil && !info.IsDir() {
		dir = filepath.Dir(abs)
	}
	for {
		if isFile(filepath.Join(dir, "Kconfig")) && isFile(filepath.Join(dir, "Makefile")) && isDir(filepath.Join(dir, "scripts")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && !info.IsDir()
}

func isDir(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// LoadRT reads the tree's Kconfig files: the top-level Kconfig and what it
// sources, as kconfig itself does, so that no directory is listed and a
// stray Kconfig outside the build is not read. "$(SRCARCH)" in a source
// path stands for every architecture.
func LoadRT(root, rtSymbol string) (*RT, error) {
	deps := map[string][]string{} // symbol -> its "depends on" expressions
	excluded := map[string]bool{}
	defs := map[string][]string{} // symbol -> the Kconfig files defining it
	rtArch := map[string]bool{}
	seen := map[string]bool{}
	queue := []string{filepath.Join(root, "Kconfig")}
	if !isFile(queue[0]) {
		return nil, fmt.Errorf("kbuild: %s: no Kconfig at the top of the tree", root)
	}
	for len(queue) > 0 {
		// Level by level: the files one level sources are read in
		// parallel, then parsed in order.
		var batch []string
		for _, p := range queue {
			if !seen[p] {
				seen[p] = true
				batch = append(batch, p)
			}
		}
		queue = nil
		texts, errs := readFiles(batch)
		for i, p := range batch {
			if errs[i] != nil {
				if p == filepath.Join(root, "Kconfig") {
					return nil, errs[i]
				}
				continue // an optional source ("osource") or a missing arch file
			}
			arch := archOf(root, p)
			if arch != "" && strings.Contains(texts[i], "select ARCH_SUPPORTS_RT") {
				rtArch[arch] = true
			}
			for _, src := range parseKconfig(texts[i], rtSymbol, deps, excluded, func(sym string) { defs[sym] = append(defs[sym], arch) }) {
				queue = append(queue, expandSource(root, filepath.Dir(p), src)...)
			}
		}
	}
	// Where some architecture supports RT (6.12: x86, arm64, riscv), the
	// others cannot build it, nor a symbol only they define (S390,
	// PPC_PMAC). Before any did (6.1), RT came as a patch set for several:
	// no architecture is ruled out.
	nonRT := map[string]bool{}
	if len(rtArch) > 0 {
		entries, _ := os.ReadDir(filepath.Join(root, "arch"))
		for _, e := range entries {
			if e.IsDir() && !rtArch[e.Name()] {
				nonRT[e.Name()] = true
			}
		}
		for sym, archs := range defs {
			only := true
			for _, a := range archs {
				only = only && nonRT[a]
			}
			if only {
				excluded[sym] = true
			}
		}
	}
	// A symbol that depends on an excluded symbol is excluded too, and
	// one that depends on a choice of them ("PPC_PMAC || MAC").
	for changed := true; changed; {
		changed = false
		for sym, exprs := range deps {
			if excluded[sym] {
				continue
			}
			for _, e := range exprs {
				if exprExcluded(e, excluded) {
					excluded[sym] = true
					changed = true
					break
				}
			}
		}
	}
	return &RT{root: root, excluded: excluded, nonRTArch: nonRT}, nil
}

// archOf returns the architecture whose arch/ directory holds a file.
func archOf(root, path string) string {
	rel, err := filepath.Rel(filepath.Join(root, "arch"), path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return ""
	}
	arch, _, found := strings.Cut(filepath.ToSlash(rel), "/")
	if !found {
		return ""
	}
	return arch
}

// exprExcluded reports whether a "depends on" expression cannot hold on
// RT: one of its top-level && terms is excluded, or every one of its
// top-level || terms is.
func exprExcluded(expr string, excluded map[string]bool) bool {
	if terms := conjunctTerms(expr); terms != nil {
		for _, c := range terms {
			if isSymbol(c) && excluded[c] {
				return true
			}
		}
		return false
	}
	alts := disjunctTerms(expr)
	for _, a := range alts {
		a = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(a, "("), ")"))
		if !exprExcluded(a, excluded) {
			return false
		}
	}
	return len(alts) > 0
}

// disjunctTerms splits an expression at top-level ||.
func disjunctTerms(expr string) []string { return splitTop(expr, '|', 0) }

// source is a Kconfig "source"-family line: the path and whether it is
// relative to the including file ("rsource").
type source struct {
	path     string
	relative bool
}

// expandSource turns a sourced path into files: relative to the tree's
// root or to dir, with $(SRCARCH) and its kin matching any architecture.
func expandSource(root, dir string, s source) []string {
	base := root
	if s.relative {
		base = dir
	}
	p := s.path
	for _, v := range []string{"$(SRCARCH)", "$(HEADER_ARCH)", "$SRCARCH"} {
		p = strings.ReplaceAll(p, v, "*")
	}
	full := filepath.Join(base, filepath.FromSlash(p))
	if !strings.ContainsAny(p, "*?[") {
		return []string{full}
	}
	matches, _ := filepath.Glob(full)
	return matches
}

// sourceKeywords include another Kconfig file; the "r" ones relative to
// the including file, the "o" ones optional.
var sourceKeywords = map[string]bool{"source": true, "rsource": true, "osource": true, "orsource": true}

// parseKconfig records the dependencies of each symbol, and marks as
// excluded those that depend on !RT or sit inside "if !RT". It returns the
// files the file sources.
func parseKconfig(text, rt string, deps map[string][]string, excluded map[string]bool, defined func(sym string)) []source {
	// Lines are sliced from the one string: some 1,700 files are read
	// for every check, and a scanner buffer per file was most of the cost.
	var sources []source
	var ifs []bool // whether each enclosing "if" excludes RT
	cur := ""
	for len(text) > 0 {
		raw, rest, _ := strings.Cut(text, "\n")
		text = rest
		line := strings.TrimSpace(raw)
		switch {
		case strings.HasPrefix(line, "config ") || strings.HasPrefix(line, "menuconfig "):
			name := strings.Fields(line)[1]
			if !isSymbol(name) {
				continue
			}
			cur = name
			defined(name)
			for _, x := range ifs {
				if x {
					excluded[cur] = true
				}
			}
		case strings.HasPrefix(line, "if "):
			ifs = append(ifs, hasNegated(line[3:], rt))
			cur = ""
		case line == "endif":
			if len(ifs) > 0 {
				ifs = ifs[:len(ifs)-1]
			}
			cur = ""
		case strings.HasPrefix(line, "depends on ") && cur != "":
			expr := strings.TrimPrefix(line, "depends on ")
			if hasNegated(expr, rt) {
				excluded[cur] = true
			}
			deps[cur] = append(deps[cur], expr)
		case strings.HasPrefix(line, "source") || strings.HasPrefix(line, "rsource") || strings.HasPrefix(line, "osource") || strings.HasPrefix(line, "orsource"):
			if f := strings.Fields(line); len(f) >= 2 && sourceKeywords[f[0]] {
				if p := strings.Trim(f[1], `"`); p != "" {
					sources = append(sources, source{path: p, relative: strings.Contains(f[0], "rsource")})
				}
			}
			cur = ""
		case strings.HasPrefix(line, "menu ") || strings.HasPrefix(line, "choice") || strings.HasPrefix(line, "endmenu") ||
			strings.HasPrefix(line, "comment "):
			cur = ""
		}
	}
	return sources
}

// readFiles reads files on all cores.
func readFiles(paths []string) ([]string, []error) {
	texts := make([]string, len(paths))
	errs := make([]error, len(paths))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(paths) {
					return
				}
				data, err := diff.ReadRegular(paths[i], maxKbuildFile)
				texts[i], errs[i] = string(data), err
			}
		}()
	}
	wg.Wait()
	return texts, errs
}

// hasNegated reports whether "!sym" is one of the top-level conjuncts of a
// Kconfig expression (so the expression is false when sym is set).
func hasNegated(expr, sym string) bool {
	for _, c := range conjunctTerms(expr) {
		if strings.TrimSpace(strings.TrimPrefix(c, "!")) == sym && strings.HasPrefix(c, "!") {
			return true
		}
	}
	return false
}

// conjunctTerms splits an expression at top-level &&; an expression with a
// top-level || has none (either side may hold).
func conjunctTerms(expr string) []string { return splitTop(expr, '&', '|') }

// splitTop splits a Kconfig expression at its top-level "&&" or "||"
// (op doubled), without its comment; nil when the other operator, stop,
// is at the top level too.
func splitTop(expr string, op, stop byte) []string {
	if i := strings.IndexByte(expr, '#'); i >= 0 {
		expr = expr[:i]
	}
	depth, start := 0, 0
	var terms []string
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && i+1 < len(expr) && expr[i+1] == c && c == stop:
			return nil
		case depth == 0 && i+1 < len(expr) && expr[i+1] == c && c == op:
			terms = append(terms, strings.TrimSpace(expr[start:i]))
			start = i + 2
			i++
		}
	}
	return append(terms, strings.TrimSpace(expr[start:]))
}

func isSymbol(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// ExcludedConfig reports whether a configuration symbol (with or without
// its CONFIG_ prefix) cannot be set on a PREEMPT_RT kernel.
func (r *RT) ExcludedConfig(sym string) bool {
	return r.excluded[strings.TrimPrefix(sym, "CONFIG_")]
}

// TreeRelative is the scope for paths relative to the tree's root, as a
// patch names them, rather than to the working directory.
type TreeRelative struct{ *RT }

// ExcludedFile reports whether a PREEMPT_RT kernel cannot build the file
// at path, relative to the tree's root unless absolute.
func (t TreeRelative) ExcludedFile(path string) bool {
	if !filepath.IsAbs(path) {
		path = filepath.Join(t.root, path)
	}
	return t.RT.ExcludedFile(path)
}

// ExcludedFile reports whether a source file is built only under
// configuration a PREEMPT_RT kernel cannot have: its Makefile object, or
// one of its directories, is conditional on an excluded symbol.
func (r *RT) ExcludedFile(path string) bool {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(r.root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return false
	}
	if arch := archOf(r.root, abs); arch != "" && r.nonRTArch[arch] {
		return true
	}
	fileDir := filepath.Dir(abs)
	obj := strings.TrimSuffix(filepath.Base(abs), filepath.Ext(abs)) + ".o"
	for _, cond := range r.objConds(fileDir, obj) {
		if r.ExcludedConfig(cond) {
			return true
		}
	}
	// Each ancestor's Makefile may make a directory below it conditional:
	// "obj-$(CONFIG_X) += thp/" or "+= drivers/thp/".
	for dir := fileDir; dir != r.root; {
		parent := filepath.Dir(dir)
		for a := parent; ; a = filepath.Dir(a) {
			rel, err := filepath.Rel(a, dir)
			if err != nil {
				break
			}
			for _, cond := range r.objConds(a, filepath.ToSlash(rel)+"/") {
				if r.ExcludedConfig(cond) {
					return true
				}
			}
			if a == r.root || a == filepath.Dir(a) {
				break
			}
		}
		dir = parent
	}
	return false
}

var makeLineRE = regexp.MustCompile(`^([A-Za-z0-9_.-]+)-(\$\(CONFIG_([A-Za-z0-9_]+)\)|y|objs)\s*([+:]?)=\s*(.*)$`)

// objConds returns the configuration symbols an object (or subdir/) of a
// directory's Makefile is built under, following composite objects.
func (r *RT) objConds(dir, obj string) []string {
	m := r.mk.read(dir)
	var out []string
	seen := map[string]bool{}
	var walk func(o string)
	walk = func(o string) {
		if seen[o] {
			return
		}
		seen[o] = true
		for _, l := range m[o] {
			if l.cond != "" {
				out = append(out, l.cond)
			}
			if l.comp != "" {
				// Part of composite object l.comp: its own condition applies.
				walk(l.comp)
			}
		}
	}
	walk(obj)
	return out
}

// maxKbuildFile bounds a Kconfig or Makefile read; the kernel's largest
// are under 100 KiB.
const maxKbuildFile = 4 << 20

// makeLine is one line of a Makefile that lists an object: built under
// cond (none for obj-y), as part of the composite object comp (none for
// obj-...).
type makeLine struct {
	comp, cond string
	// unless is a setting that replaces the list the line is in: mm's
	// "mmu-y := nommu.o" then "mmu-$(CONFIG_MMU) := memory.o ...".
	unless string
}

// makefiles reads a tree's Makefiles once each.
type makefiles struct {
	mu    sync.Mutex
	makes map[string]map[string][]makeLine // dir -> object or subdir/ -> lines
}

func (m *makefiles) read(dir string) map[string][]makeLine {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.makes == nil {
		m.makes = map[string]map[string][]makeLine{}
	}
	r, ok := m.makes[dir]
	if !ok {
		r = readMakefile(dir)
		m.makes[dir] = r
	}
	return r
}

// readMakefile maps each object of a Kbuild Makefile to the lines that
// list it: obj-$(CONFIG_X) += o, obj-y += o, comp-$(CONFIG_X) += o,
// comp-y += o, comp-objs += o.
func readMakefile(dir string) map[string][]makeLine {
	m := map[string][]makeLine{}
	type at struct {
		obj string
		i   int
	}
	// plain are the unconditional entries of each composite list
	// ("mmu-y"), which a later "mmu-$(CONFIG_MMU) :=" replaces.
	plain := map[string][]at{}
	for _, name := range []string{"Makefile", "Kbuild"} {
		data, err := diff.ReadRegular(filepath.Join(dir, name), maxKbuildFile)
		if err != nil {
			continue
		}
		text := strings.ReplaceAll(string(data), "\\\n", " ")
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			sm := makeLineRE.FindStringSubmatch(line)
			if sm == nil {
				continue
			}
			target, cond, op, objs := sm[1], sm[3], sm[4], strings.Fields(sm[5])
			if target == "ccflags" || target == "subdir" || target == "extra" || target == "always" || target == "hostprogs" || target == "targets" {
				continue
			}
			if op == ":" && cond != "" {
				for _, a := range plain[target] {
					m[a.obj][a.i].unless = cond
				}
			}
			for _, o := range objs {
				if strings.HasPrefix(o, "#") {
					break
				}
				if target == "obj" || target == "lib" {
					m[o] = append(m[o], makeLine{cond: cond})
				} else {
					m[o] = append(m[o], makeLine{comp: target + ".o", cond: cond})
				}
				if cond == "" && sm[2] == "y" {
					plain[target] = append(plain[target], at{o, len(m[o]) - 1})
				}
			}
		}
	}
	return m
}
