// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * pktpath_vnic: a virtual Ethernet device whose receive path counts itself
 * on pktpath (include/pktpath/kernel/driver.h), the way a NIC driver would.
 *
 *   wire     userspace writes one frame per write() into /proc/pktpath_vnic/wire
 *   hardware an hrtimer (hard IRQ context) moves up to `burst` frames a tick
 *            from the wire into the RX ring, a pktpath ring of frame slots,
 *            and refuses the rest when the ring is full (the ring's drops)
 *   NAPI     the poll takes at most `budget` frames from the ring, builds
 *            skbs, eth_type_trans, napi_gro_receive
 *
 * Counted per flow at ring_enqueue, ring_full, napi_poll and to_stack, and
 * by the shim's probes at the stack's L3 entry (stage set driver_rx); the
 * drop table has the device's skbs the kernel freed, by drop reason.
 * /proc/pktpath_vnic/ holds the shim's files (pktpath-kstat --dir reads
 * them), `driver` (the ring's and the poll's figures) and `wire`.
 *
 *   insmod pktpath_vnic.ko [ring_size=256] [weight=64] [burst=16] [period_us=1000]
 *          [wire_size=4096] [flows=4096] [break_budget=0]
 */
#include <linux/etherdevice.h>
#include <linux/hrtimer.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include <pktpath/kernel/driver.h>
#include <pktpath/ring/ring.h>

#define VNIC_DIR "pktpath_vnic"
#define VNIC_STATUS_VERSION 1
#define VNIC_FRAME_MAX 1536 /* a 1514-byte frame with two VLAN tags, rounded up */
#define VNIC_COUNT_CHUNK 16 /* frames per pktpath_kdrv_count_burst() call */

static uint ring_size = 256;
module_param(ring_size, uint, 0444);
MODULE_PARM_DESC(ring_size, "RX ring slots, a power of two (default 256)");

static uint weight = NAPI_POLL_WEIGHT;
module_param(weight, uint, 0444);
MODULE_PARM_DESC(weight, "NAPI weight, the poll's budget, 1 to 64 (default 64)");

static uint burst = 16;
module_param(burst, uint, 0444);
MODULE_PARM_DESC(burst, "frames the hardware moves from the wire into the ring per tick (default 16)");

static uint period_us = 1000;
module_param(period_us, uint, 0444);
MODULE_PARM_DESC(period_us, "the hardware's tick in microseconds, at least 10 (default 1000)");

static uint wire_size = 4096;
module_param(wire_size, uint, 0444);
MODULE_PARM_DESC(wire_size, "frames the wire holds before a write blocks, a power of two (default 4096)");

static uint flows = 4096;
module_param(flows, uint, 0444);
MODULE_PARM_DESC(flows, "flow table slots, a power of two (default 4096)");

static bool break_budget;
module_param(break_budget, bool, 0444);
MODULE_PARM_DESC(break_budget, "tests only: the poll takes twice its budget (default 0)");

/* A frame slot of the wire and of the RX ring. */
struct vnic_frame {
	u32 len;
	u8 data[VNIC_FRAME_MAX];
};

struct vnic {
	struct net_device *dev;
	struct napi_struct napi;
	struct hrtimer hw;
	struct pktpath_ring rx, wire;
	void *rx_mem, *wire_mem;
	struct mutex wire_lock; /* the wire's single producer: one writer at a time */
	wait_queue_head_t wire_room;
	bool dying;
	struct pktpath_kdrv counters;
	/* Figures of the status file, each written by one context only. */
	u64 wire_frames, wire_bad;                               /* writers, under wire_lock */
	u64 ticks;                                               /* hardware */
	u64 polls, full_polls, over_budget, max_poll, no_memory; /* NAPI */
};

static struct net_device *vnic_dev;

