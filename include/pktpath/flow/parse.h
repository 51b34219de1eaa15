/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * One-pass flow-key parser over a (pointer, length) frame.  The same code is
 * the parser of the kernel shim (gnu11) and of userspace C++ (parse.hpp
 * wraps it), so both sides derive the same key from the same bytes.
 *
 * It never reads outside [frame, frame + caplen), never allocates and does a
 * bounded amount of work (at most PKTPATH_MAX_HEADERS stacked headers).
 *
 * Bounds: a header must fit in the captured bytes AND in the enclosing
 * datagram as its length fields declare it (IPv4 total length, IPv6 payload
 * length, PPPoE length).  Running past the captured bytes is `truncated`
 * (a snap length cut it); running past a declared length that the capture
 * does hold is `malformed` (a length field lies).
 */
#ifndef PKTPATH_FLOW_PARSE_H
#define PKTPATH_FLOW_PARSE_H

#include "key.h"
#include "proto.h"
#include "status.h"

/* Link types as pcap/pcapng files number them (LINKTYPE_*). */
enum pktpath_linktype {
	PKTPATH_LINKTYPE_NULL = 0, /* BSD loopback: 4-byte address family, host order */
	PKTPATH_LINKTYPE_ETHERNET = 1,
	PKTPATH_LINKTYPE_RAW_DLT12 = 12, /* raw IP as most BSDs number DLT_RAW: older files store it */
	PKTPATH_LINKTYPE_RAW_DLT14 = 14, /* raw IP as OpenBSD numbers DLT_RAW */
	PKTPATH_LINKTYPE_RAW = 101,      /* raw IPv4 or IPv6, by version nibble */
	PKTPATH_LINKTYPE_LOOP = 108,     /* OpenBSD loopback: address family, network order */
	PKTPATH_LINKTYPE_LINUX_SLL = 113,
	PKTPATH_LINKTYPE_IPV4 = 228,
	PKTPATH_LINKTYPE_IPV6 = 229,
	PKTPATH_LINKTYPE_LINUX_SLL2 = 276
};

/* Ethertypes (IEEE registry) and PPP protocols the parser walks through. */
enum pktpath_ethertype {
	PKTPATH_ETH_P_802_3_MIN = 0x0600, /* below: an 802.3 length, not an ethertype */
	PKTPATH_ETH_P_IPV4 = 0x0800,
	PKTPATH_ETH_P_TEB = 0x6558, /* transparent Ethernet bridging (GRE, Geneve) */
	PKTPATH_ETH_P_8021Q = 0x8100,
	PKTPATH_ETH_P_IPV6 = 0x86dd,
	PKTPATH_ETH_P_MPLS_UC = 0x8847,
	PKTPATH_ETH_P_MPLS_MC = 0x8848,
	PKTPATH_ETH_P_PPPOE_SES = 0x8864,
	PKTPATH_ETH_P_8021AD = 0x88a8,
	PKTPATH_ETH_P_MACSEC = 0x88e5, /* 802.1AE */
	PKTPATH_ETH_P_PBB = 0x88e7,    /* 802.1ah provider backbone I-TAG */
	PKTPATH_ETH_P_VNTAG = 0x8926,
	PKTPATH_ETH_P_ETAG = 0x893f,     /* 802.1BR */
	PKTPATH_ETH_P_NSH = 0x894f,      /* RFC 8300 network service header */
	PKTPATH_ETH_P_QINQ_9100 = 0x9100 /* pre-standard QinQ */
};
#define PKTPATH_PPP_IPV4 0x0021u
#define PKTPATH_PPP_IPV6 0x0057u
/* RFC 8300 next protocol */
#define PKTPATH_NSH_NEXT_IPV4 1u
#define PKTPATH_NSH_NEXT_IPV6 2u
#define PKTPATH_NSH_NEXT_ETHERNET 3u
#define PKTPATH_NSH_NEXT_NSH 4u
#define PKTPATH_NSH_NEXT_MPLS 5u

/* Caller's choice of what goes into the key (flow_dissector style). */
#define PKTPATH_PARSE_VLAN 0x1u      /* outermost 802.1Q/802.1ad VLAN id into key.vlan */
#define PKTPATH_PARSE_INNER 0x2u     /* key of the innermost tunnelled packet, not the outer one */
#define PKTPATH_PARSE_SYMMETRIC 0x4u /* direction-independent key (pktpath_key_make_symmetric) */

