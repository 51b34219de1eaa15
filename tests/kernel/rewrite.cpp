// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// pktpath-rewrite (host side of the kernel harness): rewrites a capture so
// that a Linux guest's receiver NIC accepts its frames as addressed to
// itself, and writes the result as a classic pcap (nanosecond timestamps).
// The rewritten file is the ground truth of a kernel test: the guest sends
// exactly its frames, so expected per-flow counts are computed from it.
//
//   pktpath-rewrite --dst-mac MAC --src-mac MAC [options] IN OUT
//
//   --dst4 A, --dst6 A   receiver addresses (192.0.2.2, 2001:db8::2)
//   --src map|keep       map: each (source, destination) pair of the input
//                        gets its own source in 192.0.2.0/24 (.3 to .254,
//                        then it wraps and warns) or 2001:db8::1:N (default),
//                        so distinct flows stay distinct and the receiver
//                        routes them (its replies go to the sender NIC);
//                        keep: sources stay as captured
//   --max-len N          frames longer than N bytes are left out (1514: an
//                        MTU of 1500 plus the Ethernet header; AF_PACKET
//                        refuses to send longer ones)
//   --only-ip            leave out frames that are not IPv4/IPv6 (ARP, ...)
//   --skip-unrewritable  leave out IP frames that cannot be rewritten
//   --stats FILE         counts as key=value lines (for scripts)
//   --map FILE           the source mapping, one line per pair
//
// Each frame gets dst MAC = --dst-mac and src MAC = --src-mac, then one of:
//   rewritten     IP addresses rewritten and every checksum the frame holds
//                 recomputed: the IPv4 header checksum, and the TCP, UDP or
//                 ICMPv6 checksum over the whole datagram when the frame
//                 holds all of it (a non-first fragment holds none)
//   adjusted      the frame holds only part of its datagram (a first
//                 fragment, a snap-length cut): its L4 checksum is updated
//                 incrementally for the new addresses (RFC 1624), so it is
//                 right exactly when it was right before (a zero UDP/IPv4
//                 checksum, "none", stays zero)
//   l2-only       not IP: only the MAC addresses change
//   unrewritable  IP, but its IP header is cut short, it carries an IPv6
//                 routing header still to be processed (its checksums use
//                 another destination), or its L4 checksum field is cut:
//                 only the MACs change, or left out (--skip-unrewritable)
// Left out always: non-Ethernet link types, frames shorter than an Ethernet
// header, frames over --max-len.  Only the outermost IP header is touched
// (a tunnel's inner packet stays as it was); VLAN tags and IPv6 extension
// headers are kept.  Header offsets come from pktpath's parser (flow/parse.h).
#include <pktpath/capture/reader.hpp>
#include <pktpath/capture/writer.hpp>
#include <pktpath/flow/parse.hpp>

#include <arpa/inet.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using addr16 = std::array<std::uint8_t, 16>;

struct options {
	std::uint8_t dst_mac[6]{};
	std::uint8_t src_mac[6]{};
	bool have_dst_mac = false, have_src_mac = false;
	std::uint8_t dst4[4] = {192, 0, 2, 2};
	std::uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
	bool map_src = true;
	std::uint32_t max_len = 1514;
	bool only_ip = false;
	bool skip_unrewritable = false;
	const char *stats = nullptr;
	const char *map = nullptr;
	const char *in = nullptr;
	const char *out = nullptr;
};

struct counts {
	std::uint64_t read = 0, written = 0;
	std::uint64_t rewritten = 0, adjusted = 0, l2_only = 0, unrewritable_kept = 0;
	std::uint64_t left_too_long = 0, left_not_ethernet = 0, left_runt = 0, left_not_ip = 0, left_unrewritable = 0;
	std::uint64_t v4_pairs = 0, v6_pairs = 0, v4_wraps = 0;
};

bool parse_mac(const char *s, std::uint8_t *m)
{
	unsigned v[6];
	char tail;
	if (std::sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return false;
		m[i] = static_cast<std::uint8_t>(v[i]);
	}
	return true;
}

