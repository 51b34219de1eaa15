/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * IP protocol numbers (IANA "Assigned Internet Protocol Numbers"; IPv6
 * next-header values share the registry) the parser and the reports know,
 * and the one table of their names: filters parse them, reports print them.
 */
#ifndef PKTPATH_FLOW_PROTO_H
#define PKTPATH_FLOW_PROTO_H

#include "../config.h"

enum pktpath_ipproto {
	PKTPATH_IPPROTO_HOPOPTS = 0, /* IPv6 Hop-by-Hop Options */
	PKTPATH_IPPROTO_ICMP = 1,
	PKTPATH_IPPROTO_IPIP = 4, /* IPv4 encapsulated */
	PKTPATH_IPPROTO_TCP = 6,
	PKTPATH_IPPROTO_UDP = 17,
	PKTPATH_IPPROTO_IPV6 = 41,     /* IPv6 encapsulated (6in4, 6in6) */
	PKTPATH_IPPROTO_ROUTING = 43,  /* IPv6 Routing header */
	PKTPATH_IPPROTO_FRAGMENT = 44, /* IPv6 Fragment header */
	PKTPATH_IPPROTO_GRE = 47,
	PKTPATH_IPPROTO_ESP = 50,
	PKTPATH_IPPROTO_AH = 51,
	PKTPATH_IPPROTO_ICMPV6 = 58,
	PKTPATH_IPPROTO_DSTOPTS = 60, /* IPv6 Destination Options */
	PKTPATH_IPPROTO_SCTP = 132,
	PKTPATH_IPPROTO_UDPLITE = 136
};

struct pktpath_proto_name_ {
	const char *name;
	uint8_t number;
};

/* The first entry of a number is the name reports print; aliases follow it. */
PKTPATH_INLINE const struct pktpath_proto_name_ *pktpath_proto_names_(uint32_t *count)
{
	static const struct pktpath_proto_name_ names[] = {
		{"icmp", PKTPATH_IPPROTO_ICMP},        {"tcp", PKTPATH_IPPROTO_TCP},
		{"udp", PKTPATH_IPPROTO_UDP},          {"gre", PKTPATH_IPPROTO_GRE},
		{"esp", PKTPATH_IPPROTO_ESP},          {"ah", PKTPATH_IPPROTO_AH},
		{"ipv6-icmp", PKTPATH_IPPROTO_ICMPV6}, {"sctp", PKTPATH_IPPROTO_SCTP},
		{"udplite", PKTPATH_IPPROTO_UDPLITE},  {"icmp6", PKTPATH_IPPROTO_ICMPV6},
	};
	*count = (uint32_t)(sizeof(names) / sizeof(names[0]));
	return names;
}

/* The name reports print for an IP protocol number, or NULL when it has none. */
PKTPATH_INLINE const char *pktpath_proto_name(unsigned number)
{
	uint32_t count, i;
	const struct pktpath_proto_name_ *n = pktpath_proto_names_(&count);
	for (i = 0; i < count; i++)
		if (n[i].number == number)
			return n[i].name;
	return NULL;
}

/* The number of a protocol name (a printed name or an alias such as icmp6), or -1. */
PKTPATH_INLINE int pktpath_proto_from_name(const char *name)
{
	uint32_t count, i;
	const struct pktpath_proto_name_ *n = pktpath_proto_names_(&count);
	for (i = 0; i < count; i++)
		if (strcmp(n[i].name, name) == 0)
			return n[i].number;
	return -1;
}

#endif /* PKTPATH_FLOW_PROTO_H */
