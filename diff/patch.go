// SPDX-License-Identifier: GPL-2.0-only

package diff

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// Patch is one patch of a series: one mail, one patch file, or a whole plain
// diff.
type Patch struct {
	// Index and Total come from a "[PATCH v2 3/5]" subject (3 and 5); both
	// are 0 for an unnumbered patch or a plain diff.
	Index, Total int
	// Version is 2 for "[PATCH v2 ...]", 1 when the subject names none.
	Version int
	// Subject is the cleaned subject, "dm snapshot: fix locking": encoded
	// words decoded, folding undone, "[PATCH ...]" and "Re:" removed.
	Subject string
	// From, Date and MessageID are the mail's headers when it has them; From
	// has its encoded words decoded.
	From, Date, MessageID string
	// Source is the file the patch was read from by ReadFiles; empty for
	// Read and FromGit. PatchLine's numbers count lines of this input.
	Source string
	// Decoded is true when the diff came from a quoted-printable or base64
	// body (or attachment): see the package documentation for what
	// PatchLine counts then.
	Decoded bool
	// Files are the files the patch changes, in the order it shows them.
	// Names are slash-separated and relative, without the "a/" "b/" prefixes.
	Files []*gitdiff.File
	// BaseCommit is the "base-commit:" trailer if this mail carries one.
	BaseCommit string

	mail        int    // 1-based mail number in its input, for messages
	mailSubject string // subject as sent (decoded, unfolded), for messages
	lines       map[string][]shownLine
}

// shownLine is a line a hunk shows on the new side.
type shownLine struct {
	newLine   int    // line number in the new file
	inputLine int    // line number in the input
	text      string // marker and content, without the line ending
	added     bool
}

// PatchLine reports where the patch shows line newLine of the new version of
// path (the file's new name): the 1-based line number in the input and the
// patch line, its '+' or ' ' marker followed by the content. ok is false when
// no hunk of the patch shows that line.
func (p *Patch) PatchLine(path string, newLine int) (n int, text string, ok bool) {
	l, ok := p.shown(path, newLine)
	if !ok {
		return 0, "", false
	}
	return l.inputLine, l.text, true
}

// renumber counts the patch's input lines from a point n lines further
// on: its own first line becomes line 1 when n is the lines before it.
func (p *Patch) renumber(n int) {
	if n <= 0 {
		return
	}
	for _, ls := range p.lines {
		for i := range ls {
			ls[i].inputLine -= n
		}
	}
}

// Added reports whether the patch adds line newLine of the new version of
// path, as opposed to showing it as context or not at all.
func (p *Patch) Added(path string, newLine int) bool {
	l, ok := p.shown(path, newLine)
	return ok && l.added
}

func (p *Patch) shown(path string, newLine int) (shownLine, bool) {
	ls := p.lines[path]
	i := sort.Search(len(ls), func(i int) bool { return ls[i].newLine >= newLine })
	if i < len(ls) && ls[i].newLine == newLine {
		return ls[i], true
	}
	return shownLine{}, false
}

// HunkText reassembles what the patch shows of one file on one side, for a
// reviewer without the base tree: the lines of its hunks (context and added
// lines for the new side, context and removed lines for the old side) at
// their own line numbers, and empty lines in between, so that a line of the
// result has the number it has in the real file. path is the file's name on
// that side (a renamed file's new name for the new side, old name for the
// old), or else on the other. The result is nil when the patch does not touch
// path or shows no line of that side.
func (p *Patch) HunkText(path string, newSide bool) []byte {
	f := p.file(path, newSide)
	if f == nil {
		return nil
	}
	var b bytes.Buffer
	at := 1 // the line the next byte written to b starts
	for _, frag := range f.TextFragments {
		n := frag.OldPosition
		if newSide {
			n = frag.NewPosition
		}
		for _, l := range frag.Lines {
			if (newSide && !l.New()) || (!newSide && !l.Old()) {
				continue
			}
			// Hunks come in order and do not overlap in a valid patch; a
			// line a malformed one places earlier than what is already
			// written is dropped rather than misnumbering the rest.
			if int64(at) > n {
				n++
				continue
			}
			for ; int64(at) < n; at++ {
				b.WriteByte('\n')
			}
			b.WriteString(l.Line)
			if l.NoEOL() {
				b.WriteByte('\n')
			}
			at++
			n++
		}
	}
	if b.Len() == 0 {
		return nil
	}
	return b.Bytes()
}

