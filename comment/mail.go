// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"bytes"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"lockbot/diff"
	"lockbot/flow"
	"lockbot/review"
	"lockbot/rules"
)

// MailPatch is the patch mail a reply answers.
type MailPatch struct {
	// MessageID and References are the mail's own, without angle brackets.
	MessageID  string
	References []string
	// Subject is as sent ("[PATCH 2/2] quux: ..."), decoded; From and
	// Date are the mail's headers, for the attribution line.
	Subject, From, Date string
	// Patch is the patch the mail carries: the reply quotes its hunks.
	Patch *diff.Patch
}

// MailOptions are the reply's own headers and what the summary says.
type MailOptions struct {
	From   string   // the sender, "lockbot <lockbot@example.org>"
	To, Cc []string // addresses as a header writes them
	// MessageID is the reply's, without angle brackets: the caller makes
	// it stable so that a reply is recognised when it comes back.
	MessageID string
	Date      time.Time
	// Base names what the patch was applied to ("base-commit 3cade1f3d077").
	Base string
	NoRT bool
	// UserAgent goes into X-Mailer, for other bots' loop guards.
	UserAgent string
	// Archive is the list archive's link prefix for a message ID
	// ("https://lore.kernel.org/r/"): the reply links the patch, and its
	// credit lines close this reply's own link. "": no links.
	Archive string
	// Reporter is who the credit lines name ("lockbot
	// <lockbot@example.org>"); "": From.
	Reporter string
}

// mailWidth is the column prose is wrapped at; quotes and code are not.
const mailWidth = 72

// mailMaxReferences bounds the References header: the thread's root and
// the last ones are what threading needs.
const mailMaxReferences = 20

// mailContext is how many hunk lines before a finding's line are quoted.
const mailContext = 3

// MailReply writes a plain-text reply to a patch mail, as a kernel reviewer
// would: threaded under the patch, an attribution line, a summary naming
// the base, and for each finding the hunk lines that lead to its line
// quoted ("> "), cut with "[ ... ]", then the finding as a question with
// its chain and the fix. Findings should be the ones the patch introduced;
// with none, the reply says the patch was found clean. Nothing above the
// "-- " signature reads as a trailer to git interpret-trailers or b4: the
// reply is refused rather than sent otherwise.
func MailReply(w io.Writer, orig MailPatch, findings []*review.Finding, opt MailOptions) error {
	for i, f := range findings {
		if f == nil || f.Finding == nil {
			return fmt.Errorf("comment: mail finding %d is empty", i)
		}
	}
	var b strings.Builder
	mailProse(&b, mailSummary(orig, findings, opt))
	if opt.Archive != "" && orig.MessageID != "" {
		fmt.Fprintf(&b, "\n  %s\n", opt.Archive+url.PathEscape(orig.MessageID))
	}
	b.WriteString("\n")
	if len(findings) > 0 {
		// The attribution introduces the quotes, right above them, as
		// the 0-day bot and reviewers write it.
		mailAttribution(&b, orig)
		mailFindings(&b, orig.Patch, findings)
		mailCredits(&b, opt)
	}
	return mailWrite(w, orig, b.String(), mailSignature(findings), opt)
}

// mailCredits are the tags a fix in a separate patch should carry, each
// behind "| " as the 0-day bot writes them, so that b4 and git
// interpret-trailers do not take them for this mail's own trailers.
func mailCredits(b *strings.Builder, opt MailOptions) {
	who := opt.Reporter
	if who == "" {
		who = opt.From
	}
	if who == "" {
		return
	}
	mailProse(b, "If you fix this in a separate patch (not just a new version of this one), please add these tags:")
	fmt.Fprintf(b, "| Reported-by: %s\n", who)
	if opt.Archive != "" && opt.MessageID != "" {
		fmt.Fprintf(b, "| Closes: %s\n", opt.Archive+url.PathEscape(opt.MessageID))
	}
	b.WriteString("\n")
}

// MailNote writes a short reply to a patch mail with a fixed text: what
// lockbot says when it could not review a series (it did not apply).
func MailNote(w io.Writer, orig MailPatch, text string, opt MailOptions) error {
	var b strings.Builder
	mailProse(&b, text)
	return mailWrite(w, orig, b.String(), mailSignature(nil), opt)
}

