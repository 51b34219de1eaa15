/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The flow filter: which parsed frames are counted.  Its criteria, their
 * ranges and the match are defined here once, for the kernel shim's control
 * file (kernel/shim.h) and for userspace's flow_filter (replay/filter.hpp).
 * Every criterion set must hold; a frame without a flow key matches only
 * the empty filter.  Each side turns text into values with its own
 * platform's parsers (inet_pton or in4_pton/in6_pton, strtol or kstrto*);
 * protocol names come from flow/proto.h.
 *
 *   struct pktpath_flow_filter f = {0};
 *   pktpath_flow_filter_set_number(&f, PKTPATH_FILTER_PROTO, PKTPATH_IPPROTO_UDP);
 *   pktpath_flow_filter_set_prefix(&f, PKTPATH_FILTER_DST, addr, 4, 8);
 *   if (pktpath_flow_filter_match(&f, &parse_result)) ...
 */
#ifndef PKTPATH_FLOW_FILTER_H
#define PKTPATH_FLOW_FILTER_H

#include "../config.h"
#include "parse.h"

enum pktpath_filter_criterion {
	PKTPATH_FILTER_PROTO, /* the key's IP protocol */
	PKTPATH_FILTER_HOST,  /* a prefix either address is in */
	PKTPATH_FILTER_SRC,
	PKTPATH_FILTER_DST,
	PKTPATH_FILTER_PORT, /* either port (keys with ports only) */
	PKTPATH_FILTER_SPORT,
	PKTPATH_FILTER_DPORT,
	PKTPATH_FILTER_VLAN, /* the outer VLAN id (the frame had a tag) */
	PKTPATH_FILTER_CRITERIA
};

/* An address prefix of one family: 10.0.0.0/8, 2001:db8::/32. */
struct pktpath_prefix {
	uint8_t addr[16];
	uint8_t ipver; /* 4 or 6 */
	uint8_t len;   /* bits */
};

/* Zero-initialised: the empty filter, which matches every frame. */
struct pktpath_flow_filter {
	uint32_t set; /* bit (1u << criterion) for each criterion given */
	uint8_t proto;
	uint16_t port, sport, dport, vlan;
	struct pktpath_prefix host, src, dst;
};

/* The names filters are written with ("proto", "host", ...), in criterion order. */
PKTPATH_INLINE const char *pktpath_filter_criterion_name(unsigned int c)
{
	static const char *const names[PKTPATH_FILTER_CRITERIA] = {"proto", "host",  "src",   "dst",
								   "port",  "sport", "dport", "vlan"};
	return c < PKTPATH_FILTER_CRITERIA ? names[c] : "?";
}

/* A criterion by name, or -1. */
PKTPATH_INLINE int pktpath_filter_criterion_from_name(const char *name)
{
	unsigned int c;

	for (c = 0; c < PKTPATH_FILTER_CRITERIA; c++)
		if (!strcmp(name, pktpath_filter_criterion_name(c)))
			return (int)c;
	return -1;
}

PKTPATH_INLINE int pktpath_filter_criterion_is_prefix(unsigned int c)
{
	return c == PKTPATH_FILTER_HOST || c == PKTPATH_FILTER_SRC || c == PKTPATH_FILTER_DST;
}

/* The largest value of a number criterion: protocols are 8 bits, ports 16, VLAN ids 12. */
PKTPATH_INLINE uint32_t pktpath_filter_number_max(unsigned int c)
{
	return c == PKTPATH_FILTER_PROTO ? 255u : c == PKTPATH_FILTER_VLAN ? 4095u : 65535u;
}

/* Sets a number criterion; -1 (f unchanged) for a prefix criterion or a value out of range. */
PKTPATH_INLINE int pktpath_flow_filter_set_number(struct pktpath_flow_filter *f, unsigned int c, uint32_t v)
{
	if (c >= PKTPATH_FILTER_CRITERIA || pktpath_filter_criterion_is_prefix(c) || v > pktpath_filter_number_max(c))
		return -1;
	switch (c) {
	case PKTPATH_FILTER_PROTO:
		f->proto = (uint8_t)v;
		break;
	case PKTPATH_FILTER_PORT:
		f->port = (uint16_t)v;
		break;
	case PKTPATH_FILTER_SPORT:
		f->sport = (uint16_t)v;
		break;
	case PKTPATH_FILTER_DPORT:
		f->dport = (uint16_t)v;
		break;
	default:
		f->vlan = (uint16_t)v;
		break;
	}
	f->set |= 1u << c;
	return 0;
}

