// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The DPDK peer's flow key: the tuple a DPDK application reads by hand after
// rte_net_get_ptype, from the header lengths it returns, in pktpath's C key
// layout so that both sides can be compared key for key.
#ifndef PKTPATH_BENCH_DPDK_TUPLE_HPP
#define PKTPATH_BENCH_DPDK_TUPLE_HPP

#include <pktpath/flow/key.h>

#include <cstdint>
#include <cstring>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>

inline bool dpdk_key(const rte_mbuf *m, std::uint32_t ptype, const rte_net_hdr_lens &hl, pktpath_flow_key &k)
{
	const std::uint8_t *p = rte_pktmbuf_mtod(m, const std::uint8_t *);
	std::memset(&k, 0, sizeof(k));
	const std::uint8_t *l3 = p + hl.l2_len;
	if (RTE_ETH_IS_IPV4_HDR(ptype)) {
		auto *ip = reinterpret_cast<const rte_ipv4_hdr *>(l3);
		std::memcpy(k.src, &ip->src_addr, 4);
		std::memcpy(k.dst, &ip->dst_addr, 4);
		k.proto = ip->next_proto_id;
		k.flags = PKTPATH_KEY_IPV4;
	} else if (RTE_ETH_IS_IPV6_HDR(ptype)) {
		auto *ip = reinterpret_cast<const rte_ipv6_hdr *>(l3);
		std::memcpy(k.src, ip->src_addr, 16);
		std::memcpy(k.dst, ip->dst_addr, 16);
		k.proto = ip->proto;
		k.flags = PKTPATH_KEY_IPV6;
	} else {
		return false;
	}
	const std::uint32_t l4 = ptype & RTE_PTYPE_L4_MASK;
	if (l4 == RTE_PTYPE_L4_TCP || l4 == RTE_PTYPE_L4_UDP || l4 == RTE_PTYPE_L4_SCTP) {
		const std::uint8_t *t = l3 + hl.l3_len;
		k.sport = static_cast<std::uint16_t>(t[0] << 8 | t[1]);
		k.dport = static_cast<std::uint16_t>(t[2] << 8 | t[3]);
		k.flags |= PKTPATH_KEY_PORTS;
	}
	return true;
}

#endif // PKTPATH_BENCH_DPDK_TUPLE_HPP