func mailWrite(w io.Writer, orig MailPatch, body, sig string, opt MailOptions) error {
	full := strings.TrimRight(body, "\n") + "\n\n-- \n" + sig
	if line, ok := mailTrailerLine(body + "\n" + sig); ok {
		return fmt.Errorf("comment: mail reply line %q would read as a trailer", line)
	}
	// Invalid UTF-8 from a patch line would make the declared charset a lie.
	full = strings.ToValidUTF8(full, "\uFFFD")
	cte := "8bit"
	var enc bytes.Buffer
	if mailLongLine(full) {
		// SMTP allows 998 octets a line; only quoted-printable carries a
		// longer patch line unchanged.
		cte = "quoted-printable"
		qp := quotedprintable.NewWriter(&enc)
		if _, err := qp.Write([]byte(full)); err != nil {
			return err
		}
		if err := qp.Close(); err != nil {
			return err
		}
	} else {
		enc.WriteString(full)
	}
	h, err := mailHeader(orig, opt, cte)
	if err != nil {
		return err
	}
	var hb bytes.Buffer
	if err := textproto.WriteHeader(&hb, h.Header.Header); err != nil {
		return err
	}
	if _, err := w.Write(bytes.ReplaceAll(hb.Bytes(), []byte("\r\n"), []byte("\n"))); err != nil {
		return err
	}
	_, err = w.Write(bytes.ReplaceAll(enc.Bytes(), []byte("\r\n"), []byte("\n")))
	return err
}

func mailHeader(orig MailPatch, opt MailOptions, cte string) (gomail.Header, error) {
	var h gomail.Header
	from, err := mail.ParseAddress(opt.From)
	if err != nil {
		return h, fmt.Errorf("comment: reply sender %q: %w", opt.From, err)
	}
	to, err := mailAddresses(opt.To)
	if err != nil {
		return h, err
	}
	if len(to) == 0 {
		return h, fmt.Errorf("comment: a reply needs a recipient")
	}
	cc, err := mailAddresses(append(append([]string(nil), opt.To...), opt.Cc...))
	if err != nil {
		return h, err
	}
	cc = cc[len(to):] // without the ones To has already
	if orig.MessageID == "" || opt.MessageID == "" {
		return h, fmt.Errorf("comment: a reply needs its own Message-ID and the one it answers")
	}
	date := opt.Date
	if date.IsZero() {
		date = time.Now()
	}
	// go-message writes fields in the reverse order of Set: set them last
	// first so that they come in the usual order, From first, the MIME
	// fields last.
	h.Set("Content-Transfer-Encoding", cte)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("MIME-Version", "1.0")
	if opt.UserAgent != "" {
		h.Set("X-Mailer", opt.UserAgent)
	}
	h.Set("Auto-Submitted", "auto-generated")
	refs := append(append([]string(nil), orig.References...), orig.MessageID)
	if len(refs) > mailMaxReferences {
		refs = append(refs[:1], refs[len(refs)-mailMaxReferences+1:]...)
	}
	h.SetMsgIDList("References", refs)
	h.SetMsgIDList("In-Reply-To", []string{orig.MessageID})
	h.SetMessageID(opt.MessageID)
	h.SetDate(date)
	subject := strings.Join(strings.Fields(orig.Subject), " ")
	if !mailIsReply(subject) {
		subject = "Re: " + subject
	}
	h.SetSubject(subject)
	if len(cc) > 0 {
		h.SetAddressList("Cc", cc)
	}
	h.SetAddressList("To", to)
	h.SetAddressList("From", []*gomail.Address{from})
	return h, nil
}

func mailAddresses(list []string) ([]*gomail.Address, error) {
	var out []*gomail.Address
	seen := map[string]bool{}
	for _, s := range list {
		a, err := mail.ParseAddress(s)
		if err != nil {
			return nil, fmt.Errorf("comment: reply recipient %q: %w", s, err)
		}
		if k := strings.ToLower(a.Address); !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out, nil
}

var mailReplyPrefix = regexp.MustCompile(`(?i)^re:`)

func mailIsReply(subject string) bool { return mailReplyPrefix.MatchString(subject) }

// mailLongLine reports whether a line is over what SMTP carries.
func mailLongLine(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		if len(l) > 998 {
			return true
		}
	}
	return false
}

