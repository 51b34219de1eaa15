/* SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only */
/*
 * The parse status vocabulary: what every frame is labelled with, keyed or
 * not.  Its own header because the layers below the parser need it too: the
 * counter table keeps one unclassified row per status, and the exporters
 * print the names, without pulling in the parser.
 */
#ifndef PKTPATH_FLOW_STATUS_H
#define PKTPATH_FLOW_STATUS_H

#include "../config.h"

/* Fixed vocabulary; the first three carry a usable key. */
enum pktpath_status {
	PKTPATH_OK = 0,                /* key with ports, or a protocol whose key has none (see NO_PORTS) */
	PKTPATH_NONFIRST_FRAGMENT = 1, /* later IP fragment: addresses and protocol, no ports */
	PKTPATH_NO_PORTS = 2,          /* IP packet of a protocol without ports (ICMP, GRE, ESP, ...) */
	PKTPATH_TRUNCATED = 3,         /* captured bytes end before a header the key needs */
	PKTPATH_MALFORMED = 4,         /* a header contradicts itself or its length fields */
	PKTPATH_UNSUPPORTED_L2 = 5,    /* link type or L2 framing not parsed (LLC, unknown linktype) */
	PKTPATH_UNSUPPORTED_L3 = 6,    /* not IPv4/IPv6 (ARP, LLDP, ...) */
	PKTPATH_ENCRYPTED = 7,         /* the headers the key needs are not in clear (MACsec E or C bit) */
	PKTPATH_STATUS_COUNT = 8
};

PKTPATH_INLINE int pktpath_status_has_key(unsigned status)
{
	return status <= PKTPATH_NO_PORTS;
}

PKTPATH_INLINE const char *pktpath_status_name(unsigned status)
{
	static const char *const names[PKTPATH_STATUS_COUNT] = {
		"ok",        "nonfirst_fragment", "no_ports",       "truncated",
		"malformed", "unsupported_l2",    "unsupported_l3", "encrypted"};
	return status < PKTPATH_STATUS_COUNT ? names[status] : "invalid";
}

#endif /* PKTPATH_FLOW_STATUS_H */
