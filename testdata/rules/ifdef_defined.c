// An #ifdef of a macro defined whatever the configuration (here in the
// file; across the tree, by the kernel's headers through the index) is
// decided: ACPICA's "#ifdef ACPI_GPE_USE_LOGICAL_ADDRESSES" writes
// through a mapping, its #else (ioremap, which may sleep) is not built.
// A macro nothing defines, or one defined under a configuration, leaves
// both arms.
#ifndef _TEST_IFDEF_H
#define _TEST_IFDEF_H
#define GPE_LOGICAL
#endif
#ifdef CONFIG_FOO
#define FOO_MODE
#endif

struct gpe { spinlock_t lock; void *addr; };

static void gpe_write(struct gpe *g, u8 v)
{
#ifdef GPE_LOGICAL
	writeb(v, g->addr);
#else
	msleep(1);
#endif
}

static void gpe_write_neg(struct gpe *g, u8 v)
{
#ifndef GPE_LOGICAL
	msleep(1);
#endif
}

static void gpe_write_unknown(struct gpe *g, u8 v)
{
#ifdef SOME_OTHER
	msleep(1);
#endif
}

static void gpe_write_config(struct gpe *g, u8 v)
{
#ifdef FOO_MODE
	msleep(1);
#endif
}

void gpe_clear(struct gpe *g)
{
	spin_lock(&g->lock);
	gpe_write(g, 1);
	gpe_write_neg(g, 1);
	gpe_write_unknown(g, 1); /* want SLEEP_IN_ATOMIC "gpe_write_unknown" */
	gpe_write_config(g, 1); /* want SLEEP_IN_ATOMIC "gpe_write_config" */
	spin_unlock(&g->lock);
}
