// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A user's program: parse one hand-made frame through the installed headers.
#include <pktpath/flow/parse.hpp>
#include <pktpath/version.h>

#include <cstdio>

int main()
{
	// IPv4/UDP 10.0.0.1:1000 -> 10.0.0.2:53 on Ethernet.
	const unsigned char frame[] = {0,    1, 2,  3,  4, 5, 6,    7,    8,    9,    10, 11, 0x08, 0x00,
				       0x45, 0, 0,  28, 0, 0, 0,    0,    64,   17,   0,  0,  10,   0,
				       0,    1, 10, 0,  0, 2, 0x03, 0xe8, 0x00, 0x35, 0,  8,  0,    0};
	pktpath::parse_result r = pktpath::parse(frame, sizeof(frame), pktpath::linktype::ethernet);
	std::printf("pktpath %s: status %s sport %u dport %u\n", PKTPATH_VERSION_STRING, pktpath::status_name(r.status),
		    r.key.sport, r.key.dport);
	return (r.status == PKTPATH_OK && r.key.sport == 1000 && r.key.dport == 53) ? 0 : 1;
}