/* Counts n slots of ring r from index first at a stage, VNIC_COUNT_CHUNK frames a call. */
static void vnic_count_slots(struct vnic *v, u32 stage, const struct pktpath_ring *r, u32 first, u32 n)
{
	struct pktpath_kdrv_buf b[VNIC_COUNT_CHUNK];
	u32 i, j, k;

	for (i = 0; i < n; i += k) {
		k = min_t(u32, n - i, VNIC_COUNT_CHUNK);
		for (j = 0; j < k; j++) {
			const struct vnic_frame *f = pktpath_ring_slot(r, first + i + j);

			b[j].data = f->data;
			b[j].len = f->len;
		}
		pktpath_kdrv_count_burst(&v->counters, stage, b, k);
	}
}

/* The hardware: DMA from the wire into free RX slots, a full ring's refusals, then the interrupt. */
static enum hrtimer_restart vnic_hw_tick(struct hrtimer *t)
{
	struct vnic *v = container_of(t, struct vnic, hw);
	u32 wfirst, rfirst, n, k, i;

	v->ticks++;
	n = pktpath_ring_peek(&v->wire, burst, &wfirst);
	if (n) {
		k = pktpath_ring_reserve(&v->rx, n, &rfirst);
		for (i = 0; i < k; i++) {
			const struct vnic_frame *src = pktpath_ring_slot(&v->wire, wfirst + i);
			struct vnic_frame *dst = pktpath_ring_slot(&v->rx, rfirst + i);

			dst->len = src->len;
			memcpy(dst->data, src->data, src->len);
		}
		vnic_count_slots(v, PKTPATH_DRIVER_RX_ring_enqueue, &v->rx, rfirst, k);
		pktpath_ring_commit(&v->rx, k);
		if (k < n) {
			vnic_count_slots(v, PKTPATH_DRIVER_RX_ring_full, &v->wire, wfirst + k, n - k);
			pktpath_ring_count_drops(&v->rx, n - k);
			v->dev->stats.rx_missed_errors += n - k;
		}
		pktpath_ring_release(&v->wire, n);
		wake_up(&v->wire_room);
	}
	if (pktpath_ring_count(&v->rx))
		napi_schedule(&v->napi);
	hrtimer_forward_now(t, ns_to_ktime((u64)period_us * NSEC_PER_USEC));
	return HRTIMER_RESTART;
}

static int vnic_poll(struct napi_struct *napi, int budget)
{
	struct vnic *v = container_of(napi, struct vnic, napi);
	struct net_device *dev = v->dev;
	u32 limit = break_budget ? 2 * (u32)budget : (u32)budget;
	u32 first, n, i;

	n = pktpath_ring_peek(&v->rx, limit, &first);
	for (i = 0; i < n; i++) {
		const struct vnic_frame *f = pktpath_ring_slot(&v->rx, first + i);
		struct sk_buff *skb;

		pktpath_kdrv_count_buf(&v->counters, PKTPATH_DRIVER_RX_napi_poll, f->data, f->len);
		skb = napi_alloc_skb(napi, f->len);
		if (!skb) {
			dev->stats.rx_dropped++;
			v->no_memory++;
			continue;
		}
		skb_put_data(skb, f->data, f->len);
		skb->protocol = eth_type_trans(skb, dev);
		pktpath_kdrv_count_skb(&v->counters, PKTPATH_DRIVER_RX_to_stack, skb);
		dev->stats.rx_packets++;
		dev->stats.rx_bytes += f->len;
		napi_gro_receive(napi, skb);
	}
	pktpath_ring_release(&v->rx, n);
	v->polls++;
	v->full_polls += n >= (u32)budget;
	v->over_budget += n > (u32)budget;
	v->max_poll = max_t(u64, v->max_poll, n);
	/* Done: the interrupt is on again; frames the hardware added meanwhile are polled now, not a tick later. */
	if (n < (u32)budget && napi_complete_done(napi, n) && pktpath_ring_count(&v->rx))
		napi_schedule(napi);
	return n;
}

