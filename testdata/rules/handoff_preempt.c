// A context without identity handed from one function to another of the
// same file: kprobes' breakpoint handler leaves preemption disabled for
// the single step, and the handler of the step's trap enables it again.
// The breakpoint handler's returns are not leaks (handoff_helper.c has
// the case that stays one).
struct regs {
	unsigned long ip;
	int flags;
};

struct probe {
	int (*pre)(struct probe *p, struct regs *r);
};

extern struct probe *get_probe(unsigned long ip);
extern void prepare_singlestep(struct probe *p, struct regs *r);
extern int current_probe_active;

int probe_breakpoint_handler(struct regs *r)
{
	struct probe *p;

	preempt_disable();
	p = get_probe(r->ip);
	if (!p) {
		preempt_enable_no_resched();
		return 0;
	}
	if (p->pre && p->pre(p, r)) {
		preempt_enable_no_resched();
		return 1;
	}
	prepare_singlestep(p, r);
	current_probe_active = 1;
	return 1; /* preemption stays off until the step's trap */
}

int probe_singlestep_handler(struct regs *r)
{
	if (!current_probe_active)
		return 0;
	current_probe_active = 0;
	preempt_enable_no_resched();
	return 1;
}
