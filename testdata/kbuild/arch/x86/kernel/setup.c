int x86_setup(void) { return 0; }