std::uint16_t rd16(const std::uint8_t *p)
{
	return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
void wr16(std::uint8_t *p, unsigned v)
{
	p[0] = static_cast<std::uint8_t>(v >> 8);
	p[1] = static_cast<std::uint8_t>(v);
}

// Ones'-complement sum of n bytes (big-endian 16-bit words, an odd last byte
// padded with zero), not folded.
std::uint32_t sum16(const std::uint8_t *p, std::size_t n, std::uint32_t acc = 0)
{
	for (; n > 1; p += 2, n -= 2)
		acc += rd16(p);
	if (n)
		acc += static_cast<std::uint32_t>(p[0]) << 8;
	return acc;
}

std::uint16_t fold(std::uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return static_cast<std::uint16_t>(acc);
}

// Where the L4 checksum field is, for the protocols whose checksum covers a
// pseudo-header with the IP addresses (-1: none).
int csum_offset(unsigned proto, unsigned ipver)
{
	switch (proto) {
	case 6:
		return 16; // TCP
	case 17:
		return 6; // UDP
	case 136:
		return 6; // UDP-Lite
	case 58:
		return ipver == 6 ? 2 : -1; // ICMPv6 (ICMPv4's has no pseudo-header)
	default:
		return -1;
	}
}

class rewriter {
public:
	explicit rewriter(const options &o) : o_(o) {}

	// Rewrites f (a copy in buf) in place; false when it is to be left out.
	bool rewrite(std::vector<std::uint8_t> &buf, std::uint32_t linktype)
	{
		if (linktype != PKTPATH_LINKTYPE_ETHERNET) {
			c_.left_not_ethernet++;
			return false;
		}
		if (buf.size() < 14) {
			c_.left_runt++;
			return false;
		}
		if (buf.size() > o_.max_len) {
			c_.left_too_long++;
			return false;
		}
		std::uint8_t *p = buf.data();
		std::memcpy(p, o_.dst_mac, 6);
		std::memcpy(p + 6, o_.src_mac, 6);
		pktpath_parse_result r;
		pktpath_parse(p, buf.size(), PKTPATH_LINKTYPE_ETHERNET, 0, &r);
		if (r.l3_off == PKTPATH_NO_OFFSET) {
			if (o_.only_ip) {
				c_.left_not_ip++;
				return false;
			}
			c_.l2_only++;
			return true;
		}
		switch (rewrite_ip(p, buf.size(), r)) {
		case result::rewritten:
			c_.rewritten++;
			return true;
		case result::adjusted:
			c_.adjusted++;
			return true;
		case result::unrewritable:
			break;
		}
		if (o_.skip_unrewritable) {
			c_.left_unrewritable++;
			return false;
		}
		// The MACs are rewritten; the IP header must be as captured.
		c_.unrewritable_kept++;
		return true;
	}

	counts &stats() { return c_; }

	bool write_map(const char *path) const
	{
		FILE *f = std::fopen(path, "w");
		if (!f)
			return false;
		for (auto &[k, v] : map_) {
			const int af = k.first == 4 ? AF_INET : AF_INET6;
			char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], n[INET6_ADDRSTRLEN];
			inet_ntop(af, k.second.data(), s, sizeof s);
			inet_ntop(af, k.second.data() + 16, d, sizeof d);
			inet_ntop(af, v.data(), n, sizeof n);
			std::fprintf(f, "%s > %s: source %s\n", s, d, n);
		}
		return std::fclose(f) == 0;
	}

private:
	enum class result { rewritten, adjusted, unrewritable };

	result rewrite_ip(std::uint8_t *p, std::size_t cap, const pktpath_parse_result &r)
	{
		const std::size_t l3 = r.l3_off;
		const unsigned ver = p[l3] >> 4;
		std::size_t alen, src_at, dst_at, hlen = 0;
		unsigned proto;
		if (ver == 4) {
			hlen = (p[l3] & 0xfu) * 4u;
			if (hlen < 20 || cap - l3 < hlen)
				return result::unrewritable;
			alen = 4;
			src_at = l3 + 12;
			dst_at = l3 + 16;
			proto = p[l3 + 9];
		} else if (ver == 6) {
			if (cap - l3 < 40)
				return result::unrewritable;
			alen = 16;
			src_at = l3 + 8;
			dst_at = l3 + 24;
			proto = 0;
			if (!ipv6_final_proto(p, cap, l3, proto))
				return result::unrewritable;
		} else {
			return result::unrewritable;
		}
		// The L4 checksum field, when this frame has the L4 header.
		const bool later_frag = r.info & PKTPATH_INFO_FRAG_LATER;
		const int coff = later_frag || r.l4_off == PKTPATH_NO_OFFSET ? -1 : csum_offset(proto, ver);
		if (coff >= 0 && cap < r.l4_off + static_cast<std::size_t>(coff) + 2)
			return result::unrewritable;

		std::uint8_t old[32];
		std::memcpy(old, p + src_at, alen);
		std::memcpy(old + 16, p + dst_at, alen);
		if (o_.map_src)
			std::memcpy(p + src_at, mapped_source(ver, old, alen).data(), alen);
		std::memcpy(p + dst_at, ver == 4 ? o_.dst4 : o_.dst6, alen);
		if (ver == 4) {
			wr16(p + l3 + 10, 0);
			wr16(p + l3 + 10, static_cast<std::uint16_t>(~fold(sum16(p + l3, hlen))));
		}
		if (coff < 0)
			return result::rewritten;

		std::uint8_t *csum = p + r.l4_off + coff;
		const bool whole = !(r.info & (PKTPATH_INFO_FRAG_FIRST | PKTPATH_INFO_SNAPPED)) &&
				   r.status != PKTPATH_TRUNCATED && r.status != PKTPATH_MALFORMED && r.l4_end <= cap &&
				   r.l4_end >= r.l4_off;
		const bool udp4 = ver == 4 && proto == 17;
		if (whole && proto != 136) {
			// Pseudo-header: addresses, upper-layer length, protocol.
			const std::size_t len = r.l4_end - r.l4_off;
			std::uint32_t acc = sum16(p + src_at, alen);
			acc = sum16(p + dst_at, alen, acc);
			acc += static_cast<std::uint32_t>(len >> 16) + static_cast<std::uint32_t>(len & 0xffff) + proto;
			wr16(csum, 0);
			acc = sum16(p + r.l4_off, len, acc);
			std::uint16_t v = static_cast<std::uint16_t>(~fold(acc));
			if (v == 0 && (proto == 17))
				v = 0xffff; // 0 means "no checksum" for UDP
			wr16(csum, v);
			return result::rewritten;
		}
		// Incremental update (RFC 1624, eqn. 3): HC' = ~(~HC + ~m + m').
		const std::uint16_t hc = rd16(csum);
		if (udp4 && hc == 0)
			return result::adjusted; // no checksum: nothing to keep right
		std::uint32_t acc = static_cast<std::uint16_t>(~hc);
		for (std::size_t i = 0; i < alen; i += 2) {
			acc += static_cast<std::uint16_t>(~rd16(old + i)) + rd16(p + src_at + i);
			acc += static_cast<std::uint16_t>(~rd16(old + 16 + i)) + rd16(p + dst_at + i);
		}
		std::uint16_t v = static_cast<std::uint16_t>(~fold(acc));
		if (v == 0 && proto == 17)
			v = 0xffff;
		wr16(csum, v);
		return result::adjusted;
	}

	// Walks IPv6 extension headers to the upper-layer protocol; false when a
	// routing header with segments left changes the checksums' destination
	// or a header is cut.  A fragment header ends the walk (its next header
	// is the protocol; a non-first fragment holds no L4 header).
	static bool ipv6_final_proto(const std::uint8_t *p, std::size_t cap, std::size_t l3, unsigned &proto)
	{
		unsigned next = p[l3 + 6];
		std::size_t off = l3 + 40;
		for (int n = 0; n < PKTPATH_MAX_HEADERS; n++) {
			switch (next) {
			case 0:  // hop-by-hop
			case 60: // destination options
			case 43: // routing
			case 51: // authentication header
				if (cap < off + 8)
					return false;
				if (next == 43 && p[off + 3] != 0)
					return false;
				{
					const unsigned nh = p[off];
					off += next == 51 ? (p[off + 1] + 2u) * 4u : (p[off + 1] + 1u) * 8u;
					next = nh;
				}
				break;
			case 44:
				if (cap < off + 8)
					return false;
				proto = p[off];
				return true;
			default:
				proto = next;
				return true;
			}
		}
		return false;
	}

	std::array<std::uint8_t, 16> mapped_source(unsigned ver, const std::uint8_t *old, std::size_t alen)
	{
		std::pair<unsigned, std::array<std::uint8_t, 32>> key{ver, {}};
		std::memcpy(key.second.data(), old, alen);
		std::memcpy(key.second.data() + 16, old + 16, alen);
		auto it = map_.find(key);
		if (it != map_.end())
			return it->second;
		addr16 a{};
		if (ver == 4) {
			// 192.0.2.3 .. 192.0.2.254: not the network, broadcast, the
			// sender's stand-in .1 or the receiver .2.
			const std::uint64_t n = c_.v4_pairs++;
			if (n >= 252 && n % 252 == 0)
				c_.v4_wraps++;
			a[0] = 192;
			a[1] = 0;
			a[2] = 2;
			a[3] = static_cast<std::uint8_t>(3 + n % 252);
		} else {
			// 2001:db8::1:N, N from 1: clear of ::1 and ::2.
			const std::uint64_t n = ++c_.v6_pairs;
			const std::uint8_t pre[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0};
			std::memcpy(a.data(), pre, 8);
			a[10] = 0;
			a[11] = 1;
			for (int i = 0; i < 4; i++)
				a[15 - i] = static_cast<std::uint8_t>(n >> (8 * i));
		}
		map_.emplace(key, a);
		return a;
	}

	const options &o_;
	counts c_;
	std::map<std::pair<unsigned, std::array<std::uint8_t, 32>>, addr16> map_;
};

