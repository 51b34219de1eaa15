// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-kmodtest: host side of the kernel module test, on the userspace
// library alone.
//
//   pktpath-kmodtest losses OUT.pcap
//       the provoked losses: UDP frames addressed to the guest's receiver
//       that end delivered, at a closed port, with a bad UDP or IPv4
//       checksum, at a socket that never reads, or for another host
//       (flows and ports below, in `losses`)
//   pktpath-kmodtest expect [options] OUT.img PCAP[:PASSES]...
//       the table image the module should leave for these captures
//       injected in order: per flow and per stage of kernel_rx, the
//       packets the receive path model below implies (the library's
//       parser gives each frame's key and headers)
//     --stages A,B   count only these stages (the module's stages= list)
//     --promisc      the receiver is promiscuous (frames for other MACs reach it)
//     --filter C=V   a flow filter criterion (replay/filter.hpp: the module's rules)
//     --capacity N   flow table slots (4096, the module's default)
//   pktpath-kmodtest read FILE
//       the library's reader on a capture (the module's drop samples as
//       pktpath-kstat wrote them): "format=F frames=N" and, per parse
//       status, how many frames the parser gave it
//
// The model (what Linux 6.1 and 6.12 do with a frame on a NIC without VLAN
// devices, forwarding off, receiver 192.0.2.2 and 2001:db8::2): every frame
// reaches eth_type_trans, napi_gro_receive and netif_receive_skb (GRO
// merges are undone by counting segments).  One VLAN tag is removed and
// makes the frame "other host"; a second one leaves no handler.  IPv4 and
// IPv6 frames reach ip_rcv / ipv6_rcv; those for this host with a sound
// header go on to their L4 handler, fragments once their datagram is whole
// (counted on the first fragment's key).  Bytes: the frame's length at the
// L2 stages, its length from the IP header at ip_rcv / ipv6_rcv, the IP
// datagram's at L4.
#include <pktpath/capture/reader.hpp>
#include <pktpath/capture/synth.hpp>
#include <pktpath/capture/writer.hpp>
#include <pktpath/flow/parse.h>
#include <pktpath/replay/filter.hpp>
#include <pktpath/table/stage_table.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace {

using table = pktpath::stage_table<pktpath_flow_key, pktpath::kernel_rx, pktpath::shared_counters>;
using stage = pktpath::kernel_rx;
using v4 = std::array<std::uint8_t, 4>;

const std::uint8_t receiver_mac[6] = {0x52, 0x54, 0, 0, 0, 2};
const std::uint8_t sender_mac[6] = {0x52, 0x54, 0, 0, 0, 1};
const std::uint8_t receiver4[4] = {192, 0, 2, 2};
const std::uint8_t receiver6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};

unsigned rd16(const std::uint8_t *p)
{
	return static_cast<unsigned>(p[0] << 8 | p[1]);
}

