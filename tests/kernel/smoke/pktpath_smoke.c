// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * pktpath_smoke: a throw-away module that proves the QEMU harness end to end
 * and measures what the real pktpath module will rely on.  It is not the
 * pktpath module.
 *
 * - A kprobe on eth_type_trans(skb, dev) counts hits per dev->ifindex (the
 *   second argument, read with regs_get_kernel_argument(): the skb's dev may
 *   not be set yet when the probe fires).
 * - for_each_kernel_tracepoint() looks up the tracepoints skb:kfree_skb,
 *   skb:consume_skb and net:netif_receive_skb by name (struct tracepoint has
 *   no system name), and a probe is registered on each one found:
 *   netif_receive_skb counts per skb->dev->ifindex, kfree_skb per drop
 *   reason, consume_skb in total.
 * - The drop reasons' names are built at compile time from the kernel's own
 *   DEFINE_DROP_REASON(FN, FNe) list (include/net/dropreason.h on 6.1,
 *   include/net/dropreason-core.h on 6.12).
 *
 * /proc/pktpath_smoke (mode 0400) prints "key value" lines:
 *   eth_type_trans.hits.IFINDEX N     (only non-zero ones)
 *   eth_type_trans.nmissed N
 *   TP.found 0|1, TP.registered 0|1  (TP: netif_receive_skb, kfree_skb,
 *                                     consume_skb)
 *   netif_receive_skb.hits.IFINDEX N, kfree_skb.hits N,
 *   kfree_skb.reason.NAME N, consume_skb.hits N
 *   drop_reasons.names N, drop_reasons.max N
 */
#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/tracepoint.h>
#include <linux/version.h>
#include <net/dropreason.h>

/* Slot per ifindex; the last one takes every larger (or missing) ifindex. */
#define SMOKE_SLOTS 32

static atomic64_t smoke_eth_hits[SMOKE_SLOTS];
static atomic64_t smoke_rx_hits[SMOKE_SLOTS];
static atomic64_t smoke_free_hits;
static atomic64_t smoke_consume_hits;
static atomic64_t smoke_reason_hits[SKB_DROP_REASON_MAX + 1];
static atomic64_t smoke_reason_other;

/* Index = enum skb_drop_reason; holes (SKB_NOT_DROPPED_YET, SKB_CONSUMED) stay NULL. */
#define SMOKE_FN(reason) [SKB_DROP_REASON_##reason] = #reason,
#define SMOKE_FNE(reason) [SKB_DROP_REASON_##reason] = #reason
static const char *const smoke_reason_names[SKB_DROP_REASON_MAX + 1] = {DEFINE_DROP_REASON(SMOKE_FN, SMOKE_FNE)};

static unsigned int smoke_slot(const struct net_device *dev)
{
	if (!dev || dev->ifindex < 0 || dev->ifindex >= SMOKE_SLOTS - 1)
		return SMOKE_SLOTS - 1;
	return dev->ifindex;
}

static int smoke_eth_pre(struct kprobe *p, struct pt_regs *regs)
{
	const struct net_device *dev = (const struct net_device *)regs_get_kernel_argument(regs, 1);

	atomic64_inc(&smoke_eth_hits[smoke_slot(dev)]);
	return 0;
}

static struct kprobe smoke_kp = {
	.symbol_name = "eth_type_trans",
	.pre_handler = smoke_eth_pre,
};

/* Tracepoint probes: the tracepoint's TP_PROTO with a leading void *data. */
static void smoke_rx_probe(void *data, struct sk_buff *skb)
{
	atomic64_inc(&smoke_rx_hits[smoke_slot(skb->dev)]);
}