// file finds the file of the patch named path on one side, or else on the
// other, so that a swap of two names by renames resolves by side.
func (p *Patch) file(path string, newSide bool) *gitdiff.File {
	for _, first := range []bool{true, false} {
		for _, f := range p.Files {
			name := f.OldName
			if newSide == first {
				name = f.NewName
			}
			if name == path && path != "" {
				return f
			}
		}
	}
	return nil
}

// maxLinePosition bounds the line a hunk may start at. The largest files of
// the kernel (generated register headers) have a few hundred thousand lines;
// a hunk far beyond is garbage, and would make HunkText write that many
// empty lines.
const maxLinePosition = 1 << 20

// segment is text a diff is parsed from: the input, a mail body or an
// attachment, decoded.
type segment struct {
	text      []byte
	firstLine int  // the input line the text's first line is at
	decoded   bool // text is a decoding of the input, not a slice of it
}

// gitdiffLine matches the position go-gitdiff puts in its parse errors, to
// restate it as a line of the input.
var gitdiffLine = regexp.MustCompile(`^gitdiff: line (\d+): `)

// parseSegment parses the diff in seg and records, for p, which input line
// shows each new-side line. It returns the files found, none if seg holds no
// diff, and the text before the first.
func parseSegment(p *Patch, seg segment) ([]*gitdiff.File, string, error) {
	files, preamble, err := gitdiff.Parse(bytes.NewReader(seg.text))
	if err != nil {
		msg := err.Error()
		if m := gitdiffLine.FindStringSubmatch(msg); m != nil {
			if n, cerr := strconv.Atoi(m[1]); cerr == nil {
				return nil, "", fmt.Errorf("line %d: %s", seg.firstLine+n-1, msg[len(m[0]):])
			}
		}
		return nil, "", err
	}
	if len(files) == 0 {
		return nil, preamble, nil
	}
	if err := mapLines(p, seg, files); err != nil {
		return nil, "", err
	}
	return files, preamble, nil
}

