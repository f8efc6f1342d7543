// A completion handler resubmitting its URB under the device's spinlock
// with GFP_ATOMIC is fine; GFP_KERNEL there, or a synchronous control
// message, sleeps. The host controller's internals (a root hub's control
// path that may sleep) are not a driver URB's business.
struct urb;

struct usb_ctx {
	spinlock_t lock;
	int pending;
	struct usb_device *udev;
};

static int rh_call_control(struct urb *urb)
{
	might_sleep();
	return 0;
}

/* The driver never reaches the root hub's path: the knowledge base says
 * what usb_submit_urb() does. */
int usb_submit_urb(struct urb *urb, gfp_t mem_flags)
{
	return rh_call_control(urb);
}

void ctx_complete(struct urb *urb, struct usb_ctx *ctx)
{
	unsigned long flags;

	spin_lock_irqsave(&ctx->lock, flags);
	if (ctx->pending < 4 && usb_submit_urb(urb, GFP_ATOMIC) == 0)
		ctx->pending++;
	spin_unlock_irqrestore(&ctx->lock, flags);
}

void ctx_resubmit_kernel(struct urb *urb, struct usb_ctx *ctx)
{
	spin_lock(&ctx->lock);
	usb_submit_urb(urb, GFP_KERNEL); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&ctx->lock);
}

void ctx_reset(struct usb_ctx *ctx)
{
	spin_lock(&ctx->lock);
	usb_control_msg(ctx->udev, 0, 0, 0, 0, 0, NULL, 0, 1000); /* want SLEEP_IN_ATOMIC */
	spin_unlock(&ctx->lock);
}