/*
 * include/trace/events/skb.h: 6.1 has kfree_skb(skb, location, reason) and
 * consume_skb(skb); 6.12 has kfree_skb(skb, location, reason, rx_sk) and
 * consume_skb(skb, location).  Only these two series are checked here.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static void smoke_free_probe(void *data, struct sk_buff *skb, void *location, enum skb_drop_reason reason,
			     struct sock *rx_sk)
#else
static void smoke_free_probe(void *data, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
#endif
{
	atomic64_inc(&smoke_free_hits);
	if ((unsigned int)reason <= SKB_DROP_REASON_MAX)
		atomic64_inc(&smoke_reason_hits[reason]);
	else
		atomic64_inc(&smoke_reason_other);
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
static void smoke_consume_probe(void *data, struct sk_buff *skb, void *location)
#else
static void smoke_consume_probe(void *data, struct sk_buff *skb)
#endif
{
	atomic64_inc(&smoke_consume_hits);
}

struct smoke_tp {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool registered;
};

static struct smoke_tp smoke_tps[] = {
	{.name = "netif_receive_skb", .probe = smoke_rx_probe},
	{.name = "kfree_skb", .probe = smoke_free_probe},
	{.name = "consume_skb", .probe = smoke_consume_probe},
};

static void smoke_find_tp(struct tracepoint *tp, void *priv)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(smoke_tps); i++)
		if (!strcmp(tp->name, smoke_tps[i].name))
			smoke_tps[i].tp = tp;
}

static int smoke_show(struct seq_file *m, void *v)
{
	unsigned int i, names = 0;

	for (i = 0; i < SMOKE_SLOTS; i++)
		if (atomic64_read(&smoke_eth_hits[i]))
			seq_printf(m, "eth_type_trans.hits.%u %lld\n", i, atomic64_read(&smoke_eth_hits[i]));
	seq_printf(m, "eth_type_trans.nmissed %lu\n", smoke_kp.nmissed);
	for (i = 0; i < ARRAY_SIZE(smoke_tps); i++) {
		seq_printf(m, "%s.found %d\n", smoke_tps[i].name, smoke_tps[i].tp != NULL);
		seq_printf(m, "%s.registered %d\n", smoke_tps[i].name, smoke_tps[i].registered);
	}
	for (i = 0; i < SMOKE_SLOTS; i++)
		if (atomic64_read(&smoke_rx_hits[i]))
			seq_printf(m, "netif_receive_skb.hits.%u %lld\n", i, atomic64_read(&smoke_rx_hits[i]));
	seq_printf(m, "kfree_skb.hits %lld\n", atomic64_read(&smoke_free_hits));
	for (i = 0; i <= SKB_DROP_REASON_MAX; i++)
		if (atomic64_read(&smoke_reason_hits[i]))
			seq_printf(m, "kfree_skb.reason.%s %lld\n",
				   smoke_reason_names[i] ? smoke_reason_names[i] : "UNNAMED",
				   atomic64_read(&smoke_reason_hits[i]));
	if (atomic64_read(&smoke_reason_other))
		seq_printf(m, "kfree_skb.reason.OUT_OF_RANGE %lld\n", atomic64_read(&smoke_reason_other));
	seq_printf(m, "consume_skb.hits %lld\n", atomic64_read(&smoke_consume_hits));
	for (i = 0; i <= SKB_DROP_REASON_MAX; i++)
		names += smoke_reason_names[i] != NULL;
	seq_printf(m, "drop_reasons.names %u\n", names);
	seq_printf(m, "drop_reasons.max %d\n", SKB_DROP_REASON_MAX);
	return 0;
}

static int smoke_open(struct inode *inode, struct file *file)
{
	return single_open(file, smoke_show, NULL);
}

static const struct proc_ops smoke_proc_ops = {
	.proc_open = smoke_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static void smoke_unregister_tps(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(smoke_tps); i++) {
		if (smoke_tps[i].registered)
			tracepoint_probe_unregister(smoke_tps[i].tp, smoke_tps[i].probe, NULL);
		smoke_tps[i].registered = false;
	}
	/* No probe may still be running when the module's text goes away. */
	tracepoint_synchronize_unregister();
}

static int __init smoke_init(void)
{
	unsigned int i;
	int err;

	for_each_kernel_tracepoint(smoke_find_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(smoke_tps); i++) {
		if (!smoke_tps[i].tp) {
			pr_info("pktpath_smoke: tracepoint %s not found\n", smoke_tps[i].name);
			continue;
		}
		err = tracepoint_probe_register(smoke_tps[i].tp, smoke_tps[i].probe, NULL);
		smoke_tps[i].registered = !err;
		pr_info("pktpath_smoke: tracepoint %s found, probe registration %d\n", smoke_tps[i].name, err);
	}
	err = register_kprobe(&smoke_kp);
	if (err) {
		pr_err("pktpath_smoke: register_kprobe(eth_type_trans) failed: %d\n", err);
		goto out_tps;
	}
	pr_info("pktpath_smoke: kprobe on %s at %px\n", smoke_kp.symbol_name, smoke_kp.addr);
	if (!proc_create("pktpath_smoke", 0400, NULL, &smoke_proc_ops)) {
		err = -ENOMEM;
		goto out_kprobe;
	}
	return 0;

out_kprobe:
	unregister_kprobe(&smoke_kp);
out_tps:
	smoke_unregister_tps();
	return err;
}

static void __exit smoke_exit(void)
{
	remove_proc_entry("pktpath_smoke", NULL);
	unregister_kprobe(&smoke_kp);
	smoke_unregister_tps();
	pr_info("pktpath_smoke: unloaded, nmissed %lu\n", smoke_kp.nmissed);
}

module_init(smoke_init);
module_exit(smoke_exit);
MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("pktpath QEMU harness smoke test: eth_type_trans kprobe and skb tracepoints");