/*
 * Sets a prefix criterion from an address the caller parsed (4 or 16 bytes
 * by ipver); -1 (f unchanged) for a number criterion, another family or a
 * length beyond the address.  Bits past len are kept but never compared.
 */
PKTPATH_INLINE int pktpath_flow_filter_set_prefix(struct pktpath_flow_filter *f, unsigned int c, const uint8_t *addr,
						  unsigned int ipver, unsigned int len)
{
	struct pktpath_prefix *p = c == PKTPATH_FILTER_HOST  ? &f->host
				   : c == PKTPATH_FILTER_SRC ? &f->src
				   : c == PKTPATH_FILTER_DST ? &f->dst
							     : (struct pktpath_prefix *)0;

	if (!p || (ipver != 4 && ipver != 6) || len > (ipver == 4 ? 32u : 128u))
		return -1;
	memset(p, 0, sizeof(*p));
	memcpy(p->addr, addr, ipver == 4 ? 4 : 16);
	p->ipver = (uint8_t)ipver;
	p->len = (uint8_t)len;
	f->set |= 1u << c;
	return 0;
}

PKTPATH_INLINE int pktpath_filter_has(const struct pktpath_flow_filter *f, unsigned int c)
{
	return (f->set >> c) & 1u;
}

/* Whether address a of family v is in p. */
PKTPATH_INLINE int pktpath_prefix_match(const struct pktpath_prefix *p, const uint8_t *a, unsigned int v)
{
	const unsigned int whole = p->len / 8u, rest = p->len % 8u;

	if (v != p->ipver || memcmp(a, p->addr, whole) != 0)
		return 0;
	return rest == 0 || ((a[whole] ^ p->addr[whole]) & (uint8_t)(0xff00u >> rest)) == 0;
}

PKTPATH_INLINE int pktpath_flow_filter_match(const struct pktpath_flow_filter *f, const struct pktpath_parse_result *r)
{
	const struct pktpath_flow_key *k = &r->key;
	unsigned int v;
	int ports;

	if (!pktpath_status_has_key(r->status))
		return f->set == 0;
	v = pktpath_key_ipver(k);
	ports = (k->flags & PKTPATH_KEY_PORTS) != 0;
	if (pktpath_filter_has(f, PKTPATH_FILTER_PROTO) && k->proto != f->proto)
		return 0;
	if (pktpath_filter_has(f, PKTPATH_FILTER_HOST) && !pktpath_prefix_match(&f->host, k->src, v) &&
	    !pktpath_prefix_match(&f->host, k->dst, v))
		return 0;
	if (pktpath_filter_has(f, PKTPATH_FILTER_SRC) && !pktpath_prefix_match(&f->src, k->src, v))
		return 0;
	if (pktpath_filter_has(f, PKTPATH_FILTER_DST) && !pktpath_prefix_match(&f->dst, k->dst, v))
		return 0;
	if (pktpath_filter_has(f, PKTPATH_FILTER_PORT) && !(ports && (k->sport == f->port || k->dport == f->port)))
		return 0;
	if (pktpath_filter_has(f, PKTPATH_FILTER_SPORT) && !(ports && k->sport == f->sport))
		return 0;
	if (pktpath_filter_has(f, PKTPATH_FILTER_DPORT) && !(ports && k->dport == f->dport))
		return 0;
	/* The parser fills key.vlan only under PKTPATH_PARSE_VLAN; the info bit tells a tag with id 0 from none. */
	if (pktpath_filter_has(f, PKTPATH_FILTER_VLAN) && !((r->info & PKTPATH_INFO_VLAN) && k->vlan == f->vlan))
		return 0;
	return 1;
}

#endif /* PKTPATH_FLOW_FILTER_H */
