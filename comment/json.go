// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"encoding/json"
	"io"

	"lockbot/flow"
	"lockbot/rules"
	"lockbot/source"
)

// Report is the JSON document of a scan. Its field names are stable; see
// the README for the schema.
type Report struct {
	// SchemaVersion is JSONSchemaVersion.
	SchemaVersion int                `json:"schema_version"`
	Findings      []*rules.Finding   `json:"findings"`
	Stats         flow.Stats         `json:"stats"`
	Errors        []source.FileError `json:"errors,omitempty"`
	Skipped       []source.FileError `json:"skipped,omitempty"`
	// UnknownCallees are functions called under a lock whose definitions
	// were not seen, assumed not to sleep.
	UnknownCallees []string `json:"unknown_callees"`
	// Conditional counts the findings left out because they hold only if
	// a caller passes some value nothing in view decides (--conditional).
	Conditional int `json:"conditional_left_out"`
}

// JSON writes a scan result as one JSON document.
func JSON(w io.Writer, res *rules.Result) error {
	r := Report{SchemaVersion: JSONSchemaVersion, Findings: res.Findings, Stats: res.Stats, Errors: res.Errors, Skipped: res.Skipped, UnknownCallees: res.Unknown, Conditional: res.Conditional}
	if r.UnknownCallees == nil {
		r.UnknownCallees = []string{}
	}
	if r.Findings == nil {
		r.Findings = []*rules.Finding{}
	}
	for _, f := range r.Findings {
		if f.Chain == nil {
			f.Chain = []flow.Step{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// RulesJSON is one rule as `lockbot rules --format json` lists it.
type RulesJSON struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	RTOnly   bool   `json:"rt_only"`
	Title    string `json:"title"`
	Doc      string `json:"doc"`
	Fix      string `json:"fix"`
	Ref      string `json:"ref"`
}

// RuleDocsJSON writes the rules as JSON.
func RuleDocsJSON(w io.Writer, as []*rules.Analyzer) error {
	out := []RulesJSON{}
	for _, a := range as {
		out = append(out, RulesJSON{a.Name, string(a.Severity), a.RTOnly, a.Title, a.Doc, a.Fix, a.Ref})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// JSONSchemaVersion versions the JSON documents of scan and check (and the
// error object): it changes when a field changes meaning or goes away.
const JSONSchemaVersion = 1

// ErrorReport is what the machine formats write on standard output when
// lockbot cannot do what it was asked (exit status 2): consumers parse
// stdout whatever happened.
type ErrorReport struct {
	SchemaVersion int    `json:"schema_version"`
	Error         string `json:"error"`
}

// JSONError writes err as an ErrorReport.
func JSONError(w io.Writer, err error) error {
	b, jerr := json.MarshalIndent(ErrorReport{SchemaVersion: JSONSchemaVersion, Error: err.Error()}, "", "  ")
	if jerr != nil {
		return jerr
	}
	_, werr := w.Write(append(b, '\n'))
	return werr
}

// B4Error writes err as b4's review-check JSON: a warning, since
// lockbot's own trouble is not the patch's.
func B4Error(w io.Writer, err error) error {
	b, jerr := json.Marshal([]B4Check{{Tool: "lockbot", Status: "warn", Summary: "lockbot could not review this patch: " + err.Error()}})
	if jerr != nil {
		return jerr
	}
	_, werr := w.Write(append(b, '\n'))
	return werr
}
