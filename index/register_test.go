// SPDX-License-Identifier: GPL-2.0-only

package index

import (
	"path/filepath"
	"strings"
	"testing"
)

// registerTree registers a work item's callback in one file and waits
// for it in another with the mutex the callback takes held.
var registerTree = map[string]string{
	"include/linux/dd.h": `struct dd {
	struct mutex lock;
	struct work_struct work;
	struct work_struct other;
	int n;
};
void dd_init(struct dd *d);
`,
	"drivers/dd/init.c": `#include <linux/dd.h>

static void dd_work(struct work_struct *w)
{
	struct dd *d = container_of(w, struct dd, work);

	mutex_lock(&d->lock);
	d->n++;
	mutex_unlock(&d->lock);
}

static void dd_other(struct work_struct *w)
{
}

void dd_init(struct dd *d)
{
	INIT_WORK(&d->work, dd_work);
	INIT_WORK(&d->other, dd_other);
}
`,
	"drivers/dd/stop.c": `#include <linux/dd.h>

void dd_stop(struct dd *d)
{
	mutex_lock(&d->lock);
	cancel_work_sync(&d->work);
	mutex_unlock(&d->lock);
}

void dd_stop_other(struct dd *d)
{
	mutex_lock(&d->lock);
	cancel_work_sync(&d->other);
	mutex_unlock(&d->lock);
}
`,
}

// TestIndexRegistrations: the index keeps which callback each work
// item's class has (INIT_WORK in init.c), so that a wait for the item
// in stop.c under the mutex the callback takes is a deadlock, with the
// registration in the chain; a wait for an item whose callback takes
// nothing is not.
func TestIndexRegistrations(t *testing.T) {
	tree := writeTree(t, registerTree)
	if f := scanFile(t, tree, "drivers/dd/stop.c", nil); len(f) != 0 {
		t.Errorf("without the index: %d findings, want none", len(f))
	}
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	var got []string
	for _, f := range scanFile(t, tree, "drivers/dd/stop.c", ix) {
		got = append(got, f.Function+":"+f.Rule)
		reg := false
		for _, s := range f.Chain {
			reg = reg || strings.HasSuffix(s.File, "init.c") && s.Func == "dd_init" && strings.Contains(s.Note, "registers dd_work()")
		}
		if !reg {
			t.Errorf("%s: the chain %+v does not show the registration in init.c", f.Message, f.Chain)
		}
	}
	if strings.Join(got, " ") != "dd_stop:WAIT_UNDER_LOCK" {
		t.Errorf("findings %v, want dd_stop:WAIT_UNDER_LOCK", got)
	}
}
