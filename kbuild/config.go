// SPDX-License-Identifier: GPL-2.0-only

package kbuild

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/ulikunitz/xz"
)

// Config is a kernel configuration (a .config): which #if arms a build
// compiles and which .c files Kbuild builds. A header's stub for
// !CONFIG_PM hides the real pm_runtime_get_sync() only to a reader that
// does not know the configuration.
type Config struct {
	// Name says where the configuration came from, for messages.
	Name string
	vals map[string]string // symbol without CONFIG_ -> y, m, or a value
	arch string            // the arch/ directory the configuration builds
	// undecided are symbols the configuration must not decide: those of
	// PREEMPT_RT, whose arms the RT rules judge on their own.
	undecided func(sym string) bool
	// derived gives the condition under which a header defines a name
	// that is not a CONFIG_ symbol (SetDerived).
	derived func(name string) (string, bool)

	root   string // the tree whose Makefiles say which files are built
	mk     makefiles
	cache  sync.Map // expression -> evalResult
	builds sync.Map // path -> bool
}

type evalResult struct{ val, ok bool }

// maxConfig bounds a configuration, decompressed: a distribution's is
// about 300 KiB.
const maxConfig = 16 << 20

//go:embed defconfig/config.amd64_none_amd64.xz
var defaultConfig []byte

// DefaultConfigName names the configuration used when a tree has none.
const DefaultConfigName = "Debian's linux-config-6.12 6.12.118-1~deb12u1 config.amd64_none_amd64"

// DefaultConfig is a distribution's x86_64 configuration, for a tree
// without a .config of its own.
func DefaultConfig() *Config {
	c, err := ParseConfig(bytes.NewReader(defaultConfig), DefaultConfigName)
	if err != nil {
		panic("kbuild: the embedded configuration does not parse: " + err.Error())
	}
	return c
}

