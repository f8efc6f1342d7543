// SPDX-License-Identifier: GPL-2.0-only

package diff

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
	"github.com/emersion/go-message/charset"
)

// input is one input stream (Read's reader, one of ReadFiles' files), with
// the offsets its lines start at, to turn byte offsets into line numbers.
type input struct {
	data   []byte
	starts []int
	source string
}

func newInput(data []byte, source string) *input {
	// Sized first: a line index grown by appends costs twice its size
	// in garbage, and a mail of short lines has many.
	starts := make([]int, 1, 1+bytes.Count(data, []byte{'\n'}))
	in := &input{data: data, source: source, starts: starts}
	for i, c := range data {
		if c == '\n' && i+1 < len(data) {
			in.starts = append(in.starts, i+1)
		}
	}
	return in
}

// line returns the 1-based line number of byte offset off.
func (in *input) line(off int) int {
	return sort.Search(len(in.starts), func(i int) bool { return in.starts[i] > off })
}

// parsed is one mail (or a whole plain diff) after reading.
type parsed struct {
	patch *Patch
	reply bool
	cover bool
	line  int // input line the mail starts at
}

// readInput splits one input into mails, or takes it whole as a plain diff,
// and parses each.
func readInput(data []byte, source string) ([]*parsed, error) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, fmt.Errorf("binary data (NUL byte at offset %d), not a patch or mbox", i)
	}
	first := 0 // offset of the first non-empty line
	for first < len(data) && (data[first] == '\n' || data[first] == '\r') {
		first++
	}
	l1, rest := cutLine(data[first:])
	l2, _ := cutLine(rest)
	switch {
	case isFromLine(l1) && isHeaderLine(l2):
		return readMbox(newInput(crlfToLF(data), source))
	case isMailStart(data[first:]):
		in := newInput(crlfToLF(data), source)
		start := 0
		for start < len(in.data) && (in.data[start] == '\n' || in.data[start] == '\r') {
			start++
		}
		m, err := readMail(in, 1, start, len(in.data))
		if err != nil {
			return nil, err
		}
		return []*parsed{m}, nil
	}
	p := &Patch{Version: 1, Source: source, mail: 1}
	files, preamble, err := parseSegment(p, segment{text: data, firstLine: 1})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("no diff found (not an mbox, a mail or a diff)")
	}
	p.Files = files
	headerFromPreamble(p, preamble)
	p.BaseCommit = baseCommit(data)
	return []*parsed{{patch: p, line: 1 + bytes.Count(data[:first], []byte{'\n'})}}, nil
}

// headerFromPreamble fills a plain diff's subject and author from the
// `git show` or `git log -p` header before it, when there is one. It is
// metadata only: a header go-gitdiff cannot read leaves them empty.
func headerFromPreamble(p *Patch, preamble string) {
	if !strings.HasPrefix(preamble, "commit ") {
		return
	}
	h, err := gitdiff.ParsePatchHeader(preamble)
	if err != nil {
		return
	}
	p.Subject = h.Title
	p.mailSubject = h.Title
	if h.Author != nil {
		p.From = h.Author.String()
	}
	if !h.AuthorDate.IsZero() {
		p.Date = h.AuthorDate.Format("Mon, 2 Jan 2006 15:04:05 -0700")
	}
}

func cutLine(b []byte) (line string, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return strings.TrimSuffix(string(b), "\r"), nil
	}
	return strings.TrimSuffix(string(b[:i]), "\r"), b[i+1:]
}

// crlfToLF drops the CR of CRLF line endings of a mail, as git mailsplit
// does; the number of lines does not change.
func crlfToLF(b []byte) []byte {
	if !bytes.Contains(b, []byte("\r\n")) {
		return b
	}
	return bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
}

// isFromLine reports whether line is an mbox "From " separator. A commit
// message may start a line with "From ", so like git mailsplit this wants
// the time and year of "From <addr> <date>" too.
func isFromLine(line string) bool {
	if len(line) < 20 || !strings.HasPrefix(line, "From ") {
		return false
	}
	return fromDate.MatchString(line[5:])
}

var fromDate = regexp.MustCompile(`\d:\d\d(:\d\d)? +(\d\d\d\d)`)

// headerName matches the start of a header field: printable ASCII other
// than ':' and then ':'.
var headerName = regexp.MustCompile(`^[!-9;-~]+:`)

func isHeaderLine(line string) bool { return headerName.MatchString(line) }

