// dma_free_coherent() may be called under a spinlock (it sleeps only on
// platforms that remap coherent buffers, and only its interrupts-enabled
// contract is documented), but not with interrupts off.
struct dev;
struct ring {
	spinlock_t lock;
	void *desc;
	dma_addr_t dma;
};

void ring_free_locked(struct dev *d, struct ring *r)
{
	spin_lock(&r->lock);
	dma_free_coherent(d, 4096, r->desc, r->dma);
	spin_unlock(&r->lock);
}

void ring_free_irqoff(struct dev *d, struct ring *r)
{
	unsigned long flags;

	local_irq_save(flags);
	dma_free_attrs(d, 4096, r->desc, r->dma, 0); /* want SLEEP_IN_ATOMIC "dma_free_attrs" */
	local_irq_restore(flags);
}
