// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// The one-pass parser on hand-built frames: every link type, encapsulation,
// IP option/extension case and every way a frame can be cut short or lie.
#include <pktpath/flow/format.hpp>
#include <pktpath/capture/synth.hpp>
#include <pktpath/flow/parse.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "fuzz/parse_invariants.hpp"
#include "test_encaps.hpp"

using pktpath::synth::builder;
using pktpath::synth::bytes;
using pktpath::parse_result;

namespace {

constexpr std::uint32_t ETH = PKTPATH_LINKTYPE_ETHERNET;

// 2001:db8::1 and 2001:db8::2
const std::array<std::uint8_t, 16> v6a = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
const std::array<std::uint8_t, 16> v6b = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

// Parses from a heap copy of exactly n bytes, so a sanitizer sees any overread.
parse_result parse_n(const bytes &f, std::size_t n, std::uint32_t lt = ETH, unsigned flags = 0)
{
	std::unique_ptr<std::uint8_t[]> copy(new std::uint8_t[n ? n : 1]);
	if (n)
		std::memcpy(copy.get(), f.data(), n);
	return pktpath::parse(copy.get(), n, lt, flags);
}

parse_result parse(const bytes &f, std::uint32_t lt = ETH, unsigned flags = 0)
{
	return parse_n(f, f.size(), lt, flags);
}

std::string src(const parse_result &r)
{
	char buf[pktpath::addr_text_max];
	pktpath::format_addr(r.key.src, pktpath_key_ipver(&r.key), buf);
	return buf;
}

std::string dst(const parse_result &r)
{
	char buf[pktpath::addr_text_max];
	pktpath::format_addr(r.key.dst, pktpath_key_ipver(&r.key), buf);
	return buf;
}

bytes eth_ipv4_tcp()
{
	return builder().eth(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 6).tcp(40000, 80).payload(10).finish();
}

} // namespace

TEST_CASE("Ethernet IPv4 TCP gives the full key and offsets", "[parse]")
{
	auto r = parse(eth_ipv4_tcp());
	REQUIRE(r.status == PKTPATH_OK);
	CHECK(src(r) == "10.0.0.1");
	CHECK(dst(r) == "10.0.0.2");
	CHECK(r.key.proto == 6);
	CHECK(r.key.sport == 40000);
	CHECK(r.key.dport == 80);
	CHECK(r.key.flags == (PKTPATH_KEY_IPV4 | PKTPATH_KEY_PORTS));
	CHECK(r.key.vlan == 0);
	CHECK(r.l2_off == 0);
	CHECK(r.l3_off == 14);
	CHECK(r.l4_off == 34);
	CHECK(r.l4_end == 14 + 20 + 20 + 10);
	CHECK(r.info == 0);
	// IPv4 keys keep the unused address bytes zero, so byte equality is key equality.
	for (int i = 4; i < 16; i++)
		CHECK((r.key.src[i] | r.key.dst[i]) == 0);
}

TEST_CASE("UDP, UDP-Lite and SCTP carry ports; ICMP and others do not", "[parse]")
{
	for (unsigned proto : {17u, 136u, 132u}) {
		auto r = parse(builder()
				       .eth(0x0800)
				       .ipv4({1, 2, 3, 4}, {5, 6, 7, 8}, proto)
				       .ports(1234, 5678)
				       .zeros(8)
				       .finish());
		INFO("proto " << proto);
		CHECK(r.status == PKTPATH_OK);
		CHECK(r.key.proto == proto);
		CHECK(r.key.sport == 1234);
		CHECK(r.key.dport == 5678);
	}
	for (unsigned proto : {1u, 2u, 47u, 50u, 89u}) {
		auto r = parse(builder().eth(0x0800).ipv4({1, 2, 3, 4}, {5, 6, 7, 8}, proto).zeros(8).finish());
		INFO("proto " << proto);
		CHECK(r.status == PKTPATH_NO_PORTS);
		CHECK(r.key.proto == proto);
		CHECK(r.key.flags == PKTPATH_KEY_IPV4);
		CHECK(r.key.sport == 0);
		CHECK(r.l4_off == 34);
	}
	auto r6 = parse(builder().eth(0x86dd).ipv6(v6a, v6b, 58).zeros(8).finish());
	CHECK(r6.status == PKTPATH_NO_PORTS);
	CHECK(r6.key.proto == 58);
}

TEST_CASE("IPv4 options are skipped using IHL", "[parse]")
{
	auto r = parse(builder().eth(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17, 0, 3).udp(53, 5353).finish());
	REQUIRE(r.status == PKTPATH_OK);
	CHECK(r.l4_off == 14 + 32);
	CHECK(r.key.sport == 53);
	CHECK(r.key.dport == 5353);
}

