// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"lockbot/flow"
	"lockbot/review"
	"lockbot/rules"
)

// GitHubOptions place a review on a pull request.
type GitHubOptions struct {
	// RepoURL is the repository's web address (https://github.com/o/r)
	// and Head the PR's head commit: chain steps link to lines there.
	RepoURL, Head string
	// Base names what the PR was reviewed against ("master at 1a2b3c4").
	Base string
	NoRT bool
}

// ghMarker is the hidden trace of a finding in a comment or a review
// body, by which a later push knows it was said.
var ghMarker = regexp.MustCompile(`<!-- lockbot:fp=([0-9a-f]{1,64}) -->`)

const ghResolvedMarker = "<!-- lockbot:resolved -->"

// GitHubMarker is the hidden marker of a finding's fingerprint.
func GitHubMarker(fingerprint string) string { return "<!-- lockbot:fp=" + fingerprint + " -->" }

// GitHubMarkers are the fingerprints marked in a comment or review body.
func GitHubMarkers(body string) []string {
	var out []string
	for _, m := range ghMarker.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// GitHubIsResolved reports whether a comment was edited as resolved.
func GitHubIsResolved(body string) bool { return strings.Contains(body, ghResolvedMarker) }

// GitHubResolved is a comment's body edited to say its finding is gone at
// commit head: a line on top, the original kept folded below it.
func GitHubResolved(body, head string) string {
	if GitHubIsResolved(body) {
		return body
	}
	return fmt.Sprintf("**Resolved** in %s: lockbot no longer finds this.\n%s\n\n<details><summary>What it said</summary>\n\n%s\n\n</details>",
		ghShort(head), ghResolvedMarker, body)
}

// GitHubComment is the inline review comment on f's line: the finding's
// sentence, its chain as a short list linking each step to its line in
// the head commit, the fix, and the hidden marker.
func GitHubComment(f *review.Finding, opt GitHubOptions) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** `%s`: %s\n", f.Severity.Level(), f.Rule, ghProse(f.Message))
	ghChain(&b, f.Finding, opt)
	if len(f.Also) > 0 {
		b.WriteString("\nThe same cause, also reached:\n")
		ghSteps(&b, AlsoSteps(f.Finding, f.Also), opt)
	}
	if f.Fix != "" {
		fmt.Fprintf(&b, "\n**Fix:** %s\n", ghProse(f.Fix))
	}
	b.WriteString("\n<sub>lockbot, an automated lock-semantics review; it can be wrong.")
	if f.RTOnly {
		b.WriteString(" This matters on PREEMPT_RT kernels only.")
	}
	b.WriteString("</sub>\n")
	b.WriteString(GitHubMarker(f.Fingerprint))
	return b.String()
}

func ghChain(b *strings.Builder, f *rules.Finding, opt GitHubOptions) {
	if len(f.Chain) == 0 {
		return
	}
	b.WriteString("\n")
	ghSteps(b, f.Chain, opt)
}

func ghSteps(b *strings.Builder, steps []flow.Step, opt GitHubOptions) {
	for _, s := range steps {
		fn := ""
		if s.Func != "" {
			fn = " `" + s.Func + "()`"
		}
		fmt.Fprintf(b, "- %s%s: %s\n", ghLink(s.File, s.Line, opt), fn, ghProse(s.Note))
	}
}

// ghLink is path:line linked to that line of the head commit.
func ghLink(path string, line int, opt GitHubOptions) string {
	label := fmt.Sprintf("%s:%d", path, line)
	if opt.RepoURL == "" || opt.Head == "" || line <= 0 {
		return "`" + label + "`"
	}
	u := strings.TrimSuffix(opt.RepoURL, "/") + "/blob/" + opt.Head + "/" + (&url.URL{Path: path}).EscapedPath()
	return fmt.Sprintf("[`%s`](%s#L%d)", label, u, line)
}

// GitHubReview is what one review posts.
type GitHubReview struct {
	// Inline are the findings posted as comments on their lines.
	Inline []*review.Finding
	// Listed are findings in the body: those on no line of the diff, and
	// those past the comments one review may carry.
	Listed []*review.Finding
	// StillOpen counts findings earlier reviews posted that remain.
	StillOpen int
	// Resolved counts findings of the base the PR removes.
	Resolved int
	// Notes say what was not reviewed and why (a binary file, a file too
	// large), one line each.
	Notes   []string
	Unknown []string
	// CallersNotSeen: see review.Result.
	CallersNotSeen []string
}

