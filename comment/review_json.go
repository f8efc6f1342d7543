// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"encoding/json"
	"io"

	"lockbot/flow"
	"lockbot/review"
)

// ReviewReport is the JSON document of a patch review: the scan schema's
// findings and stats, each finding with its patch and whether the series
// introduced it, plus the findings the series resolved. Field names are
// stable.
type ReviewReport struct {
	// SchemaVersion is JSONSchemaVersion: it changes when a field changes
	// meaning or goes; new fields do not change it.
	SchemaVersion int               `json:"schema_version"`
	Findings      []*review.Finding `json:"findings"`
	Resolved      []*review.Finding `json:"resolved"`
	Patches       []review.PatchRef `json:"patches"`
	NoTree        bool              `json:"no_tree"`
	Stats         flow.Stats        `json:"stats"`
	// UnknownCallees are functions called under a lock whose definitions
	// were not seen, assumed not to sleep.
	UnknownCallees []string `json:"unknown_callees"`
	// NotAnalysed are touched files, or functions, the review could not
	// analyse.
	NotAnalysed []review.NotAnalysed `json:"not_analysed"`
}

// ReviewJSON writes a patch review as one indented JSON document. Lists
// are [] when empty, never null, because consumers iterate them.
func ReviewJSON(w io.Writer, res *review.Result) error {
	if err := checkResult(res); err != nil {
		return err
	}
	r := ReviewReport{
		SchemaVersion: JSONSchemaVersion,
		Findings:      jsonFindings(res.Findings),
		Resolved:      jsonFindings(res.Resolved),
		Patches:       res.Patches,
		NoTree:        res.NoTree,
		Stats:         res.Stats,

		UnknownCallees: res.Unknown,
		NotAnalysed:    res.NotAnalysed,
	}
	if r.NotAnalysed == nil {
		r.NotAnalysed = []review.NotAnalysed{}
	}
	if r.Patches == nil {
		r.Patches = []review.PatchRef{}
	}
	if r.UnknownCallees == nil {
		r.UnknownCallees = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Messages quote C ("&b->lock"); HTML escapes would make them
	// unreadable to people reading the document.
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// jsonFindings copies the findings with an empty chain in place of a nil
// one; the caller's findings are shared with other renderers and are not
// modified.
func jsonFindings(fs []*review.Finding) []*review.Finding {
	out := make([]*review.Finding, 0, len(fs))
	for _, f := range fs {
		c := *f
		sf := *f.Finding
		if sf.Chain == nil {
			sf.Chain = []flow.Step{}
		}
		c.Finding = &sf
		out = append(out, &c)
	}
	return out
}
