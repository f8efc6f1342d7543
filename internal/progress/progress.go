// SPDX-License-Identifier: GPL-2.0-only

// Package progress reports the progress of a long run over files (an
// index build, a scan): a bar redrawn in place on a terminal, a line every
// few seconds elsewhere (CI logs).
package progress

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress reports a run's progress over Total files.
type Progress struct {
	w     io.Writer
	bar   bool
	label string
	// Total may grow while the run goes (an index's files analysed
	// again).
	Total int
	n     int
	start time.Time
	last  time.Time
}

// New reports to w (nil: nowhere) as label ("index"), with a bar when
// bar is set (w is a terminal).
func New(w io.Writer, bar bool, label string, total int) *Progress {
	now := time.Now()
	return &Progress{w: w, bar: bar, label: label, Total: total, start: now, last: now}
}

// Step counts one more file done.
func (p *Progress) Step(file string) {
	if p.w == nil {
		return
	}
	p.n++
	now := time.Now()
	if p.bar {
		if now.Sub(p.last) < 100*time.Millisecond && p.n < p.Total {
			return
		}
		p.last = now
		const width = 30
		filled := 0
		if p.Total > 0 {
			filled = width * p.n / p.Total
		}
		// Padded: a shorter ETA must overwrite a longer one.
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d files %s%-16s", strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
			p.n, p.Total, now.Sub(p.start).Round(time.Second), p.eta(now))
		return
	}
	if now.Sub(p.last) >= 5*time.Second || p.n == p.Total {
		p.last = now
		fmt.Fprintf(p.w, "%s: %d/%d files, %s%s (%s)\n", p.label, p.n, p.Total, now.Sub(p.start).Round(time.Second), p.eta(now), file)
	}
}

// eta is ", about 1m30s left", from the pace so far; "" at the start
// (too little to go on) and at the end.
func (p *Progress) eta(now time.Time) string {
	if p.n < 20 || p.n >= p.Total {
		return ""
	}
	elapsed := now.Sub(p.start)
	left := time.Duration(float64(elapsed) * float64(p.Total-p.n) / float64(p.n))
	return ", about " + left.Round(time.Second).String() + " left"
}

// Done ends the bar's line.
func (p *Progress) Done() {
	if p.w != nil && p.bar && p.Total > 0 {
		fmt.Fprintln(p.w)
	}
}