static int vnic_open(struct net_device *dev)
{
	struct vnic *v = netdev_priv(dev);

	napi_enable(&v->napi);
	hrtimer_start(&v->hw, ns_to_ktime((u64)period_us * NSEC_PER_USEC), HRTIMER_MODE_REL_PINNED);
	netif_start_queue(dev);
	return 0;
}

static int vnic_stop(struct net_device *dev)
{
	struct vnic *v = netdev_priv(dev);

	netif_stop_queue(dev);
	hrtimer_cancel(&v->hw);
	napi_disable(&v->napi);
	return 0;
}

/* What the stack sends (replies) leaves on a wire nobody listens to. */
static netdev_tx_t vnic_xmit(struct sk_buff *skb, struct net_device *dev)
{
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += skb->len;
	dev_consume_skb_any(skb);
	return NETDEV_TX_OK;
}

static const struct net_device_ops vnic_ops = {
	.ndo_open = vnic_open,
	.ndo_stop = vnic_stop,
	.ndo_start_xmit = vnic_xmit,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/* One frame per write; blocks while the wire is full (O_NONBLOCK: -EAGAIN). */
static ssize_t vnic_wire_write(struct file *file, const char __user *buf, size_t n, loff_t *pos)
{
	struct vnic *v = pde_data(file_inode(file));
	struct vnic_frame *f;
	ssize_t ret = n;
	u32 slot;

	if (n < ETH_HLEN || n > VNIC_FRAME_MAX) {
		mutex_lock(&v->wire_lock);
		v->wire_bad++;
		mutex_unlock(&v->wire_lock);
		return -EMSGSIZE;
	}
	if (mutex_lock_interruptible(&v->wire_lock))
		return -ERESTARTSYS;
	while (!READ_ONCE(v->dying) && !pktpath_ring_reserve(&v->wire, 1, &slot)) {
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out;
		}
		if (wait_event_interruptible(v->wire_room,
					     READ_ONCE(v->dying) || pktpath_ring_count(&v->wire) < v->wire.capacity)) {
			ret = -ERESTARTSYS;
			goto out;
		}
	}
	if (READ_ONCE(v->dying)) {
		ret = -ENODEV;
		goto out;
	}
	f = pktpath_ring_slot(&v->wire, slot);
	if (copy_from_user(f->data, buf, n)) {
		pktpath_ring_commit(&v->wire, 0);
		ret = -EFAULT;
		goto out;
	}
	f->len = n;
	pktpath_ring_commit(&v->wire, 1);
	v->wire_frames++;
out:
	mutex_unlock(&v->wire_lock);
	return ret;
}

static int vnic_status_show(struct seq_file *m, void *unused)
{
	struct vnic *v = m->private;

	seq_printf(m, "pktpath-vnic %d\n", VNIC_STATUS_VERSION);
	seq_printf(m, "device name=%s ifindex=%d\n", v->dev->name, v->dev->ifindex);
	seq_printf(m, "ring capacity=%u count=%u drops=%llu\n", v->rx.capacity, pktpath_ring_count(&v->rx),
		   pktpath_ring_drops(&v->rx));
	seq_printf(m, "wire capacity=%u count=%u frames=%llu bad=%llu\n", v->wire.capacity,
		   pktpath_ring_count(&v->wire), READ_ONCE(v->wire_frames), READ_ONCE(v->wire_bad));
	seq_printf(m, "hardware burst=%u period_us=%u ticks=%llu\n", burst, period_us, READ_ONCE(v->ticks));
	seq_printf(m, "napi weight=%u polls=%llu full_polls=%llu over_budget=%llu max_poll=%llu no_memory=%llu\n",
		   weight, READ_ONCE(v->polls), READ_ONCE(v->full_polls), READ_ONCE(v->over_budget),
		   READ_ONCE(v->max_poll), READ_ONCE(v->no_memory));
	return 0;
}

static int vnic_status_open(struct inode *inode, struct file *file)
{
	return single_open(file, vnic_status_show, pde_data(inode));
}