/* pktpath_parse_result.info */
#define PKTPATH_INFO_FRAG_FIRST 0x01u /* first fragment of a fragmented datagram (ports present) */
#define PKTPATH_INFO_FRAG_LATER 0x02u /* non-first fragment */
#define PKTPATH_INFO_SNAPPED 0x04u    /* the IP datagram is longer than the captured bytes */
#define PKTPATH_INFO_VLAN 0x08u       /* at least one VLAN tag */
#define PKTPATH_INFO_MPLS 0x10u       /* MPLS label stack */
#define PKTPATH_INFO_PPPOE 0x20u      /* PPPoE session */
#define PKTPATH_INFO_MACSEC 0x40u     /* 802.1AE SecTAG */
#define PKTPATH_INFO_NSH 0x80u        /* RFC 8300 network service header */

/* pktpath_parse_result.tunnel: the innermost tunnel removed (PKTPATH_PARSE_INNER) */
enum pktpath_tunnel {
	PKTPATH_TUNNEL_NONE = 0,
	PKTPATH_TUNNEL_GRE = 1,     /* GRE carrying IPv4/IPv6/MPLS */
	PKTPATH_TUNNEL_GRE_TEB = 2, /* GRE transparent Ethernet bridging */
	PKTPATH_TUNNEL_VXLAN = 3,
	PKTPATH_TUNNEL_GENEVE = 4,
	PKTPATH_TUNNEL_IPIP = 5, /* IPv4 or IPv6 inside IPv4 or IPv6 (IP-in-IP, 6in4, 4in6, 6in6) */
};

#define PKTPATH_NO_OFFSET 0xffffffffu
#define PKTPATH_MAX_HEADERS 32 /* VLAN tags + MPLS labels + IPv6 extension headers + tunnels */
#define PKTPATH_VXLAN_PORT 4789
#define PKTPATH_GENEVE_PORT 6081

struct pktpath_parse_result {
	struct pktpath_flow_key key; /* usable when pktpath_status_has_key(status); else partial */
	uint32_t l2_off;             /* L2 header in front of the key's IP header */
	uint32_t l3_off;             /* the key's IP header, or PKTPATH_NO_OFFSET */
	uint32_t l4_off;             /* its transport header, or PKTPATH_NO_OFFSET */
	uint32_t l4_end;             /* end of that IP datagram within the capture */
	uint16_t info;               /* PKTPATH_INFO_* */
	uint8_t status;              /* enum pktpath_status */
	uint8_t tunnel;              /* enum pktpath_tunnel */
	uint8_t encap;               /* tunnel layers removed */
	uint8_t headers;             /* stacked headers walked (bounded by PKTPATH_MAX_HEADERS) */
	uint16_t reserved;
};