int usage()
{
	std::fprintf(stderr,
		     "usage: pktpath-rewrite --dst-mac MAC --src-mac MAC [--dst4 A] [--dst6 A] [--src map|keep]\n"
		     "       [--max-len N] [--only-ip] [--skip-unrewritable] [--stats FILE] [--map FILE] IN OUT\n");
	return 2;
}

} // namespace

int main(int argc, char **argv)
{
	options o;
	for (int i = 1; i < argc; i++) {
		const std::string a = argv[i];
		const bool has_value = i + 1 < argc;
		if (a == "--dst-mac" && has_value)
			o.have_dst_mac = parse_mac(argv[++i], o.dst_mac);
		else if (a == "--src-mac" && has_value)
			o.have_src_mac = parse_mac(argv[++i], o.src_mac);
		else if (a == "--dst4" && has_value) {
			if (inet_pton(AF_INET, argv[++i], o.dst4) != 1)
				return usage();
		} else if (a == "--dst6" && has_value) {
			if (inet_pton(AF_INET6, argv[++i], o.dst6) != 1)
				return usage();
		} else if (a == "--src" && has_value) {
			const std::string v = argv[++i];
			if (v != "map" && v != "keep")
				return usage();
			o.map_src = v == "map";
		} else if (a == "--max-len" && has_value)
			o.max_len = static_cast<std::uint32_t>(std::strtoul(argv[++i], nullptr, 10));
		else if (a == "--only-ip")
			o.only_ip = true;
		else if (a == "--skip-unrewritable")
			o.skip_unrewritable = true;
		else if (a == "--stats" && has_value)
			o.stats = argv[++i];
		else if (a == "--map" && has_value)
			o.map = argv[++i];
		else if (!a.empty() && a[0] == '-')
			return usage();
		else if (!o.in)
			o.in = argv[i];
		else if (!o.out)
			o.out = argv[i];
		else
			return usage();
	}
	if (!o.in || !o.out || !o.have_dst_mac || !o.have_src_mac || o.max_len < 14)
		return usage();

	pktpath::capture::reader rd;
	if (!rd.open(o.in)) {
		std::fprintf(stderr, "pktpath-rewrite: %s: %s\n", o.in, rd.err().message);
		return 1;
	}
	pktpath::capture::pcap_writer w;
	if (!w.open(o.out, PKTPATH_LINKTYPE_ETHERNET)) {
		std::fprintf(stderr, "pktpath-rewrite: %s: %s\n", o.out, w.err().message);
		return 1;
	}
	rewriter rw(o);
	counts &c = rw.stats();
	pktpath::capture::frame f;
	std::vector<std::uint8_t> buf;
	while (rd.next(f)) {
		c.read++;
		buf.assign(f.data, f.data + f.caplen);
		if (!rw.rewrite(buf, f.linktype))
			continue;
		if (!w.write(buf.data(), static_cast<std::uint32_t>(buf.size()), f.origlen, f.ts_ns)) {
			std::fprintf(stderr, "pktpath-rewrite: %s: %s\n", o.out, w.err().message);
			return 1;
		}
		c.written++;
	}
	if (rd.failed()) {
		std::fprintf(stderr, "pktpath-rewrite: %s: %s\n", o.in, rd.err().message);
		return 1;
	}
	if (!w.close()) {
		std::fprintf(stderr, "pktpath-rewrite: %s: %s\n", o.out, w.err().message);
		return 1;
	}
	const std::uint64_t left =
		c.left_too_long + c.left_not_ethernet + c.left_runt + c.left_not_ip + c.left_unrewritable;
	std::fprintf(stderr,
		     "pktpath-rewrite: %s: read %llu frames, wrote %llu to %s (rewritten %llu, adjusted %llu, "
		     "l2-only %llu, unrewritable %llu); left out %llu (too long %llu, not Ethernet %llu, runt %llu, "
		     "not IP %llu, unrewritable %llu); sources mapped: %llu IPv4, %llu IPv6 pairs\n",
		     o.in, (unsigned long long)c.read, (unsigned long long)c.written, o.out,
		     (unsigned long long)c.rewritten, (unsigned long long)c.adjusted, (unsigned long long)c.l2_only,
		     (unsigned long long)c.unrewritable_kept, (unsigned long long)left,
		     (unsigned long long)c.left_too_long, (unsigned long long)c.left_not_ethernet,
		     (unsigned long long)c.left_runt, (unsigned long long)c.left_not_ip,
		     (unsigned long long)c.left_unrewritable, (unsigned long long)c.v4_pairs,
		     (unsigned long long)c.v6_pairs);
	if (c.v4_wraps)
		std::fprintf(stderr,
			     "pktpath-rewrite: warning: more than 252 IPv4 pairs: sources reused (flows merged)\n");
	if (o.stats) {
		FILE *s = std::fopen(o.stats, "w");
		if (!s) {
			std::fprintf(stderr, "pktpath-rewrite: %s: %s\n", o.stats, std::strerror(errno));
			return 1;
		}
		std::fprintf(s,
			     "read=%llu\nwritten=%llu\nrewritten=%llu\nadjusted=%llu\nl2_only=%llu\nunrewritable=%llu\n"
			     "left_out=%llu\nleft_too_long=%llu\nleft_not_ethernet=%llu\nleft_runt=%llu\n"
			     "left_not_ip=%llu\nleft_unrewritable=%llu\nv4_pairs=%llu\nv6_pairs=%llu\n",
			     (unsigned long long)c.read, (unsigned long long)c.written, (unsigned long long)c.rewritten,
			     (unsigned long long)c.adjusted, (unsigned long long)c.l2_only,
			     (unsigned long long)c.unrewritable_kept, (unsigned long long)left,
			     (unsigned long long)c.left_too_long, (unsigned long long)c.left_not_ethernet,
			     (unsigned long long)c.left_runt, (unsigned long long)c.left_not_ip,
			     (unsigned long long)c.left_unrewritable, (unsigned long long)c.v4_pairs,
			     (unsigned long long)c.v6_pairs);
		if (std::fclose(s) != 0)
			return 1;
	}
	if (o.map && !rw.write_map(o.map)) {
		std::fprintf(stderr, "pktpath-rewrite: %s: cannot write\n", o.map);
		return 1;
	}
	return 0;
}
