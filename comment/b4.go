// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"lockbot/review"
)

// B4Check is one entry of b4's check-tool protocol: `b4 review` runs each
// b4.review-perpatch-check-cmd with one patch on stdin and reads a JSON
// array of these from stdout (b4's src/b4/review/checks.py). Status is
// "pass", "warn" or "fail"; b4 turns any other status into "fail".
type B4Check struct {
	Tool    string `json:"tool"`
	Status  string `json:"status"`
	Summary string `json:"summary"`
	URL     string `json:"url,omitempty"`
	Details string `json:"details,omitempty"`
}

// B4 writes the review as b4's check-tool JSON: one "lockbot" entry whose
// status is "fail" when the patch introduces an error, "warn" when it
// introduces only warnings or checks (b4 shows checkpatch's CHECK as
// warn too), and "pass" otherwise; pre-existing findings are listed but
// do not fail the patch. Details are the terse finding lines.
func B4(w io.Writer, res *review.Result) error {
	if err := checkResult(res); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode([]B4Check{b4Check(res)})
}

func b4Check(res *review.Result) B4Check {
	c := countFindings(res)
	status := "pass"
	switch {
	case c.errors > 0:
		status = "fail"
	case c.warnings+c.checks > 0 || len(res.NotAnalysed) > 0:
		status = "warn"
	}

	var parts []string
	if n := c.errors + c.warnings + c.checks; n > 0 {
		var counts []string
		if c.errors > 0 {
			counts = append(counts, plural(c.errors, "error"))
		}
		if c.warnings > 0 {
			counts = append(counts, plural(c.warnings, "warning"))
		}
		if c.checks > 0 {
			counts = append(counts, plural(c.checks, "check"))
		}
		parts = append(parts, strings.Join(counts, ", ")+": "+strings.Join(introducedRules(res), ", "))
	} else {
		parts = append(parts, "no lock problems introduced")
	}
	if n := len(res.NotAnalysed); n > 0 {
		parts = append(parts, fmt.Sprintf("%d not analysed", n))
	}
	if c.preExisting > 0 {
		parts = append(parts, fmt.Sprintf("%d pre-existing", c.preExisting))
	}
	if len(res.Resolved) > 0 {
		parts = append(parts, fmt.Sprintf("%d resolved", len(res.Resolved)))
	}

	var details []string
	for _, f := range res.Findings {
		details = append(details, terseLine(f))
		// The chain, indented under its line: the reviewer's evidence.
		for _, st := range f.Chain {
			details = append(details, fmt.Sprintf("  %s:%d: %s(): %s", st.File, st.Line, st.Func, st.Note))
		}
	}
	for _, f := range res.Resolved {
		details = append(details, fmt.Sprintf("%s:%d: RESOLVED:%s: %s", f.File, f.Line, f.Rule, f.Message))
	}
	for _, na := range res.NotAnalysed {
		details = append(details, notAnalysedTerse(na))
	}
	if res.NoTree {
		details = append(details, "NOTE: no tree (--no-tree): only the hunks were analysed")
	}
	return B4Check{
		Tool:    "lockbot",
		Status:  status,
		Summary: strings.Join(parts, "; "),
		Details: strings.Join(details, "\n"),
	}
}

// introducedRules lists the rules of the introduced findings, each once,
// in the order the findings come.
func introducedRules(res *review.Result) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range res.Findings {
		if f.Introduced && !seen[f.Rule] {
			seen[f.Rule] = true
			out = append(out, f.Rule)
		}
	}
	return out
}
