// Another architecture's version of a function every architecture
// defines: not this build's, so not indexed.
void arch_enter_lazy_mode(void)
{
	preempt_disable();
}
