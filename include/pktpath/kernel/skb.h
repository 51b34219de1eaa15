/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * An skb's flow key through the library's parser (flow/parse.h), kernel
 * only.  The parser needs contiguous bytes, and a NIC's skb may keep its
 * headers in paged data (skb_headlen() shorter than the headers), so the
 * first PKTPATH_KSKB_HEADER bytes of the frame are taken with
 * skb_header_pointer(): a pointer into the linear head when they are there,
 * else a copy into the caller's buffer.
 */
#ifndef PKTPATH_KERNEL_SKB_H
#define PKTPATH_KERNEL_SKB_H

#ifdef __KERNEL__

#include <linux/if_ether.h>
#include <linux/skbuff.h>

#include "../flow/parse.h"

/* Bytes handed to the parser: Ethernet, two VLAN tags, IPv6 and a few extension headers, ports. */
#define PKTPATH_KSKB_HEADER 256

/* Where a probe point parses its skb from (a stage set's layer). */
#define PKTPATH_KSKB_L2 2 /* the MAC header, or skb->data before eth_type_trans sets it */
#define PKTPATH_KSKB_L3 3 /* the network header, for IPv4 and IPv6 skbs */

/* Wire frames an skb stands for: GRO merges several into one with gso_segs set. */
static inline u32 pktpath_kskb_segs(const struct sk_buff *skb)
{
	u32 segs = skb_shinfo(skb)->gso_segs;

	return segs ? segs : 1;
}

/*
 * Parses skb from `layer` into *r; *bytes is the skb's length from that
 * header on.  0, or -EFAULT when the header bytes could not be copied
 * (r is then left unset).
 */
static inline int pktpath_kskb_parse(const struct sk_buff *skb, int layer, struct pktpath_parse_result *r, u32 *bytes)
{
	u8 buf[PKTPATH_KSKB_HEADER];
	u32 linktype = PKTPATH_LINKTYPE_ETHERNET;
	const void *p;
	int off = 0;
	int len, n;

	if (layer == PKTPATH_KSKB_L3 && skb->protocol == htons(ETH_P_IP)) {
		off = skb_network_offset(skb);
		linktype = PKTPATH_LINKTYPE_IPV4;
	} else if (layer == PKTPATH_KSKB_L3 && skb->protocol == htons(ETH_P_IPV6)) {
		off = skb_network_offset(skb);
		linktype = PKTPATH_LINKTYPE_IPV6;
	} else if (skb_mac_header_was_set(skb)) {
		off = skb_mac_offset(skb);
	}
	len = (int)skb->len - off;
	if (len < 0)
		return -EFAULT;
	n = len < (int)sizeof(buf) ? len : (int)sizeof(buf);
	p = skb_header_pointer(skb, off, n, buf);
	if (!p)
		return -EFAULT;
	*bytes = (u32)len;
	pktpath_parse(p, (size_t)n, linktype, 0, r);
	return 0;
}

#endif /* __KERNEL__ */
#endif /* PKTPATH_KERNEL_SKB_H */
