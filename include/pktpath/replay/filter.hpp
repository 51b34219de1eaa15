// SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only
// A flow filter on parsed frames: protocol, address or prefix (IPv4 or IPv6;
// either side, source or destination), port (either side, source or
// destination) and outer VLAN id.  Every criterion set must hold; a frame
// without a flow key never matches a non-empty filter.  Matching reads only
// the parse result: no allocation, a few compares per frame.
//
//   pktpath::replay::flow_filter f;
//   char why[96];
//   if (!f.set("proto", "udp", why, sizeof why) || !f.set("dst", "2001:db8::/32", why, sizeof why)) ...
//   if (f.match(parse_result)) ...
#ifndef PKTPATH_REPLAY_FILTER_HPP
#define PKTPATH_REPLAY_FILTER_HPP

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <arpa/inet.h>

#include "../flow/format.hpp"
#include "../flow/parse.h"
#include "../flow/proto.h"

namespace pktpath::replay {

// An address prefix of one family: 10.0.0.0/8, 2001:db8::/32, 192.0.2.1 (/32).
struct prefix {
	std::uint8_t addr[16] = {};
	unsigned ipver = 0; // 0: unset
	unsigned len = 0;   // bits

	// False (prefix unchanged) unless `text` is ADDR or ADDR/LEN.
	bool parse(const char *text)
	{
		char buf[64];
		const char *slash = std::strchr(text, '/');
		const std::size_t n = slash ? static_cast<std::size_t>(slash - text) : std::strlen(text);
		if (n == 0 || n >= sizeof buf)
			return false;
		std::memcpy(buf, text, n);
		buf[n] = '\0';
		prefix p;
		if (inet_pton(AF_INET, buf, p.addr) == 1)
			p.ipver = 4;
		else if (inet_pton(AF_INET6, buf, p.addr) == 1)
			p.ipver = 6;
		else
			return false;
		const unsigned max = p.ipver == 4 ? 32 : 128;
		p.len = max;
		if (slash) {
			char *end = nullptr;
			const unsigned long l = std::strtoul(slash + 1, &end, 10);
			if (slash[1] == '\0' || *end != '\0' || l > max)
				return false;
			p.len = static_cast<unsigned>(l);
		}
		*this = p;
		return true;
	}

	bool match(const std::uint8_t *a, unsigned v) const
	{
		if (v != ipver)
			return false;
		const unsigned whole = len / 8, rest = len % 8;
		if (std::memcmp(a, addr, whole) != 0)
			return false;
		if (rest == 0)
			return true;
		const std::uint8_t mask = static_cast<std::uint8_t>(0xff00u >> rest);
		return ((a[whole] ^ addr[whole]) & mask) == 0;
	}

	std::string text() const
	{
		char a[addr_text_max];
		format_addr(addr, ipver, a);
		return std::string(a) + "/" + std::to_string(len);
	}
};

class flow_filter {
public:
	// Criteria: "proto" (a name of flow/proto.h such as tcp, udp, icmp6, or a number),
	// "host", "src", "dst" (prefixes), "port", "sport", "dport", "vlan".
	// False with a message in why[why_len] for an unknown criterion or value.
	bool set(const char *what, const char *value, char *why, std::size_t why_len)
	{
		const std::string w = what;
		bool ok = false;
		if (w == "proto")
			ok = parse_proto(value, proto_);
		else if (w == "host")
			ok = host_.parse(value);
		else if (w == "src")
			ok = src_.parse(value);
		else if (w == "dst")
			ok = dst_.parse(value);
		else if (w == "port")
			ok = parse_num(value, 65535, port_);
		else if (w == "sport")
			ok = parse_num(value, 65535, sport_);
		else if (w == "dport")
			ok = parse_num(value, 65535, dport_);
		else if (w == "vlan")
			ok = parse_num(value, 4095, vlan_);
		else {
			std::snprintf(why, why_len, "unknown filter criterion '%s'", what);
			return false;
		}
		if (!ok)
			std::snprintf(why, why_len, "bad %s '%s'", what, value);
		return ok;
	}

	bool empty() const
	{
		return proto_ < 0 && !host_.ipver && !src_.ipver && !dst_.ipver && port_ < 0 && sport_ < 0 &&
		       dport_ < 0 && vlan_ < 0;
	}

	bool match(const pktpath_parse_result &r) const
	{
		if (!pktpath_status_has_key(r.status))
			return empty();
		const pktpath_flow_key &k = r.key;
		const unsigned v = pktpath_key_ipver(&k);
		const bool ports = (k.flags & PKTPATH_KEY_PORTS) != 0;
		if (proto_ >= 0 && k.proto != proto_)
			return false;
		if (host_.ipver && !host_.match(k.src, v) && !host_.match(k.dst, v))
			return false;
		if (src_.ipver && !src_.match(k.src, v))
			return false;
		if (dst_.ipver && !dst_.match(k.dst, v))
			return false;
		if (port_ >= 0 && !(ports && (k.sport == port_ || k.dport == port_)))
			return false;
		if (sport_ >= 0 && !(ports && k.sport == sport_))
			return false;
		if (dport_ >= 0 && !(ports && k.dport == dport_))
			return false;
		// The parser sets key.vlan under PKTPATH_PARSE_VLAN; the info bit tells a tag with id 0 from none.
		if (vlan_ >= 0 && !((r.info & PKTPATH_INFO_VLAN) && k.vlan == vlan_))
			return false;
		return true;
	}

	// "proto 17 and dst 10.0.0.0/8 and port 53", or "" when empty.
	std::string text() const
	{
		std::string t;
		auto add = [&t](const std::string &s) { t += (t.empty() ? "" : " and ") + s; };
		if (proto_ >= 0)
			add("proto " + std::to_string(proto_));
		if (host_.ipver)
			add("host " + host_.text());
		if (src_.ipver)
			add("src " + src_.text());
		if (dst_.ipver)
			add("dst " + dst_.text());
		if (port_ >= 0)
			add("port " + std::to_string(port_));
		if (sport_ >= 0)
			add("sport " + std::to_string(sport_));
		if (dport_ >= 0)
			add("dport " + std::to_string(dport_));
		if (vlan_ >= 0)
			add("vlan " + std::to_string(vlan_));
		return t;
	}

private:
	static bool parse_num(const char *s, long max, int &out)
	{
		char *end = nullptr;
		const long v = std::strtol(s, &end, 10);
		if (*s == '\0' || *end != '\0' || v < 0 || v > max)
			return false;
		out = static_cast<int>(v);
		return true;
	}

	static bool parse_proto(const char *s, int &out)
	{
		const int n = pktpath_proto_from_name(s);
		if (n < 0)
			return parse_num(s, 255, out);
		out = n;
		return true;
	}

	int proto_ = -1;
	prefix host_, src_, dst_;
	int port_ = -1, sport_ = -1, dport_ = -1;
	int vlan_ = -1;
};

} // namespace pktpath::replay

#endif // PKTPATH_REPLAY_FILTER_HPP