// The Internet checksum (RFC 1071) of n bytes, folded, starting from sum.
std::uint32_t sum16(const std::uint8_t *p, std::size_t n, std::uint32_t sum = 0)
{
	for (std::size_t i = 0; i + 1 < n; i += 2)
		sum += rd16(p + i);
	if (n & 1)
		sum += static_cast<std::uint32_t>(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

// ---------------------------------------------------------------- losses

struct loss_flow {
	unsigned src; // 192.0.2.SRC, or 2001:db8::SRC for IPv6
	unsigned sport, dport;
	unsigned frames;
	bool ipv6;
	enum { good, bad_udp_csum, bad_ip_csum, other_mac, gro_tcp } kind;
};

// Ports the guest listens on (kmod/guest.sh): 5001 a socket that reads,
// 5002 one that never reads with a small receive buffer; 5003 is closed.
const loss_flow losses[] = {
	{10, 4000, 5001, 20, false, loss_flow::good},         // delivered
	{11, 4001, 5003, 20, false, loss_flow::good},         // NO_SOCKET
	{12, 4002, 5001, 20, false, loss_flow::bad_udp_csum}, // UDP_CSUM
	{13, 4003, 5001, 20, false, loss_flow::bad_ip_csum},  // IP_CSUM
	{14, 4004, 5002, 200, false, loss_flow::good},        // SOCKET_RCVBUFF
	{15, 4005, 5001, 20, false, loss_flow::other_mac},    // OTHERHOST
	{16, 4006, 5003, 20, true, loss_flow::good},          // NO_SOCKET, IPv6
	{17, 4007, 5001, 20, true, loss_flow::good},          // delivered, IPv6
	{18, 4008, 5004, 40, false, loss_flow::gro_tcp},      // GRO merges it; NO_SOCKET
};

// gro_tcp: back-to-back segments of one TCP stream (ACK only, contiguous
// sequence numbers, IP IDs counting up), which GRO merges into skbs of
// several segments each; 1000 payload bytes a segment.
const unsigned gro_payload = 1000;

pktpath::synth::bytes loss_frame(const loss_flow &f, unsigned seq)
{
	pktpath::synth::builder b;
	const std::uint8_t other[6] = {0x52, 0x54, 0, 0, 0, 0x99};
	b.b.insert(b.b.end(), f.kind == loss_flow::other_mac ? other : receiver_mac,
		   (f.kind == loss_flow::other_mac ? other : receiver_mac) + 6);
	b.b.insert(b.b.end(), sender_mac, sender_mac + 6);
	std::size_t l3 = 0;
	if (f.ipv6) {
		std::array<std::uint8_t, 16> s{}, d{};
		std::memcpy(s.data(), receiver6, 16);
		std::memcpy(d.data(), receiver6, 16);
		s[15] = static_cast<std::uint8_t>(f.src);
		b.be16(0x86dd);
		l3 = b.b.size();
		b.ipv6(s, d, 17);
	} else {
		b.be16(0x0800);
		l3 = b.b.size();
		b.ipv4(v4{192, 0, 2, static_cast<std::uint8_t>(f.src)}, v4{192, 0, 2, 2}, 17);
	}
	const bool tcp = f.kind == loss_flow::gro_tcp;
	if (tcp) {
		b.b[l3 + 9] = PKTPATH_IPPROTO_TCP;
		b.b[l3 + 4] = static_cast<std::uint8_t>(seq >> 8); // IP ID: counting up
		b.b[l3 + 5] = static_cast<std::uint8_t>(seq);
	}
	const std::size_t l4 = b.b.size();
	if (tcp)
		b.ports(f.sport, f.dport)
			.be32(1 + seq * gro_payload)
			.be32(1)
			.be16(0x5010)
			.be16(8192)
			.be32(0)
			.payload(gro_payload);
	else
		b.udp(f.sport, f.dport).be32(seq).payload(60);
	pktpath::synth::bytes p = b.finish();
	// The TCP or UDP checksum over the pseudo-header (RFC 793, RFC 768, RFC 8200 8.1).
	const std::size_t len4 = p.size() - l4, at = l4 + (tcp ? 16 : 6);
	std::uint32_t sum = f.ipv6 ? sum16(&p[l3 + 8], 32) : sum16(&p[l3 + 12], 8);
	sum += (tcp ? PKTPATH_IPPROTO_TCP : PKTPATH_IPPROTO_UDP) + static_cast<std::uint32_t>(len4);
	unsigned c = ~sum16(&p[l4], len4, sum) & 0xffff;
	if (c == 0 && !tcp)
		c = 0xffff;
	if (f.kind == loss_flow::bad_udp_csum)
		c ^= 0x5a5a;
	p[at] = static_cast<std::uint8_t>(c >> 8);
	p[at + 1] = static_cast<std::uint8_t>(c);
	if (f.kind == loss_flow::bad_ip_csum)
		p[l3 + 10] ^= 0x5a;
	return p;
}

int write_losses(const char *out)
{
	pktpath::capture::pcap_writer w;
	if (!w.open(out, PKTPATH_LINKTYPE_ETHERNET)) {
		std::fprintf(stderr, "pktpath-kmodtest: cannot write %s\n", out);
		return 1;
	}
	std::uint64_t ts = 1000000000ull;
	for (const loss_flow &f : losses)
		for (unsigned i = 0; i < f.frames; i++) {
			const pktpath::synth::bytes p = loss_frame(f, i);
			w.write(p.data(), static_cast<std::uint32_t>(p.size()), static_cast<std::uint32_t>(p.size()),
				ts += 1000);
		}
	return w.close() ? 0 : 1;
}

// ----------------------------------------------------------------- model

struct model_options {
	std::uint32_t stage_mask = (1u << pktpath::stage_count_v<stage>)-1;
	bool promisc = false;
	pktpath::replay::flow_filter filter;
	std::uint32_t capacity = 4096;
};

// IP fragments waiting for the rest of their datagram, by (version, source, destination, id, protocol).
using frag_id = std::tuple<unsigned, std::string, std::string, std::uint32_t, unsigned>;
struct frag_queue {
	std::map<std::uint32_t, std::uint32_t> pieces; // offset -> end
	std::uint32_t total = 0;                       // end of the datagram, once the last fragment came
	pktpath_parse_result first{};                  // the first fragment's parse (the key L4 sees)
	bool have_first = false;
	std::uint32_t header = 0; // the first fragment's IP header length
};

class model {
public:
	explicit model(const model_options &o) : o_(o), t_(table::create(o.capacity)) {}

	bool ok() const { return t_.ok(); }
	const table &result() const { return t_; }

	void frame(const std::uint8_t *p, std::uint32_t len)
	{
		pktpath_parse_result r;
		pktpath_parse(p, len, PKTPATH_LINKTYPE_ETHERNET, 0, &r);
		if (!o_.filter.match(r))
			return;
		const bool for_us = std::memcmp(p, receiver_mac, 6) == 0 || (p[0] & 1);
		if (!for_us && !o_.promisc)
			return; // the NIC does not take it
		count(r, stage::eth_type_trans, len);
		count(r, stage::napi_gro_receive, len);
		count(r, stage::netif_receive_skb, len);
		// L2: the untagged ethertype, at most one VLAN tag removed.
		unsigned off = 12, ethertype = rd16(p + off), tags = 0;
		while ((ethertype == 0x8100 || ethertype == 0x88a8) && off + 6 <= len && tags < 2) {
			off += 4;
			ethertype = rd16(p + off);
			tags++;
		}
		if (tags > 1)
			return; // no handler for the inner tag (UNHANDLED_PROTO)
		const bool otherhost = tags == 1 || !for_us;
		const unsigned l3 = off + 2;
		if (ethertype == 0x0800) {
			count(r, stage::ip_rcv, len - l3);
			if (!otherhost)
				ipv4(r, p + l3, len - l3);
		} else if (ethertype == 0x86dd) {
			count(r, stage::ipv6_rcv, len - l3);
			if (!otherhost)
				ipv6(r, p + l3, len - l3);
		}
	}

private:
	void count(const pktpath_parse_result &r, unsigned st, std::uint64_t bytes)
	{
		if (!(o_.stage_mask & (1u << st)))
			return;
		if (pktpath_status_has_key(r.status))
			t_.count(st, r.key, bytes);
		else
			t_.count_unclassified(st, r.status, bytes);
	}

	static unsigned l4_stage(unsigned proto, unsigned ipver)
	{
		if (proto == PKTPATH_IPPROTO_TCP)
			return ipver == 4 ? stage::tcp_v4_rcv : stage::tcp_v6_rcv;
		if (proto == PKTPATH_IPPROTO_UDP)
			return ipver == 4 ? stage::udp_rcv : stage::udpv6_rcv;
		return ~0u;
	}

	void deliver(const pktpath_parse_result &r, unsigned proto, unsigned ipver, std::uint64_t datagram)
	{
		const unsigned st = l4_stage(proto, ipver);
		if (st != ~0u)
			count(r, st, datagram);
	}

	void ipv4(const pktpath_parse_result &r, const std::uint8_t *ip, std::uint32_t len)
	{
		if (len < 20 || ip[0] >> 4 != 4 || (ip[0] & 15) < 5)
			return;
		const unsigned hl = (ip[0] & 15) * 4u, total = rd16(ip + 2);
		if (len < hl || sum16(ip, hl) != 0xffff || total < hl || total > len)
			return; // ip_rcv_core: IP_INHDR, IP_CSUM
		const bool local = std::memcmp(ip + 16, receiver4, 4) == 0 || (ip[16] == 255 && ip[19] == 255) ||
				   (ip[16] == 192 && ip[17] == 0 && ip[18] == 2 && ip[19] == 255);
		if (!local)
			return;
		const unsigned frag = rd16(ip + 6);
		if (frag & 0x3fff) {
			fragment(r, 4, ip, hl, (frag & 0x1fff) * 8u, total - hl, (frag & 0x2000) != 0, rd16(ip + 4),
				 ip[9]);
			return;
		}
		deliver(r, ip[9], 4, total);
	}

	void ipv6(const pktpath_parse_result &r, const std::uint8_t *ip, std::uint32_t len)
	{
		if (len < 40 || ip[0] >> 4 != 6)
			return;
		const std::uint32_t total = 40u + rd16(ip + 4);
		const bool all_nodes = ip[24] == 0xff && ip[25] == 0x02 && ip[39] == 1 &&
				       std::all_of(ip + 26, ip + 39, [](std::uint8_t b) { return b == 0; });
		if (total > len || (std::memcmp(ip + 24, receiver6, 16) != 0 && !all_nodes) || ip[8] == 0xff)
			return;
		unsigned next = ip[6], off = 40;
		for (;;) {
			if (next == PKTPATH_IPPROTO_HOPOPTS || next == PKTPATH_IPPROTO_DSTOPTS ||
			    next == PKTPATH_IPPROTO_ROUTING) {
				if (off + 8 > total)
					return;
				if (next == PKTPATH_IPPROTO_ROUTING && ip[off + 3] != 0)
					return; // segments left: to be forwarded, and forwarding is off
				next = ip[off];
				off += (ip[off + 1] + 1u) * 8u;
			} else if (next == PKTPATH_IPPROTO_FRAGMENT) {
				if (off + 8 > total)
					return;
				const unsigned fo = rd16(ip + off + 2);
				fragment(r, 6, ip, off + 8, (fo & 0xfff8u), total - off - 8, (fo & 1) != 0,
					 static_cast<std::uint32_t>(rd16(ip + off + 4) << 16 | rd16(ip + off + 6)),
					 ip[off]);
				return;
			} else {
				break;
			}
		}
		deliver(r, next, 6, total);
	}

	void fragment(const pktpath_parse_result &r, unsigned ipver, const std::uint8_t *ip, unsigned hl,
		      std::uint32_t offset, std::uint32_t payload, bool more, std::uint32_t id, unsigned proto)
	{
		const std::size_t alen = ipver == 4 ? 4 : 16;
		const std::uint8_t *src = ip + (ipver == 4 ? 12 : 8), *dst = ip + (ipver == 4 ? 16 : 24);
		const frag_id fid{ipver, std::string(src, src + alen), std::string(dst, dst + alen), id, proto};
		frag_queue &q = frags_[fid];
		q.pieces[offset] = offset + payload;
		if (!more)
			q.total = offset + payload;
		if (offset == 0) {
			q.first = r;
			q.have_first = true;
			q.header = hl;
		}
		if (!q.have_first || !q.total)
			return;
		std::uint32_t covered = 0;
		for (const auto &pc : q.pieces) {
			if (pc.first > covered)
				return; // a hole
			covered = std::max(covered, pc.second);
		}
		if (covered < q.total)
			return;
		deliver(q.first, proto, ipver, q.header + q.total);
		frags_.erase(fid);
	}

	model_options o_;
	table t_;
	std::map<frag_id, frag_queue> frags_;
};

int read_back(const char *path)
{
	pktpath::capture::reader rd;
	if (!rd.open(path)) {
		std::fprintf(stderr, "pktpath-kmodtest: %s: %s\n", path, rd.err().message);
		return 1;
	}
	std::map<std::string, unsigned long> by_status;
	unsigned long n = 0;
	pktpath::capture::frame f;
	while (rd.next(f)) {
		pktpath_parse_result r;
		pktpath_parse(f.data, f.caplen, f.linktype, 0, &r);
		by_status[pktpath_status_name(r.status)]++;
		n++;
	}
	if (rd.failed()) {
		std::fprintf(stderr, "pktpath-kmodtest: %s: %s\n", path, rd.err().message);
		return 1;
	}
	std::printf("format=%s frames=%lu", pktpath::capture::to_string(rd.fmt()), n);
	for (const auto &s : by_status)
		std::printf(" %s=%lu", s.first.c_str(), s.second);
	std::printf("\n");
	return 0;
}

int usage()
{
	std::fputs("usage: pktpath-kmodtest losses OUT.pcap\n"
		   "       pktpath-kmodtest expect [--stages A,B] [--promisc] [--filter C=V]... [--capacity N] "
		   "OUT.img PCAP[:PASSES]...\n"
		   "       pktpath-kmodtest read FILE\n",
		   stderr);
	return 2;
}

int expect(int argc, char **argv)
{
	model_options o;
	int i = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const std::string a = argv[i];
		if (a == "--promisc") {
			o.promisc = true;
		} else if (a == "--stages" && i + 1 < argc) {
			o.stage_mask = 0;
			std::string list = argv[++i];
			for (std::size_t at = 0; at <= list.size();) {
				const std::size_t comma = std::min(list.find(',', at), list.size());
				const std::string name = list.substr(at, comma - at);
				unsigned s = 0;
				while (s < pktpath::stage_count_v<stage> && name != stage::stages[s].name)
					s++;
				if (s == pktpath::stage_count_v<stage>) {
					std::fprintf(stderr, "pktpath-kmodtest: no stage %s\n", name.c_str());
					return 2;
				}
				o.stage_mask |= 1u << s;
				at = comma + 1;
			}
		} else if (a == "--filter" && i + 1 < argc) {
			std::string c = argv[++i];
			const std::size_t eq = c.find('=');
			char why[128];
			if (eq == std::string::npos ||
			    !o.filter.set(c.substr(0, eq).c_str(), c.c_str() + eq + 1, why, sizeof why)) {
				std::fprintf(stderr, "pktpath-kmodtest: bad filter %s\n", c.c_str());
				return 2;
			}
		} else if (a == "--capacity" && i + 1 < argc) {
			o.capacity = static_cast<std::uint32_t>(std::strtoul(argv[++i], nullptr, 10));
		} else {
			return usage();
		}
	}
	if (argc - i < 2)
		return usage();
	const char *out = argv[i++];
	model m(o);
	if (!m.ok()) {
		std::fprintf(stderr, "pktpath-kmodtest: table: %s\n", m.result().error_text());
		return 1;
	}
	for (; i < argc; i++) {
		std::string path = argv[i];
		unsigned passes = 1;
		const std::size_t colon = path.rfind(':');
		if (colon != std::string::npos) {
			passes = static_cast<unsigned>(std::strtoul(path.c_str() + colon + 1, nullptr, 10));
			path.resize(colon);
		}
		for (unsigned pass = 0; pass < passes; pass++) {
			pktpath::capture::reader rd;
			if (!rd.open(path.c_str())) {
				std::fprintf(stderr, "pktpath-kmodtest: %s: %s\n", path.c_str(), rd.err().message);
				return 1;
			}
			pktpath::capture::frame f;
			while (rd.next(f))
				m.frame(f.data, f.caplen);
		}
	}
	std::FILE *f = std::fopen(out, "wb");
	if (!f || m.result().view().save(f) != PKTPATH_TABLE_OK || std::fclose(f) != 0) {
		std::fprintf(stderr, "pktpath-kmodtest: cannot write %s\n", out);
		return 1;
	}
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc == 3 && std::strcmp(argv[1], "losses") == 0)
		return write_losses(argv[2]);
	if (argc == 3 && std::strcmp(argv[1], "read") == 0)
		return read_back(argv[2]);
	if (argc >= 2 && std::strcmp(argv[1], "expect") == 0)
		return expect(argc - 2, argv + 2);
	return usage();
}