PKTPATH_INLINE uint16_t pktpath_be16_(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

PKTPATH_INLINE uint32_t pktpath_be32_(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Cursor over the frame: `lim` is the tighter of the captured bytes and the declared lengths. */
struct pktpath_cursor_ {
	const uint8_t *p;
	size_t cap;
	size_t lim;
	size_t off;
};

/* 0 when n bytes at the cursor are readable; else why not. */
PKTPATH_INLINE unsigned pktpath_need_(const struct pktpath_cursor_ *c, size_t n)
{
	if (PKTPATH_LIKELY(n <= c->lim - c->off))
		return PKTPATH_OK;
	return c->lim < c->cap ? PKTPATH_MALFORMED : PKTPATH_TRUNCATED;
}

/* Shrinks the bound to a datagram of `len` bytes starting at `start`. */
PKTPATH_INLINE void pktpath_bound_(struct pktpath_cursor_ *c, size_t start, size_t len, uint16_t *info)
{
	if (start + len < c->lim)
		c->lim = start + len;
	else if (start + len > c->cap)
		*info |= PKTPATH_INFO_SNAPPED;
}

/* Address family numbers of DLT_NULL/DLT_LOOP headers across BSDs, Linux and Darwin. */
PKTPATH_INLINE unsigned pktpath_af_to_ipver_(uint32_t af)
{
	switch (af) {
	case 2:
		return 4;
	case 10: /* Linux */
	case 24: /* NetBSD, OpenBSD, BSD/OS */
	case 28: /* FreeBSD */
	case 30: /* Darwin */
		return 6;
	default:
		return 0;
	}
}

/*
 * Parses one frame of link type `linktype`.  Fills *r (always, also on
 * failure: offsets and key fields reached so far) and returns r->status.
 */
PKTPATH_INLINE enum pktpath_status pktpath_parse(const void *frame, size_t caplen, uint32_t linktype, unsigned flags,
						 struct pktpath_parse_result *r)
{
	struct pktpath_cursor_ c;
	struct pktpath_flow_key *k = &r->key;
	unsigned st = PKTPATH_OK;
	unsigned ethertype = 0, ipver = 0, proto = 0, hl, headers = 0;
	uint32_t af;
	size_t l3;

	memset(r, 0, sizeof(*r));
	r->l3_off = PKTPATH_NO_OFFSET;
	r->l4_off = PKTPATH_NO_OFFSET;
	c.p = (const uint8_t *)frame;
	c.cap = caplen;
	c.lim = caplen;
	c.off = 0;

	switch (linktype) {
	case PKTPATH_LINKTYPE_ETHERNET:
		goto ethernet;
	case PKTPATH_LINKTYPE_LINUX_SLL:
		/* packet type, ARPHRD type, address length, 8 address bytes, protocol */
		if ((st = pktpath_need_(&c, 16)))
			goto done;
		if (pktpath_be16_(c.p + 2) == 824) { /* ARPHRD_NETLINK: protocol is a netlink family */
			st = PKTPATH_UNSUPPORTED_L2;
			goto done;
		}
		ethertype = pktpath_be16_(c.p + 14);
		c.off = 16;
		goto ethertype;
	case PKTPATH_LINKTYPE_LINUX_SLL2:
		/* protocol, reserved, ifindex, ARPHRD type, packet type, address length, 8 address bytes */
		if ((st = pktpath_need_(&c, 20)))
			goto done;
		if (pktpath_be16_(c.p + 8) == 824) {
			st = PKTPATH_UNSUPPORTED_L2;
			goto done;
		}
		ethertype = pktpath_be16_(c.p);
		c.off = 20;
		goto ethertype;
	case PKTPATH_LINKTYPE_NULL:
	case PKTPATH_LINKTYPE_LOOP:
		if ((st = pktpath_need_(&c, 4)))
			goto done;
		/* The writer's byte order is unknown: family numbers are small, so pick the order that gives one. */
		af = pktpath_be32_(c.p);
		if (af > 0xffffu)
			af = (uint32_t)c.p[3] << 24 | (uint32_t)c.p[2] << 16 | (uint32_t)c.p[1] << 8 | c.p[0];
		c.off = 4;
		ipver = pktpath_af_to_ipver_(af);
		if (ipver == 4)
			goto ipv4;
		if (ipver == 6)
			goto ipv6;
		st = PKTPATH_UNSUPPORTED_L3;
		goto done;
	case PKTPATH_LINKTYPE_RAW:
	case PKTPATH_LINKTYPE_RAW_DLT12:
	case PKTPATH_LINKTYPE_RAW_DLT14:
		goto raw_ip;
	case PKTPATH_LINKTYPE_IPV4:
		goto ipv4;
	case PKTPATH_LINKTYPE_IPV6:
		goto ipv6;
	default:
		st = PKTPATH_UNSUPPORTED_L2;
		goto done;
	}

raw_ip:
	if ((st = pktpath_need_(&c, 1)))
		goto done;
	if (c.p[c.off] >> 4 == 4)
		goto ipv4;
	if (c.p[c.off] >> 4 == 6)
		goto ipv6;
	st = PKTPATH_MALFORMED;
	goto done;

ethernet:
	r->l2_off = (uint32_t)c.off;
	if ((st = pktpath_need_(&c, 14)))
		goto done;
	ethertype = pktpath_be16_(c.p + c.off + 12);
	c.off += 14;

ethertype:
	if (PKTPATH_LIKELY(ethertype == PKTPATH_ETH_P_IPV4))
		goto ipv4;
	switch (ethertype) {
	case PKTPATH_ETH_P_IPV4:
		goto ipv4;
	case PKTPATH_ETH_P_IPV6:
		goto ipv6;
	case PKTPATH_ETH_P_8021Q:
	case PKTPATH_ETH_P_8021AD:
	case PKTPATH_ETH_P_QINQ_9100:
		if (++headers > PKTPATH_MAX_HEADERS) {
			st = PKTPATH_MALFORMED;
			goto done;
		}
		if ((st = pktpath_need_(&c, 4)))
			goto done;
		if ((flags & PKTPATH_PARSE_VLAN) && !(r->info & PKTPATH_INFO_VLAN))
			k->vlan = pktpath_be16_(c.p + c.off) & 0x0fffu;
		r->info |= PKTPATH_INFO_VLAN;
		ethertype = pktpath_be16_(c.p + c.off + 2);
		c.off += 4;
		goto ethertype;
	case PKTPATH_ETH_P_MPLS_UC:
	case PKTPATH_ETH_P_MPLS_MC:
		r->info |= PKTPATH_INFO_MPLS;
		goto mpls;
	case PKTPATH_ETH_P_PPPOE_SES:
		if ((st = pktpath_need_(&c, 8)))
			goto done;
		if (c.p[c.off] != 0x11 || c.p[c.off + 1] != 0) { /* version 1, type 1, code "session data" */
			st = PKTPATH_MALFORMED;
			goto done;
		}
		r->info |= PKTPATH_INFO_PPPOE;
		/* The PPPoE length covers the PPP protocol field and its payload. */
		pktpath_bound_(&c, c.off + 6, pktpath_be16_(c.p + c.off + 4), &r->info);
		if ((st = pktpath_need_(&c, 7)))
			goto done;
		/* RFC 1661 protocol-field compression: an odd first byte is the whole, one-byte field. */
		proto = c.p[c.off + 6];
		hl = 7;
		if (!(proto & 1u)) {
			if ((st = pktpath_need_(&c, 8)))
				goto done;
			proto = pktpath_be16_(c.p + c.off + 6);
			hl = 8;
		}
		c.off += hl;
		if (proto == PKTPATH_PPP_IPV4)
			goto ipv4;
		if (proto == PKTPATH_PPP_IPV6)
			goto ipv6;
		st = PKTPATH_UNSUPPORTED_L3;
		goto done;
	case PKTPATH_ETH_P_MACSEC:
		/* SecTAG: TCI/AN, short length, packet number, and an 8-byte SCI when TCI's SC bit is set. */
		if ((st = pktpath_need_(&c, 6)))
			goto done;
		r->info |= PKTPATH_INFO_MACSEC;
		if (c.p[c.off] & 0x80u) { /* V: version 0 only */
			st = PKTPATH_UNSUPPORTED_L2;
			goto done;
		}
		/* E (encrypted) or C (changed): the user data, its ethertype included, is not in clear. */
		if (c.p[c.off] & 0x0cu) {
			st = PKTPATH_ENCRYPTED;
			goto done;
		}
		/* Integrity only: the ethertype and payload are in clear (the ICV trails them). */
		hl = (c.p[c.off] & 0x20u) ? 14u : 6u;
		goto shim;
	case PKTPATH_ETH_P_PBB: /* I-TAG, then the customer's destination and source MACs */
		hl = 4 + 12;
		goto shim;
	case PKTPATH_ETH_P_VNTAG: /* destination and source virtual interfaces */
		hl = 4;
		goto shim;
	case PKTPATH_ETH_P_ETAG: /* E-CIDs of the port extender */
		hl = 6;
		goto shim;
	case PKTPATH_ETH_P_NSH:
		goto nsh;
	default:
		if (ethertype >= PKTPATH_ETH_P_802_3_MIN) {
			st = PKTPATH_UNSUPPORTED_L3;
			goto done;
		}
		/* 802.3 length: only LLC/SNAP with an ethertype (AA AA 03 000000) is understood. */
		if ((st = pktpath_need_(&c, 8)))
			goto done;
		if (pktpath_be32_(c.p + c.off) != 0xaaaa0300u || c.p[c.off + 4] || c.p[c.off + 5]) {
			st = PKTPATH_UNSUPPORTED_L2;
			goto done;
		}
		ethertype = pktpath_be16_(c.p + c.off + 6);
		c.off += 8;
		if (ethertype < PKTPATH_ETH_P_802_3_MIN) {
			st = PKTPATH_UNSUPPORTED_L2;
			goto done;
		}
		goto ethertype;
	}

shim:
	/* hl bytes of an L2 shim, then the ethertype of what it carries. */
	if (++headers > PKTPATH_MAX_HEADERS) {
		st = PKTPATH_MALFORMED;
		goto done;
	}
	if ((st = pktpath_need_(&c, hl + 2)))
		goto done;
	ethertype = pktpath_be16_(c.p + c.off + hl);
	c.off += hl + 2;
	goto ethertype;

nsh:
	/*
	 * Base header (version, O, TTL, length in 4-byte words, MD type, next
	 * protocol), service path header, context headers: `length` words in all.
	 */
	if (++headers > PKTPATH_MAX_HEADERS) {
		st = PKTPATH_MALFORMED;
		goto done;
	}
	if ((st = pktpath_need_(&c, 8)))
		goto done;
	r->info |= PKTPATH_INFO_NSH;
	if (c.p[c.off] >> 6) { /* version 0 only */
		st = PKTPATH_UNSUPPORTED_L2;
		goto done;
	}
	hl = (c.p[c.off + 1] & 0x3fu) * 4u;
	if (hl < 8) {
		st = PKTPATH_MALFORMED;
		goto done;
	}
	if ((st = pktpath_need_(&c, hl)))
		goto done;
	proto = c.p[c.off + 3];
	c.off += hl;
	switch (proto) {
	case PKTPATH_NSH_NEXT_IPV4:
		goto ipv4;
	case PKTPATH_NSH_NEXT_IPV6:
		goto ipv6;
	case PKTPATH_NSH_NEXT_ETHERNET:
		goto ethernet;
	case PKTPATH_NSH_NEXT_NSH:
		goto nsh;
	case PKTPATH_NSH_NEXT_MPLS:
		r->info |= PKTPATH_INFO_MPLS;
		goto mpls;
	default:
		st = PKTPATH_UNSUPPORTED_L3;
		goto done;
	}

mpls:
	/* Walk labels to bottom of stack; the payload's version nibble tells IPv4 from IPv6. */
	for (;;) {
		if (++headers > PKTPATH_MAX_HEADERS) {
			st = PKTPATH_MALFORMED;
			goto done;
		}
		if ((st = pktpath_need_(&c, 4)))
			goto done;
		c.off += 4;
		if (c.p[c.off - 2] & 0x01)
			break;
	}
	if ((st = pktpath_need_(&c, 1)))
		goto done;
	if (c.p[c.off] >> 4 == 4)
		goto ipv4;
	if (c.p[c.off] >> 4 == 6)
		goto ipv6;
	st = PKTPATH_UNSUPPORTED_L3; /* pseudowire or other payload */
	goto done;

ipv4:
	l3 = c.off;
	r->l3_off = (uint32_t)l3;
	if ((st = pktpath_need_(&c, 20)))
		goto done;
	if (c.p[l3] >> 4 != 4) {
		st = PKTPATH_MALFORMED;
		goto done;
	}
	hl = (c.p[l3] & 0x0fu) * 4u;
	if (hl < 20) {
		st = PKTPATH_MALFORMED;
		goto done;
	}
	/* The key is zeroed on entry and on each decapsulation: bytes 4..15 stay 0. */
	memcpy(k->src, c.p + l3 + 12, 4);
	memcpy(k->dst, c.p + l3 + 16, 4);
	k->proto = c.p[l3 + 9];
	k->flags = PKTPATH_KEY_IPV4;
	{
		unsigned total = pktpath_be16_(c.p + l3 + 2);
		unsigned frag = pktpath_be16_(c.p + l3 + 6);

		/* Total length 0 is what TSO/GSO captures carry: the captured bytes are the datagram. */
		if (total != 0) {
			if (total < hl) {
				st = PKTPATH_MALFORMED;
				goto done;
			}
			pktpath_bound_(&c, l3, total, &r->info);
		}
		if ((st = pktpath_need_(&c, hl))) /* options */
			goto done;
		c.off = l3 + hl;
		r->l4_end = (uint32_t)c.lim;
		if (frag & 0x1fffu) {
			r->info |= PKTPATH_INFO_FRAG_LATER;
			st = PKTPATH_NONFIRST_FRAGMENT;
			goto done;
		}
		if (frag & 0x2000u)
			r->info |= PKTPATH_INFO_FRAG_FIRST;
	}
	proto = k->proto;
	goto transport;

ipv6:
	l3 = c.off;
	r->l3_off = (uint32_t)l3;
	if ((st = pktpath_need_(&c, 40)))
		goto done;
	if (c.p[l3] >> 4 != 6) {
		st = PKTPATH_MALFORMED;
		goto done;
	}
	memcpy(k->src, c.p + l3 + 8, 16);
	memcpy(k->dst, c.p + l3 + 24, 16);
	k->flags = PKTPATH_KEY_IPV6;
	/* Payload length 0 is a jumbogram or a GSO/BIG TCP capture: the captured bytes are the datagram. */
	if (pktpath_be16_(c.p + l3 + 4) != 0)
		pktpath_bound_(&c, l3 + 40, pktpath_be16_(c.p + l3 + 4), &r->info);
	r->l4_end = (uint32_t)c.lim;
	proto = c.p[l3 + 6];
	c.off = l3 + 40;
	for (;;) {
		k->proto = (uint8_t)proto;
		switch (proto) {
		case PKTPATH_IPPROTO_HOPOPTS:
		case PKTPATH_IPPROTO_ROUTING:
		case PKTPATH_IPPROTO_DSTOPTS:
			if ((st = pktpath_need_(&c, 2)))
				goto done;
			hl = (c.p[c.off + 1] + 1u) * 8u;
			break;
		case PKTPATH_IPPROTO_AH: /* length in 4-byte units, minus 2 */
			if ((st = pktpath_need_(&c, 2)))
				goto done;
			hl = (c.p[c.off + 1] + 2u) * 4u;
			break;
		case PKTPATH_IPPROTO_FRAGMENT:
			if ((st = pktpath_need_(&c, 8)))
				goto done;
			if (pktpath_be16_(c.p + c.off + 2) & 0xfff8u) {
				k->proto = c.p[c.off];
				r->info |= PKTPATH_INFO_FRAG_LATER;
				st = PKTPATH_NONFIRST_FRAGMENT;
				goto done;
			}
			/* Offset 0 without M is an atomic fragment (RFC 6946): not fragmented. */
			if (pktpath_be16_(c.p + c.off + 2) & 0x0001u)
				r->info |= PKTPATH_INFO_FRAG_FIRST;
			hl = 8;
			break;
		default:
			goto transport;
		}
		if (++headers > PKTPATH_MAX_HEADERS) {
			st = PKTPATH_MALFORMED;
			goto done;
		}
		if ((st = pktpath_need_(&c, hl)))
			goto done;
		proto = c.p[c.off];
		c.off += hl;
	}

transport:
	/* c.off is at the transport header; k->proto and k->flags are set. */
	r->l4_off = (uint32_t)c.off;
	/* TCP, UDP, SCTP, UDP-Lite: the ports are the first 4 bytes of all four, all the key needs. */
	if (PKTPATH_LIKELY(proto == PKTPATH_IPPROTO_TCP || proto == PKTPATH_IPPROTO_UDP ||
			   proto == PKTPATH_IPPROTO_SCTP || proto == PKTPATH_IPPROTO_UDPLITE)) {
		if ((st = pktpath_need_(&c, 4)))
			goto done;
		k->sport = pktpath_be16_(c.p + c.off);
		k->dport = pktpath_be16_(c.p + c.off + 2);
		k->flags |= PKTPATH_KEY_PORTS;
		if (PKTPATH_UNLIKELY(flags & PKTPATH_PARSE_INNER) && proto == PKTPATH_IPPROTO_UDP) {
			if (k->dport == PKTPATH_VXLAN_PORT) {
				/* UDP header, then VXLAN: flags with the I bit, reserved, VNI, reserved */
				if ((st = pktpath_need_(&c, 16)))
					goto done;
				if (!(c.p[c.off + 8] & 0x08u))
					goto done; /* not VXLAN after all: keep the outer key */
				r->tunnel = PKTPATH_TUNNEL_VXLAN;
				c.off += 16;
				goto decap_ethernet;
			}
			if (k->dport == PKTPATH_GENEVE_PORT) {
				/* UDP header, then Geneve: ver+optlen, flags, protocol type, VNI, options */
				if ((st = pktpath_need_(&c, 16)))
					goto done;
				if ((c.p[c.off + 8] >> 6) != 0)
					goto done; /* unknown Geneve version: keep the outer key */
				hl = 16u + (c.p[c.off + 8] & 0x3fu) * 4u;
				if ((st = pktpath_need_(&c, hl)))
					goto done;
				ethertype = pktpath_be16_(c.p + c.off + 10);
				r->tunnel = PKTPATH_TUNNEL_GENEVE;
				c.off += hl;
				if (ethertype == PKTPATH_ETH_P_TEB)
					goto decap_ethernet;
				goto decap_ethertype;
			}
		}
		goto done;
	}
	switch (proto) {
	case PKTPATH_IPPROTO_GRE:
		if (flags & PKTPATH_PARSE_INNER) {
			unsigned gflags;

			/* Version 0 only, no source routing (RFC 1701 R bit): else it stays an outer key. */
			if ((st = pktpath_need_(&c, 4)))
				goto done;
			gflags = pktpath_be16_(c.p + c.off);
			if ((gflags & 0x0007u) || (gflags & 0x4000u))
				goto no_ports;
			hl = 4u + ((gflags & 0x8000u) ? 4u : 0u) + ((gflags & 0x2000u) ? 4u : 0u) +
			     ((gflags & 0x1000u) ? 4u : 0u);
			ethertype = pktpath_be16_(c.p + c.off + 2);
			if (ethertype != PKTPATH_ETH_P_IPV4 && ethertype != PKTPATH_ETH_P_IPV6 &&
			    ethertype != PKTPATH_ETH_P_TEB && ethertype != PKTPATH_ETH_P_MPLS_UC)
				goto no_ports;
			if ((st = pktpath_need_(&c, hl)))
				goto done;
			c.off += hl;
			r->tunnel = ethertype == PKTPATH_ETH_P_TEB ? PKTPATH_TUNNEL_GRE_TEB : PKTPATH_TUNNEL_GRE;
			if (ethertype == PKTPATH_ETH_P_TEB)
				goto decap_ethernet;
			goto decap_ethertype;
		}
		goto no_ports;
	case PKTPATH_IPPROTO_IPIP:
	case PKTPATH_IPPROTO_IPV6:
		if (flags & PKTPATH_PARSE_INNER) {
			r->tunnel = PKTPATH_TUNNEL_IPIP;
			ethertype = proto == PKTPATH_IPPROTO_IPIP ? PKTPATH_ETH_P_IPV4 : PKTPATH_ETH_P_IPV6;
			goto decap_ethertype;
		}
		goto no_ports;
	default:
		goto no_ports;
	}

no_ports:
	st = PKTPATH_NO_PORTS;
	goto done;

decap_ethernet:
	ethertype = 0;
decap_ethertype:
	/* Start over on the inner packet; the outer VLAN id (if asked for) stays in the key. */
	if (++headers > PKTPATH_MAX_HEADERS) {
		st = PKTPATH_MALFORMED;
		goto done;
	}
	r->encap++;
	{
		uint16_t vlan = k->vlan;

		memset(k, 0, sizeof(*k));
		k->vlan = vlan;
	}
	r->info &= (uint16_t) ~(PKTPATH_INFO_FRAG_FIRST | PKTPATH_INFO_FRAG_LATER);
	r->l3_off = PKTPATH_NO_OFFSET;
	r->l4_off = PKTPATH_NO_OFFSET;
	if (ethertype == 0)
		goto ethernet;
	r->l2_off = (uint32_t)c.off;
	goto ethertype;

done:
	r->status = (uint8_t)st;
	r->headers = (uint8_t)headers;
	if (st == PKTPATH_OK || st == PKTPATH_NONFIRST_FRAGMENT || st == PKTPATH_NO_PORTS) {
		if (flags & PKTPATH_PARSE_SYMMETRIC)
			pktpath_key_make_symmetric(k);
	} else if (r->l3_off == PKTPATH_NO_OFFSET) {
		/* no IP header reached: no partial key either */
		memset(k, 0, sizeof(*k));
	}
	return (enum pktpath_status)st;
}

#endif /* PKTPATH_FLOW_PARSE_H */
