package index

import (
	"path/filepath"
	"strings"
	"testing"
)

// orderTree takes two locks of a shared struct in one order in one file
// and in the other order in another (mlx5's health recovery: rtnl then
// state_lock in health.c, state_lock then rtnl in reporter_tx.c).
var orderTree = map[string]string{
	"include/linux/pp.h": `struct priv {
	struct mutex state_lock;
	struct mutex cfg_lock;
	int state;
};
`,
	"drivers/pp/health.c": `#include <linux/pp.h>

void pp_recover_channels(struct priv *priv)
{
	rtnl_lock();
	mutex_lock(&priv->state_lock);
	priv->state = 0;
	mutex_unlock(&priv->state_lock);
	rtnl_unlock();
}

void pp_cfg(struct priv *priv)
{
	mutex_lock(&priv->cfg_lock);
	mutex_lock(&priv->state_lock);
	mutex_unlock(&priv->state_lock);
	mutex_unlock(&priv->cfg_lock);
}
`,
	"drivers/pp/reporter.c": `#include <linux/pp.h>

void pp_reporter_recover(struct priv *priv)
{
	mutex_lock(&priv->state_lock);
	rtnl_lock();
	priv->state = 1;
	rtnl_unlock();
	mutex_unlock(&priv->state_lock);
}

void pp_cfg_same_order(struct priv *priv)
{
	mutex_lock(&priv->cfg_lock);
	mutex_lock(&priv->state_lock);
	mutex_unlock(&priv->state_lock);
	mutex_unlock(&priv->cfg_lock);
}
`,
}

// TestIndexLockOrder: the index keeps each file's lock order edges, so
// an order a scanned file takes that another file of the tree inverts is
// an AB-BA, with the other file's sites in the chain; the same order in
// both files is none.
func TestIndexLockOrder(t *testing.T) {
	tree := writeTree(t, orderTree)
	if f := scanFile(t, tree, "drivers/pp/reporter.c", nil); len(f) != 0 {
		t.Errorf("without the index: %d findings, want none", len(f))
	}
	ix, _ := build(t, tree, filepath.Join(t.TempDir(), "index.db"), 0)
	defer ix.Close()
	var got []string
	for _, f := range scanFile(t, tree, "drivers/pp/reporter.c", ix) {
		got = append(got, f.Function+":"+f.Rule)
		other := false
		for _, s := range f.Chain {
			other = other || s.File == "drivers/pp/health.c" && s.Func == "pp_recover_channels"
		}
		if !other || !strings.Contains(f.Message, "pp_recover_channels() in drivers/pp/health.c") {
			t.Errorf("%s: chain %+v does not show the other order in health.c", f.Message, f.Chain)
		}
	}
	if strings.Join(got, " ") != "pp_reporter_recover:LOCK_ORDER_INVERSION" {
		t.Errorf("findings %v, want pp_reporter_recover:LOCK_ORDER_INVERSION", got)
	}
}
