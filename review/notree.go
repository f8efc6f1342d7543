// SPDX-License-Identifier: GPL-2.0-only

package review

import (
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"

	"lockbot/diff"
)

// hunkFile rebuilds one side of a file from what a patch shows of it, for
// --no-tree: the hunks' lines at their own line numbers (blank lines
// between), plus, for a hunk that starts inside a function, the function's
// signature from the hunk heading ("@@ -34,6 +34,7 @@ unsigned int
// qux_len(struct qux_queue *q)") on the blank line before it, and the
// braces the hunk leaves open closed on the line after it. The parser then
// sees whole functions, their unseen lines left out.
func hunkFile(p *diff.Patch, f *gitdiff.File, newSide bool) []byte {
	name := f.NewName
	if !newSide {
		name = f.OldName
	}
	text := p.HunkText(name, newSide)
	if text == nil {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	shown := make([]bool, len(lines)+1) // 1-based line numbers
	type span struct {
		start, n int
		heading  string
		body     []string
	}
	var spans []span
	for _, frag := range f.TextFragments {
		sp := span{start: int(frag.NewPosition), heading: strings.TrimSpace(frag.Comment)}
		if !newSide {
			sp.start = int(frag.OldPosition)
		}
		for _, l := range frag.Lines {
			if newSide && l.New() || !newSide && l.Old() {
				sp.body = append(sp.body, strings.TrimSuffix(l.Line, "\n"))
			}
		}
		sp.n = len(sp.body)
		for i := sp.start; i < sp.start+sp.n && i < len(shown); i++ {
			if i > 0 {
				shown[i] = true
			}
		}
		spans = append(spans, sp)
	}
	free := func(line int) bool {
		return line >= 1 && line <= len(lines) && !shown[line] && strings.TrimSpace(lines[line-1]) == ""
	}
	for _, sp := range spans {
		depth := 0
		if startsInside(sp.body) && isSignature(sp.heading) && free(sp.start-1) {
			lines[sp.start-2] = sp.heading + " {"
			shown[sp.start-1] = true
			depth = 1
		}
		depth += braceDepth(sp.body)
		if depth <= 0 {
			continue
		}
		closing := strings.Repeat("}", depth)
		switch end := sp.start + sp.n; {
		case end == len(lines)+1:
			lines = append(lines, closing)
			shown = append(shown, true)
		case free(end):
			lines[end-1] = closing
			shown[end] = true
		}
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// startsInside reports a hunk whose first non-blank line is indented or
// closes a block: it begins inside a function.
func startsInside(body []string) bool {
	for _, l := range body {
		if strings.TrimSpace(l) == "" {
			continue
		}
		return l[0] == '\t' || l[0] == ' ' || l[0] == '}'
	}
	return false
}

// isSignature reports a hunk heading that is a whole function signature:
// balanced parentheses, not a declaration or a macro line.
func isSignature(h string) bool {
	if h == "" || strings.HasSuffix(h, ";") || strings.HasPrefix(h, "#") || strings.ContainsAny(h, "{}=") {
		return false
	}
	open := strings.Count(h, "(")
	return open > 0 && open == strings.Count(h, ")") && strings.HasSuffix(h, ")")
}

// braceDepth counts the braces lines leave open, outside comments and
// string and character literals.
func braceDepth(body []string) int {
	depth := 0
	inComment := false
	for _, l := range body {
		inString := byte(0)
		for i := 0; i < len(l); i++ {
			c := l[i]
			switch {
			case inComment:
				if c == '*' && i+1 < len(l) && l[i+1] == '/' {
					inComment = false
					i++
				}
			case inString != 0:
				if c == '\\' {
					i++
				} else if c == inString {
					inString = 0
				}
			case c == '/' && i+1 < len(l) && l[i+1] == '/':
				i = len(l)
			case c == '/' && i+1 < len(l) && l[i+1] == '*':
				inComment = true
				i++
			case c == '"' || c == '\'':
				inString = c
			case c == '{':
				depth++
			case c == '}':
				depth--
			}
		}
	}
	return depth
}
