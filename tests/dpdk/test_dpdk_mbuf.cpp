// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Keys and counts from mbufs (dpdk/mbuf.hpp) against the capture path: every
// frame of the bundled captures, as an mbuf, gives what pktpath_parse gives
// the captured frame; with the packet type DPDK's own classifier
// (rte_net_get_ptype) assigns, as a NIC would; split over two segments;
// with its VLAN tag stripped; with an RSS hash.  Hand-made mbufs: no EAL.
#include <pktpath/capture/reader.hpp>
#include <pktpath/capture/synth.hpp>
#include <pktpath/dpdk/mbuf.hpp>
#include <pktpath/replay/model.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rte_net.h>

namespace {

using pktpath::replay::frame_desc;
using table = pktpath::stage_table<pktpath::flow_key, pktpath::replay::rx_path, pktpath::per_writer_counters>;

// A single-segment mbuf over a copy of the frame (headroom in front, as a PMD
// leaves it).  The mbuf is on the heap: a struct ending in a zero-size array
// cannot be a member (ISO C++), and its address stays put when this moves.
struct test_mbuf {
	std::vector<std::uint8_t> buf;
	std::unique_ptr<rte_mbuf> owned{new rte_mbuf()}; // zeroed
	rte_mbuf &m = *owned;

	explicit test_mbuf(const std::uint8_t *data, std::uint32_t len) : buf(RTE_PKTMBUF_HEADROOM + len)
	{
		std::memcpy(buf.data() + RTE_PKTMBUF_HEADROOM, data, len);
		m.buf_addr = buf.data();
		m.buf_len = static_cast<std::uint16_t>(buf.size());
		m.data_off = RTE_PKTMBUF_HEADROOM;
		m.data_len = static_cast<std::uint16_t>(len);
		m.pkt_len = len;
		m.nb_segs = 1;
	}
};

std::vector<std::vector<std::uint8_t>> capture_frames(const char *name)
{
	pktpath::capture::reader rd;
	const std::string path = std::string(PKTPATH_SOURCE_DIR) + "/examples/captures/" + name;
	REQUIRE(rd.open(path.c_str()));
	std::vector<std::vector<std::uint8_t>> out;
	pktpath::capture::frame f;
	while (rd.next(f))
		out.emplace_back(f.data, f.data + f.caplen);
	return out;
}

pktpath_parse_result software(const std::vector<std::uint8_t> &f, unsigned flags)
{
	pktpath_parse_result r;
	pktpath_parse(f.data(), f.size(), PKTPATH_LINKTYPE_ETHERNET, flags, &r);
	return r;
}

// a is an mbuf's parse, b the whole frame's.  A parse of fewer bytes than
// the frame (a first segment, gathered bytes) sees them as a capture of
// that length: the datagram is SNAPPED and ends, for it, at those bytes.
void same_result(const pktpath_parse_result &a, const pktpath_parse_result &b, std::uint32_t seen = ~0u)
{
	REQUIRE(a.status == b.status);
	const bool cut = seen < b.l4_end;
	CHECK(a.info == (cut ? b.info | PKTPATH_INFO_SNAPPED : b.info));
	if (pktpath_status_has_key(a.status)) {
		CHECK(pktpath_key_equal(&a.key, &b.key));
		CHECK(a.l2_off == b.l2_off);
		CHECK(a.l3_off == b.l3_off);
		CHECK(a.l4_off == b.l4_off);
		CHECK(a.l4_end == (cut ? seen : b.l4_end));
	}
}

const unsigned flag_sets[] = {0, PKTPATH_PARSE_VLAN, PKTPATH_PARSE_INNER | PKTPATH_PARSE_VLAN, PKTPATH_PARSE_SYMMETRIC};

} // namespace

TEST_CASE("an mbuf's key is the captured frame's, with and without the NIC's packet type", "[dpdk]")
{
	for (const char *cap : {"drops.pcap", "mix.pcap"}) {
		const auto frames = capture_frames(cap);
		REQUIRE(frames.size() > 100);
		unsigned typed = 0;
		for (const auto &f : frames) {
			test_mbuf t(f.data(), static_cast<std::uint32_t>(f.size()));
			for (unsigned flags : flag_sets) {
				INFO(cap << " frame of " << f.size() << " bytes, flags " << flags);
				const pktpath_parse_result want = software(f, flags);
				pktpath_parse_result got;
				t.m.packet_type = 0;
				CHECK(pktpath::dpdk::parse_mbuf(&t.m, flags, got) == want.status);
				same_result(got, want);
				t.m.packet_type = rte_net_get_ptype(&t.m, nullptr, RTE_PTYPE_ALL_MASK);
				typed += pktpath::dpdk::nic_ip_version(&t.m) != 0;
				pktpath::dpdk::parse_mbuf(&t.m, flags, got);
				same_result(got, want);
			}
		}
		CHECK(typed > frames.size()); // the typed walk ran for most frames, under every flag set
	}
}

