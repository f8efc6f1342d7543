#include "hci.h"

/* The core stores no table: a call here may reach any bus's. */
void core_poll(struct rtw_dev *dev)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->irq_lock, flags);
	rtw_read8(dev, 0x20); /* want SLEEP_IN_ATOMIC "usb_read8" */
	spin_unlock_irqrestore(&dev->irq_lock, flags);
}