TEST_CASE("IPv4 header fields that lie are malformed, cut ones truncated", "[parse]")
{
	bytes good = eth_ipv4_tcp();

	SECTION("IHL below 5")
	{
		bytes f = good;
		f[14] = 0x44;
		CHECK(parse(f).status == PKTPATH_MALFORMED);
	}
	SECTION("version is not 4")
	{
		bytes f = good;
		f[14] = 0x65;
		CHECK(parse(f).status == PKTPATH_MALFORMED);
	}
	SECTION("IHL runs past the captured bytes")
	{
		bytes f = builder().eth(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 6).finish();
		f[14] = 0x4f; // 60-byte header, 20 captured
		f[16] = 0;
		f[17] = 60;
		CHECK(parse(f).status == PKTPATH_TRUNCATED);
	}
	SECTION("total length below the header length")
	{
		bytes f = good;
		f[16] = 0;
		f[17] = 19;
		CHECK(parse(f).status == PKTPATH_MALFORMED);
	}
	SECTION("total length ends before the ports though the bytes are captured")
	{
		bytes f = good;
		f[16] = 0;
		f[17] = 20;
		auto r = parse(f);
		CHECK(r.status == PKTPATH_MALFORMED);
		// The IP part of the key was read and is reported, marked unusable by the status.
		CHECK(src(r) == "10.0.0.1");
		CHECK(r.key.proto == 6);
	}
	SECTION("total length beyond the capture: a snap length, not an error")
	{
		bytes f = good;
		f[16] = 0x05;
		f[17] = 0xdc; // 1500
		auto r = parse(f);
		CHECK(r.status == PKTPATH_OK);
		CHECK((r.info & PKTPATH_INFO_SNAPPED) != 0);
		CHECK(r.l4_end == f.size());
	}
	SECTION("total length 0 (TSO capture) uses the captured bytes")
	{
		bytes f = good;
		f[16] = 0;
		f[17] = 0;
		auto r = parse(f);
		CHECK(r.status == PKTPATH_OK);
		CHECK(r.l4_end == f.size());
	}
	SECTION("Ethernet padding after the datagram is not part of it")
	{
		bytes f = builder().eth(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17).udp(1, 2).finish();
		f.resize(60, 0);
		auto r = parse(f);
		CHECK(r.status == PKTPATH_OK);
		CHECK(r.l4_end == 14 + 28);
	}
}

TEST_CASE("IPv4 fragments: the first carries ports, later ones are flagged without", "[parse]")
{
	auto first = parse(builder().eth(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17, 0x2000).udp(7, 9).finish());
	CHECK(first.status == PKTPATH_OK);
	CHECK(first.info == PKTPATH_INFO_FRAG_FIRST);
	CHECK(first.key.sport == 7);

	auto later =
		parse(builder().eth(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17, 0x2000 | 185).payload(40).finish());
	CHECK(later.status == PKTPATH_NONFIRST_FRAGMENT);
	CHECK(later.info == PKTPATH_INFO_FRAG_LATER);
	CHECK(later.key.proto == 17);
	CHECK(later.key.flags == PKTPATH_KEY_IPV4);
	CHECK(later.key.sport == 0);
	CHECK(later.l4_off == PKTPATH_NO_OFFSET);

	auto last = parse(builder().eth(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17, 370).payload(40).finish());
	CHECK(last.status == PKTPATH_NONFIRST_FRAGMENT);
	// Two fragments of one datagram are one flow that differs from its port-carrying first part.
	CHECK(pktpath_key_equal(&later.key, &last.key));
	CHECK_FALSE(pktpath_key_equal(&later.key, &first.key));
}

TEST_CASE("IPv6 extension header chains are walked to the transport header", "[parse]")
{
	SECTION("hop-by-hop, routing, destination options")
	{
		auto r = parse(builder()
				       .eth(0x86dd)
				       .ipv6(v6a, v6b, 0)
				       .ext(43, 0)
				       .ext(60, 1)
				       .ext(6, 0)
				       .tcp(443, 50000)
				       .finish());
		REQUIRE(r.status == PKTPATH_OK);
		CHECK(r.key.proto == 6);
		CHECK(r.key.sport == 443);
		CHECK(r.l4_off == 14 + 40 + 8 + 16 + 8);
		CHECK(r.headers == 3);
		CHECK(src(r) == "2001:db8::1");
		CHECK(dst(r) == "2001:db8::2");
		CHECK(r.key.flags == (PKTPATH_KEY_IPV6 | PKTPATH_KEY_PORTS));
	}
	SECTION("authentication header")
	{
		auto r = parse(builder().eth(0x86dd).ipv6(v6a, v6b, 51).ah(17, 6).udp(500, 4500).finish());
		REQUIRE(r.status == PKTPATH_OK);
		CHECK(r.key.proto == 17);
		CHECK(r.key.dport == 4500);
		CHECK(r.l4_off == 14 + 40 + 24);
	}
	SECTION("first, later and atomic fragments")
	{
		auto first = parse(builder().eth(0x86dd).ipv6(v6a, v6b, 44).frag6(17, 0, true).udp(1, 2).finish());
		CHECK(first.status == PKTPATH_OK);
		CHECK(first.info == PKTPATH_INFO_FRAG_FIRST);
		CHECK(first.key.dport == 2);
		auto later = parse(builder().eth(0x86dd).ipv6(v6a, v6b, 44).frag6(17, 100, true).payload(16).finish());
		CHECK(later.status == PKTPATH_NONFIRST_FRAGMENT);
		CHECK(later.key.proto == 17);
		CHECK_FALSE(later.key.flags & PKTPATH_KEY_PORTS);
		auto atomic = parse(builder().eth(0x86dd).ipv6(v6a, v6b, 44).frag6(6, 0, false).tcp(1, 2).finish());
		CHECK(atomic.status == PKTPATH_OK);
		CHECK(atomic.info == 0);
	}
	SECTION("ESP and No Next Header end the chain without ports")
	{
		CHECK(parse(builder().eth(0x86dd).ipv6(v6a, v6b, 50).payload(16).finish()).key.proto == 50);
		auto r = parse(builder().eth(0x86dd).ipv6(v6a, v6b, 0).ext(59).finish());
		CHECK(r.status == PKTPATH_NO_PORTS);
		CHECK(r.key.proto == 59);
	}
	SECTION("an extension header cut by the capture is truncated")
	{
		bytes f = builder().eth(0x86dd).ipv6(v6a, v6b, 60).ext(6, 2).tcp(1, 2).finish();
		CHECK(parse_n(f, 14 + 40 + 10).status == PKTPATH_TRUNCATED);
	}
	SECTION("an extension header past the payload length is malformed")
	{
		bytes f = builder().eth(0x86dd).ipv6(v6a, v6b, 60).ext(6, 2).tcp(1, 2).finish();
		f[14 + 5] = 16; // payload length 16 < the 24-byte option header
		CHECK(parse(f).status == PKTPATH_MALFORMED);
	}
	SECTION("a version other than 6 is malformed")
	{
		bytes f = builder().eth(0x86dd).ipv6(v6a, v6b, 6).tcp(1, 2).finish();
		f[14] = 0x45;
		CHECK(parse(f).status == PKTPATH_MALFORMED);
	}
	SECTION("payload length 0 (jumbogram / BIG TCP) uses the captured bytes")
	{
		bytes f = builder().eth(0x86dd).ipv6(v6a, v6b, 6).tcp(1, 2).finish();
		f[18] = f[19] = 0;
		CHECK(parse(f).status == PKTPATH_OK);
	}
}

