int pmu_restart(void) { return 0; }
