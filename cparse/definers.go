// SPDX-License-Identifier: GPL-2.0-only

package cparse

// Functions a macro of the file defines: drivers/char/random.c writes
// get_random_u8/u16/u32/u64 as DEFINE_BATCHED_ENTROPY(u8) ... over a
// #define whose body is a function with "get_random_ ##type" for a name,
// drivers/pci/access.c its pci_bus_read_config_*() as
// PCI_OP_READ(byte, u8, 1). tree-sitter sees an invocation, not a
// function, so the functions, and what they do (get_random_u32() takes a
// local_lock), were unknown to every caller. Each invocation at the top
// level of the file is expanded here, the way the preprocessor would
// (parameters substituted, ## pasted, # stringized), on the lines of the
// macro's own definition, so that a chain through the function names the
// lines that define it.

import (
	"bytes"
	"strings"
)

// maxDefinerExpansions bounds the invocations of one file expanded.
const maxDefinerExpansions = 64

// definer is a function-like macro whose body defines a function with a
// pasted name.
type definer struct {
	defn   macroDefn
	params []string
	body   string // the definition's text with "#define NAME(...)" blanked, line breaks kept
	at     int    // offset of the body in the directive
}

// definerExpansions returns one text per top-level invocation of a
// definer macro of the file: the whole file's length in lines, empty but
// for the expanded body on the definition's lines.
//
// spans are the invocations' extents in orig, which the caller hides
// from tree-sitter: read as code, an invocation without its ';' swallows
// the function after it.
func definerExpansions(orig []byte, defs []macroDefn) (texts [][]byte, spans [][2]int) {
	ds := map[string]*definer{}
	for _, m := range defs {
		dir := orig[m.s:m.e]
		if !bytes.Contains(dir, []byte("##")) || !bytes.Contains(dir, []byte("{")) {
			continue
		}
		if d := parseDefiner(m, dir); d != nil {
			if _, dup := ds[m.name]; dup {
				ds[m.name] = nil // defined twice (#ifdef arms): not guessed
				continue
			}
			ds[m.name] = d
		}
	}
	if len(ds) == 0 {
		return nil, nil
	}
	for _, inv := range topLevelCalls(orig, ds) {
		if len(texts) >= maxDefinerExpansions {
			break
		}
		d := ds[inv.name]
		if d == nil || len(inv.args) != len(d.params) && !(len(d.params) > 0 && strings.HasSuffix(d.params[len(d.params)-1], "...")) {
			continue
		}
		body := substitute(d.body, d.params, inv.args)
		if body == "" {
			continue
		}
		var b bytes.Buffer
		b.Write(bytes.Repeat([]byte{'\n'}, bytes.Count(orig[:d.defn.s], []byte{'\n'})))
		b.WriteString(body)
		texts = append(texts, b.Bytes())
		spans = append(spans, [2]int{inv.s, inv.e})
	}
	return texts, spans
}

// parseDefiner reads "#define NAME(a, b) body" into its parameters and
// its body, the body keeping its line breaks and the text before it
// blanked.
func parseDefiner(m macroDefn, dir []byte) *definer {
	d, ok := readDirective(dir, m.name)
	if !ok {
		return nil
	}
	s, open, cl := d.text, d.open, d.close
	var params []string
	if list := strings.TrimSpace(s[open+1 : cl]); list != "" {
		for _, p := range strings.Split(list, ",") {
			p = strings.TrimSpace(p)
			if p == "..." {
				p = "__VA_ARGS__..."
			}
			if !isIdent(strings.TrimSuffix(p, "...")) {
				return nil
			}
			params = append(params, p)
		}
	}
	blank := []byte(s[:cl+1])
	for i := range blank {
		if blank[i] != '\n' {
			blank[i] = ' '
		}
	}
	return &definer{defn: m, params: params, body: string(blank) + s[cl+1:], at: cl + 1}
}

// invocation is a top-level use of a macro: NAME(args).
type invocation struct {
	name string
	args []string
	s, e int // from the name to after the ')'
}