TEST_CASE("VLAN tag stacks: the outermost id goes into the key on request", "[parse]")
{
	bytes f = builder()
			  .eth(0x88a8)
			  .vlan(0x2064, 0x8100)
			  .vlan(0x0c8, 0x0800)
			  .ipv4({1, 1, 1, 1}, {2, 2, 2, 2}, 6)
			  .tcp(1, 2)
			  .finish();
	auto plain = parse(f);
	REQUIRE(plain.status == PKTPATH_OK);
	CHECK(plain.key.vlan == 0);
	CHECK(plain.l3_off == 22);
	CHECK((plain.info & PKTPATH_INFO_VLAN) != 0);
	auto tagged = parse(f, ETH, pktpath::parse_flags::vlan);
	CHECK(tagged.key.vlan == 0x064); // VID only: priority bits dropped
	CHECK(tagged.key.sport == 1);

	auto q = parse(builder().eth(0x9100).vlan(7, 0x86dd).ipv6(v6a, v6b, 17).udp(3, 4).finish(), ETH,
		       PKTPATH_PARSE_VLAN);
	CHECK(q.status == PKTPATH_OK);
	CHECK(q.key.vlan == 7);

	CHECK(parse_n(f, 16).status == PKTPATH_TRUNCATED);

	builder deep;
	deep.eth(0x8100);
	for (int i = 0; i < PKTPATH_MAX_HEADERS + 1; i++)
		deep.vlan(1, 0x8100);
	CHECK(parse(deep.finish()).status == PKTPATH_MALFORMED);
}

TEST_CASE("MPLS label stacks are skipped to the IP payload", "[parse]")
{
	auto r4 = parse(builder()
				.eth(0x8847)
				.mpls(100, false)
				.mpls(200, true)
				.ipv4({9, 9, 9, 9}, {8, 8, 8, 8}, 17)
				.udp(1, 2)
				.finish());
	CHECK(r4.status == PKTPATH_OK);
	CHECK(r4.l3_off == 22);
	CHECK((r4.info & PKTPATH_INFO_MPLS) != 0);
	auto r6 = parse(builder().eth(0x8848).mpls(3, true).ipv6(v6a, v6b, 6).tcp(1, 2).finish());
	CHECK(r6.status == PKTPATH_OK);
	CHECK(r6.key.flags & PKTPATH_KEY_IPV6);
	auto pw = parse(builder().eth(0x8847).mpls(3, true).zeros(4).eth(0x0800).finish());
	CHECK(pw.status == PKTPATH_UNSUPPORTED_L3);
	CHECK(parse(builder().eth(0x8847).mpls(3, false).finish()).status == PKTPATH_TRUNCATED);
}

TEST_CASE("PPPoE session frames carry IPv4 and IPv6", "[parse]")
{
	auto r = parse(builder().eth(0x8864).pppoe(0x0021).ipv4({1, 2, 3, 4}, {4, 3, 2, 1}, 6).tcp(5, 6).finish());
	CHECK(r.status == PKTPATH_OK);
	CHECK(r.l3_off == 22);
	CHECK((r.info & PKTPATH_INFO_PPPOE) != 0);
	CHECK(parse(builder().eth(0x8864).pppoe(0x0057).ipv6(v6a, v6b, 17).udp(5, 6).finish()).status == PKTPATH_OK);
	CHECK(parse(builder().eth(0x8864).pppoe(0xc021).zeros(10).finish()).status == PKTPATH_UNSUPPORTED_L3);

	bytes bad_version = builder().eth(0x8864).pppoe(0x0021).ipv4({1, 2, 3, 4}, {4, 3, 2, 1}, 6).tcp(5, 6).finish();
	bad_version[14] = 0x21;
	CHECK(parse(bad_version).status == PKTPATH_MALFORMED);

	// A PPPoE length too short for the protocol field is a lie the capture disproves.
	CHECK(parse(builder().eth(0x8864).pppoe(0x0021, 1).ipv4({1, 2, 3, 4}, {4, 3, 2, 1}, 6).tcp(5, 6).finish())
		      .status == PKTPATH_MALFORMED);
}

