// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
/*
 * pktpath_kmod: per-flow, per-stage packet and byte counters on the Linux
 * receive path, and per-flow drops by the kernel's drop reason, through the
 * pktpath kernel shim (include/pktpath/kernel/).  Files in /proc/pktpath/
 * (formats: include/pktpath/kernel/abi.h); pktpath-kstat reads them.
 *
 *   insmod pktpath_kmod.ko [set=kernel_rx] [stages=NAME[=PROBES],...] [capacity=4096]
 *          [drop_capacity=1024] [seed=0] [ifindex=0] [enabled=1] [frees=1] [timing=0]
 *          [sample_capacity=1024] [snap=128]
 */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include <pktpath/kernel/procfs.h>
#include <pktpath/kernel/shim.h>

static char *set = "kernel_rx";
module_param(set, charp, 0444);
MODULE_PARM_DESC(set, "stage set (table/stages.h): kernel_rx (default) or linux_rx");

static char *stages;
module_param(stages, charp, 0444);
MODULE_PARM_DESC(stages,
		 "stages to probe, NAME[=PROBES] separated by commas, or none (default: every stage of the set)");

static uint capacity = 4096;
module_param(capacity, uint, 0444);
MODULE_PARM_DESC(capacity, "flow table slots, a power of two (default 4096)");

static uint drop_capacity = 1024;
module_param(drop_capacity, uint, 0444);
MODULE_PARM_DESC(drop_capacity, "drop table slots (flow x reason), a power of two (default 1024)");

static unsigned long long seed;
module_param(seed, ullong, 0444);
MODULE_PARM_DESC(seed, "hash seed of both tables (default 0)");

static int ifindex;
module_param(ifindex, int, 0444);
MODULE_PARM_DESC(ifindex, "count only this device's frames (default 0: every device)");

static bool enabled = true;
module_param(enabled, bool, 0444);
MODULE_PARM_DESC(enabled, "count from load on (default 1; else from a control 'enable')");

static bool frees = true;
module_param(frees, bool, 0444);
MODULE_PARM_DESC(frees, "count freed skbs by drop reason, skb:kfree_skb and skb:consume_skb (default 1)");

static bool timing;
module_param(timing, bool, 0444);
MODULE_PARM_DESC(timing, "time the probe handlers, shown as ns= per stage in status (default 0)");

static uint sample_capacity = 1024;
module_param(sample_capacity, uint, 0444);
MODULE_PARM_DESC(sample_capacity,
		 "dropped frames kept for a reader of /proc/pktpath/samples, a power of two (default 1024; 0: none)");

static uint snap = PKTPATH_KSAMPLE_SNAP_DEFAULT;
module_param(snap, uint, 0444);
MODULE_PARM_DESC(snap, "bytes of a dropped frame kept in its sample (default 128, at most 2048)");

static struct pktpath_kshim *shim;
static struct proc_dir_entry *proc_dir;

static int __init pktpath_kmod_init(void)
{
	const struct pktpath_kshim_params p = {
		.set = set,
		.stages = stages,
		.capacity = capacity,
		.drop_capacity = drop_capacity,
		.seed = seed,
		.ifindex = ifindex,
		.enabled = enabled,
		.frees = frees,
		.timing = timing,
		.snap = snap,
		.sample_capacity = frees ? sample_capacity : 0,
	};
	char why[128] = "";
	unsigned int i;

	shim = pktpath_kshim_create(&p, why, sizeof(why));
	if (!shim) {
		pr_err("pktpath: %s\n", why);
		return -EINVAL;
	}
	pktpath_kshim_attach(shim);
	for (i = 0; i < shim->npoints; i++) {
		const struct pktpath_kpoint *pt = &shim->points[i];

		pr_info("pktpath: stage %s: %s %s %s (%s, %d)\n", shim->set->stages[pt->stage].name, pt->spec,
			pt->state == PKTPATH_KPOINT_ATTACHED ? "attached to" : "failed at", pt->symbol, pt->why,
			pt->err);
	}
	proc_dir = pktpath_kproc_create(PKTPATH_KSHIM_DIR, shim);
	if (!proc_dir) {
		pktpath_kshim_detach(shim);
		pktpath_kshim_destroy(shim);
		pr_err("pktpath: cannot create /proc/" PKTPATH_KSHIM_DIR "\n");
		return -ENOMEM;
	}
	return 0;
}

static void __exit pktpath_kmod_exit(void)
{
	proc_remove(proc_dir);
	pktpath_kshim_detach(shim);
	pktpath_kshim_destroy(shim);
}

module_init(pktpath_kmod_init);
module_exit(pktpath_kmod_exit);
MODULE_LICENSE("Dual BSD/GPL");
MODULE_DESCRIPTION("pktpath: per-flow, per-stage counters and drop reasons on the receive path");
