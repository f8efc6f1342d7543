// SPDX-License-Identifier: GPL-2.0-only

package cparse

// The lexer serves the expression parser: tree-sitter gives statement
// structure, and expressions are read from the source text in Go because a
// cgo call per tree node costs as much as the parse itself (see README,
// "Design notes").

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tString
	tChar
	tPunct
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset in the file
}

// lex splits src[start:end] into tokens. Comments, line continuations and
// preprocessor lines are skipped; positions stay file offsets.
func lex(src []byte, start, end int) []token {
	return lexInto(nil, src, "", start, end)
}

// lexInto is lex appending to toks[:0]. When str is src as a string, the
// tokens' texts are slices of it rather than strings of their own: a file
// is converted once, not token by token.
func lexInto(toks []token, src []byte, str string, start, end int) []token {
	toks = toks[:0]
	text := func(a, b int) string {
		if str != "" {
			return str[a:b]
		}
		return string(src[a:b])
	}
	i := start
	lineStart := true
	for i < end {
		c := src[i]
		switch {
		case c == '\n':
			lineStart = true
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case c == '\\' && i+1 < end && (src[i+1] == '\n' || src[i+1] == '\r'):
			i += 2
			continue
		case c == '/' && i+1 < end && src[i+1] == '/':
			for i < end && src[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < end && src[i+1] == '*':
			i += 2
			for i+1 < end && !(src[i] == '*' && src[i+1] == '/') {
				i++
			}
			i += 2
			continue
		case c == '#' && lineStart:
			// A preprocessor line inside an expression: skip it with its
			// continuations.
			for i < end && src[i] != '\n' {
				if src[i] == '\\' && i+1 < end && src[i+1] == '\n' {
					i++
				}
				i++
			}
			continue
		}
		lineStart = false
		s := i
		switch {
		case isIdentStart(c):
			for i < end && isIdentChar(src[i]) {
				i++
			}
			// L"..." and u8"..." prefixes
			if i < end && (src[i] == '"' || src[i] == '\'') && i-s <= 2 {
				i = skipQuoted(src, i, end)
				toks = append(toks, token{tString, text(s, i), s})
				continue
			}
			toks = append(toks, token{tIdent, text(s, i), s})
		case c >= '0' && c <= '9' || c == '.' && i+1 < end && src[i+1] >= '0' && src[i+1] <= '9':
			for i < end && (isIdentChar(src[i]) || src[i] == '.' ||
				(src[i] == '+' || src[i] == '-') && (src[i-1] == 'e' || src[i-1] == 'E' || src[i-1] == 'p' || src[i-1] == 'P')) {
				i++
			}
			toks = append(toks, token{tNumber, text(s, i), s})
		case c == '"':
			i = skipQuoted(src, i, end)
			toks = append(toks, token{tString, text(s, i), s})
		case c == '\'':
			i = skipQuoted(src, i, end)
			toks = append(toks, token{tChar, text(s, i), s})
		default:
			n := punctLen(src, i, end)
			i += n
			toks = append(toks, token{tPunct, text(s, i), s})
		}
	}
	return toks
}

func skipQuoted(src []byte, i, end int) int {
	q := src[i]
	i++
	for i < end && src[i] != q {
		if src[i] == '\\' {
			i++
		} else if src[i] == '\n' {
			return i
		}
		i++
	}
	if i < end {
		i++
	} else if i > end {
		i = end // a backslash was the last byte
	}
	return i
}

var punct3 = []string{"<<=", ">>=", "...", "->*"}
var punct2 = []string{"->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
	"+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "##", "::"}

func punctLen(src []byte, i, end int) int {
	for _, p := range punct3 {
		if i+3 <= end && string(src[i:i+3]) == p {
			return 3
		}
	}
	for _, p := range punct2 {
		if i+2 <= end && src[i] == p[0] && src[i+1] == p[1] {
			return 2
		}
	}
	return 1
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '$'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9'
}

// ValueIdents returns the identifiers the source uses as values: not
// followed by '(' (a function whose name appears so has its address taken).
func ValueIdents(src []byte) map[string]bool {
	toks := lex(src, 0, len(src))
	out := map[string]bool{}
	for i, t := range toks {
		if t.kind != tIdent {
			continue
		}
		if i+1 < len(toks) && toks[i+1].kind == tPunct && toks[i+1].text == "(" {
			continue
		}
		out[t.text] = true
	}
	return out
}