// topLevelCalls finds the invocations of the definers at the top level
// of the file: outside braces, directives, comments and strings.
func topLevelCalls(src []byte, ds map[string]*definer) []invocation {
	var out []invocation
	depth := 0
	lineStart := true
	n := len(src)
	for i := 0; i < n; i++ {
		c := src[i]
		switch {
		case c == '\n':
			lineStart = true
			continue
		case c == ' ' || c == '\t' || c == '\r':
			continue
		case c == '#' && lineStart:
			for i < n && src[i] != '\n' {
				if src[i] == '\\' && i+1 < n && src[i+1] == '\n' {
					i++
				}
				i++
			}
			lineStart = true
			continue
		case c == '/' && i+1 < n && src[i+1] == '/':
			for i < n && src[i] != '\n' {
				i++
			}
			lineStart = true
			continue
		case c == '/' && i+1 < n && src[i+1] == '*':
			j := bytes.Index(src[i+2:], []byte("*/"))
			if j < 0 {
				return out
			}
			i += 2 + j + 1
			continue
		case c == '"' || c == '\'':
			i = skipQuoted(src, i, n) - 1
		case c == '{':
			depth++
		case c == '}':
			if depth > 0 {
				depth--
			}
		case depth == 0 && lineStart && isIdentStart(c):
			j := i
			for j < n && isIdentChar(src[j]) {
				j++
			}
			name := string(src[i:j])
			if _, ok := ds[name]; ok {
				k := j
				for k < n && (src[k] == ' ' || src[k] == '\t') {
					k++
				}
				if k < n && src[k] == '(' {
					if args, end, ok := invocationArgs(src, k); ok {
						out = append(out, invocation{name: name, args: args, s: i, e: end + 1})
						i = end
						lineStart = false
						continue
					}
				}
			}
			i = j - 1
		}
		lineStart = false
	}
	return out
}

// splitArgs reads the arguments of the call whose '(' is at open, and
// returns the offset of its ')'.
func invocationArgs(src []byte, open int) ([]string, int, bool) {
	var args []string
	depth := 0
	start := open + 1
	for i := open; i < len(src) && i-open < 4096; i++ {
		switch src[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				if a := strings.TrimSpace(string(src[start:i])); a != "" || len(args) > 0 {
					args = append(args, a)
				}
				return args, i, true
			}
		case ',':
			if depth == 1 {
				args = append(args, strings.TrimSpace(string(src[start:i])))
				start = i + 1
			}
		case '"', '\'':
			i = skipQuoted(src, i, len(src)) - 1
		case '\n':
			// An argument list over lines is fine; a directive inside is not.
			if i+1 < len(src) && src[i+1] == '#' {
				return nil, 0, false
			}
		}
	}
	return nil, 0, false
}

// substitute expands a macro body: parameters replaced by arguments, #p
// stringized, a ## b pasted. Line breaks are kept; "" when an argument
// holds one (it would shift the lines).
func substitute(body string, params, args []string) string {
	val := map[string]string{}
	for i, p := range params {
		if strings.HasSuffix(p, "...") {
			name := strings.TrimSuffix(p, "...")
			if name == "__VA_ARGS__" || name == "" {
				name = "__VA_ARGS__"
			}
			if i < len(args) {
				val[name] = strings.Join(args[i:], ", ")
			} else {
				val[name] = ""
			}
			break
		}
		if i >= len(args) {
			return ""
		}
		if strings.Contains(args[i], "\n") {
			return ""
		}
		val[p] = args[i]
	}
	var b strings.Builder
	b.Grow(len(body) + 64)
	paste := false // a ## is pending: no space before the next token
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == '#' && i+1 < len(body) && body[i+1] == '#':
			// Drop the spaces written before the ##, and those after it.
			out := strings.TrimRight(b.String(), " \t")
			b.Reset()
			b.WriteString(out)
			paste = true
			i += 2
			continue
		case c == '#':
			j := i + 1
			for j < len(body) && (body[j] == ' ' || body[j] == '\t') {
				j++
			}
			k := j
			for k < len(body) && isIdentChar(body[k]) {
				k++
			}
			if v, ok := val[body[j:k]]; ok && k > j {
				b.WriteString(`"` + strings.ReplaceAll(v, `"`, `\"`) + `"`)
				i = k
				paste = false
				continue
			}
			return "" // a directive or a stray '#': not C as written
		case (c == ' ' || c == '\t') && paste:
			i++
			continue
		case c == '"' || c == '\'':
			j := skipQuoted([]byte(body), i, len(body))
			b.WriteString(body[i:j])
			i = j
		case isIdentStart(c):
			j := i
			for j < len(body) && isIdentChar(body[j]) {
				j++
			}
			if v, ok := val[body[i:j]]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(body[i:j])
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
		paste = false
	}
	return b.String()
}
