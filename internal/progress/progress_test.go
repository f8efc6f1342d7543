// SPDX-License-Identifier: GPL-2.0-only

package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestProgressETA: the progress says how long is left, from the pace so
// far, once there is a pace to go on.
func TestProgressETA(t *testing.T) {
	p := New(&bytes.Buffer{}, true, "index", 100)
	p.start = time.Now().Add(-10 * time.Second)
	p.n = 50
	if got := p.eta(time.Now()); !strings.Contains(got, "about 10s left") {
		t.Errorf("half done in 10 s: %q", got)
	}
	p.n = 5
	if got := p.eta(time.Now()); got != "" {
		t.Errorf("5 of 100: %q, want nothing yet", got)
	}
	var b bytes.Buffer
	q := New(&b, false, "index", 40)
	q.start = q.start.Add(-8 * time.Second)
	q.last = q.last.Add(-6 * time.Second)
	q.n = 19
	q.Step("a.c")
	if !strings.Contains(b.String(), "index: 20/40 files, 8s, about 8s left (a.c)") {
		t.Errorf("line: %q", b.String())
	}
}
