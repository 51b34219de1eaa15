/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The family-agnostic flow key shared by kernel C and userspace C++: the
 * layout the exported counter table stores and the parser fills.  40 bytes,
 * no padding, so a key can be compared and hashed as raw bytes.
 */
#ifndef PKTPATH_FLOW_KEY_H
#define PKTPATH_FLOW_KEY_H

#include "../config.h"

/* pktpath_flow_key.flags */
#define PKTPATH_KEY_IPV4 0x01u  /* addresses hold IPv4 (first 4 bytes, rest zero) */
#define PKTPATH_KEY_IPV6 0x02u  /* addresses hold IPv6 */
#define PKTPATH_KEY_PORTS 0x04u /* sport/dport are real ports (TCP, UDP, UDP-Lite, SCTP) */

struct pktpath_flow_key {
	uint8_t src[16];  /* network byte order */
	uint8_t dst[16];  /* network byte order */
	uint16_t sport;   /* host byte order; 0 without PKTPATH_KEY_PORTS */
	uint16_t dport;   /* host byte order; 0 without PKTPATH_KEY_PORTS */
	uint16_t vlan;    /* outermost VLAN id when the caller asked for it, else 0 */
	uint8_t proto;    /* IPv4 protocol / IPv6 upper-layer next header */
	uint8_t flags;    /* PKTPATH_KEY_* */
};

/* 4 or 6; 0 for a zeroed (no) key. */
PKTPATH_INLINE unsigned pktpath_key_ipver(const struct pktpath_flow_key *k)
{
	return (k->flags & PKTPATH_KEY_IPV6) ? 6u : (k->flags & PKTPATH_KEY_IPV4) ? 4u : 0u;
}

PKTPATH_INLINE int pktpath_key_equal(const struct pktpath_flow_key *a, const struct pktpath_flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/*
 * Direction-independent form: the endpoint (address, port) that compares
 * lower becomes the source, so both directions of a conversation map to one
 * key.  Idempotent.
 */
PKTPATH_INLINE void pktpath_key_make_symmetric(struct pktpath_flow_key *k)
{
	int c = memcmp(k->src, k->dst, sizeof(k->src));
	if (c > 0 || (c == 0 && k->sport > k->dport)) {
		uint8_t a[16];
		uint16_t p = k->sport;
		memcpy(a, k->src, sizeof(a));
		memcpy(k->src, k->dst, sizeof(a));
		memcpy(k->dst, a, sizeof(a));
		k->sport = k->dport;
		k->dport = p;
	}
}

#endif /* PKTPATH_FLOW_KEY_H */
