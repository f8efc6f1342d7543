// A bus-agnostic core calls through its device's bus ops; each bus
// driver fills a table of its own and stores it in the device (rtw88's
// "rtwdev->hci.ops = &rtw_pci_ops"). A call through the member in a file
// that stores one table there reaches that table's functions, not the
// USB driver's, whose register reads sleep (usb_control_msg()).
struct rtw_dev;

struct hci_ops {
	unsigned char (*read8)(struct rtw_dev *dev, unsigned int addr);
};

struct hci {
	const struct hci_ops *ops;
};

struct rtw_dev {
	struct hci hci;
	spinlock_t irq_lock;
	struct mutex usb_lock;
};

static inline unsigned char rtw_read8(struct rtw_dev *dev, unsigned int addr)
{
	return dev->hci.ops->read8(dev, addr);
}

int rtw_register_bus(struct rtw_dev *dev, const struct hci_ops *ops);