// isMailStart reports whether b starts with a mail's header block (a mail
// saved without the mbox "From " line, or a quilt patch with From: and
// Subject:): header fields and their continuations up to an empty line,
// among them From or Subject.
func isMailStart(b []byte) bool {
	seen := false
	for n := 0; ; n++ {
		var line string
		line, b = cutLine(b)
		switch {
		case line == "":
			return n > 0 && seen
		case line[0] == ' ' || line[0] == '\t':
			if n == 0 {
				return false
			}
		case isHeaderLine(line):
			name := strings.ToLower(line[:strings.IndexByte(line, ':')])
			if name == "from" || name == "subject" {
				seen = true
			}
		default:
			return false
		}
		if b == nil {
			return false
		}
	}
}

// readMbox splits an mbox at its "From " lines and reads each mail.
func readMbox(in *input) ([]*parsed, error) {
	var seps []int // offsets of separator lines
	for i, off := range in.starts {
		line, rest := cutLine(in.data[off:])
		if !isFromLine(line) {
			continue
		}
		next, _ := cutLine(rest)
		if i+1 < len(in.starts) && isHeaderLine(next) {
			seps = append(seps, off)
		}
	}
	var out []*parsed
	for k, off := range seps {
		end := len(in.data)
		if k+1 < len(seps) {
			end = seps[k+1]
		}
		start := off + bytes.IndexByte(in.data[off:], '\n') + 1
		m, err := readMail(in, k+1, start, end)
		if err != nil {
			return nil, err
		}
		m.line = in.line(off)
		out = append(out, m)
	}
	return out, nil
}

// readMail reads mail number num, in.data[start:end] from its first header.
func readMail(in *input, num, start, end int) (*parsed, error) {
	raw := in.data[start:end]
	p := &Patch{Source: in.source, mail: num, mailSubject: rawSubject(raw)}
	fail := func(err error) error {
		if p.mailSubject == "" {
			return fmt.Errorf("mail %d: %w", num, err)
		}
		return fmt.Errorf("mail %d (%q): %w", num, p.mailSubject, err)
	}
	hdrEnd := bytes.Index(raw, []byte("\n\n"))
	if hdrEnd < 0 {
		return nil, fail(errors.New("headers do not end with an empty line (truncated mail?)"))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw[:hdrEnd+2]))
	if err != nil {
		return nil, fail(fmt.Errorf("reading headers: %w", err))
	}
	p.mailSubject = decodeHeader(msg.Header.Get("Subject"))
	p.From = decodeHeader(msg.Header.Get("From"))
	p.Date = strings.TrimSpace(msg.Header.Get("Date"))
	p.MessageID = strings.TrimSpace(msg.Header.Get("Message-ID"))
	subj, err := parseSubject(p.mailSubject)
	if err != nil {
		return nil, fail(err)
	}
	p.Index, p.Total, p.Version, p.Subject = subj.index, subj.total, subj.version, subj.clean
	m := &parsed{patch: p, reply: subj.reply, cover: subj.total > 0 && subj.index == 0, line: in.line(start)}

	bodyOff := start + hdrEnd + 2
	parts := 0
	segs, err := bodySegments(in, textproto.MIMEHeader(msg.Header), in.data[bodyOff:end], bodyOff, 0, &parts)
	if err != nil {
		if m.reply {
			return m, nil // a reply is not taken; whatever it holds does not matter
		}
		return nil, fail(err)
	}
	for _, seg := range segs {
		if p.BaseCommit == "" {
			p.BaseCommit = baseCommit(seg.text)
		}
		if !hasDiffLine(seg.text) {
			// go-gitdiff would find no file in it and no error: a
			// cover letter, a signature part, a mailer's text around
			// the attachment. Not parsed: that costs far more than its
			// size.
			continue
		}
		files, _, err := parseSegment(p, seg)
		if err != nil {
			if m.reply {
				return m, nil
			}
			return nil, fail(err)
		}
		if len(files) > 0 && seg.decoded {
			p.Decoded = true
		}
		p.Files = append(p.Files, files...)
	}
	switch {
	case m.reply:
	case m.cover && len(p.Files) > 0:
		return nil, fail(errors.New("cover letter (0/N) carries a diff"))
	case !m.cover && len(p.Files) == 0:
		return nil, fail(errors.New("no diff found"))
	}
	return m, nil
}

// rawSubject finds the Subject of a header block that may not parse, to name
// the mail in an error.
func rawSubject(raw []byte) string {
	var subj []string
	for b := raw; b != nil; {
		var line string
		line, b = cutLine(b)
		switch {
		case line == "":
			return decodeHeader(strings.Join(subj, " "))
		case subj != nil && (line[0] == ' ' || line[0] == '\t'):
			subj = append(subj, line)
		case subj != nil:
			return decodeHeader(strings.Join(subj, " "))
		case len(line) >= 8 && strings.EqualFold(line[:8], "subject:"):
			subj = []string{line[8:]}
		}
	}
	return decodeHeader(strings.Join(subj, " "))
}

