// SPDX-License-Identifier: GPL-2.0-only

// Package config reads .lockbot.yaml, the settings a kernel tree carries for
// lockbot: whether PREEMPT_RT-only rules apply, which rules run and at what
// severity, which paths are not reviewed, extra knowledge-base files, and
// known findings suppressed by fingerprint with the reason they are wrong.
//
//	rt: true
//	rules:
//	  disable: [LOCK_ORDER_INVERSION]
//	  severity: {SLEEP_IN_RCU: warning}
//	skip: ["drivers/staging/**", "tools/**"]
//	kb: [lockbot-extra.yaml]
//	suppress:
//	  - fingerprint: 3f2a9c0d1e2b3a4f
//	    reason: "false alarm: the caller holds the lock"
//
// Unknown keys are errors, so that a misspelt setting fails loudly instead
// of silently doing nothing.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"
)

// FileName is the settings file Find looks for at the root of a tree.
const FileName = ".lockbot.yaml"

// MaxSize bounds the file Load reads: settings are small, and a bound keeps
// a mistaken path (a device, a huge log) from being read into memory.
const MaxSize = 1 << 20

// Severities are the values rules.severity accepts.
var severities = []string{"error", "warning", "info"}

// Config is the settings of one tree. The zero value and a nil *Config both
// mean the defaults, so callers without a settings file need no special case.
type Config struct {
	path     string
	noRT     bool // stored negated so that the zero value means rt: true
	disabled map[string]bool
	severity map[string]string
	skip     []string
	kb       []string
	suppress map[string]string
}

// Default returns the settings of a tree without .lockbot.yaml.
func Default() *Config { return &Config{} }

// Find returns root/.lockbot.yaml and whether it exists. Anything there that
// is not plainly absent counts as existing, so that Load reports what is
// wrong with it (a directory, no permission) instead of lockbot silently
// running with the defaults.
func Find(root string) (string, bool) {
	p := filepath.Join(root, FileName)
	if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
		return p, false
	}
	return p, true
}

// Load reads a settings file. validRules are the rule IDs lockbot knows
// (the names of rules.All()); a rule ID outside them is an error, since a
// typo would otherwise leave the rule enabled. Errors name the file.
func Load(file string, validRules []string) (*Config, error) {
	data, err := readBounded(file)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", file, err)
	}
	dir, err := filepath.Abs(filepath.Dir(file))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", file, err)
	}
	c, err := parse(data, dir, validRules)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", file, err)
	}
	c.path = file
	return c, nil
}

// Parse reads settings that are not a file on this machine: the GitHub App
// and the mail responder read .lockbot.yaml from a commit of the tree under
// review. name is what errors call it ("base:.lockbot.yaml"). Its kb
// entries are kept as the tree-relative slash paths written (checked only
// for staying inside the tree): KBFiles returns them for the caller to
// fetch from the same commit.
func Parse(data []byte, name string, validRules []string) (*Config, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("config %s: %d bytes, more than the %d a settings file may have", name, len(data), MaxSize)
	}
	c, err := parse(data, "", validRules)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	c.path = name
	return c, nil
}

func readBounded(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file")
	}
	if st.Size() > MaxSize {
		return nil, fmt.Errorf("%d bytes, more than the %d a settings file may have", st.Size(), MaxSize)
	}
	// The size can change between Stat and Read: read one byte past the
	// limit to notice.
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxSize {
		return nil, fmt.Errorf("more than the %d bytes a settings file may have", MaxSize)
	}
	return data, nil
}

// The YAML document. Leaves are scalars that remember their line, so that
// errors found after decoding (an unknown rule, a bad glob) can point at it.
type fileDoc struct {
	RT       *bool           `yaml:"rt"`
	Rules    rulesSection    `yaml:"rules"`
	Skip     []scalar        `yaml:"skip"`
	KB       []scalar        `yaml:"kb"`
	Suppress []suppressEntry `yaml:"suppress"`
}

type rulesSection struct {
	Disable  []scalar    `yaml:"disable"`
	Severity severityMap `yaml:"severity"`
}

type suppressEntry struct {
	Fingerprint scalar `yaml:"fingerprint"`
	Reason      scalar `yaml:"reason"`
}

// scalar is a string value with its line; Line 0 means absent.
type scalar struct {
	Value string
	Line  int
}

