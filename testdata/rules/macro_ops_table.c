// Ops tables written by the file's own macros, with a nested struct
// member (irq-meson-gpio.c): the irq_chip's irq_set_type() runs under the
// raw irq_desc lock and calls ctl->params->ops.gpio_irq_set_type(), which
// the tables fill through INIT_MESON8_COMMON_DATA(). A spinlock_t taken
// there sleeps on PREEMPT_RT. Nine tables name one function: the call
// reaches one function, not nine.
struct irq_data;
struct ctl;

struct irq_ctl_ops {
	int (*gpio_irq_set_type)(struct ctl *ctl, unsigned int type);
	void (*gpio_irq_init)(struct ctl *ctl);
};

struct gpio_irq_params {
	unsigned int nr_hwirq;
	struct irq_ctl_ops ops;
};

struct ctl {
	const struct gpio_irq_params *params;
	spinlock_t lock;
	unsigned int type;
};

static int meson8_set_type(struct ctl *ctl, unsigned int type)
{
	spin_lock(&ctl->lock);
	ctl->type = type;
	spin_unlock(&ctl->lock);
	return 0;
}

static void meson8_init(struct ctl *ctl)
{
	ctl->type = 0;
}

#define INIT_COMMON(irqs, init, type)		\
	.nr_hwirq = irqs,			\
	.ops = {				\
		.gpio_irq_init = init,		\
		.gpio_irq_set_type = type,	\
	},

#define INIT_MESON8_DATA(irqs)			\
	INIT_COMMON(irqs, meson8_init, meson8_set_type)

static const struct gpio_irq_params meson8_params = {
	INIT_MESON8_DATA(134)
};

static const struct gpio_irq_params meson8_1_params = {
	INIT_MESON8_DATA(101)
};

static const struct gpio_irq_params meson8_2_params = {
	INIT_MESON8_DATA(102)
};

static const struct gpio_irq_params meson8_3_params = {
	INIT_MESON8_DATA(103)
};

static const struct gpio_irq_params meson8_4_params = {
	INIT_MESON8_DATA(104)
};

static const struct gpio_irq_params meson8_5_params = {
	INIT_MESON8_DATA(105)
};

static const struct gpio_irq_params meson8_6_params = {
	INIT_MESON8_DATA(106)
};

static const struct gpio_irq_params meson8_7_params = {
	INIT_MESON8_DATA(107)
};

static const struct gpio_irq_params meson8_8_params = {
	INIT_MESON8_DATA(108)
};

static int gpio_irq_set_type(struct irq_data *data, unsigned int type)
{
	struct ctl *ctl = irq_data_get_irq_chip_data(data);

	return ctl->params->ops.gpio_irq_set_type(ctl, type); /* want RT_SLEEPING_LOCK_IN_ATOMIC "meson8_set_type.*irq_desc" */
}

static struct irq_chip gpio_irq_chip = {
	.irq_set_type = gpio_irq_set_type,
};