// decodeHeader decodes RFC 2047 encoded words; a header that does not decode
// (an unknown charset, a broken word) is kept as sent.
func decodeHeader(s string) string {
	d := mime.WordDecoder{CharsetReader: charset.Reader}
	if out, err := d.DecodeHeader(s); err == nil {
		s = out
	}
	return strings.Join(strings.Fields(s), " ")
}

var baseCommitLine = regexp.MustCompile(`(?m)^base-commit: *([0-9a-fA-F]{7,64})\s*$`)

// baseCommit returns the "base-commit:" trailer git format-patch --base
// writes, if text has one.
func baseCommit(text []byte) string {
	if m := baseCommitLine.FindSubmatch(text); m != nil {
		return strings.ToLower(string(m[1]))
	}
	return ""
}

// maxMultipartDepth bounds nested multiparts; mailers nest two or three.
const maxMultipartDepth = 8

// maxMIMEParts bounds the parts of one mail, nested ones included. A
// patch mail has one to three (the text, the patch attached, a
// signature), and git mailinfo and b4 read only the first text parts;
// each part read costs a header and a copy, so a mail of many tiny parts
// would cost many times its size. A mail with more is an error, not read
// in part: a patch cut at an arbitrary part would be reviewed as
// another.
const maxMIMEParts = 100

// diffLineStarts are, after a newline, the line starts go-gitdiff reads
// as the start of a file (a git or a traditional header) or of a hunk: a
// text with none holds no diff, and go-gitdiff finds no error in it
// either.
var diffLineStarts = [][]byte{[]byte("\ndiff --git "), []byte("\n--- "), []byte("\n@@ -")}

// hasDiffLine reports whether some line of text starts as a diff's
// header or hunk does.
func hasDiffLine(text []byte) bool {
	for _, start := range diffLineStarts {
		if bytes.HasPrefix(text, start[1:]) || bytes.Contains(text, start) {
			return true
		}
	}
	return false
}

// bodySegments returns the texts of a body (or of a part, at offset off of
// the input) that may hold a diff: the body itself, or the text parts of a
// multipart, decoded. parts counts the mail's MIME parts read so far.
func bodySegments(in *input, h textproto.MIMEHeader, body []byte, off, depth int, parts *int) ([]segment, error) {
	mediaType, params := "text/plain", map[string]string{}
	if ct := h.Get("Content-Type"); ct != "" {
		mt, ps, err := mime.ParseMediaType(ct)
		if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
			return nil, fmt.Errorf("bad Content-Type %q: %w", ct, err)
		}
		mediaType, params = mt, ps
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		return multipartSegments(in, body, params["boundary"], off, depth, parts)
	}
	if !mayHoldDiff(mediaType) {
		return nil, nil
	}
	var text []byte
	decoded := true
	switch cte := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); cte {
	case "", "7bit", "8bit", "binary":
		text, decoded = body, false
	case "quoted-printable":
		var err error
		if text, err = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body))); err != nil {
			return nil, fmt.Errorf("decoding quoted-printable body: %w", err)
		}
	case "base64":
		var err error
		if text, err = io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(body))); err != nil {
			return nil, fmt.Errorf("decoding base64 body: %w", err)
		}
	default:
		return nil, fmt.Errorf("unsupported Content-Transfer-Encoding %q", cte)
	}
	if decoded {
		if i := bytes.IndexByte(text, 0); i >= 0 {
			return nil, fmt.Errorf("decoded body holds binary data (NUL byte at offset %d)", i)
		}
		text = crlfToLF(text)
	}
	text, err := toUTF8(text, params["charset"])
	if err != nil {
		return nil, err
	}
	return []segment{{text: text, firstLine: in.line(off), decoded: decoded}}, nil
}

// mayHoldDiff reports whether a part of this type may be a patch: text other
// than HTML, or the generic types mailers give a .patch attachment.
func mayHoldDiff(mediaType string) bool {
	switch mediaType {
	case "text/html", "text/enriched", "text/richtext":
		return false
	case "application/octet-stream", "application/x-patch", "application/x-diff":
		return true
	}
	return strings.HasPrefix(mediaType, "text/")
}

