// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Flow keys and per-stage counts straight from DPDK mbufs: the parser of
// flow/parse.h over an mbuf's first segment, and the replay's burst
// classifier (replay/model.hpp) over bursts of rte_mbuf pointers, so a DPDK
// worker, a pcap replay and the kernel derive the same key from the same
// bytes and put it in the same table slot.
//
//   pktpath::dpdk::burst_counter<table> count(table, {});
//   const uint16_t n = rte_eth_rx_burst(port, queue, pkts, 32);
//   count(1u << my_stages::rx, pkts, n, shard);
//
// What is read from an mbuf:
//  - the first segment only, [data, data + data_len); a frame whose headers
//    continue in a later segment has its first gather_bytes gathered into a
//    buffer on the stack (rte_pktmbuf_read) and parsed there, and is
//    `truncated` when its key needs more than that; the bytes parsed are
//    seen as a capture of that length (a longer datagram is
//    PKTPATH_INFO_SNAPPED, l4_end within them), the key is the frame's;
//  - the NIC's packet type, when it says plain Ethernet (no tag in the
//    data) carrying IPv4 or IPv6: the walk starts at the IP header (what the
//    software walk would find there, with the offsets of the whole frame);
//    any other type, or none (net_pcap, most virtual devices), is walked
//    from the Ethernet header;
//  - the NIC's RSS hash (RTE_MBUF_F_RX_RSS_HASH) as the frame's hash, else
//    Toeplitz in software with the Microsoft key;
//  - a VLAN tag the NIC stripped (RTE_MBUF_F_RX_VLAN_STRIPPED): its id is
//    the key's vlan, as if the tag were still in the frame.
// Byte counts are pkt_len, the whole packet (origlen of the descriptor).
// Nothing allocates; bursts of any size are classified 32 at a time.
#ifndef PKTPATH_DPDK_MBUF_HPP
#define PKTPATH_DPDK_MBUF_HPP

#include <cstddef>
#include <cstdint>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mbuf_ptype.h>
#include <rte_prefetch.h>

#include "../flow/parse.h"
#include "../replay/model.hpp"

namespace pktpath::dpdk {

// Bytes gathered from a segmented mbuf whose headers do not fit in its
// first segment: Ethernet, two VLAN tags, IPv6 and several extension
// headers, or a VXLAN outer stack with the inner one.
inline constexpr std::uint32_t gather_bytes = 256;

namespace detail {
// Offsets of a walk that began `by` bytes into the frame, made relative to
// the frame.  0 is "not reached" for l4_end, and for l2_off "the outer
// Ethernet header" (what a walk from byte 0 leaves there).
inline void shift_offsets(pktpath_parse_result &r, std::uint32_t by)
{
	for (std::uint32_t *o : {&r.l3_off, &r.l4_off})
		if (*o != PKTPATH_NO_OFFSET)
			*o += by;
	for (std::uint32_t *o : {&r.l2_off, &r.l4_end})
		if (*o != 0)
			*o += by;
}
} // namespace detail

// The NIC's word that the frame is untagged Ethernet carrying IP (its IP
// header at byte 14), or 0 when it said nothing usable.
inline unsigned nic_ip_version(const rte_mbuf *m)
{
	const std::uint32_t pt = m->packet_type;
	if ((pt & RTE_PTYPE_L2_MASK) != RTE_PTYPE_L2_ETHER || m->data_len <= RTE_ETHER_HDR_LEN)
		return 0;
	return RTE_ETH_IS_IPV4_HDR(pt) ? 4 : RTE_ETH_IS_IPV6_HDR(pt) ? 6 : 0;
}

// Parses the frame in m as pktpath_parse() parses a captured Ethernet frame
// (flags: PKTPATH_PARSE_*).  Fills *r and returns its status.
inline pktpath_status parse_mbuf(const rte_mbuf *m, unsigned flags, pktpath_parse_result &r)
{
	const std::uint8_t *p = rte_pktmbuf_mtod(m, const std::uint8_t *);
	if (const unsigned v = nic_ip_version(m)) {
		pktpath_parse(p + RTE_ETHER_HDR_LEN, m->data_len - RTE_ETHER_HDR_LEN,
			      v == 4 ? PKTPATH_LINKTYPE_IPV4 : PKTPATH_LINKTYPE_IPV6, flags, &r);
		detail::shift_offsets(r, RTE_ETHER_HDR_LEN);
	} else {
		pktpath_parse(p, m->data_len, PKTPATH_LINKTYPE_ETHERNET, flags, &r);
		if (r.status == PKTPATH_TRUNCATED && m->pkt_len > m->data_len) {
			std::uint8_t buf[gather_bytes];
			const std::uint32_t len = m->pkt_len < gather_bytes ? m->pkt_len : gather_bytes;
			const void *g = rte_pktmbuf_read(m, 0, len, buf);
			if (g != nullptr)
				pktpath_parse(g, len, PKTPATH_LINKTYPE_ETHERNET, flags, &r);
		}
	}
	if ((m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) && (flags & PKTPATH_PARSE_VLAN) &&
	    pktpath_status_has_key(r.status) && r.key.vlan == 0) {
		r.key.vlan = m->vlan_tci & 0xfff;
		r.info |= PKTPATH_INFO_VLAN;
	}
	return static_cast<pktpath_status>(r.status);
}

// The NIC's RSS hash of m, when it computed one.
inline bool nic_hash(const rte_mbuf *m, std::uint32_t &hash)
{
	if ((m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) == 0)
		return false;
	hash = m->hash.rss;
	return true;
}

} // namespace pktpath::dpdk