TEST_CASE("Link types: SLL, SLL2, NULL, LOOP, raw IP", "[parse]")
{
	bytes ip4 = builder().ipv4({10, 1, 1, 1}, {10, 2, 2, 2}, 17).udp(67, 68).finish();
	bytes ip6 = builder().ipv6(v6a, v6b, 6).tcp(22, 2222).finish();
	auto with_prefix = [](bytes prefix, const bytes &ip) {
		prefix.insert(prefix.end(), ip.begin(), ip.end());
		return prefix;
	};

	SECTION("Linux SLL and SLL2")
	{
		bytes sll = {0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00};
		auto r = parse(with_prefix(sll, ip4), PKTPATH_LINKTYPE_LINUX_SLL);
		CHECK(r.status == PKTPATH_OK);
		CHECK(r.l3_off == 16);
		bytes sll2 = {0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0};
		auto r2 = parse(with_prefix(sll2, ip6), PKTPATH_LINKTYPE_LINUX_SLL2);
		CHECK(r2.status == PKTPATH_OK);
		CHECK(r2.l3_off == 20);
		CHECK(r2.key.dport == 2222);
		bytes netlink = {0, 0, 0x03, 0x38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
		CHECK(parse(with_prefix(netlink, ip4), PKTPATH_LINKTYPE_LINUX_SLL).status == PKTPATH_UNSUPPORTED_L2);
		CHECK(parse(sll, PKTPATH_LINKTYPE_LINUX_SLL).status == PKTPATH_TRUNCATED);
		CHECK(parse_n(sll, 15, PKTPATH_LINKTYPE_LINUX_SLL).status == PKTPATH_TRUNCATED);
	}
	SECTION("NULL in either byte order, with every IPv6 family number")
	{
		CHECK(parse(with_prefix({2, 0, 0, 0}, ip4), PKTPATH_LINKTYPE_NULL).status == PKTPATH_OK);
		CHECK(parse(with_prefix({0, 0, 0, 2}, ip4), PKTPATH_LINKTYPE_NULL).status == PKTPATH_OK);
		for (std::uint8_t af : {10, 24, 28, 30}) {
			CHECK(parse(with_prefix({af, 0, 0, 0}, ip6), PKTPATH_LINKTYPE_NULL).status == PKTPATH_OK);
			CHECK(parse(with_prefix({0, 0, 0, af}, ip6), PKTPATH_LINKTYPE_LOOP).status == PKTPATH_OK);
		}
		CHECK(parse(with_prefix({7, 0, 0, 0}, ip4), PKTPATH_LINKTYPE_NULL).status == PKTPATH_UNSUPPORTED_L3);
	}
	SECTION("raw IP by version nibble, and the typed IPv4/IPv6 link types")
	{
		CHECK(parse(ip4, PKTPATH_LINKTYPE_RAW).status == PKTPATH_OK);
		CHECK(parse(ip6, PKTPATH_LINKTYPE_RAW).status == PKTPATH_OK);
		CHECK(parse(ip4, PKTPATH_LINKTYPE_IPV4).l3_off == 0);
		CHECK(parse(ip6, PKTPATH_LINKTYPE_IPV6).key.sport == 22);
		CHECK(parse(ip6, PKTPATH_LINKTYPE_IPV4).status == PKTPATH_MALFORMED);
		bytes junk = {0x35, 1, 2, 3};
		CHECK(parse(junk, PKTPATH_LINKTYPE_RAW).status == PKTPATH_MALFORMED);
		CHECK(parse_n(ip4, 0, PKTPATH_LINKTYPE_RAW).status == PKTPATH_TRUNCATED);
	}
	SECTION("raw IP under DLT_RAW's BSD numbers, 12 and 14, as older files store it")
	{
		for (std::uint32_t lt : {PKTPATH_LINKTYPE_RAW_DLT12, PKTPATH_LINKTYPE_RAW_DLT14}) {
			INFO("link type " << lt);
			auto r4 = parse(ip4, lt);
			CHECK(r4.status == PKTPATH_OK);
			CHECK(r4.l3_off == 0);
			CHECK(src(r4) == "10.1.1.1");
			auto r6 = parse(ip6, lt);
			CHECK(r6.status == PKTPATH_OK);
			CHECK(r6.key.dport == 2222);
		}
	}
	SECTION("unknown link type")
	{
		CHECK(parse(ip4, 147).status == PKTPATH_UNSUPPORTED_L2);
	}
}

TEST_CASE("L2 shims with a plain ethertype behind them are walked through", "[parse]")
{
	SECTION("PPPoE with PPP protocol-field compression")
	{
		bytes f4 = builder().eth(0x8864).pppoe_pfc(0x21).ipv4({1, 2, 3, 4}, {4, 3, 2, 1}, 6).tcp(5, 6).finish();
		auto r = parse(f4);
		CHECK(r.status == PKTPATH_OK);
		CHECK(r.l3_off == 14 + 7);
		CHECK((r.info & PKTPATH_INFO_PPPOE));
		CHECK(r.key.dport == 6);
		bytes f6 = builder().eth(0x8864).pppoe_pfc(0x57).ipv6(v6a, v6b, 17).udp(7, 8).finish();
		CHECK(parse(f6).status == PKTPATH_OK);
		CHECK(parse(f6).key.sport == 7);
		CHECK(parse_n(f4, 14 + 6).status == PKTPATH_TRUNCATED);
		// An even first byte is the high byte of an uncompressed field.
		bytes two = builder().eth(0x8864).pppoe(0x0021).ipv4({1, 2, 3, 4}, {4, 3, 2, 1}, 17).udp(1, 2).finish();
		CHECK(parse(two).l3_off == 14 + 8);
		CHECK(parse(builder().eth(0x8864).pppoe_pfc(0x23).zeros(20).finish()).status == PKTPATH_UNSUPPORTED_L3);
	}
	SECTION("MACsec: integrity only is decoded, encrypted or changed data is reported as such")
	{
		for (unsigned tci : {0x20u, 0x00u, 0x10u}) { // with an SCI, without, end station
			INFO("TCI " << tci);
			bytes f = builder()
					  .eth(0x88e5)
					  .macsec(tci, 0x0800)
					  .ipv4({10, 9, 0, 1}, {10, 9, 0, 2}, 17)
					  .udp(9, 10)
					  .zeros(16)
					  .finish();
			auto r = parse(f);
			CHECK(r.status == PKTPATH_OK);
			CHECK(r.l3_off == 14 + ((tci & 0x20) ? 16u : 8u));
			CHECK((r.info & PKTPATH_INFO_MACSEC));
			CHECK(src(r) == "10.9.0.1");
			CHECK(parse_n(f, r.l3_off - 1).status == PKTPATH_TRUNCATED);
		}
		bytes tagged =
			builder().eth(0x88e5).macsec(0x20, 0x8100).vlan(5, 0x86dd).ipv6(v6a, v6b, 6).tcp(1, 2).finish();
		CHECK(parse(tagged, ETH, PKTPATH_PARSE_VLAN).key.vlan == 5);
		for (unsigned tci : {0x2cu, 0x28u, 0x24u, 0x0cu}) { // E and C, E, C, E and C without an SCI
			INFO("TCI " << tci);
			auto r = parse(builder().eth(0x88e5).macsec(tci, 0x1234).zeros(40).finish());
			CHECK(r.status == PKTPATH_ENCRYPTED);
			CHECK((r.info & PKTPATH_INFO_MACSEC));
			CHECK(r.l3_off == PKTPATH_NO_OFFSET);
		}
		CHECK(parse(builder().eth(0x88e5).macsec(0xa0, 0x0800).zeros(40).finish()).status ==
		      PKTPATH_UNSUPPORTED_L2);
		CHECK(parse(builder().eth(0x88e5).u8(0x20).finish()).status == PKTPATH_TRUNCATED);
	}
	SECTION("NSH: IPv4, IPv6, Ethernet, MPLS and NSH behind it")
	{
		bytes v4 = builder().eth(0x894f).nsh(1).ipv4({10, 8, 0, 1}, {10, 8, 0, 2}, 6).tcp(11, 12).finish();
		auto r = parse(v4);
		CHECK(r.status == PKTPATH_OK);
		CHECK(r.l3_off == 14 + 8);
		CHECK((r.info & PKTPATH_INFO_NSH));
		bytes ctx = builder().eth(0x894f).nsh(2, 6).ipv6(v6a, v6b, 17).udp(13, 14).finish();
		CHECK(parse(ctx).l3_off == 14 + 24);
		CHECK(parse(ctx).key.dport == 14);
		bytes eth = builder()
				    .eth(0x894f)
				    .nsh(3)
				    .eth(0x0800)
				    .ipv4({10, 8, 0, 1}, {10, 8, 0, 2}, 17)
				    .udp(1, 2)
				    .finish();
		CHECK(parse(eth).l2_off == 14 + 8);
		CHECK(parse(eth).l3_off == 14 + 8 + 14);
		bytes mpls = builder()
				     .eth(0x894f)
				     .nsh(5)
				     .mpls(9, true)
				     .ipv4({10, 8, 0, 1}, {10, 8, 0, 2}, 17)
				     .udp(1, 2)
				     .finish();
		CHECK(parse(mpls).status == PKTPATH_OK);
		CHECK((parse(mpls).info & PKTPATH_INFO_MPLS));
		bytes twice =
			builder().eth(0x894f).nsh(4).nsh(1).ipv4({10, 8, 0, 1}, {10, 8, 0, 2}, 17).udp(1, 2).finish();
		CHECK(parse(twice).l3_off == 14 + 16);
		CHECK(parse(builder().eth(0x894f).nsh(0x41).zeros(20).finish()).status == PKTPATH_UNSUPPORTED_L3);
		CHECK(parse(builder().eth(0x894f).nsh(1, 1).zeros(20).finish()).status == PKTPATH_MALFORMED);
		bytes v1 = v4;
		v1[14] = 0x40; // version 1
		CHECK(parse(v1).status == PKTPATH_UNSUPPORTED_L2);
		CHECK(parse_n(ctx, 14 + 23).status == PKTPATH_TRUNCATED);
		builder loop;
		loop.eth(0x894f);
		for (int i = 0; i < PKTPATH_MAX_HEADERS + 1; i++)
			loop.nsh(4);
		CHECK(parse(loop.nsh(1).ipv4({1, 1, 1, 1}, {2, 2, 2, 2}, 17).udp(1, 2).finish()).status ==
		      PKTPATH_MALFORMED);
	}
	SECTION("VN-Tag, E-Tag and the 802.1ah I-TAG")
	{
		const bytes ip = builder().ipv4({10, 7, 0, 1}, {10, 7, 0, 2}, 17).udp(15, 16).finish();
		const struct {
			unsigned ethertype;
			bytes shim;
		} shims[] = {{0x8926, {0, 1, 0, 2}},
			     {0x893f, {0, 0, 0, 1, 0, 0}},
			     {0x88e7, {0, 0, 0, 5, 2, 0, 0, 0, 0, 3, 2, 0, 0, 0, 0, 4}}};
		for (const auto &sh : shims) {
			INFO("ethertype " << sh.ethertype);
			bytes f = builder().eth(sh.ethertype).finish();
			f.insert(f.end(), sh.shim.begin(), sh.shim.end());
			f.push_back(0x08);
			f.push_back(0x00);
			f.insert(f.end(), ip.begin(), ip.end());
			auto r = parse(f);
			CHECK(r.status == PKTPATH_OK);
			CHECK(r.l3_off == 14 + sh.shim.size() + 2);
			CHECK(r.key.sport == 15);
			CHECK(parse_n(f, 14 + sh.shim.size() + 1).status == PKTPATH_TRUNCATED);
		}
	}
}

TEST_CASE("Non-IP payloads and 802.3 framing", "[parse]")
{
	CHECK(parse(builder().eth(0x0806).zeros(28).finish()).status == PKTPATH_UNSUPPORTED_L3);
	CHECK(parse(builder().eth(0x88cc).zeros(28).finish()).status == PKTPATH_UNSUPPORTED_L3);
	// 802.3 length field + LLC (spanning tree)
	CHECK(parse(builder().eth(38).raw({0x42, 0x42, 0x03, 0, 0, 0, 0, 0}).zeros(30).finish()).status ==
	      PKTPATH_UNSUPPORTED_L2);
	// 802.3 + LLC/SNAP carrying IPv4
	auto snap = parse(builder()
				  .eth(60)
				  .raw({0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00})
				  .ipv4({1, 0, 0, 1}, {1, 0, 0, 2}, 6)
				  .tcp(8, 9)
				  .finish());
	CHECK(snap.status == PKTPATH_OK);
	CHECK(snap.l3_off == 22);
	CHECK(parse_n(eth_ipv4_tcp(), 13).status == PKTPATH_TRUNCATED);
	CHECK(parse_n(eth_ipv4_tcp(), 0).status == PKTPATH_TRUNCATED);
	auto none = parse(builder().eth(0x0806).zeros(28).finish());
	CHECK(none.key.flags == 0);
	CHECK(none.l3_off == PKTPATH_NO_OFFSET);
}

TEST_CASE("Tunnels: outer key by default, inner key on request", "[parse]")
{
	const unsigned inner = pktpath::parse_flags::inner;

	SECTION("GRE carrying IPv4, with checksum, key and sequence fields")
	{
		bytes f = builder()
				  .eth(0x0800)
				  .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 47)
				  .gre(0x0800, 0xb000)
				  .ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 6)
				  .tcp(1000, 22)
				  .finish();
		auto outer = parse(f);
		CHECK(outer.status == PKTPATH_NO_PORTS);
		CHECK(outer.key.proto == 47);
		CHECK(src(outer) == "192.0.2.1");
		auto in = parse(f, ETH, inner);
		REQUIRE(in.status == PKTPATH_OK);
		CHECK(src(in) == "10.0.0.1");
		CHECK(in.key.dport == 22);
		CHECK(in.tunnel == PKTPATH_TUNNEL_GRE);
		CHECK(in.encap == 1);
		CHECK(in.l3_off == 14 + 20 + 16);
	}
	SECTION("GRE transparent Ethernet bridging")
	{
		bytes f = builder()
				  .eth(0x86dd)
				  .ipv6(v6a, v6b, 47)
				  .gre(0x6558)
				  .eth(0x8100)
				  .vlan(5, 0x0800)
				  .ipv4({10, 0, 0, 3}, {10, 0, 0, 4}, 17)
				  .udp(5, 6)
				  .finish();
		auto in = parse(f, ETH, inner);
		REQUIRE(in.status == PKTPATH_OK);
		CHECK(in.tunnel == PKTPATH_TUNNEL_GRE_TEB);
		CHECK(in.l2_off == 14 + 40 + 4);
		CHECK(dst(in) == "10.0.0.4");
		CHECK(parse(f).key.proto == 47);
	}
	SECTION("GRE version 1 (PPTP) stays an outer key")
	{
		bytes f = builder()
				  .eth(0x0800)
				  .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 47)
				  .gre(0x880b, 0x2001)
				  .zeros(8)
				  .finish();
		auto r = parse(f, ETH, inner);
		CHECK(r.status == PKTPATH_NO_PORTS);
		CHECK(r.encap == 0);
	}
	SECTION("VXLAN")
	{
		bytes f = builder()
				  .eth(0x0800)
				  .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 17)
				  .udp(49152, 4789)
				  .vxlan(42)
				  .eth(0x86dd)
				  .ipv6(v6b, v6a, 6)
				  .tcp(80, 1234)
				  .finish();
		auto outer = parse(f);
		CHECK(outer.status == PKTPATH_OK);
		CHECK(outer.key.dport == 4789);
		auto in = parse(f, ETH, inner);
		REQUIRE(in.status == PKTPATH_OK);
		CHECK(in.tunnel == PKTPATH_TUNNEL_VXLAN);
		CHECK(src(in) == "2001:db8::2");
		CHECK(in.key.sport == 80);
		// Without the I flag it is plain UDP to port 4789.
		bytes not_vxlan = f;
		not_vxlan[14 + 20 + 8] = 0;
		CHECK(parse(not_vxlan, ETH, inner).key.dport == 4789);
	}
	SECTION("Geneve with options, carrying Ethernet")
	{
		bytes f = builder()
				  .eth(0x0800)
				  .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 17)
				  .udp(1, 6081)
				  .geneve(0x6558, 2)
				  .eth(0x0800)
				  .ipv4({10, 9, 9, 9}, {10, 8, 8, 8}, 17)
				  .udp(53, 53)
				  .finish();
		auto in = parse(f, ETH, inner);
		REQUIRE(in.status == PKTPATH_OK);
		CHECK(in.tunnel == PKTPATH_TUNNEL_GENEVE);
		CHECK(src(in) == "10.9.9.9");
	}
	SECTION("IP-in-IP and 6in4")
	{
		auto r = parse(builder()
				       .eth(0x0800)
				       .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 4)
				       .ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17)
				       .udp(1, 2)
				       .finish(),
			       ETH, inner);
		CHECK(r.status == PKTPATH_OK);
		CHECK(r.tunnel == PKTPATH_TUNNEL_IPIP);
		CHECK(src(r) == "10.0.0.1");
		auto s = parse(builder()
				       .eth(0x0800)
				       .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 41)
				       .ipv6(v6a, v6b, 6)
				       .tcp(1, 2)
				       .finish(),
			       ETH, inner);
		CHECK(s.status == PKTPATH_OK);
		CHECK(s.key.flags & PKTPATH_KEY_IPV6);
		CHECK(parse(builder()
				    .eth(0x0800)
				    .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 41)
				    .ipv6(v6a, v6b, 6)
				    .tcp(1, 2)
				    .finish())
			      .key.proto == 41);
	}
	SECTION("a cut inner packet is reported as truncated")
	{
		bytes f = builder()
				  .eth(0x0800)
				  .ipv4({192, 0, 2, 1}, {192, 0, 2, 2}, 4)
				  .ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17)
				  .udp(1, 2)
				  .finish();
		CHECK(parse_n(f, 14 + 20 + 10, ETH, inner).status == PKTPATH_TRUNCATED);
	}
	SECTION("nested tunnels stop at the header budget")
	{
		builder b;
		b.eth(0x0800);
		for (int i = 0; i < PKTPATH_MAX_HEADERS + 2; i++)
			b.ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 4);
		b.ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17).udp(1, 2);
		CHECK(parse(b.finish(), ETH, inner).status == PKTPATH_MALFORMED);
	}
}