func mailAttribution(b *strings.Builder, orig MailPatch) {
	who := orig.From
	if a, err := mail.ParseAddress(orig.From); err == nil && a.Name != "" {
		who = a.Name
	}
	// The name is the sender's to choose, RFC 2047 lets it hold line
	// breaks, and the attribution is one line.
	who = strings.Join(strings.Fields(who), " ")
	if who == "" {
		who = "the author"
	}
	if orig.Date != "" {
		// Written as a line, not prose: it ends in "wrote:" and must not
		// be wrapped into the quote.
		fmt.Fprintf(b, "On %s, %s wrote:\n", strings.Join(strings.Fields(orig.Date), " "), who)
		return
	}
	fmt.Fprintf(b, "%s wrote:\n", who)
}

func mailSummary(orig MailPatch, findings []*review.Finding, opt MailOptions) string {
	what := "this patch"
	if p := orig.Patch; p != nil && p.Total > 1 {
		what = fmt.Sprintf("this patch (%d/%d)", p.Index, p.Total)
	}
	rt := "with the PREEMPT_RT rules on"
	if opt.NoRT {
		rt = "with the PREEMPT_RT rules off"
	}
	base := ""
	if opt.Base != "" {
		base = " against " + opt.Base
	}
	var found string
	switch n := len(findings); n {
	case 0:
		found = "found no locking problem it introduces."
	case 1:
		found = "found one locking problem it seems to introduce, below."
	default:
		found = fmt.Sprintf("found %d locking problems it seems to introduce, below.", n)
	}
	return fmt.Sprintf("lockbot, an automated reviewer, checked %s%s %s, and %s", what, base, rt, found)
}

// mailFindings quotes, for each file and hunk holding findings, the lines
// leading to each finding's line, with the finding right under it.
// Findings the hunks do not show follow, unquoted.
func mailFindings(b *strings.Builder, p *diff.Patch, findings []*review.Finding) {
	type placed struct {
		f    *review.Finding
		file int // index in p.Files
		frag int // index in the file's fragments
		line int // index of the line in the fragment
	}
	var shown []placed
	var unshown []*review.Finding
	for _, f := range findings {
		fi, fr, li, ok := mailLocate(p, f.File, f.Line)
		if !ok {
			unshown = append(unshown, f)
			continue
		}
		shown = append(shown, placed{f, fi, fr, li})
	}
	sort.SliceStable(shown, func(i, j int) bool {
		a, c := shown[i], shown[j]
		if a.file != c.file {
			return a.file < c.file
		}
		if a.frag != c.frag {
			return a.frag < c.frag
		}
		return a.line < c.line
	})
	lastFile, lastFrag, next := -1, -1, 0 // next: first line of the fragment not yet quoted
	for _, s := range shown {
		file := p.Files[s.file]
		frag := file.TextFragments[s.frag]
		if s.file != lastFile {
			fmt.Fprintf(b, "> diff --git a/%s b/%s\n", mailName(file.OldName, file.NewName), mailName(file.NewName, file.OldName))
			lastFrag = -1
		}
		if s.frag != lastFrag {
			b.WriteString("[ ... ]\n")
			fmt.Fprintf(b, "> %s\n", mailHunkHeader(frag))
			next = 0
		}
		lastFile, lastFrag = s.file, s.frag
		from := max(s.line-mailContext, next)
		if from-next <= 1 {
			from = next // "[ ... ]" for one line is no shorter than the line
		}
		if from > next {
			b.WriteString("[ ... ]\n")
		}
		for i := from; i <= s.line; i++ {
			l := frag.Lines[i]
			q := "> " + l.Op.String() + strings.TrimRight(l.Line, "\r\n")
			if strings.TrimSpace(q[1:]) == "" {
				q = ">" // an empty context line, without trailing blanks
			}
			b.WriteString(q + "\n")
		}
		if s.line+1 > next {
			next = s.line + 1
		}
		b.WriteString("\n")
		mailFinding(b, s.f)
	}
	for _, f := range unshown {
		mailProse(b, fmt.Sprintf("In %s, around line %d, which the patch does not show:", f.File, f.Line))
		b.WriteString("\n")
		mailFinding(b, f)
	}
}

