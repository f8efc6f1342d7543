#include "hci.h"

static unsigned char pci_read8(struct rtw_dev *dev, unsigned int addr)
{
	return readb(addr);
}

static const struct hci_ops pci_ops = {
	.read8 = pci_read8,
};

int pci_probe(struct rtw_dev *dev)
{
	dev->hci.ops = &pci_ops;
	return 0;
}

void pci_irq_recognized(struct rtw_dev *dev)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->irq_lock, flags);
	rtw_read8(dev, 0x10); /* fine: this file's table is the PCI one */
	spin_unlock_irqrestore(&dev->irq_lock, flags);
}
