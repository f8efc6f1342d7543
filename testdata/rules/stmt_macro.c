// A statement macro written without a trailing ';' because its expansion
// carries its own (or is empty), as SCSI drivers' debug macros do: the
// statement after it is not an iterator body. Read as one, the unlock
// would run zero or more times and the return would look like a leak.
#ifdef DEBUGGING_ON
#define DB(f,a) if (hostdata->args & (f)) a;
#else
#define DB(f,a)
#endif
#define DB_QUEUE_COMMAND 1

struct hostdata { spinlock_t lock; int args; void *input_Q; };

int queuecommand_lck(struct hostdata *hostdata, void *cmd)
{
	spin_lock_irq(&hostdata->lock);
	hostdata->input_Q = cmd;

	DB(DB_QUEUE_COMMAND, printk(")Q "))

	spin_unlock_irq(&hostdata->lock);
	return 0;
}

int queuecommand_leak(struct hostdata *hostdata, void *cmd)
{
	spin_lock_irq(&hostdata->lock);
	if (!cmd)
		return -EINVAL; /* want LOCK_LEAK */
	hostdata->input_Q = cmd;
	spin_unlock_irq(&hostdata->lock);
	return 0;
}
