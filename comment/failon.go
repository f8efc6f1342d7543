// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"fmt"

	"lockbot/review"
)

// Failing reports whether a review should fail `lockbot check --fail-on
// LEVEL`: "error" fails on an introduced error, "warning" on an
// introduced error or warning, "never" never. Pre-existing findings
// never fail a patch: it did not add them. Any other level is an error.
func Failing(res *review.Result, level string) (bool, error) {
	var fail func(lvl string) bool
	switch level {
	case "error":
		fail = func(lvl string) bool { return lvl == "ERROR" }
	case "warning":
		fail = func(lvl string) bool { return lvl == "ERROR" || lvl == "WARNING" }
	case "never":
		return false, nil
	default:
		return false, fmt.Errorf("--fail-on must be error, warning or never, not %q", level)
	}
	if res == nil {
		return false, nil
	}
	for _, f := range res.Findings {
		if f != nil && f.Finding != nil && f.Introduced && fail(f.Severity.Level()) {
			return true, nil
		}
	}
	// Code the review could not analyse is a warning: it fails a patch
	// only at --fail-on warning.
	return len(res.NotAnalysed) > 0 && fail("WARNING"), nil
}
