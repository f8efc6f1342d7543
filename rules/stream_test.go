// SPDX-License-Identifier: GPL-2.0-only

package rules

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"lockbot/flow"
	"lockbot/kb"
	"lockbot/source"
)

// sleepyUnit is a unit whose file sleeps under a spinlock, once: one
// SLEEP_IN_ATOMIC finding, in function f<i>. Its load takes delay.
func sleepyUnit(i int, delay time.Duration) Unit {
	name := fmt.Sprintf("u%d.c", i)
	src := fmt.Sprintf(`
typedef struct { int x; } spinlock_t;
static spinlock_t l%d;
void f%d(void)
{
	spin_lock(&l%d);
	msleep(1);
	spin_unlock(&l%d);
}
`, i, i, i, i)
	return Unit{Name: name, Load: func() ([]source.Source, error) {
		time.Sleep(delay)
		return []source.Source{{Path: name, Src: []byte(src)}}, nil
	}}
}

// TestStreamOrder: units analysed in parallel are handed on in their
// order whatever order they finish in; a unit that cannot be read is a
// result with its error, and the others go on; emit's error stops the
// stream.
func TestStreamOrder(t *testing.T) {
	k, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	var units []Unit
	for i := 0; i < 9; i++ {
		// The first units are the slowest to load: they finish last.
		units = append(units, sleepyUnit(i, time.Duration(9-i)*5*time.Millisecond))
	}
	units[4] = Unit{Name: "gone.c", Load: func() ([]source.Source, error) { return nil, errors.New("gone.c: no such file") }}
	var order []string
	var tot Totals
	err = Stream(context.Background(), units, Options{KB: k}, StreamOptions{Jobs: 3}, func(u Unit, r *Result) error {
		order = append(order, u.Name)
		tot.Add(r)
		if u.Name != "gone.c" && (len(r.Findings) != 1 || r.Findings[0].Rule != "SLEEP_IN_ATOMIC" || r.Findings[0].File != u.Name) {
			t.Errorf("%s: findings %+v, want its SLEEP_IN_ATOMIC", u.Name, r.Findings)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "[u0.c u1.c u2.c u3.c gone.c u5.c u6.c u7.c u8.c]"
	if fmt.Sprint(order) != want {
		t.Errorf("emitted %v, want %s", order, want)
	}
	if tot.Findings != 8 || tot.Units != 9 || tot.Stats.Files != 8 || len(tot.Errors) != 1 || tot.Errors[0].Path != "gone.c" {
		t.Errorf("totals: %d findings, %d units, %d files, errors %+v", tot.Findings, tot.Units, tot.Stats.Files, tot.Errors)
	}

	stop := errors.New("stop")
	n := 0
	err = Stream(context.Background(), units, Options{KB: k}, StreamOptions{Jobs: 2}, func(Unit, *Result) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Errorf("emit's error: %v after %d units, want stop after 2", err, n)
	}
}

// countingExternals is an index reader that knows no function and says
// it keeps decoded records.
type countingExternals struct{ decoded int }

func (c *countingExternals) Lookup(string) *flow.FuncInfo           { return nil }
func (c *countingExternals) LookupIn(string, string) *flow.FuncInfo { return nil }
func (c *countingExternals) Ops(string) []flow.OpsTarget            { return nil }
func (c *countingExternals) Decoded() int                           { return c.decoded }

// TestStreamRefreshesReaders: a worker takes a new reader of the index
// after Refresh units, and sooner when its reader keeps more than
// MaxDecoded records, so what readers cache does not grow with the scan.
func TestStreamRefreshesReaders(t *testing.T) {
	k, err := kb.Load()
	if err != nil {
		t.Fatal(err)
	}
	var units []Unit
	for i := 0; i < 8; i++ {
		units = append(units, sleepyUnit(i, 0))
	}
	for _, c := range []struct {
		refresh, decoded, max int
		want                  int64
	}{
		{refresh: 3, decoded: 0, max: 10, want: 3}, // units 0, 3, 6
		{refresh: 100, decoded: 0, max: 10, want: 1},
		{refresh: 100, decoded: 11, max: 10, want: 8}, // a new one each unit
	} {
		var made atomic.Int64
		so := StreamOptions{Jobs: 1, Refresh: c.refresh, MaxDecoded: c.max, Externals: func() flow.Externals {
			made.Add(1)
			return &countingExternals{decoded: c.decoded}
		}}
		if err := Stream(context.Background(), units, Options{KB: k}, so, func(Unit, *Result) error { return nil }); err != nil {
			t.Fatal(err)
		}
		if made.Load() != c.want {
			t.Errorf("refresh %d, %d decoded (max %d): %d readers, want %d", c.refresh, c.decoded, c.max, made.Load(), c.want)
		}
	}
}
