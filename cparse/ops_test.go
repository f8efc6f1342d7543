package cparse

import (
	"fmt"
	"strings"
	"testing"
)

// Initializers of ops tables name the functions calls through their
// members may reach; other members and nested designators do not.
func TestOpsTables(t *testing.T) {
	src := []byte(`struct foo_ops { void (*reset)(struct foo_dev *d); int (*map)(int); };
static const struct foo_ops foo_hw_ops = {
	.reset = foo_hw_reset,
	.map = &foo_map,
	.owner = THIS_MODULE,
	.x.y = nested,
	.size = 4,
};
static struct foo_ops tbl[] = { { .reset = a_reset }, [1] = { .reset = b_reset } };
static struct foo_ops *ptr = { .reset = not_a_table };
int plain = 3;

void use(void)
{
	static const struct foo_ops local = { .reset = in_function };
}
`)
	p := NewParser(&Dialect{})
	defer p.Close()
	f, err := p.Parse("ops.c", src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range f.Ops {
		got = append(got, fmt.Sprintf("%s=%s@%d", o.Key(), o.Fn, o.Line))
	}
	want := "struct foo_ops.reset=foo_hw_reset@3 struct foo_ops.map=foo_map@4 " +
		"struct foo_ops.reset=a_reset@9 struct foo_ops.reset=b_reset@9"
	if g := strings.Join(got, " "); g != want {
		t.Errorf("ops:\n got %s\nwant %s", g, want)
	}
}