// GitHubReviewBody is the body of a review: a count of what it posts and
// the base it was checked against, the findings without a line of their
// own, the notes, and a marker for each listed finding.
func GitHubReviewBody(r GitHubReview, opt GitHubOptions) string {
	var b strings.Builder
	all := append(append([]*review.Finding(nil), r.Inline...), r.Listed...)
	errs, warns, checks := 0, 0, 0
	for _, f := range all {
		switch f.Severity.Level() {
		case "ERROR":
			errs++
		case "WARNING":
			warns++
		default:
			checks++
		}
	}
	var counts []string
	if errs > 0 {
		counts = append(counts, plural(errs, "error"))
	}
	if warns > 0 {
		counts = append(counts, plural(warns, "warning"))
	}
	if checks > 0 {
		counts = append(counts, plural(checks, "check"))
	}
	what := "no new lock problems"
	if len(all) > 0 {
		what = fmt.Sprintf("%s this pull request introduces (%s)", plural(len(all), "lock problem"), strings.Join(counts, ", "))
	}
	rt := "PREEMPT_RT rules on"
	if opt.NoRT {
		rt = "PREEMPT_RT rules off"
	}
	base := rt
	if opt.Base != "" {
		base = "base: " + ghEscape(opt.Base) + ", " + rt
	}
	fmt.Fprintf(&b, "lockbot found %s (%s).", what, base)
	if n := len(r.Inline); n > 0 && len(r.Listed) > 0 {
		fmt.Fprintf(&b, " %d on the lines below, %d here.", n, len(r.Listed))
	}
	if r.StillOpen > 0 {
		fmt.Fprintf(&b, " %s from earlier pushes still %s.", plural(r.StillOpen, "finding"), ghVerb(r.StillOpen, "stands", "stand"))
	}
	if r.Resolved > 0 {
		fmt.Fprintf(&b, " It also removes %s the base had.", plural(r.Resolved, "finding"))
	}
	b.WriteString("\n")
	head := b.String()

	// The parts past the head, each dropped from its end as needed to
	// fit GitHub's bound on a body, which refuses the whole review.
	sections := make([]string, len(r.Listed))
	for i, f := range r.Listed {
		var s strings.Builder
		fmt.Fprintf(&s, "\n---\n\n**%s** `%s` at %s: %s\n", f.Severity.Level(), f.Rule, ghLink(f.File, f.Line, opt), ghProse(f.Message))
		ghChain(&s, f.Finding, opt)
		if len(f.Also) > 0 {
			s.WriteString("\nThe same cause, also reached:\n")
			ghSteps(&s, AlsoSteps(f.Finding, f.Also), opt)
		}
		if f.Fix != "" {
			fmt.Fprintf(&s, "\n**Fix:** %s\n", ghProse(f.Fix))
		}
		sections[i] = s.String()
	}
	var notes []string
	for _, n := range r.Notes {
		notes = append(notes, fmt.Sprintf("- Not reviewed: %s\n", ghEscape(n)))
	}
	for _, note := range []string{UnknownNote(r.Unknown, false), CallersNote(r.CallersNotSeen)} {
		if note != "" {
			notes = append(notes, fmt.Sprintf("- %s\n", ghEscape(strings.TrimPrefix(note, "NOTE: "))))
		}
	}
	const footer = "\n<sub>lockbot, an automated lock-semantics review; it can be wrong.</sub>\n"
	markers := make([]string, len(r.Listed))
	for i, f := range r.Listed {
		markers[i] = GitHubMarker(f.Fingerprint) + "\n"
	}
	// Room for the lines saying what was left out.
	const slack = 200
	size := func(parts []string) int {
		n := 0
		for _, p := range parts {
			n += len(p)
		}
		return n
	}
	total := func() int { return len(head) + size(sections) + 1 + size(notes) + len(footer) + size(markers) }
	dropped, droppedNotes := 0, 0
	for total() > GitHubMaxBody-slack && len(sections) > 0 {
		sections, dropped = sections[:len(sections)-1], dropped+1
	}
	for total() > GitHubMaxBody-slack && len(notes) > 0 {
		notes, droppedNotes = notes[:len(notes)-1], droppedNotes+1
	}
	// Markers last: the store records the findings anyway; a marker
	// only lets a run that died before recording know what it posted.
	for total() > GitHubMaxBody-slack && len(markers) > 0 {
		markers = markers[:len(markers)-1]
	}

	b.Reset()
	b.WriteString(head)
	for _, s := range sections {
		b.WriteString(s)
	}
	if dropped > 0 {
		fmt.Fprintf(&b, "\n---\n\n%s more %s past what one review can hold: see the check run's annotations.\n",
			strconv.Itoa(dropped), noun(dropped, "finding"))
	}
	if len(notes) > 0 || droppedNotes > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			b.WriteString(n)
		}
		if droppedNotes > 0 {
			fmt.Fprintf(&b, "- and %d more %s, on the check run\n", droppedNotes, noun(droppedNotes, "note"))
		}
	}
	b.WriteString(footer)
	for _, m := range markers {
		b.WriteString(m)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// GitHubMaxBody is the longest body GitHub takes for a review or a
// comment: 65536 characters, here counted as bytes, which are never
// fewer.
const GitHubMaxBody = 65536

// GitHubCheckTitle is a check run's title: what the PR introduces.
func GitHubCheckTitle(res *review.Result) string {
	c := countFindings(res)
	if c.errors+c.warnings+c.checks == 0 {
		return "No lock problems introduced"
	}
	parts := []string{}
	if c.errors > 0 {
		parts = append(parts, plural(c.errors, "error"))
	}
	if c.warnings > 0 {
		parts = append(parts, plural(c.warnings, "warning"))
	}
	if c.checks > 0 {
		parts = append(parts, plural(c.checks, "check"))
	}
	return strings.Join(parts, ", ")
}

// GitHubAnnotation is a finding as a check-run annotation's message and
// raw details (plain text: annotations do not render Markdown).
func GitHubAnnotation(f *review.Finding) (message, details string) {
	var d strings.Builder
	for _, s := range f.Chain {
		fmt.Fprintf(&d, "%s:%d: %s(): %s\n", s.File, s.Line, s.Func, s.Note)
	}
	if len(f.Also) > 0 {
		d.WriteString("the same cause, also reached:\n")
		for _, s := range AlsoSteps(f.Finding, f.Also) {
			fmt.Fprintf(&d, "  %s:%d: %s(): %s\n", s.File, s.Line, s.Func, s.Note)
		}
	}
	if f.Fix != "" {
		fmt.Fprintf(&d, "fix: %s\n", f.Fix)
	}
	return f.Message, strings.TrimSuffix(d.String(), "\n")
}

// ghEscape keeps kernel C in prose from being read as Markdown or HTML:
// "*p", "__init", "<linux/mm.h>" stay as written. File names come from
// the pull request: an "@name" in one must not mention anyone (a zero
// width space after the "@" breaks the mention, and "&" is written as an
// entity so that "&commat;" cannot make one).
var ghEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "|", `\|`, "~", `\~`, "#", `\#`, "&", "&amp;", "@", "@\u200b")