TEST_CASE("Symmetric keys are the same in both directions", "[parse]")
{
	bytes ab = builder().eth(0x0800).ipv4({10, 0, 0, 9}, {10, 0, 0, 2}, 6).tcp(40000, 80).finish();
	bytes ba = builder().eth(0x0800).ipv4({10, 0, 0, 2}, {10, 0, 0, 9}, 6).tcp(80, 40000).finish();
	auto a = parse(ab, ETH, pktpath::parse_flags::symmetric);
	auto b = parse(ba, ETH, pktpath::parse_flags::symmetric);
	CHECK(pktpath_key_equal(&a.key, &b.key));
	CHECK(src(a) == "10.0.0.2");
	CHECK(a.key.sport == 80);
	auto pa = parse(ab), pb = parse(ba);
	CHECK_FALSE(pktpath_key_equal(&pa.key, &pb.key));
	// Same address both ways: ports decide.
	bytes self = builder().eth(0x0800).ipv4({127, 0, 0, 1}, {127, 0, 0, 1}, 17).udp(9000, 53).finish();
	CHECK(parse(self, ETH, pktpath::parse_flags::symmetric).key.sport == 53);

	pktpath::flow_key k{};
	REQUIRE(k.assign(a.key));
	CHECK(k.symmetric() == k);
}