func (s *scalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a single value, not %s", n.Line, kindName(n))
	}
	s.Line = n.Line
	if n.ShortTag() != "!!null" {
		s.Value = n.Value
	}
	return nil
}

type severityMap []severityEntry

type severityEntry struct{ Rule, Severity scalar }

// UnmarshalYAML walks the mapping itself to keep each entry's line; a Go map
// would lose them and the order.
func (m *severityMap) UnmarshalYAML(n *yaml.Node) error {
	if n.ShortTag() == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: rules.severity wants a mapping of rule ID to severity, not %s", n.Line, kindName(n))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		var e severityEntry
		if err := e.Rule.UnmarshalYAML(n.Content[i]); err != nil {
			return err
		}
		if err := e.Severity.UnmarshalYAML(n.Content[i+1]); err != nil {
			return err
		}
		if first, ok := seen[e.Rule.Value]; ok {
			return fmt.Errorf("line %d: rule %q already given a severity at line %d", e.Rule.Line, e.Rule.Value, first)
		}
		seen[e.Rule.Value] = e.Rule.Line
		*m = append(*m, e)
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a " + n.ShortTag()
}

// parse reads a settings document; relative kb paths are taken from dir,
// or kept tree-relative when dir is "" (Parse).
func parse(data []byte, dir string, validRules []string) (*Config, error) {
	var doc fileDoc
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Default(), nil // an empty file is the defaults
		}
		return nil, friendlier(err)
	}
	// A second document would be silently ignored: refuse it.
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, friendlier(err)
		}
		return nil, fmt.Errorf("line %d: more than one YAML document", extra.Line)
	}

	c := &Config{
		disabled: map[string]bool{},
		severity: map[string]string{},
		suppress: map[string]string{},
	}
	if doc.RT != nil {
		c.noRT = !*doc.RT
	}
	known := map[string]bool{}
	for _, r := range validRules {
		known[r] = true
	}
	checkRule := func(s scalar, where string) error {
		if known[s.Value] {
			return nil
		}
		return fmt.Errorf("line %d: unknown rule %q in %s (known rules: %s)",
			s.Line, s.Value, where, strings.Join(sorted(validRules), ", "))
	}
	for _, r := range doc.Rules.Disable {
		if err := checkRule(r, "rules.disable"); err != nil {
			return nil, err
		}
		c.disabled[r.Value] = true
	}
	for _, e := range doc.Rules.Severity {
		if err := checkRule(e.Rule, "rules.severity"); err != nil {
			return nil, err
		}
		if !slices.Contains(severities, e.Severity.Value) {
			return nil, fmt.Errorf("line %d: severity %q for %s: want one of %s",
				e.Severity.Line, e.Severity.Value, e.Rule.Value, strings.Join(severities, ", "))
		}
		c.severity[e.Rule.Value] = e.Severity.Value
	}
	for _, s := range doc.Skip {
		p, err := skipPattern(s)
		if err != nil {
			return nil, err
		}
		c.skip = append(c.skip, p)
	}
	for _, k := range doc.KB {
		p, err := kbPath(k, dir)
		if err != nil {
			return nil, err
		}
		c.kb = append(c.kb, p)
	}
	for i, s := range doc.Suppress {
		line := max(s.Fingerprint.Line, s.Reason.Line)
		where := fmt.Sprintf("suppress entry %d", i+1)
		if line > 0 {
			where = fmt.Sprintf("line %d: %s", line, where)
		}
		fp := strings.TrimSpace(s.Fingerprint.Value)
		if fp == "" {
			return nil, fmt.Errorf("%s: fingerprint is required", where)
		}
		if strings.TrimSpace(s.Reason.Value) == "" {
			// The reason is what a later reader needs to judge whether the
			// suppression still holds.
			return nil, fmt.Errorf("%s: reason is required: say why finding %s is wrong", where, fp)
		}
		if _, dup := c.suppress[fp]; dup {
			return nil, fmt.Errorf("%s: fingerprint %s is suppressed twice", where, fp)
		}
		c.suppress[fp] = s.Reason.Value
	}
	return c, nil
}

func skipPattern(s scalar) (string, error) {
	p := strings.TrimPrefix(s.Value, "./")
	switch {
	case p == "":
		return "", fmt.Errorf("line %d: empty skip pattern", s.Line)
	case strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../"):
		return "", fmt.Errorf("line %d: skip pattern %q: patterns are slash paths relative to the tree root", s.Line, s.Value)
	case !doublestar.ValidatePattern(p):
		return "", fmt.Errorf("line %d: skip pattern %q is not a valid glob", s.Line, s.Value)
	}
	return p, nil
}

