// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// One valid frame of every encapsulation the parser walks (each L2 shim,
// each tunnel, each link type), with ports in its key: what the parser's
// cut-at-every-length test and the fuzz seeds are made of.
#ifndef PKTPATH_TEST_ENCAPS_HPP
#define PKTPATH_TEST_ENCAPS_HPP

#include <pktpath/capture/synth.hpp>
#include <pktpath/flow/parse.h>

#include <array>
#include <cstdint>
#include <vector>

namespace encaps_test {

struct encap_case {
	const char *what;
	pktpath::synth::bytes frame;
	std::uint32_t linktype;
	unsigned flags; // the parse flags the frame is meant for (inner for tunnels)
};

inline std::vector<encap_case> every_encapsulation()
{
	using pktpath::synth::builder;
	using pktpath::synth::bytes;
	const std::array<std::uint8_t, 16> a6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	const std::array<std::uint8_t, 16> b6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	const bytes ip4 = builder().ipv4({10, 1, 1, 1}, {10, 2, 2, 2}, 17).udp(67, 68).finish();
	const bytes ip6 = builder().ipv6(a6, b6, 6).tcp(22, 2222).finish();
	auto behind = [](bytes prefix, const bytes &rest) {
		prefix.insert(prefix.end(), rest.begin(), rest.end());
		return prefix;
	};
	return {
		{"Ethernet IPv4 TCP",
		 builder().eth(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 6).tcp(40000, 80).payload(10).finish(),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"IPv4 options, SCTP",
		 builder().eth(0x0800).ipv4({1, 2, 3, 4}, {4, 3, 2, 1}, 132, 0, 3).ports(5, 6).zeros(8).finish(),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"UDP-Lite", builder().eth(0x0800).ipv4({1, 2, 3, 4}, {4, 3, 2, 1}, 136).ports(5, 6).zeros(4).finish(),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"QinQ, IPv6 fragment header",
		 builder()
			 .eth(0x88a8)
			 .vlan(1, 0x8100)
			 .vlan(2, 0x86dd)
			 .ipv6(a6, b6, 0)
			 .ext(44)
			 .frag6(17, 0, true)
			 .udp(1, 2)
			 .finish(),
		 PKTPATH_LINKTYPE_ETHERNET, PKTPATH_PARSE_VLAN},
		{"0x9100 tag",
		 builder().eth(0x9100).vlan(7, 0x0800).ipv4({1, 1, 1, 1}, {2, 2, 2, 2}, 6).tcp(1, 2).finish(),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"PPPoE",
		 builder().eth(0x8864).pppoe(0x0021).ipv4({1, 2, 3, 4}, {4, 3, 2, 1}, 6, 0, 2).tcp(5, 6).finish(),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"PPPoE, compressed protocol",
		 builder().eth(0x8864).pppoe_pfc(0x57).ipv6(a6, b6, 17).udp(7, 8).finish(), PKTPATH_LINKTYPE_ETHERNET,
		 0},
		{"MPLS, IPv6 AH",
		 builder().eth(0x8847).mpls(1, false).mpls(2, true).ipv6(a6, b6, 51).ah(6).tcp(1, 2).finish(),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"LLC/SNAP",
		 builder()
			 .eth(0x0030)
			 .raw({0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00})
			 .ipv4({1, 1, 1, 1}, {2, 2, 2, 2}, 17)
			 .udp(1, 2)
			 .finish(),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"MACsec with SCI",
		 builder()
			 .eth(0x88e5)
			 .macsec(0x20, 0x0800)
			 .ipv4({1, 1, 1, 1}, {2, 2, 2, 2}, 17)
			 .udp(1, 2)
			 .zeros(16)
			 .finish(),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"MACsec without SCI",
		 builder().eth(0x88e5).macsec(0x00, 0x86dd).ipv6(a6, b6, 6).tcp(1, 2).zeros(16).finish(),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"NSH, context headers", builder().eth(0x894f).nsh(2, 6).ipv6(a6, b6, 17).udp(13, 14).finish(),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"NSH, Ethernet",
		 builder().eth(0x894f).nsh(3).eth(0x0800).ipv4({1, 1, 1, 1}, {2, 2, 2, 2}, 17).udp(1, 2).finish(),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"VN-Tag", behind(builder().eth(0x8926).raw({0, 1, 0, 2, 0x08, 0x00}).finish(), ip4),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"E-Tag", behind(builder().eth(0x893f).raw({0, 0, 0, 1, 0, 0, 0x86, 0xdd}).finish(), ip6),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"I-TAG", behind(builder().eth(0x88e7).raw({0, 0, 0, 5}).eth(0x0800).finish(), ip4),
		 PKTPATH_LINKTYPE_ETHERNET, 0},
		{"VXLAN",
		 builder()
			 .eth(0x0800)
			 .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 17)
			 .udp(1, 4789)
			 .vxlan(1)
			 .eth(0x0800)
			 .ipv4({1, 1, 1, 1}, {2, 2, 2, 2}, 6)
			 .tcp(3, 4)
			 .finish(),
		 PKTPATH_LINKTYPE_ETHERNET, PKTPATH_PARSE_INNER},
		{"Geneve",
		 builder()
			 .eth(0x0800)
			 .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 17)
			 .udp(1, 6081)
			 .geneve(0x0800, 2)
			 .ipv4({1, 1, 1, 1}, {2, 2, 2, 2}, 6)
			 .tcp(3, 4)
			 .finish(),
		 PKTPATH_LINKTYPE_ETHERNET, PKTPATH_PARSE_INNER},
		{"GRE TEB with key and sequence",
		 builder()
			 .eth(0x0800)
			 .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 47)
			 .gre(0x6558, 0x3000)
			 .eth(0x86dd)
			 .ipv6(a6, b6, 17)
			 .udp(3, 4)
			 .finish(),
		 PKTPATH_LINKTYPE_ETHERNET, PKTPATH_PARSE_INNER},
		{"GRE IPv4 with checksum",
		 builder()
			 .eth(0x0800)
			 .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 47)
			 .gre(0x0800, 0x8000)
			 .ipv4({1, 1, 1, 1}, {2, 2, 2, 2}, 17)
			 .udp(3, 4)
			 .finish(),
		 PKTPATH_LINKTYPE_ETHERNET, PKTPATH_PARSE_INNER},
		{"IP-in-IP",
		 builder()
			 .eth(0x0800)
			 .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 4)
			 .ipv4({1, 1, 1, 1}, {2, 2, 2, 2}, 17)
			 .udp(1, 2)
			 .finish(),
		 PKTPATH_LINKTYPE_ETHERNET, PKTPATH_PARSE_INNER},
		{"6in4",
		 builder().eth(0x0800).ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 41).ipv6(a6, b6, 6).tcp(1, 2).finish(),
		 PKTPATH_LINKTYPE_ETHERNET, PKTPATH_PARSE_INNER},
		{"Linux SLL", behind({0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00}, ip4),
		 PKTPATH_LINKTYPE_LINUX_SLL, 0},
		{"Linux SLL2", behind({0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0}, ip6),
		 PKTPATH_LINKTYPE_LINUX_SLL2, 0},
		{"NULL", behind({2, 0, 0, 0}, ip4), PKTPATH_LINKTYPE_NULL, 0},
		{"LOOP", behind({0, 0, 0, 24}, ip6), PKTPATH_LINKTYPE_LOOP, 0},
		{"raw IP (101)", ip6, PKTPATH_LINKTYPE_RAW, 0},
		{"raw IP (DLT 12)", ip4, PKTPATH_LINKTYPE_RAW_DLT12, 0},
		{"raw IP (DLT 14)", ip6, PKTPATH_LINKTYPE_RAW_DLT14, 0},
		{"IPv4 link type", ip4, PKTPATH_LINKTYPE_IPV4, PKTPATH_PARSE_SYMMETRIC},
		{"IPv6 link type", ip6, PKTPATH_LINKTYPE_IPV6, 0},
	};
}

} // namespace encaps_test

#endif // PKTPATH_TEST_ENCAPS_HPP