func mailName(name, other string) string {
	if name == "" {
		return other
	}
	return name
}

// mailLocate finds the hunk line that shows new-side line n of path.
func mailLocate(p *diff.Patch, path string, n int) (file, frag, line int, ok bool) {
	if p == nil {
		return 0, 0, 0, false
	}
	for fi, f := range p.Files {
		if f.NewName != path || f.IsDelete {
			continue
		}
		for fr, tf := range f.TextFragments {
			at := int(tf.NewPosition)
			for li, l := range tf.Lines {
				if l.Op == gitdiff.OpDelete {
					continue
				}
				if at == n {
					return fi, fr, li, true
				}
				at++
			}
		}
	}
	return 0, 0, 0, false
}

func mailHunkHeader(f *gitdiff.TextFragment) string {
	rng := func(pos, n int64) string {
		if n == 1 {
			return fmt.Sprint(pos)
		}
		return fmt.Sprintf("%d,%d", pos, n)
	}
	h := fmt.Sprintf("@@ -%s +%s @@", rng(f.OldPosition, f.OldLines), rng(f.NewPosition, f.NewLines))
	if c := strings.TrimSpace(f.Comment); c != "" {
		h += " " + c
	}
	return h
}

// mailQuestions open each finding: a reviewer asks, the author knows.
var mailQuestions = map[string]string{
	"RT_SLEEPING_LOCK_IN_ATOMIC": "Can this sleep in atomic context on PREEMPT_RT?",
	"SLEEP_IN_ATOMIC":            "Can this sleep in atomic context?",
	"SLEEP_IN_RCU":               "Can this sleep inside an RCU read-side critical section?",
	"ALLOC_IN_RAW_ATOMIC":        "Is this allocation safe on PREEMPT_RT?",
	"NOWAIT_MAY_BLOCK":           "Can this block a NOWAIT request?",
	"LOCK_LEAK":                  "Is the lock released on this path?",
	"DOUBLE_LOCK":                "Is this lock already held here?",
	"UNLOCK_NOT_HELD":            "Is this lock still held here?",
	"LOCK_ORDER_INVERSION":       "Can these two locks deadlock?",
	"WAIT_UNDER_LOCK":            "Can this wait deadlock?",
	"SEQCOUNT_WRITE_PREEMPTIBLE": "Can this seqcount writer be preempted?",
}

func mailFinding(b *strings.Builder, f *review.Finding) {
	q, ok := mailQuestions[f.Rule]
	if !ok {
		q = "Is this locking right?"
	}
	msg := strings.TrimSpace(f.Message)
	msg = strings.TrimRight(msg, ".")
	if len(f.Chain) > 0 {
		msg += ":"
	} else {
		msg += "."
	}
	mailProse(b, q+" "+msg)
	b.WriteString("\n")
	if len(f.Chain) > 0 {
		mailChain(b, f.Chain)
		b.WriteString("\n")
	}
	if len(f.Also) > 0 {
		mailProse(b, "The same cause is also reached here:")
		b.WriteString("\n")
		mailChain(b, AlsoSteps(f.Finding, f.Also))
		b.WriteString("\n")
	}
	if fix := strings.TrimSpace(strings.TrimRight(f.Fix, ".")); fix != "" {
		if r, _ := utf8.DecodeRuneInString(fix); unicode.IsLower(r) {
			mailProse(b, "Could you "+fix+"?")
		} else {
			mailProse(b, "One fix: "+fix+".")
		}
		b.WriteString("\n")
	}
}