namespace pktpath::replay {

// mbufs for the classifier: data is the first segment, caplen its data_len,
// origlen the packet's pkt_len; no timestamp.
template <>
struct frame_traits<rte_mbuf *> {
	static frame_desc describe(const rte_mbuf *m)
	{
		return frame_desc{rte_pktmbuf_mtod(m, const std::uint8_t *),
				  0,
				  frame_desc::no_row,
				  m->data_len,
				  m->pkt_len,
				  PKTPATH_LINKTYPE_ETHERNET,
				  0,
				  0};
	}
	static void parse(const rte_mbuf *m, unsigned flags, pktpath_parse_result &r) { dpdk::parse_mbuf(m, flags, r); }
	static bool nic_hash(const rte_mbuf *m, std::uint32_t &hash) { return dpdk::nic_hash(m, hash); }
	static void prefetch(const rte_mbuf *m) { rte_prefetch0(rte_pktmbuf_mtod(m, const void *)); }
};

} // namespace pktpath::replay

namespace pktpath::dpdk {

using replay::frame_desc;

// Counts bursts of mbufs in a flow_key table (any stage set, any counter
// policy): each call classifies the burst (rows looked up together) and
// adds every counted frame at the stages of a mask, pkt_len bytes each.
template <class Table>
class burst_counter {
public:
	using classifier = replay::basic_classifier<Table>;
	using options = typename classifier::options;

	burst_counter(Table &t, const options &o) : t_(t), cls_(t, o) {}

	// Classifies pkts[0..n) into out[0..n) (rows, statuses, hashes) without
	// counting them.
	void classify(rte_mbuf *const *pkts, frame_desc *out, std::uint32_t n) { cls_.classify(pkts, out, n); }

	// Adds the frames described by d[0..n) at the stages of stage_mask.
	void add(const frame_desc *d, std::uint32_t n, std::uint32_t stage_mask, unsigned shard = 0)
	{
		for (std::uint32_t i = 0; i < n; i++)
			if (d[i].row != frame_desc::no_row)
				t_.prefetch(d[i].row, shard);
		for (std::uint32_t i = 0; i < n; i++)
			if (d[i].row != frame_desc::no_row)
				t_.add_stages(d[i].row, stage_mask, d[i].origlen, shard);
	}

	// Classifies and counts pkts[0..n) at the stages of stage_mask.
	void operator()(std::uint32_t stage_mask, rte_mbuf *const *pkts, std::uint32_t n, unsigned shard = 0)
	{
		frame_desc d[chunk];
		for (std::uint32_t done = 0; done < n; done += chunk) {
			const std::uint32_t k = n - done < chunk ? n - done : chunk;
			classify(pkts + done, d, k);
			add(d, k, stage_mask, shard);
		}
	}

private:
	static constexpr std::uint32_t chunk = PKTPATH_TABLE_BURST;

	Table &t_;
	classifier cls_;
};

} // namespace pktpath::dpdk

#endif // PKTPATH_DPDK_MBUF_HPP