TEST_CASE("headers continued in a second segment are gathered, up to gather_bytes", "[dpdk]")
{
	const auto frame = pktpath::synth::builder()
				   .eth(0x8100)
				   .vlan(7, 0x86dd)
				   .ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
					 {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 6)
				   .tcp(40000, 443)
				   .payload(400)
				   .finish();
	const pktpath_parse_result want = software(frame, PKTPATH_PARSE_VLAN);
	REQUIRE(want.status == PKTPATH_OK);
	const std::uint32_t headers = 14 + 4 + 40 + 4; // up to the ports: gathered when the first segment is shorter
	for (std::uint32_t split : {10u, 20u, 40u, 60u, 70u, 100u}) {
		INFO("first segment " << split << " bytes");
		test_mbuf head(frame.data(), split);
		test_mbuf tail(frame.data() + split, static_cast<std::uint32_t>(frame.size() - split));
		head.m.next = &tail.m;
		head.m.nb_segs = 2;
		head.m.pkt_len = static_cast<std::uint32_t>(frame.size());
		pktpath_parse_result got;
		CHECK(pktpath::dpdk::parse_mbuf(&head.m, PKTPATH_PARSE_VLAN, got) == PKTPATH_OK);
		same_result(got, want, split >= headers ? split : pktpath::dpdk::gather_bytes);
	}
	// An IPv6 extension header of 88 bytes is gathered; one of 248 puts the
	// TCP ports past gather_bytes: truncated, as a snap length would.
	for (unsigned len8 : {10u, 30u}) {
		const auto deep = pktpath::synth::builder()
					  .eth(0x86dd)
					  .ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
						{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 0)
					  .ext(6, len8)
					  .tcp(40000, 443)
					  .payload(100)
					  .finish();
		INFO("extension header of " << (len8 + 1) * 8 << " bytes");
		REQUIRE(software(deep, 0).status == PKTPATH_OK);
		test_mbuf head(deep.data(), 60), tail(deep.data() + 60, static_cast<std::uint32_t>(deep.size() - 60));
		head.m.next = &tail.m;
		head.m.nb_segs = 2;
		head.m.pkt_len = static_cast<std::uint32_t>(deep.size());
		pktpath_parse_result got;
		CHECK(pktpath::dpdk::parse_mbuf(&head.m, 0, got) == (len8 == 10 ? PKTPATH_OK : PKTPATH_TRUNCATED));
	}
}

TEST_CASE("a stripped VLAN tag is the key's vlan; the NIC's RSS hash is the frame's hash", "[dpdk]")
{
	const auto tagged = pktpath::synth::builder()
				    .eth(0x8100)
				    .vlan(42, 0x0800)
				    .ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17)
				    .udp(1000, 53)
				    .payload(20)
				    .finish();
	auto untagged = tagged;
	untagged.erase(untagged.begin() + 12, untagged.begin() + 16);
	test_mbuf t(untagged.data(), static_cast<std::uint32_t>(untagged.size()));
	t.m.ol_flags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	t.m.vlan_tci = 42;
	pktpath_parse_result got;
	pktpath::dpdk::parse_mbuf(&t.m, PKTPATH_PARSE_VLAN, got);
	const pktpath_parse_result want = software(tagged, PKTPATH_PARSE_VLAN);
	CHECK(pktpath_key_equal(&got.key, &want.key));
	CHECK((got.info & PKTPATH_INFO_VLAN) != 0);

	table tb = table::create(1024);
	REQUIRE(tb.ok());
	pktpath::dpdk::burst_counter<table> count(tb, {0, true, nullptr});
	rte_mbuf *m = &t.m;
	frame_desc d;
	count.classify(&m, &d, 1);
	const std::uint32_t software_hash = d.hash;
	CHECK(software_hash != 0);
	t.m.ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	t.m.hash.rss = 0x12345678;
	count.classify(&m, &d, 1);
	CHECK(d.hash == 0x12345678u);
	CHECK(d.origlen == untagged.size());
}

TEST_CASE("burst_counter counts a burst as the replay's classifier and add_stages do, frame by frame", "[dpdk]")
{
	const auto frames = capture_frames("mix.pcap");
	std::vector<test_mbuf> ms;
	ms.reserve(frames.size());
	for (const auto &f : frames)
		ms.emplace_back(f.data(), static_cast<std::uint32_t>(f.size()));
	std::vector<rte_mbuf *> burst;
	for (auto &t : ms)
		burst.push_back(&t.m);
	table a = table::create(1024), b = table::create(1024);
	REQUIRE((a.ok() && b.ok()));
	const std::uint32_t mask = 1u << pktpath::replay::rx_path::wire | 1u << pktpath::replay::rx_path::rx_ring;
	pktpath::dpdk::burst_counter<table> count(a, {});
	count(mask, burst.data(), static_cast<std::uint32_t>(burst.size())); // bursts of any size
	pktpath::replay::basic_classifier<table> one(b, {});
	for (const auto &f : frames) {
		pktpath::capture::frame cf;
		cf.data = f.data();
		cf.caplen = cf.origlen = static_cast<std::uint32_t>(f.size());
		cf.linktype = PKTPATH_LINKTYPE_ETHERNET;
		const frame_desc d = one(cf);
		b.add_stages(d.row, mask, d.origlen);
	}
	CHECK(std::memcmp(a.data(), b.data(), a.size()) == 0);
}
