/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * Stage sets as data, written once for C and C++: each set is an X-macro
 * list of its stages in order, the root first.  A stage has a name (the
 * image's stage name), a predecessor (an earlier stage of the set), the
 * layer its skb is parsed from in a kernel probe (2: from the MAC header,
 * or skb->data before eth_type_trans sets it; 3: from the network header)
 * and the probe points a kernel module attaches for it
 * (include/pktpath/kernel/probe.h has their grammar).  C++ makes its stage
 * set types of these lists (stages.hpp); a module looks a set up by name.
 *
 *   LIST(ROOT, STAGE, prefix)
 *     ROOT(prefix, name, layer, probes)          the first stage
 *     STAGE(prefix, name, pred, layer, probes)   every other one
 */
#ifndef PKTPATH_TABLE_STAGES_H
#define PKTPATH_TABLE_STAGES_H

#include "../config.h"
#include "image.h"

/* The L3 entry points, single skbs and lists (what GRO hands on). */
#define PKTPATH_PROBES_IP_RCV "ip_rcv@0+ip_list_rcv@l0"
#define PKTPATH_PROBES_IPV6_RCV "ipv6_rcv@0+ipv6_list_rcv@l0"

/* The Linux receive path as far as the socket layer, IPv4 only; the two L4 handlers are alternatives. */
#define PKTPATH_STAGES_LINUX_RX(ROOT, STAGE, p)                                                              \
	ROOT(p, eth_type_trans, 2, "eth_type_trans@0,d1")                                                    \
	STAGE(p, napi_gro_receive, eth_type_trans, 2, "tp:napi_gro_receive_entry")                           \
	STAGE(p, netif_receive_skb, napi_gro_receive, 2, "tp:netif_receive_skb|__netif_receive_skb_core@p0") \
	STAGE(p, ip_rcv, netif_receive_skb, 3, PKTPATH_PROBES_IP_RCV)                                        \
	STAGE(p, tcp_v4_rcv, ip_rcv, 3, "tcp_v4_rcv@0")                                                      \
	STAGE(p, udp_rcv, ip_rcv, 3, "udp_rcv@0")

/*
 * What the kernel module probes by default: the IPv4 path above and its
 * IPv6 twin.  On Debian's 6.1, NIC traffic through GRO reaches only the list
 * entry points (ip_list_rcv, ipv6_list_rcv), so each L3 stage has both.
 */
#define PKTPATH_STAGES_KERNEL_RX(ROOT, STAGE, p)                          \
	PKTPATH_STAGES_LINUX_RX(ROOT, STAGE, p)                           \
	STAGE(p, ipv6_rcv, netif_receive_skb, 3, PKTPATH_PROBES_IPV6_RCV) \
	STAGE(p, tcp_v6_rcv, ipv6_rcv, 3, "tcp_v6_rcv@0")                 \
	STAGE(p, udpv6_rcv, ipv6_rcv, 3, "udpv6_rcv@0")

/*
 * A driver's own receive path (kernel/driver.h): stages without probe
 * points are the ones the driver counts itself.  ring_enqueue: frames its
 * hardware put into the RX ring; ring_full: frames it refused because the
 * ring was full (a second root: offered = ring_enqueue + ring_full);
 * napi_poll: frames its poll took from the ring; to_stack: skbs it handed to
 * napi_gro_receive; then the stack's L3 entry points, probed on its device.
 */
#define PKTPATH_STAGES_DRIVER_RX(ROOT, STAGE, p)             \
	ROOT(p, ring_enqueue, 2, "")                         \
	ROOT(p, ring_full, 2, "")                            \
	STAGE(p, napi_poll, ring_enqueue, 2, "")             \
	STAGE(p, to_stack, napi_poll, 2, "")                 \
	STAGE(p, ip_rcv, to_stack, 3, PKTPATH_PROBES_IP_RCV) \
	STAGE(p, ipv6_rcv, to_stack, 3, PKTPATH_PROBES_IPV6_RCV)

/* Generators for the lists: enumerators, and definitions. */
#define PKTPATH_STAGE_ENUM_ROOT(p, name, layer, probes) p##name,
#define PKTPATH_STAGE_ENUM(p, name, pred, layer, probes) p##name,
#define PKTPATH_STAGE_DEF_ROOT(p, name, layer, probes) {#name, -1, layer, probes},
#define PKTPATH_STAGE_DEF(p, name, pred, layer, probes) {#name, p##pred, layer, probes},

/* One stage of a set; C++'s stage_def is its first two fields. */
struct pktpath_stage_def {
	const char *name;
	int pred;           /* index of the stage before, or -1 */
	int layer;          /* 2 or 3: where a kernel probe parses the skb from */
	const char *probes; /* kernel probe points (include/pktpath/kernel/probe.h) */
};

enum pktpath_linux_rx_stage {
	PKTPATH_STAGES_LINUX_RX(PKTPATH_STAGE_ENUM_ROOT, PKTPATH_STAGE_ENUM, PKTPATH_LINUX_RX_) PKTPATH_LINUX_RX_COUNT
};
enum pktpath_kernel_rx_stage {
	PKTPATH_STAGES_KERNEL_RX(PKTPATH_STAGE_ENUM_ROOT, PKTPATH_STAGE_ENUM, PKTPATH_KERNEL_RX_)
		PKTPATH_KERNEL_RX_COUNT
};
enum pktpath_driver_rx_stage {
	PKTPATH_STAGES_DRIVER_RX(PKTPATH_STAGE_ENUM_ROOT, PKTPATH_STAGE_ENUM, PKTPATH_DRIVER_RX_)
		PKTPATH_DRIVER_RX_COUNT
};

struct pktpath_stage_set {
	const char *name;
	const struct pktpath_stage_def *stages;
	uint32_t count;
};

/* Every stage set by name, for a loader that picks one at run time; NULL when unknown. */
PKTPATH_INLINE const struct pktpath_stage_set *pktpath_stage_set_find(const char *name)
{
	static const struct pktpath_stage_def linux_rx[] = {
		PKTPATH_STAGES_LINUX_RX(PKTPATH_STAGE_DEF_ROOT, PKTPATH_STAGE_DEF, PKTPATH_LINUX_RX_)};
	static const struct pktpath_stage_def kernel_rx[] = {
		PKTPATH_STAGES_KERNEL_RX(PKTPATH_STAGE_DEF_ROOT, PKTPATH_STAGE_DEF, PKTPATH_KERNEL_RX_)};
	static const struct pktpath_stage_def driver_rx[] = {
		PKTPATH_STAGES_DRIVER_RX(PKTPATH_STAGE_DEF_ROOT, PKTPATH_STAGE_DEF, PKTPATH_DRIVER_RX_)};
	static const struct pktpath_stage_set sets[] = {
		{"linux_rx", linux_rx, PKTPATH_LINUX_RX_COUNT},
		{"kernel_rx", kernel_rx, PKTPATH_KERNEL_RX_COUNT},
		{"driver_rx", driver_rx, PKTPATH_DRIVER_RX_COUNT},
	};
	uint32_t i;
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if (strcmp(sets[i].name, name) == 0)
			return &sets[i];
	return NULL;
}

PKTPATH_STATIC_ASSERT(PKTPATH_LINUX_RX_COUNT <= PKTPATH_TABLE_MAX_STAGES, "linux_rx: at most 16 stages");
PKTPATH_STATIC_ASSERT(PKTPATH_KERNEL_RX_COUNT <= PKTPATH_TABLE_MAX_STAGES, "kernel_rx: at most 16 stages");
PKTPATH_STATIC_ASSERT(PKTPATH_DRIVER_RX_COUNT <= PKTPATH_TABLE_MAX_STAGES, "driver_rx: at most 16 stages");

#endif /* PKTPATH_TABLE_STAGES_H */