static const struct proc_ops vnic_status_ops = {
	.proc_open = vnic_status_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static const struct proc_ops vnic_wire_ops = {
	.proc_write = vnic_wire_write,
};

/* A ring of frame slots in fresh memory (vmalloc: page-aligned); 0 or a negative errno. */
static int vnic_ring(struct pktpath_ring *r, void **mem, u32 capacity)
{
	size_t bytes = pktpath_ring_bytes(capacity, sizeof(struct vnic_frame));

	*mem = vmalloc(bytes);
	if (!*mem)
		return -ENOMEM;
	return pktpath_ring_init(*mem, bytes, capacity, sizeof(struct vnic_frame), __alignof__(struct vnic_frame),
				 PKTPATH_RING_SINGLE, PKTPATH_RING_SINGLE, r) == PKTPATH_RING_OK
		       ? 0
		       : -EINVAL;
}

static void vnic_free(struct net_device *dev)
{
	struct vnic *v = netdev_priv(dev);

	netif_napi_del(&v->napi);
	pktpath_kdrv_destroy(&v->counters);
	vfree(v->rx_mem);
	vfree(v->wire_mem);
	free_netdev(dev);
}

static int __init vnic_init(void)
{
	struct net_device *dev;
	struct vnic *v;
	char why[128] = "";
	int err;

	if (!pktpath_ring_valid_capacity(ring_size) || !pktpath_ring_valid_capacity(wire_size) || !weight ||
	    weight > NAPI_POLL_WEIGHT || !burst || period_us < 10) {
		pr_err("pktpath_vnic: ring_size and wire_size: powers of two; weight: 1 to %d; burst: 1 or more; period_us: 10 or more\n",
		       NAPI_POLL_WEIGHT);
		return -EINVAL;
	}
	dev = alloc_netdev(sizeof(*v), "vnic%d", NET_NAME_ENUM, ether_setup);
	if (!dev)
		return -ENOMEM;
	v = netdev_priv(dev);
	v->dev = dev;
	mutex_init(&v->wire_lock);
	init_waitqueue_head(&v->wire_room);
	hrtimer_init(&v->hw, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
	v->hw.function = vnic_hw_tick;
	dev->netdev_ops = &vnic_ops;
	eth_hw_addr_random(dev);
	netif_napi_add_weight(dev, &v->napi, vnic_poll, weight);
	err = vnic_ring(&v->rx, &v->rx_mem, ring_size) ?: vnic_ring(&v->wire, &v->wire_mem, wire_size);
	if (!err) {
		err = pktpath_kdrv_create(&v->counters, "driver_rx", flows, why, sizeof(why));
		if (err)
			pr_err("pktpath_vnic: %s\n", why);
	}
	if (err)
		goto fail;
	err = register_netdev(dev);
	if (err)
		goto fail;
	err = pktpath_kdrv_export(&v->counters, VNIC_DIR, dev->ifindex);
	if (!err && (!proc_create_data("driver", 0400, v->counters.dir, &vnic_status_ops, v) ||
		     !proc_create_data("wire", 0200, v->counters.dir, &vnic_wire_ops, v)))
		err = -ENOMEM;
	if (err) {
		pr_err("pktpath_vnic: cannot create /proc/" VNIC_DIR "\n");
		unregister_netdev(dev);
		goto fail;
	}
	vnic_dev = dev;
	return 0;
fail:
	vnic_free(dev);
	return err;
}

static void __exit vnic_exit(void)
{
	struct vnic *v = netdev_priv(vnic_dev);

	/* Writers waiting for room give up, so removing the files (which waits for them) cannot hang. */
	WRITE_ONCE(v->dying, true);
	wake_up_all(&v->wire_room);
	unregister_netdev(vnic_dev);
	vnic_free(vnic_dev);
}

module_init(vnic_init);
module_exit(vnic_exit);
MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("pktpath: a virtual NAPI device that counts its own receive path");