TEST_CASE("parse_as narrows to the key type and rejects the other family", "[parse]")
{
	bytes f4 = eth_ipv4_tcp();
	bytes f6 = builder().eth(0x86dd).ipv6(v6a, v6b, 6).tcp(1, 2).finish();
	auto a = pktpath::parse_as<pktpath::ipv4_5tuple>(f4.data(), f4.size(), pktpath::linktype::ethernet);
	CHECK(a.st == PKTPATH_OK);
	CHECK(a.key.src[3] == 1);
	CHECK(a.key.dport == 80);
	CHECK(a.key.ipver() == 4);
	auto b = pktpath::parse_as<pktpath::ipv4_5tuple>(f6.data(), f6.size(), pktpath::linktype::ethernet);
	CHECK(b.st == PKTPATH_UNSUPPORTED_L3);
	CHECK_FALSE(b.has_key());
	auto c = pktpath::parse_as<pktpath::ipv6_5tuple>(f6.data(), f6.size(), pktpath::linktype::ethernet);
	CHECK(c.st == PKTPATH_OK);
	CHECK(c.key.has_ports());
	auto d = pktpath::parse_as<pktpath::flow_key>(f6.data(), f6.size(), pktpath::linktype::ethernet);
	CHECK(d.key.ipver() == 6);
	auto full = pktpath::parse(f6.data(), f6.size(), pktpath::linktype::ethernet);
	CHECK(std::memcmp(&d.key, &full.key, sizeof(d.key)) == 0);
}