// mailChain writes the chain in columns: where, which function, what.
// A step whose line would pass mailWidth puts its note on the lines
// below, indented and wrapped; no line starts with a "word:" a trailer
// parser would take.
func mailChain(b *strings.Builder, chain []flow.Step) {
	wLoc, wFn := 0, 0
	locs := make([]string, len(chain))
	fns := make([]string, len(chain))
	for i, s := range chain {
		locs[i] = fmt.Sprintf("%s:%d", s.File, s.Line)
		fns[i] = s.Func + "()"
		wLoc, wFn = max(wLoc, len(locs[i])), max(wFn, len(fns[i]))
	}
	for i, s := range chain {
		line := fmt.Sprintf("  %-*s  %-*s  %s", wLoc, locs[i], wFn, fns[i], s.Note)
		if utf8.RuneCountInString(line) <= mailWidth {
			b.WriteString(line + "\n")
			continue
		}
		fmt.Fprintf(b, "  %s  %s\n", locs[i], fns[i])
		for _, l := range mailWrap(s.Note, mailWidth-6) {
			b.WriteString("      " + l + "\n")
		}
	}
}

// mailSignature is the part under "-- ": who wrote the reply and where
// the rules it cites are documented.
func mailSignature(findings []*review.Finding) string {
	var b strings.Builder
	b.WriteString("lockbot, an automated lock-semantics review; it can be wrong.\n")
	refs := map[string]string{}
	for _, a := range rules.All() {
		refs[a.Name] = a.Ref
	}
	seen := map[string]bool{}
	for _, f := range findings {
		if seen[f.Rule] || refs[f.Rule] == "" {
			continue
		}
		seen[f.Rule] = true
		mailProse(&b, fmt.Sprintf("About %s, see %s.", f.Rule, refs[f.Rule]))
	}
	return b.String()
}

// mailProse writes a paragraph wrapped at mailWidth, and never lets a
// wrapped line start with a "word:" token, which b4 and git
// interpret-trailers would take for a trailer ("base: ..."): such a line
// takes one more word from the line before.
func mailProse(b *strings.Builder, text string) {
	for _, l := range mailWrap(text, mailWidth) {
		b.WriteString(l)
		b.WriteString("\n")
	}
}

func mailWrap(text string, width int) []string {
	words := strings.Fields(text)
	var lines [][]string
	var cur []string
	n := 0 // columns of cur
	cols := func(ws []string) int {
		c := 0
		for i, w := range ws {
			if i > 0 {
				c++
			}
			c += utf8.RuneCountInString(w)
		}
		return c
	}
	for _, w := range words {
		if len(cur) > 0 && n+1+utf8.RuneCountInString(w) > width {
			// A line about to start with "word:" starts with the word
			// before it instead. The words taken are part of the new
			// line before it is filled, so that it keeps to the width.
			var moved []string
			for first := w; mailTrailerToken(first) && len(cur) > 1; first = moved[0] {
				moved = append([]string{cur[len(cur)-1]}, moved...)
				cur = cur[:len(cur)-1]
			}
			lines = append(lines, cur)
			cur = moved
			n = cols(cur)
		}
		if len(cur) > 0 {
			n++
		}
		cur = append(cur, w)
		n += utf8.RuneCountInString(w)
	}
	if len(cur) > 0 {
		lines = append(lines, cur)
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if len(l) > 0 {
			out = append(out, strings.Join(l, " "))
		}
	}
	return out
}

// mailTrailerToken reports whether a line starting with word would look
// like a trailer: b4 takes any `^\s*\w\S+:\s+\S` line, git a token of
// letters, digits and '-' before ':'.
func mailTrailerToken(word string) bool {
	if !strings.HasSuffix(word, ":") || len(word) < 2 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(word)
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// mailTrailerRe is b4's trailer pattern (b4's LoreMessage.find_trailers),
// and git's: a token of letters, digits and '-', then ':'.
var (
	mailTrailerRe    = regexp.MustCompile(`^\s*\w\S+:\s+\S`)
	mailGitTrailerRe = regexp.MustCompile(`^[A-Za-z0-9-]+\s*:`)
)

// mailTrailerLine returns the first line of text that a trailer parser
// would take, if any. Quoted lines start with '>', which neither takes.
func mailTrailerLine(text string) (string, bool) {
	for _, l := range strings.Split(text, "\n") {
		if mailTrailerRe.MatchString(l) || mailGitTrailerRe.MatchString(l) {
			return l, true
		}
	}
	return "", false
}
