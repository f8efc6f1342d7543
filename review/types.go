// SPDX-License-Identifier: GPL-2.0-only

// Package review turns the analysis core into a reviewer of patches: it
// applies a series to copies of the touched files, analyses them before and
// after each patch, and keeps what each patch introduces, anchored on the
// patch's own lines.
//
// `lockbot check`, the GitHub App and the mail responder build one
// Reviewer each (Open, from a Setup: the knowledge-base files, a settings
// file or the base's own, the index, the Kconfig, the options) and call
// its Review with each series and the Base it applies to; the Reviewer
// loads the settings and the knowledge base they extend, configures the
// review (Options.Configure), runs Check and applies the settings to the
// result (ApplyConfig). What stays with each front-end is its own: where
// the base is, and what becomes of the Outcome.
package review

import (
	"lockbot/flow"
	"lockbot/rules"
)

// PatchRef names the patch of a series a finding belongs to.
type PatchRef struct {
	Index   int    `json:"index"` // 1-based; 0 for a lone patch without numbering
	Total   int    `json:"total"`
	Subject string `json:"subject"`
}

// Finding is a scan finding placed in a patch. The embedded scan finding's
// fields (rule, severity, file, line, chain, fingerprint...) are inlined in
// JSON; File and Line are the new-side location the patch's hunk shows.
type Finding struct {
	*rules.Finding
	Patch *PatchRef `json:"patch,omitempty"`
	// Introduced is false for a pre-existing finding shown by --all, and
	// for a resolved one.
	Introduced bool `json:"introduced"`
	// PatchLine is the 1-based line in the patch file (or in the mbox)
	// that Line corresponds to: checkpatch's "#N:". 0 when the line is not
	// one of the patch's lines (pre-existing findings, resolved ones).
	PatchLine int `json:"-"`
	// Quote is that patch line as it appears in the patch, with its '+' or
	// ' ' marker ("+\tspin_lock(&b->lock);"); empty when PatchLine is 0.
	Quote string `json:"-"`
	// Also are the other ways the same cause is reached: findings of the
	// same rule on the same patch line from other callers or contexts
	// (one added spin_lock() under three callers' raw locks), and a
	// DOUBLE_LOCK that only follows from this LOCK_LEAK. Each keeps its
	// own chain; the finding counts once.
	Also []*rules.Finding `json:"also,omitempty"`
}

// Result is the review of a patch or a series.
type Result struct {
	// Findings are those the series introduces (and, with --all, the
	// pre-existing ones in the touched files, Introduced false).
	Findings []*Finding `json:"findings"`
	// Resolved are findings present before a patch and gone after it.
	Resolved []*Finding `json:"resolved"`
	Patches  []PatchRef `json:"patches"`
	// NoTree is set when only the hunks were analysed (--no-tree): the
	// functions were reassembled from context and added lines, callers
	// and callees outside the hunks were not seen.
	NoTree bool       `json:"no_tree"`
	Stats  flow.Stats `json:"stats"`
	// Unknown are functions the patches bring under a spinning or RCU
	// context (called so after a patch, not before it) whose definitions
	// were not seen (another file, no index): assumed not to sleep.
	// Sorted.
	Unknown []string `json:"unknown_callees"`
	// CallersNotSeen are, in a review without an index, the functions
	// the patches change in a way their callers may feel (they now may
	// sleep, take another lock) whose callers outside the touched files
	// and their directories were not seen. Sorted.
	CallersNotSeen []string `json:"callers_not_seen,omitempty"`
	// NotC are the files the series touches that are not C to analyse:
	// binary files and symbolic links (with " (binary)"), and text files
	// that are not .c or .h. Sorted.
	NotC []string `json:"not_c,omitempty"`
	// NotAnalysed are the touched files, or parts of them, the review
	// could not analyse: what they introduce is not known.
	NotAnalysed []NotAnalysed `json:"not_analysed"`
}

// NotAnalysed is a touched file, or some of its functions, that a review
// could not analyse after a patch: a file the parser refused (nesting too
// deep, not C), one over the analysis budget, or syntax the patch added
// that the parser could not read.
type NotAnalysed struct {
	Patch *PatchRef `json:"patch,omitempty"`
	File  string    `json:"file"`
	// Line is where the unreadable syntax starts; 0 for the whole file.
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
	// Functions are those left out, or read only in part.
	Functions []string `json:"functions,omitempty"`
	// PatchLine is Line's line in the patch file, 0 when the patch does
	// not show it, and Quote that line.
	PatchLine int    `json:"-"`
	Quote     string `json:"-"`
}
