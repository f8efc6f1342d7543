// SPDX-License-Identifier: GPL-2.0-only

package comment

import (
	"bytes"
	"encoding/json"
	"errors"
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
	// SplitByDirectory: too large to analyse as one program without an
	// index, the scan analysed each directory's files apart, so calls
	// between directories were not followed.
	SplitByDirectory bool `json:"split_by_directory,omitempty"`
}

// JSON writes a scan result as one JSON document.
func JSON(w io.Writer, res *rules.Result) error {
	j := NewJSONStream(w)
	j.Findings(res.Findings)
	return j.Close(res)
}

// JSONStream writes the JSON document of a scan a piece at a time: its
// findings as a scan finds them, then the rest. The document is the one
// Report encodes, byte for byte.
type JSONStream struct {
	w   io.Writer
	n   int
	err error
}

// findingsSlot is where Report's encoding, with no findings, holds them:
// the stream writes what comes before it, the findings, then the rest.
const findingsSlot = "\n  \"findings\": [],\n"

// reportParts encodes res as Report, without its findings, split around
// the findings' place.
func reportParts(res *rules.Result) (head, tail []byte, err error) {
	r := Report{SchemaVersion: JSONSchemaVersion, Findings: []*rules.Finding{}, Stats: res.Stats, Errors: res.Errors,
		Skipped: res.Skipped, UnknownCallees: res.Unknown, Conditional: res.Conditional, SplitByDirectory: res.SplitByDirectory}
	if r.UnknownCallees == nil {
		r.UnknownCallees = []string{}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	i := bytes.Index(b, []byte(findingsSlot))
	if i < 0 {
		return nil, nil, errors.New("comment: the scan document has no findings field")
	}
	return b[:i], b[i+len(findingsSlot):], nil
}

// NewJSONStream starts a scan's JSON document on w.
func NewJSONStream(w io.Writer) *JSONStream {
	j := &JSONStream{w: w}
	head, _, err := reportParts(&rules.Result{})
	j.err = err
	j.write(head)
	j.write([]byte("\n  \"findings\": ["))
	return j
}

func (j *JSONStream) write(b []byte) {
	if j.err == nil {
		_, j.err = j.w.Write(b)
	}
}

// Findings writes findings; the first error is Close's.
func (j *JSONStream) Findings(fs []*rules.Finding) {
	for _, f := range fs {
		if f.Chain == nil {
			f.Chain = []flow.Step{}
		}
		b, err := json.MarshalIndent(f, "    ", "  ")
		if err != nil {
			if j.err == nil {
				j.err = err
			}
			return
		}
		if j.n > 0 {
			j.write([]byte(","))
		}
		j.write([]byte("\n    "))
		j.write(b)
		j.n++
	}
}

// Close writes the rest of the document from res, the totals of what
// was analysed (its findings were written by Findings).
func (j *JSONStream) Close(res *rules.Result) error {
	_, tail, err := reportParts(res)
	if err != nil {
		return err
	}
	if j.n > 0 {
		j.write([]byte("\n  "))
	}
	j.write([]byte("],\n"))
	j.write(tail)
	j.write([]byte("\n"))
	return j.err
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