// LoadConfig reads a configuration file: plain, gzip (/proc/config.gz)
// or xz (Debian's linux-config packages).
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("kbuild: configuration: %w", err)
	}
	defer f.Close()
	c, err := ParseConfig(f, path)
	if err != nil {
		return nil, fmt.Errorf("kbuild: configuration %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig reads a configuration, compressed or not. A file with no
// CONFIG_ line is refused: it is not a configuration.
func ParseConfig(r io.Reader, name string) (*Config, error) {
	br := bufio.NewReader(r)
	magic, _ := br.Peek(6)
	var in io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		in = z
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		z, err := xz.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("xz: %w", err)
		}
		in = z
	}
	c := &Config{Name: name, vals: map[string]string{}}
	sc := bufio.NewScanner(io.LimitReader(in, maxConfig+1))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	size := 0
	for sc.Scan() {
		line := sc.Text()
		size += len(line) + 1
		if size > maxConfig {
			return nil, fmt.Errorf("larger than %d bytes", maxConfig)
		}
		sym, val, ok := strings.Cut(line, "=")
		if !ok || !strings.HasPrefix(sym, "CONFIG_") || !isSymbol(sym) {
			continue // "# CONFIG_X is not set", comments, blank lines
		}
		c.vals[strings.TrimPrefix(sym, "CONFIG_")] = strings.Trim(val, `"`)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(c.vals) == 0 {
		return nil, fmt.Errorf("no CONFIG_ setting")
	}
	for dir, sym := range archSymbols {
		if c.vals[sym] == "y" {
			c.arch = dir
		}
	}
	return c, nil
}

// archSymbols maps each arch/ directory to the symbol its configurations
// set.
var archSymbols = map[string]string{
	"x86": "X86", "arm64": "ARM64", "arm": "ARM", "riscv": "RISCV", "s390": "S390", "powerpc": "PPC",
	"mips": "MIPS", "loongarch": "LOONGARCH", "sparc": "SPARC", "parisc": "PARISC", "alpha": "ALPHA",
	"m68k": "M68K", "sh": "SUPERH", "xtensa": "XTENSA", "um": "UML", "arc": "ARC", "csky": "CSKY",
	"hexagon": "HEXAGON", "microblaze": "MICROBLAZE", "nios2": "NIOS2", "openrisc": "OPENRISC",
}

// ForTree returns the configuration bound to a tree's Makefiles, for
// Builds ("": every file is built). Symbols undecided reports (given
// with their CONFIG_ prefix) stay unknown to Eval.
func (c *Config) ForTree(root string, undecided func(sym string) bool) *Config {
	return &Config{Name: c.Name, vals: c.vals, arch: c.arch, root: root, undecided: undecided, derived: c.derived}
}

// SetDerived makes the configuration decide "defined(NAME)" of a name
// the tree's headers define under a condition (derived, an #if
// expression: mm.h defines HASHED_PAGE_VIRTUAL under
// "defined(CONFIG_HIGHMEM) && !defined(WANT_PAGE_VIRTUAL)") as it
// decides the condition: mm/highmem.c's page_address() is not built on
// x86_64, where CONFIG_HIGHMEM cannot be set. It changes c, before c is
// shared, and returns it.
func (c *Config) SetDerived(derived func(name string) (string, bool)) *Config {
	c.derived = derived
	c.cache.Clear()
	return c
}

// Value returns a symbol's setting: "y", "m", a value, or "" when unset.
func (c *Config) Value(sym string) string { return c.vals[strings.TrimPrefix(sym, "CONFIG_")] }

// Arch is the architecture the configuration builds (x86, arm64...).
func (c *Config) Arch() string { return c.arch }

// Builds reports whether the configuration builds a source file (a path
// relative to the tree, or absolute): its architecture, and every
// Makefile from the top down lists it, or its directory, under settings
// the configuration has. What the Makefiles do not say (a file no
// Makefile names, a condition spelled otherwise) counts as built.
// Headers are built wherever they are included.
func (c *Config) Builds(path string) bool {
	if c.root == "" || !strings.HasSuffix(path, ".c") {
		return true
	}
	if b, ok := c.builds.Load(path); ok {
		return b.(bool)
	}
	b := c.buildsRel(c.treeRelative(path))
	c.builds.Store(path, b)
	return b
}

// treeRelative reads path as relative to the tree (an index's and a
// patch's paths are) unless only the working directory makes it a file
// of the tree (a scan's arguments); "" when it is outside the tree.
func (c *Config) treeRelative(path string) string {
	if !filepath.IsAbs(path) {
		if isFile(filepath.Join(c.root, path)) {
			return path
		}
		abs, err := filepath.Abs(path)
		if err != nil || !isFile(abs) {
			return path
		}
		path = abs
	}
	r, err := filepath.Rel(c.root, path)
	if err != nil || strings.HasPrefix(r, "..") {
		return ""
	}
	return r
}

func (c *Config) buildsRel(rel string) bool {
	if rel == "" {
		return true
	}
	rel = filepath.ToSlash(filepath.Clean(rel))
	parts := strings.Split(rel, "/")
	if len(parts) > 2 && parts[0] == "arch" && c.arch != "" && parts[1] != c.arch {
		return false
	}
	// Each directory from the top: the parent's Makefile lists it
	// ("obj-$(CONFIG_X) += sh/"), or a Makefile above lists the path
	// ("obj-y += drivers/thp/").
	for i := 1; i < len(parts); i++ {
		if !c.listedBuilt(parts[:i-1], strings.Join(parts[i-1:i], "/")+"/") {
			return false
		}
	}
	obj := strings.TrimSuffix(parts[len(parts)-1], ".c") + ".o"
	return c.objBuilt(filepath.Join(c.root, filepath.FromSlash(strings.Join(parts[:len(parts)-1], "/"))), obj, map[string]bool{})
}

// listedBuilt reports whether the entry sub (a directory, "sh/") of the
// directory dir is built according to the Makefile of dir or of one of
// its ancestors, which may list it by a longer path.
func (c *Config) listedBuilt(dir []string, sub string) bool {
	for a := len(dir); a >= 0; a-- {
		name := strings.Join(append(append([]string(nil), dir[a:]...), strings.TrimSuffix(sub, "/")), "/") + "/"
		abs := filepath.Join(c.root, filepath.FromSlash(strings.Join(dir[:a], "/")))
		if lines := c.mk.read(abs)[name]; len(lines) > 0 {
			return c.linesBuilt(abs, lines, map[string]bool{})
		}
	}
	return true
}

// objBuilt reports whether a directory's Makefile builds obj: some line
// lists it under a setting the configuration has (and, for a part of a
// composite object, the composite is built).
func (c *Config) objBuilt(dir, obj string, seen map[string]bool) bool {
	if seen[obj] {
		return true
	}
	seen[obj] = true
	lines := c.mk.read(dir)[obj]
	if len(lines) == 0 {
		return true
	}
	return c.linesBuilt(dir, lines, seen)
}

func (c *Config) linesBuilt(dir string, lines []makeLine, seen map[string]bool) bool {
	for _, l := range lines {
		if l.cond != "" {
			if v := c.vals[l.cond]; v != "y" && v != "m" {
				continue
			}
		}
		if l.unless != "" {
			if v := c.vals[l.unless]; v == "y" || v == "m" {
				continue
			}
		}
		if l.comp == "" || c.objBuilt(dir, l.comp, seen) {
			return true
		}
	}
	return false
}

// Eval evaluates a preprocessor test as the configuration has it:
// "defined(CONFIG_X)", "#if IS_ENABLED(CONFIG_X) && !defined(CONFIG_Y)",
// "IS_BUILTIN(CONFIG_X)". ok is false when the test reads anything the
// configuration does not decide: another macro, a value, a symbol of
// PREEMPT_RT.
func (c *Config) Eval(expr string) (val, ok bool) {
	if r, hit := c.cache.Load(expr); hit {
		e := r.(evalResult)
		return e.val, e.ok
	}
	text := strings.TrimSpace(expr)
	for _, p := range []string{"#if ", "#elif "} {
		text = strings.TrimPrefix(text, p)
	}
	e := &evaluator{c: c, toks: tokenize(text)}
	v, known := e.or()
	if e.pos != len(e.toks) || e.bad {
		known = false
	}
	res := evalResult{val: known && v != 0, ok: known}
	c.cache.Store(expr, res)
	return res.val, res.ok
}

// EvalPartial evaluates an #if expression knowing only the symbols in
// known (without CONFIG_: "y", "m", a value, or "" for unset); every
// other symbol is undecided. Which arm a PREEMPT_RT kernel builds, where
// nothing else is known: "#if defined(CONFIG_SMP) ||
// defined(CONFIG_PREEMPT_RT)" holds.
func EvalPartial(expr string, known map[string]string) (val, ok bool) {
	return EvalPartialDerived(expr, known, nil)
}

// EvalPartialDerived is EvalPartial deciding a derived name's
// "defined(NAME)" by the condition derived gives (Config.SetDerived).
func EvalPartialDerived(expr string, known map[string]string, derived func(name string) (string, bool)) (val, ok bool) {
	c := &Config{vals: known, derived: derived, undecided: func(sym string) bool {
		_, ok := known[strings.TrimPrefix(sym, "CONFIG_")]
		return !ok
	}}
	return c.Eval(expr)
}

// Derived returns the condition under which the tree's headers define
// name (SetDerived), if known.
func (c *Config) Derived(name string) (string, bool) {
	if c.derived == nil {
		return "", false
	}
	return c.derived(name)
}

// evaluator is a recursive descent over the tokens of an #if
// expression, with three values: known nonzero, known zero, unknown.
type evaluator struct {
	c     *Config
	toks  []string
	pos   int
	bad   bool
	depth int
}

// maxEvalDepth bounds the nesting of an #if expression: the text comes
// from the patches reviewed.
const maxEvalDepth = 100

func (e *evaluator) peek() string {
	if e.pos < len(e.toks) {
		return e.toks[e.pos]
	}
	return ""
}

func (e *evaluator) next() string {
	t := e.peek()
	if t != "" {
		e.pos++
	}
	return t
}

// or: a || b is known true when either side is, known false when both
// are known false.
func (e *evaluator) or() (int64, bool) {
	v, ok := e.and()
	for e.peek() == "||" {
		e.next()
		w, wok := e.and()
		switch {
		case ok && v != 0 || wok && w != 0:
			v, ok = 1, true
		case ok && wok:
			v, ok = 0, true
		default:
			ok = false
		}
	}
	return v, ok
}

func (e *evaluator) and() (int64, bool) {
	v, ok := e.cmp()
	for e.peek() == "&&" {
		e.next()
		w, wok := e.cmp()
		switch {
		case ok && v == 0 || wok && w == 0:
			v, ok = 0, true
		case ok && wok:
			v, ok = 1, true
		default:
			ok = false
		}
	}
	return v, ok
}

func (e *evaluator) cmp() (int64, bool) {
	v, ok := e.unary()
	for {
		op := e.peek()
		switch op {
		case "==", "!=", "<", ">", "<=", ">=":
		default:
			return v, ok
		}
		e.next()
		w, wok := e.unary()
		ok = ok && wok
		var r bool
		switch op {
		case "==":
			r = v == w
		case "!=":
			r = v != w
		case "<":
			r = v < w
		case ">":
			r = v > w
		case "<=":
			r = v <= w
		case ">=":
			r = v >= w
		}
		v = 0
		if r {
			v = 1
		}
	}
}

func (e *evaluator) unary() (int64, bool) {
	if e.depth++; e.depth > maxEvalDepth {
		e.bad = true
		return 0, false
	}
	defer func() { e.depth-- }()
	t := e.next()
	switch {
	case t == "!":
		v, ok := e.unary()
		if v == 0 {
			return 1, ok
		}
		return 0, ok
	case t == "(":
		v, ok := e.or()
		if e.next() != ")" {
			e.bad = true
		}
		return v, ok
	case t == "defined":
		name := e.next()
		paren := name == "("
		if paren {
			name = e.next()
		}
		if paren && e.next() != ")" {
			e.bad = true
		}
		return e.defined(name)
	case t == "IS_ENABLED" || t == "IS_BUILTIN" || t == "IS_MODULE" || t == "IS_REACHABLE":
		if e.next() != "(" {
			e.bad = true
			return 0, false
		}
		name := e.next()
		if e.next() != ")" {
			e.bad = true
		}
		sym, ok := e.symbol(name)
		if !ok {
			return 0, false
		}
		v := e.c.vals[sym]
		var r bool
		switch t {
		case "IS_ENABLED":
			r = v == "y" || v == "m"
		case "IS_BUILTIN":
			r = v == "y"
		case "IS_MODULE":
			r = v == "m"
		case "IS_REACHABLE":
			// Built in, or a module reached from a module: the caller's
			// side is not known here.
			if v == "m" {
				return 0, false
			}
			r = v == "y"
		}
		if r {
			return 1, true
		}
		return 0, true
	case t != "" && (t[0] >= '0' && t[0] <= '9'):
		n, err := strconv.ParseInt(strings.TrimRight(t, "uUlL"), 0, 64)
		return n, err == nil
	case strings.HasPrefix(t, "CONFIG_"):
		// The macro's value in an #if: y is 1, a number itself; an unset
		// symbol or a module's is not defined, so 0.
		sym, ok := e.symbol(t)
		if !ok {
			return 0, false
		}
		switch v := e.c.vals[sym]; v {
		case "y":
			return 1, true
		case "", "m":
			return 0, true
		default:
			n, err := strconv.ParseInt(v, 0, 64)
			return n, err == nil
		}
	}
	if t == "" || t == ")" {
		e.bad = true
	}
	return 0, false
}

// defined: CONFIG_X is defined for y and for values, CONFIG_X_MODULE for
// m.
func (e *evaluator) defined(name string) (int64, bool) {
	if mod, found := strings.CutSuffix(name, "_MODULE"); found && strings.HasPrefix(mod, "CONFIG_") {
		sym, ok := e.symbol(mod)
		if !ok {
			return 0, false
		}
		if e.c.vals[sym] == "m" {
			return 1, true
		}
		return 0, true
	}
	if !strings.HasPrefix(name, "CONFIG_") {
		return e.derivedName(name)
	}
	sym, ok := e.symbol(name)
	if !ok {
		return 0, false
	}
	if v := e.c.vals[sym]; v != "" && v != "m" {
		return 1, true
	}
	return 0, true
}

// derivedName decides "defined(NAME)" of a name a header defines under a
// condition by that condition (Config.SetDerived).
func (e *evaluator) derivedName(name string) (int64, bool) {
	if e.c.derived == nil || !isSymbol(name) || e.depth >= maxEvalDepth {
		return 0, false
	}
	cond, ok := e.c.derived(name)
	if !ok {
		return 0, false
	}
	sub := &evaluator{c: e.c, toks: tokenize(cond), depth: e.depth + 10}
	v, known := sub.or()
	if sub.pos != len(sub.toks) || sub.bad {
		return 0, false
	}
	return v, known
}

// symbol is a CONFIG_ name the configuration decides, without its prefix.
func (e *evaluator) symbol(name string) (string, bool) {
	sym, found := strings.CutPrefix(name, "CONFIG_")
	if !found || !isSymbol(sym) || e.c.undecided != nil && e.c.undecided(name) {
		return "", false
	}
	return sym, true
}

// tokenize splits an #if expression into names, numbers and operators.
func tokenize(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t':
			i++
		case ch == '_' || ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			out = append(out, s[i:j])
			i = j
		case i+1 < len(s) && strings.Contains("&&||==!=<=>=", s[i:i+2]) && (s[i] == s[i+1] || s[i+1] == '='):
			out = append(out, s[i:i+2])
			i += 2
		default:
			out = append(out, s[i:i+1])
			i++
		}
	}
	return out
}

// ResolveConfig chooses the configuration for a tree at root ("" when
// the files are not in a kernel tree): name "none" is no configuration,
// another name is a file to read; without a name, the tree's own
// .config, or DefaultConfig for a kernel tree without one, or none
// outside a tree.
func ResolveConfig(name, root string, undecided func(sym string) bool) (*Config, error) {
	var c *Config
	switch {
	case name == "none":
		return nil, nil
	case name != "":
		var err error
		if c, err = LoadConfig(name); err != nil {
			return nil, err
		}
	case root == "" || !isKernelTree(root):
		return nil, nil
	case isFile(filepath.Join(root, ".config")):
		var err error
		if c, err = LoadConfig(filepath.Join(root, ".config")); err != nil {
			return nil, err
		}
	default:
		c = DefaultConfig()
	}
	return c.ForTree(root, undecided), nil
}

// isKernelTree reports whether dir is the top of a kernel tree, as
// FindRoot recognises one.
func isKernelTree(dir string) bool {
	return isFile(filepath.Join(dir, "Kconfig")) && isFile(filepath.Join(dir, "Makefile")) && isDir(filepath.Join(dir, "scripts"))
}