func kbPath(s scalar, dir string) (string, error) {
	if s.Value == "" {
		return "", fmt.Errorf("line %d: empty kb path", s.Line)
	}
	if dir == "" {
		p := path.Clean(strings.TrimPrefix(s.Value, "./"))
		if path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
			return "", fmt.Errorf("line %d: kb file %q: a path relative to the tree root is needed here", s.Line, s.Value)
		}
		return p, nil
	}
	p := filepath.FromSlash(s.Value)
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	p = filepath.Clean(p)
	// Checked here, not when the knowledge base loads, so that the error
	// points at the settings line that names the file.
	st, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("line %d: kb file %s: %w", s.Line, s.Value, err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("line %d: kb file %s is not a regular file", s.Line, s.Value)
	}
	return p, nil
}

var goTypes = strings.NewReplacer(
	"[]config.scalar", "a list",
	"[]config.suppressEntry", "a list of {fingerprint, reason} entries",
	"config.fileDoc", "the settings (a mapping)",
	"config.rulesSection", "rules (a mapping)",
	"config.suppressEntry", "a suppress entry (a mapping)",
	"config.scalar", "a value",
)

var unknownField = regexp.MustCompile(`^line (\d+): field (.*) not found in type config\.(\w+)$`)

// friendlier rewrites yaml.v3's "field x not found in type config.fileDoc",
// which names our Go types, into the key, where it was, and what is allowed.
func friendlier(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	sections := map[string]struct {
		where string
		typ   reflect.Type
	}{
		"fileDoc":       {"at the top level", reflect.TypeFor[fileDoc]()},
		"rulesSection":  {"under rules", reflect.TypeFor[rulesSection]()},
		"suppressEntry": {"in a suppress entry", reflect.TypeFor[suppressEntry]()},
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		if g := unknownField.FindStringSubmatch(m); g != nil {
			if s, ok := sections[g[3]]; ok {
				m = fmt.Sprintf("line %s: unknown key %q %s (known keys: %s)", g[1], g[2], s.where, strings.Join(yamlKeys(s.typ), ", "))
			}
		}
		msgs = append(msgs, goTypes.Replace(m))
	}
	return errors.New(strings.Join(msgs, "; "))
}

func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// Path is the file the settings came from, "" for the defaults.
func (c *Config) Path() string {
	if c == nil {
		return ""
	}
	return c.path
}

// RT reports whether PREEMPT_RT-only rules apply. The command line's
// --no-rt turns them off whatever the file says.
func (c *Config) RT() bool { return c == nil || !c.noRT }

// Enabled reports whether a rule runs.
func (c *Config) Enabled(rule string) bool { return c == nil || !c.disabled[rule] }

// Severity returns the severity the settings give a rule, or def.
func (c *Config) Severity(rule, def string) string {
	if c != nil {
		if s, ok := c.severity[rule]; ok {
			return s
		}
	}
	return def
}

// Skip reports whether a file is not to be reviewed. p is a path relative
// to the tree root, in slash or OS form. As in .gitignore, a pattern that
// matches a directory skips everything below it, so "tools" and "tools/**"
// both skip tools/perf/builtin-top.c.
func (c *Config) Skip(p string) bool {
	if c == nil || len(c.skip) == 0 {
		return false
	}
	p = path.Clean(filepath.ToSlash(p))
	if p == "." || path.IsAbs(p) || p == ".." || strings.HasPrefix(p, "../") {
		return false // not inside the tree: no pattern speaks of it
	}
	for _, pat := range c.skip {
		for q := p; ; {
			if doublestar.MatchUnvalidated(pat, q) {
				return true
			}
			i := strings.LastIndexByte(q, '/')
			if i < 0 {
				break
			}
			q = q[:i]
		}
	}
	return false
}

// Suppressed returns the reason a finding's fingerprint is suppressed.
func (c *Config) Suppressed(fingerprint string) (reason string, ok bool) {
	if c == nil {
		return "", false
	}
	reason, ok = c.suppress[fingerprint]
	return reason, ok
}

// KBFiles returns the extra knowledge-base files, as absolute paths, in the
// order given (later files override earlier ones in kb.Load).
func (c *Config) KBFiles() []string {
	if c == nil {
		return nil
	}
	return slices.Clone(c.kb)
}
