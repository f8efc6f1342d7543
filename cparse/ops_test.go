// SPDX-License-Identifier: GPL-2.0-only

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

// Enumerators and object-like #defines give the values flags are tested
// against.
func TestConsts(t *testing.T) {
	src := []byte(`#define C_MASK 31
#define SHIFTED (1 << 5)
#define NOT_A_NUMBER foo()
enum chg_state_flags {
	CS_HARD = 1 << 0,
	CS_VERBOSE = 1 << 1,
	CS_LOCAL_ONLY = 1 << 4,
	CS_BOTH = CS_HARD | CS_LOCAL_ONLY,
	CS_NEXT,
};
typedef enum { A_ZERO, A_ONE, A_UNKNOWN = SOMETHING, A_AFTER } a_t;
enum ice_vf_flags { VF_RESET_VFLR = BIT(0), VF_RESET_NOTIFY = BIT(1), VF_RESET_LOCK = BIT(2) };
#define HI_NIBBLE GENMASK(7, 4)
#define TOO_WIDE BIT(64)
struct s { enum { IN_STRUCT = 7 } kind; };
`)
	p := NewParser(&Dialect{})
	defer p.Close()
	f, err := p.Parse("c.c", src)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"C_MASK": 31, "SHIFTED": 32, "CS_HARD": 1, "CS_VERBOSE": 2, "CS_LOCAL_ONLY": 16,
		"CS_BOTH": 17, "CS_NEXT": 18, "A_ZERO": 0, "A_ONE": 1, "IN_STRUCT": 7,
		"VF_RESET_VFLR": 1, "VF_RESET_NOTIFY": 2, "VF_RESET_LOCK": 4, "HI_NIBBLE": 0xf0}
	for name, v := range want {
		if got, ok := f.Consts[name]; !ok || got != v {
			t.Errorf("%s = %d (%v), want %d", name, got, ok, v)
		}
	}
	for _, name := range []string{"NOT_A_NUMBER", "A_UNKNOWN", "A_AFTER", "TOO_WIDE"} {
		if v, ok := f.Consts[name]; ok {
			t.Errorf("%s = %d, want unknown", name, v)
		}
	}
}

// Tables the file's own macros write are expanded within bounds: a macro
// that names itself, or one whose expansion grows past the limit, leaves
// the table unread rather than hanging; a plain one is read, each
// function once.
func TestOpsTablesFromMacros(t *testing.T) {
	var big strings.Builder
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&big, "#define G%d(x) G%d(x) G%d(x)\n", i, i+1, i+1)
	}
	src := []byte(`struct ops { int (*set)(int); int (*init)(int); };
struct params { int n; struct ops ops; };
#define COMMON(n, s) .n = n, .ops = { .set = s, .init = my_init, },
#define DATA(n) COMMON(n, my_set)
#define SELF(x) SELF(x)
` + big.String() + `#define G10(x) .ops = { .set = x },
static const struct params a = { DATA(1) };
static const struct params b = { DATA(2) };
static const struct params c = { SELF(3) };
static const struct params d = { G0(big_set) };
`)
	p := NewParser(&Dialect{})
	defer p.Close()
	f, err := p.Parse("m.c", src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range f.Ops {
		got = append(got, fmt.Sprintf("%s=%s@%d", o.Key(), o.Fn, o.Line))
	}
	want := "struct ops.set=my_set@17 struct ops.init=my_init@17"
	if strings.Join(got, " ") != want {
		t.Errorf("ops %q, want %q", got, want)
	}
}