func multipartSegments(in *input, body []byte, boundary string, off, depth int, parts *int) ([]segment, error) {
	if boundary == "" {
		return nil, errors.New("multipart body without a boundary")
	}
	if depth >= maxMultipartDepth {
		return nil, fmt.Errorf("multipart nested deeper than %d", maxMultipartDepth)
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var segs []segment
	from := 0 // where to look for the next part's content in body
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading multipart body: %w", err)
		}
		*parts++
		if *parts > maxMIMEParts {
			return nil, fmt.Errorf("more than %d MIME parts (a patch mail has a few; lockbot reads at most %d)", maxMIMEParts, maxMIMEParts)
		}
		content, err := io.ReadAll(part)
		if err != nil {
			return nil, fmt.Errorf("reading multipart body: %w", err)
		}
		// A raw part is a verbatim slice of the body, after its delimiter
		// line and header; finding it there gives its line.
		poff, found := off, false
		if start, ok := partStart(body, from, boundary); ok {
			poff, found = off+start, bytes.HasPrefix(body[start:], content)
			from = start
			if found {
				from += len(content)
			}
		}
		sub, err := bodySegments(in, part.Header, content, poff, depth+1, parts)
		if err != nil {
			return nil, err
		}
		for i := range sub {
			sub[i].decoded = sub[i].decoded || !found
		}
		segs = append(segs, sub...)
	}
	return segs, nil
}

// partStart returns where the content of the next part after offset from
// starts: after the next "--boundary" line and the part's header block.
func partStart(body []byte, from int, boundary string) (int, bool) {
	delim := []byte("--" + boundary)
	for i := from; i < len(body); {
		j := bytes.Index(body[i:], delim)
		if j < 0 {
			return 0, false
		}
		j += i
		if j > 0 && body[j-1] != '\n' {
			i = j + len(delim)
			continue // not at the start of a line
		}
		e := bytes.IndexByte(body[j:], '\n')
		if e < 0 {
			return 0, false
		}
		e += j + 1 // the line after the delimiter
		if e < len(body) && body[e] == '\n' {
			return e + 1, true // no header
		}
		h := bytes.Index(body[e:], []byte("\n\n"))
		if h < 0 {
			return 0, false
		}
		return e + h + 2, true
	}
	return 0, false
}

// toUTF8 converts a text part to UTF-8, as git mailinfo does: the common
// charsets here, the others (windows-1252, KOI8-R, ...) through go-message's
// charset tables, which cover what mailers send. A text in a charset no
// table knows is accepted when it is plain ASCII, which makes it moot.
func toUTF8(text []byte, cs string) ([]byte, error) {
	switch strings.ToLower(cs) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return text, nil
	case "iso-8859-1", "latin1", "iso8859-1":
		if isASCII(text) {
			return text, nil
		}
		out := make([]byte, 0, len(text)+len(text)/8)
		for _, c := range text {
			out = utf8.AppendRune(out, rune(c))
		}
		return out, nil
	}
	if isASCII(text) {
		return text, nil
	}
	r, err := charset.Reader(cs, bytes.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("unsupported charset %q", cs)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("charset %q: %w", cs, err)
	}
	return out, nil
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// subject is what a patch mail's subject says besides its title.
type subject struct {
	index, total, version int
	reply                 bool
	clean                 string
}

var (
	numbering  = regexp.MustCompile(`^(\d{1,9})/(\d{1,9})$`)
	versionTok = regexp.MustCompile(`^[vV](\d{1,9})$`)
)

// parseSubject reads "Re: [RFC PATCH net-next v2 03/10] title". Like git
// mailinfo it strips every leading "Re:" and bracketed group; the numbering
// and version come from the tokens of the groups.
func parseSubject(s string) (subject, error) {
	out := subject{version: 1}
	numbered, versioned := false, false
	for {
		s = strings.TrimLeft(s, " \t:")
		if len(s) >= 3 && strings.EqualFold(s[:3], "re:") {
			out.reply = true
			s = s[3:]
			continue
		}
		if !strings.HasPrefix(s, "[") {
			break
		}
		end := strings.IndexByte(s, ']')
		if end < 0 {
			break
		}
		for _, tok := range strings.Fields(s[1:end]) {
			if m := numbering.FindStringSubmatch(tok); m != nil && !numbered {
				out.index, _ = strconv.Atoi(m[1])
				out.total, _ = strconv.Atoi(m[2])
				numbered = true
				if out.total == 0 || out.index > out.total {
					return out, fmt.Errorf("bad numbering %s in subject", tok)
				}
			} else if m := versionTok.FindStringSubmatch(tok); m != nil && !versioned {
				v, _ := strconv.Atoi(m[1])
				if v > 0 {
					out.version, versioned = v, true
				}
			}
		}
		s = s[end+1:]
	}
	out.clean = strings.TrimSpace(s)
	return out, nil
}
