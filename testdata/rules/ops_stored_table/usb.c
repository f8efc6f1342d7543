#include "hci.h"

static unsigned char usb_read8(struct rtw_dev *dev, unsigned int addr)
{
	unsigned char v;

	mutex_lock(&dev->usb_lock);
	v = addr;
	mutex_unlock(&dev->usb_lock);
	return v;
}

static const struct hci_ops usb_ops = {
	.read8 = usb_read8,
};

int usb_probe(struct rtw_dev *dev)
{
	return rtw_register_bus(dev, &usb_ops);
}
