/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * What the kernel shim exports and its readers (pktpath-kstat) parse: the
 * files it creates, the key of its drop table, and the records of its text
 * status file.  Plain C on config.h, so it compiles everywhere; the rest of
 * include/pktpath/kernel/ is kernel-only.
 *
 * Files (under /proc/PKTPATH_KSHIM_DIR, or the directory a module names):
 *   image    0400  the flow x stage table image (table/image.h)
 *   drops    0400  the drop table image: key struct pktpath_kdrop_key,
 *                  stages "kfree_skb" and "consume_skb"
 *   status   0400  text, one record a line, first word the record type:
 *     pktpath-kshim VERSION
 *     set NAME                         the stage set
 *     enabled 0|1
 *     ifindex N                        0: every device
 *     filter TEXT|-                    the flow filter, as the control file took it
 *     stage INDEX NAME on|off hits=N counted=N overflow=N copy_failed=N disabled=N filtered=N other_dev=N
 *     probe INDEX STAGE SPEC kprobe|tracepoint|- SYMBOL|- attached|failed|off ERR nmissed=N hits=N why=TEXT
 *     free kfree_skb|consume_skb hits=N counted=N disabled=N filtered=N not_rx=N copy_failed=N overflow=N
 *     reason CODE NAME                 every reason the running kernel names
 *     location CODE COUNT SYMBOL+OFF/LEN   where drops of a reason happened
 *     samples capacity=N snap=N slot=N bytes=N written=N drops=N
 *                                      the sample ring (when the module keeps one):
 *                                      samples written and refused (ring full) since
 *                                      load or reset
 *   samples  0600  the drop sample ring (ring/ring.h, single producer and
 *                  consumer; each slot a struct pktpath_ksample and its bytes,
 *                  drop_sample.h), mapped shared by its one reader
 *   control  0200  one command a write: reset | enable | disable |
 *                  ifindex N | filter off | filter [proto=P] [host=A[/L]]
 *                  [src=A[/L]] [dst=A[/L]] [port=N] [sport=N] [dport=N]
 */
#ifndef PKTPATH_KERNEL_ABI_H
#define PKTPATH_KERNEL_ABI_H

#include "../config.h"
#include "../flow/key.h"

#define PKTPATH_KSHIM_VERSION 1
#define PKTPATH_KSHIM_DIR "pktpath"

/* Drop table stages: a free with a reason, and a free without one (consumed). */
#define PKTPATH_KDROP_KFREE 0u
#define PKTPATH_KDROP_CONSUME 1u
#define PKTPATH_KDROP_STAGES 2u

/* reason of a consume_skb free (no drop reason; SKB_NOT_DROPPED_YET in both kernels' enums) */
#define PKTPATH_KDROP_NO_REASON 0u

/* The drop table's key: who was freed, why, and how the parser saw it. */
struct pktpath_kdrop_key {
	struct pktpath_flow_key flow; /* zero when the frame has no flow key */
	uint32_t reason;              /* enum skb_drop_reason of the running kernel, subsystem bits included */
	uint8_t status;               /* enum pktpath_status */
	uint8_t zero[3];
};

PKTPATH_STATIC_ASSERT(sizeof(struct pktpath_kdrop_key) == 48 && offsetof(struct pktpath_kdrop_key, reason) == 40,
		      "drop key layout: 48 bytes, no padding");

#endif /* PKTPATH_KERNEL_ABI_H */
