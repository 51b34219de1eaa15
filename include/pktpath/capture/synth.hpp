// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// Frame synthesis for tests, capture generators and examples (not a packet
// path: it builds into a std::vector).  Each call appends one header, so the
// code reads like the packet it builds; finish() sets every IPv4 total
// length and header checksum, IPv6 payload length, UDP length and PPPoE
// length to what follows it.  TCP/UDP checksums stay 0.
#ifndef PKTPATH_CAPTURE_SYNTH_HPP
#define PKTPATH_CAPTURE_SYNTH_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace pktpath::synth {

using bytes = std::vector<std::uint8_t>;

struct builder {
	bytes b;
	builder &raw(std::initializer_list<std::uint8_t> v)
	{
		b.insert(b.end(), v);
		return *this;
	}
	builder &u8(unsigned v)
	{
		b.push_back(static_cast<std::uint8_t>(v));
		return *this;
	}
	builder &be16(unsigned v) { return u8(v >> 8).u8(v); }
	builder &be32(std::uint32_t v) { return be16(v >> 16).be16(v & 0xffff); }
	builder &zeros(std::size_t n)
	{
		b.insert(b.end(), n, 0);
		return *this;
	}

	builder &eth(unsigned ethertype)
	{
		raw({0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2});
		return be16(ethertype);
	}
	builder &vlan(unsigned tci, unsigned ethertype) { return be16(tci).be16(ethertype); }
	builder &mpls(unsigned label, bool bottom) { return be32(label << 12 | (bottom ? 0x100u : 0u) | 64u); }
	builder &pppoe(unsigned ppp_proto, unsigned length_override = 0xffffffff)
	{
		raw({0x11, 0x00}).be16(0x1234);
		pppoe_len_at = b.size();
		be16(length_override == 0xffffffff ? 0 : length_override);
		pppoe_fix = length_override == 0xffffffff;
		return be16(ppp_proto);
	}
	// PPPoE session with PPP protocol-field compression (RFC 1661): a one-byte protocol.
	builder &pppoe_pfc(unsigned ppp_proto)
	{
		raw({0x11, 0x00}).be16(0x1234);
		pppoe_len_at = b.size();
		be16(0);
		pppoe_fix = true;
		return u8(ppp_proto);
	}
	// 802.1AE SecTAG (TCI/AN byte, short length 0, packet number 1, an SCI when
	// tci has the SC bit 0x20), then the ethertype of the user data.
	builder &macsec(unsigned tci, unsigned ethertype)
	{
		u8(tci).u8(0).be32(1);
		if (tci & 0x20)
			raw({0x02, 0, 0, 0, 0, 1}).be16(1);
		return be16(ethertype);
	}
	// RFC 8300 NSH: MD type 2, `words` 4-byte words in all (base and service
	// path headers, then zeroed context headers), next protocol `next`.
	builder &nsh(unsigned next, unsigned words = 2)
	{
		u8(0).u8(words & 0x3f).u8(0x02).u8(next);
		be32(42u << 8 | 255); // service path 42, index 255
		return zeros(4 * (words - 2));
	}
	// IPv4 header; total length is fixed up by finish() unless given.
	builder &ipv4(std::array<std::uint8_t, 4> src, std::array<std::uint8_t, 4> dst, unsigned proto,
		      unsigned frag = 0, unsigned options_words = 0)
	{
		const std::size_t ip4_at = b.size();
		u8(0x40 | (5 + options_words)).u8(0).be16(0).be16(0x1111).be16(frag).u8(64).u8(proto).be16(0);
		b.insert(b.end(), src.begin(), src.end());
		b.insert(b.end(), dst.begin(), dst.end());
		for (unsigned i = 0; i < options_words; i++)
			raw({1, 1, 1, 1}); // NOP options
		ip4s.push_back(ip4_at);
		return *this;
	}
	builder &ipv6(const std::array<std::uint8_t, 16> &src, const std::array<std::uint8_t, 16> &dst, unsigned next)
	{
		const std::size_t ip6_at = b.size();
		raw({0x60, 0, 0, 0}).be16(0).u8(next).u8(64);
		b.insert(b.end(), src.begin(), src.end());
		b.insert(b.end(), dst.begin(), dst.end());
		ip6s.push_back(ip6_at);
		return *this;
	}
	// Hop-by-hop / routing / destination options: 8 * (1 + len8) bytes.
	builder &ext(unsigned next, unsigned len8 = 0)
	{
		u8(next).u8(len8);
		return zeros(6 + 8 * len8);
	}
	builder &frag6(unsigned next, unsigned offset8, bool more)
	{
		return u8(next).u8(0).be16(offset8 << 3 | (more ? 1u : 0u)).be32(0xabcd);
	}
	builder &ah(unsigned next, unsigned payload_words = 4) // RFC 4302: len = words - 2
	{
		u8(next).u8(payload_words - 2).be16(0);
		return zeros(payload_words * 4 - 4);
	}
	builder &ports(unsigned sport, unsigned dport) { return be16(sport).be16(dport); }
	builder &tcp(unsigned sport, unsigned dport)
	{
		return ports(sport, dport).be32(1).be32(0).be16(0x5010).be16(1024).be32(0);
	}
	builder &udp(unsigned sport, unsigned dport)
	{
		udps.push_back(b.size());
		return ports(sport, dport).be16(8).be16(0);
	}
	builder &gre(unsigned proto, unsigned flags = 0)
	{
		be16(flags).be16(proto);
		if (flags & 0x8000)
			be32(0); // checksum + reserved
		if (flags & 0x2000)
			be32(42); // key
		if (flags & 0x1000)
			be32(7); // sequence
		return *this;
	}
	builder &vxlan(unsigned vni) { return u8(0x08).zeros(3).be32(vni << 8); }
	builder &geneve(unsigned proto, unsigned opt_words = 0)
	{
		u8(opt_words).u8(0).be16(proto).be32(0x000100);
		return zeros(4 * opt_words);
	}
	builder &payload(std::size_t n)
	{
		for (std::size_t i = 0; i < n; i++)
			b.push_back(static_cast<std::uint8_t>(i));
		return *this;
	}

	// Sets the length fields (and IPv4 header checksums) to what follows each header.
	bytes finish()
	{
		for (std::size_t at : udps)
			put16(at + 4, b.size() - at);
		for (std::size_t at : ip4s) {
			put16(at + 2, b.size() - at);
			put16(at + 10, 0);
			std::uint32_t sum = 0;
			for (std::size_t i = 0; i < static_cast<std::size_t>(b[at] & 0x0f) * 4; i += 2)
				sum += static_cast<std::uint32_t>(b[at + i] << 8 | b[at + i + 1]);
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			put16(at + 10, ~sum & 0xffff);
		}
		for (std::size_t at : ip6s)
			put16(at + 4, b.size() - at - 40);
		if (pppoe_fix)
			put16(pppoe_len_at, b.size() - pppoe_len_at - 2);
		return b;
	}

	void put16(std::size_t at, std::size_t v)
	{
		b[at] = static_cast<std::uint8_t>(v >> 8);
		b[at + 1] = static_cast<std::uint8_t>(v);
	}

private:
	std::vector<std::size_t> ip4s, ip6s, udps;
	std::size_t pppoe_len_at = 0;
	bool pppoe_fix = false;
};

} // namespace pktpath::synth

#endif
