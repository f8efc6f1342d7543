// This build's version: empty.
void arch_enter_lazy_mode(void)
{
}