func ghEscape(s string) string { return ghEscaper.Replace(s) }

func ghShort(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func ghVerb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ghProse writes text that mixes prose and C for Markdown: each C
// expression ("spin_lock_irqsave(&m->lock, flags)", "struct
// bar::stats_lock", "spinlock_t") becomes a code span, which GitHub shows
// as written, and the prose between is escaped (ghEscape).
func ghProse(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if i == 0 || s[i-1] == ' ' {
			// Opening parentheses of prose ("held (spin_lock(&l))")
			// stay prose.
			for i < len(s) && s[i] == '(' {
				b.WriteString("(")
				i++
			}
			if end := codeWordEnd(s, i); end > i {
				ghCode(&b, s[i:end])
				i = end
				continue
			}
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		b.WriteString(ghEscape(string(r)))
		i += w
	}
	return b.String()
}

// codeWordEnd returns where the word at i ends when it is C: a call with
// its balanced arguments (spaces included), or a word with an
// underscore, "->", "::", "&" or a leading "*". It returns i otherwise.
// Trailing punctuation of the sentence (",.;:") and a closing parenthesis
// without its opening one stay out.
func codeWordEnd(s string, i int) int {
	j, depth := i, 0
	for j < len(s) {
		c := s[j]
		if c == ' ' && depth == 0 {
			break
		}
		if c == '(' || c == '[' {
			depth++
		} else if c == ')' || c == ']' {
			if depth == 0 {
				break
			}
			depth--
		}
		j++
	}
	if depth != 0 {
		return i
	}
	for j > i && strings.ContainsRune(",.;:", rune(s[j-1])) && !strings.HasSuffix(s[i:j], "::") {
		j--
	}
	w := s[i:j]
	if w == "" || !(isIdentStart(w[0]) || w[0] == '&' || w[0] == '*') {
		return i
	}
	if strings.ContainsAny(w, "(_&") || strings.Contains(w, "->") || strings.Contains(w, "::") || w[0] == '*' {
		return j
	}
	return i
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// ghCode writes a code span, with a fence longer than any run of
// backquotes inside.
func ghCode(b *strings.Builder, code string) {
	fence := "`"
	for strings.Contains(code, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(code, "`") || strings.HasSuffix(code, "`") {
		pad = " "
	}
	b.WriteString(fence + pad + code + pad + fence)
}