TEST_CASE("Every encapsulation cut at every length is truncated or a shorter valid parse, never read past the cut",
	  "[parse]")
{
	const std::vector<encaps_test::encap_case> cases = encaps_test::every_encapsulation();
	for (const encaps_test::encap_case &c : cases) {
		INFO(c.what);
		const bytes &f = c.frame;
		const auto full = parse(f, c.linktype, c.flags);
		REQUIRE(full.status == PKTPATH_OK);
		REQUIRE((full.key.flags & PKTPATH_KEY_PORTS));
		for (std::size_t n = 0; n < f.size(); n++) {
			INFO("prefix " << n << " of " << f.size());
			const auto r = parse_n(f, n, c.linktype, c.flags); // exactly n bytes: ASan sees any overread
			// The key is complete once its ports are: a shorter valid parse, the same key.
			if (n >= full.l4_off + 4) {
				CHECK(r.status == PKTPATH_OK);
				CHECK(pktpath_key_equal(&r.key, &full.key));
			} else {
				CHECK(r.status == PKTPATH_TRUNCATED);
			}
		}
	}
}

TEST_CASE("Random and mutated frames never crash and keep the parser's invariants", "[parse]")
{
	std::mt19937 rng(12345);
	const std::uint32_t linktypes[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9999};
	// Every encapsulation, and frames whose key stops early, mutated.
	std::vector<bytes> seeds;
	for (const encaps_test::encap_case &c : encaps_test::every_encapsulation())
		seeds.push_back(c.frame);
	seeds.push_back(builder().eth(0x88e5).macsec(0x2c, 0x0800).zeros(40).finish());
	seeds.push_back(builder().eth(0x0800).ipv4({10, 0, 0, 1}, {10, 0, 0, 2}, 17, 10).payload(20).finish());
	seeds.push_back(builder().eth(0x0806).raw({0, 1, 8, 0, 6, 4, 0, 1}).zeros(20).finish());
	unsigned counts[PKTPATH_STATUS_COUNT] = {};
	for (int i = 0; i < 200000; i++) {
		bytes f = seeds[static_cast<std::size_t>(i) % seeds.size()];
		if (i % 5 == 0) {
			f.resize(rng() % 128);
			for (auto &b : f)
				b = static_cast<std::uint8_t>(rng());
		} else {
			for (int m = 0; m < 1 + i % 4; m++)
				f[rng() % f.size()] = static_cast<std::uint8_t>(rng());
			f.resize(rng() % (f.size() + 1));
		}
		const unsigned flags = rng() & 7;
		auto r = parse(f, linktypes[rng() % std::size(linktypes)], flags);
		// The fuzz target's invariants (tests/fuzz/parse_invariants.hpp).
		const char *why = pktpath_fuzz::parse_violation(f.size(), flags, r);
		INFO((why ? why : ""));
		REQUIRE(why == nullptr);
		counts[r.status]++;
	}
	// The mutations reach every outcome, so the loop above exercised each path.
	for (unsigned s = 0; s < PKTPATH_STATUS_COUNT; s++) {
		INFO("status " << pktpath::status_name(s));
		CHECK(counts[s] > 0);
	}
}

