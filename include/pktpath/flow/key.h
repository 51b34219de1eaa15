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
	uint8_t src[16]; /* network byte order */
	uint8_t dst[16]; /* network byte order */
	uint16_t sport;  /* host byte order; 0 without PKTPATH_KEY_PORTS */
	uint16_t dport;  /* host byte order; 0 without PKTPATH_KEY_PORTS */
	uint16_t vlan;   /* outermost VLAN id when the caller asked for it, else 0 */
	uint8_t proto;   /* IPv4 protocol / IPv6 upper-layer next header */
	uint8_t flags;   /* PKTPATH_KEY_* */
};

PKTPATH_STATIC_ASSERT(sizeof(struct pktpath_flow_key) == 40 && offsetof(struct pktpath_flow_key, sport) == 32,
		      "C key layout: 40 bytes, no padding");

/* 4 or 6 by a key's flags; 0 for a zeroed (no) key. */
PKTPATH_INLINE unsigned pktpath_flags_ipver(unsigned flags)
{
	return (flags & PKTPATH_KEY_IPV6) ? 6u : (flags & PKTPATH_KEY_IPV4) ? 4u : 0u;
}

PKTPATH_INLINE unsigned pktpath_key_ipver(const struct pktpath_flow_key *k)
{
	return pktpath_flags_ipver(k->flags);
}

PKTPATH_INLINE int pktpath_key_equal(const struct pktpath_flow_key *a, const struct pktpath_flow_key *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/*
 * Direction-independent endpoints: the one (address of addr_len <= 16
 * bytes, port) that compares lower becomes the source, so both directions
 * of a conversation give one key.  Idempotent.  Every key layout (the C key
 * here, the C++ 5-tuples of key.hpp) orders its endpoints with this.
 */
PKTPATH_INLINE void pktpath_endpoints_make_symmetric(uint8_t *src, uint8_t *dst, size_t addr_len, uint16_t *sport,
						     uint16_t *dport)
{
	int c = memcmp(src, dst, addr_len);
	if (c > 0 || (c == 0 && *sport > *dport)) {
		uint8_t a[16];
		uint16_t p = *sport;
		memcpy(a, src, addr_len);
		memcpy(src, dst, addr_len);
		memcpy(dst, a, addr_len);
		*sport = *dport;
		*dport = p;
	}
}

PKTPATH_INLINE void pktpath_key_make_symmetric(struct pktpath_flow_key *k)
{
	pktpath_endpoints_make_symmetric(k->src, k->dst, sizeof(k->src), &k->sport, &k->dport);
}

#endif /* PKTPATH_FLOW_KEY_H */
