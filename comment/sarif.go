// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"lockbot/flow"
	"lockbot/review"
	"lockbot/rules"
)

// FingerprintKey names lockbot's fingerprint in partialFingerprints; the
// version lets the fingerprint's recipe change without GitHub matching
// old alerts against new hashes.
const FingerprintKey = "lockbot/v1"

// kernelDoc matches a reference into the kernel's Documentation tree,
// which docs.kernel.org publishes under the same path.
var kernelDoc = regexp.MustCompile(`Documentation/([A-Za-z0-9_./-]+)\.rst`)

// SARIF writes a patch review as a SARIF 2.1.0 log, as GitHub code
// scanning and SARIF viewers read it: one run, one rule per analyzer, one
// result per finding with its chain as a code flow (GitHub's "Show paths")
// and as related locations. Resolved findings are listed in the run's
// properties, not as results: GitHub ignores baselineState and would open
// an alert for an "absent" result; it closes the alert itself when a
// later analysis no longer reports it.
func SARIF(w io.Writer, res *review.Result, analyzers []*rules.Analyzer, toolVersion string) error {
	if err := checkResult(res); err != nil {
		return err
	}
	report, err := sarif.New(sarif.Version210)
	if err != nil {
		return err
	}
	// No informationUri: the project has no public home yet, and the
	// field is optional.
	run := sarif.NewRun(*sarif.NewSimpleTool("lockbot"))
	if toolVersion != "" {
		run.Tool.Driver.WithVersion(toolVersion)
	}
	for _, a := range analyzers {
		run.Tool.Driver.AddRule(sarifRule(a))
	}
	for _, f := range res.Findings {
		if _, err := run.GetRuleById(f.Rule); err != nil {
			// go-sarif indexes a result by its rule; a rule missing from
			// the driver would get index -1 wrapped to a huge uint.
			run.Tool.Driver.AddRule(sarif.NewRule(f.Rule).
				WithShortDescription(sarif.NewMultiformatMessageString(f.Rule)))
		}
		run.AddResult(sarifResult(f))
	}
	run.Properties = sarif.Properties{
		"no_tree":  res.NoTree,
		"resolved": sarifResolved(res.Resolved),
	}
	if len(res.NotAnalysed) > 0 {
		// What the review could not analyse is about the run, not a
		// result: a code-scanning alert would outlive the next push.
		inv := run.AddInvocation(true)
		for _, na := range res.NotAnalysed {
			n := sarif.NewNotification().WithLevel("warning").WithTextMessage(NotAnalysedText(na))
			n.AddLocation(sarifLocation(na.File, na.Line, ""))
			inv.AddTToolExecutionNotification(n)
		}
	}
	report.AddRun(run)
	// go-sarif's PrettyWrite HTML-escapes "&b->lock" into "\u0026b-\u003elock",
	// unreadable in the raw file; the document is the same JSON either way.
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(report)
}

func sarifRule(a *rules.Analyzer) *sarif.ReportingDescriptor {
	title := a.Title
	if title == "" {
		title = a.Name
	}
	r := sarif.NewRule(a.Name).
		WithName(ruleName(a.Name)).
		WithShortDescription(sarif.NewMultiformatMessageString(title)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(a.Severity)))
	if a.Doc != "" {
		r.WithFullDescription(sarif.NewMultiformatMessageString(unwrap(a.Doc)))
	}
	var text, md []string
	if a.Fix != "" {
		text = append(text, "Fix: "+a.Fix)
		md = append(md, "**Fix:** "+a.Fix)
	}
	if a.Ref != "" {
		text = append(text, "See: "+a.Ref)
		md = append(md, "**See:** "+kernelDoc.ReplaceAllStringFunc(a.Ref, func(m string) string {
			return "[" + m + "](" + kernelDocURL(m) + ")"
		}))
	}
	if len(text) > 0 {
		r.WithHelp(sarif.NewMultiformatMessageString(strings.Join(text, "\n")).
			WithMarkdown(strings.Join(md, "\n\n")))
	}
	if u := helpURI(a.Ref); u != "" {
		r.WithHelpURI(u)
	}
	tags := []string{"locking", "concurrency"}
	if a.RTOnly {
		tags = append(tags, "PREEMPT_RT")
	}
	r.WithProperties(sarif.Properties{"tags": tags, "rt_only": a.RTOnly})
	return r
}