// splitLines splits b after each '\n', keeping it; the last line may lack it.
func splitLines(b []byte) []string {
	n := bytes.Count(b, []byte{'\n'})
	lines := make([]string, 0, n+1)
	s := string(b)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// mapLines walks seg's lines as go-gitdiff did, finding each file's header
// and each hunk in order, to record the input line of every new-side line
// (go-gitdiff keeps no positions) and to name the files of headers without
// git's "a/" "b/" convention.
func mapLines(p *Patch, seg segment, files []*gitdiff.File) error {
	lines := splitLines(seg.text)
	if p.lines == nil {
		p.lines = make(map[string][]shownLine)
	}
	pos := 0
	for _, f := range files {
		for pos < len(lines) && !strings.HasPrefix(lines[pos], "diff --git ") && !isTraditionalHeader(lines, pos) {
			pos++
		}
		if pos == len(lines) {
			return fmt.Errorf("internal error: file header for %s not found", fileName(f))
		}
		if !strings.HasPrefix(lines[pos], "diff --git ") {
			nameTraditional(f, lines[pos], lines[pos+1])
		}
		pos++
		path := f.NewName
		for _, frag := range f.TextFragments {
			for pos < len(lines) && !strings.HasPrefix(lines[pos], "@@ -") {
				pos++
			}
			if pos == len(lines) {
				return fmt.Errorf("internal error: hunk %s of %s not found", hunkHeader(frag), fileName(f))
			}
			if frag.OldPosition > maxLinePosition || frag.NewPosition > maxLinePosition {
				return fmt.Errorf("line %d: hunk %s of %s starts past line %d, beyond any source file", seg.firstLine+pos, hunkHeader(frag), fileName(f), maxLinePosition)
			}
			pos++
			newLine := int(frag.NewPosition)
			for i := 0; i < len(frag.Lines); pos++ {
				if pos == len(lines) {
					return fmt.Errorf("internal error: hunk %s of %s ends early", hunkHeader(frag), fileName(f))
				}
				l := lines[pos]
				if l[0] == '\\' {
					continue // "\ No newline at end of file" is about the line before
				}
				op := frag.Lines[i].Op
				if marker(l[0]) != op {
					return fmt.Errorf("internal error: line %d does not match hunk %s of %s", seg.firstLine+pos, hunkHeader(frag), fileName(f))
				}
				if op != gitdiff.OpDelete && path != "" && !f.IsDelete {
					p.lines[path] = append(p.lines[path], shownLine{
						newLine:   newLine,
						inputLine: seg.firstLine + pos,
						text:      op.String() + strings.TrimRight(frag.Lines[i].Line, "\r\n"),
						added:     op == gitdiff.OpAdd,
					})
					newLine++
				}
				i++
			}
		}
	}
	for path, ls := range p.lines {
		sort.SliceStable(ls, func(i, j int) bool { return ls[i].newLine < ls[j].newLine })
		p.lines[path] = ls
	}
	return nil
}

// marker returns the operation of a hunk line's first byte as go-gitdiff
// reads it: an empty line is context, as newer GNU diff writes it.
func marker(c byte) gitdiff.LineOp {
	switch c {
	case '+':
		return gitdiff.OpAdd
	case '-':
		return gitdiff.OpDelete
	case ' ', '\n':
		return gitdiff.OpContext
	}
	return -1
}

// isTraditionalHeader reports whether lines[i:] starts a "---"/"+++" file
// header by go-gitdiff's own test, so both walks agree on where files start.
func isTraditionalHeader(lines []string, i int) bool {
	const shortestHunkHeader = "@@ -1 +1 @@\n"
	return i+2 < len(lines) &&
		strings.HasPrefix(lines[i], "--- ") &&
		strings.HasPrefix(lines[i+1], "+++ ") &&
		len(lines[i+2]) >= len(shortestHunkHeader) &&
		strings.HasPrefix(lines[i+2], "@@ -")
}

// nameTraditional names a file whose header is "--- old" "+++ new" without
// git's header. go-gitdiff keeps those names whole; git apply strips the
// first directory (-p1), which is right for "a/x b/x" and "linux.orig/x
// linux/x" but wrong for `diff -u drivers/x.c.orig drivers/x.c`. So the first
// directory is stripped only when the two names have different ones or, when
// one side is /dev/null, when it is git's "a/" or "b/".
func nameTraditional(f *gitdiff.File, oldLine, newLine string) {
	const devNull = "/dev/null"
	oldName := traditionalName(oldLine[len("--- "):])
	newName := traditionalName(newLine[len("+++ "):])
	if oldName != devNull && newName != devNull {
		od, orest, ook := strings.Cut(oldName, "/")
		nd, nrest, nok := strings.Cut(newName, "/")
		if ook && nok && od != nd && orest != "" && nrest != "" {
			oldName, newName = orest, nrest
		}
	} else {
		for _, n := range []*string{&oldName, &newName} {
			if rest, ok := strings.CutPrefix(*n, "a/"); ok && rest != "" {
				*n = rest
			} else if rest, ok := strings.CutPrefix(*n, "b/"); ok && rest != "" {
				*n = rest
			}
		}
	}
	switch {
	case f.IsNew:
		f.NewName = newName
	case f.IsDelete:
		f.OldName = oldName
	default:
		// go-gitdiff's choice between the two names, on the stripped names.
		name := newName
		if strings.HasPrefix(newName, oldName) {
			name = oldName
		}
		f.OldName, f.NewName = name, name
	}
}

// traditionalName reads the name of a "---"/"+++" header: quoted, or up to
// the tab before a timestamp.
func traditionalName(s string) string {
	s = strings.TrimRight(s, "\r\n")
	if strings.HasPrefix(s, `"`) {
		for i := 1; i < len(s); i++ {
			if s[i] == '"' && s[i-1] != '\\' {
				if name, err := strconv.Unquote(s[:i+1]); err == nil {
					return cleanSlashes(name)
				}
				break
			}
		}
	}
	name, _, _ := strings.Cut(s, "\t")
	return cleanSlashes(name)
}

// cleanSlashes collapses repeated slashes, as go-gitdiff does.
func cleanSlashes(s string) string {
	for strings.Contains(s, "//") {
		s = strings.ReplaceAll(s, "//", "/")
	}
	return s
}

func fileName(f *gitdiff.File) string {
	if f.NewName != "" {
		return f.NewName
	}
	return f.OldName
}

// hunkHeader formats a hunk's header as git writes it, without the function
// context: "@@ -120,7 +121,9 @@".
func hunkHeader(f *gitdiff.TextFragment) string {
	rng := func(pos, n int64) string {
		if n == 1 {
			return strconv.FormatInt(pos, 10)
		}
		return strconv.FormatInt(pos, 10) + "," + strconv.FormatInt(n, 10)
	}
	return "@@ -" + rng(f.OldPosition, f.OldLines) + " +" + rng(f.NewPosition, f.NewLines) + " @@"
}
