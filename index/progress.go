// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress reports an update's progress: a bar redrawn in place on a
// terminal, a line every few seconds elsewhere (CI logs).
type progress struct {
	w     io.Writer
	bar   bool
	total int
	n     int
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, bar bool, total int) *progress {
	now := time.Now()
	return &progress{w: w, bar: bar, total: total, start: now, last: now}
}

func (p *progress) step(file string) {
	if p.w == nil {
		return
	}
	p.n++
	now := time.Now()
	if p.bar {
		if now.Sub(p.last) < 100*time.Millisecond && p.n < p.total {
			return
		}
		p.last = now
		const width = 30
		filled := 0
		if p.total > 0 {
			filled = width * p.n / p.total
		}
		// Padded: a shorter ETA must overwrite a longer one.
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d files %s%-16s", strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
			p.n, p.total, now.Sub(p.start).Round(time.Second), p.eta(now))
		return
	}
	if now.Sub(p.last) >= 5*time.Second || p.n == p.total {
		p.last = now
		fmt.Fprintf(p.w, "index: %d/%d files, %s%s (%s)\n", p.n, p.total, now.Sub(p.start).Round(time.Second), p.eta(now), file)
	}
}

// eta is ", about 1m30s left", from the pace so far; "" at the start
// (too little to go on) and at the end.
func (p *progress) eta(now time.Time) string {
	if p.n < 20 || p.n >= p.total {
		return ""
	}
	elapsed := now.Sub(p.start)
	left := time.Duration(float64(elapsed) * float64(p.total-p.n) / float64(p.n))
	return ", about " + left.Round(time.Second).String() + " left"
}

func (p *progress) done() {
	if p.w != nil && p.bar && p.total > 0 {
		fmt.Fprintln(p.w)
	}
}
