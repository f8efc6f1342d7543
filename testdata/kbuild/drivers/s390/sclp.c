int sclp_sync_wait(void) { return 0; }