TEST_CASE("Status names are the fixed vocabulary", "[parse]")
{
	const char *expected[] = {"ok",        "nonfirst_fragment", "no_ports",       "truncated",
				  "malformed", "unsupported_l2",    "unsupported_l3", "encrypted"};
	for (unsigned s = 0; s < PKTPATH_STATUS_COUNT; s++)
		CHECK(std::string(pktpath::status_name(s)) == expected[s]);
	CHECK(std::string(pktpath::status_name(99)) == "invalid");
	CHECK(pktpath::has_key(PKTPATH_NO_PORTS));
	CHECK_FALSE(pktpath::has_key(PKTPATH_TRUNCATED));
}

TEST_CASE("Protocol names: one table for printing and parsing", "[parse]")
{
	// Every printed name parses back to its number; aliases parse but are not printed.
	for (unsigned p = 0; p < 256; p++)
		if (const char *n = pktpath_proto_name(p))
			CHECK(pktpath_proto_from_name(n) == static_cast<int>(p));
	CHECK(std::string(pktpath_proto_name(PKTPATH_IPPROTO_AH)) == "ah");
	CHECK(std::string(pktpath_proto_name(PKTPATH_IPPROTO_ICMPV6)) == "ipv6-icmp");
	CHECK(pktpath_proto_from_name("icmp6") == PKTPATH_IPPROTO_ICMPV6);
	CHECK(pktpath_proto_name(PKTPATH_IPPROTO_IPIP) == nullptr);
	CHECK(pktpath_proto_from_name("TCP") == -1);
	CHECK(pktpath_proto_from_name("") == -1);
}

TEST_CASE("Symmetric 5-tuples of every family order their endpoints as the C key does", "[parse]")
{
	pktpath::ipv4_5tuple v4{};
	const std::uint8_t hi[4] = {10, 0, 0, 9}, lo[4] = {10, 0, 0, 2};
	std::memcpy(v4.src, hi, 4);
	std::memcpy(v4.dst, lo, 4);
	v4.sport = 40000;
	v4.dport = 80;
	v4.proto = 6;
	v4.flags = PKTPATH_KEY_IPV4 | PKTPATH_KEY_PORTS;
	pktpath_flow_key c = v4.c_key();
	pktpath_key_make_symmetric(&c);
	const pktpath_flow_key s = v4.symmetric().c_key();
	CHECK(pktpath_key_equal(&c, &s));
	CHECK(std::memcmp(v4.symmetric().src, lo, 4) == 0);
	CHECK(v4.symmetric().sport == 80);
	CHECK(v4.symmetric().symmetric() == v4.symmetric());
	CHECK(v4.c_key().src[4] == 0);
	CHECK(v4.c_key().flags == v4.flags);
}

TEST_CASE("Addresses print like inet_ntop and tshark (RFC 5952)", "[parse][format]")
{
	struct {
		std::array<std::uint8_t, 16> a;
		const char *text;
	} v[] = {
		{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, "2001:db8::1"},
		{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, "2001:db8:0:1::1"},
		{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}, "2001:db8::1:0:0:1"},
		{{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0}, "2001:db8:1:1:1:1:1:0"},
		{{}, "::"},
		{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, "::1"},
		{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "fe80::"},
		{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}, "::ffff:192.0.2.1"},
		{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfb}, "ff02::fb"},
	};
	for (auto &t : v) {
		char buf[pktpath::addr_text_max];
		pktpath::format_addr(t.a.data(), 6, buf);
		CHECK(std::string(buf) == t.text);
	}
	std::mt19937 rng(7);
	for (int i = 0; i < 100000; i++) {
		std::uint8_t a[16];
		for (auto &b : a)
			b = (rng() % 3 == 0) ? static_cast<std::uint8_t>(rng()) : 0;
		char ours[pktpath::addr_text_max], libc[INET6_ADDRSTRLEN];
		pktpath::format_addr(a, 6, ours);
		inet_ntop(AF_INET6, a, libc, sizeof(libc));
		REQUIRE(std::string(ours) == libc);
	}
	char buf[pktpath::addr_text_max];
	const std::uint8_t v4[4] = {255, 0, 10, 1};
	CHECK(pktpath::format_addr(v4, 4, buf) == 10);
	CHECK(std::string(buf) == "255.0.10.1");
}