func sarifResult(f *review.Finding) *sarif.Result {
	r := sarif.NewRuleResult(f.Rule).
		WithLevel(sarifLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(f.Message)).
		WithLocations([]*sarif.Location{sarifLocation(f.File, f.Line, "")})
	if f.Fingerprint != "" {
		r.WithPartialFingerPrints(map[string]interface{}{FingerprintKey: f.Fingerprint})
	}
	if len(f.Chain) > 0 {
		tf := sarif.NewThreadFlow()
		var related []*sarif.Location
		for i, s := range f.Chain {
			note := stepNote(s)
			tf.AddLocation(sarif.NewThreadFlowLocation().WithLocation(sarifLocation(s.File, s.Line, note)))
			related = append(related, sarifLocation(s.File, s.Line, note).WithId(i+1))
		}
		// The other ways the same cause is reached are related
		// locations too, after the chain's.
		for i, s := range AlsoSteps(f.Finding, f.Also) {
			related = append(related, sarifLocation(s.File, s.Line, "also reached: "+stepNote(s)).WithId(len(f.Chain)+i+1))
		}
		r.WithCodeFlows([]*sarif.CodeFlow{sarif.NewCodeFlow().WithThreadFlows([]*sarif.ThreadFlow{tf})})
		r.WithRelatedLocations(related)
	}
	state := "unchanged"
	if f.Introduced {
		state = "new"
	}
	r.WithBaselineState(state)
	props := sarif.Properties{"rt_only": f.RTOnly, "introduced": f.Introduced}
	if f.Patch != nil {
		props["patch"] = f.Patch
	}
	r.Properties = props
	return r
}

// sarifResolvedFinding is a resolved finding as the run's properties
// list it.
type sarifResolvedFinding struct {
	Rule        string           `json:"rule"`
	File        string           `json:"file"`
	Line        int              `json:"line"`
	Function    string           `json:"function"`
	Message     string           `json:"message"`
	Fingerprint string           `json:"fingerprint"`
	Patch       *review.PatchRef `json:"patch,omitempty"`
}

func sarifResolved(fs []*review.Finding) []sarifResolvedFinding {
	out := []sarifResolvedFinding{}
	for _, f := range fs {
		out = append(out, sarifResolvedFinding{f.Rule, f.File, f.Line, f.Function, f.Message, f.Fingerprint, f.Patch})
	}
	return out
}

func stepNote(s flow.Step) string {
	if s.Func == "" {
		return s.Note
	}
	return s.Func + "(): " + s.Note
}

// sarifLocation is a file and line as SARIF places them. GitHub rejects
// a whole upload if one result has no location, so a finding without a
// line still gets its file.
func sarifLocation(file string, line int, note string) *sarif.Location {
	pl := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(artifactURI(file)))
	if line > 0 {
		pl.WithRegion(sarif.NewRegion().WithStartLine(line))
	}
	loc := sarif.NewLocationWithPhysicalLocation(pl)
	if note != "" {
		loc.WithMessage(sarif.NewTextMessage(note))
	}
	return loc
}

// artifactURI turns a path into a URI reference: relative paths stay
// relative to the checkout (what GitHub resolves against the repository
// root), with forward slashes and percent-escapes.
func artifactURI(p string) string {
	p = filepath.ToSlash(p)
	if filepath.IsAbs(p) || strings.HasPrefix(p, "/") {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	p = strings.TrimPrefix(p, "./")
	return (&url.URL{Path: p}).String()
}

func sarifLevel(severity rules.Severity) string {
	switch severity {
	case rules.Warning:
		return "warning"
	case rules.Info:
		return "note"
	}
	return "error"
}

// helpURI is the rule's reference if it is a URL, else the first kernel
// document it names, on docs.kernel.org.
func helpURI(ref string) string {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://") {
		if i := strings.IndexAny(ref, " ,"); i >= 0 {
			ref = ref[:i]
		}
		return ref
	}
	if m := kernelDoc.FindString(ref); m != "" {
		return kernelDocURL(m)
	}
	return ""
}

func kernelDocURL(m string) string {
	sub := kernelDoc.FindStringSubmatch(m)
	return fmt.Sprintf("https://docs.kernel.org/%s.html", sub[1])
}

// ruleAcronyms keep their case in a rule's display name.
var ruleAcronyms = map[string]bool{"RT": true, "RCU": true}

// ruleName is the rule ID in the PascalCase the SARIF specification uses
// for reportingDescriptor.name: SLEEP_IN_RCU becomes SleepInRCU.
func ruleName(id string) string {
	var b strings.Builder
	for _, w := range strings.Split(id, "_") {
		if w == "" {
			continue
		}
		if ruleAcronyms[w] {
			b.WriteString(w)
			continue
		}
		b.WriteString(w[:1] + strings.ToLower(w[1:]))
	}
	return b.String()
}

// unwrap joins the hard-wrapped lines of each paragraph of a rule's doc:
// viewers wrap descriptions themselves.
func unwrap(doc string) string {
	var paras []string
	for _, p := range strings.Split(strings.TrimSpace(doc), "\n\n") {
		if f := strings.Fields(p); len(f) > 0 {
			paras = append(paras, strings.Join(f, " "))
		}
	}
	return strings.Join(paras, "\n\n")
}
